"""VPN service, IKE and IPsec policies and IPsec site connection schemas."""

from __future__ import annotations

from typing import Any

from crossheat.resources.schema import SECRET_MASK, mask_secrets
from crossheat.resources.types.vpnaas import (
    IKEPolicy,
    IPsecPolicy,
    IPsecSiteConnection,
    VPNService,
)

PATH = ("resources", "east_tunnel", "properties")
CONNECTION = {
    "peer_address": "203.0.113.9",
    "peer_id": "203.0.113.9",
    "peer_cidrs": ["10.2.0.0/24"],
    "psk": "secret-key",
    "ikepolicy_id": "ike",
    "ipsecpolicy_id": "ipsec",
    "vpnservice_id": "vpn",
}


def problems(cls: Any, values: Any) -> list[tuple[tuple[str | int, ...], str]]:
    return sorted(((d.path[len(PATH) :], d.code) for d in cls.validate(values, PATH)), key=str)


def test_connection_required_properties() -> None:
    assert problems(IPsecSiteConnection, CONNECTION) == []
    missing = [(key,) for key in CONNECTION]
    assert [p for p, _ in problems(IPsecSiteConnection, {})] == sorted(missing, key=str)


def test_connection_defaults_including_dpd() -> None:
    out = IPsecSiteConnection.with_defaults({**CONNECTION, "dpd": {"actions": "restart"}})
    assert out["mtu"] == 1500
    assert out["initiator"] == "bi-directional"
    assert out["admin_state_up"] is True
    assert out["dpd"] == {"actions": "restart", "interval": 30, "timeout": 120}


def test_connection_nested_errors() -> None:
    values = {**CONNECTION, "peer_cidrs": ["10.2.0.0/24", "10.3.0.1/24"], "dpd": {"actions": "x"}}
    assert problems(IPsecSiteConnection, values) == [
        (("dpd", "actions"), "constraint"),
        (("peer_cidrs", 1), "constraint"),
    ]


def test_psk_is_secret_as_property_and_attribute() -> None:
    assert IPsecSiteConnection.properties_schema["psk"].secret
    assert IPsecSiteConnection.attributes_schema["psk"].secret
    masked = mask_secrets(IPsecSiteConnection.properties_schema, CONNECTION)
    assert masked["psk"] == SECRET_MASK and masked["peer_id"] == "203.0.113.9"


def test_connection_updates_follow_heat() -> None:
    # In Heat only name, description and admin_state_up update in place;
    # peer_cidrs has no update_allowed, so a change replaces the connection.
    new = {**CONNECTION, "name": "b", "peer_cidrs": ["10.4.0.0/24"], "admin_state_up": False}
    assert IPsecSiteConnection.classify_update(CONNECTION, new) == (
        {"name", "admin_state_up"},
        {"peer_cidrs"},
    )


def test_vpnservice_accepts_hidden_router_id_and_subnet_id() -> None:
    assert problems(VPNService, {"router_id": "r", "subnet_id": "s"}) == []
    assert problems(VPNService, {"router": "r"}) == [(("subnet",), "required")]
    assert VPNService.with_defaults({"router_id": "r", "subnet": "s"})["router"] == "r"


def test_policies_defaults_and_allowed_values() -> None:
    ike = IKEPolicy.with_defaults({"lifetime": {"value": "7200"}})
    assert (ike["auth_algorithm"], ike["encryption_algorithm"], ike["pfs"]) == (
        "sha1",
        "aes-128",
        "group5",
    )
    assert ike["lifetime"] == {"units": "seconds", "value": 7200}
    assert problems(IKEPolicy, {"ike_version": "v3"}) == [(("ike_version",), "constraint")]
    assert problems(IPsecPolicy, {"auth_algorithm": "sha256"}) == [
        (("auth_algorithm",), "constraint")
    ]
    assert IPsecPolicy.with_defaults({})["transform_protocol"] == "esp"


def test_ike_policy_updates_in_place_but_ipsec_policy_replaces() -> None:
    assert IKEPolicy.classify_update({}, {"pfs": "group14"}) == ({"pfs"}, set())
    assert IPsecPolicy.classify_update({}, {"pfs": "group14"}) == (set(), {"pfs"})
