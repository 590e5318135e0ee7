"""Scheduled checks on the job queue (PostgreSQL): the workers' periodic task, and at
most one check per stack however many workers run the tick; the jobs are run here, as a
worker runs them (``tests/service/test_queue.py``)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from crossheat.service import Inputs, QueueExecutor, Service
from crossheat.service._worker import Runner, make_app
from crossheat.service.queue import QueueSettings
from crossheat.service.schedule import (
    CHECK_TASK,
    JOB_RETENTION_HOURS,
    PRUNE_CRON,
    PRUNE_TASK,
    QUEUE_TICK_CRON,
    QUEUE_TICK_S,
    CheckSchedule,
)
from crossheat.store import Action
from crossheat.store.jobs import TASK
from tests.pg import empty, private_schema
from tests.service.test_queue import TEMPLATE, _run_job

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    yield from private_schema("schedule")


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


def _created(service: Service, runner: Runner, name: str) -> str:
    started = service.create(name, Inputs(TEMPLATE, "t.yaml"))
    service.submit(started)
    assert _run_job(runner, started.stack.id) == f"stack {name}: CREATE_COMPLETE"
    return started.stack.id


def _check_jobs(service: Service, stack_id: str) -> int:
    query = text(
        "SELECT count(*) FROM procrastinate_jobs"
        " WHERE lock = :stack AND task_name = :task AND args->>'action' = 'CHECK'"
    )
    with service.store().engine.connect() as conn:
        return int(conn.execute(query, {"stack": stack_id, "task": TASK}).scalar_one())


def _tick_of(service: Service, schedule: CheckSchedule, stack_id: str) -> int:
    """A tick of the periodic task at which the stack's turn comes."""
    summary = next(s for s in service.store().list_stack_summaries() if s.id == stack_id)
    now = int(time.time())
    return next(t for t in range(now, now + 60) if schedule.due(summary, t - QUEUE_TICK_S, t))


def test_a_worker_with_a_check_interval_has_the_periodic_task(service: Service) -> None:
    runner = Runner(service, QueueSettings())
    app = make_app(runner, service.database_url, CheckSchedule(5))
    periodic = app.periodic_registry.periodic_tasks
    assert set(periodic) == {(CHECK_TASK, "checks"), (PRUNE_TASK, "prune")}
    assert periodic[(CHECK_TASK, "checks")].cron == QUEUE_TICK_CRON
    assert periodic[(CHECK_TASK, "checks")].task.queue == "operations"
    assert periodic[(PRUNE_TASK, "prune")].cron == PRUNE_CRON == "17 * * * *"  # hourly
    assert periodic[(PRUNE_TASK, "prune")].task.queue == "operations"
    # Without checks the workers still prune: every operation leaves a finished job.
    unscheduled = make_app(runner, service.database_url).periodic_registry.periodic_tasks
    assert list(unscheduled) == [(PRUNE_TASK, "prune")]
    assert unscheduled[(PRUNE_TASK, "prune")].task.queue == "operations"


@pytest.mark.parametrize(
    "start", ["2026-12-07T16:59:35", "2026-12-07T16:58:59", "2026-12-31T23:59:59"]
)
def test_the_check_ticks_come_every_few_seconds_in_every_minute(
    service: Service, start: str
) -> None:
    """Whichever minute it is (an odd one too: ``*/2`` in the first field would mean every
    second of every other minute), the next ticks are ``QUEUE_TICK_S`` apart."""
    runner = Runner(service, QueueSettings())
    app = make_app(runner, service.database_url, CheckSchedule(5))
    cron = app.periodic_registry.periodic_tasks[(CHECK_TASK, "checks")].croniter
    at = datetime.fromisoformat(start).replace(tzinfo=UTC).timestamp()
    ticks = [cron.get_next(ret_type=float, start_time=at)]
    for _ in range(40):  # across the minute's end
        ticks.append(cron.get_next(ret_type=float, start_time=ticks[-1]))
    assert 0 < ticks[0] - at <= QUEUE_TICK_S
    assert {b - a for a, b in itertools.pairwise(ticks)} == {QUEUE_TICK_S}


