"""Whether the database may have changed: a mark that stays the same only while nothing
was committed (on PostgreSQL: to stacks or resources), by any process.

    mark = store.change_mark()    # read BEFORE the data an answer is made of
    ...                           # later: the same mark means the same data

A server keeps answers it made (``crossheat.api.cache``) and gives one again only
while the mark is the one read before its data was: any commit since, by this process
or another one (a ``crossheat worker``, a CLI command on the same database), changes
the mark. Read before the data, a mark can be older than the data, never newer: an
answer is at worst made again once too often, never kept past a change.

- SQLite: ``PRAGMA data_version`` on a connection kept for it, which never writes: its
  value changes whenever another connection (of any process) has committed.
- PostgreSQL: the sum of the ``changes`` counters, to which triggers on ``stacks`` and
  ``resources`` add in the same transaction as any change of them, whoever makes it
  (migration 0006). (The current snapshot would do too, but any write anywhere on the
  server, another database's too, changes it: a busy server would keep nothing.)
  The mark covers what the list and show are made of: stacks and resources.
- Anything else (an in-memory SQLite database, whose data no other connection sees):
  no mark (None), so nothing is kept.

Checks that queue for the kept connection share one round trip: a waiting caller takes
the mark of a check that began after it asked.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from typing import Any

from sqlalchemy import Engine


class ChangeWatch:
    """The change mark of one database (see the module's docstring)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        database = engine.url.database
        self._sqlite_file = (
            database if self._dialect == "sqlite" and database and database != ":memory:" else None
        )
        self._guard = threading.Lock()
        self._connection: Any = None
        #: The last mark read, and when (``time.monotonic_ns``) the read began.
        self._last: tuple[int, str | None] = (-1, None)

    @property
    def quick(self) -> bool:
        """Whether ``mark`` is a local read (SQLite's file), not a database server's answer."""
        return self._dialect != "postgresql"

    def mark(self) -> str | None:
        """The database's change mark now; None when it cannot be known."""
        if self._dialect != "postgresql" and self._sqlite_file is None:
            return None
        asked = time.monotonic_ns()
        with self._guard:
            began, mark = self._last
            if began >= asked:  # a check that began after this one was asked for
                return mark
            began = time.monotonic_ns()
            mark = self._read()
            self._last = (began, mark)
            return mark

    def close(self) -> None:
        with self._guard:
            self._drop()

    def _read(self) -> str | None:
        try:
            if self._connection is None:
                self._connection = self._connect()
            if self._sqlite_file is not None:
                row = self._connection.execute("PRAGMA data_version").fetchone()
                return f"sqlite:{row[0]}"
            with self._connection.cursor() as cursor:
                cursor.execute("SELECT sum(counter) FROM changes")
                row = cursor.fetchone()
            return f"pg:{row[0]}"
        except Exception:  # whatever went wrong: no mark, answers are made afresh
            self._drop()
            return None

    def _connect(self) -> Any:
        if self._sqlite_file is not None:
            # Autocommit: each PRAGMA is its own read, which sees every commit so far.
            # A short busy timeout: a mark not read at once is no mark (answers made afresh).
            return sqlite3.connect(
                self._sqlite_file, timeout=1, isolation_level=None, check_same_thread=False
            )
        # One of the engine's connections (its URL, its options), taken out of its pool.
        pooled = self._engine.raw_connection()
        connection: Any = pooled.driver_connection
        pooled.detach()
        connection.rollback()
        connection.autocommit = True
        return connection

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        self._last = (-1, None)
        if connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                connection.close()
