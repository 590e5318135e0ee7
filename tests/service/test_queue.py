"""The job queue in the database (PostgreSQL): what queueing writes, what a job does with
it, what the sweep takes back, a pause, a cancel; the jobs are run here, in this process,
as a worker runs them (``tests/e2e/test_workers.py`` runs real workers)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from crossheat.errors import ConfigError, StackLocked
from crossheat.service import Inputs, QueueExecutor, Service, Status
from crossheat.service._worker import Runner
from crossheat.service.queue import QueueSettings, list_workers, no_worker_notice
from tests.pg import empty, private_schema

pytestmark = pytest.mark.postgres

TEMPLATE = """
heat_template_version: 2021-04-16
parameters:
  wait: {type: number, default: 0}
resources:
  first:
    type: OS::Heat::TestResource
    properties: {value: one, wait_secs: {get_param: wait}}
  second:
    type: OS::Heat::TestResource
    properties: {value: {get_attr: [first, output]}, wait_secs: {get_param: wait}}
"""


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    yield from private_schema("queue")


@pytest.fixture
def service(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    region_map = tmp_path / "regions.yaml"
    region_map.write_text("regions:\n  East: {cloud: nowhere}\ndefault_region: East\n")
    monkeypatch.setenv("CROSSHEAT_REGION_MAP", str(region_map))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    with Service(database_url=pg_url) as svc:
        svc.store()
        empty(pg_url)
        svc.executor = QueueExecutor(svc.store, QueueSettings())
        yield svc


def _queue_create(service: Service, name: str, wait: float = 0) -> str:
    inputs = Inputs(TEMPLATE, "t.yaml", parameters={"wait": str(wait)})
    started = service.create(name, inputs)
    service.submit(started)
    return started.stack.id


def _jobs(service: Service, statement: str, stack_id: str | None = None) -> None:
    with service.store().engine.begin() as conn:
        conn.execute(text(statement), {"stack": stack_id})


def _run_job(runner: Runner, stack_id: str) -> str:
    """Take the stack's queued job and run it here, as a worker would."""
    lock = runner.service.store().get_lock(stack_id)
    assert lock.engine_id is not None and lock.engine_id.startswith("queued:")
    _jobs(runner.service, FETCH, stack_id)
    done = asyncio.run(runner.run_operation(stack_id, lock.operation or "", lock.engine_id))
    _jobs(runner.service, FINISH, stack_id)
    return done


FETCH = "UPDATE procrastinate_jobs SET status = 'doing' WHERE lock = :stack AND status = 'todo'"
FINISH = (
    "UPDATE procrastinate_jobs SET status = 'succeeded' WHERE lock = :stack AND status = 'doing'"
)


def test_a_queued_operation_is_a_job_and_its_stack_is_held_by_the_queue(service: Service) -> None:
    stack_id = _queue_create(service, "queued")
    stack = service.get("queued")
    assert stack.stack_status == "CREATE_IN_PROGRESS"
    assert (stack.lock.engine_id or "").startswith("queued:")
    assert service.show("queued")["operation_in_progress"]["engine_alive"]  # not "gone"
    assert service.store().job_of(stack_id) is not None
    notice = no_worker_notice(service.store())
    assert notice is not None and notice.startswith("1 operation is queued and no worker")
    assert "crossheat worker" in notice
    with pytest.raises(StackLocked, match=r"queued since .*which a worker runs"):
        service.resume("queued")  # `stack resume` leaves it to the queue


def test_a_job_takes_the_stack_from_the_queue_and_runs_the_operation(service: Service) -> None:
    stack_id = _queue_create(service, "run")
    marker = service.get("run").lock.engine_id or ""
    runner = Runner(service, QueueSettings())
    assert _run_job(runner, stack_id) == "stack run: CREATE_COMPLETE"
    stack = service.get("run")
    assert stack.stack_status == "CREATE_COMPLETE" and not stack.lock.held
    # The same job run twice (retried after its worker was thought dead) does nothing.
    again = asyncio.run(runner.run_operation(stack_id, "CREATE", marker))
    assert "nothing to run" in again


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    return int(done.stdout)


