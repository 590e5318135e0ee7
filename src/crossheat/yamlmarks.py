"""YAML loading that remembers where every value came from: templates and config files.

``load_yaml(text, filename)`` parses with PyYAML's C parser and returns the
plain Python data together with a ``SourceMap``::

    data, source = load_yaml("a:\\n  b: [1, 2]\\n", "t.yaml")
    source.locate(("a", "b", 1))   # Location("t.yaml", 2, 10)

Mapping entries are located at their key, list items at the item. Like
Heat, timestamps stay strings (``heat_template_version: 2018-08-31``).
Duplicate keys and syntax errors become ``Diagnostic``s.

``ConfigReader`` checks a small config file (the region map) read this way,
value by value, and raises every problem at once, each with its line::

    reader = ConfigReader.load(text, "regions.yaml", "region map")
    top = reader.mapping(reader.root, (), ("regions", "default_region"))
    reader.raise_problems()   # ConfigError: "regions.yaml:3:5: regions.East: missing 'cloud'"

It shares no layer with the template code: ``clouds/`` and ``template/`` both use it.

The data is built straight from the parser's events (no node tree): an
alias replays the events recorded under its anchor, so it gives a fresh
copy located where the anchored value is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

import yaml
from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    StreamEndEvent,
)

from crossheat.errors import ConfigError, Diagnostic, Location, TemplatePath

#: A ``yaml.events`` event from the C parser (its marks are the C parser's ``Mark``).
_Event = Any
#: Path -> 1-based (line, column).
_Marks = dict[TemplatePath, tuple[int, int]]

_TIMESTAMP: Final = "tag:yaml.org,2002:timestamp"
_STR: Final = "tag:yaml.org,2002:str"
_NULL: Final = "tag:yaml.org,2002:null"

#: Implicit resolvers of the safe loader by first character ("" for the empty scalar).
_RESOLVERS: Final[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {
    first: [*resolvers, *yaml.CSafeLoader.yaml_implicit_resolvers.get(None, [])]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


class NotText:
    """A config file's key that is null or not a scalar (``ConfigReader`` reports it)."""


def _plain_tag(value: str) -> str:
    """The tag of an untagged plain scalar, as the safe loader's resolver decides it."""
    for tag, pattern in _RESOLVERS.get(value[:1], ()):
        if pattern.match(value):
            return tag
    return _STR


@dataclass
class SourceMap:
    """Template path -> 1-based (line, column) of the node; ``locate`` gives a ``Location``."""

    file: str
    marks: dict[TemplatePath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: TemplatePath) -> Location:
        """The mark of the deepest known node along ``path`` (the file when none)."""
        for end in range(len(path), -1, -1):
            found = self.marks.get(path[:end])
            if found is not None:
                return Location(self.file, *found)
        return Location(self.file)


def _mark(event: _Event) -> tuple[int, int]:
    start = event.start_mark
    return start.line + 1, start.column + 1


