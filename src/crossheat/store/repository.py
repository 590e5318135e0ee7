"""``Store``: the one object through which crossheat reads and writes its state.

    store = Store.open()                  # $CROSSHEAT_DATABASE_URL or the SQLite file
    stack = store.create_stack("vpn", project_id, StackSpec(template=...))
    store.acquire_lock(stack.id, Action.CREATE, engine_id)
    ...
    store.close()

Methods are synchronous, each one short transaction; the async engine calls
them through ``asyncio.to_thread``. They return plain records
(``StackRecord``, ``StackSummary``, ``ResourceRecord``, ``EventRecord``), never ORM
objects. The methods live in ``_stacks``, ``_summaries``, ``_resources``, ``_events``,
``_readiness`` (what the poll schedules learn), ``locks``, ``_software``, ``_rotation``,
``_metrics`` (what ``/metrics`` counts) and ``jobs`` (the job queue's, PostgreSQL only).
"""

from __future__ import annotations

from crossheat.store._deliveries import DeliveryQueries
from crossheat.store._events import EventQueries
from crossheat.store._metrics import MetricQueries
from crossheat.store._nested import NestedQueries
from crossheat.store._nestedview import NestedViews
from crossheat.store._readiness import ReadinessQueries
from crossheat.store._resources import ResourceQueries
from crossheat.store._rotation import RotationQueries
from crossheat.store._software import SoftwareQueries
from crossheat.store._stacks import StackQueries
from crossheat.store._summaries import SummaryQueries
from crossheat.store.database import database_url, make_engine, migrate
from crossheat.store.jobs import JobQueries
from crossheat.store.locks import LockQueries
from crossheat.store.secrets import SecretBox


class Store(
    StackQueries,
    NestedQueries,
    NestedViews,
    SummaryQueries,
    ResourceQueries,
    EventQueries,
    ReadinessQueries,
    LockQueries,
    SoftwareQueries,
    RotationQueries,
    JobQueries,
    MetricQueries,
    DeliveryQueries,
):
    """Stacks, resources, events and locks (and software configs) in one SQL database."""

    @classmethod
    def open(
        cls, url: str | None = None, *, secret_box: SecretBox | None = None, operations: int = 1
    ) -> Store:
        """Connect to ``url`` (default: ``database_url()``) and migrate it to the latest schema.

        ``secret_box`` defaults to the deployment's key ring (``SecretBox.from_environment``);
        ``operations``: how many this process runs at once (sizes the connection pool).
        """
        box = secret_box or SecretBox.from_environment()  # a key problem: before connecting
        engine = make_engine(database_url(url), operations)
        try:
            migrate(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, box)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
