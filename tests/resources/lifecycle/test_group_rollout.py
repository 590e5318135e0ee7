"""OS::Heat::ResourceGroup's operations, step by step against the emulator: batches as
Heat makes them, a crash anywhere resumed from the recorded progress, a failed update
undone. Every cloud call the group makes is logged, in order, with its time."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from crossheat.errors import CloudConflict, ResourceFailed
from crossheat.resources.lifecycle import STACK_TAG, ResourceContext
from crossheat.resources.types.resource_group import ResourceGroup
from tests.resources.lifecycle.conftest import MakeCtx, run
from tests.resources.lifecycle.helpers import create, delete, update


class Crash(BaseException):
    """The engine dying: nothing after it runs (not an error a step could catch)."""


@dataclass
class Cloud:
    """A context's calls, logged ``(time, call, the id it is about or the name it gives)``.

    ``fail_on`` makes one call fail once, ``crash_after`` one crash once it was made;
    ``saved`` is the progress as the engine last recorded it."""

    ctx: ResourceContext
    log: list[tuple[float, str, Any]] = field(default_factory=list)
    fail_on: tuple[str, Any] | None = None
    crash_after: tuple[str, Any] | None = None
    saved: dict[str, Any] = field(default_factory=dict)

    def calls(self, *names: str) -> list[tuple[str, Any]]:
        return [(call, what) for _, call, what in self.log if call in names]

    def time_of(self, call: str, what: Any) -> float:
        return next(t for t, c, w in self.log if (c, w) == (call, what))


def watched(ctx: ResourceContext) -> Cloud:
    cloud = Cloud(ctx)
    real = ctx.call

    def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        name = args[0] if args and isinstance(args[0], str) else getattr(fn, "__name__", "?")
        what = args[1] if len(args) > 1 else kwargs.get("name")
        if cloud.fail_on == (name, what):
            cloud.fail_on = None
            raise CloudConflict(f"{name} {what} refused")
        result = real(fn, *args, **kwargs)
        cloud.log.append((time.monotonic(), name, what))
        if cloud.crash_after == (name, what):
            cloud.crash_after = None
            raise Crash()
        return result

    def save() -> None:
        cloud.saved = copy.deepcopy(ctx.progress)

    ctx.call, ctx.save_progress = call, save
    return cloud


def nets(count: int, name: str = "rg-%index%") -> dict[str, Any]:
    definition = {"type": "OS::Neutron::Net", "properties": {"name": name}}
    return {"count": count, "resource_def": definition}


def servers(count: int, flavor: str = "small") -> dict[str, Any]:
    server = {"name": "web-%index%", "image": "linux", "flavor": flavor, "networks": []}
    return {"count": count, "resource_def": {"type": "OS::Nova::Server", "properties": server}}


def tagged(ctx: ResourceContext, kind: str) -> dict[str, str]:
    """This test stack's networks or servers in the emulator: id -> name."""
    if kind == "networks":
        tag = f"{STACK_TAG}={ctx.stack_id}"
        found = ctx.call(lambda c: list(c.network.networks(tags=tag)))
        return {n.id: n.name for n in found}
    found = ctx.call(lambda c: list(c.compute.servers()))
    return {s.id: s.name for s in found if (s.metadata or {}).get(STACK_TAG) == ctx.stack_id}


def test_batch_create_makes_max_batch_size_members_at_a_time_pause_time_apart(
    make_ctx: MakeCtx,
) -> None:
    ctx = make_ctx("web", "West")
    ctx.update_policy = {"batch_create": {"max_batch_size": 2, "pause_time": 1.0}}
    cloud = watched(ctx)
    group = ResourceGroup()
    create(group, ctx, servers(3))
    made = cloud.calls("create_server")
    assert made == [("create_server", f"web-{i}") for i in range(3)]
    first, second, third = (cloud.time_of(*call) for call in made)
    # One batch, then (the first batch ACTIVE, then the pause) the next: margins wide
    # enough for a loaded machine.
    assert second - first < 0.6
    assert third - second > 1.0 + 0.25
    assert len(tagged(ctx, "servers")) == 3
    delete(group, ctx)


