"""Emulated Neutron VPNaaS: VPN services, IKE and IPsec policies, endpoint groups.

IPsec site connections (and whether their tunnel is up) are in ``neutron.vpn_tunnels``.

A VPN service sits on a router with a gateway (else 400 ``RouterIsNotExternal``)
and takes ``external_v4_ip`` from it; it is PENDING_CREATE until its latency
has passed, then ACTIVE. A service or policy used by a connection cannot be
deleted (409 ``VPNServiceInUse``, ``IKEPolicyInUse``, ``IPsecPolicyInUse``).
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any, ClassVar

from crossheat.emulator.core import Emulator, Record, neutron_error
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
from crossheat.emulator.neutron.l3 import Routers, interface_ports
from crossheat.emulator.neutron.networks import Subnets

LIFETIME = {"units": "seconds", "value": 3600}
AUTH_ALGORITHMS = {"sha1", "sha256", "sha384", "sha512", "aes-xcbc", "aes-cmac"}
ENCRYPTION = {"3des", "aes-128", "aes-192", "aes-256", "aes-128-ctr", "aes-192-ctr",
              "aes-256-ctr", "aes-128-ccm-8", "aes-128-gcm-16", "aes-256-gcm-16"}  # fmt: skip
PFS = {"group2", "group5", "group14", "group15", "group16", "group19", "group20", "group21"}

IKE_DEFAULTS: dict[str, Any] = {
    "name": "",
    "description": "",
    "auth_algorithm": "sha1",
    "encryption_algorithm": "aes-128",
    "phase1_negotiation_mode": "main",
    "ike_version": "v1",
    "pfs": "group5",
    "lifetime": LIFETIME,
}
IPSEC_DEFAULTS: dict[str, Any] = {
    "name": "",
    "description": "",
    "transform_protocol": "esp",
    "auth_algorithm": "sha1",
    "encapsulation_mode": "tunnel",
    "encryption_algorithm": "aes-128",
    "pfs": "group5",
    "lifetime": LIFETIME,
}
CHOICES: dict[str, set[str]] = {
    "auth_algorithm": AUTH_ALGORITHMS,
    "encryption_algorithm": ENCRYPTION,
    "pfs": PFS,
    "phase1_negotiation_mode": {"main", "aggressive"},
    "ike_version": {"v1", "v2"},
    "transform_protocol": {"esp", "ah", "ah-esp"},
    "encapsulation_mode": {"tunnel", "transport"},
}


def gateway_ip(emu: Emulator, region: str, router_id: str, version: int) -> str | None:
    """The first IPv``version`` address of the router's gateway, if it has one."""
    router = emu.store.get(region, "routers", router_id)
    info = (router or {}).get("external_gateway_info") or {}
    for ip in info.get("external_fixed_ips", []):
        if ipaddress.ip_address(ip["ip_address"]).version == version:
            return str(ip["ip_address"])
    return None


def pending_status(record: Record, settled: str) -> str:
    """``record['_pending']`` (PENDING_CREATE...) until ``_ready_at``, then ``settled``."""
    return str(record["_pending"]) if time.time() < record["_ready_at"] else settled


def check_not_pending(status: str, id_: str) -> None:
    """400 ``VPNStateInvalidToUpdate`` while a VPN resource is PENDING_*."""
    if status.startswith("PENDING"):
        raise neutron_error(
            400,
            "VPNStateInvalidToUpdate",
            f"Invalid state {status} of vpnaas resource {id_} for updating",
        )


class VPNServices(Collection):
    kind = "vpnservices"
    key = "vpnservice"
    path = "vpn/vpnservices"
    label = "VPNService"
    latency = None
    updatable: ClassVar[frozenset[str]] = frozenset({"name", "description", "admin_state_up"})

    def view(self, ctx: Ctx, record: Record) -> Record:
        out = public(record)
        out["status"] = pending_status(record, "ACTIVE" if record["admin_state_up"] else "DOWN")
        out["external_v4_ip"] = gateway_ip(ctx.emu, ctx.region, record["router_id"], 4)
        out["external_v6_ip"] = gateway_ip(ctx.emu, ctx.region, record["router_id"], 6)
        return out

    def create(self, ctx: Ctx, body: Record) -> Record:
        require(body, "router_id")
        router = Routers().find(ctx, str(body["router_id"]))
        if not router.get("external_gateway_info"):
            raise neutron_error(
                400,
                "RouterIsNotExternal",
                f"Router {router['id']} has no external network gateway set",
            )
        if body.get("subnet_id"):
            self._check_subnet(ctx, router, str(body["subnet_id"]))
        record = pick(body, {"name": "", "description": "", "admin_state_up": True})
        record.update(router_id=router["id"], subnet_id=body.get("subnet_id"), flavor_id=None)
        record.update(_pending="PENDING_CREATE", _ready_at=ready_at(ctx, "vpnservice"))
        return ctx.insert(self.kind, stamp(ctx, record, body_project(ctx, body)))

    @staticmethod
    def _check_subnet(ctx: Ctx, router: Record, subnet_id: str) -> None:
        Subnets().find(ctx, subnet_id)
        ports = interface_ports(ctx, router["id"])
        if not any(ip["subnet_id"] == subnet_id for p in ports for ip in p["fixed_ips"]):
            raise neutron_error(
                400,
                "SubnetIsNotConnectedToRouter",
                f"Subnet {subnet_id} is not connected to Router {router['id']}",
            )

    def check_update(self, ctx: Ctx, record: Record, body: Record) -> None:
        status = self.view(ctx, record)["status"]
        check_not_pending(status, record["id"])

    def delete(self, ctx: Ctx, record: Record) -> None:
        if any(c["vpnservice_id"] == record["id"] for c in ctx.records("ipsec_site_connections")):
            raise neutron_error(
                409,
                "VPNServiceInUse",
                f"VPNService {record['id']} is still in use",
            )
        ctx.delete(self.kind, record["id"])


