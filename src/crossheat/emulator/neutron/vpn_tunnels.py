"""IPsec site connections, and whether their tunnel is up.

A connection's status, as Neutron's VPN agent would report it:

- PENDING_CREATE (PENDING_UPDATE after a change) until its
  ``ipsec_site_connection`` latency has passed;
- then ACTIVE as soon as a *peer* is there (both ends agree);
- while no peer has been there since then, still PENDING_* until
  ``latency.vpn_peer_timeout`` more seconds have passed, then DOWN: two ends
  created a few seconds apart come up, a lone end goes DOWN;
- once it has been ACTIVE, DOWN as soon as its peer is gone (dead peer
  detection is immediate here), ACTIVE again when it is back;
- DOWN when it or its VPN service is administratively down, or its link failed
  (``PUT /admin/regions/{region}/ipsec-site-connections/{id}/link``), which takes its
  peer DOWN too.

The peer is another connection, in any region of this emulator or of another
one announced in ``registry_dir``, such that::

    peer.external_v4_ip == this.peer_address   and  this.external_v4_ip == peer.peer_address
    peer.local_cidrs    == this.peer_cidrs     and  this.local_cidrs    == peer.peer_cidrs
    same PSK, same IKE (auth, encryption, version, pfs, phase 1 mode) and IPsec
    (auth, encryption, pfs, transform protocol, encapsulation) settings

Status is computed on every read, so a connection goes back to DOWN as soon
as its peer disappears. Emulators exchange *endpoints* (``GET
/admin/vpn/endpoints``): a connection's addresses, CIDRs and settings, with
the PSK only as a hash salted by the two addresses.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, ClassVar

import httpx

from crossheat.emulator.core import Emulator, Record
from crossheat.emulator.neutron import ipam
from crossheat.emulator.neutron.base import (
    Collection,
    Ctx,
    bad_request,
    body_project,
    pick,
    public,
    ready_at,
    require,
    stamp,
)
from crossheat.emulator.neutron.vpn import (
    EndpointGroups,
    IKEPolicies,
    IPsecPolicies,
    VPNServices,
    check_not_pending,
    gateway_ip,
)

IKE_KEYS = ("auth_algorithm", "encryption_algorithm", "ike_version", "pfs",
            "phase1_negotiation_mode")  # fmt: skip
IPSEC_KEYS = ("auth_algorithm", "encryption_algorithm", "pfs", "transform_protocol",
              "encapsulation_mode")  # fmt: skip
DPD = {"action": "hold", "interval": 30, "timeout": 120}
CONNECTION_DEFAULTS: dict[str, Any] = {
    "name": "",
    "description": "",
    "admin_state_up": True,
    "local_id": "",
    "mtu": 1500,
    "initiator": "bi-directional",
    "peer_cidrs": [],
    "local_ep_group_id": None,
    "peer_ep_group_id": None,
}


#: How long another emulator may take to list its endpoints (it may be busy).
PEER_TIMEOUT = 5.0


def psk_hash(address_a: str | None, address_b: str | None, psk: str) -> str:
    """sha256 of the PSK salted with both tunnel addresses (the same from either end)."""
    low, high = sorted([address_a or "", address_b or ""])
    return hashlib.sha256(f"{low}|{high}|{psk}".encode()).hexdigest()


def _cidrs(emu: Emulator, region: str, conn: Record) -> tuple[list[str], list[str]]:
    """(local CIDRs, peer CIDRs) of a connection, from its service's subnet or endpoint groups."""
    store = emu.store
    service = store.get(region, "vpnservices", conn["vpnservice_id"]) or {}
    local: list[str] = []
    if service.get("subnet_id"):
        subnet = store.get(region, "subnets", service["subnet_id"])
        local = [subnet["cidr"]] if subnet else []
    elif conn.get("local_ep_group_id"):
        group = store.get(region, "endpoint_groups", conn["local_ep_group_id"]) or {}
        for item in group.get("endpoints", []):
            subnet = store.get(region, "subnets", item) if group["type"] == "subnet" else None
            local.append(subnet["cidr"] if subnet else item)
    peer = list(conn.get("peer_cidrs") or [])
    if conn.get("peer_ep_group_id"):
        group = store.get(region, "endpoint_groups", conn["peer_ep_group_id"]) or {}
        peer = list(group.get("endpoints", []))
    normal = ipam.normalize_cidr
    return sorted({normal(c) for c in local}), sorted({normal(c) for c in peer})


