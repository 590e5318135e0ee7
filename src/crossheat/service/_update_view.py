"""Updating a stack from a form: the form of its parameters prefilled with what the stack
has now, the update prepared the way Heat's PATCH prepares it (what is not given is
kept: a hidden parameter left empty keeps its value), and its preview.

    form = update_form(service, stack_id)              # hidden fields empty
    prepared = prepare_form_update(service, stack_id, parameters={"flavor": "m1.medium"})
    preview = update_preview(service, prepared)
    [c.name for c in preview.of("replaced")]           # ["west_server", ...]
    service.submit(service.update(prepared))           # what the user confirmed

The preview is ``Service.preview_update``'s diff (``engine.diff``: what ``stack update
--dry-run`` and the API's update preview show), its secret properties masked there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crossheat.engine.diff import Change, Diff
from crossheat.service._forms import ParameterForm, parameter_form
from crossheat.service._heatops import HeatUpdate
from crossheat.service._started import PreparedUpdate
from crossheat.service.inputs import Source

if TYPE_CHECKING:
    from crossheat.service._service import Service

#: The preview's kinds, in the order a page shows them.
KINDS = tuple(kind.value for kind in (Change.ADDED, Change.UPDATED, Change.REPLACED,
                                      Change.DELETED, Change.UNCHANGED))  # fmt: skip


@dataclass(frozen=True)
class PropertyChange:
    property: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ChangeView:
    """One resource under what the update does to it, and why."""

    name: str
    type: str
    region: str
    change: str
    reason: str = ""
    properties: tuple[PropertyChange, ...] = ()


@dataclass
class UpdatePreview:
    changes: list[ChangeView] = field(default_factory=list)

    def of(self, kind: str) -> list[ChangeView]:
        return [c for c in self.changes if c.change == kind]

    def counts(self) -> dict[str, int]:
        return {kind: len(self.of(kind)) for kind in KINDS}

    def regions(self) -> dict[str, dict[str, list[str]]]:
        """Per region, the names under each kind."""
        out: dict[str, dict[str, list[str]]] = {}
        for c in self.changes:
            out.setdefault(c.region, {k: [] for k in KINDS})[c.change].append(c.name)
        return dict(sorted(out.items()))

    def as_dict(self) -> dict[str, Any]:
        return {
            kind: [
                {
                    "resource_name": c.name,
                    "resource_type": c.type,
                    "region": c.region,
                    "reason": c.reason,
                    "changes": [vars(p) for p in c.properties],
                }
                for c in self.of(kind)
            ]
            for kind in KINDS
        }


def update_form(
    service: Service,
    stack_id: str,
    *,
    template: str | Mapping[str, Any] | None = None,
    environments: Sequence[str] = (),
    parameters: Mapping[str, str] | None = None,
    submitted: bool = False,
) -> ParameterForm:
    """The stack's parameters as a form, prefilled with the values it has now (its
    stored template, environments and parameters), hidden ones left empty; with a new
    ``template``, added ``environments`` or ``parameters`` given, the form of that
    update (``submitted``: and its problems, as ``parameter_form`` finds them)."""
    stack = service.get_by_id(stack_id)
    update = _update(template, environments, parameters)
    inputs = service.heat()._inputs(stack, update)
    return parameter_form(service, inputs, submitted=submitted)


def prepare_form_update(
    service: Service,
    stack_id: str,
    *,
    template: str | Mapping[str, Any] | None = None,
    environments: Sequence[str] = (),
    parameters: Mapping[str, str] | None = None,
) -> PreparedUpdate:
    """The update of a form: ``template`` (None: the stack's own kept), environments
    added to the stack's, and the ``parameters`` given; the others keep their values (a
    hidden parameter left empty is not given). ``TemplateError`` when it is invalid."""
    stack = service.get_by_id(stack_id)
    return service.heat().prepare(stack, _update(template, environments, parameters))


def _update(
    template: str | Mapping[str, Any] | None,
    environments: Sequence[str],
    parameters: Mapping[str, str] | None,
) -> HeatUpdate:
    """A PATCH: what is not given is kept."""
    sources = [Source(f"update-environment-{i}.yaml", text) for i, text in enumerate(environments)]
    return HeatUpdate(
        template=template, environments=sources, parameters=dict(parameters or {}), existing=True
    )


def update_preview(service: Service, prepared: PreparedUpdate) -> UpdatePreview:
    """What ``prepared`` would do to each resource."""
    return preview_of(service.preview_update(prepared))


def preview_of(diff: Diff) -> UpdatePreview:
    order = {kind: index for index, kind in enumerate(KINDS)}
    changes = [
        ChangeView(
            name=c.name,
            type=c.type,
            region=c.region,
            change=c.change.value,
            reason=c.reason,
            properties=tuple(
                PropertyChange(key, old, new) for key, (old, new) in sorted(c.properties.items())
            ),
        )
        for c in diff.changes.values()
    ]
    changes.sort(key=lambda c: (order[c.change], c.region, c.name))
    return UpdatePreview(changes)
