"""When scheduled checks come: every stack's interval (the default, or its tag's), its
turns spread over the interval by its id, and which stacks may be checked now."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from itertools import pairwise

import pytest

from crossheat.errors import ConfigError
from crossheat.service.schedule import CheckSchedule, checkable, offset_of, parse_interval
from crossheat.store import Action, Status
from crossheat.store.records import LockInfo, StackSummary

FREE = LockInfo(None, None, None, None)


def _stack(name: str = "web", *tags: str) -> StackSummary:
    return StackSummary(
        id=str(uuid.uuid5(uuid.NAMESPACE_DNS, name)), name=name, project="p",
        action=Action.CREATE, status=Status.COMPLETE, status_reason="", parent_id=None,
        created_at=datetime(2026, 1, 1, tzinfo=UTC), updated_at=None, deleted_at=None,
        lock=FREE, tags=tags, disable_rollback=False, timeout_mins=None, has_previous=False,
        regions=("East",),
    )  # fmt: skip


def _turns(schedule: CheckSchedule, stack: StackSummary, seconds: int) -> list[int]:
    """The ticks (one a second, from 1,000,000) at which the stack's turn comes."""
    start = 1_000_000
    return [t for t in range(start, start + seconds) if schedule.due(stack, t - 1, t)]


def test_an_interval_is_seconds_or_off() -> None:
    assert parse_interval("300") == 300
    assert parse_interval("2.5") == 2.5
    assert parse_interval("off") == parse_interval("OFF") == parse_interval("0") == 0
    for wrong in ("-1", "soon", "", "nan"):
        with pytest.raises(ConfigError, match="--check-interval"):
            parse_interval(wrong)


def test_a_stack_comes_once_every_interval_at_its_own_offset() -> None:
    stack = _stack()
    turns = _turns(CheckSchedule(300), stack, 900)
    assert len(turns) == 3
    assert [b - a for a, b in pairwise(turns)] == [300, 300]
    assert turns == _turns(CheckSchedule(300), stack, 900)  # the same every time
    assert len(_turns(CheckSchedule(300), stack, 299)) <= 1
    # Ticks further apart (a periodic task every 2 s) never miss nor repeat a turn.
    wide = [t for t in range(1_000_000, 1_000_900, 2) if CheckSchedule(300).due(stack, t - 2, t)]
    assert len(wide) == 3


def test_a_tag_sets_the_stacks_own_interval() -> None:
    schedule = CheckSchedule(300)
    assert len(_turns(schedule, _stack("a", "check-interval=60"), 600)) == 10
    assert _turns(schedule, _stack("b", "team=x", "check-interval=off"), 900) == []
    assert _turns(schedule, _stack("c", "check-interval=0"), 900) == []
    assert len(_turns(schedule, _stack("d", "check-interval=soon"), 900)) == 3  # the default
    # With no default, only the stacks whose tag asks are checked.
    assert _turns(CheckSchedule(0), _stack("e"), 900) == []
    assert len(_turns(CheckSchedule(0), _stack("f", "check-interval=300"), 900)) == 3


def test_a_thousand_stacks_are_spread_over_the_interval() -> None:
    stacks = [_stack(f"stack-{i}") for i in range(1000)]
    offsets = [offset_of(s.id, 300) for s in stacks]
    assert all(0 <= o < 300 for o in offsets)
    per_10s = Counter(int(o // 10) for o in offsets)
    assert len(per_10s) == 30
    assert max(per_10s.values()) < 60  # 33 expected: nowhere near all at once
    schedule = CheckSchedule(300)
    per_second = Counter(t for s in stacks for t in _turns(schedule, s, 300))
    assert sum(per_second.values()) == 1000
    assert max(per_second.values()) <= 12


def test_only_stacks_at_rest_whose_last_operation_completed_or_was_a_check() -> None:
    stack = _stack()
    assert checkable(stack)
    assert checkable(replace(stack, action=Action.UPDATE))
    assert checkable(replace(stack, action=Action.CHECK, status=Status.FAILED))
    assert not checkable(replace(stack, action=Action.CREATE, status=Status.FAILED))
    assert not checkable(replace(stack, action=Action.UPDATE, status=Status.IN_PROGRESS))
    assert not checkable(replace(stack, action=Action.DELETE))
    assert not checkable(replace(stack, action=Action.ROLLBACK))  # an operation that failed
    held = LockInfo("UPDATE", "host:1:abcd", datetime(2026, 1, 1, tzinfo=UTC), None)
    assert not checkable(replace(stack, lock=held))
