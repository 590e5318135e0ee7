"""The real ``openstack`` command (python-openstackclient + python-heatclient) against
``crossheat serve``, found in the emulator's Keystone catalog as ``orchestration``.

Each test starts the emulator (catalog entry ``http://127.0.0.1:PORT/v1/%(tenant_id)s``)
and ``crossheat serve --port PORT`` as processes, as a user would, then runs
``openstack --os-cloud emulator-demo ...``: user demo, project demo, a Keystone token.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator
from tests.e2e.serving import free_port, serving

#: The real command, installed with the test dependencies.
OPENSTACK = Path(sys.executable).parent / "openstack"
#: The emulator's clouds.yaml entry for user demo in project demo.
CLOUD = "emulator-demo"
#: Its entry for user admin (role admin) in project admin.
ADMIN_CLOUD = "emulator"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.parametrize("world", ["sqlite"], indirect=True),
]


@dataclass
class Heat:
    """``crossheat serve`` at ``url``, and the ``openstack`` command pointed at it."""

    world: World
    url: str
    log: Path

    def openstack(
        self, *args: str, check: bool = True, cloud: str = CLOUD
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(OPENSTACK), "--os-cloud", cloud, *args], env=self.world.env, text=True,
            capture_output=True, timeout=300, cwd=self.world.tmp,
        )  # fmt: skip
        self.world.logs += [done.stdout, done.stderr]
        if check and done.returncode != 0:
            raise AssertionError(
                f"openstack {' '.join(args)} exited {done.returncode}\n"
                f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}\n"
                f"server log (tail):\n{self.log.read_text()[-3000:]}"
            )
        return done

    def json(self, *args: str, cloud: str = CLOUD) -> Any:
        """The command's ``-f json`` document (after the events ``--wait`` prints)."""
        out = self.openstack(*args, "-f", "json", cloud=cloud).stdout
        lines = out.splitlines(keepends=True)
        start = next(i for i, line in enumerate(lines) if line[:1] in "{[")
        return json.loads("".join(lines[start:]))


@pytest.fixture
def heat(world: World) -> Iterator[Heat]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    start_emulator(world, orchestration_url=f"{url}/v1/%(tenant_id)s")
    log = world.tmp / "serve.log"
    database = {"CROSSHEAT_DATABASE_URL": world.db_url}
    try:
        with serving(world, port=port, env=database, log=log):
            yield Heat(world, url, log)
    finally:
        if log.exists():
            world.logs.append(log.read_text())


def _value(output: dict[str, Any]) -> Any:
    """``stack output show -f json``'s ``output_value`` (a JSON text for a mapping)."""
    value = output["output_value"]
    return json.loads(value) if isinstance(value, str) and value[:1] in "{[" else value


def _region_of(heat: Heat, resource: str) -> str:
    shown = heat.json("stack", "resource", "show", "vpn", resource)
    return str(shown["region"])


