"""Heat's stack list: its filters, tags, sort and page over the project's stacks
(private to ``crossheat.service``; ``HeatViews.list_stacks`` answers with it).

    page, count = select(stacks, StackQuery(filters={"status": ["CREATE_COMPLETE"]}, limit=2))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crossheat.store import StackSummary

#: The keys ``sort_keys`` may name (others are dropped, as Heat does) and what they sort.
SORT_KEYS: dict[str, Callable[[StackSummary], Any]] = {
    "stack_name": lambda s: s.name,
    "stack_status": lambda s: s.stack_status,
    "creation_time": lambda s: s.created_at,
    "updated_time": lambda s: s.updated_at,
}


@dataclass(frozen=True)
class StackQuery:
    """What ``GET /stacks`` asks: Heat's filters (name -> accepted values), tags, the
    sort, the page, and which stacks are in view."""

    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    tags: Sequence[str] = ()
    tags_any: Sequence[str] = ()
    not_tags: Sequence[str] = ()
    not_tags_any: Sequence[str] = ()
    sort_keys: Sequence[str] = ()
    sort_dir: str | None = None
    limit: int | None = None
    marker: str | None = None
    show_deleted: bool = False
    show_nested: bool = False


@dataclass(frozen=True)
class StackPage:
    """One page of the list: each stack in Heat's field names, and how many match."""

    stacks: list[dict[str, Any]]
    count: int
    #: Whether a stack of the page is locked by an operation: how the page shows it then
    #: depends on the time too (whether its engine's heartbeat is recent), not only on
    #: what is stored.
    timed: bool = False


def select(stacks: list[StackSummary], query: StackQuery) -> tuple[list[StackSummary], int]:
    """The page of ``stacks`` that ``query`` asks for, and how many match its filters."""
    matching = [s for s in stacks if _matches(s, query)]
    ordered = _sorted(matching, query.sort_keys, query.sort_dir)
    return _page(ordered, query.marker, query.limit), len(matching)


def _matches(stack: StackSummary, query: StackQuery) -> bool:
    tags = set(stack.tags)
    if query.tags and not set(query.tags) <= tags:
        return False
    if query.tags_any and not set(query.tags_any) & tags:
        return False
    if query.not_tags and set(query.not_tags) <= tags:
        return False
    if query.not_tags_any and set(query.not_tags_any) & tags:
        return False
    return all(_filter(stack, key, values) for key, values in query.filters.items())


def _filter(stack: StackSummary, key: str, values: Sequence[str]) -> bool:
    """Whether ``stack`` passes Heat's filter ``key`` (one of ``values``; unknown keys
    filter nothing, as in Heat)."""
    if key in ("status", "stack_status"):
        return any(_status_is(stack, value) for value in values)
    field_of = _FILTERS.get(key)
    if field_of is None:
        return True
    return _field_text(field_of(stack)) in {str(v) for v in values}


def _status_is(stack: StackSummary, value: str) -> bool:
    """``COMPLETE`` matches the status; ``CREATE_COMPLETE``, the action and the status."""
    if value == stack.status.value:
        return True
    return value == stack.stack_status


def _field_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return str(value)
    return None if value is None else str(value)


_FILTERS: dict[str, Callable[[StackSummary], Any]] = {
    "id": lambda s: s.id,
    "name": lambda s: s.name,
    "stack_name": lambda s: s.name,
    "action": lambda s: s.action.value,
    "stack_action": lambda s: s.action.value,
    "tenant": lambda s: s.project,
    "stack_user_project_id": lambda s: s.project,
    "username": lambda s: None,
    "stack_owner": lambda s: None,
    "owner_id": lambda s: s.parent_id,
    "parent": lambda s: s.parent_id,
    "stack_status_reason": lambda s: s.status_reason,
    "disable_rollback": lambda s: s.disable_rollback,
    "timeout_mins": lambda s: s.timeout_mins,
}


def _sorted(
    stacks: list[StackSummary], keys: Sequence[str], direction: str | None
) -> list[StackSummary]:
    """Heat's order: by the usable ``keys`` then the id (ascending unless told), else
    newest first."""
    usable = [SORT_KEYS[k] for k in keys if k in SORT_KEYS]
    if not usable:
        usable, direction = [lambda s: s.created_at], direction or "desc"

    def key(stack: StackSummary) -> tuple[Any, ...]:
        return (*(_orderable(f(stack)) for f in usable), stack.id)

    return sorted(stacks, key=key, reverse=direction == "desc")


def _orderable(value: Any) -> tuple[bool, Any]:
    """None first, and comparable with the values beside it."""
    if value is None:
        return (False, "")
    return (True, value)


def _page(stacks: list[StackSummary], marker: str | None, limit: int | None) -> list[StackSummary]:
    """The stacks after ``marker`` (ignored when unknown), at most ``limit``."""
    ids = [s.id for s in stacks]
    if marker is not None and marker in ids:
        stacks = stacks[ids.index(marker) + 1 :]
    return stacks if limit is None else stacks[:limit]
