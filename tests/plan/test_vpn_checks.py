"""Tunnel checks: both ends seen at once, disagreements named before anything is created."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossheat.plan.analysis import Analysis
from crossheat.plan.pipeline import analyse
from crossheat.resources.registry import Registry, default_registry

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REFERENCE = EXAMPLES / "east-west-vpn.yaml"
MESH_3 = EXAMPLES / "mesh-3.yaml"
PSK = "0123456789abcdef-psk"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return default_registry()


def variant(
    tmp_path: Path, registry: Registry, *edits: tuple[str, str], base: Path = REFERENCE
) -> Analysis:
    text = base.read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "variant.yaml"
    path.write_text(text)
    return analyse(path, parameters={"vpn_psk": PSK}, registry=registry)


def in_block(base: Path, resource: str, old: str, new: str) -> tuple[str, str]:
    """An edit of ``old`` to ``new`` within ``resource``'s block only."""
    text = base.read_text()
    start = text.index(f"\n  {resource}:\n")
    block = text[start : text.index("\n\n", start + 1)]
    assert old in block, old
    return block, block.replace(old, new, 1)


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


@pytest.mark.parametrize("name", ["mesh-3.yaml", "mesh-4.yaml", "hub-and-spoke.yaml"])
def test_meshes_and_hub_and_spoke_are_valid(name: str, registry: Registry) -> None:
    """A router with a connection to each other site: each pairs with the one aimed back
    (before, onprem_to_west was checked against east_to_onprem's subnet)."""
    analysis = analyse(EXAMPLES / name, parameters={"vpn_psk": PSK}, registry=registry)
    assert analysis.diagnostics == []


def test_wrong_peer_cidrs_in_a_mesh_names_the_connection_and_its_true_peer(
    tmp_path: Path, registry: Registry
) -> None:
    analysis = variant(
        tmp_path,
        registry,
        in_block(MESH_3, "onprem_to_west", "[{get_param: west_cidr}]", "[{get_param: east_cidr}]"),
        base=MESH_3,
    )
    [error] = analysis.errors
    assert error.code == "vpn-peer-cidrs"
    assert error.path == ("resources", "onprem_to_west", "properties", "peer_cidrs")
    assert error.message == (
        "onprem_to_west.peer_cidrs is 10.2.0.0/24, but the subnet behind the peer "
        "west_to_onprem (west_subnet) is 10.3.0.0/24; the tunnel would stay DOWN"
    )


def test_different_psks_in_a_mesh_name_the_one_tunnel(tmp_path: Path, registry: Registry) -> None:
    analysis = variant(
        tmp_path,
        registry,
        in_block(MESH_3, "west_to_east", "{get_param: vpn_psk}", "another-key-0123456789"),
        base=MESH_3,
    )
    [error] = analysis.errors
    assert error.code == "vpn-psk"
    assert error.message.startswith("east_to_west and west_to_east are two ends of one tunnel")


def test_connections_in_no_tunnel_are_warned_about(tmp_path: Path, registry: Registry) -> None:
    """east_to_west aimed at onprem_router by mistake: onprem already has its tunnel to
    east, and nothing on east_router is aimed back at west_to_east."""
    analysis = variant(
        tmp_path,
        registry,
        in_block(
            MESH_3,
            "east_to_west",
            "peer_address: {get_attr: [west_router",
            "peer_address: {get_attr: [onprem_router",
        ),
        base=MESH_3,
    )
    assert analysis.errors == []
    assert [(w.code, w.path[1], w.message) for w in analysis.warnings] == [
        (
            "vpn-no-peer",
            "east_to_west",
            "east_to_west is in no tunnel: onprem_to_east, the connection that could be its "
            "other end, is the other end of east_to_onprem; the tunnel would stay DOWN",
        ),
        (
            "vpn-no-peer",
            "west_to_east",
            "west_to_east.peer_address reads east_router, but no IPsec site connection on "
            "east_router is aimed back at west_router; the tunnel would stay DOWN",
        ),
    ]


def test_connections_that_fit_equally_are_warned_about(tmp_path: Path, registry: Registry) -> None:
    """Two connections on east_router, both aimed at west, for one connection there."""
    text = REFERENCE.read_text()
    block = text[text.index("\n  east_to_west:\n") : text.index("\n\n  east_server:")]
    analysis = variant(
        tmp_path,
        registry,
        (block, block + block.replace("east_to_west:", "east_to_west_again:")),
    )
    assert analysis.errors == []
    assert {(w.code, w.path[1]) for w in analysis.warnings} == {
        ("vpn-no-peer", "east_to_west"),
        ("vpn-no-peer", "east_to_west_again"),
        ("vpn-no-peer", "west_to_east"),
    }
    assert "among west_to_east and east_to_west, east_to_west_again" in str(analysis.warnings)
