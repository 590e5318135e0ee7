"""Stack summaries (what lists read) say what the full records say."""

from __future__ import annotations

from dataclasses import replace

from crossheat.store import Action, StackSummary, Status, Store, summary_of
from tests.store.test_stacks import spec


def _expected(store: Store, **which: bool) -> list[StackSummary]:
    """The summaries of the full records ``list_stacks`` gives, with their regions."""
    records = store.list_stacks("p1", **which)
    regions = store.stack_regions([r.id for r in records])
    return [summary_of(r, regions[r.id]) for r in records]


def test_summaries_are_the_records_without_their_content(store: Store) -> None:
    plain = store.create_stack("plain", "p1", spec())
    tagged = store.create_stack("tagged", "p1", replace(spec(), tags=("web", "prod")))
    updated = store.create_stack("updated", "p1", spec())
    store.save_template_for_update(updated.id, replace(spec(), timeout_mins=5))
    store.update_stack_status(updated.id, Action.UPDATE, Status.COMPLETE, "done")
    locked = store.create_stack("locked", "p1", spec())
    store.acquire_lock(locked.id, Action.CREATE, "elsewhere:1:engine")
    store.request_cancel(locked.id, "elsewhere:1:engine")
    store.create_stack("nested", "p1", spec(), parent_id=plain.id)
    gone = store.create_stack("gone", "p1", spec())
    store.soft_delete_stack(gone.id)
    store.create_stack("other", "p2", spec())
    _, west, _ = store.add_resources(
        plain.id, [("a", "OS::Heat::None", "East"), ("b", "OS::Heat::None", "West"),
                   ("c", "OS::Heat::None", None)],
    )  # fmt: skip
    store.add_resources(tagged.id, [("a", "OS::Heat::None", "East")])
    store.create_replacement(west.id, properties={}, secret_paths=[])

    summaries = store.list_stack_summaries("p1")
    assert summaries == _expected(store)
    assert [s.name for s in summaries] == ["plain", "tagged", "updated", "locked"]
    by_name = {s.name: s for s in summaries}
    assert by_name["plain"].regions == ("East", "West")
    assert by_name["tagged"].tags == ("web", "prod")
    assert by_name["updated"].has_previous and by_name["updated"].timeout_mins == 5
    assert by_name["locked"].lock.held and by_name["locked"].lock.read_at is not None
    assert by_name["locked"].lock.cancel_requested_at is not None
    for which in ({"include_nested": True}, {"include_deleted": True}):
        assert store.list_stack_summaries("p1", **which) == _expected(store, **which)
    assert {s.project for s in store.list_stack_summaries()} == {"p1", "p2"}