def test_rolling_update_changes_the_highest_indices_first_in_batches(make_ctx: MakeCtx) -> None:
    ctx = make_ctx("roll", "East")
    group = ResourceGroup()
    create(group, ctx, nets(4))
    ids = list(ctx.attributes["refs"])
    ctx.update_policy = {"rolling_update": {"max_batch_size": 2, "pause_time": 0.3}}
    cloud = watched(ctx)
    update(group, ctx, nets(4), nets(4, name="new-%index%"))
    renamed = cloud.calls("update_network")
    assert len(renamed) == 4
    assert {what for _, what in renamed[:2]} == {ids[3], ids[2]}
    assert {what for _, what in renamed[2:]} == {ids[1], ids[0]}
    gap = cloud.time_of(*renamed[2]) - cloud.time_of(*renamed[1])
    assert gap >= 0.3
    assert ctx.attributes["refs"] == ids
    assert sorted(tagged(ctx, "networks").values()) == [f"new-{i}" for i in range(4)]
    delete(group, ctx)


def test_min_in_service_makes_a_spare_member_first_and_deletes_it_last(make_ctx: MakeCtx) -> None:
    ctx = make_ctx("spare", "West")
    group = ResourceGroup()
    create(group, ctx, servers(2))
    ids = list(ctx.attributes["refs"])
    ctx.update_policy = {"rolling_update": {"max_batch_size": 1, "min_in_service": 2}}
    cloud = watched(ctx)
    update(group, ctx, servers(2), servers(2, flavor="large"))
    steps = cloud.calls("create_server", "resize_server", "confirm_server_resize", "delete_server")
    assert steps[0] == ("create_server", "web-2")
    resized = [what for call, what in steps if call == "resize_server"]
    assert resized == [ids[1], ids[0]]  # one at a time, the highest index first
    confirmed = [what for call, what in steps if call == "confirm_server_resize"]
    assert confirmed == [ids[1], ids[0]]
    assert steps.index(("confirm_server_resize", ids[1])) < steps.index(("resize_server", ids[0]))
    assert steps[-1][0] == "delete_server" and steps[-1][1] not in ids  # the spare, last
    assert ctx.attributes["refs"] == ids
    assert set(tagged(ctx, "servers")) == set(ids)
    delete(group, ctx)


@pytest.mark.parametrize(
    "crash",
    [
        ("create_network", "new-4"),  # made, its id never recorded: found by its tags
        ("update_network", 2),  # renamed, not recorded: sent again
        ("delete_network", 0),  # the old self of a replaced member, mid-delete
    ],
)
def test_an_update_that_crashed_anywhere_is_resumed_from_its_recorded_progress(
    make_ctx: MakeCtx, crash: tuple[str, Any]
) -> None:
    ctx = make_ctx("again", "East")
    group = ResourceGroup()
    create(group, ctx, nets(4))
    ids = list(ctx.attributes["refs"])
    policy = {"rolling_update": {"max_batch_size": 2}}
    ctx.update_policy = policy
    cloud = watched(ctx)
    call, what = crash
    cloud.crash_after = (call, ids[what] if isinstance(what, int) else what)
    before, after = nets(4), nets(5, name="new-%index%")
    if call == "delete_network":  # a change networks cannot take in place: replaced
        after["resource_def"]["properties"]["availability_zone_hints"] = ["nova"]
    with pytest.raises(Crash):
        update(group, ctx, before, after)
    resumed = make_ctx("again", "East")
    resumed.stack_id, resumed.attributes = ctx.stack_id, ctx.attributes
    resumed.progress, resumed.update_policy = copy.deepcopy(cloud.saved), policy
    again = watched(resumed)
    update(ResourceGroup(), resumed, before, after)
    assert again.calls("create_network") == []  # what the crashed try made is used
    refs = resumed.attributes["refs"]
    assert len(refs) == 5 and len(set(refs)) == 5
    if call != "delete_network":
        assert refs[:4] == ids  # changed in place, each once
    live = tagged(resumed, "networks")
    assert set(live) == set(refs)  # nothing made twice, nothing left behind
    assert sorted(live.values()) == [f"new-{i}" for i in range(5)]
    delete(group, resumed)


def test_a_failed_update_changes_back_the_members_it_changed_in_place(make_ctx: MakeCtx) -> None:
    ctx = make_ctx("undo", "East")
    group = ResourceGroup()
    create(group, ctx, nets(2))
    ids = list(ctx.attributes["refs"])
    cloud = watched(ctx)
    cloud.fail_on = ("create_network", "new-2")
    with pytest.raises(ResourceFailed, match="put back"):
        update(group, ctx, nets(2), nets(3, name="new-%index%"))
    assert [what for _, what in cloud.calls("update_network")] == [ids[0], ids[1], ids[0], ids[1]]
    assert tagged(ctx, "networks") == {ids[0]: "rg-0", ids[1]: "rg-1"}
    assert ctx.progress["op"]["reported"]
    update(group, ctx, nets(2), nets(2, name="later-%index%"))  # a later update starts afresh
    assert tagged(ctx, "networks") == {ids[0]: "later-0", ids[1]: "later-1"}
    delete(group, ctx)


