"""Heat's API semantics over the service's stacks (private to ``crossheat.service``):
lookups, the stack list's filters and pages, and the views Heat's API answers with.

    heat = service.heat()
    stack = heat.find("vpn")                       # a name, or an id (deleted ones too)
    page = heat.list_stacks(StackQuery(limit=20, sort_keys=("stack_name",)))
    heat.show(stack)                               # Heat's fields, parameters and outputs

The faces give Heat's names and values; what comes back is plain data in Heat's field
names, without links (URLs are the face's business). ``Service.heat()`` gives a
``HeatOps`` (``_heatops``): these views and the operations Heat's API adds (PATCH and
PUT updates, check, cancel, abandon, adopt).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import yaml

from crossheat.engine.spec import load_spec
from crossheat.errors import CrossheatError, StackError, StackNotFound
from crossheat.redact import mask_paths
from crossheat.resources.schema import SECRET_MASK
from crossheat.service._heatlist import StackPage, StackQuery, select
from crossheat.service._nestedviews import stored_outputs
from crossheat.service._stacks import in_progress, stack_dict
from crossheat.service.views import time_text
from crossheat.store import Action, ResourceRecord, StackRecord, StackSummary, Status, summary_of
from crossheat.template import Template
from crossheat.template.functions.base import PlanContext
from crossheat.template.taint import resolve_tainted
from crossheat.template.values import contains_unknown

if TYPE_CHECKING:
    from crossheat.service._service import Service

#: Heat's rule for a new stack's name.
STACK_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_.-]{0,254}")
#: Environment sections Heat keeps, in the order it answers them.
ENV_SECTIONS = (
    "parameters",
    "parameter_defaults",
    "resource_registry",
    "encrypted_param_names",
    "event_sinks",
)


def check_stack_name(name: Any) -> str:
    """``name`` if Heat would take it for a new stack; ``StackError`` (Heat's
    ``StackValidationFailed``) with Heat's message otherwise."""
    if not isinstance(name, str):
        raise StackError(f"Invalid stack name {name}, must be a string")
    if STACK_NAME.fullmatch(name) is None:
        raise StackError(
            f"Invalid stack name {name} must contain only alphanumeric or "
            '"_-." characters, must start with alpha and must be 255 characters or less.'
        )
    return name


