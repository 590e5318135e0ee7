"""Taking over what exists: a stack whose named resources are ones already in the clouds.

    takeover = Takeover(service)
    started = takeover.import_stack("vpn", inputs, {"net": "<network id>", "router": "..."})
    stack = service.run_here(started)                  # ADOPT_COMPLETE: the rest created
    if started_differing := takeover.differing(started): ...   # with update_differing only

Each named resource is read from its region (``--resource LOGICAL=ID``) and compared
with what the template asks of it (the properties it sets, resolved with the ids given);
a difference refuses the import (``ImportMismatch``, nothing recorded, nothing changed in
any cloud) unless ``update_differing``, when the import is followed by an update that
gives it the template's values. What is taken over is tagged as the stack's own (Neutron
tags, as crossheat tags what it creates) and recorded with its id, so that the stack
waits for and reads it instead of creating it; the rest is created as usual.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from crossheat.engine.check import CHANGED_REASON, Difference, differences
from crossheat.engine.context import LiveResource, RuntimeContext
from crossheat.errors import CloudError, CrossheatError, ImportMismatch, StackError, TemplateError
from crossheat.redact import holds_secret
from crossheat.resources.registry import Registry
from crossheat.resources.schema import SECRET_MASK
from crossheat.resources.types.heat import LocalResource
from crossheat.resources.types.neutron_crud import _set_tags as set_tags
from crossheat.service._started import Started
from crossheat.service.inputs import Inputs
from crossheat.store import Action, ResourceRecord, Status
from crossheat.template import Template, resolve
from crossheat.template.values import contains_unknown

if TYPE_CHECKING:
    from crossheat.service._service import Service


class Takeover:
    """``stack import`` over one service (faces: ``Takeover(service)``)."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.store = service.store()
        #: Resources of the imports started here that differ, by stack id: name -> reason.
        self._differing: dict[str, dict[str, str]] = {}

    def import_stack(
        self,
        name: str,
        inputs: Inputs,
        resources: Mapping[str, str],
        *,
        update_differing: bool = False,
    ) -> Started:
        """Record stack ``name`` of ``inputs`` ADOPT_IN_PROGRESS with each of ``resources``
        (logical name -> physical id) taken over as it is, once read and compared; the
        executor then creates the rest. ``ImportMismatch`` (nothing kept) when one differs
        from the template and ``update_differing`` is not given."""
        heat = self.service.heat()
        heat.check_new_name(name)
        analysis = self.service.validate(inputs)
        if not analysis.ok or analysis.template is None:
            raise TemplateError(analysis.diagnostics)
        _check_names(analysis.template, self.service.registry, resources)
        data = {"resources": {n: {"resource_id": i} for n, i in resources.items()}}
        started = heat.adopt(name, inputs, data)
        try:
            mismatched = self._take(started, analysis.template, update_differing)
            self._differing[started.stack.id] = {
                n: f"{CHANGED_REASON}: " + ", ".join(str(x) for x in d)
                for n, d in mismatched.items()
            }
        except BaseException:
            self.store.update_stack_status(
                started.stack.id, Action.ADOPT, Status.FAILED, "import refused", event=True
            )
            self.store.soft_delete_stack(started.stack.id)  # frees the lock; nothing made
            raise
        return started

    def differing(self, started: Started) -> list[str]:
        """The resources of the import ``started`` whose properties differ from the
        template's (an ``update_differing`` import), now recorded as drift, so that
        ``update --existing`` gives them the template's values (``Takeover.repair``)."""
        found = self._differing.pop(started.stack.id, {})
        records = {r.name: r for r in self.store.list_resources(started.stack.id)}
        for name, reason in found.items():
            self.store.set_resource_status(
                records[name].id, Action.CHECK, Status.FAILED, reason, event=True
            )
        return sorted(found)

    def _take(
        self, started: Started, template: Template, update_differing: bool
    ) -> dict[str, list[Difference]]:
        """Read and compare every named resource, then (none differs, or
        ``update_differing``) tag each as the stack's; those that differ, with how."""
        records = [r for r in self.store.list_resources(started.stack.id) if r.physical_id]
        stacks = self.service._stacks()
        op = stacks.operation(started.stack, started.analysis)
        live = {r.name: LiveResource(r.name, r.region or "", r.physical_id, {}) for r in records}
        ctx = RuntimeContext(live, started.stack.name)
        texts = set(template.hidden_values())
        found: dict[str, list[Difference]] = {}
        try:
            for record in records:
                diffs = self._one(op, record, template, ctx, texts)
                if diffs:
                    found[record.name] = diffs
            if found and not update_differing:
                raise ImportMismatch(_report(found))
            for record in records:
                cls = self.service.registry.get(record.type)
                assert cls is not None  # checked by _check_names
                _tag(cls(), op.rt.context(record))
        finally:
            op.close()
            if op.clients is not None:
                op.clients.close()
        return found

    def _one(
        self,
        op: Any,
        record: ResourceRecord,
        template: Template,
        ctx: RuntimeContext,
        texts: set[str],
    ) -> list[Difference]:
        cls = self.service.registry.get(record.type)
        assert cls is not None  # checked by _check_names
        plugin = cls()
        given = resolve(template.resources[record.name].properties, ctx)
        wanted = {k: v for k, v in given.items() if v is not None and not contains_unknown(v)}
        resource = op.rt.context(record)
        try:
            found = differences(plugin, resource, wanted)
        except CloudError as exc:
            raise StackError(
                f"{record.name} ({record.physical_id}): cannot be read: {exc}"
            ) from exc
        if found is None:
            raise StackError(
                f"{record.name}: no {record.type} {record.physical_id!r} in region {record.region}"
            )
        found = [d for d in found if d.property != "name" or "name" in wanted]
        return [_masked(d, texts) for d in found]


def _check_names(template: Template, registry: Registry, resources: Mapping[str, str]) -> None:
    for name, physical_id in resources.items():
        definition = template.resources.get(name)
        if definition is None:
            known = ", ".join(sorted(template.resources))
            raise StackError(f"the template has no resource {name!r} to import (it has {known})")
        cls = registry.get(definition.type)
        if cls is None or issubclass(cls, LocalResource):
            raise StackError(f"{name} ({definition.type}) has nothing in a cloud to import")
        if not physical_id:
            raise StackError(f"{name}: no physical id given")
    if not resources:
        raise StackError("name at least one resource to import (LOGICAL=PHYSICAL_ID)")


def _tag(plugin: Any, resource: Any) -> None:
    """Mark the resource as the stack's own, as crossheat marks what it creates (Neutron
    tags); types without tags are known by their recorded id only."""
    api = getattr(plugin, "api", None)
    if api is None or not getattr(api, "taggable", False):
        return
    try:
        live = plugin.read(resource) or {}
        tags = sorted({*(live.get("tags") or []), *resource.tags})
        resource.call(set_tags, api.one, resource.physical_id, tags)
    except CrossheatError:
        return


def _masked(difference: Difference, texts: set[str]) -> Difference:
    expected, actual = (
        SECRET_MASK if holds_secret(v, texts) else v
        for v in (difference.expected, difference.actual)
    )
    return Difference(difference.property, expected, actual)


def _report(found: Mapping[str, list[Difference]]) -> str:
    lines = [
        f"{name}: {d.property}: the template has {d.expected!r}, the cloud has {d.actual!r}"
        for name, diffs in sorted(found.items())
        for d in diffs
    ]
    hint = "pass --update-differing to give them the template's values after the import"
    return (
        "import refused, what exists differs from the template:\n  "
        + "\n  ".join(lines)
        + f"\n({hint})"
    )
