"""What the store hands out: plain frozen dataclasses, never ORM objects.

Secret values are already opened (decrypted) in records; they are sealed
only in the database. ``StackRecord.hidden_parameters`` and
``ResourceRecord.secret_paths`` say which values were secret, so that a
view can show ``******`` for them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

JSONDict = dict[str, Any]

#: The resource type Heat gives events about the stack itself.
STACK_EVENT_TYPE = "OS::Heat::Stack"

#: Stack names are unique per project; crossheat's project is this, or "default".
PROJECT_VARIABLE = "CROSSHEAT_PROJECT"


def current_project() -> str:
    return os.environ.get(PROJECT_VARIABLE, "default")


class Action(StrEnum):
    """Heat's stack and resource actions."""

    INIT = "INIT"
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    ROLLBACK = "ROLLBACK"
    CHECK = "CHECK"
    SUSPEND = "SUSPEND"
    RESUME = "RESUME"
    ADOPT = "ADOPT"
    SNAPSHOT = "SNAPSHOT"


class Status(StrEnum):
    """Heat's stack and resource statuses: ``CREATE_IN_PROGRESS`` is Action + Status."""

    IN_PROGRESS = "IN_PROGRESS"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"


@dataclass(frozen=True)
class Readiness:
    """When one action's resource became ready, in seconds from the action's start: after
    ``not_ready_at`` (the last poll that found it not ready was sent then; 0: none did)
    and by ``ready_by`` (the poll that found it ready was sent then)."""

    not_ready_at: float
    ready_by: float


@dataclass(frozen=True)
class StackSpec:
    """What a stack was asked to be: the inputs of a create or an update.

    ``parameters`` holds plain values; the names in ``hidden_parameters`` are
    sealed before they are written. ``files`` maps the paths a template
    refers to (``get_file``, nested templates) to their contents. ``tags``: Heat's
    stack tags, in the order given.
    """

    template: JSONDict
    environment: JSONDict = field(default_factory=dict)
    parameters: JSONDict = field(default_factory=dict)
    hidden_parameters: frozenset[str] = frozenset()
    files: dict[str, str] = field(default_factory=dict)
    template_path: str | None = None
    disable_rollback: bool = True
    timeout_mins: int | None = None
    region_map: JSONDict = field(default_factory=dict)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class LockInfo:
    """Who holds a stack and since when (``None`` fields: the stack is free)."""

    operation: str | None
    engine_id: str | None
    acquired_at: datetime | None
    heartbeat_at: datetime | None
    cancel_requested_at: datetime | None = None
    #: The database's clock when this was read (to judge staleness by one clock).
    read_at: datetime | None = field(default=None, compare=False)

    @property
    def held(self) -> bool:
        return self.engine_id is not None


@dataclass(frozen=True)
class StackRecord:
    id: str
    name: str
    project: str
    action: Action
    status: Status
    status_reason: str
    spec: StackSpec
    previous: StackSpec | None
    parent_id: str | None
    created_at: datetime
    updated_at: datetime | None
    deleted_at: datetime | None
    lock: LockInfo

    @property
    def stack_status(self) -> str:
        """``CREATE_COMPLETE``, as Heat shows it."""
        return f"{self.action}_{self.status}"


@dataclass(frozen=True)
class StackSummary:
    """A stack as lists show it: its row without the content (template, files,
    environment, parameters), and the regions it has resources in (sorted). Cheap to
    read for many stacks; ``summary_of`` makes one of a ``StackRecord``."""

    id: str
    name: str
    project: str
    action: Action
    status: Status
    status_reason: str
    parent_id: str | None
    created_at: datetime
    updated_at: datetime | None
    deleted_at: datetime | None
    lock: LockInfo
    tags: tuple[str, ...]
    disable_rollback: bool
    timeout_mins: int | None
    #: Whether the stack keeps a previous spec (it has been updated, and not rolled back).
    has_previous: bool
    regions: tuple[str, ...]

    @property
    def stack_status(self) -> str:
        return f"{self.action}_{self.status}"


def summary_of(stack: StackRecord, regions: tuple[str, ...] | list[str]) -> StackSummary:
    """The summary of a full record, with the regions it has resources in."""
    return StackSummary(
        id=stack.id, name=stack.name, project=stack.project, action=stack.action,
        status=stack.status, status_reason=stack.status_reason, parent_id=stack.parent_id,
        created_at=stack.created_at, updated_at=stack.updated_at, deleted_at=stack.deleted_at,
        lock=stack.lock, tags=stack.spec.tags, disable_rollback=stack.spec.disable_rollback,
        timeout_mins=stack.spec.timeout_mins, has_previous=stack.previous is not None,
        regions=tuple(regions),
    )  # fmt: skip


@dataclass(frozen=True)
class ResourceRecord:
    """One resource row. During an update by replacement the old and the new
    row share ``name``: the new one has ``replaces`` = old id, the old one
    ``replaced_by`` = new id."""

    id: str
    stack_id: str
    name: str
    type: str
    region: str | None
    physical_id: str | None
    action: Action
    status: Status
    status_reason: str
    properties: JSONDict
    attributes: JSONDict
    secret_paths: tuple[tuple[str | int, ...], ...]
    progress: JSONDict | None
    intent: JSONDict | None
    replaces: str | None
    replaced_by: str | None
    created_at: datetime
    updated_at: datetime | None

    @property
    def resource_status(self) -> str:
        return f"{self.action}_{self.status}"


@dataclass(frozen=True)
class EventRecord:
    """One event; ``resource_name`` is the stack's name for events about the stack.
    ``seq``: its number in the stack, in commit order (what readers follow; 0 when not
    known, as for an event read from a server)."""

    id: int
    stack_id: str
    resource_name: str
    resource_type: str
    physical_id: str | None
    region: str | None
    action: Action
    status: Status
    reason: str
    timestamp: datetime
    seq: int = 0
