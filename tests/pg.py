"""A PostgreSQL schema of its own for a test session (shared by the store and e2e tests).

The server runs at 127.0.0.1:5432 with trust auth; each session gets a fresh
``crossheat_<label>_<random>`` schema through ``search_path``, dropped at the
end, so parallel workers never meet. Skipped, with the reason, when the server
does not answer.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from benchmarks.local import pg_schema, pg_unreachable
from sqlalchemy import create_engine, text


def private_schema(label: str) -> Iterator[str]:
    """Yield a URL whose connections use a fresh schema; drop it afterwards."""
    reason = pg_unreachable()
    if reason is not None:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {reason}")
    with pg_schema(label) as url:
        yield url


def empty(url: str) -> None:
    """Remove every row crossheat wrote (the schema stays)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        exists = conn.execute(text(
            "SELECT 1 FROM information_schema.tables WHERE table_name = 'stacks'"
            " AND table_schema = current_schema()"
        )).first()  # fmt: skip
        if exists:
            # CASCADE: and every table that refers to these (event_sequences...)
            conn.execute(text("TRUNCATE events, resources, stacks CASCADE"))
        if conn.execute(text("SELECT to_regclass('readiness')")).scalar() is not None:
            conn.execute(text("TRUNCATE readiness"))  # of no stack (migration 0007)
        if conn.execute(text("SELECT to_regclass('webhook_deliveries')")).scalar() is not None:
            conn.execute(text("TRUNCATE webhook_deliveries"))  # of no stack (migration 0008)
        queue = conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar()
        if queue is not None:  # the job queue's (migration 0005)
            conn.execute(text("TRUNCATE procrastinate_jobs, procrastinate_workers CASCADE"))
            conn.execute(text("TRUNCATE workers"))
    engine.dispose()
