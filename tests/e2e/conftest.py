"""End-to-end scenarios: the real ``crossheat`` command against the emulator, over HTTP.

Each test gets its own world: private config/state/data directories, an
emulator (East, West, or the regions a test names) started with ``crossheat
emulator start`` as a user would, and a state database — SQLite, and
PostgreSQL in a schema of its own. Every crossheat command runs as a separate
process, exactly as typed — or, for scenarios about the engine rather than the
command line, in this process through ``crossheat.service.Service`` (``World.service``
and the helpers below it), which saves a process start per command. The emulator is
a separate process either way, reached over HTTP.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from crossheat.emulator.client import AdminClient
from crossheat.service import Inputs, Service, Status, event_dict, resource_dict
from tests.pg import empty, private_schema

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "examples" / "east-west-vpn.yaml"
PSK = "e2e-pre-shared-key-3f9a1c7d"
#: Seeded by the emulator in every region; not part of any stack.
SEEDED = {"networks": {"public"}}


@dataclass
class World:
    tmp: Path
    env: dict[str, str]
    url: str = ""
    db_url: str = ""
    logs: list[str] = field(default_factory=list)
    monkeypatch: pytest.MonkeyPatch | None = None

    def crossheat(
        self,
        *args: str,
        check: bool = True,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``crossheat ARGS`` as a process; its output is kept for the secrets test."""
        done = subprocess.run(
            [sys.executable, "-m", "crossheat", *args], env=self.env, text=True,
            capture_output=True, timeout=timeout, cwd=self.tmp,
        )  # fmt: skip
        self.logs += [done.stdout, done.stderr]
        if check and done.returncode != 0:
            raise AssertionError(
                f"crossheat {' '.join(args)} exited {done.returncode}\n"
                f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
            )
        return done

    def run_with_env(self, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``crossheat ARGS`` with another environment; no check of the exit status."""
        done = subprocess.run(
            [sys.executable, "-m", "crossheat", *args], env=env, text=True,
            capture_output=True, timeout=300, cwd=self.tmp,
        )  # fmt: skip
        self.logs += [done.stdout, done.stderr]
        return done

    def json(self, *args: str, check: bool = True) -> Any:
        return json.loads(self.crossheat(*args, "-f", "json", check=check).stdout)

    # ---- in this process, through the service -------------------------------------------

    @contextmanager
    def service(self) -> Iterator[Service]:
        """A ``Service`` reading what a command of this world would: its environment
        (clouds.yaml, region map, XDG homes, database URL) and its directory, for the
        rest of the test."""
        assert self.monkeypatch is not None
        for key in list(os.environ):
            if key.startswith(("OS_", "CROSSHEAT_")) and key not in self.env:
                self.monkeypatch.delenv(key)
        for key, value in self.env.items():
            self.monkeypatch.setenv(key, value)
        self.monkeypatch.chdir(self.tmp)
        with Service(database_url=self.db_url) as service:
            yield service

    def create(
        self,
        name: str,
        template: str | Path,
        parameters: Mapping[str, str] | None = None,
        environments: Sequence[str | Path] = (),
        *,
        disable_rollback: bool = False,
    ) -> Any:
        """``stack create NAME -t TEMPLATE ... --wait -f json``, in this process: the stack
        shown as that command shows it."""
        with self.service() as service:
            inputs = Inputs.from_files(template, environments, parameters)
            started = service.create(name, inputs, disable_rollback=disable_rollback)
            return _as_json(service.show(service.run_here(started)))

    def update(
        self,
        name: str,
        template: str | Path | None = None,
        parameters: Mapping[str, str] | None = None,
        *,
        existing: bool = False,
        disable_rollback: bool | None = None,
        dry_run: bool = False,
    ) -> Any:
        """``stack update NAME [-t T] [--existing] [--parameter ...] --wait -f json`` (or
        ``--dry-run``: the preview), in this process."""
        with self.service() as service:
            inputs = Inputs.from_files(template, (), parameters) if template else None
            prepared = service.prepare_update(
                name, inputs, existing=existing, parameters=parameters,
                disable_rollback=disable_rollback,
            )  # fmt: skip
            if dry_run:
                return _as_json(service.preview_update(prepared).preview())
            return _as_json(service.show(service.run_here(service.update(prepared))))

    def delete(self, name: str) -> Any:
        """``stack delete NAME --wait --yes``, failing as the command would (exit 1)."""
        with self.service() as service:
            stack = service.run_here(service.delete(service.deletable(name)))
        if stack.status is Status.FAILED:  # where the command would exit 1
            raise AssertionError(f"stack delete {name}: {stack.stack_status} {stack.status_reason}")
        return _as_json({"stack_status": stack.stack_status, "reason": stack.status_reason})

    def show(self, name: str) -> Any:
        """``stack show NAME -f json``."""
        with self.service() as service:
            return _as_json(service.show(name))

    def resources(self, name: str) -> Any:
        """``stack resource list NAME -f json``."""
        with self.service() as service:
            return _as_json([resource_dict(r) for r in service.resources(name, nested=True)])

    def events(self, name: str) -> Any:
        """``stack event list NAME -f json``."""
        with self.service() as service:
            return _as_json([event_dict(e) for e in service.events(name)])

    @property
    def admin(self) -> AdminClient:
        return AdminClient(self.url)

    def leftovers(self, region: str) -> dict[str, list[str]]:
        """What exists in ``region`` beyond the emulator's seed: kind -> names or ids."""
        found: dict[str, list[str]] = {}
        for kind, items in self.admin.resources(region).items():
            names = [
                str(item.get("name") or item.get("id")) for item in items
                if str(item.get("name")) not in SEEDED.get(kind, set())
                and not _is_default_group(kind, item)
            ]  # fmt: skip
            if names:
                found[kind] = names
        return found


def _as_json(data: Any) -> Any:
    """``data`` as ``-f json`` prints it (times as text)."""
    return json.loads(json.dumps(data, default=str))


def _is_default_group(kind: str, item: dict[str, Any]) -> bool:
    """Neutron makes a ``default`` security group (and its rules) per project by itself."""
    if kind == "security_groups" or kind == "security-groups":
        return item.get("name") == "default"
    return kind in ("security_group_rules", "security-group-rules")


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    yield from private_schema("e2e")


def start_emulator(
    world: World,
    latency: str = "default=0.02,server=0.1",
    faults: str = "",
    regions: str = "East,West",
    orchestration_url: str | None = None,
    baremetal: int = 0,
) -> None:
    """``crossheat emulator start``; a lone IPsec connection reads DOWN after 1 s unless
    ``latency`` names another ``vpn_peer_timeout``; ``orchestration_url``: crossheat's API
    in the Keystone catalog (``crossheat serve``); ``baremetal``: nodes per region."""
    if "vpn_peer_timeout" not in latency:
        latency += ",vpn_peer_timeout=1"
    args = [
        "emulator",
        "start",
        "--port",
        "0",
        "--regions",
        regions,
        "--state",
        ":memory:",
        "--latency",
        latency,
    ]
    if faults:
        args += ["--faults", faults]
    if orchestration_url:
        args += ["--orchestration-url", orchestration_url]
    if baremetal:
        args += ["--baremetal", str(baremetal)]
    out = world.crossheat(*args).stdout
    match = re.search(r"http://127\.0\.0\.1:\d+", out)
    assert match, out
    world.url = match.group(0)


@pytest.fixture(params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    env = dict(os.environ)
    for key in list(env):
        if key.startswith(("OS_", "CROSSHEAT_")):
            del env[key]
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        OS_CLIENT_CONFIG_FILE=str(tmp_path / "config" / "openstack" / "clouds.yaml"),
        PYTHONWARNINGS="ignore",
    )
    world = World(tmp_path, env, monkeypatch=monkeypatch)
    if request.param == "postgresql":
        world.db_url = request.getfixturevalue("pg_schema")
        empty(world.db_url)
        env["CROSSHEAT_DATABASE_URL"] = world.db_url
    else:
        world.db_url = f"sqlite:///{tmp_path / 'data' / 'crossheat' / 'crossheat.db'}"
    try:
        yield world
    finally:
        world.crossheat("emulator", "stop", check=False)
