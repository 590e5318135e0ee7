"""The stack commands through a crossheat server (``--url``/``CROSSHEAT_URL``) print what
they print on this host, and exit with the same codes.

A server (crossheat's API application on uvicorn, ``--auth none``) and the local
commands share one state database, so each read is run both ways on the same stacks and
the outputs compared byte for byte; operations run through the server print what the
local engine then shows of their result. Templates of ``OS::Heat::*`` types only: no
cloud is needed, only a region map naming the regions.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from crossheat.api.app import create_app
from crossheat.api.auth import NoAuth
from crossheat.service import Service
from tests.cli.test_startup import probe

REGIONS = "regions:\n  East: {cloud: c1}\n  West: {cloud: c2}\ndefault_region: East\n"
TEMPLATE = """\
heat_template_version: 2018-08-31
description: A sentence of a random word, in two regions
parameters:
  greeting: {type: string, description: The first word}
  key: {type: string, hidden: true}
resources:
  word:
    type: OS::Heat::RandomString
    region: West
    properties: {length: 8}
  nothing:
    type: OS::Heat::None
    region: East
  sentence:
    type: OS::Heat::Value
    region: East
    properties:
      value: {list_join: [" ", [{get_param: greeting}, {get_attr: [word, value]}]]}
  note:
    type: OS::Heat::Value
    region: West
    properties: {value: {get_file: notes/hello.txt}}
  pair:
    type: lib/pair.yaml
    properties: {first: {get_param: greeting}}
outputs:
  sentence:
    description: The sentence
    value: {get_attr: [sentence, value]}
  length:
    value: {get_attr: [word, value]}
  note:
    value: {get_attr: [note, value]}
  pair:
    value: {get_attr: [pair, both]}
"""
#: A nested template (a ``type`` naming a file), which reads a file of its own.
PAIR = """\
heat_template_version: 2018-08-31
parameters:
  first: {type: string}
resources:
  second:
    type: OS::Heat::Value
    properties: {value: {get_file: ../notes/hello.txt}}
outputs:
  both:
    value: {list_join: [", ", [{get_param: first}, {get_attr: [second, value]}]]}
"""


#: A create that fails (and is rolled back): one resource made, one failing after it.
FAILING = """\
heat_template_version: 2018-08-31
resources:
  made: {type: OS::Heat::None, region: East}
  failing:
    type: OS::Heat::TestResource
    region: West
    depends_on: [made]
    properties: {value: x, fail: true}
"""
#: A row of the live view: region, resources, complete, in progress, failed.
ROW = re.compile(r"│ (East|West) +│ (\d+) +│ (\d+) +│ (\d+) +│ (\d+) +│")
#: Two problems a parser finds, each to be told with its file, line and column.
BAD = """\
heat_template_version: 2018-08-31
resources:
  a:
    type: OS::Heat::Nope
  b:
    type: OS::Heat::Value
    properties: {value: {get_attr: [c, x]}}
