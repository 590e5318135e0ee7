"""The service's implementation; faces import ``crossheat.service``, which re-exports it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from crossheat.clouds.credentials import Caller
from crossheat.clouds.regionmap import RegionMap, load_region_map, region_map_path
from crossheat.engine.check import CheckResult
from crossheat.engine.diff import Diff
from crossheat.engine.spec import (
    content_reader,
    file_key,
    given_names,
    load_spec,
    make_spec,
    recording,
)
from crossheat.engine.stack import EngineOptions
from crossheat.errors import ConfigError, Diagnostic, Location, TemplateError
from crossheat.plan.analysis import Analysis
from crossheat.plan.pipeline import analyse_parsed
from crossheat.plan.plan import Plan, make_plan
from crossheat.resources.registry import Registry, default_registry
from crossheat.service import _acting as acting
from crossheat.service._catalog import Catalog
from crossheat.service._closing import Closing
from crossheat.service._heatops import HeatOps
from crossheat.service._heatviews import check_stack_name
from crossheat.service._notify import watch_operations
from crossheat.service._resourceviews import StackResources
from crossheat.service._secrets import SecretKeys
from crossheat.service._software import SoftwareConfigs
from crossheat.service._stacks import Stacks
from crossheat.service._started import PreparedUpdate
from crossheat.service._validate import validate_template
from crossheat.service.executor import (
    Executor,
    LocalExecutor,
    Started,
    View,
    reachable_caller,
    run_in_process,
)
from crossheat.service.inputs import DiskFiles, Inputs, Parsed, Source, reader, text_of
from crossheat.service.queue import QueueExecutor, executor_from_environment
from crossheat.store import (
    Action,
    EventCursor,
    EventRecord,
    ResourceRecord,
    StackRecord,
    Store,
    database_url,
    new_engine_id,
)
from crossheat.template import parse_content

if TYPE_CHECKING:  # the split pulls in the solver: imported when a split is asked for
    from crossheat.plan.split.solve import SplitResult
    from crossheat.plan.split.templates import PieceTemplate


class Service(Closing):
    """Validate, plan, split; create, update, delete, resume, cancel, check stacks; show
    them, their resources, events and outputs. Close it (or use it as a context manager)."""

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        database_url: str | None = None,
        options: EngineOptions | None = None,
        executor: Executor | None = None,
        project: str | None = None,
        every_project: bool = False,
        operations: int = 1,
        caller: Caller = None,
    ) -> None:
        self._registry = registry
        self._database_url = database_url
        self.options = options or EngineOptions()
        #: Operations this process runs at once (a worker's, a server's): sizes the pool.
        self.operations = operations
        self.executor: Executor = executor or executor_from_environment(self) or LocalExecutor()
        #: The project whose stacks this service sees and creates (None: ``CROSSHEAT_PROJECT``
        #: or "default"); ``every_project``: an admin's reads across projects.
        self.project = project
        self.every_project = every_project
        #: Who ``credentials: caller`` regions act as (``crossheat.clouds.credentials``).
        self.caller = caller
        self._store: Store | None = None
        #: False when the store is another service's (``scoped``): ``close`` leaves it open.
        self._owns_store = True

    def close(self) -> None:
        if self._store is not None and self._owns_store:
            self._store.close()
        self._store = None

    def scoped(
        self, project: str, *, every_project: bool = False, caller: Caller = None
    ) -> Service:
        """A service for one project (a server's request, acting as ``caller``) sharing this
        one's database connection pool, registry and executor; ``close`` leaves them open."""
        view = Service(
            self.registry, database_url=self._database_url, options=self.options,
            executor=self.executor, project=project, every_project=every_project,
            operations=self.operations, caller=caller,
        )  # fmt: skip
        view._store = self.store()
        view._owns_store = False
        return view

    @cached_property
    def registry(self) -> Registry:
        return self._registry or default_registry()

    def region_map(self, path: str | Path | None = None) -> RegionMap | None:
        """The region map named by ``path``, the environment or the default file.

        ``None`` when no path is given and no file exists: templates are then
        checked without region checks.
        """
        implicit = path is None and not os.environ.get("CROSSHEAT_REGION_MAP")
        if implicit and not region_map_path().exists():
            return None
        return load_region_map(path)

    @property
    def database_url(self) -> str:
        """The state database's URL (the one given, else the configured one)."""
        return database_url(self._database_url)

    def store(self) -> Store:
        """The state database, opened (and migrated) on first use."""
        if self._store is None:
            store = Store.open(self._database_url, operations=self.operations)
            self._store = watch_operations(store)  # webhooks hear of operations' ends
        return self._store

    def heat(self, *, admin: bool = False) -> HeatOps:
        """Heat's API semantics over this service: lookups (``admin``: any project's stack
        by id), the list's filters and pages, Heat's views, and the operations Heat's API
        adds (PATCH, check, abandon...)."""
        return HeatOps(self, admin=admin)

    def secret_keys(self) -> SecretKeys:
        """The deployment's secret keys: a new key, re-encryption, retiring old keys."""
        return SecretKeys(self._database_url)

    def _stacks(self) -> Stacks:
        """The service layer's own stack operations (``_stacks``; not for faces)."""
        return Stacks(
            self.store(), self.registry, self.options, self.project, self.every_project,
            self._reachable(),
        )  # fmt: skip

    def _reachable(self) -> Caller:
        """Who ``credentials: caller`` regions can act as here (nobody through a queue)."""
        return reachable_caller(self.executor, self.caller)

    # ---- templates -----------------------------------------------------------------------

    def validate(self, inputs: Inputs) -> Analysis:
        """Every problem with the template, environment, parameters and regions;
        ``ConfigError`` when a region it uses cannot act as the caller."""
        analysis = self._parse(inputs, self.region_map(inputs.region_map)).analysis
        acting.check_caller(analysis.region_map, analysis.regions.values(), self._reachable())
        return analysis

    def _parse(
        self,
        inputs: Inputs,
        region_map: RegionMap | None,
        parameters: Mapping[str, str] | None = None,
    ) -> Parsed:
        """Parse and analyse ``inputs`` once, keeping every file read (to be stored)."""
        given = reader(inputs.files)
        extra: dict[str, str] = {}
        environments = []
        for index, env in enumerate(inputs.environments):
            source = env if isinstance(env, Source) else Source(f"environment-{index}.yaml", env)
            if source.content is not None:
                extra[file_key(source.name)] = text_of(source.content)
            environments.append(file_key(source.name))
        overlay = content_reader(extra)

        def read(path: Path) -> str:
            return overlay(path) if file_key(path) in extra else given(path)

        files: dict[str, str] = {}
        params = dict(inputs.parameters if parameters is None else parameters)
        name = inputs.template_name
        content = inputs.template
        if content is None:
            try:
                content = given(Path(name))
            except OSError as exc:
                problem = Diagnostic(f"cannot read template: {exc.strerror}", (), Location(name))
                analysis = analyse_parsed(None, [problem], registry=self.registry)
                return Parsed(analysis, "", files, environments)
        template, found = parse_content(
            content, name, environments, params, read=recording(read, files)
        )
        analysis = analyse_parsed(template, found, region_map=region_map, registry=self.registry)
        if not isinstance(inputs.files, DiskFiles):  # kept by the names they were given
            files = given_names(files, inputs.files, keep=environments)
        return Parsed(analysis, content, files, environments)

    def plan(self, inputs: Inputs) -> tuple[Analysis, Plan]:
        """The analysis and the plan; raises ``TemplateError`` when the template is invalid."""
        analysis = self.validate(inputs)
        if not analysis.ok:
            raise TemplateError(analysis.diagnostics)
        return analysis, make_plan(analysis)

    def split(
        self, inputs: Inputs, objective: Literal["pieces", "time"] = "pieces"
    ) -> tuple[Analysis, Plan, SplitResult, list[PieceTemplate]]:
        """The plan and the single-region pieces the template splits into."""
        from crossheat.plan.split.templates import split_analysis

        analysis, the_plan = self.plan(inputs)
        result, pieces = split_analysis(analysis, objective)
        return analysis, the_plan, result, pieces

    def write_split(
        self,
        directory: Path,
        result: SplitResult,
        pieces: list[PieceTemplate],
        source: str,
    ) -> Path:
        """Write the pieces and their manifest into ``directory``; the manifest's path."""
        from crossheat.plan.split.templates import write

        return write(directory, result, pieces, source)

    # ---- operations ----------------------------------------------------------------------

    def create(
        self,
        name: str,
        inputs: Inputs,
        *,
        disable_rollback: bool = False,
        timeout_mins: int | None = None,
        tags: Sequence[str] = (),
        action: Action = Action.CREATE,
    ) -> Started:
        """Validate, record the stack CREATE_IN_PROGRESS and take its lock. The name must
        be one Heat takes (a letter, then letters, digits, ``_-.``; 255 at most).
        ``action`` ADOPT: Heat's adopt (``HeatOps.adopt`` records what is adopted)."""
        check_stack_name(name)
        region_map = self.region_map(inputs.region_map)
        if region_map is None:
            raise ConfigError(
                "no region map: pass --region-map FILE, set CROSSHEAT_REGION_MAP, or start "
                "the emulator (`crossheat emulator start`), which writes one"
            )
        parsed = self._parse(inputs, region_map)
        template = parsed.template()
        acting.check_caller(
            region_map, acting.template_regions(template, region_map), self._reachable()
        )
        spec = make_spec(
            template, parsed.content, parsed.files, parsed.environments,
            inputs.parameters, region_map=region_map,
            disable_rollback=disable_rollback, timeout_mins=timeout_mins,
        )  # fmt: skip
        stacks = self._stacks()
        stack = stacks.create(name, replace(spec, tags=tuple(tags)), action)
        engine_id = stacks.lock(stack, action)
        cursor = EventCursor(self.store(), stack.id)
        return Started(stack, action, engine_id, cursor, parsed.analysis)

    def prepare_update(
        self,
        name: str,
        inputs: Inputs | None,
        *,
        existing: bool = False,
        parameters: Mapping[str, str] | None = None,
        disable_rollback: bool | None = None,
    ) -> PreparedUpdate:
        """What updating ``name`` would store; nothing changes yet.

        With ``existing``, the stored template, environment and parameters are kept
        and only what is given changes (``inputs`` may then be None).
        """
        stacks = self._stacks()
        stack = stacks.get(name)
        given = dict(parameters or (inputs.parameters if inputs else {}))
        params = {**stack.spec.parameters, **given} if existing else given
        rollback_off = stack.spec.disable_rollback if disable_rollback is None else disable_rollback
        if inputs is None:
            if not existing:
                raise ConfigError("give a template (-t) or --existing to keep the stored one")
            spec = replace(stack.spec, parameters=params, disable_rollback=rollback_off)
            return PreparedUpdate(stack, load_spec(spec), spec)
        region_map = stacks.region_map_of(stack)
        parsed = self._parse(inputs, region_map, params)
        template = parsed.template()
        spec = make_spec(
            template, parsed.content, parsed.files, parsed.environments, params,
            region_map=region_map, disable_rollback=rollback_off,
            timeout_mins=stack.spec.timeout_mins,
        )  # fmt: skip
        return PreparedUpdate(stack, template, spec, parsed.analysis)

    def preview_update(self, prepared: PreparedUpdate) -> Diff:
        """What the update would do (Heat's preview), the drift repairs included."""
        return self._stacks().preview_update(prepared.stack, prepared.template, prepared.analysis)

    def update(self, prepared: PreparedUpdate) -> Started:
        """Take the stack's lock, store the new spec (the old kept for rollback) and mark
        it UPDATE_IN_PROGRESS."""
        stacks = self._stacks()
        acting.check_stack_caller(stacks, prepared.stack, prepared.template)
        engine_id = stacks.lock(prepared.stack, Action.UPDATE)
        cursor = self._cursor_from_now(prepared.stack)
        stack = stacks.begin_update(prepared.stack, prepared.spec)
        return Started(stack, Action.UPDATE, engine_id, cursor, prepared.analysis)

    def deletable(self, name: str) -> StackRecord:
        """The stack ``delete`` would delete; ``StackError`` when it is deleted already."""
        return self._stacks().begin_delete(name)

    def delete(self, stack: StackRecord) -> Started:
        """Take the stack's lock to delete it (``deletable`` gives the stack)."""
        stacks = self._stacks()
        acting.check_stack_caller(stacks, stack)
        engine_id = stacks.lock(stack, Action.DELETE)
        return Started(stack, Action.DELETE, engine_id, self._cursor_from_now(stack))

    def resume(self, name: str) -> Started | None:
        """Take over the operation a dead engine left; None when nothing is in progress.
        ``StackLocked`` when the engine that holds the stack is still alive."""
        stack = self.get(name)
        taken = self._stacks().resume(stack)
        if taken is None:
            return None
        action, engine_id = taken
        return Started(stack, action, engine_id, self._cursor_from_now(stack))

    def cancel(self, name: str) -> str:
        """Ask the engine running the stack's update to stop and roll back; what was asked."""
        stacks = self._stacks()
        return stacks.cancel(stacks.get(name))

    async def check_stack(self, name: str) -> CheckResult:
        """Read every resource back from its cloud and record drift, in the running loop."""
        stacks = self._stacks()
        return await stacks.check(stacks.get(name))

    def check(self, name: str) -> CheckResult:
        """``check_stack`` for a caller without an event loop (the CLI)."""
        return asyncio.run(self.check_stack(name))

    # ---- running operations --------------------------------------------------------------

    def submit(self, started: Started) -> StackRecord:
        """Hand the operation to the executor (with the caller, if any acts); the stack now."""
        caller = acting.caller_for(started.stack, self.caller)
        self.executor.submit(started.stack.id, started.action, started.engine_id, caller=caller)
        return self.get_by_id(started.stack.id)

    async def run_operation(
        self,
        stack_id: str,
        action: Action,
        engine_id: str,
        *,
        stop: asyncio.Event | None = None,
        view: View | None = None,
        analysis: Analysis | None = None,
        caller: Caller = None,
    ) -> StackRecord:
        """Run the operation ``engine_id`` holds the lock of, in the running event loop;
        the lock is released when it ends. ``stop`` set: stop gracefully (nothing new
        starts, the operation fails and rolls back). ``analysis``: the command's own of
        the template (``Started.analysis``), else the stack is read from the store.
        ``caller``: who its ``caller`` regions act as (None: this service's ``caller``).
        Returns the stack afterwards."""
        stacks = self._stacks()
        if caller is not None:
            stacks.caller = caller
        return await stacks.run_operation(
            stack_id, action, engine_id, stop=stop, view=view, analysis=analysis
        )

    def run_here(self, started: Started, view: View | None = None) -> StackRecord:
        """Run the operation in this process, in its own event loop, until it ends; for a
        process entry point (the CLI with ``--wait``, the worker). SIGTERM (an operator
        stopping the engine) stops it gracefully, as ``stack cancel`` does. With a queue
        (``QueueExecutor``) the operation is queued and followed until a worker ends it."""
        if isinstance(self.executor, QueueExecutor):
            self.submit(started)
            return self.executor.follow(self, started.stack.id, view)
        return run_in_process(
            self, started.stack.id, started.action, started.engine_id, view, started.analysis
        )

    def take_over(self, stack_id: str, handed_by: str) -> str:
        """Take the lock ``handed_by`` holds for an operation given to an executor; the new
        holder's engine id."""
        engine_id = new_engine_id()
        self.store().hand_over_lock(stack_id, handed_by, engine_id)
        return engine_id

    # ---- views ---------------------------------------------------------------------------

    def get(self, name_or_id: str, *, include_deleted: bool = False) -> StackRecord:
        """A live stack by name or id; a deleted one too, by id, with ``include_deleted``."""
        return self._stacks().get(name_or_id, include_deleted=include_deleted)

    def get_by_id(self, stack_id: str) -> StackRecord:
        """The stack with this id, deleted or not, in any project."""
        return self.store().get_stack(stack_id, include_deleted=True)

    def list_stacks(self, *, nested: bool = False) -> list[dict[str, Any]]:
        """The project's stacks, in Heat's field names (and their regions); ``nested``: too."""
        stacks = self._stacks()
        return stacks.describe_all(stacks.all(nested=nested))

    def show(self, stack: str | StackRecord, *, outputs: bool = True) -> dict[str, Any]:
        """The stack in Heat's field names, with its outputs unless told not to."""
        stacks = self._stacks()
        record = stacks.get(stack) if isinstance(stack, str) else stack
        return stacks.describe(record, stacks.outputs(record) if outputs else None)

    def outputs(self, name: str) -> list[dict[str, Any]]:
        """The stack's outputs (from the attributes stored; no cloud request)."""
        stacks = self._stacks()
        return stacks.outputs(stacks.get(name))

    def resources(self, stack: str | StackRecord, *, nested: bool = False) -> list[ResourceRecord]:
        """The stack's current resources (``nested``: and each nested stack's resource)."""
        stacks = self._stacks()
        return stacks.resources(stacks.get(stack) if isinstance(stack, str) else stack, nested)

    def resource(self, name: str, resource: str) -> dict[str, Any]:
        """Heat's ``resource show`` (by name or physical id), secrets masked."""
        stacks = self._stacks()
        return stacks.resource(stacks.get(name), resource)

    def events(self, stack: str | StackRecord, marker: int | None = None) -> list[EventRecord]:
        """The stack's events after the event ``marker`` (an event id; all without one or
        with an unknown one), in the stack's order (commit order, never id order: an
        event that commits late still comes after the marker); a deleted stack's too,
        given its id."""
        stacks = self._stacks()
        record = stacks.get(stack, include_deleted=True) if isinstance(stack, str) else stack
        return stacks.events(record, marker)

    def event_cursor(self, stack: StackRecord, *, from_now: bool = False) -> EventCursor:
        """Reads the stack's events as they come, each once (``--follow``): all of them,
        or those written from now on."""
        return self._cursor_from_now(stack) if from_now else EventCursor(self.store(), stack.id)

    def template(self, name: str) -> dict[str, Any]:
        """The stack's stored template (hidden defaults sealed)."""
        return dict(self.get(name).spec.template)

    def environment(self, name: str) -> dict[str, Any]:
        """The stack's stored environment: the environment files given, in order."""
        return dict(self.get(name).spec.environment)

    def _cursor_from_now(self, stack: StackRecord) -> EventCursor:
        cursor = EventCursor(self.store(), stack.id)
        cursor.read()
        return cursor

    # ---- Heat's API: resources, events, catalog, software configs -------------------------

    def stack_resources(self, stack: StackRecord) -> StackResources:
        """Heat's views of ``stack``'s resources and events; marking and signalling them."""
        return StackResources(self.store(), self.registry, stack)

    def catalog(self) -> Catalog:
        """Resource types and their schemas, template versions and functions, build info."""
        return Catalog(self.registry)

    def validate_template(self, inputs: Inputs) -> dict[str, Any]:
        """Heat's ``POST /validate`` answer (parameters need no value); ``TemplateError``
        with every error when the template is invalid."""
        return validate_template(self, inputs)

    def software(self) -> SoftwareConfigs:
        """The project's software configs and deployments (every project's for an admin's
        ``every_project`` view)."""
        return SoftwareConfigs(self.store(), self._stacks().owner, self.every_project)
