"""YAML loading that remembers where every value came from.

``load_yaml(text, filename)`` parses with PyYAML's C parser and returns the
plain Python data together with a ``SourceMap``::

    data, source = load_yaml("a:\\n  b: [1, 2]\\n", "t.yaml")
    source.locate(("a", "b", 1))   # Location("t.yaml", 2, 10)

Mapping entries are located at their key, list items at the item. Like
Heat, timestamps stay strings (``heat_template_version: 2018-08-31``).
Duplicate keys and syntax errors become ``Diagnostic``s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from crossheat.errors import Diagnostic, Location, TemplatePath

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_STR = "tag:yaml.org,2002:str"


@dataclass
class SourceMap:
    """Template path -> ``Location`` of the node (1-based line and column)."""

    file: str
    marks: dict[TemplatePath, Location] = field(default_factory=dict)

    def locate(self, path: TemplatePath) -> Location:
        """The mark of the deepest known node along ``path`` (the file when none)."""
        for end in range(len(path), -1, -1):
            found = self.marks.get(path[:end])
            if found is not None:
                return found
        return Location(self.file)


def _location(file: str, mark: Any) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)


class _Builder:
    """Turns a composed node tree into data, recording marks on the way."""

    def __init__(self, loader: Any, source: SourceMap) -> None:
        self.loader = loader
        self.source = source
        self.diagnostics: list[Diagnostic] = []

    def build(self, node: yaml.Node, path: TemplatePath) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return self._sequence(node, path)
        if node.tag == _STR or node.tag == _TIMESTAMP:
            return node.value  # most scalars: skip the constructor's bookkeeping
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: TemplatePath) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.build(key_node, path)
            if not isinstance(key, str | int | float | bool) and key is not None:
                key = str(key)
            where = _location(self.source.file, key_node.start_mark)
            if key in out:
                first = self.source.marks.get((*path, key))
                self.diagnostics.append(
                    Diagnostic(
                        f"duplicate key {key!r}",
                        (*path, key),
                        where,
                        hint=f"first defined at {first}" if first else None,
                        code="duplicate-key",
                    )
                )
                continue
            self.source.marks[(*path, key)] = where
            out[key] = self.build(value_node, (*path, key))
        return out

    def _sequence(self, node: yaml.SequenceNode, path: TemplatePath) -> list[Any]:
        items = []
        for index, item in enumerate(node.value):
            self.source.marks[(*path, index)] = _location(self.source.file, item.start_mark)
            items.append(self.build(item, (*path, index)))
        return items


def load_yaml(text: str, filename: str) -> tuple[Any, SourceMap, list[Diagnostic]]:
    """Parse ``text``; the data is ``None`` when the YAML could not be read at all."""
    source = SourceMap(filename)
    loader = yaml.CSafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, source, []
        source.marks[()] = _location(filename, node.start_mark)
        builder = _Builder(loader, source)
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _location(filename, mark) if mark else Location(filename)
        message = f"invalid YAML: {exc.problem or exc.context}"
        return None, source, [Diagnostic(message, (), where, code="yaml-syntax")]
    except yaml.YAMLError as exc:
        return None, source, [Diagnostic(f"invalid YAML: {exc}", (), Location(filename))]
    finally:
        loader.dispose()
    return data, source, builder.diagnostics
