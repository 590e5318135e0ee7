"""What every emulated Neutron collection shares: the call context, records, lookups, errors.

A ``Collection`` describes one resource kind (``networks``, ``vpn/vpnservices``...)
and implements its create/update/delete/view; ``neutron.routes`` turns it into
HTTP routes. Records live in ``emu.store`` under (region, kind) with the wire
names Neutron answers with; keys starting with ``_`` are internal (never sent).
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from crossheat.emulator.core import ApiError, Auth, Emulator, Record, iso_now, neutron_error

#: Serialises every change to Neutron state (handlers and Nova's in-process calls).
LOCK = threading.RLock()

#: Query keys that are never filters.
NON_FILTERS = frozenset(
    {
        "fields",
        "limit",
        "marker",
        "sort_key",
        "sort_dir",
        "page_reverse",
        "tags",
        "tags-any",
        "not-tags",
        "not-tags-any",
        "all_projects",
        "all_tenants",
    }
)


@dataclass
class Ctx:
    """One call: which emulator, which region, who."""

    emu: Emulator
    region: str
    auth: Auth
    #: Filled by a collection's ``prepare`` (e.g. VPN endpoints of other clouds).
    extra: dict[str, Any] = field(default_factory=dict)

    def records(self, kind: str) -> list[Record]:
        """Every record of ``kind`` in this region, all projects."""
        return self.emu.store.records(self.region, kind)

    def insert(self, kind: str, record: Record) -> Record:
        return self.emu.store.insert(self.region, kind, record)

    def save(self, kind: str, record: Record) -> None:
        self.emu.store.save(self.region, kind, record)

    def delete(self, kind: str, id_: str) -> None:
        self.emu.store.delete(self.region, kind, id_)

    def get(self, kind: str, id_: str) -> Record | None:
        return self.emu.store.get(self.region, kind, id_)


def bad_request(message: str) -> ApiError:
    return neutron_error(400, "HTTPBadRequest", message)


def not_found(label: str, id_: str) -> ApiError:
    """404 ``NetworkNotFound`` etc.: ``label`` is the part before ``NotFound``."""
    return neutron_error(404, f"{label}NotFound", f"{label} {id_} could not be found.")


def stamp(ctx: Ctx, record: Record, project_id: str | None = None) -> Record:
    """Add the attributes every Neutron resource has (ids, times, revision, description)."""
    now = iso_now()
    project = ctx.auth.project_id if project_id is None else project_id
    record.setdefault("description", "")
    record.update(
        project_id=project,
        tenant_id=project,
        created_at=now,
        updated_at=now,
        revision_number=0,
    )
    return record


def touch(record: Record) -> None:
    """Mark a record changed: ``updated_at`` and ``revision_number``."""
    record["updated_at"] = iso_now()
    record["revision_number"] = int(record.get("revision_number", 0)) + 1


def public(record: Record) -> Record:
    """The record as sent on the wire: without internal ``_`` keys."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


def body_project(ctx: Ctx, body: Record) -> str:
    """The owner a create asks for: only an admin may create for another project."""
    wanted = body.get("project_id") or body.get("tenant_id") or ctx.auth.project_id
    if wanted != ctx.auth.project_id and not ctx.auth.is_admin:
        raise neutron_error(403, "HTTPForbidden", "Only admin can create for another project.")
    return str(wanted)


def check_quota(ctx: Ctx, kind: str, quota: str, project_id: str) -> None:
    """409 ``OverQuota`` when ``project_id`` already has its quota of ``kind``."""
    limit = ctx.emu.quota(quota, ctx.region)
    records = ctx.records(kind)
    if len(records) < limit:
        return
    if sum(1 for r in records if r.get("project_id") == project_id) >= limit:
        raise neutron_error(
            409, "OverQuota", f"Quota exceeded for resources: ['{quota.rstrip('s')}']."
        )


def pick(body: Record, defaults: dict[str, Any]) -> Record:
    """``defaults`` overridden by what ``body`` gives for the same keys."""
    return {key: body.get(key, value) for key, value in defaults.items()}


def require(body: Record, *keys: str) -> None:
    for key in keys:
        if body.get(key) in (None, ""):
            raise bad_request(f"Failed to parse request. Required attribute '{key}' not specified")


def ready_at(ctx: Ctx, kind: str) -> float:
    """When a resource created now finishes: now plus a latency sample of ``kind``."""
    return time.time() + ctx.emu.config.latency.sample(kind)


class Collection(ABC):
    """One Neutron resource kind. Subclasses override the hooks they need.

    ``kind`` is the store kind and JSON collection key (``networks``), ``key``
    the JSON key of one item (``network``), ``path`` the URL after ``/v2.0/``,
    ``label`` the 404 type prefix.
    """

    kind: ClassVar[str]
    key: ClassVar[str]
    path: ClassVar[str]
    label: ClassVar[str]
    #: Latency kind a create call waits for; ``None`` for resources with a status lifecycle
    #: (they answer at once and change status when their ``ready_at`` passes).
    latency: ClassVar[str | None]
    tagged: ClassVar[bool] = False

    @property
    def delete_latency(self) -> str:
        """Latency kind a delete call waits for: ``{kind}_delete`` (which falls back to
        ``{kind}``) of the create's kind, or for a resource with a status lifecycle of the
        kind its status waits for (``port``, ``vpnservice``...), which is its ``key``.
        Neutron deletes synchronously, so the call itself takes the time."""
        return f"{self.latency or self.key}_delete"

    #: Attributes a PUT may change; others give 400.
    updatable: ClassVar[frozenset[str]] = frozenset({"name", "description"})

    def visible(self, ctx: Ctx, record: Record) -> bool:
        return ctx.emu.visible(record, ctx.auth)

    def find(self, ctx: Ctx, id_: str) -> Record:
        """The record ``id_`` if the caller may see it, else 404."""
        record = ctx.get(self.kind, id_)
        if record is None or not self.visible(ctx, record):
            raise not_found(self.label, id_)
        return record

    async def prepare(self, ctx: Ctx) -> None:
        """Called before reads; may fetch what ``view`` needs (nothing by default)."""
        return None

    def view(self, ctx: Ctx, record: Record) -> Record:
        """The record as the caller sees it now (computed status)."""
        return public(record)

    @abstractmethod
    def create(self, ctx: Ctx, body: Record) -> Record:
        """Validate ``body`` (the unwrapped JSON), store and return the new record."""

    def update(self, ctx: Ctx, record: Record, body: Record) -> Record:
        """Apply a PUT: only ``updatable`` attributes, then ``touch``."""
        unknown = set(body) - self.updatable
        if unknown:
            raise bad_request(f"Cannot update read-only attribute(s) {sorted(unknown)}")
        self.check_update(ctx, record, body)
        record.update(body)
        touch(record)
        ctx.save(self.kind, record)
        return record

    def check_update(self, ctx: Ctx, record: Record, body: Record) -> None:
        """Raise when this update is not allowed (subclasses; anything goes by default)."""
        return None

    def delete(self, ctx: Ctx, record: Record) -> None:
        ctx.delete(self.kind, record["id"])
