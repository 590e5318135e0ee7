"""Stack locks: one operation at a time per stack, across processes and machines.

    engine_id = new_engine_id()                      # "host:pid:random"
    store.acquire_lock(stack.id, Action.UPDATE, engine_id)   # or StackLocked
    store.heartbeat_lock(stack.id, engine_id)        # every few seconds while working
    store.cancel_requested(stack.id, engine_id)      # every second: `stack cancel` asked?
    store.release_lock(stack.id, engine_id)

    # After a crash: the holder's process is gone (same host), or it has not
    # sent a heartbeat for ``stale_after`` (by the database's clock):
    previous = store.take_over_lock(stack.id, new_engine_id())
    previous.operation                               # what to resume

Every change is one conditional ``UPDATE ... WHERE <lock is as expected>``
whose returned row says whether it won, so two engines sharing the database
can never both hold a stack. Lock times are the database's clock
(``db_now()``), never a host's; ``LockInfo.read_at`` is that clock when the
lock was read, so staleness compares two times of one clock. While it works,
the holder's writes are fenced (``StoreCore.fence``): once another engine
takes the stack over, the old holder's writes are refused.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import timedelta

from sqlalchemy import Update, select, update
from sqlalchemy.orm import Session

from crossheat.errors import ConfigError, StackLocked, StackNotFound, StoreError
from crossheat.store._core import StoreCore
from crossheat.store._deliveries import notice_row
from crossheat.store.models import StackRow, db_now, utcnow
from crossheat.store.records import Action, LockInfo

log = logging.getLogger(__name__)

DEFAULT_STALE_AFTER = timedelta(seconds=90)
#: Seconds between two heartbeats of a running operation's lock, unless
#: ``CROSSHEAT_LOCK_HEARTBEAT`` says (tests make it short, so that a silent holder is
#: judged dead sooner on the job queue, ``QueueSettings.lock_stale_after``).
HEARTBEAT_SECONDS = 10.0
HEARTBEAT_VARIABLE = "CROSSHEAT_LOCK_HEARTBEAT"
#: How the lock holder of an operation waiting in the job queue is named (``queued_marker``).
QUEUED_PREFIX = "queued:"


def heartbeat_seconds() -> float:
    """Seconds between two heartbeats of an operation's lock: ``CROSSHEAT_LOCK_HEARTBEAT``,
    else ``HEARTBEAT_SECONDS``."""
    given = os.environ.get(HEARTBEAT_VARIABLE)
    if not given:
        return HEARTBEAT_SECONDS
    try:
        value = float(given)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ConfigError(
            f"{HEARTBEAT_VARIABLE} must be a number of seconds above 0, not {given!r}"
        )
    return value


def new_engine_id() -> str:
    """``host:pid:random``: unique per running engine."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def queued_marker() -> str:
    """``queued:random``: holds the lock of an operation waiting in the job queue
    (``crossheat.service.queue``) until a worker takes it over. It sends no heartbeat and
    is never judged dead here: its job is alive while it waits, and the queue's sweep
    takes the stack back if the job is gone."""
    return f"{QUEUED_PREFIX}{secrets.token_hex(8)}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holder_is_dead(lock: LockInfo, stale_after: timedelta = DEFAULT_STALE_AFTER) -> bool:
    """True when the holder ran on this host and its pid is gone, or its last heartbeat
    is older than ``stale_after`` at ``lock.read_at`` (both by the database's clock).
    Never for a queued operation's marker (``queued_marker``)."""
    if lock.engine_id is None or lock.engine_id.startswith(QUEUED_PREFIX):
        return False
    parts = lock.engine_id.rsplit(":", 2)
    same_host = len(parts) == 3 and parts[0] == socket.gethostname() and parts[1].isdigit()
    if same_host and not _pid_alive(int(parts[1])):
        return True
    last = lock.heartbeat_at or lock.acquired_at
    now = lock.read_at or utcnow()
    return last is None or now - last > stale_after


def _describe(stack_id: str, lock: LockInfo) -> str:
    since = f"{lock.acquired_at:%Y-%m-%d %H:%M:%S} UTC" if lock.acquired_at else "an unknown time"
    if (lock.engine_id or "").startswith(QUEUED_PREFIX):
        return (
            f"stack {stack_id} is locked by a {lock.operation} operation queued since {since}"
            f" ({lock.engine_id}), which a worker runs (`crossheat worker`)"
        )
    beat = f"{lock.heartbeat_at:%H:%M:%S} UTC" if lock.heartbeat_at else "none"
    return (
        f"stack {stack_id} is locked by a {lock.operation} operation of engine "
        f"{lock.engine_id} since {since} (last heartbeat {beat})"
    )


