"""crossheat's state: stacks, resources, events and locks in SQLite or PostgreSQL.

Everything callers need is re-exported here::

    from crossheat.store import Action, Status, StackSpec, Store, new_engine_id
"""

from crossheat.store._events import EventCursor
from crossheat.store.database import database_url
from crossheat.store.locks import DEFAULT_STALE_AFTER, new_engine_id
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
from crossheat.store.repository import Store
from crossheat.store.secrets import SecretBox

__all__ = [
    "DEFAULT_STALE_AFTER",
    "STACK_EVENT_TYPE",
    "Action",
    "EventCursor",
    "EventRecord",
    "LockInfo",
    "ResourceRecord",
    "SecretBox",
    "StackRecord",
    "StackSpec",
    "Status",
    "Store",
    "database_url",
    "new_engine_id",
]
