"""What every part of the repository shares: sessions, the secret box, secret scrubbing.

Each public method runs one short transaction (``with self._session() as s``);
database errors leave as ``StoreError``.

Fencing: while an operation runs, its engine registers a fence for the stack
(``store.fence(stack_id, engine_id, on_lost)``). Every write to that stack's
rows then starts by checking, in the same transaction and under a lock the
take-over must wait for, that ``engine_id`` still holds the stack; if it does
not, nothing is written, ``on_lost`` is called once and ``LockLost`` raised. Before
every cloud call (creates, updates, deletes, tags, router interfaces...), the engine
checks its fence too (``check_fence``): an engine frozen between recording its intent
and the call finds, when it wakes up, that another has taken the stack over (and made,
changed or deleted the resource), and sends nothing. A check costs no database read
while the fence's last confirmation (a check's read or a fenced write) is fresh.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from crossheat.errors import LockLost, StoreError
from crossheat.redact import forget_in_logs, scrub, secret_leaf_paths
from crossheat.store._changes import ChangeWatch
from crossheat.store.models import ResourceRow, StackRow
from crossheat.store.secrets import SecretBox

#: A fence read that took longer than this is made again, and a confirmation younger
#: than this is taken as it is (``check_fence``). A take-over needs the holder's lock
#: silent for three heartbeats (``store.locks.heartbeat_seconds``): a live holder's
#: confirmation this young still holds; a process frozen since finds it old on waking.
FRESH_FENCE_SECONDS = 2.0


@dataclass
class Fence:
    """The engine that must hold a stack for this process to write it."""

    engine_id: str
    on_lost: Callable[[], object] | None = None
    lost: str | None = None
    #: When (``time.monotonic``) a read that found ``engine_id`` holding the stack began.
    confirmed: float | None = None

    def fresh(self) -> bool:
        """Whether the last confirmation is recent enough to be taken as it is."""
        age = time.monotonic() - self.confirmed if self.confirmed is not None else None
        return age is not None and 0 <= age < FRESH_FENCE_SECONDS


class StoreCore:
    """Sessions, the secret box and, per stack, the secret texts to scrub from reasons."""

    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._box = box
        self._secret_texts: dict[str, set[str]] = {}
        self._extra_secrets: dict[str, set[str]] = {}
        self._secret_guard = threading.Lock()
        self._fences: dict[str, Fence] = {}
        #: Called with the id of the notice written (``_deliveries.notice_row``) each time
        #: an engine of this process frees a stack it held (an operation has ended or
        #: paused); notices are written only while there is a hook. A hook must be quick
        #: and never raise (``crossheat.service._notify`` hands the notice to the outbox).
        self.released_hooks: list[Callable[[int], None]] = []
        self._changes = ChangeWatch(engine)
        self._closed = False
        #: SQLite's writers of this process take turns here: one waiting for the
        #: database's write lock would sleep in SQLite's busy handler (1, 2, 5, 10... ms
        #: each time it finds the lock taken) where this lets it in as soon as it is free.
        self._turns: threading.RLock | None = (
            threading.RLock() if engine.dialect.name == "sqlite" else None
        )

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Close every pooled connection."""
        self._closed = True
        self._changes.close()
        self.engine.dispose()

    def change_mark(self) -> str | None:
        """A mark that stays the same only while nothing was committed to the database (on
        PostgreSQL: to its stacks or resources), by any process (None: not known). Read it
        before the data it vouches for (``_changes``)."""
        return self._changes.mark()

    @property
    def change_mark_is_quick(self) -> bool:
        """Whether ``change_mark`` reads a local file (SQLite), not a database server."""
        return self._changes.quick

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"state database error: {exc}") from exc

    def fence(
        self, stack_id: str, engine_id: str, on_lost: Callable[[], object] | None = None
    ) -> None:
        """From now on, write ``stack_id``'s rows only while ``engine_id`` holds its lock."""
        self._fences[stack_id] = Fence(engine_id, on_lost)

    def fence_lost(self, stack_id: str, reason: str) -> None:
        """Refuse every further write of the fenced stack (its holder cannot prove it is
        alive: a failed heartbeat)."""
        fence = self._fences.get(stack_id)
        if fence is not None and fence.lost is None:
            fence.lost = f"{reason}; the operation stops and writes nothing more"

    def unfence(self, stack_id: str) -> str | None:
        """Stop fencing ``stack_id``; why the fence was lost, if it was."""
        fence = self._fences.pop(stack_id, None)
        return None if fence is None else fence.lost

    def check_fence(self, stack_id: str) -> None:
        """Before a cloud call: ``LockLost`` (and the fence's ``on_lost`` called) if the
        stack is fenced and its engine no longer holds it. No read while the last
        confirmation is fresh (``FRESH_FENCE_SECONDS``); otherwise one read now, made
        again if its answer came late (the process may have been frozen meanwhile, and
        the answer be stale by the time it goes on)."""
        fence = self._fences.get(stack_id)
        if fence is None:
            return
        while fence.lost is None:
            if fence.fresh():
                return
            began = time.monotonic()
            with self._session() as session:
                holder = session.scalar(
                    select(StackRow.lock_engine_id).where(StackRow.id == stack_id)
                )
            if holder != fence.engine_id:
                self._lose(fence, stack_id, holder)
            elif time.monotonic() - began < FRESH_FENCE_SECONDS:
                fence.confirmed = began
        raise LockLost(fence.lost)

    def _lose(self, fence: Fence, stack_id: str, holder: str | None) -> None:
        fence.lost = (
            f"engine {fence.engine_id} no longer holds the lock of stack {stack_id} "
            f"({'it is free' if holder is None else f'engine {holder} holds it'}); "
            "it stops and writes nothing more"
        )
        if fence.on_lost is not None:
            fence.on_lost()

    @contextmanager
    def _write(
        self, stack_id: str | None = None, *, resource_id: str | None = None
    ) -> Iterator[Session]:
        """A write transaction on one stack's rows, fenced if the stack is (see above)."""
        with self._turn(), self._session() as session:
            if self._fences:
                if stack_id is None and resource_id is not None:
                    stack_id = session.scalar(
                        select(ResourceRow.stack_id).where(ResourceRow.id == resource_id)
                    )
                if stack_id is not None and stack_id in self._fences:
                    self._check_fence(session, stack_id, self._fences[stack_id])
                    # The operation the stack's events are written by (their log lines).
                    session.info["operation"] = self._fences[stack_id].engine_id
            yield session

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """This process's turn to write (SQLite: one writer at a time, see ``_turns``)."""
        if self._turns is None:
            yield
            return
        with self._turns:
            yield

    def _check_fence(self, session: Session, stack_id: str, fence: Fence) -> None:
        """Refuse the write unless ``fence.engine_id`` holds the stack. The check locks the
        stack row until the transaction ends, so a take-over waits for this write."""
        if fence.lost is None:
            began = time.monotonic()
            if session.get_bind().dialect.name == "postgresql":
                holder = session.scalar(
                    select(StackRow.lock_engine_id)
                    .where(StackRow.id == stack_id)
                    .with_for_update(read=True)
                )
            else:  # SQLite: a no-op write first takes the database's write lock
                holder = session.scalar(
                    update(StackRow)
                    .where(StackRow.id == stack_id)
                    .values(lock_engine_id=StackRow.lock_engine_id)
                    .returning(StackRow.lock_engine_id)
                    .execution_options(synchronize_session=False)
                )
            if holder == fence.engine_id:
                fence.confirmed = began
                return
            self._lose(fence, stack_id, holder)
        raise LockLost(fence.lost)

    def remember_secrets(self, stack_id: str, texts: Iterable[str]) -> None:
        """Add texts that must never appear in this stack's events and reasons.

        Hidden parameters and secret properties and attributes written through
        the store are remembered without this call.
        """
        new = {text for text in texts if text}
        with self._secret_guard:
            self._extra_secrets.setdefault(stack_id, set()).update(new)
        forget_in_logs(new)

    def secret_texts(self, stack_id: str) -> set[str]:
        """Every secret text of the stack the store knows (see ``_secrets_of``)."""
        with self._session() as session:
            return self._secrets_of(session, stack_id)

    def seal(self, value: Any) -> str:
        """``value`` sealed with the store's key (``enc:v1:...``): only a store holding
        that key opens it (``open_sealed``)."""
        return self._box.seal(value)

    def open_sealed(self, sealed: str) -> Any:
        """What ``seal`` sealed; ``ConfigError`` when no key of this store's ring did."""
        return self._box.open(sealed)

    def _remember_sealed(self, stack_id: str, *documents: object) -> None:
        """Remember the plain texts of the sealed values in ``documents``."""
        texts = set().union(*(self._box.secret_texts(doc) for doc in documents))
        if texts:
            self.remember_secrets(stack_id, texts)

    def _scrub(self, session: Session, stack_id: str, text: str) -> str:
        """``text`` with every secret of the stack replaced by ``******``."""
        if not text:
            return text
        return scrub(text, self._secrets_of(session, stack_id))

    def _seal_secrets(
        self, session: Session, stack_id: str, document: dict[str, Any]
    ) -> dict[str, Any]:
        """``document`` (already a private copy) with every value that holds one of the
        stack's secret texts sealed: what a hidden parameter reached, wherever it went."""
        texts = self._secrets_of(session, stack_id)
        paths = list(secret_leaf_paths(document, texts))
        return self._box.seal_paths(document, paths) if paths else document

    def _secrets_of(self, session: Session, stack_id: str) -> set[str]:
        """The secrets in the database when first asked, and every one written since."""
        with self._secret_guard:
            loaded = self._secret_texts.get(stack_id)
        if loaded is None:
            loaded = self._load_secret_texts(session, stack_id)
            with self._secret_guard:
                self._secret_texts[stack_id] = loaded
            forget_in_logs(loaded)
        with self._secret_guard:
            return loaded | self._extra_secrets.get(stack_id, set())

    def _load_secret_texts(self, session: Session, stack_id: str) -> set[str]:
        texts: set[str] = set()
        stack = session.get(StackRow, stack_id)
        if stack is not None:
            for doc in (stack.parameters, stack.environment, stack.template, stack.previous):
                texts |= self._box.secret_texts(doc)
        rows = session.execute(
            select(ResourceRow.properties, ResourceRow.attributes).where(
                ResourceRow.stack_id == stack_id
            )
        )
        for properties, attributes in rows:
            texts |= self._box.secret_texts(properties) | self._box.secret_texts(attributes)
        return texts
