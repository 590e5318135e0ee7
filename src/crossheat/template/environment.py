"""Environment files (``-e env.yaml``), merged in order, later wins.

parameters: {key: value}              # values for this template's parameters
parameter_defaults: {key: value}      # defaults, also for nested templates
parameter_merge_strategies: {default: overwrite, key: merge}  # or deep_merge
resource_registry:
  "My::Net": OS::Neutron::Net         # alias
  "My::Server": lib/server.yaml       # template resource, relative to this file
  "OS::Networking::*": "OS::Neutron::*"
  resources:
    web: {"My::Server": other/server.yaml}   # for one resource only
encrypted_param_names: [key]
event_sinks: [...]
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from crossheat.errors import Diagnostic, Location
from crossheat.template.parameters import Parameter
from crossheat.yamlmarks import SourceMap, load_yaml

SECTIONS: Final = (
    "parameters",
    "parameter_defaults",
    "parameter_merge_strategies",
    "resource_registry",
    "encrypted_param_names",
    "event_sinks",
)
#: What each section holds: a map or a list.
SECTION_TYPES: Final[dict[str, type]] = {
    "parameters": dict,
    "parameter_defaults": dict,
    "parameter_merge_strategies": dict,
    "resource_registry": dict,
    "encrypted_param_names": list,
    "event_sinks": list,
}
KIND_WORDS: Final[dict[type, str]] = {dict: "a map", list: "a list"}
STRATEGIES: Final = ("overwrite", "merge", "deep_merge")
TEMPLATE_SUFFIXES: Final = (".yaml", ".yml", ".template")


@dataclass(frozen=True)
class RegistryEntry:
    """A registry entry: the target type or file, and the directory it is relative to."""

    target: str
    base_dir: Path

    @property
    def is_file(self) -> bool:
        return self.target.endswith(TEMPLATE_SUFFIXES)


@dataclass
class Environment:
    """The merge of every environment file given, in order."""

    parameters: dict[str, Any] = field(default_factory=dict)
    parameter_defaults: dict[str, Any] = field(default_factory=dict)
    registry: dict[str, RegistryEntry] = field(default_factory=dict)
    resource_registry: dict[str, dict[str, RegistryEntry]] = field(default_factory=dict)
    encrypted_param_names: list[str] = field(default_factory=list)
    event_sinks: list[Any] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    locations: dict[str, Location] = field(default_factory=dict)

    def resolve_type(self, type_name: str, resource: str | None = None) -> RegistryEntry | None:
        """Follow the registry from ``type_name``; ``None`` when nothing maps it."""
        found: RegistryEntry | None = None
        seen: set[str] = set()
        current = type_name
        while current not in seen:
            seen.add(current)
            step = self._lookup(current, resource)
            if step is None or step.is_file:
                return step or found
            found, current = step, step.target
        return found

    def _lookup(self, type_name: str, resource: str | None) -> RegistryEntry | None:
        name = resource or ""
        # a copy per region (``net[East]``) follows its definition's entries (``net``)
        own = self.resource_registry.get(name) or self.resource_registry.get(
            name.partition("[")[0], {}
        )
        for table in (own, self.registry):
            if type_name in table:
                return table[type_name]
            for pattern, target in table.items():
                if pattern.endswith("*") and type_name.startswith(pattern[:-1]):
                    suffix = type_name[len(pattern) - 1 :]
                    return RegistryEntry(target.target.replace("*", suffix), target.base_dir)
        return None


def load_environments(
    paths: list[Path],
    schemas: dict[str, Parameter],
    read: Callable[[Path], str] = Path.read_text,
) -> tuple[Environment, list[Diagnostic]]:
    """Read (with ``read``) and merge ``paths`` in order."""
    env = Environment()
    found: list[Diagnostic] = []
    strategies: dict[str, str] = {}
    for path in paths:
        env.files.append(path)
        try:
            text = read(path)
        except OSError as exc:
            found.append(
                Diagnostic(f"cannot read environment: {exc.strerror}", (), Location(str(path)))
            )
            continue
        data, source, problems = load_yaml(text, str(path))
        found += problems
        if data is not None:
            found += _merge_file(env, data, source, path, schemas, strategies)
    return env, found


def _merge_file(
    env: Environment,
    data: Any,
    source: SourceMap,
    path: Path,
    schemas: dict[str, Parameter],
    strategies: dict[str, str],
) -> list[Diagnostic]:
    if not isinstance(data, dict):
        return [Diagnostic("an environment must be a map", (), source.locate(()))]
    found = [
        Diagnostic(
            f"unknown environment section {key!r}",
            (key,),
            source.locate((key,)),
            f"allowed: {', '.join(SECTIONS)}",
        )
        for key in data
        if key not in SECTIONS
    ]
    wrong = [
        key
        for key, kind in SECTION_TYPES.items()
        if data.get(key) is not None and not isinstance(data[key], kind)
    ]
    found += [
        Diagnostic(
            f"environment section {key!r} must be {KIND_WORDS[SECTION_TYPES[key]]}",
            (key,),
            source.locate((key,)),
        )
        for key in wrong
    ]
    data = {key: value for key, value in data.items() if key not in wrong}
    file_strategies = data.get("parameter_merge_strategies") or {}
    for section in ("parameters", "parameter_defaults"):
        values = data.get(section) or {}
        target = getattr(env, section)
        for key, value in values.items():
            env.locations[key] = source.locate((section, key))
            strategy = _strategy(file_strategies, key, strategies)
            if strategy != strategies[key]:
                found.append(_conflict(key, strategy, strategies[key], env.locations[key]))
                continue
            target[key] = merge_value(target.get(key), value, strategy, schemas.get(key))
    _merge_registry(env, data.get("resource_registry") or {}, path.parent)
    env.encrypted_param_names += data.get("encrypted_param_names") or []
    env.event_sinks += data.get("event_sinks") or []
    return found


def _strategy(file_strategies: dict[str, Any], key: str, chosen: dict[str, str]) -> str:
    default = str(file_strategies.get("default", "overwrite"))
    strategy = str(file_strategies.get(key, chosen.get(key, default)))
    strategy = strategy if strategy in STRATEGIES else default
    chosen.setdefault(key, strategy)
    return strategy


def _conflict(key: str, strategy: str, first: str, where: Location) -> Diagnostic:
    """Heat's rule: a parameter keeps the merge strategy of its first environment."""
    message = f"parameter {key!r} is merged with {strategy!r} here but {first!r} before"
    hint = "give it the same parameter_merge_strategies entry in every environment"
    return Diagnostic(message, ("parameter_merge_strategies", key), where, hint)


