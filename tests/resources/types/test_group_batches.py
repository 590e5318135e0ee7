"""Heat's batches for a group's rolling update and batched create: the cases of Heat's own
``TestGetBatches`` (heat/tests/openstack/heat/test_resource_group.py), where member "0" is
removed and members "1".."init" have the old definition."""

from __future__ import annotations

import pytest

from crossheat.resources.types.group_batches import batch_members, batches

#: (target, current, batch size, min in service) -> [(capacity, new, names changed)]
CASES = {
    "4_4_1_0": (4, 4, 1, 0, [(4, 1, "4"), (4, 1, "3"), (4, 1, "2"), (4, 1, "1")]),
    "4_4_1_4": (
        4,
        4,
        1,
        4,
        [(5, 1, "5"), (5, 1, "4"), (5, 1, "3"), (5, 1, "2"), (5, 1, "1"), (4, 0, "")],
    ),
    "4_4_2_4": (4, 4, 2, 4, [(6, 2, "65"), (6, 2, "43"), (6, 2, "21"), (4, 0, "")]),
    "3_3_2_4": (3, 3, 2, 4, [(5, 2, "54"), (5, 2, "32"), (4, 1, "1"), (3, 0, "")]),
    "4_4_4_1": (4, 4, 4, 1, [(5, 4, "5432"), (4, 1, "1")]),
    "4_4_5_6": (4, 4, 5, 6, [(8, 4, "8765"), (8, 4, "4321"), (4, 0, "")]),
    "4_7_1_0": (4, 7, 1, 0, [(4, 1, "4"), (4, 1, "3"), (4, 1, "2"), (4, 1, "1")]),
    "4_7_4_4": (4, 7, 4, 4, [(8, 4, "8432"), (5, 1, "1"), (4, 0, "")]),
    "5_7_2_4": (5, 7, 2, 4, [(6, 2, "54"), (6, 2, "32"), (5, 1, "1")]),
    "6_4_1_0": (
        6,
        4,
        1,
        0,
        [(5, 1, "5"), (6, 1, "6"), (6, 1, "4"), (6, 1, "3"), (6, 1, "2"), (6, 1, "1")],
    ),
    "6_3_2_0": (6, 3, 2, 0, [(5, 2, "45"), (6, 2, "63"), (6, 2, "21")]),
    "6_4_6_1": (6, 4, 6, 1, [(7, 6, "567432"), (6, 1, "1")]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_batches_and_who_changes_in_each_are_heats(case: str) -> None:
    target, current, size, least, expected = CASES[case]
    assert batches(target, current, size, least) == [(c, n) for c, n, _ in expected]
    members = [str(i) for i in range(1, current + 1)]
    stale = set(members)
    for capacity, new, changed in expected:
        names = [str(i) for i in range(1, capacity + 1)]  # "0" was removed
        chosen = batch_members(members, stale, names, target, capacity, new)
        assert sorted(n for n, _ in chosen) == sorted(names)  # the others are deleted
        now = {n for n, change in chosen if change}
        assert now == set(changed), capacity
        stale = (stale - now) & set(names)
        members = names


def test_a_batched_create_grows_by_batches() -> None:
    assert batches(5, 0, 2, 0) == [(2, 2), (4, 2), (5, 1)]
    assert dict(batch_members([], set(), ["0", "1"], 5, 2, 2)) == {"0": True, "1": True}
    grown = batch_members(["0", "1"], set(), ["0", "1", "2", "3"], 5, 4, 2)
    assert dict(grown) == {"0": False, "1": False, "2": True, "3": True}


def test_no_members_wanted_deletes_them_all_in_one_batch() -> None:
    assert batches(0, 3, 1, 0) == [(0, 0)]
    assert batch_members(["0", "1", "2"], {"0"}, [], 0, 0, 0) == []
