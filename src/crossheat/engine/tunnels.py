"""Waiting until both ends of every IPsec tunnel in the stack are ACTIVE.

A connection counts as created as soon as it exists; the stack is only
complete once each pair of connections whose peers are both in the stack
reads ACTIVE. When a pair stays down, the failure names the pair and what
the two ends disagree on (addresses, CIDRs, key, policies).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from crossheat.engine.actions import secret_attribute_paths
from crossheat.engine.context import LiveResource
from crossheat.engine.protocols import Runner
from crossheat.redact import Path
from crossheat.resources.registry import ResourceType
from crossheat.resources.tunnels import TunnelEnd, tunnel_pairs
from crossheat.store import ResourceRecord
from crossheat.template import Template


class TunnelStore(Protocol):
    """The store methods the wait uses."""

    def get_resource(self, resource_id: str) -> ResourceRecord: ...

    def set_attributes(
        self, resource_id: str, attributes: Mapping[str, Any], secret_paths: Iterable[Path] = ()
    ) -> None: ...


class TunnelStack(Protocol):
    """What ``wait_for_tunnels`` needs of an operation (``Operation`` is one)."""

    @property
    def template(self) -> Template: ...
    @property
    def live(self) -> Mapping[str, LiveResource]: ...
    @property
    def records(self) -> Mapping[str, ResourceRecord]: ...
    @property
    def store(self) -> TunnelStore: ...
    @property
    def rt(self) -> Runner: ...

    def region_of(self, name: str) -> str: ...

    def type_of(self, name: str) -> type[ResourceType]: ...


ACTIVE = "ACTIVE"
IKE_KEYS = (
    "auth_algorithm",
    "encryption_algorithm",
    "ike_version",
    "pfs",
    "phase1_negotiation_mode",
)
IPSEC_KEYS = (
    "auth_algorithm",
    "encryption_algorithm",
    "pfs",
    "transform_protocol",
    "encapsulation_mode",
)


async def _status(op: TunnelStack, name: str) -> str:
    record = op.records[name]
    cls = op.type_of(name)
    ctx = op.rt.context(record)
    ctx.physical_id = op.live[name].physical_id if name in op.live else record.physical_id
    attributes = await op.rt.run(cls().read, ctx) or {}
    if attributes:
        op.live[name].attributes = attributes
        await op.rt.run(op.store.set_attributes, record.id, attributes, secret_attribute_paths(cls))
    return str(attributes.get("status", "GONE"))


async def wait_for_tunnels(op: TunnelStack, timeout: float) -> str | None:
    """None once every in-stack pair is ACTIVE; else the reason the stack failed."""
    pairs = tunnel_pairs(op.template)
    if not pairs:
        return None
    deadline = time.monotonic() + max(0.0, timeout)
    delay = 0.1
    ends = list(dict.fromkeys(end.connection for pair in pairs for end in pair))
    while True:
        statuses = dict(
            zip(ends, await asyncio.gather(*(_status(op, e) for e in ends)), strict=True)
        )
        if all(status == ACTIVE for status in statuses.values()):
            return None
        if time.monotonic() + delay > deadline:
            return _describe(op, pairs, statuses, timeout)
        await asyncio.sleep(delay)
        delay = min(2.0, delay * 1.5)


def _describe(
    op: TunnelStack,
    pairs: list[tuple[TunnelEnd, TunnelEnd]],
    statuses: dict[str, str],
    timeout: float,
) -> str:
    texts = []
    for a, b in pairs:
        if statuses[a.connection] == ACTIVE and statuses[b.connection] == ACTIVE:
            continue
        problems = disagreements(op, a, b) + disagreements(op, b, a, mutual=False)
        why = "; ".join(problems) or (
            "both ends agree on addresses, CIDRs, key and policies; the peers may not reach "
            "each other"
        )
        texts.append(
            f"IPsec tunnel {a.connection} ({op.region_of(a.connection)}, "
            f"{statuses[a.connection]}) <-> {b.connection} ({op.region_of(b.connection)}, "
            f"{statuses[b.connection]}) not ACTIVE after {timeout:g} s: {why}"
        )
    return "; ".join(texts)


def _props(op: TunnelStack, name: str | None) -> dict[str, Any]:
    if name is None or name not in op.records:
        return {}
    return dict(op.store.get_resource(op.records[name].id).properties)


def _attrs(op: TunnelStack, name: str | None) -> dict[str, Any]:
    return dict(op.live[name].attributes) if name in op.live and name else {}


def disagreements(
    op: TunnelStack, end: TunnelEnd, peer: TunnelEnd, mutual: bool = True
) -> list[str]:
    """What ``end`` expects of ``peer`` that ``peer`` is not (never shows the key itself)."""
    mine, theirs = _props(op, end.connection), _props(op, peer.connection)
    found = []
    peer_ip = _attrs(op, peer.service).get("external_v4_ip")
    if peer_ip and mine.get("peer_address") != peer_ip:
        found.append(
            f"{end.connection}.peer_address is {mine.get('peer_address')} but "
            f"{peer.connection}'s VPN service is at {peer_ip}"
        )
    peer_cidr = _attrs(op, peer.subnet).get("cidr")
    if peer_cidr and sorted(mine.get("peer_cidrs") or []) != [peer_cidr]:
        found.append(
            f"{end.connection}.peer_cidrs is {mine.get('peer_cidrs')} but the subnet "
            f"behind {peer.connection} is {peer_cidr}"
        )
    if mutual and mine.get("psk") != theirs.get("psk"):
        found.append(f"{end.connection} and {peer.connection} use different pre-shared keys")
    if mutual:
        found += _policy_diff(op, end.ikepolicy, peer.ikepolicy, IKE_KEYS, "IKE")
        found += _policy_diff(op, end.ipsecpolicy, peer.ipsecpolicy, IPSEC_KEYS, "IPsec")
    return found


def _policy_diff(
    op: TunnelStack, a: str | None, b: str | None, keys: tuple[str, ...], label: str
) -> list[str]:
    pa, pb = _props(op, a), _props(op, b)
    return [
        f"{label} {key}: {pa.get(key)} ({a}) vs {pb.get(key)} ({b})"
        for key in keys
        if pa.get(key) != pb.get(key)
    ]
