"""crossheat's state: stacks, resources, events and locks in SQLite or PostgreSQL.

Everything callers need is re-exported here::

    from crossheat.store import Action, Status, StackSpec, Store, new_engine_id

Each name is imported when first asked for, so that ``Action`` or ``StackRecord``
does not load SQLAlchemy (``Store`` does): commands that never open the database,
or read it without SQLAlchemy (``crossheat.service.listing``), start faster.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crossheat.store._deliveries import NOTICE, PendingDelivery, notice_lock
    from crossheat.store._events import EventCursor
    from crossheat.store._rotation import Rotation, SealedCensus
    from crossheat.store._software import SoftwareConfigRecord, SoftwareDeploymentRecord
    from crossheat.store.database import database_url
    from crossheat.store.locks import DEFAULT_STALE_AFTER, new_engine_id
    from crossheat.store.records import (
        STACK_EVENT_TYPE,
        Action,
        EventRecord,
        LockInfo,
        Readiness,
        ResourceRecord,
        StackRecord,
        StackSpec,
        StackSummary,
        Status,
        summary_of,
    )
    from crossheat.store.repository import Store
    from crossheat.store.secrets import SecretBox

_HOMES = {
    "crossheat.store._deliveries": ["NOTICE", "PendingDelivery", "notice_lock"],
    "crossheat.store._events": ["EventCursor"],
    "crossheat.store._rotation": ["Rotation", "SealedCensus"],
    "crossheat.store._software": ["SoftwareConfigRecord", "SoftwareDeploymentRecord"],
    "crossheat.store.database": ["database_url"],
    "crossheat.store.locks": ["DEFAULT_STALE_AFTER", "new_engine_id"],
    "crossheat.store.records": [
        "STACK_EVENT_TYPE", "Action", "EventRecord", "LockInfo", "Readiness", "ResourceRecord",
        "StackRecord", "StackSpec", "StackSummary", "Status", "summary_of",
    ],
    "crossheat.store.repository": ["Store"],
    "crossheat.store.secrets": ["SecretBox"],
}  # fmt: skip
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "DEFAULT_STALE_AFTER",
    "NOTICE",
    "STACK_EVENT_TYPE",
    "Action",
    "EventCursor",
    "EventRecord",
    "LockInfo",
    "PendingDelivery",
    "Readiness",
    "ResourceRecord",
    "Rotation",
    "SealedCensus",
    "SecretBox",
    "SoftwareConfigRecord",
    "SoftwareDeploymentRecord",
    "StackRecord",
    "StackSpec",
    "StackSummary",
    "Status",
    "Store",
    "database_url",
    "new_engine_id",
    "notice_lock",
    "summary_of",
]


def __getattr__(name: str) -> Any:
    home = _HOME_OF.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
