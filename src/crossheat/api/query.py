"""Heat's query-parameter typing: booleans, non-negative integers, tag lists, and
"single", "multi" and "mixed" parameters (Heat's ``param_utils`` and ``util`` rules). A
bad value is Heat's 400 ``HTTPBadRequest`` with the message Heat's helper gives it.

    query = Query(request)
    query.boolean("show_deleted")          # "True", "false"... or 400 in Heat's words
    query.integer("limit")                 # None when absent
    query.multi("sort_keys")               # every value given
    query.mixed(("status", "name"))        # {"status": ["CREATE_COMPLETE"], ...}

A parameter given twice counts once (its last value, as webob's ``params.get``) unless
it is a filter or a repeatable key (``with_attr``, ``sort_keys``). Each route lists what
it reads for the OpenAPI document (``crossheat.api.openapi.answers``).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

from fastapi import Request

from crossheat.api.errors import HeatFault, bad_request

#: Heat's longest tag.
MAX_TAG_LENGTH = 80


class Query:
    """The request's query parameters, read with Heat's typing rules."""

    def __init__(self, request: Request) -> None:
        self.items: list[tuple[str, str]] = list(request.query_params.multi_items())

    def names(self) -> list[str]:
        """The names given, each once, in the order first given."""
        return list(dict.fromkeys(key for key, _ in self.items))

    def single(self, name: str) -> str | None:
        """The last value of ``name`` (Heat's "single" parameters), or None."""
        found = self.multi(name)
        return found[-1] if found else None

    def multi(self, name: str) -> list[str]:
        return [value for key, value in self.items if key == name]

    def mixed(self, names: Iterable[str]) -> dict[str, list[str]]:
        """Filters: each name given, with every value given for it (one: exact match,
        several: any of them)."""
        wanted = set(names)
        found: dict[str, list[str]] = {}
        for key, value in self.items:
            if key in wanted:
                found.setdefault(key, []).append(value)
        return found

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.single(name)
        return default if value is None else parse_boolean(name, value)

    def integer(self, name: str) -> int | None:
        value = self.single(name)
        return None if value is None else parse_integer(name, value)

    def tags(self, name: str) -> list[str]:
        value = self.single(name)
        return [] if value is None else parse_tags(value)

    def encoded(self, **replace: str) -> str:
        """The query string again, every value kept (repeated keys too), with ``replace``
        taking the place of the keys it names."""
        kept = [(k, v) for k, v in self.items if k not in replace]
        return urlencode([*kept, *replace.items()])


def parse_boolean(name: str, value: object, kind: str | None = None) -> bool:
    """Heat's boolean: ``true``/``false`` in any case (a JSON boolean as is). ``kind``:
    the fault's type (Heat's engine reads body fields: ``ValueError``)."""
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("true", "false"):
        return text == "true"
    raise HeatFault(
        400,
        kind,
        f'Unrecognized value "{value}" for "{name}", acceptable values are: true, false.',
    )


def parse_integer(name: str, value: object) -> int:
    """Heat's non-negative integer: integer-like (``int(value)`` written back the same)."""
    try:
        number = int(str(value))
    except ValueError:
        number = None
    if number is None or str(number) != str(value):
        raise bad_request(f"Only integer is acceptable by '{name}'.")
    if number < 0:
        raise bad_request(
            f"Value '{value}' is invalid for '{name}' which only accepts non-negative integer."
        )
    return number


def parse_tags(value: object) -> list[str]:
    """Heat's tags: a comma-separated text, each tag at most 80 characters."""
    if not isinstance(value, str):
        raise HeatFault(400, "AttributeError", f"tags must be a comma-separated string: {value!r}")
    tags = [tag for tag in value.split(",") if tag] if value else []
    for tag in tags:
        if len(tag) > MAX_TAG_LENGTH:
            raise bad_request(f'Invalid tag, "{tag}" is longer than 80 characters')
    return tags