def test_reference_use_case_through_openstack_stack_commands(heat: Heat) -> None:
    created = heat.json(
        "stack", "create", "-t", str(REFERENCE), "--parameter", f"vpn_psk={PSK}",
        "--wait", "--poll", "1", "vpn",
    )  # fmt: skip
    assert created["stack_status"] == "CREATE_COMPLETE", created["stack_status_reason"]
    listed = heat.json("stack", "list")
    assert [(s["Stack Name"], s["Stack Status"]) for s in listed] == [("vpn", "CREATE_COMPLETE")]
    shown = heat.json("stack", "show", "vpn")
    assert shown["parameters"]["vpn_psk"] == "******"
    assert heat.json("stack", "environment", "show", "vpn")["parameters"]["vpn_psk"] == "******"
    template = heat.json("stack", "template", "show", "vpn")
    assert template["resources"]["west_server"]["region"] == "West"
    # Another project sees nothing; an admin sees every project's stacks.
    assert [s["Stack Name"] for s in heat.json("stack", "list", cloud=ADMIN_CLOUD)] == []
    every = heat.json("stack", "list", "--all-projects", cloud=ADMIN_CLOUD)
    assert [s["Stack Name"] for s in every] == ["vpn"]

    keys = {o["output_key"] for o in heat.json("stack", "output", "list", "vpn")}
    assert {"tunnel_status", "east_server_ip", "west_server_ip"} <= keys
    tunnels = heat.json("stack", "output", "show", "vpn", "tunnel_status")
    assert _value(tunnels) == {"east_to_west": "ACTIVE", "west_to_east": "ACTIVE"}

    updated = heat.json(
        "stack", "update", "--existing", "--parameter", "west_cidr=10.3.0.0/24", "--wait", "vpn"
    )
    assert updated["stack_status"] == "UPDATE_COMPLETE", updated["stack_status_reason"]
    west_ip = heat.json("stack", "output", "show", "vpn", "west_server_ip")
    assert str(_value(west_ip)).startswith("10.3.0.")
    tunnels = heat.json("stack", "output", "show", "vpn", "tunnel_status")
    assert _value(tunnels) == {"east_to_west": "ACTIVE", "west_to_east": "ACTIVE"}

    events = heat.json("stack", "event", "list", "vpn")
    stack_events = [(e["resource_name"], e["resource_status"]) for e in events]
    assert ("vpn", "CREATE_COMPLETE") in stack_events
    assert ("vpn", "UPDATE_COMPLETE") in stack_events
    assert ("east_net", "CREATE_COMPLETE") in stack_events

    resources = heat.json("stack", "resource", "list", "vpn")
    assert len(resources) == 18
    assert all(r["resource_status"].endswith("_COMPLETE") for r in resources)
    assert (_region_of(heat, "east_net"), _region_of(heat, "west_server")) == ("East", "West")

    heat.openstack("stack", "delete", "--wait", "-y", "vpn")
    assert heat.json("stack", "list") == []
    assert heat.world.leftovers("East") == {}
    assert heat.world.leftovers("West") == {}
    assert not any(PSK in text for text in heat.world.logs)


def test_orchestration_commands(heat: Heat) -> None:
    versions = heat.json("orchestration", "template", "version", "list")
    assert "heat_template_version.2018-08-31" in {v["Version"] for v in versions}

    validated = heat.json(
        "orchestration", "template", "validate", "-t", str(REFERENCE),
        "--parameter", f"vpn_psk={PSK}",
    )  # fmt: skip
    assert "vpn_psk" in validated["Parameters"]
    assert validated["Parameters"]["vpn_psk"]["NoEcho"] == "true"

    types = {t["Resource Type"] for t in heat.json("orchestration", "resource", "type", "list")}
    assert {"OS::Neutron::Net", "OS::Nova::Server", "OS::Heat::RandomString"} <= types
    net = heat.json("orchestration", "resource", "type", "show", "OS::Neutron::Net")
    assert net["resource_type"] == "OS::Neutron::Net"
    assert "name" in net["properties"]
    assert not any(PSK in text for text in heat.world.logs)


def test_check_abandon_and_adopt(heat: Heat) -> None:
    created = heat.json(
        "stack", "create", "-t", str(REFERENCE), "--parameter", f"vpn_psk={PSK}",
        "--wait", "--poll", "1", "vpn",
    )  # fmt: skip
    assert created["stack_status"] == "CREATE_COMPLETE", created["stack_status_reason"]
    heat.openstack("stack", "check", "--wait", "vpn")
    assert heat.json("stack", "show", "vpn")["stack_status"] == "CHECK_COMPLETE"

    abandoned = heat.world.tmp / "abandoned.json"
    heat.openstack("stack", "abandon", "vpn", "--output-file", str(abandoned))
    assert heat.json("stack", "list") == []
    assert heat.world.leftovers("East") != {}  # abandoned, not deleted

    # Hidden parameters are never in clear in the abandon data (unlike Heat's): they are
    # sealed with crossheat's key, and adopt, by the same deployment, opens them.
    assert PSK not in abandoned.read_text()
    adopted = heat.json("stack", "adopt", "--adopt-file", str(abandoned), "--wait", "vpn")
    assert adopted["stack_status"] == "ADOPT_COMPLETE", adopted["stack_status_reason"]
    heat.openstack("stack", "delete", "--wait", "-y", "vpn")
    assert heat.world.leftovers("East") == {}
    assert heat.world.leftovers("West") == {}
