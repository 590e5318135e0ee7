"""One stack's resources and events as Heat's API shows them, and what a user may do to a
resource: mark it (un)healthy, signal it.

    views = StackResources(store, registry, stack)
    views.resources({"type": ["Neutron"]}, with_detail=True)
    views.mark_unhealthy("east_net", True, "deleted by hand")   # CHECK_FAILED, an event
    views.events(filters={"resource_status": ["FAILED"]}, sort_dir="asc", marker="41")

Fields are Heat's (``resource_status`` joins action and status, ``logical_resource_id``
is the name...) plus crossheat's ``region``; links are the face's business. Event ids
are the store's per-database ids, as strings: a marker is one of them. Events are
ordered by their number in the stack (``EventRecord.seq``, commit order) where Heat
orders by time, so "after the marker, ascending" (heatclient's ``--wait``) also gives
an event that committed after the marker was read, whatever its id or timestamp.
Secrets are ``******``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from crossheat.engine.check import MARKED_UNHEALTHY
from crossheat.engine.context import LiveResource, RuntimeContext
from crossheat.engine.spec import load_spec
from crossheat.errors import ActionNotSupported, InvalidRequest, ResourceNotFound
from crossheat.redact import mask_paths, secret_leaf_paths
from crossheat.resources.registry import Registry
from crossheat.service._nestedviews import nested_detail, with_nested_stacks
from crossheat.service._stacks import resource_detail
from crossheat.store import Action, EventRecord, ResourceRecord, StackRecord, Status, Store
from crossheat.store.locks import new_engine_id
from crossheat.template import Template, resolve
from crossheat.template.values import UNKNOWN

#: Heat's filters of a resource list; any other query key is refused.
RESOURCE_FILTERS = ("name", "status", "action", "type", "id", "physical_resource_id")
#: Heat's filters of an event list (``resource_status`` is the bare status).
EVENT_FILTERS = ("resource_name", "resource_type", "resource_action", "resource_status")
#: The event sort keys Heat honours (others are dropped).
EVENT_SORT_KEYS = ("event_time", "resource_type")
#: The fields of an event in a list; showing one event gives every field.
EVENT_SUMMARY = (
    "id", "event_time", "resource_name", "logical_resource_id", "resource_status",
    "resource_status_reason", "physical_resource_id", "resource_type", "region",
)  # fmt: skip
#: Heat's reason for a mark (un)healthy that gives none.
MARK_REASON = "state changed by resource_mark_unhealthy api"
_STATUSES = ("COMPLETE", "FAILED", "IN_PROGRESS")


def split_statuses(values: Sequence[str]) -> tuple[set[str], set[str]]:
    """Heat's reading of ``status`` filters: ``CREATE_COMPLETE`` is action CREATE and
    status COMPLETE, ``FAILED`` a bare status; ``(actions, statuses)``."""
    actions: set[str] = set()
    statuses: set[str] = set()
    for value in values:
        for status in _STATUSES:
            index = value.rfind(status)
            if index != -1:
                statuses.add(value[index:])
                if index > 1:
                    actions.add(value[: index - 1])
                break
    return actions, statuses


def _time(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def event_dict(event: EventRecord) -> dict[str, Any]:
    """Every field of an event, Heat's and its region."""
    return {
        "id": str(event.id),
        "event_time": _time(event.timestamp),
        "resource_name": event.resource_name,
        "logical_resource_id": event.resource_name,
        "physical_resource_id": event.physical_id,
        "resource_status": f"{event.action}_{event.status}",
        "resource_status_reason": event.reason,
        "resource_type": event.resource_type,
        "resource_properties": {},
        "region": event.region,
    }


