"""Whoever watches a stack's events (``event list --follow``'s cursor, ``Service.events``
with a marker, Heat's API polled as heatclient's ``--wait`` does) gets every event once,
in order, also one whose transaction commits after a later event's was written."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from crossheat.service import Service
from crossheat.store import Action, StackSpec, Status
from crossheat.store._events import insert_event
from crossheat.store.models import EventRow, utcnow
from tests.pg import private_schema

#: Reads the events not read before; the reasons of those it returns.
Watcher = Callable[[], list[str]]


@pytest.fixture(params=["sqlite", "postgresql"])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'watch.db'}"
    else:
        schemas = private_schema("watch")
        url = next(schemas)
        request.addfinalizer(lambda: next(schemas, None))
    opened = Service(database_url=url, project="p1")
    yield opened
    opened.close()


def _watchers(service: Service, stack_id: str) -> dict[str, Watcher]:
    stack = service.get_by_id(stack_id)
    cursor = service.event_cursor(stack)
    marks: dict[str, str | None] = {"events": None, "api": None}

    def follow() -> list[str]:
        return [e.reason for e in cursor.read()]

    def by_marker() -> list[str]:
        marker = marks["events"]
        found = service.events(stack, None if marker is None else int(marker))
        if found:
            marks["events"] = str(found[-1].id)
        return [e.reason for e in found]

    def like_heatclient() -> list[str]:
        found = service.stack_resources(stack).events(sort_dir="asc", marker=marks["api"])
        if found:
            marks["api"] = found[-1]["id"]
        return [e["resource_status_reason"] for e in found]

    return {"--follow": follow, "events(marker)": by_marker, "API marker": like_heatclient}


def test_an_event_that_commits_late_reaches_every_watcher_once_in_order(
    service: Service,
) -> None:
    store = service.store()
    stack_id = store.create_stack("vpn", "p1", StackSpec(template={})).id
    store.add_event(stack_id, "vpn", Action.CREATE, Status.IN_PROGRESS, "started")
    watchers = _watchers(service, stack_id)
    seen = {name: watch() for name, watch in watchers.items()}
    with Session(store.engine) as slow:  # written first (lower id, earlier time), commits last
        insert_event(
            slow,
            EventRow(
                stack_id=stack_id, resource_name="net", resource_type="OS::Neutron::Net",
                action="CREATE", status="COMPLETE", reason="slow", timestamp=utcnow(),
            ),
        )  # fmt: skip
        quick = threading.Thread(
            target=store.add_event,
            args=(stack_id, "subnet", Action.CREATE, Status.COMPLETE, "quick"),
        )
        quick.start()
        quick.join(timeout=1.0)
        for name, watch in watchers.items():
            seen[name] += watch()
        slow.commit()
    quick.join(timeout=30)
    for name, watch in watchers.items():
        seen[name] += watch()
    assert seen == {name: ["started", "slow", "quick"] for name in watchers}
