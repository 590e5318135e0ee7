"""Whose identity an operation acts with in each region (private to ``crossheat.service``).

A region map's ``credentials: caller`` regions act, in a server, with the API caller's
Keystone token (``crossheat.clouds.credentials``). The service checks that they can
before it records an operation (``check_caller``: a ``ConfigError``, Heat's 400), and
the engine checks again when it starts one (``refuse_without_caller``): a server
restarted in the middle of an operation has lost the token it acted with, and fails
the stack with the reason instead of acting as someone else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from crossheat.clouds.credentials import Caller
from crossheat.clouds.driver import RegionClients
from crossheat.clouds.regionmap import CALLER, RegionMap, resource_region
from crossheat.engine.stack import Operation
from crossheat.errors import ConfigError
from crossheat.store import Action, StackRecord, Status
from crossheat.template import Template

if TYPE_CHECKING:
    from crossheat.service._stacks import Stacks


def template_regions(template: Template, region_map: RegionMap) -> set[str]:
    """The regions ``template``'s resources go to."""
    return {resource_region(d.region, region_map) for d in template.resources.values()}


def check_caller(region_map: RegionMap | None, regions: Iterable[str], caller: Caller) -> None:
    """``ConfigError`` when some of ``regions`` say ``credentials: caller`` and cannot act
    as ``caller`` (no token, or their cloud uses another Keystone)."""
    if caller is None or region_map is None:
        return
    clients = RegionClients(region_map, caller=caller)
    try:
        problems = clients.caller_problems(sorted(set(regions)))
    finally:
        clients.close()
    if problems:
        raise ConfigError("\n".join(problems))


def acts_as_caller(stack: StackRecord) -> bool:
    """Whether ``stack``'s region map has ``credentials: caller`` regions."""
    regions = (stack.spec.region_map or {}).get("regions", {})
    return any(r.get("credentials") == CALLER for r in regions.values())


def caller_for(stack: StackRecord, caller: Caller) -> Caller:
    """``caller`` when ``stack``'s region map has ``credentials: caller`` regions, else
    None: what an executor is handed (a server's runs such operations itself)."""
    return caller if acts_as_caller(stack) else None


def check_stack_caller(
    stacks: Stacks, stack: StackRecord, template: Template | None = None
) -> None:
    """``check_caller`` for an operation on ``stack``: the regions it has resources in,
    and those of ``template`` (what an update makes it), with its own region map."""
    if stacks.caller is None:
        return
    region_map = stacks.region_map_of(stack)
    regions = set(stacks.store.stack_regions([stack.id]).get(stack.id, []))
    if template is not None:
        regions |= template_regions(template, region_map)
    check_caller(region_map, regions, stacks.caller)


def refuse_without_caller(op: Operation, action: Action) -> str | None:
    """Fail ``op``'s stack (``action`` FAILED, with the reason) when the regions it acts in
    include ``caller`` ones it cannot act in; the reason, or None when it can run."""
    if op.clients is None or op.clients.caller is None:
        return None
    store, stack = op.store, op.stack
    regions = op.regions() | {r.region for r in store.list_resources(stack.id) if r.region}
    problems = op.clients.caller_problems(sorted(regions))
    if not problems:
        return None
    reason = "; ".join(problems)
    store.update_stack_status(stack.id, action, Status.FAILED, reason, event=True)
    return reason
