"""Emulated Neutron ports, and the calls Nova makes in-process to wire its servers.

A port gets one address from its network's first IPv4 subnet unless
``fixed_ips`` says otherwise (``[{"subnet_id": ...}, {"ip_address": ...}]``);
an address is never handed out twice (409 ``IpAddressAlreadyAllocated``,
``IpAddressGenerationFailure`` when the pools are exhausted). Status is DOWN
until the ``port`` latency has passed, then ACTIVE.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from crossheat.emulator.core import Record, neutron_error
from crossheat.emulator.neutron import ipam
from crossheat.emulator.neutron.base import (
    Collection,
    Ctx,
    bad_request,
    body_project,
    check_quota,
    pick,
    public,
    ready_at,
    require,
    stamp,
)
from crossheat.emulator.neutron.networks import Networks, used_addresses
from crossheat.emulator.neutron.secgroups import SecurityGroups, default_group

PORT_DEFAULTS: dict[str, Any] = {
    "name": "",
    "description": "",
    "admin_state_up": True,
    "device_id": "",
    "device_owner": "",
    "allowed_address_pairs": [],
    "extra_dhcp_opts": [],
    "binding:vnic_type": "normal",
    "dns_name": "",
    "qos_policy_id": None,
    "propagate_uplink_status": False,
    "tags": [],
}

#: Ports Neutron owns itself: no security groups, not deletable through the port API.
L3_OWNERS = ("network:router_interface", "network:router_gateway", "network:floatingip")


def _subnet_of(ctx: Ctx, network: Record, spec: Record) -> Record:
    """The subnet a ``fixed_ips`` entry means: named, or holding its address, or the first."""
    subnets = [s for s in (ctx.get("subnets", i) for i in network["subnets"]) if s is not None]
    if "subnet_id" in spec:
        found = [s for s in subnets if s["id"] == spec["subnet_id"]]
        if not found:
            raise bad_request(f"Invalid input: subnet {spec['subnet_id']} is not on this network")
        return found[0]
    if "ip_address" in spec:
        address = ipam.parse_ip(spec["ip_address"])
        for subnet in subnets:
            if address in ipam.parse_cidr(subnet["cidr"]):
                return subnet
        raise ipam.invalid_input(f"IP address {address} is not a valid IP for the network")
    if not subnets:
        raise bad_request(f"Network {network['id']} has no subnet to allocate from")
    return sorted(subnets, key=lambda s: s["ip_version"])[0]


def _one_address(ctx: Ctx, network: Record, spec: Record) -> Record:
    subnet = _subnet_of(ctx, network, spec)
    used = used_addresses(ctx, subnet["id"])
    if "ip_address" in spec:
        parsed = ipam.parse_ip(spec["ip_address"])
        address = str(parsed)
        if parsed not in ipam.parse_cidr(subnet["cidr"]):
            raise ipam.invalid_input(f"IP address {address} is not in subnet {subnet['cidr']}")
        if address in used:
            raise neutron_error(
                409,
                "IpAddressAlreadyAllocated",
                f"IP address {address} already allocated in subnet {subnet['id']}",
            )
        return {"subnet_id": subnet["id"], "ip_address": address}
    free = ipam.next_free(subnet["allocation_pools"], used)
    if free is None:
        raise neutron_error(
            409,
            "IpAddressGenerationFailure",
            f"No more IP addresses available on network {network['id']}.",
        )
    return {"subnet_id": subnet["id"], "ip_address": free}


def allocate_fixed_ips(ctx: Ctx, network: Record, specs: Any) -> list[Record]:
    """Addresses for a new port: ``specs`` as in ``fixed_ips``; ``None`` = one automatic."""
    if specs is None:
        return [_one_address(ctx, network, {})] if network["subnets"] else []
    if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
        raise ipam.invalid_input("fixed_ips must be a list of objects")
    out: list[Record] = []
    for spec in specs:
        taken = {ip["ip_address"] for ip in out}
        entry = _one_address(ctx, network, spec)
        if entry["ip_address"] in taken:
            raise neutron_error(409, "IpAddressAlreadyAllocated", "IP address requested twice")
        out.append(entry)
    return out


def new_port(ctx: Ctx, network: Record, body: Record, project: str) -> Record:
    """Build, store and return a port on ``network`` (no quota or visibility checks)."""
    record = pick(body, PORT_DEFAULTS)
    record["fixed_ips"] = allocate_fixed_ips(ctx, network, body.get("fixed_ips"))
    used_macs = {p["mac_address"] for p in ctx.records("ports")}
    record["mac_address"] = body.get("mac_address") or ipam.random_mac(used_macs)
    record["network_id"] = network["id"]
    record["port_security_enabled"] = bool(body.get("port_security_enabled", True))
    if record["device_owner"] in L3_OWNERS or not record["port_security_enabled"]:
        record["security_groups"] = []
    elif "security_groups" in body:
        record["security_groups"] = _groups(ctx, body["security_groups"])
    else:
        record["security_groups"] = [default_group(ctx, project)["id"]]
    record["_ready_at"] = ready_at(ctx, "port")
    return ctx.insert("ports", stamp(ctx, record, project))


def _groups(ctx: Ctx, ids: Any) -> list[str]:
    if not isinstance(ids, list):
        raise ipam.invalid_input("security_groups must be a list")
    return [SecurityGroups().find(ctx, str(i))["id"] for i in ids]


class Ports(Collection):
    kind = "ports"
    key = "port"
    path = "ports"
    label = "Port"
    latency = None
    tagged = True
    updatable: ClassVar[frozenset[str]] = frozenset(
        {
            "name",
            "fixed_ips",
            "description",
            "admin_state_up",
            "device_id",
            "device_owner",
            "security_groups",
            "allowed_address_pairs",
            "port_security_enabled",
            "qos_policy_id",
            "binding:host_id",
            "binding:vnic_type",
            "dns_name",
            "extra_dhcp_opts",
        }
    )

    def view(self, ctx: Ctx, record: Record) -> Record:
        out = public(record)
        out["status"] = "ACTIVE" if time.time() >= record["_ready_at"] else "DOWN"
        return out

    def create(self, ctx: Ctx, body: Record) -> Record:
        require(body, "network_id")
        network = Networks().find(ctx, str(body["network_id"]))
        project = body_project(ctx, body)
        mine = network["project_id"] == project or network.get("shared")
        if not mine and not ctx.auth.is_admin:
            raise neutron_error(403, "HTTPForbidden", "Not allowed to create a port here.")
        check_quota(ctx, self.kind, "ports", project)
        return new_port(ctx, network, body, project)

    def check_update(self, ctx: Ctx, record: Record, body: Record) -> None:
        if "security_groups" in body:
            body["security_groups"] = _groups(ctx, body["security_groups"])
        if "fixed_ips" in body:
            body["fixed_ips"] = _readdress(ctx, record, body["fixed_ips"])

    def delete(self, ctx: Ctx, record: Record) -> None:
        if record["device_owner"] in L3_OWNERS:
            raise neutron_error(
                409,
                "L3PortInUse",
                f"Port {record['id']} cannot be deleted directly via the port API: "
                f"has device owner {record['device_owner']}.",
            )
        delete_port(ctx, record)


def delete_port(ctx: Ctx, port: Record) -> None:
    """Remove a port, disassociating floating IPs that pointed at it."""
    for fip in ctx.records("floatingips"):
        if fip.get("port_id") == port["id"]:
            fip.update(port_id=None, fixed_ip_address=None, router_id=None, status="DOWN")
            ctx.save("floatingips", fip)
    ctx.delete("ports", port["id"])


def subnets_of(ctx: Ctx, port: Record) -> list[Record]:
    found = (ctx.get("subnets", ip["subnet_id"]) for ip in port["fixed_ips"])
    return [s for s in found if s is not None]


def _readdress(ctx: Ctx, port: Record, specs: Any) -> list[Record]:
    """New ``fixed_ips`` for an existing port; its current addresses may be kept."""
    network = Networks().find(ctx, port["network_id"])
    old, port["fixed_ips"] = port["fixed_ips"], []
    try:
        return allocate_fixed_ips(ctx, network, specs)
    finally:
        port["fixed_ips"] = old
