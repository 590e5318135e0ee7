"""Checking a parameter value against its constraints.

    violations(param, "short")   # ["length must be at least 16"]

A constraint's ``description``, when given, replaces the generated message.
``custom_constraint`` is kept on the parameter and checked by the resource
layer, not here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from crossheat.template.parameters import Parameter
from crossheat.template.values import contains_unknown


def violations(param: Parameter, value: Any) -> list[str]:
    """Messages for every constraint ``value`` breaks (none for unknown values)."""
    if contains_unknown(value):
        return []
    found = []
    shown = "'******'" if param.hidden else repr(value)
    for constraint in param.constraints:
        for name, spec in constraint.items():
            check = _CHECKS.get(name)
            message = check(spec, value, shown) if check else None
            if message:
                found.append(constraint.get("description") or message)
    return found


def _bounds(spec: Any, value: Any, what: str) -> str | None:
    low, high = (spec.get("min"), spec.get("max")) if isinstance(spec, dict) else (None, None)
    if low is not None and high is not None and not low <= value <= high:
        return f"{what} must be in the range {low} to {high}"
    if low is not None and value < low:
        return f"{what} must be at least {low}"
    if high is not None and value > high:
        return f"{what} must be no greater than {high}"
    return None


def _length(spec: Any, value: Any, shown: str) -> str | None:
    return _bounds(spec, len(value), "length")


def _range(spec: Any, value: Any, shown: str) -> str | None:
    return _bounds(spec, value, "value")


def _modulo(spec: Any, value: Any, shown: str) -> str | None:
    step, offset = spec.get("step", 1), spec.get("offset", 0)
    if step and value % step != offset:
        return f"value must be a multiple of {step} with an offset of {offset}"
    return None


def _allowed_values(spec: Any, value: Any, shown: str) -> str | None:
    allowed = [str(v) for v in spec]
    items = value if isinstance(value, list) else [value]
    bad = [item for item in items if str(item) not in allowed and item not in spec]
    if bad:
        item = repr(bad[0]) if isinstance(value, list) else shown
        return f"{item} is not one of the allowed values: {', '.join(allowed)}"
    return None


def _allowed_pattern(spec: Any, value: Any, shown: str) -> str | None:
    if re.fullmatch(str(spec), str(value)) is None:
        return f"{shown} does not match pattern {spec!r}"
    return None


_CHECKS: dict[str, Callable[[Any, Any, str], str | None]] = {
    "length": _length,
    "range": _range,
    "modulo": _modulo,
    "allowed_values": _allowed_values,
    "allowed_pattern": _allowed_pattern,
}