def test_the_sweep_queues_again_the_stacks_of_a_dead_engine_only(service: Service) -> None:
    dead = _queue_create(service, "dead")
    alive = _queue_create(service, "alive")
    store = service.store()
    # Two engines took their stacks from the queue (their jobs ended): one has died since.
    for stack_id, pid in ((dead, _dead_pid()), (alive, None)):
        marker = store.get_lock(stack_id).engine_id or ""
        engine = (
            f"{socket.gethostname()}:{pid}:0000" if pid else service.take_over(stack_id, marker)
        )
        if pid:
            store.hand_over_lock(stack_id, marker, engine)
    _jobs(service, "DELETE FROM procrastinate_jobs")
    runner = Runner(service, QueueSettings(stall_timeout=5))
    assert runner.sweep() == [dead]
    assert runner.sweep() == []  # queued once
    assert (store.get_lock(dead).engine_id or "").startswith("queued:")
    assert _run_job(runner, dead) == "stack dead: CREATE_COMPLETE"  # a resume


def test_a_paused_operation_goes_back_to_the_queue_and_is_finished_later(
    service: Service,
) -> None:
    stack_id = _queue_create(service, "paused", wait=1.0)
    runner = Runner(service, QueueSettings())

    _jobs(service, FETCH, stack_id)

    def first_started() -> bool:
        statuses = {r.name: r.resource_status for r in service.resources("paused")}
        return statuses.get("first") == "CREATE_IN_PROGRESS"

    async def pause_soon() -> str:
        job = asyncio.ensure_future(
            runner.run_operation(stack_id, "CREATE", service.get("paused").lock.engine_id or "")
        )
        # Paused once first is being created (second waits for it), however slow the
        # machine is to get there.
        deadline = time.monotonic() + 30
        while not first_started() and not job.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        runner.pause.set()
        return await job

    assert asyncio.run(pause_soon()) == f"stack {stack_id}: CREATE paused, queued again"
    _jobs(service, FINISH, stack_id)
    stack = service.get("paused")
    assert stack.status is Status.IN_PROGRESS
    assert (stack.lock.engine_id or "").startswith("queued:")  # queued again, as a job
    statuses = {r.name: r.resource_status for r in service.resources("paused")}
    assert statuses["first"] == "CREATE_COMPLETE"  # what ran finished; nothing new started
    assert statuses["second"] != "CREATE_COMPLETE"
    runner.pause.clear()
    assert _run_job(runner, stack_id) == "stack paused: CREATE_COMPLETE"


def _job_statuses(service: Service, stack_id: str) -> list[str]:
    with service.store().engine.connect() as conn:
        query = text("SELECT status FROM procrastinate_jobs WHERE lock = :stack ORDER BY id")
        return [str(s) for s in conn.execute(query, {"stack": stack_id}).scalars()]


def _stack_events(service: Service, name: str) -> list[str]:
    return [f"{e.action}_{e.status}" for e in service.events(name) if e.resource_name == name]


def test_a_cancel_takes_a_queued_update_out_of_the_queue(service: Service) -> None:
    stack_id = _queue_create(service, "upd")
    runner = Runner(service, QueueSettings())
    _run_job(runner, stack_id)
    before = {r.name: r.updated_at for r in service.resources("upd")}
    prepared = service.prepare_update("upd", None, existing=True, parameters={"wait": "1"})
    service.submit(service.update(prepared))
    marker = service.get("upd").lock.engine_id or ""
    assert "out of the queue" in service.cancel("upd")  # while it waits in the queue
    stack = service.get("upd")
    assert stack.stack_status == "ROLLBACK_COMPLETE", stack.status_reason
    assert not stack.lock.held
    assert stack.spec.parameters["wait"] == "0"  # the template it had
    assert _job_statuses(service, stack_id) == ["succeeded", "cancelled"]  # procrastinate's
    assert _stack_events(service, "upd")[-4:] == [
        "UPDATE_IN_PROGRESS", "UPDATE_FAILED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE",
    ]  # fmt: skip
    assert {r.name: r.updated_at for r in service.resources("upd")} == before  # untouched
    assert runner.sweep() == []  # nothing left to resume
    # A worker that had fetched the job anyway finds nothing to run.
    assert "nothing to run" in asyncio.run(runner.run_operation(stack_id, "UPDATE", marker))
    assert service.get("upd").stack_status == "ROLLBACK_COMPLETE"


def test_a_cancel_reaches_a_queued_update_a_worker_has_taken_which_rolls_back(
    service: Service,
) -> None:
    stack_id = _queue_create(service, "taken")
    runner = Runner(service, QueueSettings())
    _run_job(runner, stack_id)
    prepared = service.prepare_update("taken", None, existing=True, parameters={"wait": "1"})
    service.submit(service.update(prepared))
    _jobs(service, FETCH, stack_id)  # a worker has the job, not the stack yet
    assert "asked" in service.cancel("taken")
    marker = service.get("taken").lock.engine_id or ""
    asyncio.run(runner.run_operation(stack_id, "UPDATE", marker))
    stack = service.get("taken")
    assert stack.stack_status == "ROLLBACK_COMPLETE", stack.status_reason
    assert stack.spec.parameters["wait"] == "0"


