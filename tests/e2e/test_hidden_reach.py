"""A hidden parameter's value is sealed and masked wherever it goes, and still reaches the cloud.

The value feeds a server's name (as is), a network's description (through
``list_join``, in ``value_specs``) and two outputs (``get_attr`` of the server's name, and
``str_split`` of a ``str_replace``). After create and after an update that
changes it (after a rename behind crossheat's back that ``stack check`` reports):
the emulator holds the clear value, while the database (raw SQLite bytes,
PostgreSQL rows as text), every command's output, the events and the engine's
debug log (openstacksdk's requests included) show ``******`` instead.
"""

from __future__ import annotations

import json
from typing import Any

from openstack.config import OpenStackConfig
from openstack.connection import Connection

from tests.e2e.conftest import World, start_emulator
from tests.sealed import raw_database

SECRET = "Hidden-Name-5e1b9c"
NEW_SECRET = "Hidden-Name-2d7f04"
MASK = "******"

TEMPLATE = """heat_template_version: 2018-08-31
parameters:
  server_name:
    type: string
    hidden: true
  image: {type: string, default: cirros}
  flavor: {type: string, default: m1.small}
resources:
  net:
    type: OS::Neutron::Net
    region: East
    properties:
      name: plain-net
      value_specs:
        description: {list_join: [" ", ["net of", {get_param: server_name}]]}
  subnet:
    type: OS::Neutron::Subnet
    region: East
    properties: {network: {get_resource: net}, cidr: 10.9.0.0/24}
  server:
    type: OS::Nova::Server
    region: East
    depends_on: subnet
    properties:
      name: {get_param: server_name}
      image: {get_param: image}
      flavor: {get_param: flavor}
      networks: [{network: {get_resource: net}}]
outputs:
  server_name:
    description: the server's name, read back from the cloud
    value: {get_attr: [server, name]}
  piece:
    description: a piece of a string built from the hidden value
    value:
      str_split:
        - "-"
        - {str_replace: {template: "vm-$n", params: {$n: {get_param: server_name}}}}
        - 3
  plain:
    value: {get_attr: [net, name]}
"""


def _piece(secret: str) -> str:
    """What the output ``piece`` cuts out of the secret: its last part."""
    return secret.split("-")[2]


def _east(world: World) -> dict[str, list[dict[str, Any]]]:
    return world.admin.resources("East")


def _check_views(world: World, secret: str) -> None:
    """Every view shows the mask where the secret went, and nothing of the secret."""
    stack = world.json("stack", "show", "hid")
    outputs = {o["output_key"]: o["output_value"] for o in stack["outputs"]}
    assert outputs == {"server_name": MASK, "piece": MASK, "plain": "plain-net"}
    server = world.json("stack", "resource", "show", "hid", "server")
    assert server["properties"]["name"] == MASK
    assert server["properties"]["flavor"] == "m1.small"  # only what the secret reached
    assert server["attributes"]["name"] == MASK
    net = world.json("stack", "resource", "show", "hid", "net")
    assert net["properties"]["value_specs"] == {"description": MASK}
    assert net["properties"]["name"] == "plain-net"
    assert net["attributes"]["name"] == "plain-net"
    shown = [
        world.crossheat("stack", "show", "hid").stdout,
        world.crossheat(
            "stack", "output", "show", "hid", "piece", "-f", "value", "-c", "output_value"
        ).stdout,
        world.crossheat("stack", "event", "list", "hid").stdout,
    ]
    assert [s for s in shown if secret in s or _piece(secret) in s] == []
    assert MASK in shown[0] and shown[1] == f"{MASK}\n"


def _check_database(world: World, *secrets: str) -> None:
    raw = raw_database(world.db_url).decode("latin-1")
    assert "plain-net" in raw  # the rows are there ...
    for secret in secrets:  # ... the secrets are not, nor a part of them
        assert secret not in raw and _piece(secret) not in raw


def _rename_behind_crossheat(world: World, server_id: str) -> None:
    """Drift: the server renamed with the user's own openstacksdk connection."""
    config = OpenStackConfig(config_files=[world.env["OS_CLIENT_CONFIG_FILE"]])
    east = Connection(config=config.get_one(cloud="emulator", region_name="East"))
    try:
        east.compute.update_server(server_id, name="renamed")
    finally:
        east.close()


def test_a_hidden_parameter_is_sealed_wherever_it_goes(world: World) -> None:
    views = world.db_url.startswith("sqlite")  # the views are the same whatever the database
    start_emulator(world)
    (world.tmp / "hid.yaml").write_text(TEMPLATE)
    world.env["CROSSHEAT_LOG_LEVEL"] = "debug"
    created = world.crossheat(
        "stack", "create", "hid", "-t", "hid.yaml", "--parameter", f"server_name={SECRET}",
        "--wait", "-f", "json",
    )  # fmt: skip
    world.env.pop("CROSSHEAT_LOG_LEVEL")
    assert json.loads(created.stdout)["stack_status"] == "CREATE_COMPLETE"
    log = created.stderr
    assert "POST" in log and "servers" in log  # openstacksdk's requests are logged ...
    assert MASK in log and SECRET not in log  # ... with the secret scrubbed
    east = _east(world)
    assert [s["name"] for s in east["servers"]] == [SECRET]  # the cloud has the clear value
    assert [n["description"] for n in east["networks"] if n["name"] == "plain-net"] == [
        f"net of {SECRET}"
    ]
    _check_database(world, SECRET)
    if views:
        _check_views(world, SECRET)
    server_id = east["servers"][0]["id"]

    if views:
        _rename_behind_crossheat(world, server_id)
        done = world.crossheat("stack", "check", "hid", "-f", "json", check=False)
        assert done.returncode == 1 and SECRET not in done.stdout
        (drifted,) = [r for r in json.loads(done.stdout) if r["status"] == "MODIFIED"]
        assert drifted["differences"] == [
            {"property": "name", "expected": MASK, "actual": "renamed"}
        ]
        events = world.crossheat("stack", "event", "list", "hid").stdout  # Heat's log lines
        assert f"[server]: CHECK_FAILED  changed outside crossheat: name '{MASK}'" in events
        assert SECRET not in events
    change = ("stack", "update", "hid", "--existing", "--parameter", f"server_name={NEW_SECRET}")
    if views:
        preview = world.json(*change, "--dry-run")
        assert {u["resource_name"]: u["changes"] for u in preview["updated"]} == {
            "net": [{"property": "value_specs", "old": MASK, "new": MASK}],
            "server": [{"property": "name", "old": MASK, "new": MASK}],
        }
        assert preview["replaced"] == []
    world.crossheat(*change, "--wait")
    east = _east(world)
    assert [(s["id"], s["name"]) for s in east["servers"]] == [(server_id, NEW_SECRET)]
    events = world.json("stack", "event", "list", "hid")
    assert [e["resource_status"] for e in events if e["resource_name"] == "server"][-2:] == [
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE",
    ]  # changed in place, not replaced
    _check_database(world, NEW_SECRET, SECRET)  # the previous spec, kept for rollback, too
    if views:
        _check_views(world, NEW_SECRET)
    assert not [log for log in world.logs if SECRET in log or NEW_SECRET in log]
