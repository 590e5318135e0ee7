"""What benchmarks and tests start on this machine: a free loopback port, a ``crossheat
serve`` process until its healthcheck answers, a PostgreSQL schema of its own.

Tests use these too (``tests/pg.py``, ``tests/e2e/serving.py``); benchmarks never import
tests, so the shared pieces live here.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import httpx
import psycopg
from sqlalchemy import create_engine, text

#: The local PostgreSQL (trust auth), as SQLAlchemy and as psycopg name it.
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_CONNINFO = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(process: subprocess.Popen[str], url: str, timeout: float = 60) -> None:
    """Return once ``url/healthcheck`` answers 200. RuntimeError when ``process`` exits
    first (with what it wrote to a pipe) or nothing answers within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pipe = process.stderr or process.stdout
            said = f": {pipe.read()}" if pipe else ""
            raise RuntimeError(f"crossheat serve exited {process.returncode}{said}")
        try:
            if httpx.get(f"{url}/healthcheck", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"crossheat serve did not answer within {timeout} s")


@contextmanager
def serving(env: Mapping[str, str]) -> Iterator[tuple[str, int]]:
    """``crossheat serve --auth none`` on a free port, in environment ``env``; its base URL
    and process id. Its output goes to a file (a pipe nobody reads fills up with its
    workers' logs, and then the server hangs), shown when it does not start."""
    port = free_port()
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "crossheat", "serve", "--auth", "none", "--port", str(port)],
            env=dict(env), stdout=log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            try:
                wait_healthy(process, url)
            except RuntimeError as exc:
                log.seek(0)
                raise RuntimeError(f"{exc}\n{log.read()[-4000:]}") from None
            yield url, process.pid
        finally:
            process.terminate()
            process.wait(timeout=30)


def pg_unreachable() -> str | None:
    """Why the local PostgreSQL does not answer; None when it does."""
    try:
        psycopg.connect(PG_CONNINFO).close()
    except psycopg.OperationalError as exc:
        return str(exc)
    return None


@contextmanager
def pg_schema(label: str) -> Iterator[str]:
    """A URL whose connections use a fresh ``crossheat_<label>_<random>`` schema of the
    local PostgreSQL (through ``search_path``), dropped on exit."""
    schema = f"crossheat_{label}_{secrets.token_hex(6)}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
