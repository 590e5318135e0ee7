"""``stack list``'s columns read with sqlite3 are those the Store and ``describe_all`` give."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from crossheat.engine.stack import EngineOptions
from crossheat.resources.registry import default_registry
from crossheat.service._stacks import Stacks
from crossheat.service.listing import LIST_COLUMNS, sqlite_path, stack_rows
from crossheat.store import Action, StackSpec, Status, Store
from crossheat.store.models import ResourceRow

NET = "OS::Neutron::Net"


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state' / 'crossheat.db'}"


def _populate(store: Store) -> None:
    """Stacks in several states, projects and nestings, resources in several regions."""
    spec = StackSpec(template={"description": "x"}, region_map={"regions": {"Far": {}}})
    first = store.create_stack("first", "default", spec)
    store.add_resources(first.id, [("a", NET, "West"), ("b", NET, "East"), ("c", NET, None)])
    old = store.add_resources(first.id, [("d", NET, "East")])[0]
    store.create_replacement(old.id, properties={})
    with Session(store.engine) as session:  # the replaced row alone names a region
        session.execute(update(ResourceRow).where(ResourceRow.id == old.id).values(region="Gone"))
        session.commit()
    store.update_stack_status(first.id, Action.UPDATE, Status.COMPLETE, "done")
    store.create_stack("empty", "default", spec, action=Action.CREATE, status=Status.FAILED)
    store.create_stack("nested", "default", spec, parent_id=first.id)
    store.create_stack("theirs", "other", spec)
    gone = store.create_stack("gone", "default", spec)
    store.soft_delete_stack(gone.id)


def test_the_rows_are_the_stores_cut_to_the_listed_columns(url: str) -> None:
    with Store.open(url) as store:
        _populate(store)
        stacks = Stacks(store, default_registry(), EngineOptions())
        expected = [
            {column: row[column] for column in LIST_COLUMNS}
            for row in stacks.describe_all(stacks.all())
        ]
        theirs = stacks.describe_all(store.list_stacks("other"))
    assert [row["stack_name"] for row in expected] == ["first", "empty"]
    assert expected[0]["regions"] == ["East", "West"]
    assert expected[0]["stack_status"] == "UPDATE_COMPLETE"
    assert expected[0]["updated_time"] is not None
    assert stack_rows(url) == expected
    assert stack_rows(url, project="other") == [
        {column: row[column] for column in LIST_COLUMNS} for row in theirs
    ]


def test_anything_but_an_up_to_date_sqlite_file_is_left_to_the_store(
    url: str, tmp_path: Path
) -> None:
    assert stack_rows(url) is None  # no database yet: the Store creates it
    with Store.open(url) as store:
        assert stack_rows(url) == []
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    assert stack_rows(url) is None  # to be migrated first
    assert stack_rows("postgresql+psycopg://localhost/db") is None
    assert stack_rows("sqlite://") is None
    assert stack_rows(f"sqlite:///{tmp_path / 'x.db'}?timeout=1") is None
    (tmp_path / "junk.db").write_text("not a database")
    assert stack_rows(f"sqlite:///{tmp_path / 'junk.db'}") is None


def test_sqlite_paths() -> None:
    assert sqlite_path("sqlite:////abs/state.db") == Path("/abs/state.db")
    assert sqlite_path("sqlite:///rel/state.db") == Path("rel/state.db")
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("postgresql://h/db") is None
