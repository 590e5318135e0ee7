"""Secrets across machines: engines on two hosts (separate config directories, so separate
per-host keys) share one key file, ``CROSSHEAT_SECRET_KEY_FILE``; what one seals the other
opens, also between ``crossheat worker`` processes on the job queue. A key is rotated
while an engine deploys: a new key, every value re-sealed, the old
key retired, and nothing in the database is left that the old key opens.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crossheat.service import Inputs, QueueExecutor
from crossheat.service.queue import QueueSettings
from tests.e2e.conftest import World, start_emulator
from tests.e2e.workers import is_stopped, wait_ended, worker_pool
from tests.sealed import opened_by, raw_database

FIRST = "Shared-Key-Name-8c21"
SECOND = "Shared-Key-Name-4e9a"
UNKNOWN_KEY = (
    "sealed with a key this engine does not have: "
    "set CROSSHEAT_SECRET_KEY_FILE to the deployment's key file"
)

TEMPLATE = """heat_template_version: 2018-08-31
parameters:
  server_name: {type: string, hidden: true}
resources:
  net:
    type: OS::Neutron::Net
    region: East
    properties: {name: shared-net}
  subnet:
    type: OS::Neutron::Subnet
    region: East
    properties: {network: {get_resource: net}, cidr: 10.7.0.0/24}
  server:
    type: OS::Nova::Server
    region: East
    depends_on: subnet
    properties:
      name: {get_param: server_name}
      image: cirros
      flavor: m1.small
      networks: [{network: {get_resource: net}}]
"""


def _host(world: World, name: str, key_file: Path | None) -> dict[str, str]:
    """The environment of another machine: its own config directory (clouds.yaml and the
    region map copied, no key of its own), the same database, ``key_file`` if given."""
    config = world.tmp / name
    shutil.copytree(world.tmp / "config" / "openstack", config / "openstack")
    (config / "crossheat").mkdir(parents=True)
    shutil.copy(world.tmp / "config" / "crossheat" / "regions.yaml", config / "crossheat")
    env = {
        **world.env,
        "XDG_CONFIG_HOME": str(config),
        "OS_CLIENT_CONFIG_FILE": str(config / "openstack" / "clouds.yaml"),
    }
    env.pop("CROSSHEAT_SECRET_KEY_FILE", None)
    if key_file is not None:
        env["CROSSHEAT_SECRET_KEY_FILE"] = str(key_file)
    return env


def _run(world: World, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = world.run_with_env(env, *args)
    assert done.returncode == 0, f"crossheat {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done


def _deployment(world: World) -> Path:
    """``crossheat secrets new-key --file``: the deployment's key file; host A uses it."""
    key_file = world.tmp / "deployment.key"
    world.crossheat("secrets", "new-key", "--file", str(key_file))
    world.env["CROSSHEAT_SECRET_KEY_FILE"] = str(key_file)
    (world.tmp / "shared.yaml").write_text(TEMPLATE)
    return key_file


def _server_names(world: World) -> list[str]:
    return [s["name"] for s in world.admin.resources("East").get("servers", [])]


def _keys(key_file: Path) -> list[bytes]:
    return [line.encode() for line in key_file.read_text().split()]


def test_a_secret_one_engine_seals_another_opens(world: World) -> None:
    start_emulator(world)
    key_file = _deployment(world)
    host_b = _host(world, "host-b", key_file)
    stranger = _host(world, "host-c", None)  # its own per-host key

    created = world.create("shared", world.tmp / "shared.yaml", {"server_name": FIRST})
    assert created["stack_status"] == "CREATE_COMPLETE"
    shown = json.loads(_run(world, host_b, "stack", "show", "shared", "-f", "json").stdout)
    assert shown["stack_status"] == "CREATE_COMPLETE"
    _run(world, host_b, "stack", "update", "shared", "--existing", "--wait",
         "--parameter", f"server_name={SECOND}")  # fmt: skip
    assert _server_names(world) == [SECOND]  # B opened the stack A sealed, and changed it
    checked = world.crossheat("stack", "check", "shared", "-f", "json")  # A reads B's value
    assert [r["status"] for r in json.loads(checked.stdout)] == ["IN_SYNC"] * 3

    refused = world.run_with_env(stranger, "stack", "show", "shared")
    assert refused.returncode == 1 and UNKNOWN_KEY in refused.stderr
    for host in ("config", "host-b"):  # the shared file, never a per-host key
        assert not (world.tmp / host / "crossheat" / "secret.key").exists()
    raw = raw_database(world.db_url)
    assert FIRST.encode() not in raw and SECOND.encode() not in raw
    assert opened_by(_keys(key_file)[0], raw) >= 4