class LockQueries(StoreCore):
    def get_lock(self, stack_id: str) -> LockInfo:
        """Who holds the live stack now; ``StackNotFound`` if it is missing or deleted."""
        with self._session() as session:
            row = session.get(StackRow, stack_id)
            if row is None or row.deleted_at is not None:
                raise StackNotFound(f"stack {stack_id!r} not found")
            return LockInfo(
                row.lock_operation, row.lock_engine_id, row.lock_acquired_at,
                row.lock_heartbeat_at, row.lock_cancel_requested_at,
                read_at=session.scalar(select(db_now())),
            )  # fmt: skip

    def acquire_lock(self, stack_id: str, operation: Action, engine_id: str) -> None:
        """Take the free lock of a live stack, or raise ``StackLocked`` saying who holds it
        (``StackNotFound`` if the stack is missing or deleted)."""
        won = self._swap(
            update(StackRow)
            .where(StackRow.lock_engine_id.is_(None), StackRow.deleted_at.is_(None))
            .values(
                lock_operation=operation.value,
                lock_engine_id=engine_id,
                lock_acquired_at=db_now(),
                lock_heartbeat_at=db_now(),
            ),
            stack_id,
        )
        if not won:
            raise StackLocked(_describe(stack_id, self.get_lock(stack_id)))

    def heartbeat_lock(self, stack_id: str, engine_id: str) -> None:
        """Say the holder is alive; ``StackLocked`` if ``engine_id`` lost the lock."""
        won = self._swap(
            update(StackRow)
            .where(StackRow.lock_engine_id == engine_id)
            .values(lock_heartbeat_at=db_now()),
            stack_id,
        )
        if not won:
            lock = self.get_lock(stack_id)
            now_held = _describe(stack_id, lock) if lock.held else "it is free"
            raise StackLocked(f"engine {engine_id} lost the lock of stack {stack_id}: {now_held}")

    def release_lock(self, stack_id: str, engine_id: str) -> None:
        """Free the lock if ``engine_id`` holds it; otherwise do nothing. While the store
        has ``released_hooks``, the same transaction writes a notice of it
        (``_deliveries.notice_row``: the webhooks learn from it how the operation ended,
        even if this process dies now) and the hooks are told its id."""
        free = (
            update(StackRow)
            .where(StackRow.lock_engine_id == engine_id)
            .values(
                lock_operation=None,
                lock_engine_id=None,
                lock_acquired_at=None,
                lock_heartbeat_at=None,
                lock_cancel_requested_at=None,
            )
        )
        with self._turn(), self._session() as session:
            held = self._held(session, stack_id) if self.released_hooks else None
            freed = _swapped(session, free, stack_id)  # with or without a notice to write
            if not freed or held is None or held.engine_id != engine_id:
                return
            row = notice_row(stack_id, held)
            session.add(row)
            session.flush()
            notice = row.id
        for hook in self.released_hooks:
            try:
                hook(notice)
            except Exception:  # a hook never fails the operation that ends
                log.exception("after releasing stack %s", stack_id)

    @staticmethod
    def _held(session: Session, stack_id: str) -> LockInfo | None:
        """The stack's lock, deleted or not (a delete ends with the stack deleted)."""
        query = select(
            StackRow.lock_operation, StackRow.lock_engine_id, StackRow.lock_acquired_at
        ).where(StackRow.id == stack_id)
        row = session.execute(query).first()
        return None if row is None else LockInfo(row[0], row[1], row[2], None)

    def request_cancel(self, stack_id: str, engine_id: str) -> bool:
        """Ask ``engine_id``'s operation to stop (it reads ``cancel_requested``); False if
        that engine no longer holds the lock. The request outlives a hand-over or a
        take-over: a resumed operation honours it too."""
        return self._swap(
            update(StackRow)
            .where(StackRow.lock_engine_id == engine_id)
            .values(lock_cancel_requested_at=db_now()),
            stack_id,
        )

    def cancel_requested(self, stack_id: str, engine_id: str) -> bool:
        """Whether a cancel was asked of the operation ``engine_id`` runs (one cheap read)."""
        query = select(StackRow.lock_cancel_requested_at).where(
            StackRow.id == stack_id, StackRow.lock_engine_id == engine_id
        )
        with self._session() as session:
            return session.scalar(query) is not None

    def hand_over_lock(self, stack_id: str, from_engine: str, to_engine: str) -> None:
        """Pass a held lock to another engine (a command handing its operation to a worker
        process); ``StackLocked`` if ``from_engine`` does not hold it."""
        won = self._swap(
            update(StackRow)
            .where(StackRow.lock_engine_id == from_engine)
            .values(lock_engine_id=to_engine, lock_heartbeat_at=db_now()),
            stack_id,
        )
        if not won:
            raise StackLocked(f"engine {from_engine} does not hold the lock of stack {stack_id}")

    def take_over_lock(
        self,
        stack_id: str,
        engine_id: str,
        *,
        stale_after: timedelta = DEFAULT_STALE_AFTER,
    ) -> LockInfo:
        """Take the lock of a dead holder and return what it held (to resume its operation).

        ``StackLocked`` if the holder looks alive or another engine took over
        first; ``StoreError`` if the stack is not locked at all.
        """
        lock = self.get_lock(stack_id)
        if not lock.held:
            raise StoreError(f"stack {stack_id} is not locked; acquire the lock instead")
        if not holder_is_dead(lock, stale_after):
            queued = (lock.engine_id or "").startswith(QUEUED_PREFIX)
            alive = "" if queued else "; the holder is alive"
            raise StackLocked(_describe(stack_id, lock) + alive)
        won = self._swap(
            update(StackRow)
            .where(StackRow.lock_engine_id == lock.engine_id)
            .values(
                lock_engine_id=engine_id, lock_acquired_at=db_now(), lock_heartbeat_at=db_now()
            ),
            stack_id,
        )
        if not won:
            raise StackLocked(_describe(stack_id, self.get_lock(stack_id)))
        return lock

    def _swap(self, statement: Update, stack_id: str) -> bool:
        """Run the conditional update on one stack; True if a row changed."""
        with self._session() as session:
            return _swapped(session, statement, stack_id)


def _swapped(session: Session, statement: Update, stack_id: str) -> bool:
    """Run the conditional update on one stack in ``session``; True if a row changed."""
    changed = session.scalar(
        statement.where(StackRow.id == stack_id)
        .returning(StackRow.id)
        .execution_options(synchronize_session=False)
    )
    return changed is not None
