"""Property types and Heat's coercions between them.

Heat is lenient where templates usually are: ``"8"`` is a fine integer,
``"yes"`` a fine boolean, ``42`` a fine string. It is strict where a mistake
is likely: a string where a list is wanted is an error, not a one-item list.

    coerce(PropertyType.INTEGER, "8")      -> 8
    coerce(PropertyType.BOOLEAN, "on")     -> True
    coerce(PropertyType.LIST, "a,b")       -> raises CoercionError
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any


class PropertyType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    LIST = "list"
    MAP = "map"
    #: Anything at all (``OS::Heat::Value``'s ``value``).
    ANY = "any"


class CoercionError(ValueError):
    """The value cannot be read as the property's type; ``str()`` says why."""


_TRUE = frozenset({"1", "t", "true", "on", "y", "yes"})
_FALSE = frozenset({"0", "f", "false", "off", "n", "no"})


def _to_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise CoercionError(f"{value!r} is not a number")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        for parse in (int, float):
            try:
                return parse(value.strip())
            except ValueError:
                continue
    raise CoercionError(f"{value!r} is not a number")


def _to_integer(value: Any) -> int:
    number = _to_number(value)
    if isinstance(number, float):
        raise CoercionError(f"{value!r} is not an integer")
    return number


def _to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CoercionError(f"{value!r} is not a boolean (use true or false)")


def _to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise CoercionError(f"a {type(value).__name__} is not a string")


def _to_list(value: Any) -> list[Any]:
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    raise CoercionError(f"{value!r} is not a list")


def _to_map(value: Any) -> dict[Any, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    raise CoercionError(f"{value!r} is not a map")


_COERCERS = {
    PropertyType.STRING: _to_string,
    PropertyType.INTEGER: _to_integer,
    PropertyType.NUMBER: _to_number,
    PropertyType.BOOLEAN: _to_boolean,
    PropertyType.LIST: _to_list,
    PropertyType.MAP: _to_map,
}


def coerce(kind: PropertyType, value: Any) -> Any:
    """``value`` read as ``kind``, or ``CoercionError``. Lists and maps are copied shallowly."""
    if kind is PropertyType.ANY:
        return value
    return _COERCERS[kind](value)
