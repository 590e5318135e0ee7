"""Heat's API v1 bodies as the service's own records and views, and Heat's faults as
crossheat's errors: what lets a ``RemoteService`` answer exactly as ``Service`` does.

    stack = stack_record(body["stack"], project)       # a StackRecord, as the store's
    shown = stack_view(body["stack"], project)         # stack_dict's fields, in its order
    raise error_of(response.status_code, response.json())

A server answers Heat's fields and crossheat's own beside them (``regions``, ``region``,
``operation_in_progress``...); each view keeps the fields the local service shows, in
the order it shows them, and leaves out what only Heat adds (links, tags, ``OS::``
pseudo-parameters), so that ``-f json`` prints the same either way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crossheat import errors
from crossheat.errors import Diagnostic
from crossheat.store.records import (
    STACK_EVENT_TYPE,
    Action,
    EventRecord,
    LockInfo,
    ResourceRecord,
    StackRecord,
    StackSpec,
    Status,
)

#: ``stack_dict``'s fields, in its order (``operation_in_progress`` and ``outputs`` only
#: when there are such).
STACK_FIELDS = (
    "id", "stack_name", "project", "stack_status", "stack_status_reason", "creation_time",
    "updated_time", "deletion_time", "disable_rollback", "timeout_mins", "parameters",
    "regions", "description",
)  # fmt: skip
#: ``resource_detail``'s fields (``resource show``), in its order.
RESOURCE_FIELDS = (
    "attributes", "creation_time", "description", "logical_resource_id",
    "physical_resource_id", "properties", "region", "required_by", "resource_name",
    "resource_status", "resource_status_reason", "resource_type", "updated_time",
)  # fmt: skip
#: What each field is when a server leaves it out.
_ABSENT: dict[str, Any] = {"attributes": {}, "properties": {}, "required_by": [], "regions": []}
#: A stack output's fields as ``stack_outputs`` gives them.
OUTPUT_FIELDS = ("output_key", "description", "output_value")
#: Heat's pseudo-parameters, which a stack shown by Heat has and crossheat's has not.
PSEUDO_PREFIX = "OS::"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_time(text: str | None) -> datetime | None:
    """Heat's ``2024-05-01T10:00:00Z`` (or any ISO time) as a datetime; None for None."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def split_status(joined: str) -> tuple[Action, Status]:
    """``CREATE_IN_PROGRESS`` -> (CREATE, IN_PROGRESS), as heatclient splits it."""
    action, _, status = joined.partition("_")
    return Action(action), Status(status)


def lock_of(shown: dict[str, Any]) -> LockInfo:
    """The stack's lock as the server showed it (``operation_in_progress``), else free."""
    held = shown.get("operation_in_progress")
    if not isinstance(held, dict):
        return LockInfo(None, None, None, None)
    return LockInfo(
        operation=held.get("operation"),
        engine_id=str(held.get("engine") or "server"),
        acquired_at=parse_time(held.get("since")),
        heartbeat_at=parse_time(held.get("last_heartbeat")),
        cancel_requested_at=_EPOCH if held.get("cancel_requested") else None,
    )


def stack_record(shown: dict[str, Any], project: str) -> StackRecord:
    """A stack of the API as the store's record (its spec holds what the API shows)."""
    action, status = split_status(shown["stack_status"])
    spec = StackSpec(
        template={},
        parameters=_parameters(shown.get("parameters")),
        disable_rollback=bool(shown.get("disable_rollback", True)),
        timeout_mins=shown.get("timeout_mins"),
    )
    return StackRecord(
        id=shown["id"],
        name=shown["stack_name"],
        project=shown.get("project") or project,
        action=action,
        status=status,
        status_reason=shown.get("stack_status_reason") or "",
        spec=spec,
        previous=None,
        parent_id=shown.get("parent"),
        created_at=parse_time(shown.get("creation_time")) or _EPOCH,
        updated_at=parse_time(shown.get("updated_time")),
        deleted_at=parse_time(shown.get("deletion_time")),
        lock=lock_of(shown),
    )


def stack_view(shown: dict[str, Any], project: str) -> dict[str, Any]:
    """``stack_dict``'s fields of a stack the API showed (outputs if it resolved them)."""
    out = {key: shown.get(key, _ABSENT.get(key)) for key in STACK_FIELDS}
    out["project"] = shown.get("project") or project
    out["parameters"] = _parameters(shown.get("parameters"))
    out["description"] = str(shown.get("description") or "").strip()
    if shown.get("operation_in_progress"):
        out["operation_in_progress"] = shown["operation_in_progress"]
    if "outputs" in shown:
        out["outputs"] = [output_view(o) for o in shown["outputs"] or []]
    return out


