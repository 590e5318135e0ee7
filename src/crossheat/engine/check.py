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
shown as ``******``. The reads are batched first: one list call per type and region
answers the GETs of all (``engine.batched``). An IPsec site connection that reads
``DOWN`` fails the check, named by its tunnel (``tunnels_down``).

What ``run_check`` records, for ``update --existing`` to repair:

    stack      CHECK_IN_PROGRESS -> CHECK_COMPLETE | CHECK_FAILED (reason names the drift)
    resource   CHECK_COMPLETE "in sync" (no event; not written again when it was already)
               CHECK_FAILED "deleted outside crossheat" (physical id kept; event)
               CHECK_FAILED "changed outside crossheat: name 'east-net' -> 'renamed'" (event)
               CHECK_FAILED "tunnel east_to_west <-> west_to_east is DOWN" (event; nothing
               for ``update --existing`` to reset)
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from crossheat.engine.batched import AheadRuntime, read_ahead
from crossheat.engine.compare import (
    CLOUD_CHOOSES,
    REFERENCE_KINDS,
    REGIONAL_KINDS,
    Difference,
    Resolver,
    compare,
    same,
)
from crossheat.engine.prefetch import Lookups
from crossheat.engine.protocols import Runner
from crossheat.errors import CloudError, NotSupportedError
from crossheat.redact import holds_secret
from crossheat.resources.lifecycle import ResourceContext
from crossheat.resources.registry import Registry, ResourceType
from crossheat.resources.schema import SECRET_MASK
from crossheat.resources.tunnels import CONNECTION, tunnel_pairs
from crossheat.store import Action, ResourceRecord, StackRecord, Status
from crossheat.template import Template


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


class CheckRuntime(Runner, AheadRuntime, Protocol):
    """Runs blocking calls, gives contexts whose read calls' answers are kept (``ahead``)."""

    def context(
        self,
        record: ResourceRecord,
        action: Action | None = None,
        *,
        ahead: bool = False,
        lookups: Lookups | None = None,
    ) -> ResourceContext: ...


class CheckedStack(Protocol):
    """What a check needs of an operation (``Operation`` is one)."""

    @property
    def store(self) -> DriftStore: ...
    @property
    def registry(self) -> Registry: ...
    @property
    def stack(self) -> StackRecord: ...
    @property
    def template(self) -> Template: ...
    @property
    def rt(self) -> CheckRuntime: ...
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


class DriftStatus(StrEnum):
    """Heat's resource drift statuses."""

    IN_SYNC = "IN_SYNC"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"
    NOT_CHECKED = "NOT_CHECKED"  # the type cannot be read back
    UNKNOWN = "UNKNOWN"  # the cloud could not be asked


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
    #: The status the cloud shows (an IPsec site connection's: ``ACTIVE``, ``DOWN``).
    live_status: str | None = None
    #: ``tunnel a <-> b is DOWN`` when this is an end of a tunnel that is down.
    tunnel: str = ""

    @property
    def drifted(self) -> bool:
        return self.status in (DriftStatus.MODIFIED, DriftStatus.DELETED)

    @property
    def failed(self) -> bool:
        """Whether the check fails for it: drifted, unreadable, or a tunnel down."""
        return self.status in _FAILING or bool(self.tunnel)

    @property
    def reason(self) -> str:
        """The resource status reason recorded for it."""
        if self.status is DriftStatus.DELETED:
            return DELETED_REASON
        if self.status is DriftStatus.MODIFIED:
            changed = f"{CHANGED_REASON}: " + ", ".join(str(d) for d in self.differences)
            return f"{changed}; {self.tunnel}" if self.tunnel else changed
        if self.tunnel:
            return self.tunnel
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


__all__ = [
    "CLOUD_CHOOSES", "REFERENCE_KINDS", "REGIONAL_KINDS", "Difference", "Resolver", "compare",
    "same",
]  # fmt: skip


# ---- reading the clouds --------------------------------------------------------------------


def current_records(records: Sequence[ResourceRecord]) -> list[ResourceRecord]:
    """The resources a check reads: made (a physical id) and not replaced."""
    return [r for r in records if r.physical_id and not r.replaced_by]


#: openstacksdk's list calls of the kinds ``REFERENCE_KINDS`` names, where not ``<kind>s``.
_LISTS = {"qos_policy": "qos_policies"}


