"""Drift detection: the comparison's normalisation and masking, and what a check records."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from crossheat.engine.check import (
    DELETED_REASON,
    Difference,
    DriftReport,
    DriftStatus,
    compare,
    failure_reason,
    recorded_drift,
    run_check,
    tunnels_down,
)
from crossheat.engine.spec import load_spec
from crossheat.engine.stack import EngineOptions, Operation
from crossheat.errors import CloudTransientError, NotSupportedError, StackLocked
from crossheat.resources.lifecycle import ResourceContext
from crossheat.resources.registry import Registry, ResourceType
from crossheat.resources.schema import Property
from crossheat.resources.schema import PropertyType as T
from crossheat.resources.types.neutron import Net, Router, Subnet
from crossheat.resources.types.nova import Server
from crossheat.resources.types.vpnaas import IPsecSiteConnection
from crossheat.service._stacks import Stacks
from crossheat.store import STACK_EVENT_TYPE, Action, StackSpec, Status, Store
from crossheat.template import load_template
from tests.engine.test_tunnels import EXAMPLE

PUBLIC_ID = "d3301f6e-f627-45eb-95e1-13b7bf312344"
OTHER_ID = "f03a293c-5973-465a-a229-34bdb7f4232c"


def _lookup(kind: str, name: str) -> str | None:
    found = {
        ("network", "public"): PUBLIC_ID,
        ("flavor", "small"): "m1.small",  # the region map's m1.small, or its id
        ("flavor", "2"): "m1.small",
        ("image", "linux"): "cirros",
    }
    return found.get((kind, name))


def _compare(cls: type[ResourceType], expected: dict[str, Any], actual: dict[str, Any]) -> Any:
    stored = cls.with_defaults(expected)
    return compare(cls.properties_schema, stored, actual, physical_name="vpn-res", resolve=_lookup)


# ---- comparison ----------------------------------------------------------------------------


def test_a_renamed_network_is_reported_with_both_names() -> None:
    live = {"name": "renamed", "admin_state_up": True, "shared": False, "tenant_id": "p"}
    assert _compare(Net, {"name": "east-net"}, live) == [Difference("name", "east-net", "renamed")]


def test_values_the_template_left_to_the_cloud_are_not_drift() -> None:
    live = {
        "name": None, "network": "n-1", "cidr": "10.1.0.0/24", "gateway_ip": "10.1.0.1",
        "allocation_pools": [{"start": "10.1.0.2", "end": "10.1.0.254"}], "host_routes": [],
        "tenant_id": "p", "ipv6_ra_mode": None, "tags": [],
    }  # fmt: skip
    assert _compare(Subnet, {"network": "n-1", "cidr": "10.1.0.0/24"}, live) == []
    assert _compare(Subnet, {"network": "n-1", "cidr": "10.1.0.0/24", "gateway_ip": "auto"},
                    live) == []  # fmt: skip


def test_a_default_name_matches_the_physical_name_either_way() -> None:
    assert _compare(Net, {}, {"name": None}) == []
    assert _compare(Net, {}, {"name": "vpn-res"}) == []
    assert _compare(Net, {}, {"name": "other"}) == [Difference("name", "vpn-res", "other")]
    assert _compare(Net, {"name": "east-net"}, {"name": None}) == [
        Difference("name", "east-net", "vpn-res")
    ]


def test_representation_differences_are_not_drift() -> None:
    live = {
        "peer_cidrs": ["10.9.0.0/24", "10.2.0.0/24"], "mtu": "1500", "admin_state_up": "True",
        "peer_address": "FE80:0::1", "peer_id": "fe80::1", "description": None,
    }  # fmt: skip
    expected = {
        "peer_cidrs": ["10.2.0.0/24", "10.9.0.0/24"], "mtu": 1500, "peer_address": "fe80::1",
        "peer_id": "fe80::1", "description": "",
    }  # fmt: skip
    assert _compare(IPsecSiteConnection, expected, live) == []


def test_a_list_that_gained_an_item_is_drift() -> None:
    found = _compare(
        IPsecSiteConnection,
        {"peer_cidrs": ["10.2.0.0/24"]},
        {"peer_cidrs": ["10.2.0.0/24", "10.9.0.0/24"]},
    )
    assert found == [Difference("peer_cidrs", ["10.2.0.0/24"], ["10.2.0.0/24", "10.9.0.0/24"])]


def test_a_gateway_named_in_the_template_matches_its_id_in_the_cloud() -> None:
    expected = {"external_gateway_info": {"network": "public"}}
    same = {"external_gateway_info": {"network": PUBLIC_ID, "enable_snat": True}}
    moved = {"external_gateway_info": {"network": OTHER_ID, "enable_snat": True}}
    assert _compare(Router, expected, same) == []
    assert _compare(Router, expected, moved) == [
        Difference("external_gateway_info.network", "public", OTHER_ID)
    ]


def test_a_name_that_cannot_be_looked_up_is_not_reported() -> None:
    expected = {"external_gateway_info": {"network": "gone-net"}}
    live = {"external_gateway_info": {"network": OTHER_ID}}
    assert _compare(Router, expected, live) == []


def test_a_flavor_or_image_matches_the_regions_own_name_the_template_name_becomes() -> None:
    expected = {"flavor": "small", "image": "linux"}
    assert _compare(Server, expected, {"flavor": "m1.small", "image": "cirros"}) == []
    assert _compare(Server, {"flavor": "2"}, {"flavor": "m1.small"}) == []
    assert _compare(Server, expected, {"flavor": "m1.medium", "image": "ubuntu"}) == [
        Difference("flavor", "small", "m1.medium"),
        Difference("image", "linux", "ubuntu"),
    ]
    assert _compare(Server, {"flavor": "gone"}, {"flavor": "m1.medium"}) == []  # no lookup


def test_a_changed_secret_is_reported_masked() -> None:
    found = _compare(IPsecSiteConnection, {"psk": "old-secret-16chars"}, {"psk": "new-secret"})
    assert found == [Difference("psk", "******", "******")]
    assert "secret" not in str(found)


def test_a_free_map_is_compared_whole() -> None:
    schema = {"metadata": Property(T.MAP, default={})}
    found = compare(schema, {"metadata": {}}, {"metadata": {"k": "v"}}, physical_name="x")
    assert found == [Difference("metadata", {}, {"k": "v"})]


# ---- run_check: what is recorded ----------------------------------------------------------


class Thing(ResourceType):
    """A test plugin whose "cloud" is a class-level dict: physical id -> properties."""

    type_name = "Test::Thing"
    properties_schema = {
        "size": Property(T.INTEGER, update_allowed=True),
        "token": Property(T.STRING, secret=True),
    }
    cloud: ClassVar[dict[str, dict[str, Any]]] = {}
    unreachable: ClassVar[set[str]] = set()

    def read(self, ctx: ResourceContext) -> dict[str, Any] | None:
        if ctx.physical_id in self.unreachable:
            raise CloudTransientError("503 from the cloud", region=ctx.region)
        return {} if ctx.physical_id in self.cloud else None

    def live_properties(self, ctx: ResourceContext) -> dict[str, Any] | None:
        return self.cloud.get(str(ctx.physical_id))


class Opaque(ResourceType):
    type_name = "Test::Opaque"

    def read(self, ctx: ResourceContext) -> dict[str, Any] | None:
        raise NotSupportedError("Test::Opaque cannot be read")


#: name -> (type, region)
RESOURCES = {
    "a": ("Test::Thing", "East"),
    "b": ("Test::Thing", "East"),
    "c": ("Test::Thing", "West"),
    "o": ("Test::Opaque", "West"),
}
TEMPLATE = {
    "heat_template_version": "2018-08-31",
    "resources": {name: {"type": t, "region": region} for name, (t, region) in RESOURCES.items()},
}


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    with Store.open(f"sqlite:///{tmp_path / 'state.db'}") as opened:
        yield opened


def _deploy(store: Store, props: dict[str, dict[str, Any]]) -> Operation:
    stack = store.create_stack("s", "default", StackSpec(template=TEMPLATE))
    for name, (type_name, region) in RESOURCES.items():
        record = store.upsert_resource(
            stack.id, name, type_name, region=region,
            properties=props.get(name, {}), secret_paths=[("token",)],
        )  # fmt: skip
        store.set_resource_status(
            record.id, Action.CREATE, Status.COMPLETE, "state changed", physical_id=f"id-{name}"
        )
    registry = Registry()
    registry.register(Thing)
    registry.register(Opaque)
    return Operation(store, registry, stack, load_spec(stack.spec), None, None)


def _run(op: Operation) -> Any:
    try:
        return asyncio.run(run_check(op))
    finally:
        op.close()


def test_drift_is_recorded_as_check_failed_with_events(store: Store) -> None:
    Thing.cloud = {"id-a": {"size": 2, "token": "changed-token"}, "id-b": {"size": 1}}
    Thing.unreachable = set()
    op = _deploy(store, {"a": {"size": 1, "token": "first-token"}, "b": {"size": 1}})
    result = _run(op)
    by_name = {r.resource_name: r for r in result.reports}
    assert {n: r.status for n, r in by_name.items()} == {
        "a": DriftStatus.MODIFIED, "b": DriftStatus.IN_SYNC,
        "c": DriftStatus.DELETED, "o": DriftStatus.NOT_CHECKED,
    }  # fmt: skip
    assert by_name["a"].reason == (
        "changed outside crossheat: size 1 -> 2, token '******' -> '******'"
    )
    stack = store.get_stack(op.stack.id)
    assert stack.stack_status == "CHECK_FAILED" and not result.ok
    assert "a: changed outside crossheat" in stack.status_reason
    assert "c: deleted outside crossheat" in stack.status_reason
    rows = {r.name: r for r in store.list_resources(op.stack.id)}
    assert {n: r.resource_status for n, r in rows.items()} == {
        "a": "CHECK_FAILED", "b": "CHECK_COMPLETE", "c": "CHECK_FAILED", "o": "CHECK_COMPLETE",
    }  # fmt: skip
    assert rows["c"].status_reason == DELETED_REASON and rows["c"].physical_id == "id-c"
    events = [(e.resource_name, f"{e.action}_{e.status}") for e in store.list_events(op.stack.id)]
    assert events[-4:] == [
        ("s", "CHECK_IN_PROGRESS"), ("a", "CHECK_FAILED"), ("c", "CHECK_FAILED"),
        ("s", "CHECK_FAILED"),
    ]  # fmt: skip
    assert all("first-token" not in e.reason for e in store.list_events(op.stack.id))


def test_no_drift_is_check_complete(store: Store) -> None:
    Thing.cloud = {"id-a": {"size": 1}, "id-b": {}, "id-c": {"size": 3}}
    Thing.unreachable = set()
    op = _deploy(store, {"a": {"size": 1}, "c": {"size": 3}})
    result = _run(op)
    assert result.ok and result.status is Status.COMPLETE
    assert {r.status for r in result.reports} == {DriftStatus.IN_SYNC, DriftStatus.NOT_CHECKED}
    stack = store.get_stack(op.stack.id)
    assert (stack.stack_status, stack.status_reason) == (
        "CHECK_COMPLETE", "Stack CHECK completed successfully",
    )  # fmt: skip
    last = store.list_events(op.stack.id)[-1]
    assert last.resource_type == STACK_EVENT_TYPE


def test_a_check_again_writes_only_what_changed(store: Store) -> None:
    """A scheduled check of a stack still in sync leaves its resources' rows alone; drift
    found again is recorded again, with its events."""
    Thing.cloud = {"id-a": {"size": 1}, "id-b": {}, "id-c": {"size": 3}}
    Thing.unreachable = set()
    op = _deploy(store, {"a": {"size": 1}, "c": {"size": 3}})
    assert _run(op).ok
    first = {r.name: r.updated_at for r in store.list_resources(op.stack.id)}
    stack = store.get_stack(op.stack.id)
    again = Operation(store, op.registry, stack, load_spec(stack.spec), None, None)
    assert _run(again).ok
    assert {r.name: r.updated_at for r in store.list_resources(op.stack.id)} == first
    Thing.cloud["id-a"] = {"size": 2}
    for _ in range(2):
        stack = store.get_stack(op.stack.id)
        drift = Operation(store, op.registry, stack, load_spec(stack.spec), None, None)
        assert not _run(drift).ok
    failed = [e.resource_name for e in store.list_events(op.stack.id) if e.status is Status.FAILED]
    assert failed == ["a", "s", "a", "s"]


def test_a_cloud_that_cannot_be_asked_fails_the_check_without_calling_it_drift(
    store: Store,
) -> None:
    Thing.cloud = {"id-a": {}, "id-b": {}, "id-c": {}}
    Thing.unreachable = {"id-c"}
    op = _deploy(store, {})
    result = _run(op)
    [report] = [r for r in result.reports if r.resource_name == "c"]
    assert report.status is DriftStatus.UNKNOWN and not report.drifted
    assert report.reason.startswith("could not be read: CloudTransientError")
    assert store.get_stack(op.stack.id).stack_status == "CHECK_FAILED"


def test_what_the_repair_reads_back_from_the_store(store: Store) -> None:
    Thing.cloud = {"id-a": {"size": 2}, "id-b": {"size": 1}}
    Thing.unreachable = set()
    op = _deploy(store, {"a": {"size": 1}, "b": {"size": 1}})
    result = _run(op)
    [a] = [r for r in result.reports if r.resource_name == "a"]
    assert a.changed_properties == {"size"}
    recorded = {r.name: recorded_drift(r) for r in store.list_resources(op.stack.id)}
    assert recorded == {
        "a": DriftStatus.MODIFIED, "b": None, "c": DriftStatus.DELETED, "o": None,
    }  # fmt: skip


def test_a_check_refuses_a_locked_stack_and_frees_the_lock_it_took(store: Store) -> None:
    Thing.cloud, Thing.unreachable = {"id-a": {}, "id-b": {}, "id-c": {}}, set()
    op = _deploy(store, {})
    op.close()
    regions = {"regions": {"East": {"cloud": "c"}, "West": {"cloud": "c"}}}
    spec = StackSpec(template=TEMPLATE, region_map=regions)
    store.save_template_for_update(op.stack.id, spec)
    stacks = Stacks(store, op.registry, EngineOptions())
    store.acquire_lock(op.stack.id, Action.UPDATE, "another-engine")
    with pytest.raises(StackLocked, match="another-engine"):
        asyncio.run(stacks.check(stacks.get("s")))
    assert store.get_stack(op.stack.id).action is Action.CREATE
    store.release_lock(op.stack.id, "another-engine")
    assert asyncio.run(stacks.check(stacks.get("s"))).ok
    assert not store.get_lock(op.stack.id).held


# ---- a tunnel DOWN --------------------------------------------------------------------------


def _connection(name: str, status: str, *diffs: Difference) -> DriftReport:
    drift = DriftStatus.MODIFIED if diffs else DriftStatus.IN_SYNC
    return DriftReport(
        f"id-{name}", name, "East", f"phys-{name}", IPsecSiteConnection.type_name, drift,
        tuple(diffs), live_status=status,
    )  # fmt: skip


def test_a_connection_down_fails_the_check_named_by_its_tunnel() -> None:
    template = load_template(EXAMPLE, parameters={"vpn_psk": "k" * 16})
    reports = tunnels_down(
        template, [_connection("east_to_west", "DOWN"), _connection("west_to_east", "ACTIVE")]
    )
    pair = "tunnel east_to_west <-> west_to_east is DOWN"
    assert [(r.failed, r.status, r.reason) for r in reports] == [
        (True, DriftStatus.IN_SYNC, pair),  # nothing for `update --existing` to reset
        (False, DriftStatus.IN_SYNC, "in sync"),
    ]
    assert failure_reason(reports) == f"Resource CHECK failed: east_to_west: {pair}"
    renamed = Difference("name", "east_to_west", "x")
    [both] = tunnels_down(template, [_connection("east_to_west", "DOWN", renamed)])
    assert both.reason == f"changed outside crossheat: name 'east_to_west' -> 'x'; {pair}"