class _Builder:
    """Turns the parser's events into data, recording a mark for every path."""

    def __init__(self, loader: Any, source: SourceMap, values: _Marks | None) -> None:
        self.loader = loader
        self.file = source.file
        self.marks = source.marks
        self.values = values  # config files: where each value starts
        self.text_scalars = values is not None  # config files: scalars as written
        self.diagnostics: list[Diagnostic] = []
        self.skipping = False  # reading past a duplicate key's value: nothing is kept
        self.deferred: yaml.MarkedYAMLError | None = None  # reported after syntax errors
        self.anchors: dict[str, list[_Event]] = {}  # anchor -> its node's events
        self.recording: list[list[_Event]] = []  # events of the anchors being read
        self.replay: list[_Event] = []  # an alias's events, last first

    def start(self) -> _Event:
        """The next event; for an alias, the first event of its anchored node."""
        if self.replay:
            event = self.replay.pop()
        else:
            event = self.loader.get_event()
            for events in self.recording:
                events.append(event)
        if isinstance(event, AliasEvent):
            self._replay(event)
            event = self.replay.pop()
        return event

    def _replay(self, alias: _Event) -> None:
        """Queue the events recorded under the alias's anchor."""
        events = self.anchors.get(alias.anchor)
        if events is None or any(events is open_ for open_ in self.recording):
            problem = "found undefined alias" if events is None else "found recursive alias"
            raise ComposerError(None, None, problem, alias.start_mark)
        self.replay.extend(reversed(events))

    def build(self, event: _Event, path: TemplatePath) -> Any:
        """The value of the node that ``event`` starts."""
        anchor = event.anchor
        if anchor is None:
            return self._node(event, path)
        first = self.anchors.get(anchor)
        if first is not None and first[0] is event:
            return self._node(event, path)  # an alias replaying it
        if first is not None:
            raise ComposerError(
                "found duplicate anchor; first occurrence",
                first[0].start_mark,
                "second occurrence",
                event.start_mark,
            )
        events = self.anchors[anchor] = [event]
        self.recording.append(events)
        try:
            return self._node(event, path)
        finally:
            self.recording.pop()

    def _node(self, event: _Event, path: TemplatePath) -> Any:
        if isinstance(event, ScalarEvent):
            return self._scalar(event)
        if isinstance(event, MappingStartEvent):
            return self._mapping(path)
        return self._sequence(path)

    def _scalar(self, event: _Event) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = _plain_tag(event.value) if event.implicit[0] else _STR
        if tag in (_STR, _TIMESTAMP):
            return event.value  # most scalars: no constructor needed
        if self.text_scalars:
            return None if tag == _NULL else event.value
        if self.skipping:
            return None
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self.deferred = self.deferred or exc
        except ValueError:  # e.g. ``!!int x``: a clear diagnostic, not a crash
            problem = f"cannot read {event.value!r} as {tag.rsplit(':', 1)[-1]}"
            self.deferred = self.deferred or yaml.constructor.ConstructorError(
                None, None, problem, event.start_mark
            )
        return None

    def _mapping(self, path: TemplatePath) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        marks = self.marks
        while not isinstance(event := self.start(), MappingEndEvent):
            key = self.build(event, path)
            if self.text_scalars and not isinstance(key, str):
                key = NotText()  # null or not a scalar: each its own key
            elif not isinstance(key, (str, int, float, bool)) and key is not None:
                key = str(key)
            where = _mark(event)
            value_event = self.start()
            if key in out:
                self._duplicate(key, path, where)
                self._skip(value_event)
                continue
            marks[(*path, key)] = where
            if self.values is not None:
                self.values[(*path, key)] = _mark(value_event)
            out[key] = self.build(value_event, (*path, key))
        return out

    def _duplicate(self, key: Any, path: TemplatePath, where: tuple[int, int]) -> None:
        first = self.marks.get((*path, key))
        file = self.file
        self.diagnostics.append(
            Diagnostic(
                f"duplicate key {key!r}",
                (*path, key),
                Location(file, *where),
                hint=f"first defined at {Location(file, *first)}" if first else None,
                code="duplicate-key",
            )
        )

    def _skip(self, event: _Event) -> None:
        """Read past a node, keeping only its anchors (the first of duplicate keys stays)."""
        marks, values, found, skipping = (
            self.marks,
            self.values,
            len(self.diagnostics),
            self.skipping,
        )
        self.marks, self.values, self.skipping = {}, None, True
        try:
            self.build(event, ())
        finally:
            self.marks, self.values, self.skipping = marks, values, skipping
            del self.diagnostics[found:]

    def _sequence(self, path: TemplatePath) -> list[Any]:
        items: list[Any] = []
        marks = self.marks
        while not isinstance(event := self.start(), SequenceEndEvent):
            item_path = (*path, len(items))
            marks[item_path] = _mark(event)
            if self.values is not None:
                self.values[item_path] = marks[item_path]
            items.append(self.build(event, item_path))
        return items


def _document(
    loader: Any, source: SourceMap, values: _Marks | None
) -> tuple[Any, list[Diagnostic]]:
    """The stream's only document (``None`` when there is none), as PyYAML composes it."""
    loader.get_event()  # stream start
    if loader.check_event(StreamEndEvent):
        return None, []
    loader.get_event()  # document start
    builder = _Builder(loader, source, values)
    event = builder.start()
    data = builder.build(event, ())
    loader.get_event()  # document end
    if not loader.check_event(StreamEndEvent):
        raise ComposerError(
            "expected a single document in the stream",
            event.start_mark,
            "but found another document",
            loader.get_event().start_mark,
        )
    source.marks[()] = _mark(event)
    if values is not None:
        values[()] = source.marks[()]
    if builder.deferred is not None:
        raise builder.deferred
    return data, builder.diagnostics


def load_yaml(text: str, filename: str) -> tuple[Any, SourceMap, list[Diagnostic]]:
    """Parse ``text``; the data is ``None`` when the YAML could not be read at all."""
    return _load(text, filename, None)


