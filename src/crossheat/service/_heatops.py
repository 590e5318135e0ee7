"""The operations Heat's API adds to the service's (private to ``crossheat.service``):
PUT and PATCH updates from Heat's request fields, previews, check through the executor,
cancel with or without rollback, suspend and resume refused, abandon.

    ops = service.heat()
    prepared = ops.prepare(stack, HeatUpdate(parameters={"size": "2"}, existing=True))
    service.submit(service.update(prepared))       # PATCH: stored template kept
    service.submit(ops.check(stack))               # CHECK_IN_PROGRESS now, run by the executor
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NoReturn

import yaml

from crossheat.errors import (
    CrossheatError,
    NotSupportedError,
    StackError,
    StackExists,
    StackNotFound,
    TemplateError,
)
from crossheat.resources.schema import SECRET_MASK
from crossheat.resources.types.heat import LocalResource
from crossheat.service._cancel import cancel_queued
from crossheat.service._heatviews import (
    ENV_SECTIONS,
    HeatViews,
    _merge_environment,
    _yaml,
    check_stack_name,
    loaded_template,
    parameter_text,
    planned_properties,
)
from crossheat.service._started import PreparedUpdate, Started
from crossheat.service.inputs import Inputs, Source
from crossheat.store import Action, EventCursor, StackRecord, Status
from crossheat.template import Template

if TYPE_CHECKING:
    from crossheat.service._service import Service

#: The lists of Heat's update preview, in its order.
CHANGE_KINDS = ("added", "deleted", "replaced", "unchanged", "updated")


@dataclass(frozen=True)
class HeatUpdate:
    """An update as Heat's API takes it. ``existing`` (PATCH): what is not given is kept
    (template, environments, files, parameters but ``clear_parameters``, tags); else
    (PUT) the template is required and everything else is replaced. ``None`` for
    ``timeout_mins`` / ``disable_rollback``: the stack's own are kept (0 minutes: none)."""

    template: str | Mapping[str, Any] | None = None
    files: Mapping[str, str] = field(default_factory=dict)
    environments: Sequence[Source | str | Mapping[str, Any]] = ()
    parameters: Mapping[str, str] = field(default_factory=dict)
    clear_parameters: Sequence[str] = ()
    timeout_mins: int | None = None
    disable_rollback: bool | None = None
    tags: Sequence[str] | None = None
    existing: bool = False


