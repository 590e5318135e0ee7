"""Emulated Neutron networks and subnets.

A subnet takes the network's first free defaults (see ``neutron.ipam``) and is added
to its network's ``subnets``; subnets of one network may not overlap. A
network with ports cannot be deleted (409 ``NetworkInUse``); its unused
subnets go with it. A subnet with ports (other than DHCP) gives 409
``SubnetInUse``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from crossheat.emulator.core import Record, neutron_error
from crossheat.emulator.neutron import ipam
from crossheat.emulator.neutron.base import (
    Collection,
    Ctx,
    body_project,
    check_quota,
    pick,
    require,
    stamp,
)

NETWORK_DEFAULTS: dict[str, Any] = {
    "name": "",
    "description": "",
    "admin_state_up": True,
    "shared": False,
    "router:external": False,
    "mtu": 1500,
    "port_security_enabled": True,
    "availability_zone_hints": [],
    "dns_domain": "",
    "qos_policy_id": None,
    "is_default": False,
    "tags": [],
}

SUBNET_DEFAULTS: dict[str, Any] = {
    "name": "",
    "description": "",
    "enable_dhcp": True,
    "dns_nameservers": [],
    "host_routes": [],
    "ipv6_ra_mode": None,
    "ipv6_address_mode": None,
    "subnetpool_id": None,
    "segment_id": None,
    "service_types": [],
    "dns_publish_fixed_ip": False,
    "tags": [],
}


def network_visible(ctx: Ctx, network: Record) -> bool:
    """Own, shared and external networks are visible."""
    return ctx.emu.visible(network, ctx.auth) or bool(network.get("router:external"))


class Networks(Collection):
    kind = "networks"
    key = "network"
    path = "networks"
    label = "Network"
    latency = "network"
    tagged = True
    updatable: ClassVar[frozenset[str]] = frozenset(
        {
            "name",
            "description",
            "admin_state_up",
            "shared",
            "mtu",
            "port_security_enabled",
            "dns_domain",
            "qos_policy_id",
            "router:external",
            "is_default",
        }
    )

    def visible(self, ctx: Ctx, record: Record) -> bool:
        return network_visible(ctx, record)

    def create(self, ctx: Ctx, body: Record) -> Record:
        project = body_project(ctx, body)
        check_quota(ctx, self.kind, "networks", project)
        if body.get("router:external") and not ctx.auth.is_admin:
            raise neutron_error(403, "HTTPForbidden", "Only admin can create external networks.")
        record = pick(body, NETWORK_DEFAULTS)
        record.update(
            status="ACTIVE",
            subnets=[],
            availability_zones=["nova"],
            ipv4_address_scope=None,
            ipv6_address_scope=None,
            l2_adjacency=True,
        )
        return ctx.insert(self.kind, stamp(ctx, record, project))

    def check_update(self, ctx: Ctx, record: Record, body: Record) -> None:
        if record.get("project_id") != ctx.auth.project_id and not ctx.auth.is_admin:
            raise neutron_error(403, "HTTPForbidden", "Not allowed to change a shared network.")

    def delete(self, ctx: Ctx, record: Record) -> None:
        if any(p["network_id"] == record["id"] for p in ctx.records("ports")):
            raise neutron_error(
                409,
                "NetworkInUse",
                f"Unable to complete operation on network {record['id']}. "
                "There are one or more ports still in use on the network.",
            )
        for subnet_id in record["subnets"]:
            ctx.delete("subnets", subnet_id)
        ctx.delete(self.kind, record["id"])


def used_addresses(ctx: Ctx, subnet_id: str) -> set[str]:
    """Addresses of ``subnet_id`` held by ports."""
    return {
        ip["ip_address"]
        for port in ctx.records("ports")
        for ip in port["fixed_ips"]
        if ip["subnet_id"] == subnet_id
    }


class Subnets(Collection):
    kind = "subnets"
    key = "subnet"
    path = "subnets"
    label = "Subnet"
    latency = "subnet"
    tagged = True
    updatable: ClassVar[frozenset[str]] = frozenset(
        {
            "name",
            "description",
            "enable_dhcp",
            "dns_nameservers",
            "host_routes",
            "gateway_ip",
            "allocation_pools",
            "service_types",
            "dns_publish_fixed_ip",
        }
    )

    def visible(self, ctx: Ctx, record: Record) -> bool:
        network = ctx.get("networks", record["network_id"])
        return network is not None and network_visible(ctx, network)

    def create(self, ctx: Ctx, body: Record) -> Record:
        require(body, "network_id", "cidr")
        network = Networks().find(ctx, str(body["network_id"]))
        project = body_project(ctx, body)
        if network["project_id"] != project and not ctx.auth.is_admin:
            raise neutron_error(403, "HTTPForbidden", "Not allowed to add a subnet here.")
        check_quota(ctx, self.kind, "subnets", project)
        net = ipam.parse_cidr(body["cidr"], body.get("ip_version"))
        self._check_overlap(ctx, network, net)
        record = pick(body, SUBNET_DEFAULTS)
        record.update(network_id=network["id"], ip_version=net.version, cidr=str(net))
        record.update(self._addressing(net, body))
        stamp(ctx, record, project)
        ctx.insert(self.kind, record)
        network["subnets"].append(record["id"])
        ctx.save("networks", network)
        return record

    @staticmethod
    def _addressing(net: ipam.IPNetwork, body: Record) -> Record:
        gateway = body.get("gateway_ip", ipam.default_gateway(net))
        if gateway is not None and ipam.parse_ip(gateway) not in net:
            raise ipam.invalid_input(f"Gateway IP {gateway} is not in subnet {net}")
        if body.get("allocation_pools"):
            pools = ipam.validate_pools(net, body["allocation_pools"], gateway)
        else:
            pools = ipam.default_pools(net, gateway)
        return {"gateway_ip": gateway, "allocation_pools": pools}

    def _check_overlap(self, ctx: Ctx, network: Record, net: ipam.IPNetwork) -> None:
        for subnet_id in network["subnets"]:
            other = ctx.get(self.kind, subnet_id)
            if other is not None and ipam.parse_cidr(other["cidr"]).overlaps(net):
                raise ipam.invalid_input(
                    f"Requested subnet with cidr: {net} for network: {network['id']} "
                    "overlaps with another subnet"
                )

    def check_update(self, ctx: Ctx, record: Record, body: Record) -> None:
        net = ipam.parse_cidr(record["cidr"])
        gateway = body.get("gateway_ip", record["gateway_ip"])
        if gateway is not None and ipam.parse_ip(gateway) not in net:
            raise ipam.invalid_input(f"Gateway IP {gateway} is not in subnet {net}")
        if body.get("allocation_pools"):
            body["allocation_pools"] = ipam.validate_pools(net, body["allocation_pools"], gateway)

    def delete(self, ctx: Ctx, record: Record) -> None:
        ports = [
            p
            for p in ctx.records("ports")
            if p["device_owner"] != "network:dhcp"
            and any(ip["subnet_id"] == record["id"] for ip in p["fixed_ips"])
        ]
        if ports:
            raise neutron_error(
                409,
                "SubnetInUse",
                f"Unable to complete operation on subnet {record['id']}: "
                "One or more ports have an IP allocation from this subnet.",
            )
        network = ctx.get("networks", record["network_id"])
        if network is not None:
            network["subnets"] = [s for s in network["subnets"] if s != record["id"]]
            ctx.save("networks", network)
        ctx.delete(self.kind, record["id"])