def test_one_check_per_stack_however_many_workers_run_the_tick(service: Service) -> None:
    runner = Runner(service, QueueSettings())
    stack_id = _created(service, runner, "web")
    schedule = CheckSchedule(5)
    tick = make_app(runner, service.database_url, schedule).tasks[CHECK_TASK].func
    when = _tick_of(service, schedule, stack_id)

    async def two_workers() -> list[str]:
        return list(await asyncio.gather(tick(timestamp=when), tick(timestamp=when)))

    assert sorted(asyncio.run(two_workers())) == [
        "0 scheduled checks started",
        "1 scheduled checks started",
    ]
    assert _check_jobs(service, stack_id) == 1
    stack = service.get("web")
    assert stack.stack_status == "CHECK_IN_PROGRESS"
    assert (stack.lock.engine_id or "").startswith("queued:")  # a job of the queue holds it
    # Its check still waits: the next tick finds the stack busy and starts nothing.
    later = when + 5
    assert asyncio.run(tick(timestamp=later)) == "0 scheduled checks started"
    assert _run_job(runner, stack_id) == "stack web: CHECK_COMPLETE"
    assert service.get("web").status_reason == "Stack CHECK completed successfully"

    # A stack another operation holds waits for its next turn.
    store = service.store()
    store.acquire_lock(stack_id, Action.UPDATE, "elsewhere:1:0001")
    assert asyncio.run(tick(timestamp=later + 5)) == "0 scheduled checks started"
    store.release_lock(stack_id, "elsewhere:1:0001")
    assert asyncio.run(tick(timestamp=later + 10)) == "1 scheduled checks started"
    assert _check_jobs(service, stack_id) == 2


def _job(
    service: Service, name: str, statuses: list[str], hours_ago: float, queue: str = "operations"
) -> None:
    """A job of ``queue`` that went through ``statuses``, its last change ``hours_ago``."""
    with service.store().engine.begin() as conn:
        job_id = conn.execute(
            text(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status)"
                " VALUES (:queue, :name, '{}', 'todo') RETURNING id"
            ),
            {"name": name, "queue": queue},
        ).scalar_one()
        for status in statuses:
            conn.execute(
                text(
                    "UPDATE procrastinate_jobs SET status = CAST(:status AS"
                    " procrastinate_job_status) WHERE id = :id"
                ),
                {"status": status, "id": job_id},
            )
        conn.execute(
            text(
                "UPDATE procrastinate_events SET at = now() - make_interval(secs => :secs)"
                " WHERE job_id = :id"
            ),
            {"secs": hours_ago * 3600, "id": job_id},
        )


def test_the_periodic_pruning_removes_the_jobs_finished_a_day_ago(service: Service) -> None:
    day = JOB_RETENTION_HOURS
    assert day == 24
    _job(service, "old-tick", ["doing", "succeeded"], day + 1)
    _job(service, "old-failure", ["doing", "failed"], day + 1)
    _job(service, "recent-tick", ["doing", "succeeded"], day - 1)
    _job(service, "old-but-waiting", [], day + 1, queue="elsewhere")  # no worker takes it
    app = make_app(Runner(service, QueueSettings()), service.database_url)  # no checks

    async def one_pruning() -> None:
        async with app.open_async():
            await app.tasks[PRUNE_TASK].defer_async(timestamp=int(time.time()))
            await app.run_worker_async(
                queues=["operations"], wait=False, install_signal_handlers=False
            )

    asyncio.run(one_pruning())
    with service.store().engine.connect() as conn:
        left = conn.execute(  # (the worker may also have run a tick of the checks)
            text(
                "SELECT task_name, status FROM procrastinate_jobs"
                " WHERE task_name != :check ORDER BY task_name"
            ),
            {"check": CHECK_TASK},
        ).all()
    # Itself, just finished; run at minute 17 of an hour, the worker also defers the
    # hourly pruning (``PRUNE_CRON``), which finds nothing more to remove.
    prunes = [tuple(row) for row in left if row[0] == PRUNE_TASK]
    assert prunes and set(prunes) == {(PRUNE_TASK, "succeeded")}
    assert [tuple(row) for row in left if row[0] != PRUNE_TASK] == [
        ("old-but-waiting", "todo"),
        ("recent-tick", "succeeded"),
    ]
