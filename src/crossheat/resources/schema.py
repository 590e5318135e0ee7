"""Declarative property and attribute schemas, Heat's, typed.

    properties_schema = {
        "cidr": Property(PropertyType.STRING, "The CIDR.",
                         constraints=(CustomConstraint("net_cidr"),)),
        "name": Property(PropertyType.STRING, "The name.", update_allowed=True),
        "network": Property(PropertyType.STRING, required=True, aliases=("network_id",)),
    }

    validate_properties(schema, values, path)  -> list[Diagnostic], all problems at once
    apply_defaults(schema, values)             -> values with aliases renamed, types coerced,
                                                  defaults filled in (nested maps too)
    changed_properties(schema, old, new)       -> (update_in_place, replace)

Values may be, or contain, ``UNKNOWN`` (known only at deploy time): checks skip them.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crossheat.errors import Diagnostic, TemplatePath
from crossheat.resources.coerce import CoercionError, PropertyType, coerce
from crossheat.resources.constraints import Constraint
from crossheat.template.values import UNKNOWN, contains_unknown

__all__ = [
    "SECRET_MASK",
    "Attribute",
    "Property",
    "PropertyType",
    "Schema",
    "apply_defaults",
    "canonical_path",
    "changed_properties",
    "mask_secrets",
    "validate_properties",
]

SECRET_MASK = "******"


@dataclass(frozen=True)
class Property:
    """One property. ``items`` is the schema of a list's items, ``schema`` a map's keys.

    ``aliases`` are Heat's deprecated or hidden names for the same property
    (``network_id`` for ``network``); either may be written, not both.
    ``update_allowed`` properties change in place, the others force replacement.
    ``secret`` values (passwords, keys) must never be logged or stored in clear.
    ``hidden`` properties (Heat's support status HIDDEN) still work but are left out of the
    schema and template the API shows for the type.
    """

    type: PropertyType
    description: str = ""
    required: bool = False
    default: Any = None
    constraints: tuple[Constraint, ...] = ()
    update_allowed: bool = False
    immutable: bool = False
    secret: bool = False
    items: Property | None = None
    schema: Mapping[str, Property] | None = None
    aliases: tuple[str, ...] = ()
    hidden: bool = False


@dataclass(frozen=True)
class Attribute:
    """One attribute, read with ``get_attr``; ``ANY`` when Heat leaves it untyped."""

    description: str = ""
    type: PropertyType = PropertyType.ANY
    secret: bool = False


Schema = Mapping[str, Property]


def _canonical(
    schema: Schema, values: Mapping[str, Any], path: TemplatePath, diags: list[Diagnostic]
) -> dict[str, tuple[str, Any]]:
    """Map each written key to its property: ``{name: (key as written, value)}``."""
    found: dict[str, tuple[str, Any]] = {}
    for key, value in values.items():
        name = key if key in schema else _alias_of(schema, key)
        if name is None:
            diags.append(_unknown_property(schema, str(key), (*path, key)))
        elif name in found:
            both = f"{found[name][0]} and {key}"
            diags.append(Diagnostic(f"cannot set both {both}", (*path, key), code="conflict"))
        else:
            found[name] = (key, value)
    return found


def _alias_of(schema: Schema, key: Any) -> str | None:
    """The property that ``key`` is an alias of (``None`` when none is)."""
    return next((name for name, prop in schema.items() if key in prop.aliases), None)


def canonical_path(schema: Schema, path: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Where the value at ``path`` of written properties is after ``apply_defaults``:
    each alias on the way becomes its property's name (``("network_id",)`` ->
    ``("network",)``, ``("fixed_ips", 0, "subnet_id")`` -> ``("fixed_ips", 0, "subnet")``)."""
    out: list[str | int] = []
    current: Schema | None = schema
    prop: Property | None = None
    for part in path:
        if isinstance(part, str) and current is not None:
            part = part if part in current else (_alias_of(current, part) or part)
            prop = current.get(part)
        else:
            prop = prop.items if prop is not None and isinstance(part, int) else None
        current = prop.schema if prop is not None else None
        out.append(part)
    return tuple(out)


def _unknown_property(schema: Schema, key: str, path: TemplatePath) -> Diagnostic:
    names = sorted(schema)
    close = difflib.get_close_matches(key, names, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"known properties: {', '.join(names)}"
    return Diagnostic(f"unknown property {key!r}", path, hint=hint, code="unknown_property")


def validate_properties(schema: Schema, values: Any, path: TemplatePath) -> list[Diagnostic]:
    """Every problem with ``values`` against ``schema``, each with its template path."""
    if values is UNKNOWN:
        return []
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        return [Diagnostic(f"{values!r} is not a map of properties", path, code="type")]
    diags: list[Diagnostic] = []
    found = _canonical(schema, values, path, diags)
    for name, prop in schema.items():
        key, value = found.get(name, (name, None))
        if value is None:
            if prop.required and prop.default is None:
                diags.append(
                    Diagnostic(f"property {name!r} is required", (*path, name), code="required")
                )
            continue
        diags.extend(_validate_value(prop, value, (*path, key)))
    return diags


def _validate_value(prop: Property, value: Any, path: TemplatePath) -> list[Diagnostic]:
    if value is UNKNOWN:
        return []
    try:
        value = coerce(prop.type, value)
    except CoercionError as exc:
        return [Diagnostic(f"{exc}; expected {prop.type.value}", path, code="type")]
    diags: list[Diagnostic] = []
    if not contains_unknown(value):
        for constraint in prop.constraints:
            problem = constraint.check(value)
            if problem is not None:
                diags.append(Diagnostic(problem, path, code="constraint"))
    if prop.items is not None and isinstance(value, list):
        for index, item in enumerate(value):
            diags.extend(_validate_value(prop.items, item, (*path, index)))
    if prop.schema is not None and isinstance(value, dict):
        diags.extend(validate_properties(prop.schema, value, path))
    return diags


def apply_defaults(schema: Schema, values: Mapping[str, Any] | None) -> dict[str, Any]:
    """``values`` under their canonical names, coerced, with every default filled in.

    Defaults of nested map schemas are filled in too, where the map is given
    (``dpd: {actions: clear}`` gains ``interval: 30, timeout: 120``). A value that
    cannot be coerced is kept as written; ``validate_properties`` reports it.
    Keys the schema does not know are kept as they are.
    """
    values = values or {}
    found = _canonical(schema, values, (), [])
    known = set(schema) | {alias for prop in schema.values() for alias in prop.aliases}
    out: dict[str, Any] = {key: v for key, v in values.items() if key not in known}
    for name, prop in schema.items():
        value = found.get(name, (name, None))[1]
        if value is None and prop.default is not None:
            out[name] = copy.deepcopy(prop.default)
        elif name in found:
            out[name] = _fill(prop, value)
    return out


def _fill(prop: Property, value: Any) -> Any:
    if value is UNKNOWN or value is None:
        return value
    try:
        value = coerce(prop.type, value)
    except CoercionError:
        return value
    if prop.items is not None and isinstance(value, list):
        return [_fill(prop.items, item) for item in value]
    if prop.schema is not None and isinstance(value, dict):
        return apply_defaults(prop.schema, value)
    return value


def changed_properties(
    schema: Schema, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> tuple[set[str], set[str]]:
    """``(update_in_place, replace)``: names of the properties that differ.

    Both sides are compared after ``apply_defaults``, so dropping a property
    whose value was its default is no change. A changed property without
    ``update_allowed`` (or ``immutable``) forces replacement. An ``UNKNOWN``
    new value counts as a change.
    """
    before, after = apply_defaults(schema, old), apply_defaults(schema, new)
    in_place: set[str] = set()
    replace: set[str] = set()
    for name, prop in schema.items():
        if before.get(name) != after.get(name):
            target = in_place if prop.update_allowed and not prop.immutable else replace
            target.add(name)
    return in_place, replace


def mask_secrets(schema: Schema, values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``values`` fit for logs and events: every secret value is ``SECRET_MASK``."""
    out: dict[str, Any] = {}
    found = {key: name for name, (key, _) in _canonical(schema, values, (), []).items()}
    for key, value in values.items():
        prop = schema.get(found.get(key, key))
        out[key] = value if prop is None else _mask(prop, value)
    return out


def _mask(prop: Property, value: Any) -> Any:
    if prop.secret and value is not None:
        return SECRET_MASK
    if prop.items is not None and isinstance(value, list):
        return [_mask(prop.items, item) for item in value]
    if prop.schema is not None and isinstance(value, Mapping):
        return mask_secrets(prop.schema, value)
    return value
