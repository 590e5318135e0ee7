"""The light commands start without the heavy libraries: ``crossheat --help``, ``--version``,
``stack list`` and every command sent to a server (``--url``) load neither the cloud SDK,
the ORM nor the engine."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crossheat.store import StackSpec, Store

#: Libraries (and crossheat's own heavy layers) a light command must not import.
HEAVY = ("sqlalchemy", "openstack", "keystoneauth1", "alembic", "ortools", "fastapi",
         "uvicorn", "netaddr", "cryptography", "crossheat.engine", "crossheat.service._service",
         "crossheat.service._stacks",
         # httpx's own command-line client (which ``import httpx`` loads when it can)
         "httpx._main", "click")  # fmt: skip

#: Runs the command as ``crossheat ARGS`` would, then says which modules it imported.
PROBE = """
import json, sys
from crossheat.cli.main import main
sys.argv = ["crossheat", *json.loads(sys.argv[1])]
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
sys.stderr.write("\\nPROBE " + json.dumps({"code": code, "modules": sorted(
    name for name, module in sys.modules.items() if module is not None)}))
"""


def probe(args: list[str], env: dict[str, str]) -> tuple[str, int, set[str]]:
    """Run ``crossheat ARGS``: its stdout, exit code, and the heavy modules it imported."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    found: dict[str, Any] = json.loads(done.stderr.rsplit("PROBE ", 1)[1])
    heavy = {m for m in found["modules"] if any(m == h or m.startswith(h + ".") for h in HEAVY)}
    return (
        done.stdout,
        found["code"],
        {m.split(".")[0] for m in heavy} | {h for h in HEAVY if "." in h and h in heavy},
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["stack", "--help"],
        ["stack", "create", "--help"],
        ["validate", "--help"],
        ["emulator", "--help"],
        ["serve", "--help"],
    ],
)
def test_help_and_version_load_no_heavy_library(args: list[str], env: dict[str, str]) -> None:
    out, code, heavy = probe(args, env)
    assert code == 0
    assert out.strip()
    assert heavy == set()


def test_stack_list_reads_an_up_to_date_sqlite_database_without_sqlalchemy(
    env: dict[str, str], tmp_path: Path
) -> None:
    with Store.open(env["CROSSHEAT_DATABASE_URL"]) as store:
        first = store.create_stack("first", "default", StackSpec(template={}))
        store.add_resources(first.id, [("net", "OS::Neutron::Net", "West")])
        store.create_stack("second", "default", StackSpec(template={}))
    out, code, heavy = probe(["stack", "list", "-f", "json"], env)
    assert code == 0
    assert [(s["Stack Name"], s["Stack Status"], s["Regions"]) for s in json.loads(out)] == [
        ("first", "CREATE_IN_PROGRESS", ["West"]),
        ("second", "CREATE_IN_PROGRESS", []),
    ]
    assert heavy == set()
    out, code, heavy = probe(["stack", "list", "-f", "value", "-c", "Stack Name"], env)
    assert (code, out.split(), heavy) == (0, ["first", "second"], set())


def test_a_command_sent_to_a_server_loads_only_its_http_client(env: dict[str, str]) -> None:
    """``--url`` commands load httpx, but not its own command-line client (click, rich's
    progress bars: ~0.03 s of every command's start)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"  # bound, not listening
        _, code, heavy = probe(["--url", closed, "stack", "list"], env)
    assert code == 1
    assert heavy == set()
