"""Template parameters: schema, type conversion and constraints.

    parameters:
      size:
        type: number            # string | number | json | comma_delimited_list | boolean
        default: 2
        constraints:
          - range: {min: 1, max: 8}
            description: between one and eight
          - modulo: {step: 2, offset: 0}   # from 2017-02-24
        hidden: false
        tags: [sizing]                     # from 2018-03-02

Values given as strings (``--parameter size=4``) are converted to the type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from crossheat.errors import Diagnostic, TemplatePath
from crossheat.template.values import contains_unknown
from crossheat.template.versions import MODULO_SINCE, TAGS_SINCE, at_least, describe
from crossheat.yamlmarks import SourceMap

TYPES: Final = ("string", "number", "json", "comma_delimited_list", "boolean")
_KEYS: Final = ("type", "default", "description", "label", "hidden", "constraints", "immutable")
_CONSTRAINTS: Final = {
    "length": ("string", "comma_delimited_list", "json"),
    "range": ("number",),
    "modulo": ("number",),
    "allowed_values": ("string", "number", "comma_delimited_list"),
    "allowed_pattern": ("string",),
    "custom_constraint": TYPES,
}
_TRUE: Final = {"1", "t", "true", "on", "y", "yes"}
_FALSE: Final = {"0", "f", "false", "off", "n", "no"}


@dataclass
class Parameter:
    """One declared parameter and, once bound, its value."""

    name: str
    type: str
    value: Any = None
    default: Any = None
    hidden: bool = False
    label: str | None = None
    description: str | None = None
    constraints: list[dict[str, Any]] = field(default_factory=list)
    immutable: bool = False
    tags: list[str] = field(default_factory=list)


def declare(
    section: Any, version: str, source: SourceMap
) -> tuple[dict[str, Parameter], list[Diagnostic]]:
    """Read the ``parameters`` section."""
    found: list[Diagnostic] = []
    if section is None:
        return {}, found
    if not isinstance(section, dict):
        return {}, [_diag("parameters must be a map", ("parameters",), source)]
    params = {}
    for name, schema in section.items():
        path: TemplatePath = ("parameters", name)
        problems = _check_schema(schema, path, version, source)
        found += problems
        if not problems:
            params[name] = _parameter(str(name), schema)
    return params, found


def _parameter(name: str, schema: dict[str, Any]) -> Parameter:
    return Parameter(
        name=name,
        type=schema["type"],
        default=schema.get("default"),
        hidden=bool(schema.get("hidden", False)),
        label=schema.get("label"),
        description=schema.get("description"),
        constraints=list(schema.get("constraints") or []),
        immutable=bool(schema.get("immutable", False)),
        tags=list(schema.get("tags") or []),
    )


def _diag(
    message: str, path: TemplatePath, source: SourceMap, hint: str | None = None
) -> Diagnostic:
    return Diagnostic(message, path, source.locate(path), hint)


def _check_schema(
    schema: Any, path: TemplatePath, version: str, source: SourceMap
) -> list[Diagnostic]:
    if not isinstance(schema, dict):
        return [_diag("a parameter must be a map with at least a type", path, source)]
    allowed = _KEYS + (("tags",) if at_least(version, TAGS_SINCE) else ())
    found = [
        _diag(
            f"unknown key {key!r} in parameter",
            (*path, key),
            source,
            f"allowed: {', '.join(allowed)}",
        )
        for key in schema
        if key not in allowed
    ]
    kind = schema.get("type")
    if kind not in TYPES:
        message = f"parameter type must be one of {', '.join(TYPES)}, not {kind!r}"
        return [*found, _diag(message, (*path, "type"), source)]
    constraints = schema.get("constraints") or []
    if not isinstance(constraints, list):
        return [*found, _diag("constraints must be a list", (*path, "constraints"), source)]
    for index, constraint in enumerate(constraints):
        where = (*path, "constraints", index)
        found += _check_constraint(constraint, kind, where, version, source)
    return found


def _check_constraint(
    constraint: Any, kind: str, path: TemplatePath, version: str, source: SourceMap
) -> list[Diagnostic]:
    if not isinstance(constraint, dict):
        return [_diag("a constraint must be a map", path, source)]
    names = [k for k in constraint if k != "description"]
    allowed = [k for k in _CONSTRAINTS if k != "modulo" or at_least(version, MODULO_SINCE)]
    if len(names) != 1 or names[0] not in allowed:
        hint = f"one of: {', '.join(allowed)}"
        if "modulo" in names and "modulo" not in allowed:
            hint = f"modulo needs heat_template_version {describe(MODULO_SINCE)}"
        return [_diag(f"invalid constraint {', '.join(map(str, names))}", path, source, hint)]
    if kind not in _CONSTRAINTS[names[0]]:
        return [_diag(f"{names[0]} does not apply to a {kind} parameter", path, source)]
    return []


def convert(param: Parameter, raw: Any) -> Any:
    """``raw`` as ``param``'s type; raises ``ValueError`` with a message."""
    if contains_unknown(raw):
        return raw
    converter = _CONVERTERS[param.type]
    return converter(raw)


def _to_string(raw: Any) -> str:
    if isinstance(raw, dict | list):
        raise ValueError(f"expected a string, got {json.dumps(raw)}")
    if isinstance(raw, bool):
        return str(raw).lower()
    return "" if raw is None else str(raw)


def _to_number(raw: Any) -> int | float:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return raw
    try:
        return int(str(raw))
    except ValueError:
        pass
    try:
        return float(str(raw))
    except ValueError:
        raise ValueError(f"{raw!r} is not a number") from None


def _to_json(raw: Any) -> Any:
    if isinstance(raw, dict | list):
        return raw
    if raw is None or raw == "":
        return {}
    try:
        value = json.loads(str(raw))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{raw!r} is not valid JSON: {exc.msg}") from None
    if not isinstance(value, dict | list):
        raise ValueError(f"{raw!r} is not a JSON map or list")
    return value


def _to_list(raw: Any) -> list[str]:
    if isinstance(raw, list):
        return [str(item) for item in raw]
    if raw is None or raw == "":
        return []
    if isinstance(raw, dict):
        raise ValueError("expected a comma-delimited list, got a map")
    return [item.strip() for item in str(raw).split(",")]


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{raw!r} is not a boolean (use true or false)")


_CONVERTERS: Final = {
    "string": _to_string,
    "number": _to_number,
    "json": _to_json,
    "comma_delimited_list": _to_list,
    "boolean": _to_bool,
}