def endpoint(emu: Emulator, region: str, conn: Record) -> Record:
    """What a peer needs to know about one connection (no clear PSK)."""
    store = emu.store
    service = store.get(region, "vpnservices", conn["vpnservice_id"]) or {}
    ike = store.get(region, "ikepolicies", conn["ikepolicy_id"]) or {}
    ipsec = store.get(region, "ipsecpolicies", conn["ipsecpolicy_id"]) or {}
    external = gateway_ip(emu, region, service.get("router_id", ""), 4)
    local, peer = _cidrs(emu, region, conn)
    enabled = bool(conn["admin_state_up"] and service.get("admin_state_up"))
    enabled = enabled and not conn.get("_link_down")
    return {
        "cloud": emu.base_url,
        "region": region,
        "id": conn["id"],
        "external_v4_ip": external,
        "peer_address": conn["peer_address"],
        "local_cidrs": local,
        "peer_cidrs": peer,
        "psk_hash": psk_hash(external, conn["peer_address"], conn["psk"]),
        "ike": {k: ike.get(k) for k in IKE_KEYS},
        "ipsec": {k: ipsec.get(k) for k in IPSEC_KEYS},
        "enabled": enabled,
        "ready_at": conn["_ready_at"],
    }


def local_endpoints(emu: Emulator) -> list[Record]:
    """Endpoints of every connection in every region of ``emu``."""
    return [
        endpoint(emu, region, conn)
        for region in emu.regions
        for conn in emu.store.records(region, "ipsec_site_connections")
    ]


def is_up(end: Record, now: float) -> bool:
    """Whether a connection's end is enabled and past its latency at ``now``. Both ends
    are judged at the same instant, however long ago their endpoints were gathered."""
    return bool(end["enabled"]) and now >= float(end["ready_at"])


def is_peer(mine: Record, other: Record, now: float) -> bool:
    """Whether ``other`` is the far end of ``mine``'s tunnel at ``now`` (see the module doc)."""
    return (
        is_up(other, now)
        and other["id"] != mine["id"]
        and mine["external_v4_ip"] is not None
        and other["external_v4_ip"] == mine["peer_address"]
        and mine["external_v4_ip"] == other["peer_address"]
        and other["local_cidrs"] == mine["peer_cidrs"]
        and mine["local_cidrs"] == other["peer_cidrs"]
        and other["psk_hash"] == mine["psk_hash"]
        and other["ike"] == mine["ike"]
        and other["ipsec"] == mine["ipsec"]
    )


async def remote_endpoints(emu: Emulator) -> list[Record]:
    """Endpoints of the other emulators running now; an emulator that does not answer has none."""
    urls = emu.peer_urls()
    if not urls:
        return []
    found: list[Record] = []
    async with httpx.AsyncClient(timeout=PEER_TIMEOUT) as client:
        for url in urls:
            try:
                answer = await client.get(f"{url}/admin/vpn/endpoints")
                found.extend(answer.json()["endpoints"])
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                continue
    return found


def _dpd(given: Any, current: Record) -> Record:
    dpd = dict(current, **(given or {}))
    if dpd["action"] not in ("hold", "clear", "restart", "disabled", "restart-by-peer"):
        raise ipam.invalid_input(f"'{dpd['action']}' is not a valid DPD action")
    interval, timeout = ipam.as_int(dpd["interval"], "dpd"), ipam.as_int(dpd["timeout"], "dpd")
    if interval <= 0 or timeout <= interval:
        raise ipam.invalid_input("DPD timeout must be greater than its interval")
    return dpd


def _check_settings(record: Record) -> None:
    if ipam.as_int(record["mtu"], "mtu") < 68:
        raise ipam.invalid_input(f"Requested MTU {record['mtu']} is too small")
    if record["initiator"] not in ("bi-directional", "response-only"):
        raise ipam.invalid_input(f"'{record['initiator']}' is not a valid initiator")
    peer = str(record["peer_address"])
    if peer[:1].isdigit() or ":" in peer:
        ipam.parse_ip(peer)
    record["dpd"] = _dpd(None, record["dpd"])


