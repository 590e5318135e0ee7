"""Neutron VPNaaS: the VPN service, IKE and IPsec policies, and IPsec site
connections, with Heat's schemas (openstack/heat,
``heat/engine/resources/openstack/neutron/vpnservice.py``). Registered by
``neutron.register``.

Neutron cannot tag VPNaaS resources, so ``find`` looks them up by name. A
VPN service is ready once it has left ``PENDING_*``; a site connection as soon
as it exists (the engine waits for both ends of a tunnel to be ``ACTIVE``),
except one whose peer is outside the stack (``ctx.extra[PEER_OUTSIDE_STACK]``,
set by the engine): that one is created as Heat's plugin creates it, done once
``ACTIVE``, failed when it reads anything but ``PENDING_CREATE`` or ``ACTIVE``
(``DOWN``: Heat's ``ResourceUnknownStatus``). Its ``read`` reports the
tunnel's current ``status``, and an update is done
once the connection has left ``PENDING_UPDATE`` (Neutron refuses the next one
before). Besides Heat's attributes, a VPN service reports Neutron's
``external_v4_ip``/``external_v6_ip``. A connection's ``dpd`` goes to Neutron
with ``action`` for Heat's ``actions``, and is read back the other way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crossheat.errors import ResourceFailed
from crossheat.resources.constraints import AllowedValues
from crossheat.resources.lifecycle import Done, ResourceContext, Step
from crossheat.resources.registry import Registry
from crossheat.resources.schema import Attribute, Property
from crossheat.resources.schema import PropertyType as T
from crossheat.resources.types.common import NET_CIDR, ROUTER, SUBNET
from crossheat.resources.types.neutron_crud import NeutronApi, NeutronResource, find_id

_NAME = Property(T.STRING, "Name.", update_allowed=True)
_DESCRIPTION = Property(T.STRING, "Description.", update_allowed=True)
_ADMIN_STATE_UP = Property(T.BOOLEAN, "Administrative state.", default=True, update_allowed=True)
_ENCRYPTION = AllowedValues(("3des", "aes-128", "aes-192", "aes-256"))
_PFS = AllowedValues(("group2", "group5", "group14"))
#: ``ctx.extra`` key: the connection's peer is not in the stack, so its create waits,
#: as Heat's does, until the connection is ACTIVE (and fails when it reads DOWN).
PEER_OUTSIDE_STACK = "peer_outside_stack"


def _lifetime(update_allowed: bool) -> Property:
    return Property(
        T.MAP,
        "Security association lifetime.",
        update_allowed=update_allowed,
        schema={
            "units": Property(
                T.STRING,
                "Lifetime units.",
                default="seconds",
                constraints=(AllowedValues(("seconds", "kilobytes")),),
            ),
            "value": Property(T.INTEGER, "Lifetime in those units.", default=3600),
        },
    )


def _attributes(of: str, *names: str, **typed: T) -> dict[str, Attribute]:
    """String attributes ``names`` and the ``typed`` others: ``"The <name> of <of>."``"""
    kinds = {name: T.STRING for name in names} | typed
    return {name: Attribute(f"The {name} of {of}.", kind) for name, kind in kinds.items()}


class VPNService(NeutronResource):
    """A VPN service on a router. ``subnet_id`` and ``router_id`` are Heat's hidden aliases."""

    type_name = "OS::Neutron::VPNService"
    api = NeutronApi("vpn_service", "vpn_services", taggable=False)
    renames = {"subnet": "subnet_id", "router": "router_id"}
    pending_statuses = frozenset({"PENDING_CREATE", "PENDING_UPDATE"})
    extra_attributes = ("external_v4_ip", "external_v6_ip")
    properties_schema = {
        "name": _NAME,
        "description": _DESCRIPTION,
        "admin_state_up": _ADMIN_STATE_UP,
        "subnet": Property(
            T.STRING,
            "Subnet the VPN service is created in.",
            required=True,
            constraints=(SUBNET,),
            aliases=("subnet_id",),
        ),
        "router": Property(
            T.STRING,
            "Router the VPN service is inserted in.",
            required=True,
            constraints=(ROUTER,),
            aliases=("router_id",),
        ),
    }
    attributes_schema = _attributes(
        "the VPN service",
        "admin_state_up",
        "description",
        "name",
        "router_id",
        "status",
        "subnet_id",
        "tenant_id",
    )

    def resolve(
        self, ctx: ResourceContext, body: dict[str, Any], props: Mapping[str, Any]
    ) -> dict[str, Any]:
        for key, kind in (("subnet_id", "subnet"), ("router_id", "router")):
            if key in body:
                body[key] = find_id(ctx, kind, body[key])
        return body


