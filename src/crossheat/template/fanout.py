"""One definition, many regions: a resource whose ``region:`` is a list becomes one
copy per region, before anything else reads the template.

    resources:
      net:
        type: OS::Neutron::Net
        region: {get_param: sites}          # [East, West] -> net[East], net[West]
        properties: {name: net-%region%}    # net-East in net[East]
      subnet:
        type: OS::Neutron::Subnet
        region: {get_param: sites}
        properties:
          network: {get_resource: net}      # net[East] in subnet[East]
          cidr: {get_param: [site_cidrs, "%region%"]}
      tunnel:
        type: OS::Neutron::IPsecSiteConnection
        region: {get_param: sites}
        peer_region: {get_param: sites}     # tunnel[East->West], tunnel[West->East]
        properties:
          vpnservice_id: {get_resource: vpn}                       # vpn[East]
          peer_address: {get_attr: ["router[%peer%]", ...]}        # router[West]

Rules, applied to the raw data (so every later pass sees plain resources):

- ``region:`` a list (literal or a function known before deploy, e.g. a
  ``comma_delimited_list`` parameter) gives the copies ``name[R]``;
  ``peer_region:`` (a region or a list) makes it one copy per pair of
  different regions, ``name[R->P]``.
- In a copy, every string has ``%region%`` replaced by its region and
  ``%peer%`` by its peer region (so ``"router[%peer%]"`` names the peer's copy).
- In a copy, ``get_resource``/``get_attr``/``depends_on`` of another
  fanned-out resource mean its copy of the same region (of the same pair when
  both are pair copies); a copy of one region reading a pair-copied resource
  gets a map of that region's pair copies, name -> value.
- Anywhere else (a plain resource, an output), a reference to a fanned-out
  resource is a map, copy name -> value, and ``depends_on`` means every copy.

Diagnostics inside a copy name the copy (``resources.subnet[East]...``) and
the line of the one definition.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from crossheat.errors import Diagnostic, TemplatePath
from crossheat.template.functions.base import (
    PlanContext,
    Scope,
    functions_in,
    resolve,
    validate_all,
)
from crossheat.template.parse import parse
from crossheat.template.values import contains_unknown

REGION: Final = "%region%"
PEER: Final = "%peer%"
PEER_KEY: Final = "peer_region"
_REFERENCES: Final = ("get_resource", "get_attr")


@dataclass(frozen=True)
class Copy:
    """One copy of a fanned-out resource: ``net[East]`` or ``tunnel[East->West]``."""

    base: str
    region: str
    peer: str | None = None

    @property
    def name(self) -> str:
        key = self.region if self.peer is None else f"{self.region}->{self.peer}"
        return f"{self.base}[{key}]"


def copies_of(base: str, regions: list[str], peers: list[str] | None) -> list[Copy]:
    """In list order; a pair of a region with itself is left out."""
    if peers is None:
        return [Copy(base, region) for region in regions]
    return [Copy(base, r, p) for r in regions for p in peers if r != p]


def _strings(value: Any, path: TemplatePath) -> Iterator[tuple[TemplatePath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _substitute(value: Any, copy: Copy) -> Any:
    if isinstance(value, str):
        value = value.replace(REGION, copy.region)
        return value.replace(PEER, copy.peer) if copy.peer is not None else value
    if isinstance(value, dict):
        return {k: _substitute(v, copy) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, copy) for v in value]
    return value


class FanOut:
    """One template's fanned-out resources; rewrites its resources and outputs."""

    def __init__(self, scope: Scope, found: list[Diagnostic]) -> None:
        self.scope = scope
        self.found = found
        #: base name -> its copies
        self.copies: dict[str, list[Copy]] = {}
        #: base name -> the marks of its definition, below it
        self.marks: dict[str, list[tuple[TemplatePath, tuple[int, int]]]] = {}
        #: the fanned-out resources copied per pair of regions
        self.paired: set[str] = set()
        #: resources whose region could not be read (reported once, here)
        self.unplaced: set[str] = set()

    def resources(self, enabled: dict[str, Any]) -> dict[str, Any]:
        """``enabled`` (name -> raw data) with each fanned-out resource replaced by its
        copies; sets ``scope.resources`` to the names that exist now."""
        for name, data in enabled.items():
            spread = self._spread(name, data)
            if spread is not None:
                self.copies[name] = copies_of(name, *spread)
        if not self.copies and not self.unplaced:
            return enabled
        out: dict[str, Any] = {}
        for name, data in enabled.items():
            if name in self.unplaced:
                data = {k: v for k, v in data.items() if k not in ("region", PEER_KEY)}
            if name not in self.copies:
                out[name] = self._rewrite(data, None, ("resources", name))
                continue
            for copy in self.copies[name]:
                self._place(copy, data, enabled, out)
        self.scope.resources = set(out)
        return out

    def outputs(self, section: Any) -> Any:
        """The outputs section with references to fanned-out resources as maps."""
        if not self.copies or not isinstance(section, dict):
            return section
        return {
            name: {**data, "value": self._rewrite(data["value"], None, ("outputs", name, "value"))}
            if isinstance(data, dict) and "value" in data
            else data
            for name, data in section.items()
        }

    # -- which copies --------------------------------------------------------------

    def _spread(self, name: str, data: dict[str, Any]) -> tuple[list[str], list[str] | None] | None:
        """(regions, peer regions or None) of a fanned-out resource, else None."""
        path: TemplatePath = ("resources", name)
        before = len(self.found)
        regions = self._regions(data.get("region"), (*path, "region"))
        has_peers = PEER_KEY in data
        peers = self._regions(data.get(PEER_KEY), (*path, PEER_KEY)) if has_peers else None
        if has_peers and "region" not in data:
            self._error(f"{PEER_KEY} needs a region: (a name or a list)", (*path, PEER_KEY))
        if len(self.found) > before:  # the resource stays one, in no particular region
            self.unplaced.add(name)
            return None
        if not has_peers and any(PEER in text for _, text in _strings(data, path)):
            self._peer_outside_pairs(data, path)
        if regions is None or (has_peers and peers is None):
            return None  # not known before deploy: the resource's own checks say so
        if not has_peers and isinstance(regions, str):
            return None  # one region: a plain resource
        as_list = [regions] if isinstance(regions, str) else regions
        peer_list = [peers] if isinstance(peers, str) else peers
        if peer_list is not None:
            self.paired.add(name)
        return as_list, peer_list

    def _peer_outside_pairs(self, data: dict[str, Any], path: TemplatePath) -> None:
        where = next(p for p, text in _strings(data, path) if PEER in text)
        hint = f"give the resource a {PEER_KEY}: (a region or a list of them)"
        self._error(f"{PEER} is only known in a copy for a pair of regions", where, hint)

    def _regions(self, value: Any, path: TemplatePath) -> str | list[str] | None:
        """A region name, a list of them, or None (none given, not known yet, or wrong:
        then reported)."""
        if value is None or isinstance(value, str):
            return value
        problems: list[Diagnostic] = []
        parsed = parse(value, path, self.scope, problems)
        problems += validate_all(parsed)
        if problems:
            self.found.extend(problems)
            return None
        resolved = resolve(parsed, PlanContext())
        needs = {name for fn in functions_in(parsed) for name in fn.dependencies()}
        if contains_unknown(resolved) and not needs:
            return None  # a parameter without a value: reported where it is declared
        if isinstance(resolved, str):
            return resolved
        if (
            needs
            or not isinstance(resolved, list)
            or not all(isinstance(r, str) and r.strip() for r in resolved)
        ):
            what = path[-1]
            self._error(f"{what} must be a region name or a list of them, known before deploy",
                        path)  # fmt: skip
            return None
        twice = sorted({r for r in resolved if resolved.count(r) > 1})
        if twice:
            self._error(f"{path[-1]} names {', '.join(twice)} more than once", path)
            return None
        return [str(r) for r in resolved]

    # -- copies --------------------------------------------------------------------

    def _place(
        self, copy: Copy, data: dict[str, Any], enabled: dict[str, Any], out: dict[str, Any]
    ) -> None:
        path: TemplatePath = ("resources", copy.name)
        if copy.name in enabled:
            message = f"copy {copy.name!r} of {copy.base} clashes with a resource of that name"
            self._error(message, ("resources", copy.base, "region"), "rename the resource")
            return
        self._mark(copy)
        raw = {k: v for k, v in data.items() if k not in ("region", PEER_KEY)}
        body = self._rewrite(_substitute(raw, copy), copy, path)
        out[copy.name] = {**body, "region": copy.region}

    def _mark(self, copy: Copy) -> None:
        """Locate the copy's paths at the one definition's lines."""
        marks = self.scope.source.marks
        own = self.marks.get(copy.base)
        if own is None:
            prefix = ("resources", copy.base)
            own = self.marks[copy.base] = [(p[2:], m) for p, m in marks.items() if p[:2] == prefix]
        for rest, mark in own:
            marks.setdefault(("resources", copy.name, *rest), mark)

    # -- references ----------------------------------------------------------------

    def _rewrite(self, value: Any, copy: Copy | None, path: TemplatePath) -> Any:
        if len(path) == 3 and path[0] == "resources" and path[2] == "depends_on":
            return self._depends_on(value, copy, path)
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, args),) = value.items()
                target = args if key == "get_resource" else None
                if key == "get_attr" and isinstance(args, list) and args:
                    target = args[0]
                if isinstance(target, str) and target in self.copies:
                    return self._reference(key, args, target, copy, (*path, key))
            return {k: self._rewrite(v, copy, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._rewrite(v, copy, (*path, i)) for i, v in enumerate(value)]
        return value

    def _depends_on(self, value: Any, copy: Copy | None, path: TemplatePath) -> Any:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list):
            return value  # reported when the resource is read
        out: list[Any] = []
        for name in names:
            if isinstance(name, str) and name in self.copies:
                out += [c.name for c in self._targets(name, copy, path)]
            else:
                out.append(name)
        return out

    def _reference(
        self, key: str, args: Any, target: str, copy: Copy | None, path: TemplatePath
    ) -> Any:
        rest = self._rewrite(args[1:], copy, path) if key == "get_attr" else []

        def ref(name: str) -> dict[str, Any]:
            return {key: [name, *rest] if key == "get_attr" else name}

        chosen = self._targets(target, copy, path)
        exact = copy is not None and (target not in self.paired or copy.peer is not None)
        if exact and len(chosen) == 1:
            return ref(chosen[0].name)
        return {c.name: ref(c.name) for c in chosen}

    def _targets(self, target: str, copy: Copy | None, path: TemplatePath) -> list[Copy]:
        """The copies of ``target`` a reference from ``copy`` (None: from no copy) means."""
        every = self.copies[target]
        if copy is None:
            return every
        if target in self.paired and copy.peer is None:
            return [c for c in every if c.region == copy.region]  # a map, maybe empty
        same = [c for c in every if (c.region, c.peer) == (copy.region, copy.peer)]
        if not same:
            same = [c for c in every if c.region == copy.region and c.peer is None]
        if not same:
            regions = ", ".join(dict.fromkeys(c.region for c in every)) or "none"
            where = copy.region if copy.peer is None else f"{copy.region}->{copy.peer}"
            message = f"{target} has no copy for {where} (its regions: {regions})"
            hint = f"name a copy, e.g. {target}[{REGION}] or {target}[{PEER}]"
            self._error(message, path, hint)
        return same

    def _error(self, message: str, path: TemplatePath, hint: str | None = None) -> None:
        self.found.append(
            Diagnostic(message, path, self.scope.source.locate(path), hint, code="fan-out")
        )