@dataclass
class StackResources:
    """Heat's resource and event views of ``stack`` (a record read by the caller)."""

    store: Store
    registry: Registry
    stack: StackRecord
    _rows: list[ResourceRecord] | None = field(default=None, init=False, repr=False)

    # ---- resources ----------------------------------------------------------------------

    def resources(
        self, filters: Mapping[str, Sequence[str]] | None = None, *, with_detail: bool = False
    ) -> list[dict[str, Any]]:
        """The current resources that pass ``filters`` (Heat's ``RESOURCE_FILTERS``, each
        a list of values: any may match; ``type`` matches a part of the type name)."""
        keep = _resource_filter(filters or {})
        out = []
        for record in self._current():
            if not keep(record):
                continue
            detail = self._detail(record)
            if not with_detail:
                for key in ("attributes", "description", "properties"):
                    detail.pop(key)
            else:
                detail.pop("properties")
            out.append(detail)
        return out

    def show(self, name: str, with_attr: Sequence[str] = ()) -> dict[str, Any]:
        """Heat's resource show of ``name`` (its attributes; ``with_attr``: more of those
        the cloud's view of it holds, null when it has none)."""
        record = self._named(name)
        detail = self._detail(record)
        shown = _masked(record, "attributes").get("show")
        for attribute in with_attr:
            if attribute not in detail["attributes"]:
                value = shown.get(attribute) if isinstance(shown, Mapping) else None
                detail["attributes"][attribute] = value
        return detail

    def metadata(self, name: str) -> dict[str, Any]:
        """The resource's ``metadata`` section, resolved from what is deployed (what is not
        known yet is null; secrets ``******``)."""
        record = self._named(name)
        definition = self._template.resources.get(record.name)
        if definition is None:
            return {}
        live = {
            r.name: LiveResource(r.name, r.region or "", r.physical_id, dict(r.attributes))
            for r in self._current()
        }
        value = _known(resolve(definition.metadata, RuntimeContext(live)))
        texts = self.store.secret_texts(self.stack.id) | set(self._template.hidden_values())
        masked = mask_paths(value, list(secret_leaf_paths(value, texts)))
        return masked if isinstance(masked, dict) else {}

    def mark_unhealthy(self, name: str, unhealthy: bool, reason: str | None = None) -> None:
        """Heat's mark unhealthy of ``name`` (a name or a physical id): CHECK_FAILED with the
        reason (unless it is being deleted), and the next update replaces it; ``unhealthy``
        false sets CHECK_FAILED back to CHECK_COMPLETE. ``StackLocked`` while an operation
        runs on the stack."""
        record = self._named(name, by_physical_id=True)
        engine_id = new_engine_id()
        self.store.acquire_lock(self.stack.id, Action.CHECK, engine_id)
        try:
            why = reason or MARK_REASON
            child = self.store.nested_stacks(self.stack.id).get(record.name)
            if child is not None and record.id == child.id:
                self._mark_nested(record, child, unhealthy, why)
            elif unhealthy and record.action is not Action.DELETE:
                self._mark(record, why)
            elif not unhealthy and (record.action, record.status) == (
                Action.CHECK,
                Status.FAILED,
            ):
                self._unmark(record, why)
        finally:
            self.store.release_lock(self.stack.id, engine_id)

    def _mark_nested(
        self, record: ResourceRecord, child: StackRecord, unhealthy: bool, why: str
    ) -> None:
        """A nested stack's resource (``remote``): Heat replaces the whole nested stack at
        the next update, so each resource of it, at every level (the engine's rows
        ``remote.net``...), is marked (or unmarked), and the nested stack shows it."""
        members = [
            r
            for r in self.store.flat_resources(self.stack.id)
            if r.name.startswith(f"{record.name}.") and not r.replaced_by
        ]
        if unhealthy and child.action is not Action.DELETE:
            for member in members:
                if member.action is not Action.DELETE:
                    self._mark(member, why)
            self.store.update_stack_status(child.id, Action.CHECK, Status.FAILED, why, event=True)
        elif not unhealthy and (child.action, child.status) == (Action.CHECK, Status.FAILED):
            for member in members:
                if (member.action, member.status) == (Action.CHECK, Status.FAILED):
                    self._unmark(member, why)
            self.store.update_stack_status(child.id, Action.CHECK, Status.COMPLETE, why, event=True)

    def _mark(self, record: ResourceRecord, why: str) -> None:
        self._set(record, Status.FAILED, why)
        self.store.set_progress(record.id, {MARKED_UNHEALTHY: True})

    def _unmark(self, record: ResourceRecord, why: str) -> None:
        self._set(record, Status.COMPLETE, why)
        self.store.set_progress(record.id, None)

    def signal(self, name: str, details: Any = None) -> None:
        """Signal ``name``: no type crossheat has takes signals (Heat's wait conditions,
        scaling policies and deployments are not among them), so this refuses, as Heat
        does for a type without a signal handler."""
        self._named(name)
        raise ActionNotSupported("signal is not supported for resource.")

    # ---- events -------------------------------------------------------------------------

    def events(
        self,
        *,
        resource: str | None = None,
        filters: Mapping[str, Sequence[str]] | None = None,
        sort_keys: Sequence[str] = (),
        sort_dir: str | None = None,
        marker: str | None = None,
        limit: int | None = None,
        leave_out: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """The stack's events (``resource``'s only, when given) that pass ``filters``, in
        Heat's order: newest first unless a sort key or ``sort_dir`` says otherwise; those
        after the event ``marker`` (an unknown one: from the start), at most ``limit``.
        ``leave_out``: prefixes of resource names whose events are not listed (a nested
        stack's, ``remote.``, listed as Heat lists the stack's own)."""
        wanted = {k: set(v) for k, v in (filters or {}).items() if k in EVENT_FILTERS}
        if resource is not None:
            wanted["resource_name"] = {resource}
        keys = [k for k in sort_keys if k in EVENT_SORT_KEYS]
        direction = sort_dir or ("asc" if keys else "desc")
        if direction not in ("asc", "desc"):
            raise InvalidRequest(f"Unknown sort direction {sort_dir!r}, must be 'asc' or 'desc'")
        found = [
            e
            for e in self.store.list_events(self.stack.id)
            if _event_matches(e, wanted) and not e.resource_name.startswith(tuple(leave_out))
        ]
        found.sort(key=_event_order(keys or ["event_time"]), reverse=direction == "desc")
        ids = [str(e.id) for e in found]
        if marker is not None and marker in ids:
            found = found[ids.index(marker) + 1 :]
        return [event_dict(e) for e in found[:limit]]

    def event(self, resource: str, event_id: str) -> dict[str, Any] | None:
        """Every field of one event of ``resource``; None when there is no such event."""
        for event in self.store.list_events(self.stack.id, resource_name=resource):
            if str(event.id) == event_id:
                return event_dict(event)
        return None

    # ---- helpers ------------------------------------------------------------------------

    def _current(self) -> list[ResourceRecord]:
        if self._rows is None:
            rows = [r for r in self.store.list_resources(self.stack.id) if not r.replaced_by]
            self._rows = with_nested_stacks(self.store, self.stack, rows)
        return self._rows

    @cached_property
    def _template(self) -> Template:
        return load_spec(self.stack.spec)

    @cached_property
    def _required_by(self) -> dict[str, list[str]]:
        needed: dict[str, list[str]] = {}
        for name, definition in self._template.resources.items():
            for other in definition.dependencies():
                if other != name:
                    needed.setdefault(other, []).append(name)
        return {name: sorted(names) for name, names in needed.items()}

    def _named(self, name: str, *, by_physical_id: bool = False) -> ResourceRecord:
        current = self._current()
        found = [r for r in current if r.name == name]
        if not found and by_physical_id:
            found = [r for r in current if r.physical_id and r.physical_id == name]
        if not found:
            raise ResourceNotFound(
                f"The Resource ({name}) could not be found in Stack {self.stack.name}."
            )
        return found[0]

    def _detail(self, record: ResourceRecord) -> dict[str, Any]:
        detail = resource_detail(record, self._required_by.get(record.name, []))
        nested_detail(detail, record)
        parent, dot, _ = record.name.rpartition(".")
        if dot:  # a resource of a template resource's template (flattened)
            detail["parent_resource"] = parent
        return detail

    def _set(self, record: ResourceRecord, status: Status, reason: str) -> None:
        self.store.set_resource_status(record.id, Action.CHECK, status, reason, event=True)


def _masked(record: ResourceRecord, section: str) -> dict[str, Any]:
    paths = [p[1:] for p in record.secret_paths if p[0] == section]
    value = mask_paths(getattr(record, section), paths)
    return value if isinstance(value, dict) else {}


def _known(value: Any) -> Any:
    """``value`` with every ``UNKNOWN`` (not deployed yet) as null."""
    if value is UNKNOWN:
        return None
    if isinstance(value, Mapping):
        return {k: _known(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_known(v) for v in value]
    return value


def _resource_filter(filters: Mapping[str, Sequence[str]]) -> Any:
    wanted = {k: [str(v) for v in values] for k, values in filters.items() if values}
    actions, statuses = split_statuses(wanted.pop("status", []))
    if filters.get("status"):
        wanted["status"] = sorted(statuses)
    if actions:
        wanted["action"] = sorted(set(wanted.get("action", [])) | actions)

    def keep(record: ResourceRecord) -> bool:
        fields = {
            "name": record.name,
            "status": record.status.value,
            "action": record.action.value,
            "id": record.id,
            "physical_resource_id": record.physical_id or "",
        }
        for key, values in wanted.items():
            if key == "type":
                if not any(value in record.type for value in values):
                    return False
            elif fields.get(key) not in values:
                return False
        return True

    return keep


def _event_matches(event: EventRecord, wanted: Mapping[str, set[str]]) -> bool:
    fields = {
        "resource_name": event.resource_name,
        "resource_type": event.resource_type,
        "resource_action": event.action.value,
        "resource_status": event.status.value,
    }
    return all(fields[key] in values for key, values in wanted.items())


def _event_order(keys: Sequence[str]) -> Any:
    """Sort keys of events; ``event_time`` is the stack's commit order (``seq``), which a
    timestamp, taken before the commit, may disagree with."""

    def order(event: EventRecord) -> tuple[Any, ...]:
        parts: list[Any] = [
            event.seq if key == "event_time" else event.resource_type for key in keys
        ]
        return (*parts, event.seq)

    return order
