"""What the dashboard shows of a project's stacks: the list's page, one stack's tabs, its
topology (regions, resources, links, tunnels) and the changes to stream while it moves.

    board = service.dashboard()
    page = board.list_stacks(ListQuery(status="COMPLETE", region="East", page=2))
    stack = board.stack(stack_id)            # StackNotFound unless in the project
    board.topology(stack)                    # the contract's topology.json
    watch = board.watch(stack)               # watch.changes(): what moved since last read

Every value comes from the database (no cloud call); secrets are masked as the API
masks them: hidden parameters as ``******``, resource properties and attributes are
never shown.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from crossheat.errors import StackNotFound
from crossheat.resources.tunnels import tunnel_pairs
from crossheat.service._heatlist import SORT_KEYS, _sorted
from crossheat.service._heatviews import HeatViews, loaded_template
from crossheat.service.views import event_dict, resource_dict, time_text
from crossheat.store import Action, EventCursor, ResourceRecord, StackRecord, StackSummary
from crossheat.store.keyring import key_source, read_ring

if TYPE_CHECKING:
    from crossheat.service._service import Service
    from crossheat.template import Template

__all__ = ["Dashboard", "ListQuery", "StackListPage", "Watch", "session_key", "tunnel_status"]

#: Sorts the list offers, by the list's column names.
SORTS = {"name": "stack_name", "status": "stack_status", "created": "creation_time",
         "updated": "updated_time"}  # fmt: skip
PER_PAGE = 50


def session_key() -> str:
    """The key the dashboard signs its session cookies with: derived from the deployment's
    first secret key (so every server of a deployment shares it, and a new key logs
    everybody out), never the key itself."""
    first = read_ring(key_source()).keys[0]
    return hmac.new(first, b"crossheat-dashboard-session", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ListQuery:
    """The stacks list's filters (status: a status or action_status; name: a part of the
    name, any case), sort (a key of ``SORTS``, ``asc``/``desc``) and page (from 1)."""

    status: str = ""
    region: str = ""
    name: str = ""
    sort: str = "created"
    direction: str = "desc"
    page: int = 1
    per_page: int = PER_PAGE


@dataclass(frozen=True)
class StackListPage:
    stacks: list[dict[str, Any]]
    count: int
    page: int
    pages: int
    #: Every region the project's stacks span, and every status they are in (for filters).
    regions: list[str]
    statuses: list[str]


def tunnel_status(statuses: Iterable[str | None]) -> str | None:
    """A tunnel's status from its two ends' connection statuses: ACTIVE when both are,
    DOWN when either is DOWN or ERROR, else the one not active (None: not created)."""
    ends = list(statuses)
    if all(s == "ACTIVE" for s in ends):
        return "ACTIVE"
    if any(s in ("DOWN", "ERROR") for s in ends):
        return "DOWN"
    return next((s for s in ends if s != "ACTIVE" and s is not None), None)


class Dashboard:
    """The dashboard's reads over one project's service."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.views = HeatViews(service)
        self.store = service.store()
        #: The template last read of each stack, with what says it is still the stack's
        #: (a stream reads the stack every half second; parsing is most of the read).
        self._templates: dict[str, tuple[tuple[Any, ...], Template | None]] = {}

    # ---- the list -----------------------------------------------------------------------

    def list_stacks(self, query: ListQuery) -> StackListPage:
        project = self.service._stacks().owner
        every = self.store.list_stack_summaries(project)
        regions = sorted({r for s in every for r in s.regions})
        statuses = sorted({s.stack_status for s in every})
        chosen = [s for s in every if _keep(s, query)]
        key = SORTS.get(query.sort, "creation_time")
        ordered = _sorted(chosen, [key] if key in SORT_KEYS else [], query.direction)
        per_page = max(1, min(query.per_page, 500))
        pages = max(1, -(-len(ordered) // per_page))
        page = max(1, min(query.page, pages))
        shown = ordered[(page - 1) * per_page : page * per_page]
        rows = [self.views.summary(s) for s in shown]
        return StackListPage(rows, len(ordered), page, pages, regions, statuses)

    # ---- one stack ----------------------------------------------------------------------

    def stack(self, stack_id: str) -> StackRecord:
        """The project's stack with this id (or name); StackNotFound for any other."""
        stack = self.service.get(stack_id)
        if stack.id != stack_id and stack.name != stack_id:
            raise StackNotFound(f"The Stack ({stack_id}) could not be found.")
        return stack

    def show(self, stack: StackRecord) -> dict[str, Any]:
        """Heat's stack show: parameters masked, outputs resolved with secrets masked."""
        return self.views.show(stack)

    def resources(self, stack: StackRecord) -> list[dict[str, Any]]:
        return [resource_dict(r) for r in self._current(stack)]

    def events(self, stack: StackRecord, limit: int = 500) -> list[dict[str, Any]]:
        """The stack's last ``limit`` events, newest last."""
        return [event_dict(e) for e in self.store.list_events(stack.id)[-limit:]]

    def template_text(self, stack: StackRecord) -> str:
        """The stored template as YAML, the defaults of hidden parameters masked."""
        return yaml.safe_dump(self.views.template(stack), sort_keys=False, width=100)

    def pieces(self, stack: StackRecord) -> list[dict[str, Any]]:
        """The stack split by region: each region's resources, and the references that
        cross into it (what a split writes as one single-region template per region)."""
        template = loaded_template(stack)
        if template is None:
            return []
        region_of = _regions_of(template, self._current(stack))
        pieces: dict[str, dict[str, Any]] = {}
        for name, definition in template.resources.items():
            region = region_of.get(name) or "default"
            piece = pieces.setdefault(region, {"region": region, "resources": [], "inputs": []})
            piece["resources"].append({"name": name, "type": definition.type})
            for other in sorted(definition.dependencies()):
                there = region_of.get(other) or "default"
                if there != region:
                    piece["inputs"].append({"resource": name, "from": other, "region": there})
        return [pieces[r] for r in sorted(pieces)]

    # ---- topology -----------------------------------------------------------------------

    def topology(self, stack: StackRecord) -> dict[str, Any]:
        """The contract's ``topology.json``: regions, resources, links, tunnels."""
        template = self._template(stack)
        records = {r.name: r for r in self._current(stack)}
        region_of = _regions_of(template, list(records.values())) if template else {}
        default = (stack.spec.region_map or {}).get("default_region")
        region_of = {n: r or default for n, r in region_of.items()}
        names = list(template.resources) if template else list(records)
        names += [n for n in records if n not in names]
        gone = "DELETE_COMPLETE" if stack.action is Action.DELETE else None
        resources = [_node(n, records.get(n), template, region_of, gone) for n in names]
        recorded = stack.spec.region_map or {}
        spec_regions = recorded.get("regions") or {}
        regions = sorted({r["region"] for r in resources if r["region"]})
        links = []
        if template is not None:
            for name, definition in template.resources.items():
                for target in sorted(definition.dependencies()):
                    if target != name and target in template.resources:
                        links.append({
                            "source": name, "target": target,
                            "cross_region": region_of.get(name) != region_of.get(target),
                        })  # fmt: skip
        return {
            "stack": self._stack_head(stack),
            "regions": [{"name": r, "cloud": _cloud(spec_regions, r)} for r in regions],
            "resources": resources,
            "links": links,
            "tunnels": self._tunnels(template, records),
        }

    def _stack_head(self, stack: StackRecord) -> dict[str, Any]:
        return {"id": stack.id, "name": stack.name, "status": stack.stack_status,
                "status_reason": stack.status_reason}  # fmt: skip

    def _tunnels(
        self, template: Template | None, records: dict[str, ResourceRecord]
    ) -> list[dict[str, Any]]:
        if template is None:
            return []
        out = []
        for a, b in tunnel_pairs(template):
            ends = [a.connection, b.connection]
            statuses = [_connection_status(records.get(e)) for e in ends]
            regions = [_region_name(template, e, records) for e in ends]
            out.append({"name": " / ".join(ends), "regions": regions, "ends": ends,
                        "status": tunnel_status(statuses)})  # fmt: skip
        return out

    def _template(self, stack: StackRecord) -> Template | None:
        key = (stack.updated_at, stack.action, stack.status)
        cached = self._templates.get(stack.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        template = loaded_template(stack)
        self._templates[stack.id] = (key, template)
        return template

    def watch_list(self) -> ListWatch:
        """What changes in the project's stacks from now on (for the list's stream)."""
        return ListWatch(self)

    def watch(self, stack: StackRecord, after_event: int | None = None) -> Watch:
        """What changes in the stack from now on (for the live stream)."""
        return Watch(self, stack, after_event)

    def _current(self, stack: StackRecord) -> list[ResourceRecord]:
        return [r for r in self.store.list_resources(stack.id) if not r.replaced_by]


class Watch:
    """The stack as last read; ``changes`` reads it again and says what moved, as
    ``(kind, data)`` pairs: ``resource``, ``tunnel``, ``stack`` and ``event``.

    The first ``changes`` tells the whole state (every resource, tunnel and the stack):
    a page that drew ``topology.json`` a moment before the stream began misses nothing,
    and a client that reconnects catches up. Events follow the one of id ``after_event``
    (the last one the page shows), else the last one at the start.
    """

    def __init__(
        self, board: Dashboard, stack: StackRecord, after_event: int | None = None
    ) -> None:
        self.board, self.stack_id = board, stack.id
        self._seen: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._events = EventCursor(board.store, stack.id)
        self._events.last_seq = _last_seq(board, stack.id, after_event)
        self._topology = board.topology(stack)
        self._stack: StackRecord | None = stack

    @property
    def busy(self) -> bool:
        """Whether the stack's operation was still in progress at the last read."""
        return str(self._topology["stack"]["status"]).endswith("_IN_PROGRESS")

    def changes(self) -> list[tuple[str, dict[str, Any]]]:
        if self._stack is not None:  # the first read: the state read at the start
            topology, self._stack = self._topology, None
        else:
            stack = self.board.store.get_stack(self.stack_id, include_deleted=True)
            topology = self._topology = self.board.topology(stack)
        out: list[tuple[str, dict[str, Any]]] = []
        for event in self._events.read():
            out.append(("event", event_dict(event)))
        for r in topology["resources"]:
            data = {k: r[k] for k in ("name", "region", "status", "status_reason")}
            if self._changed(("resource", r["name"]), tuple(data.values())):
                out.append(("resource", data))
        now = {("resource", r["name"]) for r in topology["resources"]}
        for key in [k for k in self._seen if k[0] == "resource" and k not in now]:
            # Gone from the stack (an update removed it): told once, then forgotten.
            name, region = self._seen.pop(key)[:2]
            gone = {"name": name, "region": region, "status": "DELETE_COMPLETE",
                    "status_reason": ""}  # fmt: skip
            out.append(("resource", gone))
        for t in topology["tunnels"]:
            if self._changed(("tunnel", t["name"]), (t["status"],)):
                out.append(("tunnel", {"name": t["name"], "status": t["status"]}))
        head = topology["stack"]
        if self._changed(("stack", ""), (head["status"], head["status_reason"])):
            out.append(
                ("stack", {"status": head["status"], "status_reason": head["status_reason"]})
            )
        return out

    def _changed(self, key: tuple[str, str], value: tuple[Any, ...]) -> bool:
        if self._seen.get(key) == value:
            return False
        self._seen[key] = value
        return True


class ListWatch:
    """The project's stacks as last read; ``changes`` says which stacks' status moved
    since, as ``("stack", {"id", "name", "status", "status_reason"})``: a new stack, a
    status or reason changed, or a stack gone (``DELETE_COMPLETE``)."""

    def __init__(self, board: Dashboard) -> None:
        self.board = board
        self._seen = self._read()

    @property
    def busy(self) -> bool:
        return any(status.endswith("_IN_PROGRESS") for _, status, _ in self._seen.values())

    def _read(self) -> dict[str, tuple[str, str, str]]:
        project = self.board.service._stacks().owner
        return {
            s.id: (s.name, s.stack_status, str(self.board.views.summary(s)["stack_status_reason"]))
            for s in self.board.store.list_stack_summaries(project)
        }

    def changes(self) -> list[tuple[str, dict[str, Any]]]:
        now = self._read()
        out = []
        for stack_id, (name, status, reason) in now.items():
            if self._seen.get(stack_id) != (name, status, reason):
                out.append(("stack", {"id": stack_id, "name": name, "status": status,
                                      "status_reason": reason}))  # fmt: skip
        for stack_id, (name, _, _) in self._seen.items():
            if stack_id not in now:
                reason = "Stack DELETE completed successfully"
                gone = {"id": stack_id, "name": name, "status": "DELETE_COMPLETE",
                        "status_reason": reason}  # fmt: skip
                out.append(("stack", gone))
        self._seen = now
        return out


def _last_seq(board: Dashboard, stack_id: str, after_event: int | None) -> int | None:
    """The number of the event to follow: the one of id ``after_event``, else the last."""
    events = board.store.list_events(stack_id)
    if after_event is not None:
        found = [e.seq for e in events if e.id == after_event]
        if found:
            return found[0]
    return events[-1].seq if events else None


def _keep(stack: StackSummary, query: ListQuery) -> bool:
    if query.status and query.status not in (stack.status.value, stack.stack_status):
        return False
    if query.region and query.region not in stack.regions:
        return False
    return not query.name or query.name.lower() in stack.name.lower()


def _regions_of(template: Template, records: list[ResourceRecord]) -> dict[str, str | None]:
    """Each resource's region: as recorded, else as the template places it."""
    out: dict[str, str | None] = {n: d.region for n, d in template.resources.items()}
    out.update({r.name: r.region for r in records if r.region})
    return out


def _region_name(template: Template, name: str, records: dict[str, ResourceRecord]) -> str | None:
    record = records.get(name)
    if record is not None and record.region:
        return record.region
    definition = template.resources.get(name)
    return definition.region if definition is not None else None


def _node(
    name: str,
    record: ResourceRecord | None,
    template: Template | None,
    region_of: dict[str, str | None],
    missing: str | None = None,
) -> dict[str, Any]:
    """One resource of ``topology.json``; ``missing``: the status of one not recorded
    (None: not made yet; ``DELETE_COMPLETE`` once the stack's delete removed it)."""
    definition = template.resources.get(name) if template else None
    return {
        "name": name,
        "type": record.type if record else (definition.type if definition else ""),
        "region": (record.region if record and record.region else region_of.get(name)),
        "status": record.resource_status if record else missing,
        "status_reason": record.status_reason if record else "",
        "physical_id": (record.physical_id or "") if record else "",
        "updated": time_text(record.updated_at or record.created_at) if record else None,
    }


def _connection_status(record: ResourceRecord | None) -> str | None:
    if record is None:
        return None
    status = record.attributes.get("status") if isinstance(record.attributes, dict) else None
    return str(status) if status else None


def _cloud(spec_regions: dict[str, Any], region: str) -> str | None:
    spec = spec_regions.get(region)
    if isinstance(spec, dict):
        return str(spec.get("cloud")) if spec.get("cloud") else None
    return None