def test_a_cancel_without_rollback_takes_a_queued_create_out_of_the_queue(
    service: Service,
) -> None:
    started = service.create("never", Inputs(TEMPLATE, "t.yaml"), disable_rollback=True)
    service.submit(started)
    heat = service.heat()
    heat.cancel(service.get("never"), rollback=False)
    stack = service.get("never")
    assert stack.stack_status == "CREATE_FAILED"
    assert "cancelled while queued" in stack.status_reason
    assert not stack.lock.held
    assert _job_statuses(service, started.stack.id) == ["cancelled"]
    assert _stack_events(service, "never") == ["CREATE_IN_PROGRESS", "CREATE_FAILED"]
    assert [r.resource_status for r in service.resources("never")] in ([], ["INIT_COMPLETE"] * 2)
    assert Runner(service, QueueSettings()).sweep() == []


def test_an_operation_waiting_in_the_queue_is_never_taken_for_a_dead_engines(
    service: Service,
) -> None:
    # Every worker is busy (at full concurrency none fetches it): it waits, for an hour.
    stack_id = _queue_create(service, "patient")
    marker = service.get("patient").lock.engine_id
    an_hour_ago = "now() - interval '1 hour'"
    _jobs(
        service,
        f"UPDATE stacks SET lock_heartbeat_at = {an_hour_ago}, lock_acquired_at = {an_hour_ago},"
        f" updated_at = {an_hour_ago} WHERE id = :stack",
        stack_id,
    )
    assert Runner(service, QueueSettings(stall_timeout=5)).sweep() == []
    assert service.get("patient").lock.engine_id == marker  # still its job's
    assert _job_statuses(service, stack_id) == ["todo"]


def test_no_worker_is_listed_until_one_runs(service: Service) -> None:
    assert list_workers(service) == []


def test_an_interrupted_operation_frees_its_stack_and_is_queued_again_a_moment_later(
    service: Service,
) -> None:
    stack_id = _queue_create(service, "cut", wait=5)
    runner = Runner(service, QueueSettings())
    _jobs(service, FETCH, stack_id)

    async def interrupt() -> None:
        marker = service.get("cut").lock.engine_id or ""
        job = asyncio.ensure_future(runner.run_operation(stack_id, "CREATE", marker))
        await asyncio.sleep(0.3)
        job.cancel()  # the stop grace is over: the worker interrupts what still runs
        await asyncio.gather(job, return_exceptions=True)

    asyncio.run(interrupt())
    _jobs(service, "UPDATE procrastinate_jobs SET status = 'aborted' WHERE status = 'doing'")
    stack = service.get("cut")
    assert stack.status is Status.IN_PROGRESS
    assert (stack.lock.engine_id or "").startswith("queued:")
    with service.store().engine.connect() as conn:
        later = conn.execute(
            text("SELECT scheduled_at > now() FROM procrastinate_jobs WHERE status = 'todo'")
        ).scalar_one()
    assert later  # calls in flight land before another worker looks


def test_a_command_waiting_on_a_queued_operation_follows_it_until_a_worker_ends_it(
    service: Service,
) -> None:
    started = service.create("followed", Inputs(TEMPLATE, "t.yaml"))
    ended: list[str] = []
    follower = threading.Thread(target=lambda: ended.append(service.run_here(started).stack_status))
    follower.start()
    deadline = time.monotonic() + 30
    while not (service.get("followed").lock.engine_id or "").startswith("queued:"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    _run_job(Runner(service, QueueSettings()), started.stack.id)
    follower.join(30)
    assert ended == ["CREATE_COMPLETE"]


def test_how_often_an_idle_worker_looks_for_jobs_is_set_by_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CROSSHEAT_QUEUE_POLL", raising=False)
    assert QueueSettings.from_environment().fetch_every == 2.0
    monkeypatch.setenv("CROSSHEAT_QUEUE_POLL", "0.5")
    assert QueueSettings.from_environment().fetch_every == 0.5
    monkeypatch.setenv("CROSSHEAT_QUEUE_POLL", "soon")
    with pytest.raises(ConfigError, match="CROSSHEAT_QUEUE_POLL must be a number of seconds"):
        QueueSettings.from_environment()