def _find_reference(conn: Any, kind: str, name: str) -> str | None:
    """The id of the one ``kind`` called ``name`` (never an id: ``compare`` looks names
    up), with one list call filtered by name (no GET by id first, as ``find_<kind>``
    does); None when there is none or more than one."""
    found = list(getattr(conn.network, _LISTS.get(kind, f"{kind}s"))(name=name))
    return str(found[0].id) if len(found) == 1 else None


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


def check_resource(
    op: CheckedStack, record: ResourceRecord, kept: Lookups | None = None
) -> DriftReport:
    """Read one resource back and compare it (blocking: runs in the worker pool). With
    ``kept`` (a check's own answers: ``engine.batched``), its calls are answered from
    there, and their answers kept for the other resources (a network's name looked up)."""
    report = _ReportOf(record)
    cls = op.registry.get(record.type)
    if cls is None:
        return report(DriftStatus.NOT_CHECKED, detail=f"unknown type {record.type}")
    try:
        ctx = op.rt.context(record, ahead=kept is not None, lookups=kept)
        diffs = differences(cls(), ctx, record.properties)
        if diffs is None:
            return report(DriftStatus.DELETED)
        report = _ReportOf(record, ctx.attributes.get("status"))
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
    live_status: Any = None

    def __call__(
        self, status: DriftStatus, differences: tuple[Difference, ...] = (), detail: str = ""
    ) -> DriftReport:
        r, live = self.record, self.live_status
        return DriftReport(
            r.id, r.name, r.region, r.physical_id, r.type, status, differences, detail,
            live_status=None if live is None else str(live),
        )  # fmt: skip


#: The status of an IPsec site connection whose tunnel is down.
DOWN = "DOWN"


def tunnels_down(template: Template, reports: Sequence[DriftReport]) -> list[DriftReport]:
    """``reports`` with each IPsec site connection that reads DOWN named as an end of its
    tunnel (``tunnel east_to_west <-> west_to_east is DOWN``; a connection whose peer is
    outside the stack: ``tunnel east_to_west is DOWN``)."""
    pairs = {end.connection: (a, b) for a, b in tunnel_pairs(template) for end in (a, b)}
    out = []
    for report in reports:
        if report.resource_type == CONNECTION and report.live_status == DOWN:
            pair = pairs.get(report.resource_name)
            named = f"{pair[0].connection} <-> {pair[1].connection}" if pair else None
            text = f"tunnel {named or report.resource_name} is {DOWN}"
            report = dataclasses.replace(report, tunnel=text)
        out.append(report)
    return out


async def detect_drift(op: CheckedStack) -> list[DriftReport]:
    """Every current resource read back, at most ``op.options.concurrency`` at a time per
    region, in the store's order, after one list call per type and region answered
    what it could (``engine.batched``). Writes nothing."""
    records = current_records(await op.rt.run(op.store.list_resources, op.stack.id))
    kept = Lookups()
    await read_ahead(op.rt, op.registry, op.stack.id, records, kept)
    limits: dict[str, asyncio.Semaphore] = {}

    async def one(record: ResourceRecord) -> DriftReport:
        limit = limits.setdefault(record.region or "", asyncio.Semaphore(op.options.concurrency))
        async with limit:
            return await op.rt.run(check_resource, op, record, kept)

    reports = list(await asyncio.gather(*(one(record) for record in records)))
    return tunnels_down(op.template, reports)


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
    failed = [f"{r.resource_name}: {r.reason}" for r in reports if r.failed]
    return "Resource CHECK failed: " + "; ".join(failed) if failed else None


def record_reports(op: CheckedStack, reports: Sequence[DriftReport]) -> None:
    """Each resource's CHECK status; an event for those that failed. A resource the last
    check found in sync already (CHECK_COMPLETE, same reason) is not written again: a
    scheduled check of a stack in sync writes nothing per resource."""
    now = {
        r.id: (r.action, r.status, r.status_reason) for r in op.store.list_resources(op.stack.id)
    }
    for report in reports:
        status = Status.FAILED if report.failed else Status.COMPLETE
        if status is Status.COMPLETE and now.get(report.resource_id) == (
            Action.CHECK,
            status,
            report.reason,
        ):
            continue
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
