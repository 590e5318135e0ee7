"""The tables, as SQLAlchemy 2 typed ORM classes.

The migrations under ``migrations/versions`` create exactly these tables
(a test compares them). Timestamps are stored in UTC with microseconds and
read back as aware ``datetime``; JSON columns are JSONB on PostgreSQL (whose dialect
is imported only when a PostgreSQL database is used: a command on SQLite starts sooner).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A ``datetime`` stored in UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JSONValue(TypeDecorator[Any]):
    """JSON, stored as JSONB on PostgreSQL. ``None`` is stored as SQL NULL (not JSON
    ``null``), so ``intent IS NULL`` means "no intent"."""

    impl = JSON(none_as_null=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB(none_as_null=True))
        return dialect.type_descriptor(JSON(none_as_null=True))


JSONType = JSONValue()
EventId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class db_now(FunctionElement[datetime]):
    """The database server's clock, in UTC: lock times and staleness are judged by it,
    so engines on hosts whose clocks disagree still agree on who is alive."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(db_now)
def _now_default(element: db_now, compiler: SQLCompiler, **kw: object) -> str:
    return "CURRENT_TIMESTAMP"


@compiles(db_now, "postgresql")
def _now_postgresql(element: db_now, compiler: SQLCompiler, **kw: object) -> str:
    return "now()"


@compiles(db_now, "sqlite")
def _now_sqlite(element: db_now, compiler: SQLCompiler, **kw: object) -> str:
    # Microseconds, as the DATETIME columns store them, so the texts compare in order.
    return "strftime('%Y-%m-%d %H:%M:%f000', 'now')"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType}


class StackRow(Base):
    __tablename__ = "stacks"
    __table_args__ = (
        Index(
            "uq_stacks_live_name",
            "project",
            "name",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    project: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("stacks.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str] = mapped_column(Text, default="")
    template: Mapped[dict[str, Any]]
    template_path: Mapped[str | None] = mapped_column(Text)
    files: Mapped[dict[str, Any]]
    environment: Mapped[dict[str, Any]]
    parameters: Mapped[dict[str, Any]]
    disable_rollback: Mapped[bool] = mapped_column(Boolean)
    timeout_mins: Mapped[int | None]
    region_map: Mapped[dict[str, Any]]
    #: The spec before the current update (template, files, environment, parameters, ...).
    previous: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    lock_operation: Mapped[str | None] = mapped_column(String(16))
    lock_engine_id: Mapped[str | None] = mapped_column(String(255))
    lock_acquired_at: Mapped[datetime | None]
    lock_heartbeat_at: Mapped[datetime | None]
    #: When ``stack cancel`` asked the holder to stop (read by the holder every second).
    lock_cancel_requested_at: Mapped[datetime | None]


class ResourceRow(Base):
    __tablename__ = "resources"
    #: (stack_id, name) also serves lookups by stack_id alone.
    __table_args__ = (Index("ix_resources_stack_id_name", "stack_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    stack_id: Mapped[str] = mapped_column(String(36), ForeignKey("stacks.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(255))
    region: Mapped[str | None] = mapped_column(String(255))
    physical_id: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str] = mapped_column(Text, default="")
    properties: Mapped[dict[str, Any]]
    attributes: Mapped[dict[str, Any]]
    progress: Mapped[dict[str, Any] | None]
    intent: Mapped[dict[str, Any] | None]
    replaces: Mapped[str | None] = mapped_column(String(36))
    replaced_by: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (Index("uq_events_stack_id_seq", "stack_id", "seq", unique=True),)

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    stack_id: Mapped[str] = mapped_column(String(36), ForeignKey("stacks.id", ondelete="CASCADE"))
    #: The event's number in its stack (1, 2, ...), in the order the events committed
    #: (``store/_events.py`` says why): readers page and follow by it, not by ``id``.
    seq: Mapped[int] = mapped_column(Integer)
    resource_name: Mapped[str] = mapped_column(String(255))
    resource_type: Mapped[str] = mapped_column(String(255))
    physical_id: Mapped[str | None] = mapped_column(String(255))
    region: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)


class EventSequenceRow(Base):
    """The last event number given in a stack; the row is locked from giving the next
    number until that event's transaction ends, which orders a stack's events by commit."""

    __tablename__ = "event_sequences"

    stack_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("stacks.id", ondelete="CASCADE"), primary_key=True
    )
    last_seq: Mapped[int] = mapped_column(Integer)


class ReadinessRow(Base):
    """When a polled action's resource became ready, in seconds from the action's start:
    after ``not_ready_at``, by ``ready_by`` (``engine.pacing``); of any stack, kept after
    it is gone."""

    __tablename__ = "readiness"
    __table_args__ = (
        Index("ix_readiness_resource_type_region_action_id", "resource_type", "region",
              "action", "id"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    resource_type: Mapped[str] = mapped_column(String(255))
    region: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(16))
    not_ready_at: Mapped[float] = mapped_column(Float)
    ready_by: Mapped[float] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDeliveryRow(Base):
    """A webhook POST still to make (``service._webhooks``): kept until it is delivered or
    dropped, so that one a process could not finish (it died, or exited while the URL
    kept failing) is made by another. ``target`` holds the URL sealed (it may carry a
    token): ``{"url": "enc:v1:..."}``. A process trying it holds it until
    ``claimed_until``."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due_at", "due_at"),)

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(64))
    target: Mapped[dict[str, Any]] = mapped_column(JSONType)
    body: Mapped[str] = mapped_column(Text)
    #: Attempts made so far.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SoftwareConfigRow(Base):
    """A software config (Heat's ``/software_configs``): stored, never run by crossheat."""

    __tablename__ = "software_configs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    group: Mapped[str | None] = mapped_column(String(255))
    #: ``{"config", "inputs", "outputs", "options"}``, as Heat keeps it.
    config: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SoftwareDeploymentRow(Base):
    """A software deployment of a config to a server (Heat's ``/software_deployments``)."""

    __tablename__ = "software_deployments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project: Mapped[str] = mapped_column(String(255), index=True)
    stack_user_project_id: Mapped[str | None] = mapped_column(String(64))
    config_id: Mapped[str] = mapped_column(String(36), ForeignKey("software_configs.id"))
    server_id: Mapped[str] = mapped_column(String(255), index=True)
    input_values: Mapped[dict[str, Any] | None]
    output_values: Mapped[dict[str, Any] | None]
    action: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(255))
    status_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]


class ChangeRow(Base):
    """A counter of commits changing stacks or resources (PostgreSQL's triggers add to it:
    migration 0006; ``store/_changes.py`` sums them). Empty on SQLite."""

    __tablename__ = "changes"

    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    counter: Mapped[int] = mapped_column(BigInteger)


class WorkerRow(Base):
    """A ``crossheat worker`` running (``crossheat worker list``); its id and heartbeat are
    procrastinate's (``procrastinate_workers``, PostgreSQL only)."""

    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    concurrency: Mapped[int]
    queues: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime]


def use_postgresql() -> None:
    """Give the tables their PostgreSQL options, once a PostgreSQL database is used:
    naming one in a table's definition loads that dialect (~50 ms), which a command on
    SQLite does without. Idempotent."""
    (index,) = (
        i for i in Base.metadata.tables["stacks"].indexes if i.name == "uq_stacks_live_name"
    )
    index.dialect_options["postgresql"]["where"] = text("deleted_at IS NULL")
