"""What an update changes: each resource added, updated in place, replaced, deleted or unchanged.

The diff compares each resource's properties, resolved against what the
stack holds now, with the properties stored when it was last created or
updated. Nothing is read from a cloud: an unchanged resource costs no API
call. A change travels only along real references, in dependency order:

- a replaced resource gets a new id and new attributes, so what reads it
  (``get_resource``/``get_attr``) sees an unknown new value, and what merely
  ``depends_on`` it is replaced with it (it was built on the old one);
- an in-place update keeps the id, so only ``get_attr`` readers see a change;
- a property that changed is updated in place when its type allows
  (``update_allowed``), else the resource is replaced.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from crossheat.engine.context import LiveResource, RuntimeContext
from crossheat.graph import Graph
from crossheat.redact import Path
from crossheat.resources.dependencies import dependency_graph
from crossheat.resources.registry import Registry, ResourceType
from crossheat.resources.schema import SECRET_MASK, canonical_path
from crossheat.store import ResourceRecord
from crossheat.template import Template
from crossheat.template.taint import resolve_tainted
from crossheat.template.values import UNKNOWN, contains_unknown


class Change(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    REPLACED = "replaced"
    DELETED = "deleted"
    UNCHANGED = "unchanged"


@dataclass
class ResourceChange:
    name: str
    type: str
    region: str
    change: Change
    #: property -> (old, new); new is None when known only during the update.
    properties: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "resource_name": self.name,
            "resource_type": self.type,
            "region": self.region,
            "reason": self.reason,
            "changes": [
                {"property": key, "old": old, "new": new}
                for key, (old, new) in sorted(self.properties.items())
            ],
        }


@dataclass
class Diff:
    changes: dict[str, ResourceChange]

    def of(self, change: Change) -> list[ResourceChange]:
        return [c for c in self.changes.values() if c.change is change]

    @property
    def touches_cloud(self) -> bool:
        return any(c.change is not Change.UNCHANGED for c in self.changes.values())

    def preview(self) -> dict[str, Any]:
        """Heat's update preview: added, updated, replaced, deleted, unchanged (+ per region)."""
        out: dict[str, Any] = {kind.value: [c.as_dict() for c in self.of(kind)] for kind in Change}
        regions: dict[str, dict[str, list[str]]] = {}
        for c in self.changes.values():
            regions.setdefault(c.region, {k.value: [] for k in Change})[c.change.value].append(
                c.name
            )
        out["regions"] = dict(sorted(regions.items()))
        return out


class _DiffContext(RuntimeContext):
    """Current values, except what the update will change: those are UNKNOWN."""

    def __init__(
        self,
        live: Mapping[str, LiveResource],
        replaced: set[str],
        updated: set[str],
        nested_ids: Mapping[str, str] | None = None,
    ):
        super().__init__(live, nested_ids=nested_ids)
        self.replaced, self.updated = replaced, updated

    def get_resource(self, name: str) -> Any:
        return UNKNOWN if name in self.replaced else super().get_resource(name)

    def get_attr(self, name: str, path: Any) -> Any:
        if name in self.replaced or name in self.updated:
            return UNKNOWN
        return super().get_attr(name, path)


def _secret_properties(
    cls: type[ResourceType], record: ResourceRecord, paths: list[Path], new: Mapping[str, Any]
) -> set[str]:
    """Names of the properties to mask: secret ones, sealed before, tainted now."""
    secret = {k for k, p in cls.properties_schema.items() if p.secret}
    secret |= {str(p[1]) for p in record.secret_paths if p[0] == "properties" and len(p) > 1}
    for path in paths:
        found = canonical_path(cls.properties_schema, path)
        secret |= {str(found[0])} if found else set(new)
    return secret


def _mask(value: Any, secret: bool) -> Any:
    return SECRET_MASK if secret and value is not None else value


@dataclass(frozen=True)
class Drift:
    """What ``stack check`` found: resources gone from their cloud, properties changed there;
    and the resources a user marked unhealthy (Heat's mark unhealthy), to be replaced."""

    deleted: frozenset[str] = frozenset()
    changed: Mapping[str, frozenset[str]] = field(default_factory=dict)
    unhealthy: frozenset[str] = frozenset()


