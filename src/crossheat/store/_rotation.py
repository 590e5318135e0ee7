"""Re-sealing every secret with the first key of the ring (``crossheat secrets rotate``).

    store.sealed_census()      # SealedCensus(first=120, old=37, unknown=0)
    store.rotate_secrets()     # Rotation(resealed=37, rows=12, passes=1, left=...)

Every JSON column of every table is searched for sealed values (``enc:v1:...``):
today the stacks' template, environment, parameters and previous spec, the
resources' properties, attributes and progress; a column that seals tomorrow is
covered without a change here.

What rotation guarantees while engines run:

- It changes ciphertexts only, never what they hold: a reader sees the same values
  before, during and after.
- Rows are re-sealed in batches, each batch one short transaction that rewrites a row
  only in the transaction that read and locked it, so no engine's write is lost.
  On PostgreSQL a batch locks its rows ``FOR NO KEY UPDATE SKIP LOCKED``: it never waits for
  an engine nor deadlocks with one; a row an engine holds is left for the next pass.
  On SQLite a batch holds the database's write lock for a few milliseconds.
- Passes repeat until no value needs an old key (an engine may meanwhile write a value
  it sealed with an old key, or copy one it read before the rotation: the next pass
  re-seals it), at most ``max_passes``; ``Rotation.left`` says what remains.
- On SQLite the file is then vacuumed and its write-ahead log truncated, so that no
  copy of an old ciphertext stays in free pages. PostgreSQL keeps dead row versions
  until vacuum reclaims them (``VACUUM FULL`` rewrites the tables).

It needs every engine to have the new ring, with the old keys (``LiveKeys`` reads a
changed key file within seconds): an engine without the new key cannot open what
rotation wrote, and says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Column, Row, Table, Text, cast, false, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from crossheat.errors import StoreError
from crossheat.store._core import StoreCore
from crossheat.store.models import Base, JSONValue
from crossheat.store.secrets import PREFIX, Sealer, is_sealed, sealed_strings

BATCH_SIZE = 100
MAX_PASSES = 5
#: Between passes: time for an engine that held a row to let it go.
PASS_PAUSE_S = 1.0


@dataclass(frozen=True)
class SealedCensus:
    """The sealed values in the database, by the key of the ring that sealed them."""

    first: int = 0
    old: int = 0
    unknown: int = 0


@dataclass(frozen=True)
class Rotation:
    """What ``rotate_secrets`` did, and what it left."""

    resealed: int
    rows: int
    passes: int
    left: SealedCensus


@dataclass(frozen=True)
class _Sealing:
    """A table that may hold sealed values: its one-column key and its JSON columns."""

    table: Table
    key: Column[Any]
    columns: tuple[Column[Any], ...]


def _sealing_tables() -> list[_Sealing]:
    found = []
    for table in Base.metadata.sorted_tables:
        columns = tuple(c for c in table.columns if isinstance(c.type, JSON | JSONValue))
        keys = list(table.primary_key.columns)
        if columns and len(keys) == 1:
            found.append(_Sealing(table, keys[0], columns))
    return found


#: What a walk does with each batch of rows, in the batch's transaction.
Visit = Callable[[Session, _Sealing, Sequence[Row[Any]]], None]


class RotationQueries(StoreCore):
    def sealed_census(self, *, batch_size: int = BATCH_SIZE) -> SealedCensus:
        """Count the sealed values by the key that sealed them (read only, no lock)."""
        counts = {sealer: 0 for sealer in Sealer}

        def count(session: Session, sealing: _Sealing, rows: Sequence[Row[Any]]) -> None:
            for sealed in _sealed_in(sealing, rows):
                counts[self._box.sealer(sealed)] += 1

        self._walk(count, batch_size, lock=False)
        return SealedCensus(counts[Sealer.FIRST], counts[Sealer.OLD], counts[Sealer.UNKNOWN])

    def rotate_secrets(
        self,
        *,
        batch_size: int = BATCH_SIZE,
        max_passes: int = MAX_PASSES,
        pause: float = PASS_PAUSE_S,
    ) -> Rotation:
        """Re-seal every value an old key sealed with the first key (see the module for
        what is guaranteed while engines run). A value no key of the ring opens stops it
        with the ConfigError ``SecretBox.open`` gives, before anything is written."""
        left = self.sealed_census(batch_size=batch_size)
        if left.unknown:
            self._raise_unknown(batch_size)
        resealed = rows = passes = 0
        while left.old and passes < max_passes:
            if passes:
                time.sleep(pause)
            done = self._rotation_pass(batch_size)
            resealed, rows, passes = resealed + done[0], rows + done[1], passes + 1
            left = self.sealed_census(batch_size=batch_size)
        if self.engine.dialect.name == "sqlite":
            self._compact_sqlite()
        return Rotation(resealed, rows, passes, left)

    def _rotation_pass(self, batch_size: int) -> tuple[int, int]:
        """One walk over every table; the values and the rows re-sealed."""
        done = [0, 0]

        def reseal(session: Session, sealing: _Sealing, rows: Sequence[Row[Any]]) -> None:
            for row in rows:
                changes: dict[str, Any] = {}
                for column in sealing.columns:
                    value, count = _map_sealed(row._mapping[column.name], self._box.reseal)
                    if count:
                        changes[column.name] = value
                        done[0] += count
                if changes:
                    key = row._mapping[sealing.key.name]
                    session.execute(
                        update(sealing.table).where(sealing.key == key).values(**changes)
                    )
                    done[1] += 1

        self._walk(reseal, batch_size, lock=True)
        return done[0], done[1]

    def _walk(self, visit: Visit, batch_size: int, *, lock: bool) -> None:
        """``visit`` every row holding a sealed value, a batch per transaction; with
        ``lock``, the batch's rows are locked for writing (SQLite: the whole database)."""
        for sealing in _sealing_tables():
            after: Any = None
            while True:
                with self._session() as session:
                    if lock and session.get_bind().dialect.name == "sqlite":
                        key = sealing.key  # a no-op write takes the write lock first
                        session.execute(update(sealing.table).where(false()).values({key: key}))
                    query = _batch_query(sealing, batch_size, after, lock=lock)
                    found = session.execute(query).all()
                    visit(session, sealing, found)
                if len(found) < batch_size:
                    break
                after = found[-1]._mapping[sealing.key.name]

    def _raise_unknown(self, batch_size: int) -> None:
        """Raise the ConfigError of the first value no key of the ring opens."""

        def check(session: Session, sealing: _Sealing, rows: Sequence[Row[Any]]) -> None:
            for sealed in _sealed_in(sealing, rows):
                if self._box.sealer(sealed) is Sealer.UNKNOWN:
                    self._box.open(sealed)

        self._walk(check, batch_size, lock=False)

    def _compact_sqlite(self) -> None:
        """Rewrite the SQLite file without free pages and empty its write-ahead log: no
        copy of an old ciphertext stays on disk."""
        try:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM")
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except SQLAlchemyError as exc:
            raise StoreError(
                f"cannot compact the SQLite database after rotation: {exc} (the values are "
                "re-encrypted; run `crossheat secrets rotate` again to compact it)"
            ) from exc