"""


@dataclass
class Home:
    """A user's directories (config, state) and the server working on the same state."""

    root: Path
    env: dict[str, str]
    url: str = ""

    def run(self, *args: str, remote: bool) -> subprocess.CompletedProcess[str]:
        """``crossheat ARGS`` on this host, or through the server (``CROSSHEAT_URL``)."""
        env = {**self.env, **({"CROSSHEAT_URL": self.url} if remote else {})}
        return subprocess.run(
            [sys.executable, "-m", "crossheat", *args], env=env, cwd=self.root,
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip

    def both(self, *args: str) -> tuple[subprocess.CompletedProcess[str], ...]:
        return self.run(*args, remote=False), self.run(*args, remote=True)


def _free_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    root = tmp_path_factory.mktemp("remote")
    (root / "regions.yaml").write_text(REGIONS)
    (root / "values.yaml").write_text(TEMPLATE)
    (root / "lib").mkdir()
    (root / "lib" / "pair.yaml").write_text(PAIR)
    (root / "notes").mkdir()
    (root / "notes" / "hello.txt").write_text("hello from a file")
    (root / "bad.yaml").write_text(BAD)
    (root / "failing.yaml").write_text(FAILING)
    (root / "broken.yaml").write_text("heat_template_version: 2018-08-31\nresources: [\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "CROSSHEAT_"))}
    env.update(
        XDG_CONFIG_HOME=str(root / "config"),
        XDG_DATA_HOME=str(root / "data"),
        XDG_STATE_HOME=str(root / "state"),
        CROSSHEAT_DATABASE_URL=f"sqlite:///{root / 'crossheat.db'}",
        CROSSHEAT_REGION_MAP=str(root / "regions.yaml"),
        PYTHONWARNINGS="ignore",
    )
    found = Home(root, env)
    with pytest.MonkeyPatch.context() as patch:  # the server reads the same settings
        for key in [k for k in os.environ if k.startswith(("OS_", "CROSSHEAT_"))]:
            patch.delenv(key)
        for key, value in env.items():
            patch.setenv(key, value)
        service = Service(database_url=env["CROSSHEAT_DATABASE_URL"])
        app = create_app(service, auth=NoAuth(), max_operations=4)
        sock = _free_socket()
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        found.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        try:
            yield found
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            sock.close()
            service.close()


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def _log_line(event: dict[str, object]) -> str:
    """The line ``--wait`` prints for a row of ``stack event list -f json``."""
    return (
        f"{event['event_time']} [{event['region'] or '-'}] {event['resource_name']} "
        f"{event['resource_status']} {event['resource_status_reason']}"
    ).rstrip()


def _diff(local: str, remote: str) -> str:
    lines = difflib.unified_diff(
        local.splitlines(), remote.splitlines(), "local", "remote", lineterm=""
    )
    return "\n".join(lines)


def aligned(local: str, remote: str) -> tuple[str, str]:
    """Two ``-f json`` outputs with the KNOWN DIFFERENCES set aside (everything else must be
    equal): through the API, (1) a stack never updated has Heat's ``updated_time`` null,
    where the local view has its last status change; (2) ``parameters`` also hold the
    template's defaults, in the template's order, as Heat shows them, where the local view
    has those given, in the order given."""
    try:
        mine, theirs = json.loads(local), json.loads(remote)
    except ValueError:
        return local, remote
    for one, other in zip(_items(mine), _items(theirs), strict=False):
        for key in ("updated_time", "Updated Time"):
            if key in other and other[key] is None:
                one[key] = None
        if isinstance(one.get("parameters"), dict) and isinstance(other.get("parameters"), dict):
            given = other["parameters"]
            other["parameters"] = {k: given[k] for k in one["parameters"] if k in given}
    return json.dumps(mine, indent=2), json.dumps(theirs, indent=2)


def _items(data: Any) -> list[dict[str, Any]]:
    listed = data if isinstance(data, list) else [data]
    return [item for item in listed if isinstance(item, dict)]


def _same(home: Home, *args: str) -> str:
    """Run ``ARGS`` on this host and through the server: the same output and exit code."""
    local, remote = home.both(*args)
    if "json" in args:
        local.stdout, remote.stdout = aligned(local.stdout, remote.stdout)
    assert (remote.returncode, remote.stdout) == (local.returncode, local.stdout), (
        f"crossheat {' '.join(args)}: exit {local.returncode} / {remote.returncode}\n"
        f"{_diff(local.stdout, remote.stdout)}\nlocal stderr: {local.stderr}\n"
        f"remote stderr: {remote.stderr}"
    )
    return local.stdout


CREATE = ("-t", "values.yaml", "--parameter", "greeting=hello", "--parameter", "key=s3cr3t-k")


def test_create_wait_then_every_read_prints_the_same_through_the_server(home: Home) -> None:
    created = home.run("stack", "create", "values", *CREATE, "--wait", "-f", "json", remote=True)
    assert created.returncode == 0, created.stderr
    shown = json.loads(created.stdout)
    assert shown["stack_status"] == "CREATE_COMPLETE"
    assert shown["parameters"]["key"] == "******"
    outputs = {o["output_key"]: o["output_value"] for o in shown["outputs"]}
    assert (outputs["note"], outputs["pair"]) == (
        "hello from a file",
        "hello, hello from a file",
    )  # get_file and a nested template's, sent as heatclient sends them
    # what create printed is the stack as the local engine shows it now
    local = home.run("stack", "show", "values", "-f", "json", remote=False).stdout
    local, printed = aligned(local, created.stdout)
    assert printed == local, _diff(local, printed)
    # the events it printed while waiting are the stack's events, in order, to the last
    events = json.loads(_same(home, "stack", "event", "list", "values", "-f", "json"))
    assert _lines(created.stderr) == [_log_line(e) for e in events]
    assert events[-1]["resource_status"] == "CREATE_COMPLETE"

    for args in (
        ("stack", "list", "-f", "json"),
        ("stack", "list", "-f", "value", "-c", "Stack Name", "-c", "Regions"),
        ("stack", "show", "values", "-f", "json"),
        ("stack", "show", "values", "-f", "value", "-c", "stack_status"),
        ("stack", "output", "list", "values"),
        ("stack", "output", "show", "values", "sentence", "-f", "json"),
        ("stack", "output", "show", "values", "--all", "-f", "yaml"),
        ("stack", "resource", "list", "values"),
        ("stack", "resource", "list", "values", "-f", "json"),
        ("stack", "resource", "show", "values", "word", "-f", "json"),
        ("stack", "resource", "show", "values", "sentence"),
        ("stack", "event", "list", "values"),
        ("stack", "event", "show", "values", "word", str(events[2]["id"]), "-f", "json"),
    ):
        _same(home, *args)


def test_update_existing_and_delete_wait_through_the_server(home: Home) -> None:
    created = home.run("stack", "create", "twice", *CREATE, "--wait", remote=True)
    assert created.returncode == 0, created.stderr
    before = json.loads(_same(home, "stack", "event", "list", "twice", "-f", "json"))

    preview = _same(home, "stack", "update", "twice", "--existing", "--parameter",
                    "greeting=bonjour", "--dry-run", "-f", "json")  # fmt: skip
    assert json.loads(preview)["updated"][0]["resource_name"] == "sentence"
    updated = home.run(
        "stack", "update", "twice", "--existing", "--parameter", "greeting=bonjour",
        "--wait", "-f", "json", remote=True,
    )  # fmt: skip
    assert updated.returncode == 0, updated.stderr
    assert updated.stdout == home.run("stack", "show", "twice", "-f", "json", remote=False).stdout
    shown = json.loads(updated.stdout)
    assert shown["stack_status"] == "UPDATE_COMPLETE"
    assert shown["parameters"]["greeting"] == "bonjour"
    after = json.loads(_same(home, "stack", "event", "list", "twice", "-f", "json"))
    assert after[: len(before)] == before
    assert _lines(updated.stderr) == [_log_line(e) for e in after[len(before) :]]

    stack_id = shown["id"]
    deleted = home.run("stack", "delete", "twice", "--wait", "--yes", remote=True)
    assert (deleted.returncode, deleted.stdout) == (
        0,
        "stack twice: DELETE_COMPLETE Stack DELETE completed successfully\n",
    ), deleted.stderr
    gone = json.loads(_same(home, "stack", "event", "list", stack_id, "-f", "json"))
    assert _lines(deleted.stderr) == [_log_line(e) for e in gone[len(after) :]]
    _same(home, "stack", "list", "-f", "json")


@pytest.mark.parametrize(
    "args",
    [
        ("stack", "show", "nope"),
        ("stack", "resource", "list", "nope"),
        ("stack", "resource", "show", "nope", "word"),
        ("stack", "output", "list", "nope"),
        ("stack", "output", "show", "nope", "sentence"),
        ("stack", "event", "list", "nope"),
        ("stack", "delete", "nope", "--yes"),
        ("stack", "update", "nope", "--existing"),
        ("stack", "cancel", "nope"),
    ],
)
def test_a_missing_stack_is_the_same_error(home: Home, args: tuple[str, ...]) -> None:
    local, remote = home.both(*args)
    assert (remote.returncode, remote.stdout, remote.stderr) == (
        local.returncode,
        local.stdout,
        local.stderr,
    )
    assert local.returncode == 1


@pytest.mark.parametrize(
    "args",
    [
        ("stack", "create", "bad", "-t", "bad.yaml"),
        ("stack", "create", "broken", "-t", "broken.yaml"),
        ("stack", "create", "missing", "-t", "missing.yaml"),
        ("stack", "create", "1bad", "-t", "values.yaml"),
        ("stack", "create", "x", *CREATE, "-e", "missing-env.yaml"),
    ],
)
def test_a_template_refused_is_told_the_same(home: Home, args: tuple[str, ...]) -> None:
    local, remote = home.both(*args)
    assert (remote.returncode, remote.stdout, remote.stderr) == (
        local.returncode,
        local.stdout,
        local.stderr,
    )
    assert local.returncode == 1


def test_a_missing_resource_or_output_is_the_same_error(home: Home) -> None:
    created = home.run("stack", "create", "reads", *CREATE, "--wait", remote=True)
    assert created.returncode == 0, created.stderr
    for args in (
        ("stack", "resource", "show", "reads", "nope"),
        ("stack", "output", "show", "reads", "nope"),
        ("stack", "event", "show", "reads", "word", "999999"),
        ("stack", "create", "reads", *CREATE),
    ):
        local, remote = home.both(*args)
        assert (remote.returncode, remote.stdout, remote.stderr) == (
            local.returncode,
            local.stdout,
            local.stderr,
        ), args
        assert local.returncode == 1


def test_reads_through_the_server_load_no_heavy_library(home: Home) -> None:
    created = home.run("stack", "create", "light", *CREATE, "--wait", remote=True)
    assert created.returncode == 0, created.stderr
    env = {**home.env, "CROSSHEAT_URL": home.url}
    reads = (["stack", "list"], ["stack", "show", "light"], ["stack", "event", "list", "light"])
    for args in reads:
        out, code, heavy = probe(args, env)
        assert (code, heavy) == (0, set()), args
        assert "light" in out


def test_check_resume_follow_cancel_and_plan_print_the_same(home: Home) -> None:
    created = home.run("stack", "create", "more", *CREATE, "--wait", remote=True)
    assert created.returncode == 0, created.stderr
    for args in (
        ("stack", "check", "more"),
        ("stack", "check", "more", "-f", "json"),
        ("stack", "resume", "more"),
        ("stack", "event", "list", "more", "--follow"),
        ("stack", "cancel", "more"),
        ("stack", "update", "more", "-t", "bad.yaml"),
        ("stack", "update", "more", "-t", "values.yaml", "--dry-run"),
        ("plan", "-t", "values.yaml", "--stack", "more", "--parameter", "greeting=hi"),
    ):
        local, remote = home.both(*args)
        assert (remote.returncode, remote.stdout, remote.stderr) == (
            local.returncode,
            local.stdout,
            local.stderr,
        ), (args, _diff(local.stdout, remote.stdout))


def test_wait_on_a_terminal_shows_the_live_view_of_the_servers_operation(home: Home) -> None:
    primary, secondary = os.openpty()
    env = {**home.env, "CROSSHEAT_URL": home.url, "COLUMNS": "200", "LINES": "50"}
    process = subprocess.Popen(
        [sys.executable, "-m", "crossheat", "stack", "create", "live", *CREATE, "--wait"],
        stdin=secondary, stdout=secondary, stderr=secondary, env=env, cwd=home.root,
    )  # fmt: skip
    os.close(secondary)
    chunks = []
    try:
        while True:
            try:
                data = os.read(primary, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        assert process.wait(timeout=120) == 0
    finally:
        os.close(primary)
        if process.poll() is None:
            process.kill()
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode(errors="replace"))
    assert "live: CREATE_COMPLETE" in text  # the live table's last title
    final = {m[1]: m.groups()[1:] for m in ROW.finditer(text)}  # each region's last row
    assert final == {"East": ("3", "3", "0", "0"), "West": ("2", "2", "0", "0")}
    assert "live CREATE_COMPLETE Stack CREATE completed successfully" in text


def test_a_failed_create_rolled_back_exits_1_through_the_server(home: Home) -> None:
    failed = home.run("stack", "create", "fails", "-t", "failing.yaml", "--wait", "-f", "json",
                      remote=True)  # fmt: skip
    assert failed.returncode == 1, failed.stderr
    shown = json.loads(failed.stdout)
    assert shown["stack_status"] == "ROLLBACK_COMPLETE", shown["stack_status_reason"]
    local, printed = aligned(
        home.run("stack", "show", "fails", "-f", "json", remote=False).stdout, failed.stdout
    )
    assert printed == local
    events = json.loads(_same(home, "stack", "event", "list", "fails", "-f", "json"))
    assert _lines(failed.stderr) == [_log_line(e) for e in events]
    assert [e["resource_status"] for e in events if e["resource_name"] == "fails"] == [
        "CREATE_IN_PROGRESS", "CREATE_FAILED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE",
    ]  # fmt: skip
