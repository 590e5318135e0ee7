"""Heat's answer to ``POST /validate``: the template's description, its parameters in
Heat's validate keys (``Type``, ``NoEcho`` as ``"true"``/``"false"``, ``Default``,
``Value``, constraints as ``MinLength``, ``AllowedValues``...), its parameter groups
and the user environment.

As in Heat, a parameter needs no value to validate: a missing one stands for a value
known only at deploy time. Hidden parameters' defaults and values are ``******``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from crossheat.errors import TemplateError
from crossheat.plan.analysis import Analysis
from crossheat.resources.schema import SECRET_MASK
from crossheat.template.environment import Environment
from crossheat.template.parameters import Parameter
from crossheat.template.values import UNKNOWN

if TYPE_CHECKING:
    from crossheat.service._service import Service
    from crossheat.service.inputs import Inputs

#: A HOT parameter type as Heat's validate names it.
PARAMETER_TYPES = {
    "string": "String",
    "number": "Number",
    "comma_delimited_list": "CommaDelimitedList",
    "json": "Json",
    "boolean": "Boolean",
}

#: HOT constraint keys -> Heat's validate keys for their bounds.
_BOUNDS = {
    "length": ("MinLength", "MaxLength", "min", "max"),
    "range": ("MinValue", "MaxValue", "min", "max"),
    "modulo": ("Step", "Offset", "step", "offset"),
}


def validate_template(service: Service, inputs: Inputs) -> dict[str, Any]:
    """Heat's ``POST /validate`` answer for ``inputs``; ``TemplateError`` with every error
    (each naming its file, line and template path) when the template is invalid."""
    analysis = service.validate(inputs)
    missing = [
        str(d.path[1])
        for d in analysis.errors
        if d.code == "missing-parameter" and len(d.path) == 2 and d.path[0] == "parameters"
    ]
    if missing:
        unknown = cast(Mapping[str, str], dict.fromkeys(missing, UNKNOWN))
        analysis = service.validate(replace(inputs, parameters={**inputs.parameters, **unknown}))
    return validate_answer(analysis, inputs.parameters)


def validate_answer(analysis: Analysis, given: Mapping[str, Any]) -> dict[str, Any]:
    """The answer for an analysis of a template given the parameter values ``given``."""
    if not analysis.ok or analysis.template is None:
        raise TemplateError(analysis.errors)
    template = analysis.template
    env = template.environment
    values = {**env.parameters, **given}
    hidden = template.hidden_parameters() | set(env.encrypted_param_names)
    result: dict[str, Any] = {
        "Description": template.description or "No description",
        "Parameters": {
            name: parameter(p, env, values, name in hidden)
            for name, p in template.parameters.items()
        },
    }
    if template.parameter_groups:
        result["ParameterGroups"] = template.parameter_groups
    result["Environment"] = environment(env, given, hidden)
    return result


def parameter(
    param: Parameter, env: Environment, values: Mapping[str, Any], hidden: bool
) -> dict[str, Any]:
    """One parameter in Heat's validate keys."""
    out: dict[str, Any] = {
        "Type": PARAMETER_TYPES.get(param.type, param.type),
        "Description": param.description or "",
        "NoEcho": "true" if hidden else "false",
        "Label": param.label or param.name,
    }
    default = env.parameter_defaults.get(param.name, param.default)
    if default is not None:
        out["Default"] = SECRET_MASK if hidden else default
    if values.get(param.name) is not None:
        out["Value"] = SECRET_MASK if hidden else values[param.name]
    if param.tags:
        out["Tags"] = list(param.tags)
    out.update(constraint_keys(param.constraints))
    return out


def constraint_keys(constraints: list[dict[str, Any]]) -> dict[str, Any]:
    """HOT constraints as Heat's validate keys; their descriptions joined."""
    out: dict[str, Any] = {}
    descriptions = []
    for constraint in constraints:
        for key, value in constraint.items():
            if key in _BOUNDS and isinstance(value, Mapping):
                low, high, low_key, high_key = _BOUNDS[key]
                if value.get(low_key) is not None:
                    out[low] = value[low_key]
                if value.get(high_key) is not None:
                    out[high] = value[high_key]
            elif key == "allowed_values":
                out["AllowedValues"] = list(value)
            elif key == "allowed_pattern":
                out["AllowedPattern"] = value
            elif key == "custom_constraint":
                out["CustomConstraint"] = value
        if constraint.get("description"):
            descriptions.append(str(constraint["description"]))
    if descriptions:
        out["ConstraintDescription"] = " ".join(descriptions)
    return out


def environment(env: Environment, given: Mapping[str, Any], hidden: set[str]) -> dict[str, Any]:
    """The user environment as Heat's validate shows it (the request's parameters merged
    into it), hidden values ``******``."""

    def masked(values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: SECRET_MASK if k in hidden else v for k, v in values.items()}

    registry: dict[str, Any] = {key: entry.target for key, entry in env.registry.items()}
    registry["resources"] = {
        name: {key: entry.target for key, entry in entries.items()}
        for name, entries in env.resource_registry.items()
    }
    return {
        "resource_registry": registry,
        "parameters": masked({**env.parameters, **given}),
        "parameter_defaults": masked(env.parameter_defaults),
        "event_sinks": list(env.event_sinks),
    }
