"""Giving parameters their values.

Precedence, lowest first: the template's ``default``, the environments'
``parameter_defaults``, their ``parameters`` (top-level template only), then
the values given (``--parameter`` for the top level, the template
resource's properties for a nested template).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crossheat.errors import Diagnostic, Location, TemplatePath
from crossheat.template.constraints import violations
from crossheat.template.environment import Environment
from crossheat.template.functions.base import did_you_mean
from crossheat.template.parameters import Parameter, convert
from crossheat.yamlmarks import SourceMap


@dataclass
class Origin:
    """Where given values come from: the command line, or a parent's properties."""

    source: SourceMap | None = None
    prefix: TemplatePath = ()

    @property
    def nested(self) -> bool:
        return self.source is not None

    def where(self, key: str, fallback: SourceMap) -> tuple[TemplatePath, Location]:
        if self.source is None:
            return ("parameters", key), fallback.locate(("parameters", key))
        return (*self.prefix, key), self.source.locate((*self.prefix, key))


def bind(
    params: dict[str, Parameter],
    source: SourceMap,
    env: Environment,
    given: Mapping[str, Any],
    origin: Origin,
) -> list[Diagnostic]:
    """Set every ``Parameter.value``; the diagnostics say what is wrong."""
    found = _unknown_given(params, source, given, origin)
    if not origin.nested:
        found += _unknown_env(params, env)
    for name, param in params.items():
        raw, path, where = _pick(name, param, source, env, given, origin)
        if raw is None:
            found.append(_missing(name, source, origin))
            continue
        try:
            param.value = convert(param, raw)
        except ValueError as exc:
            problem = f"the value is not a valid {param.type}" if param.hidden else str(exc)
            found.append(
                Diagnostic(f"parameter {name!r}: {problem}", path, where, code="parameter")
            )
            continue
        found += [
            Diagnostic(f"parameter {name!r}: {message}", path, where, code="constraint")
            for message in violations(param, param.value)
        ]
    return found


def _pick(
    name: str,
    param: Parameter,
    source: SourceMap,
    env: Environment,
    given: Mapping[str, Any],
    origin: Origin,
) -> tuple[Any, TemplatePath, Location]:
    path: TemplatePath = ("parameters", name)
    if name in given:
        return (given[name], *origin.where(name, source))
    if not origin.nested and name in env.parameters:
        return env.parameters[name], path, env.locations[name]
    if name in env.parameter_defaults:
        return env.parameter_defaults[name], path, env.locations[name]
    return param.default, path, source.locate((*path, "default"))


def _unknown_given(
    params: dict[str, Parameter], source: SourceMap, given: Mapping[str, Any], origin: Origin
) -> list[Diagnostic]:
    found = []
    for key in given:
        if key in params:
            continue
        path, where = origin.where(key, source)
        hint = did_you_mean(key, params) or f"known: {', '.join(params) or 'none'}"
        what = "property" if origin.nested else "parameter"
        message = f"unknown {what} {key!r}: the template {source.file} has no such parameter"
        found.append(Diagnostic(message, path, where, hint, code="unknown-parameter"))
    return found


def _unknown_env(params: dict[str, Parameter], env: Environment) -> list[Diagnostic]:
    return [
        Diagnostic(
            f"environment parameter {key!r} is not defined in the template",
            ("parameters", key),
            env.locations[key],
            did_you_mean(key, params),
            code="unknown-parameter",
        )
        for key in env.parameters
        if key not in params
    ]


def _missing(name: str, source: SourceMap, origin: Origin) -> Diagnostic:
    if origin.nested:
        path = origin.prefix
        message = f"missing property {name!r} (a required parameter of {source.file})"
        return Diagnostic(message, path, origin.where(name, source)[1], code="missing-parameter")
    path = ("parameters", name)
    message = f"parameter {name!r} has no value and no default"
    hint = f"--parameter {name}=VALUE"
    return Diagnostic(message, path, source.locate(path), hint, code="missing-parameter")
