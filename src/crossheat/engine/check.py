"""Drift detection: read every resource of a stack back from its cloud and compare.

    reports = await detect_drift(op)      # read only: nothing is written
    reports = await run_check(op)         # and recorded as Heat's CHECK action

For each current resource (a physical id, not replaced) the type's ``read``
says whether it still exists and ``live_properties_for`` what its properties are
now, in the template's terms (a server's ports and floating IPs mapped to its
``networks`` entries, see ``nova_server.live_networks``). Those are compared
with the stored resolved properties, only where the cloud answered and the
template asked for a value (a property left to the cloud's choice cannot
drift). Representation differences are not drift: list order, ``""`` vs ``null``, ``"4"`` vs ``4``,
``10.1.0.0/24`` written differently, a network's name vs its id, a server's
``flavor: small`` (a logical name the region map translates, or an id) vs the
region's ``m1.small`` that Nova shows. When in doubt the value counts as in
sync: a false drift report is worse than a missed one. Secret values are
shown as ``******``.

What ``run_check`` records, for ``update --existing`` to repair:

    stack      CHECK_IN_PROGRESS -> CHECK_COMPLETE | CHECK_FAILED (reason names the drift)
    resource   CHECK_COMPLETE "in sync" (no event)
               CHECK_FAILED "deleted outside crossheat" (physical id kept; event)
               CHECK_FAILED "changed outside crossheat: name 'east-net' -> 'renamed'" (event)
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from crossheat.engine.protocols import Runner
from crossheat.errors import CloudError, NotSupportedError
from crossheat.redact import holds_secret
from crossheat.resources.constraints import CustomConstraint
from crossheat.resources.lifecycle import ResourceContext, looks_like_id
from crossheat.resources.registry import Registry, ResourceType
from crossheat.resources.schema import SECRET_MASK, Property, Schema, mask_secrets
from crossheat.store import Action, ResourceRecord, StackRecord, Status


class DriftStore(Protocol):
    """The store methods a check uses."""

    def list_resources(self, stack_id: str) -> list[ResourceRecord]: ...

    def secret_texts(self, stack_id: str) -> set[str]: ...

    def set_resource_status(
        self,
        resource_id: str,
        action: Action,
        status: Status,
        reason: str = "",
        *,
        physical_id: str | None = None,
        event: bool = False,
    ) -> object: ...


class Limits(Protocol):
    @property
    def concurrency(self) -> int: ...


class CheckedStack(Protocol):
    """What a check needs of an operation (``Operation`` is one)."""

    @property
    def store(self) -> DriftStore: ...
    @property
    def registry(self) -> Registry: ...
    @property
    def stack(self) -> StackRecord: ...
    @property
    def rt(self) -> Runner: ...
    @property
    def options(self) -> Limits: ...

    def stack_status(self, action: Action, status: Status, reason: str) -> None: ...

    def timeout(self) -> float: ...


#: Resource status reasons that ``update --existing`` acts on.
DELETED_REASON = "deleted outside crossheat"
#: The key of a resource's ``progress`` that says a user marked it unhealthy (Heat's mark
#: unhealthy): while it is CHECK_FAILED, the next update replaces it.
MARKED_UNHEALTHY = "marked_unhealthy"
CHANGED_REASON = "changed outside crossheat"
#: Stored values that leave the choice to the cloud (a subnet's ``gateway_ip: auto``).
CLOUD_CHOOSES = frozenset({"auto", "~"})
#: Custom constraints naming a Neutron resource -> openstacksdk's ``find_<kind>``.
REFERENCE_KINDS = {
    "neutron.network": "network",
    "neutron.subnet": "subnet",
    "neutron.router": "router",
    "neutron.port": "port",
    "neutron.security_group": "security_group",
    "neutron.qos_policy": "qos_policy",
    "neutron.subnetpool": "subnet_pool",
}
#: Custom constraints naming what the region map translates -> the kind ``resolve`` takes.
#: The cloud shows the region's own name; the template may give a logical name or an id.
REGIONAL_KINDS = {"nova.flavor": "flavor", "glance.image": "image"}

#: ``(kind, name) -> id`` (for ``flavor``/``image``: logical name or id -> the region's own
#: name), or ``None`` when the name cannot be looked up.
Resolver = Callable[[str, str], str | None]


class DriftStatus(StrEnum):
    """Heat's resource drift statuses."""

    IN_SYNC = "IN_SYNC"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"
    NOT_CHECKED = "NOT_CHECKED"  # the type cannot be read back
    UNKNOWN = "UNKNOWN"  # the cloud could not be asked