class HeatViews:
    """Heat's reads over one service (its project, or every project for an admin)."""

    def __init__(self, service: Service, *, admin: bool = False) -> None:
        self.service = service
        self.store = service.store()
        #: An admin finds any project's stack by its id (Heat's ``stack_get``); names
        #: are looked up in the admin's own project.
        self.admin = admin

    # ---- finding stacks -----------------------------------------------------------------

    def find(self, name_or_id: str) -> StackRecord:
        """Heat's lookup: an id (a deleted stack's too), else a live stack's name."""
        stack = self._by_id(name_or_id, deleted=True)
        if stack is not None:
            return stack
        try:
            return self.service.get(name_or_id)
        except StackNotFound:
            raise StackNotFound(f"The Stack ({name_or_id}) could not be found.") from None

    def canonical(self, name: str, stack_id: str, *, deleted: bool = False) -> StackRecord:
        """The stack ``/stacks/{name}/{id}`` names: that id in the project, of that name;
        a deleted one only with ``deleted`` (the reads Heat allows on deleted stacks)."""
        stack = self._by_id(stack_id, deleted=deleted)
        if stack is None or stack.name != name:
            raise StackNotFound(f"The Stack ({name}) could not be found.")
        return stack

    def _by_id(self, stack_id: str, *, deleted: bool) -> StackRecord | None:
        """The stack with this id the caller may see (an admin: any project's)."""
        try:
            if self.admin:
                stack = self.store.get_stack(stack_id, None, include_deleted=deleted)
            else:
                stack = self.service.get(stack_id, include_deleted=deleted)
        except StackNotFound:
            return None
        return stack if stack.id == stack_id else None

    # ---- the list -----------------------------------------------------------------------

    def list_stacks(self, query: StackQuery) -> StackPage:
        """The stacks ``query`` selects, sorted and cut to its page."""
        project = None if self.service.every_project else self._project()
        every = self.store.list_stack_summaries(
            project, include_nested=query.show_nested, include_deleted=query.show_deleted
        )
        page, count = select(every, query)
        timed = any(s.lock.held for s in page)
        return StackPage([self.summary(s) for s in page], count, timed)

    def change_mark(self) -> str | None:
        """A mark that stays the same only while nothing is committed to the database (by
        any process); None when it cannot be known. Read it before the data it vouches for:
        an answer made from that data holds while the mark does (unless it shows a stack
        locked by an operation: see ``StackPage.timed``, ``is_timed``)."""
        return self.store.change_mark()

    @property
    def change_mark_is_quick(self) -> bool:
        """Whether ``change_mark`` is a local read (no database server's round trip)."""
        return self.store.change_mark_is_quick

    @staticmethod
    def is_timed(shown: dict[str, Any]) -> bool:
        """Whether a stack's ``show`` depends on the time too (an operation holds it)."""
        return "operation_in_progress" in shown

    def _project(self) -> str:
        return self.service._stacks().owner

    def summary(self, stack: StackSummary) -> dict[str, Any]:
        """A stack as Heat's list shows it (and its regions, and its project)."""
        reason = stack.status_reason
        if stack.lock.held:
            reason = in_progress(stack.name, reason, stack.lock)[0]
        # Heat's updated_time is set by the first update: none while the stack is as created.
        as_created = not stack.has_previous and stack.action in (Action.CREATE, Action.ADOPT)
        return {
            "id": stack.id,
            "stack_name": stack.name,
            "description": "",
            "stack_status": stack.stack_status,
            "stack_status_reason": reason,
            "creation_time": time_text(stack.created_at),
            "updated_time": None if as_created else time_text(stack.updated_at),
            "deletion_time": time_text(stack.deleted_at),
            "stack_owner": None,
            "parent": stack.parent_id,
            "stack_user_project_id": stack.project,
            "tags": list(stack.tags) or None,
            "project": stack.project,
            "regions": list(stack.regions),
        }

    # ---- one stack ----------------------------------------------------------------------

    def show(self, stack: StackRecord, *, outputs: bool = True) -> dict[str, Any]:
        """Heat's stack show (and the stack's regions); outputs unless told not to or the
        stack is deleted."""
        with_outputs = outputs and stack.stack_status != "DELETE_COMPLETE"
        # The outputs read the resources: their regions are the stack's (one query less).
        resources = self.store.list_resources(stack.id) if with_outputs else None
        regions = (
            self.store.stack_regions([stack.id])[stack.id]
            if resources is None
            else sorted({r.region for r in resources if r.region and r.replaced_by is None})
        )
        data = stack_dict(stack, regions=regions)
        template = loaded_template(stack)
        description = template.description.strip() if template else data["description"]
        out = {
            **self.summary(summary_of(stack, regions)),
            "description": description,
            "template_description": description,
            "parameters": self.parameters(stack, template),
            "disable_rollback": stack.spec.disable_rollback,
            "timeout_mins": stack.spec.timeout_mins,
            "notification_topics": [],
            "capabilities": [],
            "tags": list(stack.spec.tags),
        }
        if "operation_in_progress" in data:
            out["operation_in_progress"] = data["operation_in_progress"]
        if resources is not None:
            out["outputs"] = self.outputs(stack, template, resources)
        return out

    def parameters(self, stack: StackRecord, template: Template | None) -> dict[str, str]:
        """Every parameter's value as text (Heat's ``OS::`` ones too), hidden ones masked."""
        values: dict[str, Any] = dict(stack.spec.parameters)
        hidden = set(stack.spec.hidden_parameters)
        if template is not None:
            values = template.parameter_values()
            hidden |= template.hidden_parameters()
        shown = {k: SECRET_MASK if k in hidden else parameter_text(v) for k, v in values.items()}
        shown.update({
            "OS::stack_id": stack.id,
            "OS::stack_name": stack.name,
            "OS::project_id": stack.project,
        })  # fmt: skip
        return shown

    def outputs(
        self,
        stack: StackRecord,
        template: Template | None = None,
        resources: list[ResourceRecord] | None = None,
    ) -> list[dict[str, Any]]:
        """The stack's outputs, resolved from what is stored (no cloud), secrets masked;
        ``resources``: the stack's rows, when read already."""
        return stored_outputs(self.store, stack, template, resources)

    def template(self, stack: StackRecord) -> dict[str, Any]:
        """The stored template; the defaults of hidden parameters masked."""
        template = dict(stack.spec.template)
        declared = template.get("parameters")
        if isinstance(declared, dict):
            hidden = stack.spec.hidden_parameters
            template["parameters"] = {k: _masked(k, v, hidden) for k, v in declared.items()}
        return template

    def environment(self, stack: StackRecord) -> dict[str, Any]:
        """Heat's environment of the stack: its environments merged in order, then the
        parameters given; the values of hidden parameters (nested templates' too) masked."""
        merged: dict[str, Any] = {section: {} for section in ENV_SECTIONS[:3]}
        merged.update({"encrypted_param_names": [], "event_sinks": []})
        for source in stack.spec.environment.get("sources", []):
            _merge_environment(merged, _yaml(source.get("text", "")))
        merged["parameters"].update(stack.spec.parameters)
        hidden = set(stack.spec.hidden_parameters) | set(merged["encrypted_param_names"])
        hidden |= _hidden_names(loaded_template(stack))
        for section in ("parameters", "parameter_defaults"):
            merged[section] = {
                k: SECRET_MASK if k in hidden else v for k, v in merged[section].items()
            }
        return merged

    def files(self, stack: StackRecord) -> dict[str, str]:
        return dict(stack.spec.files)

    def export(self, stack: StackRecord) -> dict[str, Any]:
        """Heat's abandon data: the stack, its content and its resources' ids."""
        resources = [r for r in self.store.list_resources(stack.id) if not r.replaced_by]
        return {
            "id": stack.id,
            "name": stack.name,
            "action": stack.action.value,
            "status": stack.status.value,
            "template": self.template(stack),
            "environment": self.environment(stack),
            "files": self.files(stack),
            "resources": {r.name: _abandoned(r) for r in resources},
            "project_id": stack.project,
            "stack_user_project_id": stack.project,
            "tags": list(stack.spec.tags),
        }

    # ---- raw engine format --------------------------------------------------------------

    def raw_resource(
        self,
        stack: StackRecord | None,
        template: Template,
        name: str,
        record: ResourceRecord | None = None,
        *,
        stack_name: str = "",
        region: str | None = None,
    ) -> dict[str, Any]:
        """A resource in Heat's engine format (previews): action and status apart."""
        definition = template.resources.get(name)
        kind = record.type if record else definition.type if definition else ""
        stack_id = stack.id if stack else "None"
        stack_name = stack.name if stack else stack_name
        identity = {"tenant": self._project(), "stack_name": stack_name, "stack_id": stack_id}
        out: dict[str, Any] = {
            "resource_name": name,
            "resource_type": kind,
            "resource_action": record.action.value if record else Action.INIT.value,
            "resource_status": record.status.value if record else Status.COMPLETE.value,
            "resource_status_reason": record.status_reason if record else "",
            "physical_resource_id": (record.physical_id or "") if record else "",
            "resource_identity": {**identity, "path": f"/resources/{name}"},
            "stack_identity": {**identity, "path": ""},
            "stack_name": stack_name,
            "required_by": required_by(template, name),
            "creation_time": _time(record.created_at) if record else None,
            "updated_time": _time(record.updated_at or record.created_at) if record else None,
            "description": "",
            "metadata": {},
            "attributes": {},
            "region": record.region if record else region,
        }
        return out


