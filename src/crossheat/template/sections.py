"""Reading the template's sections into definitions.

heat_template_version: 2018-08-31
description: ...
parameter_groups: [{label: .., description: .., parameters: [..]}]
parameters: {...}
conditions: {name: expression}          # from 2016-10-14
resources:
  name:
    type: OS::Neutron::Net
    region: East                         # crossheat's own; a list: a copy per region
    peer_region: [East, West]            # with a list region: a copy per pair (template.fanout)
    properties: {...}
    metadata: {...}
    depends_on: other                    # or a list
    deletion_policy: Delete              # Retain, Snapshot
    update_policy: {...}
    condition: name                      # from 2016-10-14, also external_id
outputs:
  name: {value: ..., description: ..., condition: ...}
"""

from __future__ import annotations

from typing import Any, Final

from crossheat.errors import Diagnostic, TemplateError, TemplatePath
from crossheat.template.functions.base import (
    Function,
    PlanContext,
    Scope,
    did_you_mean,
    resolve,
    validate_all,
)
from crossheat.template.functions.conditions import truth
from crossheat.template.model import OutputDefinition, ResourceDefinition
from crossheat.template.parse import parse
from crossheat.template.values import UNKNOWN
from crossheat.template.versions import CONDITIONS_SINCE, at_least

_BASE_KEYS: Final = (
    "type",
    "properties",
    "metadata",
    "depends_on",
    "deletion_policy",
    "update_policy",
    "description",
    "region",
    "peer_region",
)
_POLICIES: Final = {"delete": "Delete", "retain": "Retain", "snapshot": "Snapshot"}


def unknown_keys(
    data: dict[str, Any], allowed: tuple[str, ...], path: TemplatePath, scope: Scope, what: str
) -> list[Diagnostic]:
    """A diagnostic per key of ``data`` not in ``allowed``, listing the allowed ones."""
    return [
        Diagnostic(
            f"unknown key {key!r} in {what}",
            (*path, key),
            scope.source.locate((*path, key)),
            " ".join(
                filter(None, [did_you_mean(str(key), allowed), f"allowed: {', '.join(allowed)}"])
            ),
            code="unknown-key",
        )
        for key in data
        if key not in allowed
    ]


def _error(message: str, path: TemplatePath, scope: Scope, hint: str | None = None) -> Diagnostic:
    return Diagnostic(message, path, scope.source.locate(path), hint)


def _condition_truth(expr: Any, path: TemplatePath, scope: Scope, found: list[Diagnostic]) -> Any:
    """Evaluate a condition expression found at ``path``; unknown counts as true."""
    parsed = parse(expr, path, scope, found, conditions=True)
    problems = validate_all(parsed)
    if problems:
        found += problems
        return True
    probe = _Probe("condition", parsed, path, scope)
    try:
        value = truth(resolve(parsed, PlanContext()), probe)
    except TemplateError as exc:
        found += exc.diagnostics
        return True
    return True if value is UNKNOWN else value


class _Probe(Function):
    """Stands for a ``condition:`` entry so that errors carry its path."""

    def compute(self, args: Any) -> Any:
        return args


def build_conditions(section: Any, scope: Scope, found: list[Diagnostic]) -> dict[str, bool]:
    if not section:
        return {}
    if not isinstance(section, dict):
        found.append(_error("conditions must be a map", ("conditions",), scope))
        return {}
    for name, expr in section.items():
        path: TemplatePath = ("conditions", name)
        if not isinstance(expr, bool | dict):
            message = "a condition must be a boolean or a condition function"
            found.append(_error(message, path, scope))
            expr = True
        scope.conditions[name] = parse(expr, path, scope, found, conditions=True)
    out = {}
    for name in section:
        out[name] = _condition_truth(name, ("conditions", name), scope, found)
    return out


def resource_keys(version: str) -> tuple[str, ...]:
    extra = ("condition", "external_id") if at_least(version, CONDITIONS_SINCE) else ()
    return _BASE_KEYS + extra


def enabled_resources(
    section: dict[str, Any], scope: Scope, found: list[Diagnostic]
) -> dict[str, Any]:
    """The resources whose condition holds; records the others in ``scope.disabled``."""
    enabled = {}
    for name, data in section.items():
        path: TemplatePath = ("resources", name)
        if not isinstance(data, dict):
            found.append(_error("a resource must be a map with a type", path, scope))
            continue
        condition = data.get("condition")
        if not at_least(scope.version, CONDITIONS_SINCE):
            condition = None
        if condition is None or _condition_truth(condition, (*path, "condition"), scope, found):
            enabled[name] = data
        else:
            scope.disabled[name] = str(condition)
    scope.resources = set(enabled)
    return enabled