def _check_choices(body: Record) -> None:
    for key, allowed in CHOICES.items():
        if key in body and body[key] not in allowed:
            raise ipam.invalid_input(f"'{body[key]}' is not in {sorted(allowed)} for {key}")
    lifetime = body.get("lifetime")
    if lifetime is not None and (
        not isinstance(lifetime, dict) or ipam.as_int(lifetime.get("value", 3600), "lifetime") < 60
    ):
        raise ipam.invalid_input(f"Invalid lifetime {lifetime}")


class _Policies(Collection):
    defaults: ClassVar[dict[str, Any]]
    field_name: ClassVar[str]

    def create(self, ctx: Ctx, body: Record) -> Record:
        _check_choices(body)
        record = pick(body, self.defaults)
        record["lifetime"] = dict(LIFETIME, **(body.get("lifetime") or {}))
        return ctx.insert(self.kind, stamp(ctx, record, body_project(ctx, body)))

    def check_update(self, ctx: Ctx, record: Record, body: Record) -> None:
        self._check_unused(ctx, record)
        _check_choices(body)
        if "lifetime" in body:
            body["lifetime"] = dict(record["lifetime"], **body["lifetime"])

    def delete(self, ctx: Ctx, record: Record) -> None:
        self._check_unused(ctx, record)
        ctx.delete(self.kind, record["id"])

    def _check_unused(self, ctx: Ctx, record: Record) -> None:
        """409 ``IKEPolicyInUse``/``IPsecPolicyInUse`` while a connection uses the policy."""
        for conn in ctx.records("ipsec_site_connections"):
            if conn[self.field_name] == record["id"]:
                raise neutron_error(
                    409,
                    f"{self.label}InUse",
                    f"{self.label} {record['id']} is in use by existing IPsecSiteConnection "
                    "and can't be updated or deleted",
                )


class IKEPolicies(_Policies):
    kind = "ikepolicies"
    key = "ikepolicy"
    path = "vpn/ikepolicies"
    label = "IKEPolicy"
    latency = "ikepolicy"
    defaults = IKE_DEFAULTS
    updatable = frozenset(IKE_DEFAULTS)
    field_name = "ikepolicy_id"


class IPsecPolicies(_Policies):
    kind = "ipsecpolicies"
    key = "ipsecpolicy"
    path = "vpn/ipsecpolicies"
    label = "IPsecPolicy"
    latency = "ipsecpolicy"
    defaults = IPSEC_DEFAULTS
    updatable = frozenset(IPSEC_DEFAULTS)
    field_name = "ipsecpolicy_id"


class EndpointGroups(Collection):
    kind = "endpoint_groups"
    key = "endpoint_group"
    path = "vpn/endpoint-groups"
    label = "VPNEndpointGroup"
    latency = "endpoint_group"

    def create(self, ctx: Ctx, body: Record) -> Record:
        require(body, "type")
        kind, endpoints = body["type"], body.get("endpoints") or []
        if kind not in ("subnet", "cidr", "router", "network", "vlan"):
            raise ipam.invalid_input(f"'{kind}' is not a valid endpoint group type")
        if not isinstance(endpoints, list) or not endpoints:
            raise bad_request("Endpoint group must have at least one endpoint")
        if kind == "subnet":
            endpoints = [Subnets().find(ctx, str(e))["id"] for e in endpoints]
        elif kind == "cidr":
            endpoints = [ipam.normalize_cidr(str(ipam.parse_cidr(e))) for e in endpoints]
        record = pick(body, {"name": "", "description": ""})
        record.update(type=kind, endpoints=endpoints)
        return ctx.insert(self.kind, stamp(ctx, record, body_project(ctx, body)))

    def delete(self, ctx: Ctx, record: Record) -> None:
        for conn in ctx.records("ipsec_site_connections"):
            if record["id"] in (conn.get("local_ep_group_id"), conn.get("peer_ep_group_id")):
                raise neutron_error(
                    409,
                    "EndpointGroupInUse",
                    f"Endpoint group {record['id']} is in use and cannot be deleted",
                )
        ctx.delete(self.kind, record["id"])
