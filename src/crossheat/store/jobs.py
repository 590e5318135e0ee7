"""The job queue's side of the store (PostgreSQL only): procrastinate's jobs and workers.

    job = QueuedJob("crossheat.run_operation", lock=stack_id, args={...})
    store.queue_operation(stack_id, engine_id, queued_marker(), job)   # one transaction
    store.requeue(stack_id, dead_engine_id, queued_marker(), job)      # the sweep's take-back
    store.stacks_without_job(task)       # stacks held or IN_PROGRESS that no job will run
    store.retry_stalled_jobs(task, 60)   # jobs of workers without a heartbeat for 60 s
    store.cancel_queued(stack_id, marker, task, states, restore_previous=True)  # `stack cancel`
    store.list_workers()                 # who runs (``crossheat worker list``)

Jobs are written with procrastinate's own SQL function (``procrastinate_defer_jobs_v1``)
inside crossheat's transaction, so that handing a stack's lock to the queue and queueing
its job happen together or not at all. Heartbeats and times are the database's clock.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crossheat.errors import StackLocked
from crossheat.store._core import StoreCore
from crossheat.store._events import insert_event
from crossheat.store._stacks import _assign
from crossheat.store.models import EventRow, StackRow, WorkerRow, db_now, utcnow
from crossheat.store.records import STACK_EVENT_TYPE, Action, LockInfo, Status

#: The procrastinate task that runs one operation of a stack.
TASK = "crossheat.run_operation"


@dataclass(frozen=True)
class QueuedJob:
    """A procrastinate job to queue: its task, lock (one job of a lock runs at a time),
    queueing lock (one job of it waits at a time) and arguments; ``delay``: seconds
    before a worker may take it."""

    task: str
    lock: str | None
    args: dict[str, Any]
    queue: str = "default"
    queueing_lock: str | None = None
    priority: int = 0
    delay: float = 0.0


@dataclass(frozen=True)
class Candidate:
    """A stack no queued or running job will finish: held or left IN_PROGRESS."""

    stack_id: str
    action: str
    status: str
    lock: LockInfo
    #: When the stack last changed, by the database's clock (for a grace period).
    updated_at: datetime | None
    #: Jobs of the stack that failed since its last one that succeeded.
    failures: int


@dataclass(frozen=True)
class WorkerInfo:
    """A running ``crossheat worker``, as ``crossheat worker list`` shows it."""

    id: int
    host: str
    pid: int
    concurrency: int
    queues: str
    started_at: datetime
    heartbeat_at: datetime | None
    running: int
    read_at: datetime = field(compare=False)


#: How long taking a stack back waits for its row (``requeue``); the sweep tries again.
REQUEUE_LOCK_WAIT = "5s"

_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW("
    " :queue, :task, :priority, :lock, :queueing_lock, CAST(:args AS jsonb),"
    " CASE WHEN CAST(:delay AS float) > 0"
    " THEN now() + make_interval(secs => CAST(:delay AS float)) END"
    ")]::procrastinate_job_to_defer_v1[]))"
)

_WITHOUT_JOB = text("""
SELECT s.id, s.action, s.status, s.lock_operation, s.lock_engine_id, s.lock_acquired_at,
       s.lock_heartbeat_at, s.lock_cancel_requested_at, COALESCE(s.updated_at, s.created_at),
       now(),
       (SELECT count(*) FROM procrastinate_jobs f
         WHERE f.lock = s.id AND f.task_name = :task AND f.status = 'failed'
           AND f.id > COALESCE((SELECT max(k.id) FROM procrastinate_jobs k
                                 WHERE k.lock = s.id AND k.status = 'succeeded'), 0))
  FROM stacks s
 WHERE s.deleted_at IS NULL
   AND (s.lock_engine_id IS NOT NULL OR s.status = 'IN_PROGRESS')
   AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j
                    WHERE j.lock = s.id AND j.status IN ('todo', 'doing'))
""")

#: The job that would start the operation ``marker`` holds the stack for: queued, not
#: taken by a worker yet, and not a resume (one queued again after it had begun).
_NOT_STARTED = text("""
SELECT id FROM procrastinate_jobs
 WHERE lock = :stack AND task_name = :task AND status = 'todo'
   AND args->>'operation_id' = :marker AND NOT COALESCE((args->>'resume')::boolean, false)
 ORDER BY id LIMIT 1
""")

_STALLED = text("""
SELECT j.id FROM procrastinate_jobs j
  LEFT JOIN procrastinate_workers w ON w.id = j.worker_id
 WHERE j.status = 'doing' AND j.task_name = :task
   AND (w.id IS NULL OR w.last_heartbeat < now() - make_interval(secs => :seconds))
 ORDER BY j.id
   FOR UPDATE OF j SKIP LOCKED