@dataclass(frozen=True)
class Difference:
    """One property (``external_gateway_info.network`` for a nested one) that drifted."""

    property: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        return f"{self.property} {self.expected!r} -> {self.actual!r}"


@dataclass(frozen=True)
class DriftReport:
    """What the check found for one resource; ``resource_id`` is the store's row id."""

    resource_id: str
    resource_name: str
    region: str | None
    physical_resource_id: str | None
    resource_type: str
    status: DriftStatus
    differences: tuple[Difference, ...] = ()
    detail: str = ""

    @property
    def drifted(self) -> bool:
        return self.status in (DriftStatus.MODIFIED, DriftStatus.DELETED)

    @property
    def reason(self) -> str:
        """The resource status reason recorded for it."""
        if self.status is DriftStatus.DELETED:
            return DELETED_REASON
        if self.status is DriftStatus.MODIFIED:
            return f"{CHANGED_REASON}: " + ", ".join(str(d) for d in self.differences)
        if self.status is DriftStatus.IN_SYNC:
            return "in sync"
        return self.detail

    @property
    def changed_properties(self) -> set[str]:
        """Top-level names of the drifted properties (what an in-place repair resets)."""
        return {d.property.split(".", 1)[0] for d in self.differences}

    def as_dict(self) -> dict[str, Any]:
        return {
            "resource_name": self.resource_name,
            "region": self.region,
            "physical_resource_id": self.physical_resource_id or "",
            "resource_type": self.resource_type,
            "status": self.status.value,
            "differences": [
                {"property": d.property, "expected": d.expected, "actual": d.actual}
                for d in self.differences
            ],
            "reason": self.reason,
        }


def recorded_drift(record: ResourceRecord) -> DriftStatus | None:
    """What the last check recorded on ``record``: DELETED, MODIFIED, or None (no drift
    recorded, or another action ran since)."""
    if record.action is not Action.CHECK or record.status is not Status.FAILED:
        return None
    if record.status_reason == DELETED_REASON:
        return DriftStatus.DELETED
    if record.status_reason.startswith(CHANGED_REASON):
        return DriftStatus.MODIFIED
    return None


# ---- comparison ----------------------------------------------------------------------------


def _no_lookup(kind: str, name: str) -> str | None:
    return None


def compare(
    schema: Schema,
    expected: Mapping[str, Any],
    actual: Mapping[str, Any],
    *,
    physical_name: str,
    resolve: Resolver = _no_lookup,
) -> list[Difference]:
    """The properties of ``actual`` (live) that differ from ``expected`` (stored), masked.

    A ``name`` that is absent or ``None`` on either side stands for ``physical_name``
    (Heat's default name). Properties ``actual`` does not have are not compared.
    """
    out: list[Difference] = []
    for name in sorted(actual):
        want, live = expected.get(name), actual[name]
        if name == "name":
            want, live = want or physical_name, live or physical_name
        _diff(schema.get(name), want, live, name, out, resolve)
    return out


def _diff(
    prop: Property | None, want: Any, live: Any, path: str, out: list[Difference], resolve: Resolver
) -> None:
    if want is None or (isinstance(want, str) and want in CLOUD_CHOOSES):
        return
    if isinstance(want, Mapping) and isinstance(live, Mapping) and prop and prop.schema:
        for key in sorted(want.keys() & live.keys()):
            _diff(prop.schema.get(key), want[key], live[key], f"{path}.{key}", out, resolve)
        return
    if not same(prop, want, live, resolve):
        out.append(Difference(path, _masked(prop, want), _masked(prop, live)))


def _masked(prop: Property | None, value: Any) -> Any:
    return value if prop is None else mask_secrets({"v": prop}, {"v": value})["v"]


def same(prop: Property | None, want: Any, live: Any, resolve: Resolver = _no_lookup) -> bool:
    """True when ``live`` is ``want`` as the cloud shows it (see the module doc)."""
    if isinstance(want, list) and isinstance(live, list):
        return _same_list(prop.items if prop else None, want, live, resolve)
    if isinstance(want, Mapping) and isinstance(live, Mapping):
        return _same_map(prop.schema if prop else None, want, live, resolve)
    return _same_scalar(prop, want, live, resolve)


def _same_list(item: Property | None, want: list[Any], live: list[Any], resolve: Resolver) -> bool:
    """Equal as multisets: every wanted item matches a distinct live one, in any order."""
    if len(want) != len(live):
        return False
    left = list(live)
    for wanted in want:
        match = next((i for i, got in enumerate(left) if same(item, wanted, got, resolve)), None)
        if match is None:
            return False
        del left[match]
    return True


