"""The database's change mark: the same while nothing is committed, another after any
commit, by this store or by another process writing with its own driver."""

from __future__ import annotations

import subprocess
import sys

from crossheat.store import StackSpec, Store


def _write_elsewhere(db_url: str, stack_id: str) -> None:
    """Another process commits a change of the stack's row with the bare driver (no
    crossheat code: nothing there could tell this store)."""
    if db_url.startswith("sqlite:///"):
        code = (
            "import sqlite3, sys\n"
            "db = sqlite3.connect(sys.argv[1])\n"
            "db.execute(\"UPDATE stacks SET status_reason = 'from elsewhere' WHERE id = ?\","
            " (sys.argv[2],))\n"
            "db.commit()\n"
        )
        target = db_url.removeprefix("sqlite:///")
    else:
        code = (
            "import psycopg, sys\n"
            "with psycopg.connect(sys.argv[1]) as db:\n"
            "    db.execute(\"UPDATE stacks SET status_reason = 'from elsewhere' WHERE id = %s\","
            " (sys.argv[2],))\n"
        )
        target = db_url.replace("postgresql+psycopg://", "postgresql://")
    subprocess.run([sys.executable, "-c", code, target, stack_id], check=True, timeout=60)


def test_the_mark_changes_with_every_commit_of_any_process(store: Store, db_url: str) -> None:
    stack = store.create_stack("watched", "p1", StackSpec(template={}))
    before = store.change_mark()
    assert before is not None
    assert store.list_stack_summaries("p1")  # reading changes nothing
    assert store.change_mark() == before

    _write_elsewhere(db_url, stack.id)
    after = store.change_mark()
    assert after != before
    assert store.get_stack(stack.id).status_reason == "from elsewhere"
    assert store.change_mark() == after

    store.update_stack_status(stack.id, stack.action, stack.status, "from here")
    assert store.change_mark() != after


def test_no_mark_for_a_database_no_other_connection_sees() -> None:
    with Store.open("sqlite:///:memory:") as store:
        assert store.change_mark() is None