def _wait_frozen(engine: subprocess.Popen[str]) -> None:
    """Until the engine has stopped itself (SIGSTOP) where ``CROSSHEAT_STOP_AT`` says."""
    deadline = time.monotonic() + 60
    while not is_stopped(engine.pid):
        assert engine.poll() is None, engine.communicate()
        assert time.monotonic() < deadline, "the engine never reached its server's create"
        time.sleep(0.05)


def test_a_key_rotated_while_an_engine_deploys(world: World) -> None:
    start_emulator(world)
    key_file = _deployment(world)
    host_b = _host(world, "host-b", key_file)
    (old,) = _keys(key_file)
    shutil.copy(key_file, world.tmp / "old.key")
    # The engine stops (SIGSTOP) once it has asked for the server, for as long as the
    # rotation takes, then goes on: it deploys before the new key and after the rotation.
    engine = subprocess.Popen(
        [sys.executable, "-m", "crossheat", "stack", "create", "shared", "-t", "shared.yaml",
         "--parameter", f"server_name={FIRST}", "--wait", "-f", "json"],
        env={**world.env, "CROSSHEAT_STOP_AT": "create:server:after-call"}, cwd=world.tmp,
        text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_frozen(engine)
        assert _server_names(world) == [FIRST]  # its server is booting
        world.crossheat("secrets", "new-key")  # the file CROSSHEAT_SECRET_KEY_FILE names
        assert len(_keys(key_file)) == 2
        refused = world.crossheat("secrets", "retire-old", check=False)
        assert refused.returncode == 1 and "run `crossheat secrets rotate` first" in refused.stderr
        rotated = _run(world, host_b, "secrets", "rotate")
        assert "re-encrypted" in rotated.stdout
        assert world.show("shared")["stack_status"] == "CREATE_IN_PROGRESS"
        engine.send_signal(signal.SIGCONT)
        out, err = engine.communicate(timeout=180)
    finally:
        engine.kill()
    assert engine.returncode == 0, err
    assert json.loads(out)["stack_status"] == "CREATE_COMPLETE"
    assert _server_names(world) == [FIRST]

    world.crossheat("secrets", "rotate")  # what the engine sealed before it saw the new key
    retired = world.crossheat("secrets", "retire-old")
    assert "retired 1 old key" in retired.stdout
    (new,) = _keys(key_file)
    assert new != old
    status = world.json("secrets", "status")
    assert (status["keys"], status["sealed_with_old_key"]) == (1, 0)
    raw = raw_database(world.db_url)
    assert opened_by(old, raw) == 0  # nothing the old key opens, anywhere in the database
    assert opened_by(new, raw) == status["sealed_with_first_key"] >= 4
    assert FIRST.encode() not in raw

    _run(world, host_b, "stack", "update", "shared", "--existing", "--wait",
         "--parameter", f"server_name={SECOND}")  # fmt: skip
    assert _server_names(world) == [SECOND]
    checked = world.crossheat("stack", "check", "shared", "-f", "json")
    assert [r["status"] for r in json.loads(checked.stdout)] == ["IN_SYNC"] * 3
    with_old_key = _host(world, "host-old", world.tmp / "old.key")
    refused = world.run_with_env(with_old_key, "stack", "show", "shared")
    assert refused.returncode == 1 and UNKNOWN_KEY in refused.stderr


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("world", ["postgresql"], indirect=True)
def test_what_one_worker_seals_a_worker_on_another_host_opens(world: World) -> None:
    start_emulator(world)
    key_file = _deployment(world)
    hosts = [_host(world, "host-a", key_file), _host(world, "host-b", key_file)]
    with worker_pool(world) as pool:
        # Worker A (queue "a") creates the stack: it seals the server's name, which a
        # hidden parameter gives; worker B (queue "b"), on another host, updates it.
        pool.start_many(2, concurrency=1, queues=["a", "b"], envs=hosts)
        with world.service() as service:
            service.executor = QueueExecutor(service.store, QueueSettings(queue="a"))
            inputs = Inputs.from_files(world.tmp / "shared.yaml", (), {"server_name": FIRST})
            service.submit(service.create("shared", inputs))
        assert wait_ended(world, ["shared"], 60) == {"shared": "CREATE_COMPLETE"}
        with world.service() as service:
            service.executor = QueueExecutor(service.store, QueueSettings(queue="b"))
            changed = {"server_name": SECOND}
            prepared = service.prepare_update("shared", None, existing=True, parameters=changed)
            service.submit(service.update(prepared))
        assert wait_ended(world, ["shared"], 60) == {"shared": "UPDATE_COMPLETE"}, pool.logs()
    assert _server_names(world) == [SECOND]  # B opened what A sealed, and changed it
    for host in ("host-a", "host-b"):  # the shared file, never a per-host key
        assert not (world.tmp / host / "crossheat" / "secret.key").exists()
    raw = raw_database(world.db_url)
    assert FIRST.encode() not in raw and SECOND.encode() not in raw