def test_a_failed_update_brings_back_the_old_selves_of_replaced_members(
    make_ctx: MakeCtx,
) -> None:
    ctx = make_ctx("back", "East")
    group = ResourceGroup()
    create(group, ctx, nets(2))
    ids = list(ctx.attributes["refs"])
    cloud = watched(ctx)
    cloud.fail_on = ("create_network", "rg-1")
    zoned = nets(2)
    zoned["resource_def"]["properties"]["availability_zone_hints"] = ["nova"]
    with pytest.raises(ResourceFailed, match="refused"):
        update(group, ctx, nets(2), zoned)
    assert [what for _, what in cloud.calls("create_network")] == ["rg-0"]
    assert set(tagged(ctx, "networks")) == set(ids)  # the new "0" deleted, the old one kept
    assert {n: m["id"] for n, m in ctx.progress["members"].items()} == {"0": ids[0], "1": ids[1]}
    delete(group, ctx)
    assert tagged(ctx, "networks") == {}


def test_a_resumed_batch_create_makes_only_what_is_missing(make_ctx: MakeCtx) -> None:
    ctx = make_ctx("half", "East")
    ctx.update_policy = {"batch_create": {"max_batch_size": 2}}
    cloud = watched(ctx)
    cloud.crash_after = ("create_network", "rg-2")
    group = ResourceGroup()
    with pytest.raises(Crash):
        create(group, ctx, nets(4))
    resumed = make_ctx("half", "East")
    resumed.stack_id, resumed.update_policy = ctx.stack_id, ctx.update_policy
    resumed.progress = copy.deepcopy(cloud.saved)
    again = watched(resumed)
    assert ResourceGroup().find(resumed) == resumed.physical_name  # something was made
    step = group.create(resumed, ResourceGroup.with_defaults(nets(4)))
    run(step, lambda: group.check_create(resumed))
    assert again.calls("create_network") == [("create_network", "rg-3")]
    assert set(tagged(resumed, "networks")) == set(resumed.attributes["refs"])
    assert len(resumed.attributes["refs"]) == 4
    delete(group, resumed)


def test_a_failed_update_makes_again_members_replaced_delete_first(make_ctx: MakeCtx) -> None:
    ctx = make_ctx("keys", "East")
    prefix = f"k{ctx.stack_id[:8]}"

    def keys(kind: str) -> dict[str, Any]:
        key = {"name": f"{prefix}-%index%", "type": kind}
        return {"count": 2, "resource_def": {"type": "OS::Nova::KeyPair", "properties": key}}

    def kinds() -> dict[str, str]:
        found = ctx.call(lambda c: list(c.compute.keypairs()))
        return {k.name: k.type for k in found if k.name.startswith(prefix)}

    group = ResourceGroup()
    create(group, ctx, keys("ssh"))
    cloud = watched(ctx)
    cloud.fail_on = ("create_keypair", f"{prefix}-1")  # after "1" was deleted to be replaced
    with pytest.raises(ResourceFailed, match="put back"):
        update(group, ctx, keys("ssh"), keys("x509"))
    made = [what for _, what in cloud.calls("create_keypair")]
    assert made == [f"{prefix}-0", f"{prefix}-0", f"{prefix}-1"]  # new "0", then both old
    assert kinds() == {f"{prefix}-0": "ssh", f"{prefix}-1": "ssh"}
    delete(group, ctx)
    assert kinds() == {}


def test_a_rolling_update_that_shrinks_deletes_the_unwanted_in_its_first_batch(
    make_ctx: MakeCtx,
) -> None:
    ctx = make_ctx("shrink", "East")
    group = ResourceGroup()
    create(group, ctx, nets(4))
    ids = list(ctx.attributes["refs"])
    ctx.update_policy = {"rolling_update": {"max_batch_size": 1}}
    cloud = watched(ctx)
    smaller = {**nets(2, name="new-%index%"), "removal_policies": [{"resource_list": ["1"]}]}
    update(group, ctx, nets(4), smaller)
    calls = cloud.calls("update_network", "delete_network")
    assert calls == [
        ("update_network", ids[2]),  # batch 1: "2" changed, "1" (removed) and "3" deleted
        ("delete_network", ids[1]),
        ("delete_network", ids[3]),
        ("update_network", ids[0]),  # batch 2
    ]
    assert ctx.attributes["refs_map"] == {"0": ids[0], "2": ids[2]}
    assert ctx.attributes["removed_rsrc_list"] == ["1"]
    assert tagged(ctx, "networks") == {ids[0]: "new-0", ids[2]: "new-2"}
    delete(group, ctx)
