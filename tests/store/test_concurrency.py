"""The engine calls the store from many threads, and several engines may open one database."""

from __future__ import annotations

import multiprocessing
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from crossheat.store import Action, StackSpec, Status, Store

SPAWN = multiprocessing.get_context("spawn")


def test_threads_write_events_and_resources_at_once(store: Store) -> None:
    stack_id = store.create_stack("busy", "p1", StackSpec(template={})).id

    def work(n: int) -> None:
        res = store.upsert_resource(stack_id, f"r{n}", "OS::Neutron::Port", properties={"n": n})
        for _ in range(10):
            store.set_resource_status(res.id, Action.CREATE, Status.IN_PROGRESS, event=True)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(24)))
    events = store.list_events(stack_id)
    assert len(events) == 240 and len({e.id for e in events}) == 240
    assert len(store.list_resources(stack_id)) == 24


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nobody has migrated yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    base: str = request.getfixturevalue("pg_schema_url").split("?")[0]
    schema = f"crossheat_fresh_{secrets.token_hex(6)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{base}?options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _open_and_write(url: str, name: str) -> None:
    with Store.open(url) as store:
        store.create_stack(name, "p1", StackSpec(template={}))


def test_engines_opening_a_new_database_together_migrate_it_once(fresh_url: str) -> None:
    openers = [SPAWN.Process(target=_open_and_write, args=(fresh_url, n)) for n in ("a", "b")]
    for opener in openers:
        opener.start()
    for opener in openers:
        opener.join(timeout=60)
    assert [opener.exitcode for opener in openers] == [0, 0]
    with Store.open(fresh_url) as store:
        assert sorted(s.name for s in store.list_stacks("p1")) == ["a", "b"]
