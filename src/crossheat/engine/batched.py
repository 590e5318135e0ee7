"""A check's reads, batched: one list call per resource type and region, not a GET each.

Before a check reads its resources back one by one, every (region, type) group asks its
type's ``read_ahead`` for the answers of the calls the reads will make, got with a list
call (filtered by the stack's tag where Neutron can). Those answers are kept in the
check's own ``Lookups`` (``engine.prefetch``; never the operation's, whose later polls
must see the cloud as it is then), so the per-resource ``read`` and
``live_properties_for`` find them instead of calling; a resource the list left out (it
is gone) is read as usual, which confirms it. Two types needing the same list (a
region's ports) share one call: the list calls are themselves kept.

    kept = Lookups()
    await read_ahead(runtime, registry, stack_id, records, kept)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from crossheat.engine.prefetch import Lookups, call_key
from crossheat.errors import CloudError
from crossheat.resources.lifecycle import CloudCaller
from crossheat.resources.registry import Registry
from crossheat.store import ResourceRecord

T = TypeVar("T")
log = logging.getLogger(__name__)


class AheadRuntime(Protocol):
    """What the batched reads need of an operation's runtime (``engine.actions.Runtime``)."""

    async def run(self, fn: Callable[..., T], *args: Any) -> T: ...

    def caller(
        self,
        record: ResourceRecord,
        once: bool = False,
        ahead: bool = False,
        lookups: Lookups | None = None,
    ) -> CloudCaller: ...


def groups_of(records: Sequence[ResourceRecord]) -> dict[tuple[str, str], list[ResourceRecord]]:
    """The records with a physical id by (region, type), in the store's order."""
    groups: dict[tuple[str, str], list[ResourceRecord]] = {}
    for record in records:
        if record.physical_id:
            groups.setdefault((record.region or "", record.type), []).append(record)
    return groups


def _one_group(
    rt: AheadRuntime,
    registry: Registry,
    stack_id: str,
    records: list[ResourceRecord],
    kept: Lookups,
) -> int:
    cls = registry.get(records[0].type)
    if cls is None:
        return 0
    call = rt.caller(records[0], ahead=True, lookups=kept)
    region = records[0].region or ""
    try:
        answers = cls.read_ahead(call, stack_id, [str(r.physical_id) for r in records])
    except CloudError as exc:  # each resource is read on its own, and meets the error
        log.debug("%s in %s: batched read failed: %s", cls.type_name, region, exc)
        return 0
    for fn, args, kwargs, answer in answers:
        key = call_key(region, fn, args, kwargs)
        if key is not None:
            kept.keep(key, answer)
    return len(answers)


async def read_ahead(
    rt: AheadRuntime,
    registry: Registry,
    stack_id: str,
    records: Sequence[ResourceRecord],
    kept: Lookups,
) -> int:
    """Make every group's list calls at once, keeping the answers in ``kept``; how many
    answers were kept."""
    groups = groups_of(records).values()
    counts = await asyncio.gather(
        *(rt.run(_one_group, rt, registry, stack_id, group, kept) for group in groups)
    )
    return sum(counts)
