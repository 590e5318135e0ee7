"""Stack operations: create (with rollback) and delete, across every region at once.

One graph for the whole stack: every resource starts as soon as what it
needs is done, whatever its region, with at most ``concurrency`` resources
at work per region. A failure skips what depends on it, lets what runs
finish, and reports the root cause; rollback then deletes what was created.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from crossheat.clouds.driver import RegionClients
from crossheat.clouds.regionmap import RegionMap, resource_region
from crossheat.engine import nested_timeout
from crossheat.engine.actions import Runtime, create_resource, delete_resource
from crossheat.engine.context import LiveResource, RuntimeContext
from crossheat.engine.tunnels import wait_for_tunnels
from crossheat.engine.walker import WalkResult, walk
from crossheat.errors import CrossheatError, OperationCancelled, StackError, TemplateError
from crossheat.graph import Graph
from crossheat.redact import leaf_texts, mask_paths
from crossheat.resources.dependencies import dependency_graph
from crossheat.resources.estimates import calls_cloud, estimate
from crossheat.resources.lifecycle import ResourceContext
from crossheat.resources.registry import Registry, ResourceType
from crossheat.resources.schema import canonical_path
from crossheat.resources.tunnels import CONNECTION, tunnel_pairs
from crossheat.resources.types.vpnaas import PEER_OUTSIDE_STACK
from crossheat.store import Action, ResourceRecord, StackRecord, StackSpec, Status, Store
from crossheat.template import PlanContext, Template, resolve
from crossheat.template.taint import resolve_tainted
from crossheat.template.values import contains_unknown

log = logging.getLogger(__name__)

#: Lookups made ahead start at the cloud's first answer to a create, or after this long.
PREFETCH_AFTER = 2.0
#: The services (openstacksdk's names) whose API versions an operation finds ahead, in
#: each region, for the types it has there: Nova's is a request before its first call.
SERVICES = (("OS::Nova::", "compute"),)


@dataclass
class EngineOptions:
    concurrency: int = 10  # per region
    #: How long tunnels may take to come up once both ends exist (within the stack timeout).
    tunnel_timeout: float = 120.0
    default_timeout_mins: int = 60


@dataclass
class Operation:
    """One create or delete of one stack, in this process."""

    store: Store
    registry: Registry
    stack: StackRecord
    template: Template
    clients: RegionClients | None
    region_map: RegionMap | None
    options: EngineOptions = field(default_factory=EngineOptions)
    live: dict[str, LiveResource] = field(default_factory=dict)
    records: dict[str, ResourceRecord] = field(default_factory=dict)
    #: Set to stop gracefully (``stack cancel``): nothing new starts, the operation fails.
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    #: Each resource's region and the dependency graph as the command's analysis found
    #: them; worked out once from ``template`` when not given (a stack read from the store).
    placement: dict[str, str] = field(default_factory=dict)
    dependencies: Graph[str] | None = None
    #: The resources whose create has started in this operation.
    creating: set[str] = field(default_factory=set)
    #: The nested stacks whose own timeout passed in this operation: action and reason.
    timed_out: dict[str, tuple[Action, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._nested_ids: dict[str, str] | None = None
        if not self.placement:
            self.placement = {
                name: resource_region(definition.region, self.region_map)
                for name, definition in self.template.resources.items()
            }
        if self.dependencies is None:
            self.dependencies = dependency_graph(self.template)
        self._graph: Graph[str] = self.dependencies
        workers = max(8, self.options.concurrency * max(1, len(self.regions())) + 4)
        self.pool = ThreadPoolExecutor(workers, "crossheat-engine")
        self.rt = Runtime(
            self.store, self.clients, self.region_map, self.pool, self.stack.id, self.stack.name,
            extras=lone_connections(self.template),
        )  # fmt: skip
        self.rt.update_policies = {
            name: resolve(d.update_policy, PlanContext())
            for name, d in self.template.resources.items()
            if d.update_policy
        }

    def regions(self) -> set[str]:
        return {self.region_of(name) for name in self.template.resources}

    def region_of(self, name: str) -> str:
        return self.placement[name]

    def graph(self) -> Graph[str]:
        return self._graph

    def type_of(self, name: str) -> type[ResourceType]:
        cls = self.registry.get(self.template.resources[name].type)
        if cls is None:
            raise StackError(f"resource {name}: unknown type {self.template.resources[name].type}")
        return cls

    def chains(self, *, reverse: bool = False) -> dict[str, float]:
        """Each resource's longest chain of estimated durations to the end of the walk
        (``reverse``: of a delete, which runs the graph backwards): the walk starts the
        longest first among those ready together, so the critical path gets the
        cloud's first answers and the engine's first attention."""
        weights = {name: estimate(d.type) for name, d in self.template.resources.items()}
        graph = self.graph()
        if reverse:
            return graph.earliest_finish(weights)
        tail: dict[str, float] = {}
        for name in reversed(graph.topological_order()):
            after = [tail[d] for d in graph.dependents(name)]
            tail[name] = weights.get(name, 0.0) + max(after, default=0.0)
        return tail

    def timeout(self) -> float:
        minutes = self.stack.spec.timeout_mins or self.options.default_timeout_mins
        return minutes * 60.0

    def close(self) -> None:
        self.rt.answered.set()  # lookups still waiting to start give up
        self.creating.update(self.template.resources)
        self.pool.shutdown(wait=False, cancel_futures=True)

    # ---- bookkeeping -------------------------------------------------------------------

    def prepare_records(self) -> None:
        """One row per resource of the template, in its region (INIT until created)."""
        existing = {
            r.name: r for r in self.store.list_resources(self.stack.id) if not r.replaced_by
        }
        missing = [
            (name, d.type, self.region_of(name))
            for name, d in self.template.resources.items()
            if name not in existing
        ]
        existing.update({r.name: r for r in self.store.add_resources(self.stack.id, missing)})
        for name in self.template.resources:
            record = existing[name]
            self.records[name] = record
            if record.physical_id:
                self.live[name] = LiveResource(
                    name, self.region_of(name), record.physical_id, dict(record.attributes)
                )

    def prepare_live(self) -> None:
        """What the store knows of every current resource (for outputs and get_attr)."""
        self.live.update(live_resources(self.store.list_resources(self.stack.id)))

    def context(self) -> RuntimeContext:
        """What resolves this stack's values now (the resources done so far)."""
        return RuntimeContext(self.live, self.stack.name, self.nested_ids())

    def nested_ids(self) -> dict[str, str]:
        """The ids of the stack's nested stacks, by resource name (read once per sync); the
        nested stacks the template adds are made first (what names them needs their ids)."""
        if self._nested_ids is None:
            specs = nested_specs(self.template)
            ids = self.store.nested_ids(self.stack.id)
            if not set(specs) <= set(ids):
                now = self.store.get_stack(self.stack.id)
                self.store.sync_nested(
                    self.stack.id, specs, now.action, now.status, now.status_reason
                )
                ids = self.store.nested_ids(self.stack.id)
            self._nested_ids = ids
        return self._nested_ids

    def stack_status(self, action: Action, status: Status, reason: str) -> None:
        self.store.update_stack_status(self.stack.id, action, status, reason, event=True)
        self.store.sync_nested(self.stack.id, nested_specs(self.template), action, status, reason)
        nested_timeout.keep_timed_out(self.store, self.stack.id, self.timed_out, action, status)
        self._nested_ids = None

    def remember_secrets(self) -> None:
        """Tell the store the hidden parameters' values (to seal and scrub wherever they go),
        and have it load the secrets it holds already."""
        texts = self.template.hidden_values()
        if texts:
            self.store.remember_secrets(self.stack.id, texts)
        self.store.secret_texts(self.stack.id)

    # ---- create ------------------------------------------------------------------------

    def resolved_properties(self, name: str, cls: type[ResourceType]) -> dict[str, Any]:
        """``name``'s properties resolved now; where hidden parameters reached them is kept
        in ``rt.tainted`` (sealed like secret properties) and their texts told to the store."""
        texts = self.store.secret_texts(self.stack.id)
        definition = self.template.resources[name]
        value, paths = resolve_tainted(definition.properties, self.context(), texts)
        props = value if isinstance(value, dict) else {}
        if contains_unknown(props):
            raise StackError(f"resource {name}: a value it needs is not known yet")
        problems = cls.validate(props, ("resources", name, "properties"))
        if problems:
            raise TemplateError(problems)
        full = cls.with_defaults(props)
        tainted = [canonical_path(cls.properties_schema, path) for path in paths]
        self.rt.tainted[name] = tainted
        derived = leaf_texts(full, tainted) - texts
        if derived:
            self.store.remember_secrets(self.stack.id, derived)
        return full

    async def create_one(self, name: str) -> None:
        record = self.records[name]
        done = record.status is Status.COMPLETE and record.action not in (
            Action.INIT,
            Action.DELETE,
        )
        if done and record.physical_id:
            return  # resuming: created before the crash
        self.creating.add(name)
        cls = self.type_of(name)
        props = self.resolved_properties(name, cls)
        secret_paths = [(k,) for k, p in cls.properties_schema.items() if p.secret]
        secrets = [str(props[k]) for (k,) in secret_paths if props.get(k)]
        if secrets:
            await self.rt.run(self.store.remember_secrets, self.stack.id, secrets)
        try:
            ctx = await create_resource(self.rt, record, cls, props)
        except CrossheatError as exc:
            await self.rt.run(self._failed, record, Action.CREATE, exc)
            raise
        self.live[name] = LiveResource(name, record.region or "", ctx.physical_id, ctx.attributes)

    def _failed(self, record: ResourceRecord, action: Action, exc: BaseException) -> None:
        self.store.set_resource_status(record.id, action, Status.FAILED, _reason(exc), event=True)

    def connect(self, endpoints: bool = False) -> None:
        """Connect to the regions where the stack has cloud resources and authenticate,
        each region in a worker thread, beside the bookkeeping before the first call
        (``RegionClients.authenticate``); with ``endpoints``, find the API versions of
        the services its types call there too (``SERVICES``): a delete's first calls are
        to Nova, which would ask for its version first; a create's first are to Neutron,
        and they would wait for it."""
        if self.clients is None:
            return
        services: dict[str, set[str]] = {}
        for name, definition in self.template.resources.items():
            if calls_cloud(definition.type):
                wanted = services.setdefault(self.region_of(name), set())
                if endpoints:
                    wanted.update(s for prefix, s in SERVICES if definition.type.startswith(prefix))
        for region in sorted(services):
            self.pool.submit(self.clients.authenticate, [region], services)

    def learn_durations(self, action: Action) -> None:
        """Read, in a worker thread, how long ``action`` took lately on each type and
        region of the stack (``engine.pacing``), while the first calls are on their way."""
        # A delete is paced by the creates' durations until its own are known.
        actions = {action.value, Action.CREATE.value}
        keys = {
            (d.type, self.region_of(n), what)
            for n, d in self.template.resources.items()
            for what in actions
        }
        self.pool.submit(self.rt.durations.load, sorted(keys))

    def prefetch(self) -> None:
        """Start the lookups of the resources still to create, in worker threads, from the
        properties known now (``engine.prefetch``): once the cloud has answered a first
        create (the first creates are on their way then, and it is waiting for them),
        for each resource whose create has not started yet."""
        for name, definition in self.template.resources.items():
            cls = self.registry.get(definition.type)
            if cls is None or cls.prefetch is ResourceType.prefetch:
                continue
            record = self.records[name]
            if record.physical_id:
                continue  # resuming: made before the crash
            try:
                value = resolve(definition.properties, self.context())
            except CrossheatError:
                continue  # the create will say what is wrong
            if not isinstance(value, dict):
                continue
            known = {k: v for k, v in value.items() if not contains_unknown(v)}
            ctx = self.rt.context(record, ahead=True)
            self.pool.submit(self._prefetch_one, cls(), ctx, known)

    def _prefetch_one(
        self, plugin: ResourceType, ctx: ResourceContext, props: dict[str, Any]
    ) -> None:
        self.rt.answered.wait(PREFETCH_AFTER)
        if ctx.name in self.creating:
            return  # its create makes its lookups itself
        try:
            plugin.prefetch(ctx, props)
        except Exception as exc:  # the create makes the call again and meets the error itself
            log.debug("%s: lookups ahead failed: %s", ctx.name, exc)

    async def create(self, action: Action = Action.CREATE) -> StackRecord:
        """Create every resource, wait for tunnels, roll back on failure unless disabled.
        ``action`` ADOPT: Heat's adopt, whose resources recorded with a physical id
        beforehand are taken as they are (waited for and read, not created)."""
        self.connect()
        await self.rt.run(self.prepare_records)
        await self.rt.run(self.remember_secrets)
        self.learn_durations(Action.CREATE)
        self.prefetch()
        started = time.monotonic()
        self.rt.interrupt = self.stop  # a cancel cuts the creates' waits short
        clocks = nested_timeout.clocks(
            self.rt, self.template, self.placement, action, self.timed_out, self.stack.name
        )
        try:
            result = await walk(
                self.graph(), clocks.guard(self.create_one), group=self.region_of,
                default_limit=self.options.concurrency, timeout=self.timeout(), stop=self.stop,
                priority=self.chains(),
            )  # fmt: skip
        finally:
            self.rt.interrupt = None
            clocks.close()
        failure = _failure(result, action.value, self.timeout())
        if failure is None:
            remaining = self.timeout() - (time.monotonic() - started)
            failure = await wait_for_tunnels(self, min(remaining, self.options.tunnel_timeout))
        if failure is None:
            await self.rt.run(
                self.stack_status, action, Status.COMPLETE, f"Stack {action} completed successfully"
            )
            return await self.rt.run(self.store.get_stack, self.stack.id)
        await self.rt.run(self.stack_status, action, Status.FAILED, failure)
        if not self.stack.spec.disable_rollback:
            await self.rollback()
        return await self.rt.run(self.store.get_stack, self.stack.id)

    # ---- delete ------------------------------------------------------------------------

    async def delete_one(self, name: str) -> None:
        record = self.records[name]
        try:
            await delete_resource(self.rt, record, self.type_of(name))
        except CrossheatError as exc:
            await self.rt.run(self._failed, record, Action.DELETE, exc)
            raise

    async def _delete_all(self) -> WalkResult[str]:
        self.learn_durations(Action.DELETE)
        self.records = {
            r.name: r for r in await self.rt.run(self.store.list_resources, self.stack.id)
            if r.name in self.template.resources and not r.replaced_by
        }  # fmt: skip
        graph = self.graph().subgraph(self.records)
        return await walk(
            graph, self.delete_one, group=self.region_of,
            default_limit=self.options.concurrency, reverse=True, timeout=self.timeout(),
            priority=self.chains(reverse=True),
        )  # fmt: skip

    async def rollback(self) -> None:
        await self.rt.run(
            self.stack_status,
            Action.ROLLBACK,
            Status.IN_PROGRESS,
            "Rolling back: deleting what the stack created",
        )
        failure = _failure(await self._delete_all(), "DELETE", self.timeout())
        if failure is None:
            await self.rt.run(
                self.stack_status,
                Action.ROLLBACK,
                Status.COMPLETE,
                "Rollback completed: everything created was deleted",
            )
        else:
            await self.rt.run(self.stack_status, Action.ROLLBACK, Status.FAILED, failure)

    async def delete(self) -> StackRecord:
        self.connect(endpoints=True)
        await self.rt.run(
            self.stack_status, Action.DELETE, Status.IN_PROGRESS, "Stack DELETE started"
        )
        failure = _failure(await self._delete_all(), "DELETE", self.timeout())
        if failure is not None:
            await self.rt.run(self.stack_status, Action.DELETE, Status.FAILED, failure)
        else:
            await self.rt.run(
                self.stack_status,
                Action.DELETE,
                Status.COMPLETE,
                "Stack DELETE completed successfully",
            )
            await self.rt.run(self.store.soft_delete_stack, self.stack.id)
        return await self.rt.run(lambda: self.store.get_stack(self.stack.id, include_deleted=True))

    # ---- outputs -----------------------------------------------------------------------

    def outputs(self) -> list[dict[str, Any]]:
        """Heat's outputs: output_key, description, output_value (from stored attributes);
        what a hidden parameter or a secret reached is shown as ``******``."""
        texts = self.store.secret_texts(self.stack.id)
        return stack_outputs(self.template, self.live, texts, self.stack.name, self.nested_ids())


