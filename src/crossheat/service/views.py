"""How the service shows a resource and an event (Heat's field names, crossheat's region):
light, for the faces to render records with, whichever service gave them."""

from __future__ import annotations

from typing import Any

from crossheat.store.records import EventRecord, ResourceRecord

__all__ = ["event_dict", "resource_dict", "time_text"]


def resource_dict(record: ResourceRecord) -> dict[str, Any]:
    return {
        "resource_name": record.name,
        "physical_resource_id": record.physical_id or "",
        "resource_type": record.type,
        "resource_status": record.resource_status,
        "resource_status_reason": record.status_reason,
        "region": record.region,
        "updated_time": time_text(record.updated_at or record.created_at),
    }


def event_dict(event: EventRecord) -> dict[str, Any]:
    return {
        "id": event.id,
        "event_time": time_text(event.timestamp),
        "region": event.region,
        "resource_name": event.resource_name,
        "logical_resource_id": event.resource_name,
        "physical_resource_id": event.physical_id or "",
        "resource_type": event.resource_type,
        "resource_status": f"{event.action}_{event.status}",
        "resource_status_reason": event.reason,
    }


def time_text(value: Any) -> str | None:
    """Heat's ``2024-05-01T10:00:00Z``; None for None."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None
