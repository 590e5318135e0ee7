"""Heat's reading of query parameters, with Heat's 400 messages.

    with_detail = boolean("with_detail", request.query_params.get("with_detail"), False)
    limit = integer("limit", request.query_params.get("limit"))
    filters = mixed(request, ("name", "status"))   # {"name": ["a", "b"]}: any may match

A boolean is ``true`` or ``false`` in any case; an integer is written as one, not
negative. A parameter given twice counts once (its first value) unless it is a
filter or a repeatable key (``with_attr``, ``sort_keys``).
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request

from crossheat.api.errors import HeatFault


def bad_request(message: str) -> HeatFault:
    """Heat's ``HTTPBadRequest`` with ``message``."""
    return HeatFault(400, "HTTPBadRequest", message)


def boolean(name: str, value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    if value.lower() not in ("true", "false"):
        raise bad_request(
            f'Unrecognized value "{value}" for "{name}", acceptable values are: true, false.'
        )
    return value.lower() == "true"


def integer(name: str, value: str | None, default: int | None = None) -> int | None:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or str(number) != value:
        raise bad_request(f"Only integer is acceptable by '{name}'.")
    if number < 0:
        raise bad_request(
            f"Value '{value}' is invalid for '{name}' which only accepts non-negative integer."
        )
    return number


def multi(request: Request, name: str) -> list[str]:
    """Every value of a repeatable parameter (``?with_attr=a&with_attr=b``)."""
    return request.query_params.getlist(name)


def mixed(request: Request, names: Iterable[str]) -> dict[str, list[str]]:
    """Heat's filters among ``names``: each given one with all its values."""
    return {
        name: request.query_params.getlist(name) for name in names if name in request.query_params
    }
