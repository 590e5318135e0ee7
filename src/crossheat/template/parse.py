"""Turning raw template data into data with ``Function`` objects.

A one-key map whose key is a function of the template's version becomes that
function's object; any other map stays data. A function of another version,
a condition function outside conditions (or the reverse), ``yaql`` and the
CloudFormation functions (``Fn::...``, ``Ref``) become diagnostics::

    parse({"get_param": "x"}, ("outputs", "o", "value"), scope, diagnostics)
"""

from __future__ import annotations

from typing import Any

from crossheat.errors import Diagnostic, TemplatePath
from crossheat.template.functions.base import Function, Scope
from crossheat.template.functions.table import (
    UNSUPPORTED,
    all_function_names,
    condition_functions_for_version,
    first_version,
    functions_for_version,
)
from crossheat.template.versions import VERSIONS, describe


def parse(
    value: Any,
    path: TemplatePath,
    scope: Scope,
    diagnostics: list[Diagnostic],
    conditions: bool = False,
) -> Any:
    """``value`` with every function call replaced by its ``Function`` object."""
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(next(iter(value)), str):
            return _call(value, path, scope, diagnostics, conditions)
        return {k: parse(v, (*path, k), scope, diagnostics, conditions) for k, v in value.items()}
    if isinstance(value, list):
        return [parse(v, (*path, i), scope, diagnostics, conditions) for i, v in enumerate(value)]
    return value


def _call(
    value: dict[str, Any],
    path: TemplatePath,
    scope: Scope,
    diagnostics: list[Diagnostic],
    conditions: bool,
) -> Any:
    ((name, args),) = value.items()
    table = (condition_functions_for_version if conditions else functions_for_version)(
        scope.version
    )
    if name in table:
        return _make(table[name], name, args, path, scope, diagnostics, conditions)
    problem = _problem(name, scope.version, conditions)
    if problem is None:
        return {name: parse(args, (*path, name), scope, diagnostics, conditions)}
    message, code = problem
    location = scope.source.locate((*path, name))
    diagnostics.append(Diagnostic(message, (*path, name), location, code=code))
    return value


def _make(
    cls: type[Function],
    name: str,
    args: Any,
    path: TemplatePath,
    scope: Scope,
    diagnostics: list[Diagnostic],
    conditions: bool,
) -> Function:
    inner = (*path, name)
    if name == "if" and isinstance(args, list) and args:
        parsed = [parse(args[0], (*inner, 0), scope, diagnostics, conditions=True)]
        parsed += [parse(a, (*inner, i + 1), scope, diagnostics) for i, a in enumerate(args[1:])]
        return cls(name, parsed, path, scope)
    return cls(name, parse(args, inner, scope, diagnostics, conditions), path, scope)


def _problem(name: str, version: str, conditions: bool) -> tuple[str, str] | None:
    """Why ``name`` cannot be called here, or ``None`` when it is not a function."""
    if name.startswith("Fn::") or name in UNSUPPORTED:
        return f"{name} is not supported by crossheat", "not-supported"
    if name not in all_function_names():
        return None
    first = first_version(name, conditions_only=conditions)
    if first is not None and VERSIONS.index(first) > VERSIONS.index(version):
        where = " in conditions" if conditions else ""
        message = (
            f"{name} is not available{where} in heat_template_version {version}; "
            f"it was added in {describe(first)}"
        )
        return message, "unknown-function"
    if conditions:
        allowed = ", ".join(condition_functions_for_version(version))
        return f"{name} is not allowed in conditions (allowed: {allowed})", "unknown-function"
    message = (
        f"{name} is a condition function: it works only in the conditions section, "
        "in a resource's or output's condition and in the first argument of if"
    )
    return message, "unknown-function"