def required_by(template: Template, name: str) -> list[str]:
    return sorted(
        other
        for other, definition in template.resources.items()
        if other != name and name in definition.dependencies()
    )


def planned_properties(template: Template, properties: Any) -> Any:
    """Properties as far as they are known before anything exists; secrets masked."""
    value, paths = resolve_tainted(properties, PlanContext(), template.hidden_values())
    return _unknown_to_none(mask_paths(value, paths))


def _unknown_to_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _unknown_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknown_to_none(v) for v in value]
    return None if contains_unknown(value) else value


def _masked(name: str, spec: Any, hidden: frozenset[str]) -> Any:
    """A parameter's declaration, its default masked if the parameter is hidden."""
    if not isinstance(spec, dict) or spec.get("default") is None:
        return spec
    if spec.get("hidden") or name in hidden:
        return {**spec, "default": SECRET_MASK}
    return spec


def _hidden_names(template: Template | None) -> set[str]:
    """The hidden parameters of ``template`` and of every template it nests."""
    if template is None:
        return set()
    names = template.hidden_parameters()
    for definition in [*template.resources.values(), *template.expanded.values()]:
        names |= _hidden_names(definition.nested)
    return names


def loaded_template(stack: StackRecord) -> Template | None:
    """The stack's template read back from its stored content; None if it cannot be."""
    try:
        return load_spec(stack.spec)
    except CrossheatError:
        return None


def _abandoned(record: ResourceRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "resource_id": record.physical_id,
        "type": record.type,
        "action": record.action.value,
        "status": record.status.value,
        "metadata": {},
        "resource_data": {},
        "region": record.region,
    }


def parameter_text(value: Any) -> str:
    """A parameter's value as Heat shows it: text."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(parameter_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return "" if value is None else str(value)


def _yaml(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _merge_environment(into: dict[str, Any], env: Mapping[str, Any]) -> None:
    for section in ("parameters", "parameter_defaults"):
        if isinstance(env.get(section), dict):
            into[section].update(env[section])
    registry = env.get("resource_registry")
    if isinstance(registry, dict):
        for key, value in registry.items():
            current = into["resource_registry"].get(key)
            if isinstance(current, dict) and isinstance(value, dict):
                into["resource_registry"][key] = {**current, **value}
            else:
                into["resource_registry"][key] = value
    for section in ("encrypted_param_names", "event_sinks"):
        if isinstance(env.get(section), list):
            into[section] += [v for v in env[section] if v not in into[section]]


def _time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None
