"""Neutron networks, subnets and routers, with Heat's schemas (openstack/heat,
``heat/engine/resources/openstack/neutron/{net,subnet,router}.py``).

``register`` also registers the port, floating IP and security group types
(``neutron_ports``) and the VPN types (``vpnaas``).

Lifecycles (``neutron_crud``): references may be names (a subnet's
``network``, a router's ``external_gateway_info.network: public``); a subnet's
``gateway_ip: ''`` means no gateway, ``auto`` the default. A router
interface's physical id is Heat's ``<router id>:subnet_id=<id>`` (or
``:port_id=<id>``); the port Neutron makes for a subnet interface is tagged,
so that ``find`` works after a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crossheat.errors import (
    Diagnostic,
    TemplatePath,
)
from crossheat.resources.constraints import OFFLINE_CHECKS, AllowedValues, CustomConstraint, Range
from crossheat.resources.lifecycle import ResourceContext
from crossheat.resources.registry import Registry
from crossheat.resources.schema import Attribute, Property
from crossheat.resources.schema import PropertyType as T
from crossheat.resources.types import neutron_ports, vpnaas
from crossheat.resources.types.common import (
    IP_ADDR,
    NET_CIDR,
    NETWORK,
    QOS_POLICY,
    SUBNET,
    TAGS,
    VALUE_SPECS,
)
from crossheat.resources.types.neutron_crud import (
    NeutronApi,
    NeutronResource,
    find_id,
    without_none,
)
from crossheat.resources.types.neutron_interfaces import RouterInterface
from crossheat.template.values import contains_unknown

_IPV6_MODES = AllowedValues(("dhcpv6-stateful", "dhcpv6-stateless", "slaac"))


class Net(NeutronResource):
    """A Neutron network."""

    type_name = "OS::Neutron::Net"
    api = NeutronApi("network", "networks")
    renames = {"qos_policy": "qos_policy_id"}
    not_sent = frozenset({"dhcp_agent_ids"})
    properties_schema = {
        "name": Property(T.STRING, "Name of the network.", update_allowed=True),
        "value_specs": VALUE_SPECS,
        "admin_state_up": Property(
            T.BOOLEAN, "Administrative status of the network.", default=True, update_allowed=True
        ),
        "tenant_id": Property(T.STRING, "Project that owns the network (admin only)."),
        "shared": Property(
            T.BOOLEAN,
            "Whether the network is shared across all projects.",
            default=False,
            update_allowed=True,
        ),
        "dhcp_agent_ids": Property(
            T.LIST, "DHCP agents to schedule the network on.", update_allowed=True
        ),
        "port_security_enabled": Property(
            T.BOOLEAN, "Default port security of its ports.", update_allowed=True
        ),
        "qos_policy": Property(
            T.STRING, "Name or ID of a QoS policy.", update_allowed=True, constraints=(QOS_POLICY,)
        ),
        "dns_domain": Property(
            T.STRING,
            "DNS domain of the network.",
            update_allowed=True,
            constraints=(CustomConstraint("dns_domain"),),
        ),
        "availability_zone_hints": Property(T.LIST, "Availability zone candidates."),
        "tags": TAGS,
    }
    attributes_schema = {
        "status": Attribute("The status of the network.", T.STRING),
        "name": Attribute("The name of the network.", T.STRING),
        "subnets": Attribute("Subnets of this network.", T.LIST),
        "admin_state_up": Attribute("The administrative status of the network.", T.STRING),
        "tenant_id": Attribute("The project owning this network.", T.STRING),
        "port_security_enabled": Attribute("Port security of the network.", T.BOOLEAN),
        "mtu": Attribute("The maximum transmission unit in bytes.", T.INTEGER),
        "qos_policy_id": Attribute("The QoS policy ID attached.", T.STRING),
        "l2_adjacency": Attribute("True when L2 connectivity spans the network.", T.BOOLEAN),
        "segments": Attribute("The segments of this network.", T.LIST),
    }


_POOL = Property(
    T.MAP,
    schema={
        "start": Property(
            T.STRING, "First address of the pool.", required=True, constraints=(IP_ADDR,)
        ),
        "end": Property(
            T.STRING, "Last address of the pool.", required=True, constraints=(IP_ADDR,)
        ),
    },
)
_HOST_ROUTE = Property(
    T.MAP,
    schema={
        "destination": Property(
            T.STRING, "Destination CIDR.", required=True, constraints=(NET_CIDR,)
        ),
        "nexthop": Property(T.STRING, "Next hop address.", required=True, constraints=(IP_ADDR,)),
    },
)


class Subnet(NeutronResource):
    """A Neutron subnet. ``network_id`` is Heat's hidden alias of ``network``."""

    replace_delete_first = True

    type_name = "OS::Neutron::Subnet"
    api = NeutronApi("subnet", "subnets")
    renames = {"network": "network_id", "subnetpool": "subnetpool_id", "segment": "segment_id"}
    properties_schema = {
        "network": Property(
            T.STRING,
            "Name or ID of the network.",
            required=True,
            constraints=(NETWORK,),
            aliases=("network_id",),
        ),
        "subnetpool": Property(
            T.STRING,
            "Name or ID of a subnet pool.",
            constraints=(CustomConstraint("neutron.subnetpool"),),
        ),
        "prefixlen": Property(
            T.INTEGER,
            "Prefix length to allocate from the subnet pool.",
            constraints=(Range(min=0),),
        ),
        "cidr": Property(T.STRING, "The CIDR.", constraints=(NET_CIDR,)),
        "value_specs": VALUE_SPECS,
        "name": Property(T.STRING, "Name of the subnet.", update_allowed=True),
        "ip_version": Property(
            T.INTEGER, "IP version, 4 or 6.", default=4, constraints=(AllowedValues((4, 6)),)
        ),
        "dns_nameservers": Property(T.LIST, "DNS name servers.", default=[], update_allowed=True),
        "gateway_ip": Property(
            T.STRING, "Gateway address; null or '' for no gateway.", update_allowed=True
        ),
        "enable_dhcp": Property(
            T.BOOLEAN, "Whether DHCP is enabled.", default=True, update_allowed=True
        ),
        "allocation_pools": Property(
            T.LIST, "Start and end addresses of allocation pools.", items=_POOL, update_allowed=True
        ),
        "tenant_id": Property(T.STRING, "Project that owns the subnet (admin only)."),
        "host_routes": Property(
            T.LIST, "Host routes of the subnet.", items=_HOST_ROUTE, update_allowed=True
        ),
        "ipv6_ra_mode": Property(
            T.STRING, "IPv6 router advertisement mode.", constraints=(_IPV6_MODES,)
        ),
        "ipv6_address_mode": Property(T.STRING, "IPv6 address mode.", constraints=(_IPV6_MODES,)),
        "segment": Property(
            T.STRING,
            "Name or ID of a segment.",
            update_allowed=True,
            constraints=(CustomConstraint("neutron.segment"),),
        ),
        "tags": TAGS,
    }
    attributes_schema = {
        "name": Attribute("Name of the subnet.", T.STRING),
        "network_id": Attribute("Parent network of the subnet.", T.STRING),
        "tenant_id": Attribute("Project owning the subnet.", T.STRING),
        "allocation_pools": Attribute("IP allocation pools and their ranges.", T.LIST),
        "gateway_ip": Attribute("IP of the subnet's gateway.", T.STRING),
        "host_routes": Attribute("Additional routes for this subnet.", T.LIST),
        "ip_version": Attribute("IP version of the subnet.", T.STRING),
        "cidr": Attribute("CIDR of the subnet.", T.STRING),
        "dns_nameservers": Attribute("DNS name servers.", T.LIST),
        "enable_dhcp": Attribute("'true' if DHCP is enabled, 'false' otherwise.", T.STRING),
    }

    @classmethod
    def validate(cls, values: Any, path: TemplatePath) -> list[Diagnostic]:
        """Heat's rules on top of the schema: ``cidr`` or ``subnetpool`` (not both),
        no ``prefixlen`` with ``cidr``, IPv6 modes only for IPv6 and equal, and a
        ``gateway_ip`` that is an address (or ``''``, ``~``, ``auto``)."""
        diags = super().validate(values, path)
        if isinstance(values, Mapping) and not diags:
            props = cls.with_defaults(values)
            diags += [Diagnostic(msg, path, code="conflict") for msg in _subnet_rules(props)]
        return diags

    def resolve(
        self, ctx: ResourceContext, body: dict[str, Any], props: Mapping[str, Any]
    ) -> dict[str, Any]:
        if "network_id" in body:
            body["network_id"] = find_id(ctx, "network", body["network_id"])
        if "subnetpool_id" in body:
            body["subnetpool_id"] = find_id(ctx, "subnet_pool", body["subnetpool_id"])
        if body.get("gateway_ip") in ("auto", "~"):
            del body["gateway_ip"]
        elif body.get("gateway_ip") == "":
            body["gateway_ip"] = None
        return body


