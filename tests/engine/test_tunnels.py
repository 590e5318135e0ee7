"""Waiting for IPsec tunnels (``engine.tunnels``) through its narrow protocol: a small
double of ``TunnelStack`` whose connections read the statuses a test scripts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from crossheat.engine.context import LiveResource
from crossheat.engine.tunnels import TunnelStack, wait_for_tunnels
from crossheat.redact import Path as SecretPath
from crossheat.resources.lifecycle import ResourceContext
from crossheat.resources.registry import ResourceType
from crossheat.resources.types.vpnaas import IPsecSiteConnection
from crossheat.store import Action, ResourceRecord, Status
from crossheat.template import Template, load_template

T = TypeVar("T")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "east-west-vpn.yaml"
PSK = "0123456789abcdef-psk"
#: physical id -> the statuses its reads answer in turn (the last one repeats)
STATUSES: dict[str, list[str]] = {}


class Connection(IPsecSiteConnection):
    """An IPsec connection whose read answers the scripted status."""

    def read(self, ctx: ResourceContext) -> dict[str, Any] | None:
        queue = STATUSES[str(ctx.physical_id)]
        return {"status": queue.pop(0) if len(queue) > 1 else queue[0], "psk": PSK}


def _same(logical: str) -> str:
    return logical


class Runner:
    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(*args)

    def context(self, record: ResourceRecord, action: Action | None = None) -> ResourceContext:
        def no_cloud(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            raise AssertionError("no cloud here")

        return ResourceContext(
            stack_id=record.stack_id, stack_name="s", name=record.name,
            region=record.region or "", call=no_cloud, resolve_image=_same, resolve_flavor=_same,
            physical_id=record.physical_id,
        )  # fmt: skip


@dataclass
class Store:
    rows: dict[str, ResourceRecord] = field(default_factory=dict)
    written: dict[str, tuple[dict[str, Any], list[SecretPath]]] = field(default_factory=dict)

    def get_resource(self, resource_id: str) -> ResourceRecord:
        return self.rows[resource_id]

    def set_attributes(self, resource_id: str, attributes: Any, secret_paths: Any = ()) -> None:
        self.written[resource_id] = (dict(attributes), list(secret_paths))


@dataclass
class Stack:
    template: Template
    store: Store = field(default_factory=Store)
    rt: Runner = field(default_factory=Runner)
    live: dict[str, LiveResource] = field(default_factory=dict)
    records: dict[str, ResourceRecord] = field(default_factory=dict)

    def region_of(self, name: str) -> str:
        return str(self.template.resources[name].region)

    def type_of(self, name: str) -> type[ResourceType]:
        return Connection

    def add(self, name: str, properties: dict[str, Any], **attributes: Any) -> None:
        record = ResourceRecord(
            id=f"row-{name}", stack_id="stack", name=name, type="x",
            region=self.region_of(name), physical_id=f"id-{name}", action=Action.CREATE,
            status=Status.COMPLETE, status_reason="", properties=properties, attributes={},
            secret_paths=(), progress=None, intent=None, replaces=None, replaced_by=None,
            created_at=datetime.now(UTC), updated_at=None,
        )  # fmt: skip
        self.records[name], self.store.rows[record.id] = record, record
        self.live[name] = LiveResource(name, record.region or "", record.physical_id, attributes)


def _stack(east_psk: str = PSK, east_peer: str = "198.51.100.2") -> Stack:
    stack = Stack(load_template(EXAMPLE, parameters={"vpn_psk": PSK}))
    stack.add("east_to_west", {
        "psk": east_psk, "peer_address": east_peer, "peer_cidrs": ["10.2.0.0/24"],
    })  # fmt: skip
    stack.add("west_to_east", {
        "psk": PSK, "peer_address": "203.0.113.2", "peer_cidrs": ["10.1.0.0/24"],
    })  # fmt: skip
    stack.add("west_vpn", {}, external_v4_ip="198.51.100.2")
    stack.add("east_vpn", {}, external_v4_ip="203.0.113.2")
    return stack


def _wait(stack: TunnelStack, timeout: float) -> str | None:
    return asyncio.run(wait_for_tunnels(stack, timeout))


def test_a_pair_that_comes_up_completes_and_its_attributes_are_stored() -> None:
    STATUSES.update({"id-east_to_west": ["PENDING_CREATE", "ACTIVE"],
                     "id-west_to_east": ["DOWN", "DOWN", "ACTIVE"]})  # fmt: skip
    stack = _stack()
    assert _wait(stack, 5.0) is None
    assert stack.live["west_to_east"].attributes["status"] == "ACTIVE"
    attributes, secret_paths = stack.store.written["row-west_to_east"]
    assert attributes["status"] == "ACTIVE" and ("psk",) in secret_paths  # sealed


def test_a_pair_down_fails_naming_both_ends_and_what_they_disagree_on() -> None:
    STATUSES.update({"id-east_to_west": ["ACTIVE"], "id-west_to_east": ["DOWN"]})
    stack = _stack(east_psk="another-psk-0123456", east_peer="192.0.2.77")
    reason = _wait(stack, 0.0)
    assert reason is not None
    assert reason.startswith(
        "IPsec tunnel east_to_west (East, ACTIVE) <-> west_to_east (West, DOWN) "
        "not ACTIVE after 0 s: "
    )
    assert (
        "east_to_west.peer_address is 192.0.2.77 but west_to_east's VPN service is at "
        "198.51.100.2" in reason
    )
    assert "east_to_west and west_to_east use different pre-shared keys" in reason
    assert PSK not in reason and "another-psk" not in reason


def test_a_pair_that_agrees_but_stays_down_says_the_peers_may_not_reach() -> None:
    STATUSES.update({"id-east_to_west": ["DOWN"], "id-west_to_east": ["DOWN"]})
    reason = _wait(_stack(), 0.0)
    assert reason is not None and reason.endswith("the peers may not reach each other")


def test_a_template_without_tunnels_waits_for_nothing() -> None:
    stack = Stack(load_template(EXAMPLE, parameters={"vpn_psk": PSK}))
    stack.template.resources.pop("east_to_west")
    assert _wait(stack, 0.0) is None and stack.store.written == {}
