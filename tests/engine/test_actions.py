"""One resource's create and delete (``engine.actions``) on ``Test::Box``: a lost answer,
a crash at a kill point and the resume after it, polling until done."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from crossheat.engine.actions import Runtime, create_resource, delete_resource
from crossheat.resources.lifecycle import KILL_VARIABLE
from crossheat.store import ResourceRecord, StackSpec, Store
from tests.engine.boxes import BOX, Box, BoxCloud, template


class Killed(BaseException):
    """Stands in for the SIGKILL a kill point sends."""


@pytest.fixture
def rt(store: Store) -> Iterator[Runtime]:
    stack = store.create_stack("s", "default", StackSpec(template=template({})))
    with ThreadPoolExecutor(2) as pool:
        yield Runtime(store, None, None, pool, stack.id, stack.name)


def _record(rt: Runtime, name: str = "a") -> ResourceRecord:
    return rt.store.upsert_resource(rt.stack_id, name, BOX, region="East")


def _create(rt: Runtime, record: ResourceRecord, **props: object) -> str | None:
    ctx = asyncio.run(create_resource(rt, record, Box, Box.with_defaults(props)))
    return ctx.physical_id


@pytest.fixture
def kill_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    def kill(pid: int, signal: int) -> None:
        raise Killed(pid, signal)

    monkeypatch.setattr(os, "kill", kill)
    yield monkeypatch


def test_a_lost_create_answer_looks_up_by_tags_before_creating_again(
    rt: Runtime, cloud: BoxCloud
) -> None:
    cloud.lose_answer = {"a"}
    physical_id = _create(rt, _record(rt))
    assert cloud.calls[:2] == [("create", "a"), ("find", "a")]
    assert ("create", "a") not in cloud.calls[1:]  # found: not made twice
    assert list(cloud.boxes) == [physical_id]
    stored = rt.store.list_resources(rt.stack_id)[0]
    assert (stored.resource_status, stored.physical_id) == ("CREATE_COMPLETE", physical_id)


def test_a_crash_after_the_call_resumes_by_finding_what_it_made(
    rt: Runtime, cloud: BoxCloud, kill_at: pytest.MonkeyPatch
) -> None:
    kill_at.setenv(KILL_VARIABLE, "create:a:after-call")
    with pytest.raises(Killed):
        _create(rt, _record(rt))
    [made] = cloud.named("a")
    crashed = rt.store.list_resources(rt.stack_id)[0]
    assert crashed.physical_id is None and (crashed.intent or {}).get("operation") == "create"
    kill_at.delenv(KILL_VARIABLE)
    cloud.calls.clear()
    assert _create(rt, crashed) == made
    assert cloud.calls == [("find", "a"), ("check_create", "a")]  # found: only waited for
    assert cloud.named("a") == [made]


def test_a_crash_before_the_call_resumes_by_creating(
    rt: Runtime, cloud: BoxCloud, kill_at: pytest.MonkeyPatch
) -> None:
    kill_at.setenv(KILL_VARIABLE, "create:a:before-call")
    with pytest.raises(Killed):
        _create(rt, _record(rt))
    assert cloud.boxes == {}
    kill_at.delenv(KILL_VARIABLE)
    crashed = rt.store.list_resources(rt.stack_id)[0]
    physical_id = _create(rt, crashed)
    assert cloud.calls == [("find", "a"), ("create", "a")]  # intent recorded: look first
    assert list(cloud.boxes) == [physical_id]


def test_create_polls_until_done_then_records_attributes(rt: Runtime, cloud: BoxCloud) -> None:
    physical_id = _create(rt, _record(rt), polls=3, size=2)
    assert cloud.calls.count(("check_create", "a")) == 4  # three Pending, then Done
    stored = rt.store.list_resources(rt.stack_id)[0]
    assert stored.resource_status == "CREATE_COMPLETE" and stored.physical_id == physical_id
    assert stored.attributes == {"label": "red-2"}
    assert stored.intent is None and stored.progress is None  # cleared when done


def test_delete_of_a_resource_never_made_calls_nothing(rt: Runtime, cloud: BoxCloud) -> None:
    record = _record(rt)
    asyncio.run(delete_resource(rt, record, Box))
    assert cloud.calls == []
    physical_id = _create(rt, record)
    made = rt.store.list_resources(rt.stack_id)[0]
    asyncio.run(delete_resource(rt, made, Box))
    assert cloud.calls[-1] == ("delete", "a") and physical_id not in cloud.boxes
    assert rt.store.get_resource(made.id).resource_status == "DELETE_COMPLETE"