class HeatOps(HeatViews):
    """Heat's views and operations over one project's service (``Service.heat()``)."""

    # ---- create and update --------------------------------------------------------------

    def preview(
        self,
        name: str,
        inputs: Inputs,
        *,
        disable_rollback: bool = True,
        timeout_mins: int | None = None,
        tags: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Heat's stack preview: the stack that ``create`` would make, nothing stored."""
        self.check_new_name(name)
        analysis = self.service.validate(inputs)
        if not analysis.ok or analysis.template is None:
            raise TemplateError(analysis.diagnostics)
        template = analysis.template
        params = template.parameter_values()
        hidden = template.hidden_parameters()
        project = self._project()
        regions = analysis.regions
        resources = [
            self.raw_resource(None, template, r, stack_name=name, region=regions.get(r))
            | {"properties": planned_properties(template, definition.properties)}
            for r, definition in template.resources.items()
        ]
        return {
            "id": "None",
            "stack_name": name,
            "description": template.description.strip(),
            "template_description": template.description.strip(),
            "creation_time": None,
            "updated_time": None,
            "deletion_time": None,
            "stack_owner": None,
            "parent": None,
            "stack_user_project_id": project,
            "tags": list(tags),
            "parameters": {
                **{k: SECRET_MASK if k in hidden else parameter_text(v) for k, v in params.items()},
                "OS::stack_id": "None", "OS::stack_name": name, "OS::project_id": project,
            },
            "disable_rollback": disable_rollback,
            "timeout_mins": timeout_mins,
            "notification_topics": [],
            "capabilities": [],
            "resources": resources,
        }  # fmt: skip

    def check_new_name(self, name: str) -> None:
        """Heat's checks of a new stack's name, in Heat's words: its form (``StackError``),
        then no live stack of the project has it (``StackExists``)."""
        check_stack_name(name)
        try:
            self.service.get(name)
        except StackNotFound:
            return
        raise StackExists(f"The Stack ({name}) already exists.")

    def adopt(
        self,
        name: str,
        inputs: Inputs,
        data: Mapping[str, Any],
        *,
        disable_rollback: bool = True,
        timeout_mins: int | None = None,
        tags: Sequence[str] = (),
    ) -> Started:
        """Heat's adopt of ``data`` (abandon data): the stack recorded ADOPT_IN_PROGRESS
        with each resource of ``data`` that exists in a cloud (``resource_id``) recorded
        with that id, to be waited for and read, not created, when the operation runs.
        The template and environment come from ``data`` unless ``inputs`` give them; the
        values masked when the data was exported (``******``) are not taken for values."""
        self.check_new_name(name)
        hidden = self._opened_hidden(data.get(SEALED_KEY))
        if inputs.template is None:
            template = _unmasked_template(data.get("template"), hidden.get("defaults", {}))
            inputs = replace(inputs, template=template)
        given = {k: str(v) for k, v in hidden.get("parameters", {}).items()}
        if given:
            inputs = replace(inputs, parameters={**given, **inputs.parameters})
        if not inputs.environments and isinstance(data.get("environment"), Mapping):
            inputs = replace(inputs, environments=[_unmasked_environment(data["environment"])])
        if not inputs.files and isinstance(data.get("files"), Mapping):
            inputs = replace(inputs, files={str(k): str(v) for k, v in data["files"].items()})
        started = self.service.create(
            name, inputs, disable_rollback=disable_rollback, timeout_mins=timeout_mins,
            tags=tags, action=Action.ADOPT,
        )  # fmt: skip
        try:
            self._record_adopted(started, data.get("resources"))
        except BaseException:
            self.store.release_lock(started.stack.id, started.engine_id)
            raise
        return started

    def _opened_hidden(self, sealed: Any) -> dict[str, dict[str, Any]]:
        """The hidden values ``abandon`` sealed into its data; none when they are not
        there or another deployment's key sealed them (then they are named again)."""
        if not isinstance(sealed, str):
            return {}
        try:
            opened = self.store.open_sealed(sealed)
        except CrossheatError:
            return {}
        return opened if isinstance(opened, dict) else {}

    def _record_adopted(self, started: Started, given: Any) -> None:
        analysis = started.analysis
        if analysis is None or analysis.template is None or not isinstance(given, Mapping):
            return
        adopted: dict[str, str] = {}
        rows = []
        for res, definition in analysis.template.resources.items():
            found = given.get(res)
            cls = self.service.registry.get(definition.type)
            if not isinstance(found, Mapping) or not found.get("resource_id") or cls is None:
                continue
            if issubclass(cls, LocalResource):  # nothing in a cloud: made again, as Heat's are
                continue
            adopted[res] = str(found["resource_id"])
            rows.append((res, definition.type, analysis.regions.get(res)))
        for record in self.store.add_resources(started.stack.id, rows):
            self.store.set_resource_status(
                record.id, Action.CREATE, Status.IN_PROGRESS, "adopted",
                physical_id=adopted[record.name],
            )  # fmt: skip

    def delete(self, stack: StackRecord) -> Started:
        """Lock the stack to delete it; hand the result to ``Service.submit``."""
        owners = self._owners(stack)
        return owners.delete(owners.deletable(stack.id))

    def _owners(self, stack: StackRecord) -> Service:
        """The service of the stack's project (an admin may act on another's)."""
        if stack.project == self._project():
            return self.service
        return self.service.scoped(stack.project)

    def prepare(self, stack: StackRecord, update: HeatUpdate) -> PreparedUpdate:
        """What the update would store (nothing changes yet), by Heat's PUT or PATCH rules."""
        spec = stack.spec
        inputs = self._inputs(stack, update) if update.existing else self._put_inputs(update)
        prepared = self._owners(stack).prepare_update(
            stack.id, inputs, parameters=inputs.parameters,
            disable_rollback=update.disable_rollback,
        )  # fmt: skip
        tags = update.tags if update.tags is not None else (spec.tags if update.existing else ())
        timeout = spec.timeout_mins if update.timeout_mins is None else update.timeout_mins
        new = replace(prepared.spec, tags=tuple(tags), timeout_mins=timeout or None)
        return replace(prepared, spec=new)

    def _put_inputs(self, update: HeatUpdate) -> Inputs:
        if update.template is None:
            raise StackError("No template specified")
        return Inputs(
            update.template,
            files=dict(update.files),
            environments=list(update.environments),
            parameters=dict(update.parameters),
        )

    def _inputs(self, stack: StackRecord, update: HeatUpdate) -> Inputs:
        """PATCH: the stored template, environments, files and parameters, with what
        ``update`` gives on top and its ``clear_parameters`` taken out."""
        spec = stack.spec
        cleared = set(update.clear_parameters)
        template = spec.template if update.template is None else update.template
        declared = _declared(template)
        new_declared = None if update.template is None else declared
        params = {k: v for k, v in spec.parameters.items() if k not in cleared and k in declared}
        params.update(update.parameters)
        stored = [
            Source(str(s["name"]), _without(str(s["text"]), cleared, new_declared))
            for s in spec.environment.get("sources", [])
        ]
        given = [
            e if isinstance(e, Source) else Source(f"environment-{i}.yaml", e)
            for i, e in enumerate(update.environments, start=len(stored))
        ]
        return Inputs(
            template,
            (spec.template_path or "template.yaml") if update.template is None else "template.yaml",
            {**spec.files, **update.files},
            _unique_names([*stored, *given]),
            params,
        )

    def preview_update(self, stack: StackRecord, prepared: PreparedUpdate) -> dict[str, Any]:
        """Heat's update preview: each resource under what the update would do to it, with
        crossheat's ``reason`` and property ``changes`` (secrets masked), as the local
        preview shows them."""
        diff = self.service.preview_update(prepared)
        records = {r.name: r for r in self.store.list_resources(stack.id) if not r.replaced_by}
        old = loaded_template(stack)
        out: dict[str, list[dict[str, Any]]] = {kind: [] for kind in CHANGE_KINDS}
        for change in diff.changes.values():
            template: Template | None = prepared.template
            if change.name not in prepared.template.resources:
                template = old
            if template is None:
                continue
            record = None if change.change.value == "added" else records.get(change.name)
            raw = self.raw_resource(stack, template, change.name, record, region=change.region)
            shown = change.as_dict()
            raw.update(reason=shown["reason"], changes=shown["changes"])
            out[change.change.value].append(raw)
        return out

    # ---- actions ------------------------------------------------------------------------

    def check(self, stack: StackRecord) -> Started:
        """Lock the stack for Heat's CHECK and mark it CHECK_IN_PROGRESS; hand the result
        to ``Service.submit``, which runs the check (every resource read back)."""
        stacks = self.service._stacks()
        engine_id = stacks.lock(stack, Action.CHECK)
        cursor = EventCursor(self.store, stack.id)
        cursor.read()
        try:
            self.store.update_stack_status(
                stack.id, Action.CHECK, Status.IN_PROGRESS, "Stack CHECK started", event=True
            )
        except BaseException:
            self.store.release_lock(stack.id, engine_id)
            raise
        return Started(self.store.get_stack(stack.id), Action.CHECK, engine_id, cursor)

    def cancel(self, stack: StackRecord, *, rollback: bool = True) -> None:
        """Heat's ``cancel_update`` (an update, rolled back) or ``cancel_without_rollback``
        (a create or an update, stopped where it is: for stacks whose rollback is off)."""
        allowed = {"UPDATE_IN_PROGRESS"} | (set() if rollback else {"CREATE_IN_PROGRESS"})
        if stack.stack_status not in allowed:
            raise NotSupportedError(
                f"Cancelling update when stack is {stack.stack_status} is not supported."
            )
        if rollback:
            self._owners(stack).cancel(stack.id)
            return
        if not stack.spec.disable_rollback:
            raise NotSupportedError(
                "Cancelling without rollback a stack whose rollback is enabled is not supported."
            )
        if cancel_queued(self.store, stack, rollback=False):
            return  # it had not started: taken out of the job queue
        lock = self.store.get_lock(stack.id)
        if lock.engine_id is None or not self.store.request_cancel(stack.id, lock.engine_id):
            raise StackError(f"stack {stack.name} has no operation in progress to cancel")

    def refuse(self, stack: StackRecord, action: Action) -> NoReturn:
        """Suspend and resume: crossheat's resource types cannot; Heat's ``NotSupported``
        naming them."""
        doing = {Action.SUSPEND: "Suspending", Action.RESUME: "Resuming"}[action]
        names: dict[str, list[str]] = {}
        for record in self.service.resources(stack):
            names.setdefault(record.type, []).append(record.name)
        if not names:
            raise NotSupportedError(f"{doing} stack {stack.name} is not supported.")
        kinds = ", ".join(f"{t} ({', '.join(sorted(n))})" for t, n in sorted(names.items()))
        raise NotSupportedError(f"{doing} resources of type {kinds} is not supported.")

    def abandon(self, stack: StackRecord) -> dict[str, Any]:
        """Heat's abandon: the stack's data (``HeatViews.export``); the stack is deleted
        from the records, its resources are left in their clouds."""
        data = self.export(stack)
        hidden = _hidden_values(stack, data)
        if hidden:  # sealed: adopt, by this deployment, takes them back
            data[SEALED_KEY] = self.store.seal(hidden)
        engine_id = self.service._stacks().lock(stack, Action.DELETE)
        try:
            self.store.update_stack_status(
                stack.id, Action.DELETE, Status.COMPLETE,
                "Stack abandoned: its resources are left in their clouds", event=True,
            )  # fmt: skip
            self.store.soft_delete_stack(stack.id)
        except BaseException:
            self.store.release_lock(stack.id, engine_id)
            raise
        return data


def _unmasked_template(
    template: Any, defaults: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    """An exported template, the defaults masked in it taken out (or, in ``defaults``,
    the values abandon sealed, put back)."""
    if not isinstance(template, Mapping):
        return None
    out = dict(template)
    declared = out.get("parameters")
    known = defaults or {}
    if isinstance(declared, Mapping):
        out["parameters"] = {
            k: _unmasked_default(v, k, known) if isinstance(v, Mapping) else v
            for k, v in declared.items()
        }
    return out


def _unmasked_default(
    declared: Mapping[str, Any], name: str, known: Mapping[str, Any]
) -> dict[str, Any]:
    """A parameter's declaration, its masked default taken out or put back (``known``)."""
    out = {k: v for k, v in declared.items() if not (k == "default" and v == SECRET_MASK)}
    if declared.get("default") == SECRET_MASK and name in known:
        out["default"] = known[name]
    return out


#: The abandon data's key for the hidden values, sealed with the deployment's key.
SEALED_KEY = "crossheat_sealed_hidden"


def _hidden_values(stack: StackRecord, data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The values masked in ``data`` (the stack's abandon data): its hidden parameters'
    values, given or from its environments (``parameters``), and hidden defaults of its
    template (``defaults``)."""
    merged: dict[str, Any] = {section: {} for section in ENV_SECTIONS[:3]}
    for source in stack.spec.environment.get("sources", []):
        _merge_environment(merged, _yaml(source.get("text", "")))
    merged["parameters"].update(stack.spec.parameters)
    exported = data.get("environment")
    given: dict[str, Any] = {}
    for section in ("parameter_defaults", "parameters"):  # parameters win, as in Heat
        shown = exported.get(section) if isinstance(exported, Mapping) else None
        for key, value in (shown if isinstance(shown, Mapping) else {}).items():
            if value == SECRET_MASK and key in merged[section]:
                given[key] = merged[section][key]
    declared = stack.spec.template.get("parameters")
    defaults = {
        k: v["default"] for k, v in (declared if isinstance(declared, Mapping) else {}).items()
        if isinstance(v, Mapping) and v.get("hidden") and "default" in v
    }  # fmt: skip
    return {k: v for k, v in (("parameters", given), ("defaults", defaults)) if v}


def _unmasked_environment(environment: Mapping[str, Any]) -> dict[str, Any]:
    """An exported environment without the values masked in it, nor empty sections."""
    out: dict[str, Any] = {}
    for section, value in environment.items():
        if section in ("parameters", "parameter_defaults") and isinstance(value, Mapping):
            value = {k: v for k, v in value.items() if v != SECRET_MASK}
        if value:
            out[str(section)] = value
    return out


def _declared(template: str | Mapping[str, Any]) -> set[str]:
    """The parameter names ``template`` declares (none if it cannot be read)."""
    data: Any = template
    if isinstance(template, str):
        try:
            data = yaml.safe_load(template)
        except yaml.YAMLError:
            return set()
    params = data.get("parameters") if isinstance(data, Mapping) else None
    return {str(k) for k in params} if isinstance(params, Mapping) else set()


def _without(text: str, names: set[str], declared: set[str] | None = None) -> str:
    """An environment's text without values for ``names`` (Heat's ``clear_parameters``)
    and, given what a new template ``declared``, without ``parameters`` it does not."""
    if not names and declared is None:
        return text
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if not isinstance(data, dict):
        return text
    for section in ("parameters", "parameter_defaults"):
        if isinstance(data.get(section), dict):
            data[section] = {
                k: v for k, v in data[section].items()
                if k not in names and (section != "parameters" or declared is None or k in declared)
            }  # fmt: skip
    return json.dumps(data)


def _unique_names(sources: list[Source]) -> list[Source]:
    """The environments with no two of one name (the service reads them by name)."""
    seen: set[str] = set()
    out = []
    for source in sources:
        name = source.name
        while name in seen:
            name = f"{name}.again"
        seen.add(name)
        out.append(Source(name, source.content))
    return out