class IKEPolicy(NeutronResource):
    """An IKE policy for IPsec site connections."""

    type_name = "OS::Neutron::IKEPolicy"
    api = NeutronApi("vpn_ike_policy", "vpn_ike_policies", taggable=False)
    properties_schema = {
        "name": _NAME,
        "description": _DESCRIPTION,
        "auth_algorithm": Property(
            T.STRING,
            "Authentication hash algorithm.",
            default="sha1",
            update_allowed=True,
            constraints=(AllowedValues(("sha1", "sha256", "sha384", "sha512")),),
        ),
        "encryption_algorithm": Property(
            T.STRING,
            "Encryption algorithm.",
            default="aes-128",
            update_allowed=True,
            constraints=(_ENCRYPTION,),
        ),
        "phase1_negotiation_mode": Property(
            T.STRING, "Negotiation mode.", default="main", constraints=(AllowedValues(("main",)),)
        ),
        "lifetime": _lifetime(update_allowed=True),
        "pfs": Property(
            T.STRING,
            "Perfect forward secrecy group.",
            default="group5",
            update_allowed=True,
            constraints=(_PFS,),
        ),
        "ike_version": Property(
            T.STRING,
            "IKE version.",
            default="v1",
            update_allowed=True,
            constraints=(AllowedValues(("v1", "v2")),),
        ),
    }
    attributes_schema = _attributes(
        "the IKE policy",
        "auth_algorithm",
        "description",
        "encryption_algorithm",
        "ike_version",
        "name",
        "pfs",
        "phase1_negotiation_mode",
        "tenant_id",
        lifetime=T.MAP,
    )


class IPsecPolicy(NeutronResource):
    """An IPsec policy for IPsec site connections."""

    type_name = "OS::Neutron::IPsecPolicy"
    api = NeutronApi("vpn_ipsec_policy", "vpn_ipsec_policies", taggable=False)
    properties_schema = {
        "name": _NAME,
        "description": _DESCRIPTION,
        "transform_protocol": Property(
            T.STRING,
            "Transform protocol.",
            default="esp",
            constraints=(AllowedValues(("esp", "ah", "ah-esp")),),
        ),
        "encapsulation_mode": Property(
            T.STRING,
            "Encapsulation mode.",
            default="tunnel",
            constraints=(AllowedValues(("tunnel", "transport")),),
        ),
        "auth_algorithm": Property(
            T.STRING,
            "Authentication hash algorithm.",
            default="sha1",
            constraints=(AllowedValues(("sha1",)),),
        ),
        "encryption_algorithm": Property(
            T.STRING, "Encryption algorithm.", default="aes-128", constraints=(_ENCRYPTION,)
        ),
        "lifetime": _lifetime(update_allowed=False),
        "pfs": Property(
            T.STRING, "Perfect forward secrecy group.", default="group5", constraints=(_PFS,)
        ),
    }
    attributes_schema = _attributes(
        "the IPsec policy",
        "auth_algorithm",
        "description",
        "encapsulation_mode",
        "encryption_algorithm",
        "name",
        "pfs",
        "tenant_id",
        "transform_protocol",
        lifetime=T.MAP,
    )


_DPD = Property(
    T.MAP,
    "Dead peer detection.",
    schema={
        "actions": Property(
            T.STRING,
            "DPD mode.",
            default="hold",
            constraints=(
                AllowedValues(("clear", "disabled", "hold", "restart", "restart-by-peer")),
            ),
        ),
        "interval": Property(T.INTEGER, "Seconds between DPD messages.", default=30),
        "timeout": Property(T.INTEGER, "Seconds before a silent peer is dead.", default=120),
    },
)


