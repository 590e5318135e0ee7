"""Tunnel checks: both ends seen at once, disagreements named before anything is created."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossheat.plan.analysis import Analysis, analyse
from crossheat.resources.registry import Registry, default_registry

REFERENCE = Path(__file__).resolve().parents[2] / "examples" / "east-west-vpn.yaml"
PSK = "0123456789abcdef-psk"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return default_registry()


def variant(tmp_path: Path, registry: Registry, *edits: tuple[str, str]) -> Analysis:
    text = REFERENCE.read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "variant.yaml"
    path.write_text(text)
    return analyse(path, parameters={"vpn_psk": PSK}, registry=registry)


def test_peer_cidrs_must_be_the_peers_subnet(tmp_path: Path, registry: Registry) -> None:
    analysis = variant(
        tmp_path, registry, ("peer_cidrs: [{get_param: west_cidr}]", "peer_cidrs: [10.9.0.0/24]")
    )
    [error] = analysis.errors
    assert error.code == "vpn-peer-cidrs"
    assert error.path == ("resources", "east_to_west", "properties", "peer_cidrs")
    assert "10.2.0.0/24" in error.message and "west_subnet" in error.message


def test_different_psks_are_reported_without_showing_them(
    tmp_path: Path, registry: Registry
) -> None:
    analysis = variant(
        tmp_path, registry, ("psk: {get_param: vpn_psk}", "psk: another-key-0123456789")
    )
    [error] = analysis.errors
    assert error.code == "vpn-psk"
    assert PSK not in str(error) and "another-key" not in str(error)


def test_incompatible_ike_policies(tmp_path: Path, registry: Registry) -> None:
    analysis = variant(
        tmp_path,
        registry,
        (
            "  east_ike:\n    type: OS::Neutron::IKEPolicy\n    region: East\n",
            "  east_ike:\n    type: OS::Neutron::IKEPolicy\n    region: East\n"
            "    properties: {ike_version: v2, encryption_algorithm: aes-256}\n",
        ),
    )
    [error] = analysis.errors
    assert error.code == "vpn-policy"
    assert "ike_version v2 vs v1" in error.message
    assert "encryption_algorithm aes-256 vs aes-128" in error.message


def test_no_tunnel_checks_without_a_peer_in_the_template(
    tmp_path: Path, registry: Registry
) -> None:
    literal = "peer_address: 203.0.113.9"
    analysis = variant(
        tmp_path,
        registry,
        (
            "peer_address: {get_attr: [west_router, external_gateway_info, external_fixed_ips, 0,"
            " ip_address]}",
            literal,
        ),
        (
            "peer_address: {get_attr: [east_router, external_gateway_info, external_fixed_ips, 0,"
            " ip_address]}",
            literal,
        ),
        ("psk: {get_param: vpn_psk}", "psk: another-key-0123456789"),
    )
    assert analysis.ok, analysis.errors


def test_one_sided_reference_is_still_a_tunnel(tmp_path: Path, registry: Registry) -> None:
    analysis = variant(
        tmp_path,
        registry,
        (
            "peer_address: {get_attr: [west_router, external_gateway_info, external_fixed_ips, 0,"
            " ip_address]}",
            "peer_address: 203.0.113.9",
        ),
        ("psk: {get_param: vpn_psk}", "psk: another-key-0123456789"),
    )
    assert [e.code for e in analysis.errors] == ["vpn-psk"]