def _same_map(
    schema: Schema | None, want: Mapping[str, Any], live: Mapping[str, Any], resolve: Resolver
) -> bool:
    """With a schema, only the keys both sides have and ``want`` sets; else every key."""
    if schema is None:
        keys = want.keys() | live.keys()
        return all(same(None, want.get(k), live.get(k), resolve) for k in keys)
    keys = {k for k in want.keys() & live.keys() if want[k] is not None}
    return all(same(schema.get(k), want[k], live[k], resolve) for k in keys)


def _same_scalar(prop: Property | None, want: Any, live: Any, resolve: Resolver) -> bool:
    if want == live or (want in ("", None) and live in ("", None)):
        return True
    if isinstance(want, bool) or isinstance(live, bool):
        return str(want).lower() == str(live).lower()
    scalars = str | int | float
    if isinstance(want, scalars) and isinstance(live, scalars) and str(want) == str(live):
        return True
    if not (isinstance(want, str) and isinstance(live, str)):
        return False
    return _same_address(want, live) or _same_reference(prop, want, live, resolve)


def _same_address(want: str, live: str) -> bool:
    """One address or network written two ways: ``fe80::1`` and ``FE80:0::1``."""
    try:
        return ipaddress.ip_address(want) == ipaddress.ip_address(live)
    except ValueError:
        pass
    try:
        return ipaddress.ip_network(want, strict=False) == ipaddress.ip_network(live, strict=False)
    except ValueError:
        return False


def _same_reference(prop: Property | None, want: str, live: str, resolve: Resolver) -> bool:
    """A name and an id of the same Neutron resource, or a flavor or image the template
    names as the region knows it; a name that cannot be looked up cannot be compared, so
    it counts as the same."""
    kind = _reference_kind(prop)
    if kind is None:
        return False
    if kind in REGIONAL_KINDS.values():
        found = resolve(kind, want)
        return found is None or found == live
    if looks_like_id(want) == looks_like_id(live):
        return False
    name, id_ = (live, want) if looks_like_id(want) else (want, live)
    found = resolve(kind, name)
    return found is None or found == id_


def _reference_kind(prop: Property | None) -> str | None:
    for constraint in prop.constraints if prop else ():
        if isinstance(constraint, CustomConstraint):
            kind = REFERENCE_KINDS.get(constraint.name) or REGIONAL_KINDS.get(constraint.name)
            if kind is not None:
                return kind
    return None


# ---- reading the clouds --------------------------------------------------------------------


def current_records(records: Sequence[ResourceRecord]) -> list[ResourceRecord]:
    """The resources a check reads: made (a physical id) and not replaced."""
    return [r for r in records if r.physical_id and not r.replaced_by]


def _find_reference(conn: Any, kind: str, name: str) -> str | None:
    found = getattr(conn.network, f"find_{kind}")(name, ignore_missing=True)
    return None if found is None else str(found.id)


def _find_regional(conn: Any, kind: str, name: str) -> str | None:
    proxy = conn.compute if kind == "flavor" else conn.image
    found = getattr(proxy, f"find_{kind}")(name, ignore_missing=True)
    return None if found is None or not found.name else str(found.name)


def _resolver(ctx: ResourceContext) -> Resolver:
    """Looks names up in ``ctx``'s region (a flavor or image as the region map names it
    there); an ambiguous or failing lookup answers None."""
    regional = {"flavor": ctx.resolve_flavor, "image": ctx.resolve_image}

    def resolve(kind: str, name: str) -> str | None:
        try:
            if kind in regional:
                return ctx.call(_find_regional, kind, regional[kind](name))
            return ctx.call(_find_reference, kind, name)
        except CloudError:
            return None

    return resolve


def differences(
    plugin: ResourceType, ctx: ResourceContext, stored: Mapping[str, Any]
) -> list[Difference] | None:
    """How the resource of ``ctx`` now differs from its ``stored`` properties (``None``
    when it is gone), names looked up in its region. Blocking; raises ``CloudError``,
    and ``NotSupportedError`` for a type that cannot be read back."""
    live = None if plugin.read(ctx) is None else plugin.live_properties_for(ctx, stored)
    if live is None:
        return None
    schema = type(plugin).properties_schema
    return compare(schema, stored, live, physical_name=ctx.physical_name, resolve=_resolver(ctx))