class IPsecSiteConnection(NeutronResource):
    """One end of a site-to-site IPsec tunnel. ``psk`` is secret."""

    type_name = "OS::Neutron::IPsecSiteConnection"
    api = NeutronApi("vpn_ipsec_site_connection", "vpn_ipsec_site_connections", taggable=False)
    update_pending_statuses = frozenset({"PENDING_UPDATE"})
    properties_schema = {
        "name": _NAME,
        "description": _DESCRIPTION,
        "peer_address": Property(T.STRING, "Peer router's public address or FQDN.", required=True),
        "peer_id": Property(T.STRING, "Peer router's identity.", required=True),
        "peer_cidrs": Property(
            T.LIST,
            "Peer subnets, as CIDRs.",
            required=True,
            items=Property(T.STRING, constraints=(NET_CIDR,)),
        ),
        "mtu": Property(T.INTEGER, "Maximum transmission unit in bytes.", default=1500),
        "dpd": _DPD,
        "psk": Property(T.STRING, "Pre-shared key.", required=True, secret=True),
        "initiator": Property(
            T.STRING,
            "Initiator state.",
            default="bi-directional",
            constraints=(AllowedValues(("bi-directional", "response-only")),),
        ),
        "admin_state_up": _ADMIN_STATE_UP,
        "ikepolicy_id": Property(T.STRING, "ID of the IKE policy.", required=True),
        "ipsecpolicy_id": Property(T.STRING, "ID of the IPsec policy.", required=True),
        "vpnservice_id": Property(T.STRING, "ID of the VPN service.", required=True),
    }
    attributes_schema = {
        **_attributes(
            "the IPsec site connection",
            "admin_state_up",
            "auth_mode",
            "description",
            "ikepolicy_id",
            "initiator",
            "ipsecpolicy_id",
            "mtu",
            "name",
            "peer_address",
            "peer_id",
            "route_mode",
            "status",
            "tenant_id",
            "vpnservice_id",
            dpd=T.MAP,
            peer_cidrs=T.LIST,
        ),
        "psk": Attribute("The pre-shared key.", T.STRING, secret=True),
    }

    def resolve(
        self, ctx: ResourceContext, body: dict[str, Any], props: Mapping[str, Any]
    ) -> dict[str, Any]:
        """``dpd`` as Neutron reads it: Heat's ``actions`` is Neutron's ``action``."""
        if body.get("dpd"):
            body["dpd"] = _renamed(body["dpd"], "actions", "action")
        return body

    def settle(self, ctx: ResourceContext, data: dict[str, Any], updating: bool = False) -> Step:
        """As the base does; with ``PEER_OUTSIDE_STACK``, a create settles as in Heat's
        ``check_create_complete``: not yet while PENDING_CREATE, done on ACTIVE, failed
        on ERROR or any other status (DOWN: the peer did not come up)."""
        if updating or not ctx.extra.get(PEER_OUTSIDE_STACK):
            return super().settle(ctx, data, updating)
        status = data.get("status")
        if status == "PENDING_CREATE":
            return ctx.next_delay()
        if status == "ACTIVE":
            ctx.attributes = self.shape(ctx, data)
            return Done()
        if status == "ERROR":
            raise ctx.fail(self.type_name, "Error in IPsecSiteConnection")
        raise ResourceFailed(
            f"{ctx.name} ({self.type_name}): IPsecSiteConnection creation failed - Unknown "
            f"status {status}: its peer at {data.get('peer_address')} is not in this stack "
            "and did not come up in time (a connection whose peer is elsewhere is created, "
            "as in Heat, only once it is ACTIVE)",
            region=ctx.region,
        )

    def properties_from(self, ctx: ResourceContext, data: Mapping[str, Any]) -> dict[str, Any]:
        """As the base does; ``dpd`` in Heat's terms (``actions``, ``interval``, ``timeout``)."""
        out = super().properties_from(ctx, data)
        dpd = data.get("dpd")
        if isinstance(dpd, Mapping):
            live = _renamed(dpd, "action", "actions")
            out["dpd"] = {key: live.get(key) for key in _DPD.schema or {}}
        return out


def _renamed(values: Mapping[str, Any], old: str, new: str) -> dict[str, Any]:
    out = {key: value for key, value in values.items() if key != old}
    if values.get(old) is not None:
        out[new] = values[old]
    return out


def register(registry: Registry) -> None:
    """Called by ``neutron.register``."""
    for cls in (VPNService, IKEPolicy, IPsecPolicy, IPsecSiteConnection):
        registry.register(cls)