def diff(
    template: Template,
    records: Mapping[str, ResourceRecord],
    registry: Registry,
    region_of: Mapping[str, str],
    drift: Drift | None = None,
    texts: Collection[str] = (),
    nested_ids: Mapping[str, str] | None = None,
) -> Diff:
    """How ``records`` (the stack now) must change to become ``template``.

    With ``drift``, resources deleted outside crossheat are recreated, properties
    changed outside it are set back (``stack update --existing`` after ``stack check``)
    and resources marked unhealthy are replaced, as Heat does.
    Secret values (secret properties, what hidden parameters or the secret ``texts``
    reached, before or after) are shown as ``******``.
    """
    drift = drift or Drift()
    graph = dependency_graph(template)
    live = {
        n: LiveResource(n, r.region or "", r.physical_id, dict(r.attributes))
        for n, r in records.items()
    }
    replaced: set[str] = set()
    updated: set[str] = set()
    ctx = _DiffContext(live, replaced, updated, nested_ids)
    changes: dict[str, ResourceChange] = {}
    for name in graph.topological_order():
        change = _one(
            template, name, records.get(name), registry, region_of[name], ctx, graph, texts
        )
        _repair(change, drift, registry, records.get(name))
        changes[name] = change
        if change.change in (Change.REPLACED, Change.ADDED):
            replaced.add(name)
        elif change.change is Change.UPDATED:
            updated.add(name)
    for name, record in records.items():
        if name not in template.resources:
            changes[name] = ResourceChange(
                name,
                record.type,
                record.region or "",
                Change.DELETED,
                reason="not in the new template",
            )
    return Diff(changes)


def _repair(
    change: ResourceChange, drift: Drift, registry: Registry, record: ResourceRecord | None
) -> None:
    """Fold what a check found into ``change``: properties changed outside crossheat are
    set back in place, or by replacing the resource when its type cannot set them so."""
    if change.change in (Change.ADDED, Change.REPLACED):
        return
    if change.name in drift.deleted:
        change.change, change.reason = Change.REPLACED, "deleted outside crossheat: recreate"
    elif change.name in drift.unhealthy:
        change.change, change.reason = Change.REPLACED, "marked unhealthy: replace"
    elif change.name in drift.changed:
        props = sorted(drift.changed[change.name])
        cls = registry.get(change.type)
        replace = _not_reset_in_place(cls, record, set(props)) if cls and record else set()
        change.change = Change.REPLACED if replace else Change.UPDATED
        change.reason = f"changed outside crossheat: reset {', '.join(props)}"
        if replace:
            change.reason += f" ({', '.join(sorted(replace))} cannot change in place)"
        for prop in props:
            change.properties.setdefault(prop, (None, None))


def _not_reset_in_place(
    cls: type[ResourceType], record: ResourceRecord, drifted: set[str]
) -> set[str]:
    """The ``drifted`` properties ``cls`` cannot set back in place (a server's networks):
    those its update rules replace for, going to the stored values from anything else."""
    stored = dict(record.properties)
    unset = {key: value for key, value in stored.items() if key not in drifted}
    return cls.classify_update(unset, stored)[1] & drifted


def _one(
    template: Template,
    name: str,
    record: ResourceRecord | None,
    registry: Registry,
    region: str,
    ctx: _DiffContext,
    graph: Graph[str],
    texts: Collection[str],
) -> ResourceChange:
    definition = template.resources[name]
    base = ResourceChange(name, definition.type, region, Change.UNCHANGED)
    if record is None or (record.physical_id is None and record.action.value == "INIT"):
        base.change, base.reason = Change.ADDED, "new in the template"
        return base
    if record.action.value in ("INIT", "CREATE") and record.status.value != "COMPLETE":
        base.change, base.reason = Change.ADDED, "its creation did not finish"
        return base
    if record.type != definition.type or (record.region or "") != region:
        base.change = Change.REPLACED
        base.reason = "type or region changed"
        return base
    cls = registry.get(definition.type)
    if cls is None:
        return base
    value, paths = resolve_tainted(definition.properties, ctx, texts)
    new = cls.with_defaults(value if isinstance(value, dict) else {})
    old = dict(record.properties)
    in_place, replace = cls.classify_update(old, new)
    secret = _secret_properties(cls, record, paths, new)
    base.properties = {
        k: (_mask(old.get(k), k in secret),
            None if contains_unknown(new.get(k)) else _mask(new.get(k), k in secret))
        for k in in_place | replace
    }  # fmt: skip
    followed = sorted(set(definition.depends_on) & ctx.replaced)
    if replace or followed:
        base.change = Change.REPLACED
        base.reason = (
            f"{', '.join(sorted(replace))} cannot change in place"
            if replace
            else f"depends on {', '.join(followed)}, which is replaced"
        )
    elif in_place:
        base.change = Change.UPDATED
        base.reason = f"{', '.join(sorted(in_place))} change in place"
    return base