""")


class JobQueries(StoreCore):
    # ---- queueing operations -------------------------------------------------------------

    def queue_operation(self, stack_id: str, holder: str, marker: str, job: QueuedJob) -> int:
        """Hand the lock ``holder`` has to ``marker`` and queue ``job``, in one transaction;
        the job's id. ``StackLocked`` if ``holder`` does not hold the stack, or one of its
        operations is queued already."""
        with self._session() as session:
            won = session.execute(
                text(
                    "UPDATE stacks SET lock_engine_id = :marker, lock_heartbeat_at = now()"
                    " WHERE id = :id AND lock_engine_id = :holder RETURNING id"
                ),
                {"marker": marker, "id": stack_id, "holder": holder},
            ).first()
            if won is None:
                raise StackLocked(f"engine {holder} does not hold the lock of stack {stack_id}")
            return self._defer(session, job)

    def requeue(
        self, stack_id: str, holder: str | None, marker: str, operation: str, job: QueuedJob
    ) -> int | None:
        """Take the stack from ``holder`` (a dead engine, a marker whose job is gone; None:
        the stack is free and IN_PROGRESS) for ``marker`` and queue ``job``, in one
        transaction; the job's id, or None if the stack is no longer as expected. The
        holder's operation and any cancel request are kept. ``StoreError`` if the stack's
        row stays locked for ``REQUEUE_LOCK_WAIT`` (its holder is mid-write, or frozen
        mid-transaction until the server ends its session)."""
        with self._session() as session:
            session.execute(text(f"SET LOCAL lock_timeout = '{REQUEUE_LOCK_WAIT}'"))
            won = session.execute(
                text(
                    "UPDATE stacks SET lock_engine_id = :marker,"
                    " lock_operation = COALESCE(lock_operation, :operation),"
                    " lock_acquired_at = now(), lock_heartbeat_at = now()"
                    " WHERE id = :id AND deleted_at IS NULL"
                    " AND lock_engine_id IS NOT DISTINCT FROM :holder"
                    " AND (lock_engine_id IS NOT NULL OR status = 'IN_PROGRESS')"
                    " RETURNING id"
                ),
                {"marker": marker, "operation": operation, "id": stack_id, "holder": holder},
            ).first()
            if won is None:
                return None
            return self._defer(session, job)

    def _defer(self, session: Session, job: QueuedJob) -> int:
        values = {
            "queue": job.queue, "task": job.task, "priority": job.priority, "lock": job.lock,
            "queueing_lock": job.queueing_lock, "args": json.dumps(job.args), "delay": job.delay,
        }  # fmt: skip
        try:
            with session.begin_nested():
                job_id = session.execute(_DEFER, values).scalar_one()
        except IntegrityError as exc:
            raise StackLocked(f"a job of {job.queueing_lock} is queued already") from exc
        return int(job_id)

    def cancel_queued(
        self,
        stack_id: str,
        marker: str,
        task: str,
        states: Sequence[tuple[Action, Status, str]],
        *,
        restore_previous: bool,
    ) -> bool:
        """Remove the operation ``marker`` holds the stack for from the queue, if no worker
        has taken its job yet and it never began (procrastinate's own cancel: the job ends
        ``cancelled``), in one transaction: the stack goes through ``states`` (an event
        each; the last stays), its previous template comes back (``restore_previous``)
        and its lock is freed. False, and nothing changed, when the job is gone, taken by a
        worker or a resume."""
        with self._session() as session:
            row = session.scalar(
                select(StackRow)
                .where(StackRow.id == stack_id, StackRow.deleted_at.is_(None))
                .with_for_update()  # a worker taking the job over waits for this
            )
            if row is None or row.lock_engine_id != marker:
                return False
            values = {"stack": stack_id, "task": task, "marker": marker}
            job_id = session.execute(_NOT_STARTED, values).scalar()
            cancel = text("SELECT procrastinate_cancel_job_v1(:id, false, false)")
            if job_id is None or session.execute(cancel, {"id": job_id}).scalar() is None:
                return False
            if restore_previous and row.previous is not None:
                _assign(row, row.previous)
                row.previous = None
            for action, status, reason in states:
                row.action, row.status, row.status_reason = action.value, status.value, reason
                row.updated_at = utcnow()
                insert_event(
                    session,
                    EventRow(
                        stack_id=row.id, resource_name=row.name,
                        resource_type=STACK_EVENT_TYPE, physical_id=row.id, region=None,
                        action=row.action, status=row.status, reason=reason,
                        timestamp=row.updated_at,
                    ),
                )  # fmt: skip
            row.lock_operation = row.lock_engine_id = None
            row.lock_acquired_at = row.lock_heartbeat_at = row.lock_cancel_requested_at = None
        return True

    # ---- the sweep ---------------------------------------------------------------------

    def stacks_without_job(self, task: str) -> list[Candidate]:
        """Live stacks that are locked or IN_PROGRESS with no job of theirs queued or
        running: an engine died (its lock is stale), a marker lost its job, or an
        operation was stopped and freed its lock."""
        with self._session() as session:
            rows = session.execute(_WITHOUT_JOB, {"task": task}).all()
        return [
            Candidate(
                stack_id=row[0],
                action=row[1],
                status=row[2],
                lock=LockInfo(row[3], row[4], row[5], row[6], row[7], read_at=row[9]),
                updated_at=row[8],
                failures=int(row[10]),
            )
            for row in rows
        ]

    def retry_stalled_jobs(self, task: str, seconds: float) -> list[int]:
        """Put back in the queue the running jobs of ``task`` whose worker has sent no
        heartbeat for ``seconds`` (or is gone); their ids."""
        with self._session() as session:
            ids = [int(i) for i in session.scalars(_STALLED, {"task": task, "seconds": seconds})]
            for job_id in ids:
                session.execute(
                    text("SELECT procrastinate_retry_job_v2(:id, now(), NULL, NULL, NULL)"),
                    {"id": job_id},
                )
        return ids

    def prune_workers(self, seconds: float) -> list[int]:
        """Forget the workers without a heartbeat for ``seconds`` (their running jobs keep
        no worker); the ids forgotten."""
        with self._session() as session:
            gone = [
                int(i)
                for i in session.execute(
                    text("SELECT * FROM procrastinate_prune_stalled_workers_v1(:seconds)"),
                    {"seconds": seconds},
                ).scalars()
            ]
            session.execute(
                text("DELETE FROM workers WHERE id NOT IN (SELECT id FROM procrastinate_workers)")
            )
        return gone

    # ---- workers -----------------------------------------------------------------------

    def register_worker(
        self, worker_id: int, host: str, pid: int, concurrency: int, queues: str
    ) -> None:
        with self._session() as session:
            session.add(
                WorkerRow(
                    id=worker_id,
                    host=host,
                    pid=pid,
                    concurrency=concurrency,
                    queues=queues,
                    started_at=session.scalar(select(db_now())),
                )
            )

    def unregister_worker(self, worker_id: int) -> None:
        with self._session() as session:
            session.execute(delete(WorkerRow).where(WorkerRow.id == worker_id))

    def list_workers(self, task: str) -> list[WorkerInfo]:
        """Every worker that said it runs, with procrastinate's heartbeat and the jobs of
        ``task`` it runs now."""
        query = text("""
            SELECT w.id, w.host, w.pid, w.concurrency, w.queues, w.started_at,
                   p.last_heartbeat, now(),
                   (SELECT count(*) FROM procrastinate_jobs j
                     WHERE j.worker_id = w.id AND j.status = 'doing' AND j.task_name = :task)
              FROM workers w LEFT JOIN procrastinate_workers p ON p.id = w.id
             ORDER BY w.started_at, w.id
        """)
        with self._session() as session:
            rows = session.execute(query, {"task": task}).all()
        return [
            WorkerInfo(
                id=int(r[0]),
                host=r[1],
                pid=int(r[2]),
                concurrency=int(r[3]),
                queues=r[4],
                started_at=r[5],
                heartbeat_at=r[6],
                read_at=r[7],
                running=int(r[8]),
            )
            for r in rows
        ]

    def live_workers(self, seconds: float) -> int:
        """Workers that sent a heartbeat in the last ``seconds`` (by the database's clock)."""
        query = text(
            "SELECT count(*) FROM procrastinate_workers"
            " WHERE last_heartbeat > now() - make_interval(secs => :seconds)"
        )
        with self._session() as session:
            return int(session.execute(query, {"seconds": seconds}).scalar_one())

    def queued_jobs(self, task: str) -> int:
        """Jobs of ``task`` waiting for a worker."""
        query = text(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = :task AND status = 'todo'"
        )
        with self._session() as session:
            return int(session.execute(query, {"task": task}).scalar_one())

    def job_of(self, stack_id: str) -> tuple[int, str] | None:
        """The stack's job queued or running now, and its status."""
        query = text(
            "SELECT id, status FROM procrastinate_jobs"
            " WHERE lock = :id AND status IN ('todo', 'doing') ORDER BY id LIMIT 1"
        )
        with self._session() as session:
            row = session.execute(query, {"id": stack_id}).first()
        return None if row is None else (int(row[0]), str(row[1]))
