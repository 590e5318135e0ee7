"""Running the emulator: in the foreground, in a thread (tests), or in the background.

::

    serve(config, settings)       foreground until SIGINT/SIGTERM; port 0 picks a free port
    start(command, settings)      background process; returns its announce entry once it answers
    stop(settings, port=None)     SIGTERM every running emulator (or the one on ``port``)
    status(settings)              the announce entries of running emulators
    ThreadedEmulator(config)      in-process, for tests: ``.url``, ``.emulator``, ``.stop()``

A running emulator announces itself in ``settings.run_dir`` as ``{port}.json``
(``{"url", "pid", "port", "regions", "cloud", "cloud_index", "state"}``);
that directory is also the registry other emulators read to find VPN peers.
On start it writes its ``clouds.yaml`` entries and, when there is none yet, a
region map (see ``crossheat.emulator.config_files``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from crossheat.emulator.app import create_app
from crossheat.emulator.config_files import Settings, write_clouds_yaml, write_region_map
from crossheat.emulator.core import Emulator, EmulatorConfig, pid_alive
from crossheat.errors import ConfigError, CrossheatError


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 takes a free one.

    The protocol is named (``IPPROTO_TCP``) so that asyncio sets ``TCP_NODELAY`` on
    accepted connections; without it every answer waits ~40 ms for a delayed ACK.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(1024)
    return sock


def _uvicorn(emu: Emulator) -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(emu),
        log_level="warning",
        access_log=False,
        lifespan="off",
        workers=1,
    )
    return uvicorn.Server(config)


def _listen(config: EmulatorConfig) -> tuple[socket.socket, Emulator]:
    sock = bind(config.host, config.port)
    config.port = sock.getsockname()[1]
    emu = Emulator(config)
    host = "127.0.0.1" if config.host in ("0.0.0.0", "") else config.host
    emu.base_url = f"http://{host}:{config.port}"
    return sock, emu


class ThreadedEmulator:
    """An emulator serving from a background thread of this process (tests, benchmarks)."""

    def __init__(self, config: EmulatorConfig) -> None:
        sock, self.emulator = _listen(config)
        self.url = self.emulator.base_url
        self._server = _uvicorn(self.emulator)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise CrossheatError("the emulator did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self.emulator.store.close()


def announce_entry(emu: Emulator, cloud: str) -> dict[str, Any]:
    config = emu.config
    return {
        "url": emu.base_url,
        "pid": os.getpid(),
        "port": config.port,
        "regions": list(config.regions),
        "cloud": cloud,
        "cloud_index": config.cloud_index,
        "state": config.state,
    }


def serve(
    config: EmulatorConfig, settings: Settings, on_ready: Callable[[dict[str, Any]], None]
) -> None:
    """Run in the foreground until SIGINT or SIGTERM; ``on_ready`` gets the announce entry.

    A negative ``cloud_index`` takes the first one no running emulator has; an empty
    ``state`` means ``{run_dir}/{cloud}.sqlite``. The cloud is named ``settings.cloud``,
    else ``emulator`` (index 0) or ``emulator{index}``.
    """
    config.registry_dir = str(settings.run_dir)
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    if config.cloud_index < 0:
        config.cloud_index = _free_cloud_index(settings)
    index = config.cloud_index
    cloud = settings.cloud or ("emulator" if index == 0 else f"emulator{index}")
    config.state = config.state or str(settings.run_dir / f"{cloud}.sqlite")
    sock, emu = _listen(config)
    entry = announce_entry(emu, cloud)
    members = [(p.project, p.user, p.password) for p in config.projects]
    write_clouds_yaml(settings.clouds_file, cloud, emu.base_url, config.regions, members)
    write_region_map(settings.regions_file, cloud, config.regions, config.baremetal > 0)
    server = _uvicorn(emu)
    announce = settings.run_dir / f"{config.port}.json"
    announce.write_text(json.dumps(entry))
    try:
        on_ready(entry)
        _exit_cleanly_on_signals()
        server.run(sockets=[sock])
    finally:
        announce.unlink(missing_ok=True)
        emu.store.close()


def _leave(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _exit_cleanly_on_signals() -> None:
    """SIGINT and SIGTERM end ``serve`` with status 0 after uvicorn's graceful shutdown.

    uvicorn re-raises the signal it caught once it has shut down; with these
    handlers that becomes ``SystemExit(0)``, so the announce file is removed.
    """
    signal.signal(signal.SIGTERM, _leave)
    signal.signal(signal.SIGINT, _leave)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs; reaps it first when it is our own exited child."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    return pid_alive(pid)


def status(settings: Settings) -> list[dict[str, Any]]:
    """Announce entries of the emulators running now; stale files are removed."""
    entries: list[dict[str, Any]] = []
    if not settings.run_dir.is_dir():
        return entries
    for path in sorted(settings.run_dir.glob("*.json")):
        try:
            entry = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if _alive(int(entry.get("pid", 0))):
            entries.append(entry)
        else:
            path.unlink(missing_ok=True)
    return entries


def _free_cloud_index(settings: Settings) -> int:
    used = {int(e.get("cloud_index", 0)) for e in status(settings)}
    return next(i for i in range(len(used) + 1) if i not in used)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/identity/v3", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def start(command: list[str], settings: Settings, timeout: float = 30.0) -> dict[str, Any]:
    """Run ``command`` (one that calls ``serve``) in the background; its entry once it answers."""
    before = {e["pid"] for e in status(settings)}
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    log = open(settings.run_dir / "emulator.log", "ab")  # noqa: SIM115 - handed to the child
    process = subprocess.Popen(
        command, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
    )
    log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CrossheatError(
                f"the emulator exited with status {process.returncode};"
                f" see {settings.run_dir / 'emulator.log'}"
            )
        for entry in status(settings):
            if (
                entry["pid"] == process.pid
                and entry["pid"] not in before
                and _answers(entry["url"])
            ):
                return entry
        time.sleep(0.05)
    process.terminate()
    raise CrossheatError(f"the emulator did not answer within {timeout:.0f} s")


def stop(
    settings: Settings, port: int | None = None, timeout: float = 10.0
) -> list[dict[str, Any]]:
    """Stop the running emulators (only the one on ``port`` when given); those stopped."""
    stopped = []
    for entry in status(settings):
        if port is not None and entry["port"] != port:
            continue
        os.kill(int(entry["pid"]), signal.SIGTERM)
        stopped.append(entry)
    deadline = time.monotonic() + timeout
    while any(_alive(int(e["pid"])) for e in stopped) and time.monotonic() < deadline:
        time.sleep(0.05)
    for entry in stopped:
        Path(settings.run_dir / f"{entry['port']}.json").unlink(missing_ok=True)
    return stopped