def _subnet_rules(props: Mapping[str, Any]) -> list[str]:
    unknown = {key for key, value in props.items() if contains_unknown(value)}
    known = {key: value for key, value in props.items() if key not in unknown}
    cidr, pool, ra, address = (
        known.get(k) for k in ("cidr", "subnetpool", "ipv6_ra_mode", "ipv6_address_mode")
    )
    problems = []
    if pool is not None and cidr:
        problems.append("subnetpool and cidr cannot both be given")
    if pool is None and not cidr and not unknown & {"cidr", "subnetpool"}:
        problems.append("one of subnetpool and cidr must be given")
    if known.get("prefixlen") and cidr:
        problems.append("prefixlen and cidr cannot both be given")
    if known.get("ip_version") == 4 and (ra or address):
        problems.append("ipv6_ra_mode and ipv6_address_mode are not supported for IPv4")
    if ra and address and ra != address:
        problems.append("ipv6_ra_mode and ipv6_address_mode must be equal when both are set")
    gateway = known.get("gateway_ip")
    if gateway and gateway not in ("~", "auto") and not OFFLINE_CHECKS["ip_addr"](gateway):
        problems.append(f"gateway_ip {gateway!r} is not an IP address")
    return problems


_EXTERNAL_GATEWAY = Property(
    T.MAP,
    "External network gateway of the router.",
    update_allowed=True,
    schema={
        "network": Property(
            T.STRING,
            "Name or ID of the external network.",
            required=True,
            update_allowed=True,
            constraints=(NETWORK,),
        ),
        "enable_snat": Property(
            T.BOOLEAN, "Source NAT on the gateway (admin only).", update_allowed=True
        ),
        "external_fixed_ips": Property(
            T.LIST,
            "Fixed IPs of the gateway.",
            update_allowed=True,
            items=Property(
                T.MAP,
                schema={
                    "ip_address": Property(T.STRING, "External fixed IP.", constraints=(IP_ADDR,)),
                    "subnet": Property(T.STRING, "Subnet of the fixed IP.", constraints=(SUBNET,)),
                },
            ),
        ),
    },
)


