"""Emulated tunnels in a full mesh: a router with a connection to each other site."""

from __future__ import annotations

from typing import Any

import pytest

from crossheat.emulator.core import Emulator
from tests.emulator.test_vpn import LATENCY, Site, link, make_site, settled, status


@pytest.fixture(autouse=True)
def _fast_vpn(emulator: tuple[str, Emulator]) -> None:
    emulator[1].config.latency.seconds.update(vpnservice=LATENCY, ipsec_site_connection=LATENCY)


def mesh(sites: dict[str, Site], **wrong: list[str]) -> dict[str, tuple[Site, Any]]:
    """A connection from every site to every other, ``"a_to_b"``; ``wrong`` overrides the
    peer_cidrs of the named connections."""
    return {
        f"{a}_to_{b}": (site, link(site, peer, **({"peer_cidrs": wrong[f"{a}_to_{b}"]}
                                                  if f"{a}_to_{b}" in wrong else {})))
        for a, site in sites.items()
        for b, peer in sites.items()
        if a != b
    }  # fmt: skip


def statuses(links: dict[str, tuple[Site, Any]]) -> dict[str, str]:
    """Every connection's status once all have left PENDING_* (an end that settles first
    reads DOWN until its peer has settled too)."""
    for site, connection in links.values():
        settled(site, connection)
    return {name: status(site, connection) for name, (site, connection) in links.items()}


@pytest.fixture
def sites(conn: Any, west_conn: Any) -> dict[str, Site]:
    """Three sites: two routers in East, one in West."""
    return {
        "a": make_site(conn, "10.1.0.0/24"),
        "b": make_site(conn, "10.2.0.0/24"),
        "c": make_site(west_conn, "10.3.0.0/24"),
    }


def test_every_tunnel_of_a_three_site_mesh_is_active(sites: dict[str, Site]) -> None:
    assert set(statuses(mesh(sites)).values()) == {"ACTIVE"}


def test_one_wrong_peer_cidrs_keeps_only_that_tunnel_down(sites: dict[str, Site]) -> None:
    found = statuses(mesh(sites, c_to_a=["10.2.0.0/24"]))
    assert {name for name, status in found.items() if status != "ACTIVE"} == {"a_to_c", "c_to_a"}
    assert found["a_to_c"] == found["c_to_a"] == "DOWN"