def list_view(listed: dict[str, Any], project: str) -> dict[str, Any]:
    """``stack_dict``'s fields of a stack in the API's list (which has no parameters)."""
    out = stack_view(listed, project)
    out.pop("outputs", None)
    return out


def output_view(output: dict[str, Any]) -> dict[str, Any]:
    out = {key: output.get(key) for key in OUTPUT_FIELDS}
    if output.get("output_error"):
        out["output_error"] = output["output_error"]
    return out


def _parameters(given: Any) -> dict[str, Any]:
    if not isinstance(given, dict):
        return {}
    return {k: v for k, v in given.items() if not str(k).startswith(PSEUDO_PREFIX)}


def resource_record(shown: dict[str, Any], stack_id: str) -> ResourceRecord:
    """A resource of the API's list as the store's record (what ``resource_dict`` reads)."""
    action, status = split_status(shown["resource_status"])
    created = parse_time(shown.get("creation_time")) or _EPOCH
    return ResourceRecord(
        id=shown.get("physical_resource_id") or shown["resource_name"],
        stack_id=stack_id,
        name=shown["resource_name"],
        type=shown.get("resource_type", ""),
        region=shown.get("region"),
        physical_id=shown.get("physical_resource_id") or None,
        action=action,
        status=status,
        status_reason=shown.get("resource_status_reason") or "",
        properties=dict(shown.get("properties") or {}),
        attributes=dict(shown.get("attributes") or {}),
        secret_paths=(),
        progress=None,
        intent=None,
        replaces=None,
        replaced_by=None,
        created_at=created,
        updated_at=parse_time(shown.get("updated_time")) or created,
    )


def resource_view(shown: dict[str, Any]) -> dict[str, Any]:
    """``resource_detail``'s fields of a resource the API showed."""
    out = {key: shown.get(key, _ABSENT.get(key)) for key in RESOURCE_FIELDS}
    out["attributes"] = {k: v for k, v in (out["attributes"] or {}).items() if k != "show"}
    out["description"] = out["description"] or ""
    return out


@dataclass
class EventIds:
    """The API's event ids as the store's numbers: crossheat's server gives them as
    text (``"42"``); another id (a UUID) gets the next number of this client's own."""

    given: dict[str, int]

    def number(self, event_id: str) -> int:
        if event_id.isdigit():
            return int(event_id)
        return self.given.setdefault(event_id, len(self.given) + 1)


def event_record(shown: dict[str, Any], stack: StackRecord, ids: EventIds) -> EventRecord:
    """An event of the API as the store's record (what ``event_dict`` reads)."""
    action, status = split_status(shown["resource_status"])
    physical = shown.get("physical_resource_id") or None
    name = shown.get("resource_name") or shown.get("logical_resource_id") or ""
    of_stack = name == stack.name and physical == stack.id
    return EventRecord(
        id=ids.number(str(shown["id"])),
        stack_id=stack.id,
        resource_name=name,
        resource_type=shown.get("resource_type") or (STACK_EVENT_TYPE if of_stack else ""),
        physical_id=physical,
        region=shown.get("region"),
        action=action,
        status=status,
        reason=shown.get("resource_status_reason") or "",
        timestamp=parse_time(shown.get("event_time")) or _EPOCH,
    )


# ---- errors ---------------------------------------------------------------------------------

#: A line of a ``TemplateError`` as the server words it: ``file:12:3: error: ...``.
_DIAGNOSTIC = re.compile(r"^\S.*?: (error|warning): ")


@dataclass(frozen=True)
class Reported(Diagnostic):
    """A template problem as the server worded it (where it is, included)."""

    def __str__(self) -> str:
        return self.message


def error_of(status: int, body: Any, what: str) -> errors.CrossheatError:
    """The crossheat error for a Heat fault (``status``, its body); ``what``: the request,
    for a fault without a message."""
    error = body.get("error") if isinstance(body, dict) else None
    kind = str(error.get("type", "")) if isinstance(error, dict) else ""
    message = error.get("message") if isinstance(error, dict) else None
    text = str(message) if message else f"{what}: HTTP {status} {kind}".rstrip()
    if status == 404:
        return errors.StackNotFound(text)
    if status == 409:
        return errors.StackExists(text) if kind == "StackExists" else errors.StackLocked(text)
    if status in (401, 403):
        return errors.ConfigError(f"the server refused the request ({status} {kind}): {text}")
    if status == 400:
        lines = text.splitlines()
        if lines and all(_DIAGNOSTIC.match(line) for line in lines):
            return errors.TemplateError([Reported(line) for line in lines])
        if kind == "NotSupported":
            return errors.NotSupportedError(text)
        return errors.StackError(text)
    if kind == "CloudError":
        return errors.CloudError(text)
    return errors.StoreError(f"the server failed ({status} {kind}): {text}")
