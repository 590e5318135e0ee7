"""Read small YAML config files node by node, so every problem names its line.

reader = NodeReader.compose(text, "regions.yaml")
top = reader.mapping(reader.root, ("regions",), "region map")
...
reader.raise_problems()   # ConfigError: "regions.yaml:3:5: regions.East: missing 'cloud'"
"""

from __future__ import annotations

import yaml

from crossheat.errors import ConfigError, Location

NULL_TAG = "tag:yaml.org,2002:null"


class NodeReader:
    """Collects problems while walking a composed YAML tree; raises them all at once."""

    def __init__(self, root: yaml.Node, file: str) -> None:
        self.root = root
        self.file = file
        self.problems: list[str] = []

    @classmethod
    def compose(cls, text: str, file: str) -> NodeReader:
        """Compose ``text``; YAML syntax errors and empty files raise ``ConfigError``."""
        try:
            root = yaml.compose(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
            problem = getattr(exc, "problem", None) or str(exc)
            raise ConfigError(f"{where}: invalid YAML: {problem}") from exc
        if root is None:
            raise ConfigError(f"{file}: the file is empty")
        return cls(root, file)

    @property
    def ok(self) -> bool:
        return not self.problems

    def location(self, node: yaml.Node) -> Location:
        mark = node.start_mark
        return Location(self.file, mark.line + 1, mark.column + 1)

    def problem(self, node: yaml.Node, message: str) -> None:
        self.problems.append(f"{self.location(node)}: {message}")

    def raise_problems(self) -> None:
        if self.problems:
            raise ConfigError("\n".join(self.problems))

    def items(self, node: yaml.Node, where: str) -> dict[str, yaml.Node]:
        """A mapping with string keys: key -> value node (``{}`` and a problem otherwise)."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{where}: expected a mapping")
            return {}
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = self.string(key_node, f"{where} key")
            if key is None:
                continue
            if key in out:
                self.problem(key_node, f"{where}: duplicate key {key!r}")
            out[key] = value_node
        return out

    def mapping(
        self, node: yaml.Node, allowed: tuple[str, ...], where: str
    ) -> dict[str, yaml.Node]:
        """Like ``items``, reporting keys outside ``allowed`` (and leaving them out)."""
        out = self.items(node, where)
        for key in [k for k in out if k not in allowed]:
            self.problem(
                self._key_node(node, key),
                f"{where}: unknown key {key!r} (known: {', '.join(allowed)})",
            )
            del out[key]
        return out

    def string(self, node: yaml.Node, where: str) -> str | None:
        """A non-null scalar as text (``None`` and a problem otherwise)."""
        if not isinstance(node, yaml.ScalarNode) or node.tag == NULL_TAG:
            self.problem(node, f"{where}: expected a string")
            return None
        return str(node.value)

    def string_table(self, node: yaml.Node | None, where: str) -> dict[str, str]:
        """A mapping of strings to strings; absent means empty."""
        table: dict[str, str] = {}
        if node is None:
            return table
        for key, value_node in self.items(node, where).items():
            value = self.string(value_node, f"{where}.{key}")
            if value is not None:
                table[key] = value
        return table

    @staticmethod
    def _key_node(node: yaml.Node, key: str) -> yaml.Node:
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return key_node
        return node
