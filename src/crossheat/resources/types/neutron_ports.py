"""Neutron ports, floating IPs and security groups, with Heat's schemas (openstack/heat,
``heat/engine/resources/openstack/neutron/{port,floatingip,security_group,
security_group_rule}.py``). Registered by ``neutron.register``.

Lifecycles (``neutron_crud``): a port's ``network``, ``fixed_ips[].subnet`` and
``security_groups`` may be names; it is ready, as in Heat, once its status is
no longer ``BUILD``. A floating IP association's physical id is the floating
IP's; it creates nothing, so ``find`` finds nothing, and deleting it
disassociates. A security group keeps Neutron's default egress rules unless
its ``rules`` have egress rules (``security_rules``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from crossheat.errors import CloudNotFound
from crossheat.resources.constraints import AllowedValues, CustomConstraint, Range
from crossheat.resources.lifecycle import Done, ResourceContext, Step
from crossheat.resources.registry import Registry, ResourceType
from crossheat.resources.schema import Attribute, Property
from crossheat.resources.schema import PropertyType as T
from crossheat.resources.types.common import (
    IP_ADDR,
    MAC_ADDR,
    NET_CIDR,
    NETWORK,
    PORT,
    QOS_POLICY,
    SECURITY_GROUP,
    SUBNET,
    TAGS,
    VALUE_SPECS,
)
from crossheat.resources.types.neutron_crud import (
    NeutronApi,
    NeutronResource,
    as_api_dict,
    find_id,
    sdk,
    without_none,
)
from crossheat.resources.types.security_rules import sync_rules

_VNIC_TYPES = (
    "normal",
    "direct",
    "macvtap",
    "direct-physical",
    "baremetal",
    "virtio-forwarder",
    "smart-nic",
)
_ADDRESS_PAIR = Property(
    T.MAP,
    schema={
        "mac_address": Property(T.STRING, "MAC address to allow.", constraints=(MAC_ADDR,)),
        "ip_address": Property(
            T.STRING,
            "IP address or CIDR to allow.",
            required=True,
            constraints=(CustomConstraint("ip_or_cidr"),),
        ),
    },
)

#: The port properties a server's ``networks[].port_extra_properties`` may also set.
PORT_EXTRA_PROPERTIES = {
    "value_specs": VALUE_SPECS,
    "admin_state_up": Property(
        T.BOOLEAN, "Administrative state of the port.", default=True, update_allowed=True
    ),
    "mac_address": Property(T.STRING, "MAC address of the port.", constraints=(MAC_ADDR,)),
    "allowed_address_pairs": Property(
        T.LIST,
        "Extra MAC/IP pairs allowed through the port.",
        items=_ADDRESS_PAIR,
        update_allowed=True,
    ),
    "binding:vnic_type": Property(
        T.STRING,
        "VNIC type to bind the port with.",
        default="normal",
        update_allowed=True,
        constraints=(AllowedValues(_VNIC_TYPES),),
    ),
    "port_security_enabled": Property(T.BOOLEAN, "Port security of the port.", update_allowed=True),
    "qos_policy": Property(
        T.STRING, "Name or ID of a QoS policy.", update_allowed=True, constraints=(QOS_POLICY,)
    ),
    "propagate_uplink_status": Property(T.BOOLEAN, "Propagate uplink status.", update_allowed=True),
    "no_fixed_ips": Property(
        T.BOOLEAN, "Disable all fixed IPs of the port.", default=False, update_allowed=True
    ),
}

_FIXED_IP = Property(
    T.MAP,
    schema={
        "subnet": Property(
            T.STRING,
            "Subnet to allocate the address in.",
            constraints=(SUBNET,),
            aliases=("subnet_id",),
        ),
        "ip_address": Property(T.STRING, "Address wanted in the subnet.", constraints=(IP_ADDR,)),
    },
)


class Port(NeutronResource):
    """A Neutron port. ``network_id`` and ``fixed_ips[].subnet_id`` are Heat's hidden aliases."""

    type_name = "OS::Neutron::Port"
    api = NeutronApi("port", "ports")
    renames = {"network": "network_id", "qos_policy": "qos_policy_id"}
    not_sent = frozenset({"replacement_policy", "no_fixed_ips"})
    pending_statuses = frozenset({"BUILD"})
    properties_schema = {
        "name": Property(T.STRING, "Name of the port.", update_allowed=True),
        "network": Property(
            T.STRING,
            "Name or ID of the network of the port.",
            required=True,
            constraints=(NETWORK,),
            aliases=("network_id",),
        ),
        "device_id": Property(T.STRING, "Device ID of the port.", default="", update_allowed=True),
        "device_owner": Property(
            T.STRING, "Owner of the port's device.", default="", update_allowed=True
        ),
        "fixed_ips": Property(
            T.LIST, "IPs wanted for the port.", items=_FIXED_IP, update_allowed=True
        ),
        "security_groups": Property(T.LIST, "Security groups of the port.", update_allowed=True),
        "replacement_policy": Property(
            T.STRING,
            "Hidden since Heat 9.0.0; ignored.",
            default="AUTO",
            update_allowed=True,
            constraints=(AllowedValues(("REPLACE_ALWAYS", "AUTO")),),
        ),
        "dns_name": Property(
            T.STRING,
            "DNS name of the port.",
            update_allowed=True,
            constraints=(CustomConstraint("dns_name"),),
        ),
        "tags": TAGS,
        **PORT_EXTRA_PROPERTIES,
    }
    attributes_schema = {
        "admin_state_up": Attribute("Administrative state of the port.", T.STRING),
        "device_id": Attribute("Unique identifier of the device.", T.STRING),
        "device_owner": Attribute("Owner of the port's device.", T.STRING),
        "fixed_ips": Attribute("Fixed IP addresses.", T.LIST),
        "mac_address": Attribute("MAC address of the port.", T.STRING),
        "name": Attribute("Name of the port.", T.STRING),
        "network_id": Attribute("ID of the port's network.", T.STRING),
        "security_groups": Attribute("Security groups of the port.", T.LIST),
        "status": Attribute("The status of the port.", T.STRING),
        "tenant_id": Attribute("Project owning the port.", T.STRING),
        "allowed_address_pairs": Attribute("Extra MAC/IP pairs allowed through.", T.LIST),
        "subnets": Attribute("Every subnet of the port, with its attributes.", T.LIST),
        "port_security_enabled": Attribute("Port security of the port.", T.BOOLEAN),
        "qos_policy_id": Attribute("The QoS policy ID attached.", T.STRING),
        "dns_assignment": Attribute("The DNS assigned to the port.", T.MAP),
        "network": Attribute("Attributes of the port's network.", T.MAP),
        "propagate_uplink_status": Attribute("Propagate uplink status.", T.BOOLEAN),
    }

    def resolve(
        self, ctx: ResourceContext, body: dict[str, Any], props: Mapping[str, Any]
    ) -> dict[str, Any]:
        if "network_id" in body:
            body["network_id"] = find_id(ctx, "network", body["network_id"])
        if "fixed_ips" in body:
            body["fixed_ips"] = [fixed_ip(ctx, ip) for ip in body["fixed_ips"]]
        if props.get("no_fixed_ips"):
            body["fixed_ips"] = []
        if "security_groups" in body:
            body["security_groups"] = [
                find_id(ctx, "security_group", group) for group in body["security_groups"]
            ]
        return body

    def live_properties_for(
        self, ctx: ResourceContext, stored: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """A port the template leaves unbound (no ``device_id``/``device_owner``) is bound
        by what uses it (a server it is given to): that is no drift."""
        live = self.live_properties(ctx)
        for key in ("device_id", "device_owner"):
            if live is not None and not stored.get(key):
                live.pop(key, None)
        return live


def fixed_ip(ctx: ResourceContext, wanted: Mapping[str, Any]) -> dict[str, Any]:
    """``{subnet: name-or-id, ip_address}`` -> the API's ``{subnet_id, ip_address}``."""
    subnet = wanted.get("subnet")
    return without_none(
        {
            "subnet_id": find_id(ctx, "subnet", subnet) if subnet else None,
            "ip_address": wanted.get("ip_address"),
        }
    )


class FloatingIP(NeutronResource):
    """A floating IP. ``floating_network_id`` is Heat's hidden alias of ``floating_network``."""

    type_name = "OS::Neutron::FloatingIP"
    api = NeutronApi("ip", "ips")
    renames = {"floating_network": "floating_network_id", "floating_subnet": "subnet_id"}
    has_name = False
    properties_schema = {
        "floating_network": Property(
            T.STRING,
            "Network to allocate the floating IP from.",
            required=True,
            constraints=(NETWORK,),
            aliases=("floating_network_id",),
        ),
        "floating_subnet": Property(
            T.STRING, "Subnet to allocate the floating IP from.", constraints=(SUBNET,)
        ),
        "value_specs": Property(T.MAP, "Extra parameters to include in the request.", default={}),
        "port_id": Property(
            T.STRING,
            "Port to associate the floating IP with.",
            update_allowed=True,
            constraints=(PORT,),
        ),
        "fixed_ip_address": Property(
            T.STRING,
            "Address to use if the port has several.",
            update_allowed=True,
            constraints=(IP_ADDR,),
        ),
        "floating_ip_address": Property(
            T.STRING, "Address of the floating IP (admin only).", constraints=(IP_ADDR,)
        ),
        "dns_name": Property(
            T.STRING,
            "DNS name of the floating IP.",
            update_allowed=True,
            constraints=(CustomConstraint("rel_dns_name"),),
        ),
        "dns_domain": Property(
            T.STRING,
            "DNS domain of the floating IP.",
            update_allowed=True,
            constraints=(CustomConstraint("dns_domain"),),
        ),
    }
    attributes_schema = {
        "router_id": Attribute("Router used as gateway, once associated.", T.STRING),
        "tenant_id": Attribute("Project owning the floating IP.", T.STRING),
        "floating_network_id": Attribute("Network the IP is allocated in.", T.STRING),
        "fixed_ip_address": Attribute("IP address of the associated port.", T.STRING),
        "floating_ip_address": Attribute("The allocated address.", T.STRING),
        "port_id": Attribute("ID of the associated port.", T.STRING),
    }

    def resolve(
        self, ctx: ResourceContext, body: dict[str, Any], props: Mapping[str, Any]
    ) -> dict[str, Any]:
        if "floating_network_id" in body:
            body["floating_network_id"] = find_id(ctx, "network", body["floating_network_id"])
        if "subnet_id" in body:
            body["subnet_id"] = find_id(ctx, "subnet", body["subnet_id"])
        return body


class FloatingIPAssociation(ResourceType):
    """Associates an existing floating IP with a port."""

    type_name = "OS::Neutron::FloatingIPAssociation"
    properties_schema = {
        "floatingip_id": Property(
            T.STRING, "ID of the floating IP.", required=True, update_allowed=True
        ),
        "port_id": Property(
            T.STRING, "ID of the port.", required=True, update_allowed=True, constraints=(PORT,)
        ),
        "fixed_ip_address": Property(
            T.STRING,
            "Address to use if the port has several.",
            update_allowed=True,
            constraints=(IP_ADDR,),
        ),
    }

    def _associate(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Step:
        answer = ctx.call(
            sdk,
            "update_ip",
            props["floatingip_id"],
            port_id=props["port_id"],
            fixed_ip_address=props.get("fixed_ip_address"),
        )
        ctx.physical_id = str(props["floatingip_id"])
        ctx.attributes = {"show": as_api_dict(answer)}
        return Done()

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> Step:
        return self._associate(ctx, props)

    def update(
        self, ctx: ResourceContext, old: dict[str, Any], new: dict[str, Any], changed: set[str]
    ) -> Step:
        if "floatingip_id" in changed:
            self.delete(ctx)
        return self._associate(ctx, new)

    def delete(self, ctx: ResourceContext) -> Step:
        if ctx.physical_id is not None:
            with contextlib.suppress(CloudNotFound):
                ctx.call(sdk, "update_ip", ctx.physical_id, port_id=None)
        return Done()

    def read(self, ctx: ResourceContext) -> dict[str, Any] | None:
        """The floating IP as ``show``; ``None`` when it is gone or associated with nothing."""
        if ctx.physical_id is None:
            return None
        try:
            data = as_api_dict(ctx.call(sdk, "get_ip", ctx.physical_id))
        except CloudNotFound:
            return None
        if not data.get("port_id"):
            return None
        ctx.attributes = {"show": data}
        return ctx.attributes

    def find(self, ctx: ResourceContext) -> str | None:
        return None

    def live_properties(self, ctx: ResourceContext) -> dict[str, Any] | None:
        data = self.read(ctx)
        if data is None:
            return None
        show = data["show"]
        return {
            "floatingip_id": show["id"],
            "port_id": show["port_id"],
            "fixed_ip_address": show.get("fixed_ip_address"),
        }


_PROTOCOL_NAMES = (
    "ah",
    "dccp",
    "egp",
    "esp",
    "gre",
    "icmp",
    "icmpv6",
    "igmp",
    "ipv6-encap",
    "ipv6-frag",
    "ipv6-icmp",
    "ipv6-nonxt",
    "ipv6-opts",
    "ipv6-route",
    "ospf",
    "pgm",
    "rsvp",
    "sctp",
    "tcp",
    "udp",
    "udplite",
    "vrrp",
)
_PROTOCOLS = AllowedValues((*range(256), *_PROTOCOL_NAMES))
_DIRECTION = AllowedValues(("ingress", "egress"))
_ETHERTYPE = AllowedValues(("IPv4", "IPv6"))
_PORT_NUMBER = Range(0, 65535)

_RULE = Property(
    T.MAP,
    schema={
        "direction": Property(
            T.STRING, "ingress or egress.", default="ingress", constraints=(_DIRECTION,)
        ),
        "ethertype": Property(
            T.STRING, "Ethertype of the traffic.", default="IPv4", constraints=(_ETHERTYPE,)
        ),
        "port_range_min": Property(
            T.INTEGER, "Lowest port (or ICMP type) matched.", constraints=(_PORT_NUMBER,)
        ),
        "port_range_max": Property(
            T.INTEGER, "Highest port (or ICMP code) matched.", constraints=(_PORT_NUMBER,)
        ),
        "protocol": Property(
            T.STRING, "Protocol matched: a name or 0-255; all if unset.", constraints=(_PROTOCOLS,)
        ),
        "remote_mode": Property(
            T.STRING,
            "Whether remote_group_id or remote_ip_prefix is used.",
            default="remote_ip_prefix",
            constraints=(AllowedValues(("remote_ip_prefix", "remote_group_id")),),
        ),
        "remote_group_id": Property(
            T.STRING, "Remote security group; this one if unset.", constraints=(SECURITY_GROUP,)
        ),
        "remote_ip_prefix": Property(T.STRING, "Remote CIDR.", constraints=(NET_CIDR,)),
        "description": Property(T.STRING, "Description of the rule."),
    },
)


class SecurityGroup(NeutronResource):
    """A Neutron security group with its rules."""

    type_name = "OS::Neutron::SecurityGroup"
    api = NeutronApi("security_group", "security_groups")
    not_sent = frozenset({"rules"})
    properties_schema = {
        "name": Property(T.STRING, "Name of the security group.", update_allowed=True),
        "description": Property(
            T.STRING, "Description of the security group.", update_allowed=True
        ),
        "rules": Property(
            T.LIST, "Rules of the security group.", default=[], items=_RULE, update_allowed=True
        ),
        "stateful": Property(
            T.BOOLEAN, "Stateful (true) or stateless (false).", update_allowed=True
        ),
    }

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> Step:
        super().create(ctx, props)
        return self._sync(ctx, props.get("rules") or [])

    def update(
        self, ctx: ResourceContext, old: dict[str, Any], new: dict[str, Any], changed: set[str]
    ) -> Step:
        super().update(ctx, old, new, changed)
        return self._sync(ctx, new.get("rules") or []) if "rules" in changed else Done()

    def _sync(self, ctx: ResourceContext, rules: list[dict[str, Any]]) -> Step:
        existing = ctx.attributes["show"].get("security_group_rules") or []
        if sync_rules(ctx, str(ctx.physical_id), existing, rules):
            ctx.attributes = self.shape(ctx, self.get(ctx))
        return Done()


class SecurityGroupRule(NeutronResource):
    """One rule added to an existing security group."""

    type_name = "OS::Neutron::SecurityGroupRule"
    api = NeutronApi("security_group_rule", "security_group_rules")
    renames = {"security_group": "security_group_id", "remote_group": "remote_group_id"}
    has_name = False
    properties_schema = {
        "security_group": Property(
            T.STRING,
            "Name or ID of the security group.",
            required=True,
            constraints=(SECURITY_GROUP,),
        ),
        "description": Property(T.STRING, "Description of the rule."),
        "direction": Property(
            T.STRING, "ingress or egress.", default="ingress", constraints=(_DIRECTION,)
        ),
        "ethertype": Property(
            T.STRING, "Ethertype of the traffic.", default="IPv4", constraints=(_ETHERTYPE,)
        ),
        "port_range_min": Property(
            T.INTEGER, "Lowest port (or ICMP type) matched.", constraints=(_PORT_NUMBER,)
        ),
        "port_range_max": Property(
            T.INTEGER, "Highest port (or ICMP code) matched.", constraints=(_PORT_NUMBER,)
        ),
        "protocol": Property(
            T.STRING, "Protocol matched: a name or 0-255.", default="tcp", constraints=(_PROTOCOLS,)
        ),
        "remote_group": Property(
            T.STRING, "Name or ID of the remote security group.", constraints=(SECURITY_GROUP,)
        ),
        "remote_ip_prefix": Property(T.STRING, "Remote CIDR.", constraints=(NET_CIDR,)),
    }

    def resolve(
        self, ctx: ResourceContext, body: dict[str, Any], props: Mapping[str, Any]
    ) -> dict[str, Any]:
        for key in ("security_group_id", "remote_group_id"):
            if key in body:
                body[key] = find_id(ctx, "security_group", body[key])
        return body


def register(registry: Registry) -> None:
    """Called by ``neutron.register``."""
    for cls in (Port, FloatingIP, FloatingIPAssociation, SecurityGroup, SecurityGroupRule):
        registry.register(cls)
