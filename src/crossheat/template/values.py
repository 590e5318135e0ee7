"""Values that stand for something not known yet.

At validate and plan time a ``get_resource`` or ``get_attr`` has no value:
the resource does not exist. Resolution then yields ``UNKNOWN``, and every
check that meets it (schema validation, constraints, CIDR checks) skips the
value instead of guessing.
"""

from __future__ import annotations

from typing import Any, Final


class _Unknown:
    """Singleton: a value that will only be known at deploy time."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown until deploy>"

    def __bool__(self) -> bool:
        return True


UNKNOWN: Final = _Unknown()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def contains_unknown(value: Any) -> bool:
    """True when ``value`` or anything nested in it is ``UNKNOWN``."""
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v) for v in value)
    return False