def check_resource(op: CheckedStack, record: ResourceRecord) -> DriftReport:
    """Read one resource back and compare it (blocking: runs in the worker pool)."""
    report = _ReportOf(record)
    cls = op.registry.get(record.type)
    if cls is None:
        return report(DriftStatus.NOT_CHECKED, detail=f"unknown type {record.type}")
    try:
        diffs = differences(cls(), op.rt.context(record), record.properties)
        if diffs is None:
            return report(DriftStatus.DELETED)
    except NotSupportedError as exc:
        return report(DriftStatus.NOT_CHECKED, detail=f"not checked: {exc}")
    except CloudError as exc:
        return report(DriftStatus.UNKNOWN, detail=f"could not be read: {type(exc).__name__}: {exc}")
    texts = op.store.secret_texts(op.stack.id)
    diffs = [_without_secrets(d, texts) for d in diffs]
    return report(DriftStatus.MODIFIED if diffs else DriftStatus.IN_SYNC, tuple(diffs))


def _without_secrets(difference: Difference, texts: Collection[str]) -> Difference:
    """``difference`` with each side that holds a secret text shown as ``******``."""
    expected, actual = (
        SECRET_MASK if holds_secret(v, texts) else v
        for v in (difference.expected, difference.actual)
    )
    return Difference(difference.property, expected, actual)


@dataclass(frozen=True)
class _ReportOf:
    record: ResourceRecord

    def __call__(
        self, status: DriftStatus, differences: tuple[Difference, ...] = (), detail: str = ""
    ) -> DriftReport:
        r = self.record
        return DriftReport(
            r.id, r.name, r.region, r.physical_id, r.type, status, differences, detail
        )


async def detect_drift(op: CheckedStack) -> list[DriftReport]:
    """Every current resource read back, at most ``op.options.concurrency`` at a time per
    region, in the store's order. Writes nothing."""
    records = current_records(await op.rt.run(op.store.list_resources, op.stack.id))
    limits: dict[str, asyncio.Semaphore] = {}

    async def one(record: ResourceRecord) -> DriftReport:
        limit = limits.setdefault(record.region or "", asyncio.Semaphore(op.options.concurrency))
        async with limit:
            return await op.rt.run(check_resource, op, record)

    return list(await asyncio.gather(*(one(record) for record in records)))


# ---- recording -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """The reports, and the stack status and reason that were recorded."""

    reports: list[DriftReport]
    status: Status
    reason: str

    @property
    def ok(self) -> bool:
        return self.status is Status.COMPLETE


_FAILING = (DriftStatus.MODIFIED, DriftStatus.DELETED, DriftStatus.UNKNOWN)


def failure_reason(reports: Sequence[DriftReport]) -> str | None:
    """Heat-style stack reason naming each drifted (or unreadable) resource, or None."""
    failed = [f"{r.resource_name}: {r.reason}" for r in reports if r.status in _FAILING]
    return "Resource CHECK failed: " + "; ".join(failed) if failed else None


def record_reports(op: CheckedStack, reports: Sequence[DriftReport]) -> None:
    """Each resource's CHECK status; an event for those that failed."""
    for report in reports:
        status = Status.FAILED if report.status in _FAILING else Status.COMPLETE
        op.store.set_resource_status(
            report.resource_id, Action.CHECK, status, report.reason,
            event=status is Status.FAILED,
        )  # fmt: skip


async def run_check(op: CheckedStack) -> CheckResult:
    """Heat's CHECK: ``CHECK_IN_PROGRESS``, read every resource, record what was found,
    then ``CHECK_COMPLETE`` (no drift) or ``CHECK_FAILED``. The caller holds the lock (a
    stack marked CHECK_IN_PROGRESS when the check was asked for is not marked again)."""
    if (op.stack.action, op.stack.status) != (Action.CHECK, Status.IN_PROGRESS):
        await op.rt.run(op.stack_status, Action.CHECK, Status.IN_PROGRESS, "Stack CHECK started")
    try:
        reports = await asyncio.wait_for(detect_drift(op), op.timeout())
    except TimeoutError:
        reason = f"Stack CHECK timed out after {op.timeout() / 60:g} min"
        await op.rt.run(op.stack_status, Action.CHECK, Status.FAILED, reason)
        return CheckResult([], Status.FAILED, reason)
    await op.rt.run(record_reports, op, reports)
    failure = failure_reason(reports)
    status = Status.COMPLETE if failure is None else Status.FAILED
    reason = failure or "Stack CHECK completed successfully"
    await op.rt.run(op.stack_status, Action.CHECK, status, reason)
    return CheckResult(reports, status, reason)
