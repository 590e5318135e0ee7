"""Markdown reference of the registered resource types (``docs/resource-types.md``).

    render_reference(default_registry()) -> "# Resource types\\n\\n## OS::Heat::None ..."

Nested schemas are flattened into dotted rows: ``allocation_pools[].start``,
``dpd.interval``. A test keeps the committed file equal to this output.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator, Mapping
from typing import Any

from crossheat.resources.constraints import (
    AllowedPattern,
    AllowedValues,
    Constraint,
    CustomConstraint,
    Length,
    Modulo,
    Range,
)
from crossheat.resources.registry import Registry, ResourceType
from crossheat.resources.schema import Property

_HEADER = """# Resource types

Generated from the schemas in `src/crossheat/resources/types/` by
`crossheat.resources.docgen.render_reference`; the schemas are Heat's own.
*Update*: **in place** means a change updates the resource, **replace** means
a change replaces it. Aliases are Heat's deprecated or hidden names for the
same property; either may be written, not both. Secret values are never
logged or stored in clear text. Besides the attributes listed, every type has
Heat's `show` attribute: the whole resource as the cloud shows it.
"""


def render_reference(registry: Registry) -> str:
    """The whole reference: one ``## <type name>`` section per registered type."""
    parts = [_HEADER]
    parts.extend(_section(cls) for cls in registry)
    return "\n".join(parts)


def _section(cls: type[ResourceType]) -> str:
    lines = [f"## {cls.type_name}", "", inspect.getdoc(cls) or "", ""]
    if cls.properties_schema:
        lines += ["### Properties", "", "| Property | Type | Required | Default | Update | Notes |"]
        lines.append("|---|---|---|---|---|---|")
        lines += [
            _property_row(name, prop, nested=name not in cls.properties_schema)
            for name, prop in _flatten(cls.properties_schema)
        ]
        lines.append("")
    if cls.update_policy_schema:
        lines += ["### Update policy", "", "| Key | Type | Default | Notes |", "|---|---|---|---|"]
        lines += [_policy_row(name, prop) for name, prop in _flatten(cls.update_policy_schema)]
        lines.append("")
    if cls.attributes_schema:
        lines += ["### Attributes", "", "| Attribute | Type | Description |", "|---|---|---|"]
        for name, attr in cls.attributes_schema.items():
            secret = " **secret**" if attr.secret else ""
            lines.append(f"| `{name}` | {attr.type.value} | {attr.description}{secret} |")
        lines.append("")
    return "\n".join(lines)


def _flatten(schema: Mapping[str, Property], prefix: str = "") -> Iterator[tuple[str, Property]]:
    for name, prop in schema.items():
        path = f"{prefix}{name}"
        yield path, prop
        if prop.schema is not None:
            yield from _flatten(prop.schema, f"{path}.")
        if prop.items is not None and prop.items.schema is not None:
            yield from _flatten(prop.items.schema, f"{path}[].")
        elif prop.items is not None:
            yield f"{path}[]", prop.items


def _property_row(name: str, prop: Property, nested: bool) -> str:
    """One table row; only top-level properties have an update behaviour of their own."""
    notes = [prop.description] if prop.description else []
    notes += [_constraint(c) for c in prop.constraints]
    if prop.aliases:
        notes.append("alias: " + ", ".join(f"`{a}`" for a in prop.aliases))
    if prop.secret:
        notes.append("**secret**")
    cells = [
        f"`{name}`",
        prop.type.value,
        "yes" if prop.required else "",
        _value(prop.default),
        "" if nested else "in place" if prop.update_allowed else "replace",
        " ".join(notes),
    ]
    return "| " + " | ".join(cells) + " |"


def _policy_row(name: str, prop: Property) -> str:
    notes = " ".join([prop.description, *(_constraint(c) for c in prop.constraints)]).strip()
    return f"| `{name}` | {prop.type.value} | {_value(prop.default)} | {notes} |"


def _value(value: Any) -> str:
    return "" if value is None else f"`{json.dumps(value)}`"


def _constraint(constraint: Constraint) -> str:
    match constraint:
        case AllowedValues(values):
            shown = values if len(values) <= 30 else (*values[:3], "...", *values[-25:])
            return "allowed: " + ", ".join(f"`{v}`" for v in shown) + "."
        case Range(low, high) | Length(low, high):
            kind = "range" if isinstance(constraint, Range) else "length"
            bounds = [f"min {low}"] if low is not None else []
            bounds += [f"max {high}"] if high is not None else []
            return f"{kind}: {', '.join(bounds)}."
        case AllowedPattern(pattern):
            return f"pattern: `{pattern}`."
        case Modulo(step, offset):
            return f"modulo: {step} offset {offset}."
        case CustomConstraint(name):
            return f"constraint: `{name}`."
    return ""
