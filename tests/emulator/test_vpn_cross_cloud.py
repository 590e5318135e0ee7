"""A tunnel between two emulators (two clouds) that find each other through ``registry_dir``."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openstack
import pytest

from crossheat.emulator.config_files import write_clouds_yaml
from crossheat.emulator.core import EmulatorConfig, Latency
from crossheat.emulator.server import ThreadedEmulator
from tests.emulator.test_vpn import Site, link, make_site, settled, status


@pytest.fixture
def two_clouds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    registry = tmp_path / "run"
    registry.mkdir()
    clouds = tmp_path / "clouds.yaml"
    running = []
    try:
        for index, name in enumerate(("onprem", "provider")):
            config = EmulatorConfig(
                regions=["East"],
                cloud_index=index,
                registry_dir=str(registry),
                latency=Latency({"ipsec_site_connection": 0.05}),
            )
            emulator = ThreadedEmulator(config)
            running.append(emulator)
            entry = {"url": emulator.url, "pid": os.getpid()}
            (registry / f"{index}.json").write_text(json.dumps(entry))
            write_clouds_yaml(clouds, name, emulator.url, ["East"])
        monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
        yield (
            openstack.connect(cloud="onprem", region_name="East"),
            openstack.connect(cloud="provider", region_name="East"),
        )
    finally:
        for emulator in running:
            emulator.stop()


def _down_soon(site: Site, connection: Any) -> str:
    deadline = time.monotonic() + 3
    while (now := status(site, connection)) != "DOWN" and time.monotonic() < deadline:
        time.sleep(0.05)
    return now


def test_tunnel_across_clouds(two_clouds: tuple[Any, Any]) -> None:
    onprem, provider = two_clouds
    local = make_site(onprem, "10.1.0.0/24")
    remote = make_site(provider, "10.2.0.0/24")
    assert local.service.external_v4_ip.startswith("100.64.")
    assert remote.service.external_v4_ip.startswith("100.65.")
    local_link, remote_link = link(local, remote), link(remote, local)
    assert settled(remote, remote_link) == "ACTIVE"
    assert settled(local, local_link) == "ACTIVE"
    provider.network.delete_vpn_ipsec_site_connection(remote_link)
    assert _down_soon(local, local_link) == "DOWN"


def test_peer_endpoint_hides_the_psk(two_clouds: tuple[Any, Any]) -> None:
    onprem, provider = two_clouds
    local, remote = make_site(onprem, "10.1.0.0/24"), make_site(provider, "10.2.0.0/24")
    link(local, remote, psk="very-secret")
    base = onprem.network.get_endpoint().split("/East/")[0]
    answer = httpx.get(f"{base}/admin/vpn/endpoints")
    (endpoint,) = answer.json()["endpoints"]
    assert endpoint["peer_address"] == remote.service.external_v4_ip
    assert endpoint["local_cidrs"] == ["10.1.0.0/24"]
    assert "very-secret" not in answer.text
