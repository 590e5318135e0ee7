"""The server's executor: operations run in the server process, a few at a time, and a
stack left in progress by a stopped server is finished by the next one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from crossheat.service import HostedExecutor, Inputs, Service, Status
from crossheat.store.locks import holder_is_dead

TEMPLATE = """
heat_template_version: 2021-04-16
resources:
  secret:
    type: OS::Heat::RandomString
    properties: {length: 12}
  nothing:
    type: OS::Heat::None
outputs:
  length:
    value: {get_attr: [secret, value]}
"""


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    region_map = tmp_path / "regions.yaml"
    region_map.write_text("regions:\n  East: {cloud: nowhere}\ndefault_region: East\n")
    monkeypatch.setenv("CROSSHEAT_REGION_MAP", str(region_map))
    with Service(database_url=f"sqlite:///{tmp_path / 'state.db'}") as svc:
        yield svc


def _create(service: Service, name: str, project: str = "alpha") -> str:
    scoped = service.scoped(project)
    started = scoped.create(name, Inputs(TEMPLATE, "t.yaml"))
    assert started.stack.status is Status.IN_PROGRESS
    scoped.submit(started)
    return started.stack.id


def test_operations_run_on_the_servers_loop_and_finish(service: Service) -> None:
    hosted = HostedExecutor(service, max_operations=2)
    service.executor = hosted
    hosted.start()
    try:
        ids = [_create(service, f"s{i}") for i in range(5)]
        for stack_id in ids:
            hosted.wait(stack_id, timeout=60)
        shown = [service.get_by_id(i) for i in ids]
        assert [(s.action.value, s.status.value) for s in shown] == [("CREATE", "COMPLETE")] * 5
        assert hosted.running == 0
    finally:
        hosted.stop()


def test_projects_do_not_see_each_others_stacks(service: Service) -> None:
    hosted = HostedExecutor(service)
    service.executor = hosted
    hosted.start()
    try:
        hosted.wait(_create(service, "same-name", "alpha"), timeout=60)
        hosted.wait(_create(service, "same-name", "beta"), timeout=60)  # names are per project
        alpha = service.scoped("alpha").list_stacks()
        assert [s["stack_name"] for s in alpha] == ["same-name"]
        assert {s["stack_name"] for s in service.scoped("ops", every_project=True).list_stacks()}
        assert len(service.scoped("ops", every_project=True).list_stacks()) == 2
    finally:
        hosted.stop()


def test_a_stack_left_in_progress_is_resumed_when_the_server_starts(service: Service) -> None:
    # A server recorded the create and stopped before running it (its lock freed):
    scoped = service.scoped("alpha")
    started = scoped.create("left", Inputs(TEMPLATE, "t.yaml"))
    service.store().release_lock(started.stack.id, started.engine_id)

    hosted = HostedExecutor(service)
    service.executor = hosted
    try:
        assert hosted.start() == [started.stack.id]
        hosted.wait(started.stack.id, timeout=60)
        stack = service.get_by_id(started.stack.id)
        assert (stack.action.value, stack.status.value) == ("CREATE", "COMPLETE")
        assert len(scoped.resources("left")) == 2
    finally:
        hosted.stop()


SLOW = """
heat_template_version: 2021-04-16
resources:
  slow:
    type: OS::Heat::TestResource
    properties: {value: one, wait_secs: 2}
"""


def test_an_operation_waiting_for_a_slot_keeps_its_stack_alive(service: Service) -> None:
    hosted = HostedExecutor(service, max_operations=1, renew_every=0.2)
    service.executor = hosted
    hosted.start()
    try:
        scoped = service.scoped("alpha")
        first = scoped.create("first", Inputs(SLOW, "t.yaml"))
        scoped.submit(first)
        waiting = scoped.create("waiting", Inputs(SLOW, "t.yaml"))
        scoped.submit(waiting)  # no slot: the first runs for 2 s
        time.sleep(1.5)
        lock = service.store().get_lock(waiting.stack.id)
        assert lock.engine_id == waiting.engine_id  # still waiting for its turn
        # Its holder is not silent, though it runs nothing yet: no sweep or other server
        # would take the stack as a dead engine's (here, silent for 1 s would be dead).
        assert not holder_is_dead(lock, timedelta(seconds=1)), lock
        hosted.wait(waiting.stack.id, timeout=60)
        assert service.get_by_id(waiting.stack.id).stack_status == "CREATE_COMPLETE"
    finally:
        hosted.stop()