class Router(NeutronResource):
    """A Neutron router. ``l3_agent_id`` is Heat's hidden alias of ``l3_agent_ids``."""

    type_name = "OS::Neutron::Router"
    api = NeutronApi("router", "routers")
    not_sent = frozenset({"l3_agent_ids", "l3_agent_id"})
    properties_schema = {
        "name": Property(T.STRING, "Name of the router.", update_allowed=True),
        "external_gateway_info": _EXTERNAL_GATEWAY,
        "value_specs": VALUE_SPECS,
        "admin_state_up": Property(
            T.BOOLEAN, "Administrative state of the router.", default=True, update_allowed=True
        ),
        "l3_agent_ids": Property(
            T.LIST,
            "L3 agents of the router (admin only).",
            items=Property(T.STRING),
            update_allowed=True,
        ),
        "l3_agent_id": Property(
            T.STRING, "Hidden since Heat 6.0.0: use l3_agent_ids.", update_allowed=True
        ),
        "distributed": Property(T.BOOLEAN, "Create a distributed router (admin only)."),
        "ha": Property(T.BOOLEAN, "Create a highly available router (admin only)."),
        "availability_zone_hints": Property(
            T.LIST, "Availability zone candidates.", update_allowed=True
        ),
        "tags": TAGS,
        "tenant_id": Property(T.STRING, "Project that owns the router (admin only)."),
    }
    attributes_schema = {
        "status": Attribute("The status of the router.", T.STRING),
        "external_gateway_info": Attribute("Gateway network of the router.", T.MAP),
        "name": Attribute("Name of the router.", T.STRING),
        "admin_state_up": Attribute("Administrative state of the router.", T.STRING),
        "tenant_id": Attribute("Project owning the router.", T.STRING),
    }

    def resolve(
        self, ctx: ResourceContext, body: dict[str, Any], props: Mapping[str, Any]
    ) -> dict[str, Any]:
        info = body.get("external_gateway_info")
        if info:
            fixed = [
                without_none(
                    {
                        "subnet_id": find_id(ctx, "subnet", ip["subnet"])
                        if ip.get("subnet")
                        else None,
                        "ip_address": ip.get("ip_address"),
                    }
                )
                for ip in info.get("external_fixed_ips") or []
            ]
            gateway = {
                "network_id": find_id(ctx, "network", info["network"]),
                "enable_snat": info.get("enable_snat"),
                "external_fixed_ips": fixed or None,
            }
            body["external_gateway_info"] = without_none(gateway)
        return body

    def properties_from(self, ctx: ResourceContext, data: Mapping[str, Any]) -> dict[str, Any]:
        """As the base does; the gateway in Heat's terms, ids for names:
        ``{network, enable_snat, external_fixed_ips: [{subnet, ip_address}]}`` (``None``
        when the router has none)."""
        out = super().properties_from(ctx, data)
        info = data.get("external_gateway_info")
        out["external_gateway_info"] = _gateway_properties(info) if info else None
        return out


def _gateway_properties(info: Mapping[str, Any]) -> dict[str, Any]:
    fixed = [
        {"subnet": ip.get("subnet_id"), "ip_address": ip.get("ip_address")}
        for ip in info.get("external_fixed_ips") or []
    ]
    return {
        "network": info.get("network_id"),
        "enable_snat": info.get("enable_snat"),
        "external_fixed_ips": fixed,
    }


__all__ = ["Net", "Router", "RouterInterface", "Subnet", "register"]


def register(registry: Registry) -> None:
    """Entry point ``crossheat.resource_types: neutron``."""
    for cls in (Net, Subnet, Router, RouterInterface):
        registry.register(cls)
    neutron_ports.register(registry)
    vpnaas.register(registry)