def _load(
    text: str, filename: str, values: _Marks | None
) -> tuple[Any, SourceMap, list[Diagnostic]]:
    """``load_yaml``; with ``values`` (config files), every scalar stays the text it is
    written as (``None`` for null; no tag is constructed) and ``values`` gets the mark
    where each value starts (``SourceMap.marks`` has a mapping entry's key)."""
    source = SourceMap(filename)
    loader = yaml.CSafeLoader(text)
    try:
        data, diagnostics = _document(loader, source, values)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(filename, mark.line + 1, mark.column + 1) if mark else Location(filename)
        message = f"invalid YAML: {exc.problem or exc.context}"
        return None, source, [Diagnostic(message, (), where, code="yaml-syntax")]
    except yaml.YAMLError as exc:
        return None, source, [Diagnostic(f"invalid YAML: {exc}", (), Location(filename))]
    finally:
        loader.dispose()
    return data, source, diagnostics


class ConfigReader:
    """Checks a config file's data value by value, collecting problems; raises them at once.

    ``path`` arguments say where a value is in the file (``("regions", "East")``);
    problems name it dotted (``regions.East``), the root by the file's ``name``.
    """

    def __init__(
        self, root: Any, source: SourceMap, values: _Marks, name: str, duplicates: list[Diagnostic]
    ) -> None:
        self.root = root
        self.source = source
        self.values = values
        self.name = name
        self.problems: list[str] = []
        self._duplicates = duplicates

    @classmethod
    def load(cls, text: str, file: str, name: str) -> ConfigReader:
        """Read ``text``; YAML syntax errors and empty files raise ``ConfigError``."""
        values: _Marks = {}
        data, source, diagnostics = _load(text, file, values)
        duplicates = [d for d in diagnostics if d.code == "duplicate-key"]
        for diagnostic in diagnostics:
            if diagnostic not in duplicates:
                raise ConfigError(f"{diagnostic.location}: {diagnostic.message}")
        if () not in source.marks:
            raise ConfigError(f"{file}: the file is empty")
        return cls(data, source, values, name, duplicates)

    @property
    def ok(self) -> bool:
        return not self.problems

    def where(self, path: TemplatePath) -> str:
        return ".".join(str(p) for p in path) or self.name

    def problem(self, path: TemplatePath, message: str, *, at_key: bool = False) -> None:
        """A problem with the value at ``path`` (or, ``at_key``, with its key)."""
        found = (self.source.marks if at_key else self.values).get(path)
        where = Location(self.source.file, *found) if found else Location(self.source.file)
        self.problems.append(f"{where}: {message}")

    def raise_problems(self) -> None:
        if self.problems:
            raise ConfigError("\n".join(self.problems))

    def items(self, value: Any, path: TemplatePath) -> dict[str, Any]:
        """A mapping with string keys (``{}`` and a problem otherwise)."""
        where = self.where(path)
        if not isinstance(value, dict):
            self.problem(path, f"{where}: expected a mapping")
            return {}
        for duplicate in [d for d in self._duplicates if d.path[:-1] == path]:
            self.problems.append(
                f"{duplicate.location}: {where}: duplicate key {duplicate.path[-1]!r}"
            )
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(key, NotText):
                bad: TemplatePath = (*path, key)  # type: ignore[arg-type]  # as the file has it
                self.problem(bad, f"{where} key: expected a string", at_key=True)
            else:
                out[key] = item
        return out

    def mapping(self, value: Any, path: TemplatePath, allowed: tuple[str, ...]) -> dict[str, Any]:
        """Like ``items``, reporting keys outside ``allowed`` (and leaving them out)."""
        out = self.items(value, path)
        for key in [k for k in out if k not in allowed]:
            self.problem(
                (*path, key),
                f"{self.where(path)}: unknown key {key!r} (known: {', '.join(allowed)})",
                at_key=True,
            )
            del out[key]
        return out

    def string(self, value: Any, path: TemplatePath) -> str | None:
        """A non-null scalar as text (``None`` and a problem otherwise)."""
        if value is None or isinstance(value, (dict, list)):
            self.problem(path, f"{self.where(path)}: expected a string")
            return None
        return str(value)

    def string_table(self, value: Any, path: TemplatePath) -> dict[str, str]:
        """A mapping of strings to strings; absent (``None`` with no key) means empty."""
        table: dict[str, str] = {}
        if value is None and path not in self.source.marks:
            return table
        for key, item in self.items(value, path).items():
            text = self.string(item, (*path, key))
            if text is not None:
                table[key] = text
        return table
