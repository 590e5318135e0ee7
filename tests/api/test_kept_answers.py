"""The stack list and show, kept between requests (``crossheat.api.cache``), are never
older than the database: every change, made through this API or by another process,
shows in the next answer; an answer that depends on the time too is never kept."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from crossheat.api.app import create_app
from crossheat.api.cache import AnswerCache
from crossheat.service import Service
from crossheat.store import Action
from tests.api.conftest import StaticAuthenticator
from tests.api.heatstacks import create, region_map, show, stacks, url, wait
from tests.pg import empty, private_schema

__all__ = ["region_map"]


def _listed(client: TestClient, query: str = "") -> dict[str, dict[str, Any]]:
    answer = client.get(f"{stacks()}{query}")
    assert answer.status_code == 200, answer.text
    return {s["stack_name"]: s for s in answer.json()["stacks"]}


@contextmanager
def _statements(service: Service) -> Iterator[list[str]]:
    """The SQL statements the service's database runs meanwhile."""
    seen: list[str] = []
    engine = service.store().engine

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _sql_elsewhere(service: Service, statement: str, *values: str) -> None:
    """Another process commits ``statement`` with the bare SQLite driver."""
    code = (
        "import sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1])\n"
        "db.execute(sys.argv[2], sys.argv[3:])\n"
        "db.commit()\n"
    )
    path = service.database_url.removeprefix("sqlite:///")
    subprocess.run([sys.executable, "-c", code, path, statement, *values], check=True, timeout=60)


def test_an_unchanged_list_or_show_is_answered_without_the_database(
    client: TestClient, api_service: Service
) -> None:
    stack_id = create(client, "kept")
    first_list, first_show = client.get(stacks()), client.get(url("kept", stack_id))
    with _statements(api_service) as seen:
        again_list, again_show = client.get(stacks()), client.get(url("kept", stack_id))
    assert seen == []
    assert again_list.content == first_list.content
    assert again_show.content == first_show.content
    # Another query, another answer.
    assert client.get(f"{stacks()}?name=other").json() == {"stacks": []}


def test_changes_made_through_the_api_show_in_the_next_answer(client: TestClient) -> None:
    first = create(client, "first")
    assert list(_listed(client)) == ["first"]
    assert show(client, "first", first)["tags"] == []

    second = create(client, "second")
    assert list(_listed(client)) == ["second", "first"]

    answer = client.patch(url("first", first), json={"tags": "blue"})
    assert answer.status_code == 202, answer.text
    wait(client, first)
    assert show(client, "first", first)["tags"] == ["blue"]
    assert _listed(client)["first"]["tags"] == ["blue"]
    assert _listed(client)["first"]["stack_status"] == "UPDATE_COMPLETE"

    assert client.delete(url("second", second)).status_code == 204
    wait(client, second)
    assert list(_listed(client)) == ["first"]
    assert show(client, "second", second)["stack_status"] == "DELETE_COMPLETE"


def test_changes_made_by_another_process_show_in_the_next_answer(
    client: TestClient, api_service: Service
) -> None:
    stack_id = create(client, "shared")
    assert _listed(client)["shared"]["stack_status_reason"] == "Stack CREATE completed successfully"
    assert show(client, "shared", stack_id)["stack_status"] == "CREATE_COMPLETE"

    _sql_elsewhere(
        api_service,
        "UPDATE stacks SET action = 'CHECK', status_reason = 'checked elsewhere' WHERE id = ?",
        stack_id,
    )
    assert _listed(client)["shared"]["stack_status"] == "CHECK_COMPLETE"
    shown = show(client, "shared", stack_id)
    assert (shown["stack_status"], shown["stack_status_reason"]) == (
        "CHECK_COMPLETE",
        "checked elsewhere",
    )

    _sql_elsewhere(api_service, "UPDATE stacks SET deleted_at = updated_at WHERE id = ?", stack_id)
    assert _listed(client) == {}
    assert client.get(url("shared", stack_id)).json()["stack"]["deletion_time"] is not None


def test_a_stack_an_operation_holds_is_shown_afresh_every_time(
    client: TestClient, api_service: Service
) -> None:
    """Whether the engine holding a stack is alive is a matter of time, not of the data:
    its engine's process ends, nothing is written, and the next answer says so."""
    stack_id = create(client, "held")
    engine = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        engine_id = f"{socket.gethostname()}:{engine.pid}:test"
        api_service.store().acquire_lock(stack_id, Action.UPDATE, engine_id)
        alive = show(client, "held", stack_id)["operation_in_progress"]
        assert alive["engine_alive"] is True
        assert "is gone" not in _listed(client)["held"]["stack_status_reason"]
    finally:
        engine.send_signal(signal.SIGKILL)
        engine.wait()
    assert show(client, "held", stack_id)["operation_in_progress"]["engine_alive"] is False
    assert "is gone" in _listed(client)["held"]["stack_status_reason"]


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    yield from private_schema("kept")


def test_changes_by_another_process_show_on_postgresql(pg_url: str) -> None:
    """PostgreSQL's mark (counters bumped by triggers) sees another process's bare SQL."""
    empty(pg_url)
    service = Service(database_url=pg_url)
    app = create_app(service, auth=StaticAuthenticator(), max_operations=4)
    try:
        with TestClient(app, base_url="http://127.0.0.1:8004") as client:
            client.headers["X-Auth-Token"] = "tok-alpha"
            stack_id = create(client, "shared")
            assert show(client, "shared", stack_id)["stack_status"] == "CREATE_COMPLETE"
            assert list(_listed(client)) == ["shared"]
            code = (
                "import psycopg, sys\n"
                "with psycopg.connect(sys.argv[1]) as db:\n"
                "    db.execute(\"UPDATE stacks SET action = 'CHECK' WHERE id = %s\",\n"
                "               (sys.argv[2],))\n"
            )
            target = pg_url.replace("postgresql+psycopg://", "postgresql://")
            subprocess.run([sys.executable, "-c", code, target, stack_id], check=True, timeout=60)
            assert show(client, "shared", stack_id)["stack_status"] == "CHECK_COMPLETE"
            assert _listed(client)["shared"]["stack_status"] == "CHECK_COMPLETE"
    finally:
        service.close()


class _SlowMarks:
    """A database whose mark takes a while to read (a server's round trip): each read
    gives its number, and how many requests had asked when it began."""

    change_mark_is_quick = False

    def __init__(self) -> None:
        self.asked = 0
        self.reads: list[int] = []

    def change_mark(self) -> str:
        self.reads.append(self.asked)
        time.sleep(0.2)
        return str(len(self.reads))


def test_requests_share_a_read_of_the_mark_that_began_after_they_asked() -> None:
    marks = _SlowMarks()
    cache = AnswerCache()

    async def request() -> str | None:
        marks.asked += 1
        return await cache.mark(marks)  # type: ignore[arg-type]

    async def scenario() -> list[str | None]:
        first = asyncio.create_task(request())
        await asyncio.sleep(0.05)  # the first read is under way
        later = [asyncio.create_task(request()) for _ in range(3)]
        return await asyncio.gather(first, *later)

    # The three later requests get the second read, which began after they asked.
    assert asyncio.run(scenario()) == ["1", "2", "2", "2"]
    assert marks.reads == [1, 4]
