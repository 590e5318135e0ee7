"""A server's update preview and stack check, in the shapes the local service gives them
(``Diff.preview()``, ``CheckResult``), for ``RemoteService``.

    Preview(body["resource_changes"]).preview()   # added, updated... and per region
    check_result(stack, resources)                 # reports read from the CHECK statuses

A check's findings reach Heat's API as each resource's ``CHECK_COMPLETE`` or
``CHECK_FAILED`` and its reason (``deleted outside crossheat``, ``changed outside
crossheat: name 'a' -> 'b'``, as ``crossheat.engine.check`` records them); the reports
are read back from those.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from crossheat.store.records import Action, ResourceRecord, StackRecord, Status

#: Heat's kinds of change, in the order the local preview lists them.
KINDS = ("added", "updated", "replaced", "deleted", "unchanged")
#: The reasons ``crossheat.engine.check`` records for a resource that drifted.
IN_SYNC_REASON = "in sync"
DELETED_REASON = "deleted outside crossheat"
CHANGED_REASON = "changed outside crossheat"
_CHANGE = re.compile(r"^(\S+) (.+) -> (.+)$", re.DOTALL)


@dataclass(frozen=True)
class Preview:
    """Heat's ``resource_changes`` of an update preview."""

    changes: dict[str, Any]

    def preview(self) -> dict[str, Any]:
        """The local preview's shape: each kind's resources (name, type, region, reason,
        property changes) and, per region, the names of each kind."""
        out: dict[str, Any] = {
            kind: [_change(c) for c in self.changes.get(kind) or []] for kind in KINDS
        }
        regions: dict[str, dict[str, list[str]]] = {}
        for kind in KINDS:
            for item in out[kind]:
                per_kind = regions.setdefault(item["region"], {k: [] for k in KINDS})
                per_kind[kind].append(item["resource_name"])
        out["regions"] = dict(sorted(regions.items(), key=lambda kv: str(kv[0])))
        return out


def _change(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "resource_name": item.get("resource_name"),
        "resource_type": item.get("resource_type"),
        "region": item.get("region"),
        "reason": item.get("reason", ""),
        "changes": list(item.get("changes") or []),
    }


@dataclass(frozen=True)
class RemoteReport:
    """One resource's drift, read from its CHECK status and reason (``DriftReport``)."""

    resource: ResourceRecord

    @property
    def status(self) -> str:
        record = self.resource
        if record.action is Action.CHECK and record.status is Status.COMPLETE:
            return "IN_SYNC"
        if record.action is not Action.CHECK:
            return "NOT_CHECKED"
        if record.status_reason == DELETED_REASON:
            return "DELETED"
        if record.status_reason.startswith(CHANGED_REASON):
            return "MODIFIED"
        unread = record.status_reason.startswith(("not checked", "unknown type"))
        return "NOT_CHECKED" if unread else "UNKNOWN"

    def as_dict(self) -> dict[str, Any]:
        record = self.resource
        modified = self.status == "MODIFIED"
        return {
            "resource_name": record.name,
            "region": record.region,
            "physical_resource_id": record.physical_id or "",
            "resource_type": record.type,
            "status": self.status,
            "differences": differences(record.status_reason) if modified else [],
            "reason": IN_SYNC_REASON if self.status == "IN_SYNC" else record.status_reason,
        }


def differences(reason: str) -> list[dict[str, Any]]:
    """``changed outside crossheat: name 'a' -> 'b', size 1 -> 2`` -> each property's
    expected and actual value (empty when the reason does not read so)."""
    text = reason.removeprefix(CHANGED_REASON).removeprefix(":").strip()
    found: list[dict[str, Any]] = []
    pending = ""
    for piece in text.split(", "):
        pending = f"{pending}, {piece}" if pending else piece
        parsed = _difference(pending)
        if parsed is not None:
            found.append(parsed)
            pending = ""
    return found if not pending else []


def _difference(text: str) -> dict[str, Any] | None:
    match = _CHANGE.match(text)
    if match is None:
        return None
    try:
        expected, actual = ast.literal_eval(match[2]), ast.literal_eval(match[3])
    except (ValueError, SyntaxError):
        return None
    return {"property": match[1], "expected": expected, "actual": actual}


@dataclass(frozen=True)
class RemoteCheck:
    """A check's outcome (``CheckResult``): the reports, the stack's status and reason."""

    reports: list[RemoteReport]
    status: Status
    reason: str

    @property
    def ok(self) -> bool:
        return self.status is Status.COMPLETE


def check_result(stack: StackRecord, resources: list[ResourceRecord]) -> RemoteCheck:
    checked = [r for r in resources if r.physical_id]
    return RemoteCheck([RemoteReport(r) for r in checked], stack.status, stack.status_reason)
