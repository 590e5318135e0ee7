"""Updating a running stack: touch only what changed, where it changed.

Order, as Heat does it: walk the new template's graph; added resources are
created, changed ones updated in place or replaced (the replacement is
created before the old one is deleted); then, after everything else, the
old resources of replacements and the resources gone from the template are
deleted in reverse dependency order. A failure rolls back: what this update
created is deleted, in-place changes are reverted, and the previous template
and parameters become current again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from crossheat.engine import nested_timeout
from crossheat.engine.actions import create_resource, delete_resource, update_resource
from crossheat.engine.check import (
    MARKED_UNHEALTHY,
    DriftStatus,
    check_resource,
    recorded_drift,
)
from crossheat.engine.context import LiveResource
from crossheat.engine.diff import Change, Diff, Drift, diff
from crossheat.engine.spec import load_spec
from crossheat.engine.stack import Operation, _failure
from crossheat.engine.tunnels import wait_for_tunnels
from crossheat.engine.walker import walk
from crossheat.errors import CrossheatError, StackError
from crossheat.graph import Graph
from crossheat.resources.dependencies import dependency_graph
from crossheat.resources.tunnels import tunnel_pairs
from crossheat.store import Action, ResourceRecord, StackRecord, StackSpec, Status
from crossheat.template import Template


@dataclass
class UpdateOperation(Operation):
    """``template`` is the new template; ``old_template`` the one the stack had, or
    ``old_spec``, its stored spec, parsed only if needed (a rollback, old rows to delete):
    parsing a 1,000-resource template takes about 0.2 s."""

    old_template: Template | None = None
    old_spec: StackSpec | None = None
    changes: Diff | None = None
    #: Old rows to delete at the end (replaced resources, resources gone from the template).
    retired: dict[str, ResourceRecord] = field(default_factory=dict)
    #: What this update did, to undo on rollback: name -> (kind, old record).
    done: dict[str, tuple[Change, ResourceRecord | None]] = field(default_factory=dict)
    #: Old rows already deleted and removed (their replacement may not exist yet).
    gone: set[str] = field(default_factory=set)

    def previous_template(self) -> Template | None:
        if self.old_template is None and self.old_spec is not None:
            self.old_template = load_spec(self.old_spec)
        return self.old_template

    def compute_diff(self, every: list[ResourceRecord]) -> Diff:
        """The diff against ``every`` row of the stack (read once by ``prepare``: reading
        a 1,000-resource stack's rows takes over 0.1 s)."""
        current = {r.name: r for r in every if r.replaced_by is None}
        region_of = {n: self.region_of(n) for n in self.template.resources}
        texts = self.store.secret_texts(self.stack.id) | set(self.template.hidden_values())
        drift = self.recorded_drift(current)
        nested = self.store.nested_ids(self.stack.id)  # those to come are new: no diff
        return diff(self.template, current, self.registry, region_of, drift, texts, nested)

    def recorded_drift(self, current: dict[str, ResourceRecord]) -> Drift:
        """Drift the last ``stack check`` recorded, and resources marked unhealthy; changed
        resources are read again (only those: an update after a clean check costs no read)."""
        deleted, changed, unhealthy = set(), {}, set()
        for name, record in current.items():
            status = recorded_drift(record)
            if status is None and _marked_unhealthy(record):
                unhealthy.add(name)
            elif status is DriftStatus.DELETED:
                deleted.add(name)
            elif status is DriftStatus.MODIFIED:
                report = check_resource(self, record)
                if report.status is DriftStatus.DELETED:
                    deleted.add(name)
                elif report.status is DriftStatus.MODIFIED:
                    changed[name] = frozenset(report.changed_properties)
        return Drift(frozenset(deleted), changed, frozenset(unhealthy))

    def prepare(self) -> None:
        every = self.store.list_resources(self.stack.id)
        self.changes = self.compute_diff(every)
        for old in every:  # resuming: old rows whose replacement was made before the crash
            if old.replaced_by is not None:
                self.retired[old.name] = old
        rows = {r.name: r for r in every if not r.replaced_by}
        for name, record in rows.items():
            if record.physical_id:
                self.live[name] = LiveResource(
                    name, record.region or "", record.physical_id, dict(record.attributes)
                )
            if name not in self.template.resources:
                self.retired[name] = record
        for name, definition in self.template.resources.items():
            self.records[name] = rows.get(name) or self.store.upsert_resource(
                self.stack.id, name, definition.type, region=self.region_of(name)
            )

    # ---- one resource ---------------------------------------------------------------------

    async def update_one(self, name: str) -> None:
        assert self.changes is not None
        change = self.changes.changes[name].change
        if change is Change.ADDED:
            self.done[name] = (change, None)
            await self.create_one(name)
        elif change is Change.REPLACED:
            await self.replace_one(name)
        elif change is Change.UPDATED:
            await self.update_in_place(name)

    async def replace_one(self, name: str) -> None:
        cls = self.type_of(name)
        props = self.resolved_properties(name, cls)
        old = self.records[name]
        secret_paths = self.rt.property_secret_paths(name, cls)
        if name in self.gone:  # deleted first: its row is gone, this is a plain create
            new = await self.rt.run(
                lambda: self.store.upsert_resource(
                    self.stack.id,
                    name,
                    cls.type_name,
                    region=self.region_of(name),
                    properties=props,
                    secret_paths=secret_paths,
                )
            )
        else:
            new = await self.rt.run(
                lambda: self.store.create_replacement(
                    old.id, properties=props, secret_paths=secret_paths, type=cls.type_name
                )
            )
            self.retired[name] = old
        self.records[name] = new
        self.done[name] = (Change.REPLACED, old)
        try:
            ctx = await create_resource(self.rt, new, cls, props)
        except CrossheatError as exc:
            await self.rt.run(self._failed, new, Action.CREATE, exc)
            raise
        self.live[name] = LiveResource(name, new.region or "", ctx.physical_id, ctx.attributes)

    async def update_in_place(self, name: str) -> None:
        cls = self.type_of(name)
        record = self.records[name]
        props = self.resolved_properties(name, cls)
        in_place, replace = cls.classify_update(record.properties, props)
        assert self.changes is not None
        if "changed outside crossheat" in self.changes.changes[name].reason:
            in_place |= set(self.changes.changes[name].properties)  # set them back
        if replace:
            await self.replace_one(name)
            return
        self.done[name] = (Change.UPDATED, record)
        try:
            ctx = await update_resource(
                self.rt, record, cls, dict(record.properties), props, in_place
            )
        except CrossheatError as exc:
            await self.rt.run(self._failed, record, Action.UPDATE, exc)
            raise
        self.live[name] = LiveResource(name, record.region or "", ctx.physical_id, ctx.attributes)

    # ---- the whole update ----------------------------------------------------------------

    async def update(self) -> StackRecord:
        failure = await self.forward()
        if failure is None:
            await self.rt.run(
                self.stack_status,
                Action.UPDATE,
                Status.COMPLETE,
                "Stack UPDATE completed successfully",
            )
        else:
            await self.rt.run(self.stack_status, Action.UPDATE, Status.FAILED, failure)
            if not self.stack.spec.disable_rollback:
                await self.rollback_update()
        return await self.rt.run(self.store.get_stack, self.stack.id)

    async def forward(self) -> str | None:
        """Carry the update out; the reason it failed, or None."""
        await self.rt.run(self.prepare)
        await self.rt.run(self.remember_secrets)
        started = time.monotonic()
        failure = await self._retire(self._delete_first())
        if failure is None:
            self.rt.interrupt = self.stop  # a cancel cuts the creates' and updates' waits short
            clocks = nested_timeout.clocks(
                self.rt, self.template, self.placement, Action.UPDATE, self.timed_out,
                self.stack.name,
            )  # fmt: skip
            try:
                result = await walk(
                    self.graph(), clocks.guard(self.update_one), group=self.region_of,
                    default_limit=self.options.concurrency, timeout=self.timeout(),
                    stop=self.stop,
                )  # fmt: skip
            finally:
                self.rt.interrupt = None
                clocks.close()
            failure = _failure(result, "UPDATE", self.timeout())
        if failure is None:
            failure = await self._retire(set(self.retired))
        if failure is None and self._tunnels_changed():
            remaining = self.timeout() - (time.monotonic() - started)
            failure = await wait_for_tunnels(self, min(remaining, self.options.tunnel_timeout))
        return failure

    def _delete_first(self) -> set[str]:
        """Replaced resources whose old self goes first, with the replaced ones built on them."""
        assert self.changes is not None
        replaced = {c.name for c in self.changes.of(Change.REPLACED)}
        first = {n for n in replaced if self.type_of(n).replace_delete_first}
        graph = self.graph()
        for name in graph.topological_order():
            if name in replaced and any(r in first for r in graph.requirements(name)):
                first.add(name)
        for name in first:
            self.retired[name] = self.records[name]
        return first

    def _tunnels_changed(self) -> bool:
        touched = set(self.done)
        return any(
            a.connection in touched or b.connection in touched
            for a, b in tunnel_pairs(self.template)
        )

    def _old_graph(self, names: set[str]) -> Graph[str]:
        return dependency_graph(self.previous_template() or self.template, sorted(names))

    async def _retire(self, names: set[str]) -> str | None:
        """Delete these old rows (replaced or removed resources), in reverse order."""
        names = {n for n in names if n in self.retired}
        if not names:
            return None

        async def retire(name: str) -> None:
            record = self.retired.pop(name)
            try:
                await delete_resource(self.rt, record, self._class_of(record))
            except CrossheatError as exc:
                await self.rt.run(self._failed, record, Action.DELETE, exc)
                raise
            await self.rt.run(self.store.remove_resource, record.id)
            self.gone.add(name)

        result = await walk(
            self._old_graph(names), retire, group=lambda n: self.retired[n].region,
            default_limit=self.options.concurrency, reverse=True, timeout=self.timeout(),
        )  # fmt: skip
        return _failure(result, "DELETE", self.timeout())

    def _class_of(self, record: ResourceRecord) -> Any:
        cls = self.registry.get(record.type)
        if cls is None:
            raise StackError(f"resource {record.name}: unknown type {record.type}")
        return cls

    # ---- rollback -------------------------------------------------------------------------

    async def rollback_update(self) -> None:
        """Delete what this update created, then update back to the previous template.

        Going back is an update like any other (Heat's rollback): in-place changes are
        reverted, and what was deleted first to be replaced is created again.
        """
        await self.rt.run(
            self.stack_status, Action.ROLLBACK, Status.IN_PROGRESS, "Rolling back the update"
        )
        failure = await self._undo_creations()
        await self.rt.run(self.store.restore_previous_template, self.stack.id)
        previous = await self.rt.run(self.previous_template)
        if failure is None and previous is not None:
            stack = await self.rt.run(self.store.get_stack, self.stack.id)
            back = UpdateOperation(
                store=self.store, registry=self.registry, stack=stack,
                template=previous, clients=self.clients, region_map=self.region_map,
                options=self.options, old_template=self.template,
            )  # fmt: skip
            try:
                failure = await back.forward()
            finally:
                back.close()
        if failure is None:
            await self.rt.run(
                self.stack_status,
                Action.ROLLBACK,
                Status.COMPLETE,
                "Rollback completed: the stack is back to its previous template",
            )
        else:
            await self.rt.run(self.stack_status, Action.ROLLBACK, Status.FAILED, failure)

    async def _undo_creations(self) -> str | None:
        created = {n for n, (c, _) in self.done.items() if c in (Change.ADDED, Change.REPLACED)}
        if not created:
            return None

        async def undo(name: str) -> None:
            current = await self.rt.run(self.store.get_resource, self.records[name].id)
            await delete_resource(self.rt, current, self._class_of(current))
            await self.rt.run(self.store.remove_resource, current.id)

        result = await walk(
            self.graph().subgraph(created), undo, group=self.region_of,
            default_limit=self.options.concurrency, reverse=True, timeout=self.timeout(),
        )  # fmt: skip
        return _failure(result, "ROLLBACK", self.timeout())


def _marked_unhealthy(record: ResourceRecord) -> bool:
    """CHECK_FAILED because a user marked it so (not by a check)."""
    failed = (record.action, record.status) == (Action.CHECK, Status.FAILED)
    return failed and bool((record.progress or {}).get(MARKED_UNHEALTHY))