def _sealed_in(sealing: _Sealing, rows: Sequence[Row[Any]]) -> Iterator[str]:
    for row in rows:
        for column in sealing.columns:
            yield from sealed_strings(row._mapping[column.name])


def _batch_query(sealing: _Sealing, batch_size: int, after: Any, *, lock: bool) -> Any:
    """The next ``batch_size`` rows after ``after`` (by key) whose JSON holds a sealed
    value; with ``lock``, locked for update, skipping rows another transaction holds
    (PostgreSQL, ``FOR NO KEY UPDATE``: rows that reference them can still be added;
    SQLite has no row locks)."""
    query = (
        select(sealing.key, *sealing.columns)
        .where(or_(*(cast(column, Text).like(f"%{PREFIX}%") for column in sealing.columns)))
        .order_by(sealing.key)
        .limit(batch_size)
    )
    if after is not None:
        query = query.where(sealing.key > after)
    if lock:
        query = query.with_for_update(skip_locked=True, key_share=True)
    return query


def _map_sealed(data: Any, change: Callable[[str], str | None]) -> tuple[Any, int]:
    """``data`` with each sealed string ``s`` replaced by ``change(s)`` unless that is
    None; how many were replaced."""
    if is_sealed(data):
        new = change(data)
        return (data, 0) if new is None else (new, 1)
    if isinstance(data, dict):
        pairs = [(key, _map_sealed(value, change)) for key, value in data.items()]
        return {key: value for key, (value, _) in pairs}, sum(n for _, (_, n) in pairs)
    if isinstance(data, list):
        items = [_map_sealed(value, change) for value in data]
        return [value for value, _ in items], sum(n for _, n in items)
    return data, 0
