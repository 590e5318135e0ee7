"""The base of every intrinsic function, and ``resolve``.

A parsed template is its raw data with each function call replaced by a
``Function`` object. ``resolve(value, ctx)`` evaluates them all; the
``ResolveContext`` answers ``get_resource``/``get_attr``. ``PlanContext``
answers ``UNKNOWN`` to both, which is what validate and plan use::

    resolve({"a": GetParam(...)}, PlanContext())   # {"a": "value"}

A function's result is ``UNKNOWN`` when its arguments contain ``UNKNOWN``,
unless the function overrides ``result`` to decide anyway.
"""

from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from crossheat.errors import Diagnostic, Location, TemplateError, TemplatePath
from crossheat.template.values import UNKNOWN, contains_unknown
from crossheat.yamlmarks import SourceMap


class ResolveContext(Protocol):
    """Where ``get_resource`` and ``get_attr`` get their values."""

    def get_resource(self, name: str) -> Any: ...

    def get_attr(self, name: str, path: Sequence[Any]) -> Any:
        """``path`` is ``(attribute, *sub_path)``; empty means all attributes."""
        ...


class PlanContext:
    """A ``ResolveContext`` for validate and plan time: nothing exists yet."""

    def get_resource(self, name: str) -> Any:
        return UNKNOWN

    def get_attr(self, name: str, path: Sequence[Any]) -> Any:
        return UNKNOWN


class _Omitted:
    """What ``if`` with two arguments yields when false: the item disappears."""

    def __repr__(self) -> str:
        return "<omitted>"


OMITTED = _Omitted()


@dataclass
class Scope:
    """What a template's functions can see: its parameters, conditions, files."""

    version: str
    source: SourceMap
    parameters: dict[str, Any] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)
    condition_values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    resources: set[str] = field(default_factory=set)
    disabled: dict[str, str] = field(default_factory=dict)
    facade: dict[str, Any] | None = None
    base_dir: Path = field(default_factory=Path)
    #: Reads a file the template names (``get_file``): from the disk, or from given content.
    read: Callable[[Path], str] = field(default=Path.read_text)
    #: Names of the hidden parameters (``hidden: true`` or the environment's
    #: ``encrypted_param_names``): what they reach is secret.
    hidden: frozenset[str] = frozenset()


class Function(ABC):
    """One call of an intrinsic function, at ``path`` in the template."""

    def __init__(self, name: str, args: Any, path: TemplatePath, scope: Scope) -> None:
        self.name = name
        self.args = args
        self.path = path
        self.scope = scope

    def __repr__(self) -> str:
        return f"{{{self.name}: {self.args!r}}}"

    @property
    def location(self) -> Location:
        return self.scope.source.locate((*self.path, self.name))

    def error(self, message: str, hint: str | None = None) -> TemplateError:
        return TemplateError.single(message, self.path, self.location, hint)

    def diagnostic(
        self, message: str, hint: str | None = None, code: str = "invalid"
    ) -> Diagnostic:
        return Diagnostic(message, self.path, self.location, hint, code=code)

    def children(self) -> Iterator[Function]:
        """The functions nested in this one's arguments that take effect."""
        return functions_in(self.args)

    def check(self) -> list[Diagnostic]:
        """Static checks of the argument shapes; evaluation catches the rest."""
        return []

    def validate(self) -> list[Diagnostic]:
        """Every problem in this call and the calls nested in it."""
        found = [d for child in self.children() for d in child.validate()]
        found += self.check()
        if not found:
            try:
                self.result(PlanContext())
            except TemplateError as exc:
                found += exc.diagnostics
        return found

    def dependencies(self) -> set[str]:
        """Names of the resources this call needs."""
        return {name for child in self.children() for name in child.dependencies()}

    def result(self, ctx: ResolveContext) -> Any:
        args = resolve(self.args, ctx)
        if contains_unknown(args):
            return UNKNOWN
        try:
            return self.compute(args)
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            raise self.error(f"{self.name}: invalid arguments: {exc}") from exc

    @abstractmethod
    def compute(self, args: Any) -> Any:
        """The result from fully resolved, known arguments."""


#: Types of the template's plain scalars, which are never a ``Function``.
_PLAIN = frozenset({str, int, float, bool, type(None)})


def functions_in(value: Any) -> Iterator[Function]:
    """The outermost ``Function`` objects in ``value``."""
    found: list[Function] = []
    _collect_functions(value, found)
    return iter(found)


def _collect_functions(value: Any, found: list[Function]) -> None:
    if isinstance(value, dict):
        items: Iterable[Any] = value.values()
    elif isinstance(value, list):
        items = value
    else:
        if isinstance(value, Function):
            found.append(value)
        return
    for item in items:
        if isinstance(item, (dict, list)):  # a tuple: faster than dict | list here
            _collect_functions(item, found)
        elif type(item) not in _PLAIN and isinstance(item, Function):
            found.append(item)


def resolve(value: Any, ctx: ResolveContext) -> Any:
    """Evaluate every ``Function`` in ``value`` (items an ``if`` omits disappear).

    An omitted value at the top is ``None``.
    """
    found = _resolve(value, ctx)
    return None if found is OMITTED else found


def render(value: Any) -> Any:
    """Back to template syntax: each ``Function`` becomes ``{name: args}`` again."""
    if isinstance(value, Function):
        return {value.name: render(value.args)}
    if isinstance(value, dict):
        return {k: render(v) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v) for v in value]
    return value


def validate_all(value: Any) -> list[Diagnostic]:
    """The diagnostics of every function call in ``value``."""
    return [d for fn in functions_in(value) for d in fn.validate()]


def _resolve(value: Any, ctx: ResolveContext) -> Any:
    if isinstance(value, Function):
        return value.result(ctx)
    if isinstance(value, dict):
        pairs = ((k, _resolve(v, ctx)) for k, v in value.items())
        return {k: v for k, v in pairs if v is not OMITTED}
    if isinstance(value, list):
        items = (_resolve(v, ctx) for v in value)
        return [v for v in items if v is not OMITTED]
    return value


def is_list(value: Any) -> bool:
    return isinstance(value, list | tuple)


def type_name(value: Any) -> str:
    """Template words for a value's type: map, list, string, number, boolean, null."""
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return "string"


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """``"did you mean 'east_net'?"`` when a candidate is close to ``name``."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None