def merge_value(old: Any, new: Any, strategy: str, schema: Parameter | None) -> Any:
    """Heat's parameter merge: overwrite, merge (maps, lists, strings, numbers), deep_merge."""
    if strategy == "overwrite" or old is None or new is None:
        return new if new is not None else old
    kind = schema.type if schema else None
    if isinstance(old, dict) and isinstance(new, dict):
        return _merge_maps(copy.deepcopy(old), new, deep=strategy == "deep_merge")
    if isinstance(old, list) or kind == "comma_delimited_list":
        return _merge_lists(old, new)
    if isinstance(old, int | float) and isinstance(new, int | float):
        return old + new
    if isinstance(old, str) and isinstance(new, str):
        return old + new
    return new


def _merge_lists(old: Any, new: Any) -> Any:
    if isinstance(old, list) and isinstance(new, list):
        return [*old, *new]
    return ",".join([str(old), str(new)]) if old else new


def _merge_maps(old: dict[str, Any], new: dict[str, Any], deep: bool) -> dict[str, Any]:
    for key, value in new.items():
        if value is None:
            continue
        current = old.get(key)
        if not deep or current is None:
            old[key] = value
        elif isinstance(value, dict) and isinstance(current, dict):
            old[key] = _merge_maps(current, value, deep)
        elif isinstance(value, list) and isinstance(current, list):
            old[key] = [*current, *value]
        elif isinstance(value, str) and isinstance(current, str):
            old[key] = current + value
        else:
            old[key] = value
    return old


def _merge_registry(env: Environment, registry: dict[str, Any], base_dir: Path) -> None:
    for key, value in registry.items():
        if key == "resources" and isinstance(value, dict):
            for resource, entries in value.items():
                own = env.resource_registry.setdefault(resource, {})
                own.update(_entries(entries, base_dir))
        elif isinstance(value, str):
            env.registry[key] = RegistryEntry(value, base_dir)


def _entries(entries: Any, base_dir: Path) -> dict[str, RegistryEntry]:
    if not isinstance(entries, dict):
        return {}
    return {k: RegistryEntry(v, base_dir) for k, v in entries.items() if isinstance(v, str)}