def build_resource(
    name: str, data: dict[str, Any], scope: Scope, found: list[Diagnostic]
) -> ResourceDefinition | None:
    path: TemplatePath = ("resources", name)
    found += unknown_keys(data, resource_keys(scope.version), path, scope, "resource")
    kind = data.get("type")
    if not isinstance(kind, str) or not kind:
        found.append(_error(f"resource {name!r} needs a type (a string)", (*path, "type"), scope))
        return None
    condition = data.get("condition")
    return ResourceDefinition(
        name=name,
        type=kind,
        region=_static_string(data.get("region"), (*path, "region"), scope, found),
        properties=_map(data, "properties", path, scope, found),
        metadata=_map(data, "metadata", path, scope, found),
        depends_on=_depends_on(data.get("depends_on"), path, scope, found),
        deletion_policy=_policy(
            _static_string(data.get("deletion_policy"), (*path, "deletion_policy"), scope, found),
            path,
            scope,
            found,
        ),
        update_policy=_map(data, "update_policy", path, scope, found),
        condition=condition if isinstance(condition, str) else None,
        external_id=parse(data.get("external_id"), (*path, "external_id"), scope, found),
    )


def _static_string(
    value: Any, path: TemplatePath, scope: Scope, found: list[Diagnostic]
) -> str | None:
    """A string known at load time: a literal, or e.g. ``{get_param: region}``."""
    if value is None or isinstance(value, str):
        return value
    problems: list[Diagnostic] = []
    parsed = parse(value, path, scope, problems)
    problems += validate_all(parsed)
    resolved = None if problems else resolve(parsed, PlanContext())
    if not isinstance(resolved, str):
        what = path[-1]
        problems.append(_error(f"{what} must be a string known before deploy", path, scope))
    found += problems
    return resolved if isinstance(resolved, str) else None


def _map(
    data: dict[str, Any], key: str, path: TemplatePath, scope: Scope, found: list[Diagnostic]
) -> Any:
    value = parse(data.get(key) or {}, (*path, key), scope, found)
    if not isinstance(value, dict | Function):
        found.append(_error(f"{key} must be a map", (*path, key), scope))
        return {}
    return value


def _depends_on(value: Any, path: TemplatePath, scope: Scope, found: list[Diagnostic]) -> list[str]:
    names = [value] if isinstance(value, str) else value or []
    where = (*path, "depends_on")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        found.append(_error("depends_on must be a resource name or a list of them", where, scope))
        return []
    for index, target in enumerate(names):
        at = where if isinstance(value, str) else (*where, index)
        if target in scope.disabled:
            message = f"depends_on {target!r}, which is left out by its condition"
            found.append(_error(message, at, scope))
        elif target not in scope.resources:
            hint = did_you_mean(target, scope.resources)
            found.append(_error(f"depends_on unknown resource {target!r}", at, scope, hint))
    return names


def _policy(value: Any, path: TemplatePath, scope: Scope, found: list[Diagnostic]) -> str:
    if value is None:
        return "Delete"
    allowed = dict(_POLICIES) if at_least(scope.version, CONDITIONS_SINCE) else {}
    allowed.update({v: v for v in _POLICIES.values()})
    if value not in allowed:
        hint = "one of Delete, Retain, Snapshot"
        found.append(
            _error(f"invalid deletion_policy {value!r}", (*path, "deletion_policy"), scope, hint)
        )
        return "Delete"
    return allowed[value]


def build_outputs(
    section: Any, scope: Scope, found: list[Diagnostic]
) -> dict[str, OutputDefinition]:
    """The outputs whose condition holds."""
    if not isinstance(section, dict):
        return {}
    allowed = ("value", "description") + (
        ("condition",) if at_least(scope.version, CONDITIONS_SINCE) else ()
    )
    outputs = {}
    for name, data in section.items():
        path: TemplatePath = ("outputs", name)
        if not isinstance(data, dict) or "value" not in data:
            found.append(_error(f"output {name!r} needs a value", path, scope))
            continue
        found += unknown_keys(data, allowed, path, scope, "output")
        condition = data.get("condition") if at_least(scope.version, CONDITIONS_SINCE) else None
        if condition is not None and not _condition_truth(
            condition, (*path, "condition"), scope, found
        ):
            continue
        value = parse(data["value"], (*path, "value"), scope, found)
        cond_name = condition if isinstance(condition, str) else None
        outputs[name] = OutputDefinition(name, value, data.get("description"), cond_name)
    return outputs