def nested_specs(template: Template) -> dict[str, StackSpec]:
    """The nested stacks of ``template``, by resource name: one for each of its template
    resources (``type: file.yaml``) and ``OS::Heat::Stack`` resources, and for theirs
    at every level, by path (``remote.sub``, whose nested stack's parent is remote's)."""
    return {
        path: StackSpec({"heat_template_version": t.version, "description": t.description})
        for path, t in template.nested_templates().items()
    }


def live_resources(records: Iterable[ResourceRecord]) -> dict[str, LiveResource]:
    """The current resources the store knows, by name (replaced rows left out)."""
    return {
        r.name: LiveResource(r.name, r.region or "", r.physical_id, dict(r.attributes))
        for r in records
        if r.replaced_by is None and r.physical_id
    }


def stack_outputs(
    template: Template,
    live: Mapping[str, LiveResource],
    secret_texts: set[str],
    stack_name: str = "",
    nested_ids: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Heat's outputs (output_key, description, output_value) resolved from ``live``, the
    stored attributes; what a hidden parameter or one of ``secret_texts`` reached is shown
    as ``******``. Reads only what it is given: no store, no cloud."""
    ctx = RuntimeContext(live, stack_name, nested_ids)
    texts = secret_texts | set(template.hidden_values())
    out = []
    for name, output in template.outputs.items():
        value, paths = resolve_tainted(output.value, ctx, texts)
        out.append({
            "output_key": name,
            "description": output.description or "No description given",
            "output_value": None if contains_unknown(value) else mask_paths(value, paths),
        })  # fmt: skip
    return out


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def lone_connections(template: Template) -> dict[str, dict[str, Any]]:
    """IPsec connections whose peer end is not in the stack, marked ``PEER_OUTSIDE_STACK``.

    Their create waits, as Heat's does, until the connection is ACTIVE and fails
    when it reads DOWN (a single-region piece of a split is deployable by stock
    Heat only if it is deployable this way); a pair inside the stack is waited
    for as a pair once both ends exist (``wait_for_tunnels``).
    """
    paired = {end.connection for pair in tunnel_pairs(template) for end in pair}
    return {
        name: {PEER_OUTSIDE_STACK: True}
        for name, definition in template.resources.items()
        if definition.type == CONNECTION and name not in paired
    }


def _failure(result: WalkResult[str], action: str, timeout: float) -> str | None:
    """Heat-style reason naming the root causes only; None when all went well."""
    if result.ok:
        return None
    cut = {name for name, exc in result.failed.items() if isinstance(exc, OperationCancelled)}
    if (result.cancelled or cut) and not result.timed_out and set(result.failed) == cut:
        interrupted = f"interrupted: {', '.join(sorted(cut))}; " if cut else ""
        not_started = ", ".join(sorted(result.cancelled)) or "none"
        return f"Stack {action} cancelled; {interrupted}not started: {not_started}"
    if result.timed_out:
        unfinished = ", ".join(sorted(result.cancelled)) or "none"
        return f"Stack {action} timed out after {timeout / 60:g} min; unfinished: {unfinished}"
    causes = dict.fromkeys(  # a nested stack that timed out once, not each resource it cut
        nested_timeout.nested_cause(exc) or f"{name}: {_reason(exc)}"
        for name, exc in sorted(result.failed.items())
    )
    return f"Resource {action} failed: " + "; ".join(causes)
