"""Heat's coercions: lenient for scalars, strict for lists and maps."""

from __future__ import annotations

from typing import Any

import pytest

from crossheat.resources.coerce import CoercionError, PropertyType, coerce

T = PropertyType


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (T.INTEGER, "8", 8),
        (T.INTEGER, 8, 8),
        (T.NUMBER, "2.5", 2.5),
        (T.NUMBER, "3", 3),
        (T.BOOLEAN, "yes", True),
        (T.BOOLEAN, "False", False),
        (T.BOOLEAN, 0, False),
        (T.STRING, 42, "42"),
        (T.STRING, True, "true"),
        (T.LIST, ("a", "b"), ["a", "b"]),
        (T.MAP, {"a": 1}, {"a": 1}),
        (T.ANY, {"x": [1]}, {"x": [1]}),
    ],
)
def test_accepted(kind: PropertyType, value: Any, expected: Any) -> None:
    assert coerce(kind, value) == expected


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (T.INTEGER, "8.5"),
        (T.INTEGER, 8.5),
        (T.INTEGER, "eight"),
        (T.INTEGER, True),
        (T.NUMBER, [1]),
        (T.BOOLEAN, "maybe"),
        (T.STRING, ["a"]),
        (T.STRING, {"a": 1}),
        (T.LIST, "a,b"),
        (T.LIST, {"a": 1}),
        (T.MAP, ["a"]),
        (T.MAP, "a=1"),
    ],
)
def test_refused(kind: PropertyType, value: Any) -> None:
    with pytest.raises(CoercionError):
        coerce(kind, value)