def _check_cidrs(ctx: Ctx, service: Record, record: Record) -> None:
    """peer_cidrs with a service subnet; else a local subnet group and a peer CIDR group."""
    groups = record.get("local_ep_group_id"), record.get("peer_ep_group_id")
    if service.get("subnet_id"):
        if not record["peer_cidrs"]:
            raise bad_request("Missing peer CIDRs for IPsec site-to-site connection")
        if any(groups):
            raise bad_request("Cannot specify endpoint groups with a VPN service having a subnet")
        record["peer_cidrs"] = [str(ipam.parse_cidr(c)) for c in record["peer_cidrs"]]
        return
    if record["peer_cidrs"]:
        raise bad_request("Cannot specify both peer CIDRs and endpoint groups")
    if not all(groups):
        raise bad_request("Missing endpoint group for IPsec site-to-site connection")
    local = EndpointGroups().find(ctx, str(groups[0]))
    peer = EndpointGroups().find(ctx, str(groups[1]))
    if local["type"] != "subnet" or peer["type"] != "cidr":
        raise bad_request("Local endpoint group must be of subnets, peer one of CIDRs")


class IPsecSiteConnections(Collection):
    kind = "ipsec_site_connections"
    key = "ipsec_site_connection"
    path = "vpn/ipsec-site-connections"
    label = "IPsecSiteConnection"
    latency = None
    updatable: ClassVar[frozenset[str]] = frozenset(
        {
            "name",
            "description",
            "admin_state_up",
            "peer_address",
            "peer_id",
            "peer_cidrs",
            "psk",
            "mtu",
            "dpd",
            "initiator",
            "local_id",
            "local_ep_group_id",
            "peer_ep_group_id",
        }
    )

    async def prepare(self, ctx: Ctx) -> None:
        ctx.extra["endpoints"] = local_endpoints(ctx.emu) + await remote_endpoints(ctx.emu)

    def view(self, ctx: Ctx, record: Record) -> Record:
        out = public(record)
        out["status"] = self.status(ctx, record)
        return out

    def status(self, ctx: Ctx, record: Record) -> str:
        """The status the module doc describes; notes the first time the tunnel is up."""
        mine = endpoint(ctx.emu, ctx.region, record)
        now = time.time()
        if now < record["_ready_at"]:
            return str(record["_pending"])
        if not mine["enabled"]:
            return "DOWN"
        others = ctx.extra.get("endpoints") or local_endpoints(ctx.emu)
        if any(is_peer(mine, other, now) for other in others):
            if not record.get("_connected"):
                ctx.emu.store.update(ctx.region, self.kind, record["id"], {"_connected": True})
            return "ACTIVE"
        waited = now - record["_ready_at"]
        if record.get("_connected") or waited >= ctx.emu.config.latency.vpn_peer_timeout:
            return "DOWN"
        return str(record["_pending"])

    def create(self, ctx: Ctx, body: Record) -> Record:
        require(body, "vpnservice_id", "ikepolicy_id", "ipsecpolicy_id", "peer_address", "psk")
        service = VPNServices().find(ctx, str(body["vpnservice_id"]))
        ike = IKEPolicies().find(ctx, str(body["ikepolicy_id"]))
        ipsec = IPsecPolicies().find(ctx, str(body["ipsecpolicy_id"]))
        record = pick(body, CONNECTION_DEFAULTS)
        record.update(
            vpnservice_id=service["id"], ikepolicy_id=ike["id"], ipsecpolicy_id=ipsec["id"]
        )
        record.update(peer_address=body["peer_address"], psk=body["psk"], auth_mode="psk")
        record.update(peer_id=body.get("peer_id") or body["peer_address"], route_mode="static")
        record["dpd"] = _dpd(body.get("dpd"), DPD)
        _check_settings(record)
        _check_cidrs(ctx, service, record)
        record.update(_pending="PENDING_CREATE", _ready_at=ready_at(ctx, "ipsec_site_connection"))
        record["_connected"] = False
        return ctx.insert(self.kind, stamp(ctx, record, body_project(ctx, body)))

    def check_update(self, ctx: Ctx, record: Record, body: Record) -> None:
        check_not_pending(self.view(ctx, record)["status"], record["id"])
        if "dpd" in body:
            body["dpd"] = _dpd(body["dpd"], record["dpd"])
        merged = dict(record, **body)
        _check_settings(merged)
        service = VPNServices().find(ctx, record["vpnservice_id"])
        _check_cidrs(ctx, service, merged)
        body["peer_cidrs"] = merged["peer_cidrs"]
        body.update(_pending="PENDING_UPDATE", _ready_at=ready_at(ctx, "ipsec_site_connection"))
        body["_connected"] = False  # negotiated again: waits for its peer as when created
