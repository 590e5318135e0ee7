"""The real ``openstack`` CLI (python-openstackclient) against the emulator, in each region."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

OPENSTACK = Path(sys.executable).parent / "openstack"

pytestmark = pytest.mark.skipif(not OPENSTACK.exists(), reason="python-openstackclient missing")


def run_all(commands: dict[tuple[str, str], list[str]]) -> dict[tuple[str, str], Any]:
    """Run the CLI commands in parallel (each takes seconds to start); their JSON outputs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["OS_CLIENT_CONFIG_FILE"] = os.environ["OS_CLIENT_CONFIG_FILE"]
    running = {
        key: subprocess.Popen(
            [
                str(OPENSTACK),
                "--os-cloud",
                "emulator",
                "--os-region-name",
                key[0],
                *argv,
                "-f",
                "json",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for key, argv in commands.items()
    }
    outputs = {}
    for key, process in running.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"{key}: {err}"
        outputs[key] = json.loads(out)
    return outputs


def test_lists_networks_servers_and_images_of_each_region(conn: Any, west_conn: Any) -> None:
    conn.network.create_network(name="east-net")
    image = west_conn.image.find_image("ubuntu", ignore_missing=False)
    west_conn.compute.create_server(
        name="west-vm", image_id=image.id, flavor_id="2", networks="none"
    )
    commands = {
        (region, what): [what, "list"]
        for region in ("East", "West")
        for what in ("network", "server", "image")
    }
    out = run_all(commands)
    names = {key: sorted(item["Name"] for item in items) for key, items in out.items()}
    assert names[("East", "network")] == ["east-net", "public"]
    assert names[("West", "network")] == ["public"]
    assert names[("East", "server")] == []
    assert names[("West", "server")] == ["west-vm"]
    assert names[("East", "image")] == names[("West", "image")] == ["cirros", "ubuntu"]
    [vm] = out[("West", "server")]
    assert (vm["Status"], vm["Flavor"], vm["Image"]) == ("ACTIVE", "m1.small", "ubuntu")


def run(region: str, argv: list[str]) -> str:
    """Run one CLI command that prints no table (``server add network``...); its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["OS_CLIENT_CONFIG_FILE"] = os.environ["OS_CLIENT_CONFIG_FILE"]
    command = [str(OPENSTACK), "--os-cloud", "emulator", "--os-region-name", region, *argv]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_server_add_network_attaches_an_interface_and_zones_are_listed(conn: Any) -> None:
    addresses = {}
    for name, cidr in (("net-a", "10.20.0.0/24"), ("net-b", "10.21.0.0/24")):
        network = conn.network.create_network(name=name)
        conn.network.create_subnet(network_id=network.id, cidr=cidr, ip_version=4)
        addresses[name] = cidr.rsplit(".", 1)[0]
    image = conn.image.find_image("cirros", ignore_missing=False)
    first = conn.network.find_network("net-a")
    conn.compute.create_server(
        name="vm", image_id=image.id, flavor_id="1", networks=[{"uuid": first.id}]
    )
    run("East", ["server", "add", "network", "vm", "net-b"])
    out = run_all(
        {
            ("East", "ports"): ["port", "list", "--server", "vm"],
            ("East", "zones"): ["availability", "zone", "list", "--compute"],
        }
    )
    ips = sorted(
        ip["ip_address"] for port in out[("East", "ports")] for ip in port["Fixed IP Addresses"]
    )
    assert [ip.rsplit(".", 1)[0] for ip in ips] == [addresses["net-a"], addresses["net-b"]]
    zones = {(z["Zone Name"], z["Zone Status"]) for z in out[("East", "zones")]}
    assert ("nova", "available") in zones
