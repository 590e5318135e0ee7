"""`crossheat stack ...` list and show commands take openstackclient's output options.

The lines scripts written for ``openstack stack ...`` run, run against a state
database filled through the store (no cloud is needed to read a stack), each as
a ``crossheat`` process: the columns are Heat's, the options cliff's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from crossheat.store import Action, StackSpec, Status, Store
from crossheat.store.secrets import SecretBox

TEMPLATE = {
    "heat_template_version": "2018-08-31",
    "description": "Two nets",
    "parameters": {"psk": {"type": "string", "hidden": True}},
    "resources": {
        "east_net": {"type": "OS::Neutron::Net", "region": "East", "properties": {"name": "e"}},
        "west_net": {"type": "OS::Neutron::Net", "region": "West", "properties": {"name": "w"}},
    },
    "outputs": {
        "tunnel_status": {
            "description": "Both ends",
            "value": {"east": {"get_attr": ["east_net", "status"]}, "west": "DOWN"},
        },
        "east_name": {"value": {"get_attr": ["east_net", "name"]}},
    },
}
REGION_MAP = {"regions": {"East": {"cloud": "c1"}, "West": {"cloud": "c2"}}}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stacks ``vpn`` (two resources, created) and ``app`` (failed), as the store has them."""
    home = tmp_path_factory.mktemp("home")
    box = SecretBox.from_key_file(home / "config" / "crossheat" / "secret.key")
    url = f"sqlite:///{home / 'data' / 'crossheat' / 'crossheat.db'}"
    (home / "data" / "crossheat").mkdir(parents=True)
    with Store.open(url, secret_box=box) as store:
        spec = StackSpec(
            template=TEMPLATE, parameters={"psk": "k-3a9c11f0"},
            hidden_parameters=frozenset({"psk"}), template_path="vpn.yaml", region_map=REGION_MAP,
        )  # fmt: skip
        vpn = store.create_stack("vpn", "default", spec)
        for name, region in (("east_net", "East"), ("west_net", "West")):
            (row,) = store.add_resources(vpn.id, [(name, "OS::Neutron::Net", region)])
            store.start_action(row.id, Action.CREATE, {"operation": "create"})
            store.finish_action(
                row.id, Action.CREATE, Status.COMPLETE, physical_id=f"{name}-id",
                attributes={"name": name[0], "status": "ACTIVE", "show": {"id": f"{name}-id"}},
            )  # fmt: skip
        store.update_stack_status(vpn.id, Action.CREATE, Status.COMPLETE, "done", event=True)
        app = store.create_stack("app", "default", StackSpec(template={}, region_map=REGION_MAP))
        store.update_stack_status(app.id, Action.CREATE, Status.FAILED, "boom", event=True)
    return home


def crossheat(home: Path, *args: str) -> str:
    env = {**os.environ, "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_DATA_HOME": str(home / "data"), "PYTHONWARNINGS": "ignore"}  # fmt: skip
    env.pop("CROSSHEAT_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "crossheat", *args], capture_output=True,
                          text=True, env=env, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_stack_list_columns_sort_and_formats(home: Path) -> None:
    listed = crossheat(
        home, "stack", "list", "-c", "Stack Name", "-c", "Stack Status",
        "--sort-column", "Stack Name", "-f", "value",
    )  # fmt: skip
    assert listed == "app CREATE_FAILED\nvpn CREATE_COMPLETE\n"
    rows = json.loads(crossheat(home, "stack", "list", "-f", "json", "--sort-descending",
                                "--sort-column", "stack_name"))  # fmt: skip
    assert [r["Stack Name"] for r in rows] == ["vpn", "app"]
    assert list(rows[0]) == [
        "ID", "Stack Name", "Stack Status", "Creation Time", "Updated Time", "Regions",
    ]  # fmt: skip
    assert rows[0]["Regions"] == ["East", "West"]
    table = crossheat(home, "stack", "list", "-c", "stack_name", "--sort-column", "Stack Name")
    assert table.splitlines() == [
        "+------------+", "| Stack Name |", "+------------+",
        "| app        |", "| vpn        |", "+------------+",
    ]  # fmt: skip
    text = crossheat(home, "stack", "list", "-f", "csv", "-c", "Stack Name", "--quote", "all",
                     "--sort-column", "Stack Status")  # fmt: skip
    assert text == '"Stack Name"\n"vpn"\n"app"\n'  # CREATE_COMPLETE before CREATE_FAILED


def test_stack_show_and_outputs_for_scripts(home: Path) -> None:
    assert crossheat(home, "stack", "show", "vpn", "-f", "value", "-c", "stack_status") == (
        "CREATE_COMPLETE\n"
    )
    shell = crossheat(home, "stack", "show", "vpn", "-f", "shell", "-c", "stack_name",
                      "-c", "stack_status", "--prefix", "s_")  # fmt: skip
    assert shell == 's_stack_name="vpn"\ns_stack_status="CREATE_COMPLETE"\n'
    shown = json.loads(crossheat(home, "stack", "show", "vpn", "-f", "json", "--noindent"))
    assert list(shown)[:7] == [
        "id", "stack_name", "description", "creation_time", "updated_time", "stack_status",
        "stack_status_reason",
    ]  # fmt: skip
    assert shown["parameters"] == {"psk": "******"}
    status = crossheat(home, "stack", "output", "show", "vpn", "tunnel_status",
                       "-f", "value", "-c", "output_value")  # fmt: skip
    assert json.loads(status) == {"east": "ACTIVE", "west": "DOWN"}
    one = json.loads(crossheat(home, "stack", "output", "show", "vpn", "east_name", "-f", "json"))
    assert one == {"output_key": "east_name", "description": "No description given",
                   "output_value": "e"}  # fmt: skip
    every = yaml.safe_load(crossheat(home, "stack", "output", "show", "vpn", "--all", "-f", "yaml"))
    assert every["tunnel_status"]["output_value"] == {"east": "ACTIVE", "west": "DOWN"}
    keys = crossheat(home, "stack", "output", "list", "vpn", "-f", "value", "--sort-column",
                     "output_key")  # fmt: skip
    assert keys == "east_name No description given\ntunnel_status Both ends\n"


def test_resource_and_event_commands(home: Path) -> None:
    resources = crossheat(home, "stack", "resource", "list", "vpn", "-f", "value",
                          "-c", "resource_name", "-c", "region", "--sort-descending",
                          "--sort-column", "region")  # fmt: skip
    assert resources == "west_net West\neast_net East\n"
    detail = json.loads(crossheat(home, "stack", "resource", "show", "vpn", "east_net", "-f",
                                  "json"))  # fmt: skip
    assert detail["physical_resource_id"] == "east_net-id"
    assert detail["attributes"] == {"name": "e", "status": "ACTIVE"}
    assert detail["logical_resource_id"] == "east_net" and detail["region"] == "East"
    log = crossheat(home, "stack", "event", "list", "vpn").splitlines()  # Heat's log format
    assert log[-1].endswith(" [vpn]: CREATE_COMPLETE  done")
    assert " [east_net]: CREATE_COMPLETE  state changed" in log[1]
    events = json.loads(crossheat(home, "stack", "event", "list", "vpn", "-f", "json"))
    assert list(events[0])[:7] == [
        "resource_name", "id", "resource_status", "resource_status_reason", "event_time",
        "physical_resource_id", "logical_resource_id",
    ]  # fmt: skip
    last = events[-1]
    shown = crossheat(home, "stack", "event", "show", "vpn", "vpn", str(last["id"]), "-f",
                      "value", "-c", "resource_status")  # fmt: skip
    assert shown == "CREATE_COMPLETE\n"
