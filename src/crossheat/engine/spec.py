"""What a stack is made of, kept in the store, and read back as a ``Template``.

Like Heat, crossheat keeps the template, the environment files, every file
the template uses (``get_file``, nested templates) and the parameters as the
user gave them; loading the stack again parses them exactly as the first
time, and expands template resources (``flatten``) exactly as ``analyse``
did. Hidden parameters are sealed by the store: their values, their defaults in
the template, and the environment files that give them a value.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from crossheat.clouds.regionmap import RegionMap
from crossheat.store import StackSpec
from crossheat.template import Template, load_template
from crossheat.template.flatten import flatten_checked
from crossheat.yamlmarks import load_yaml


def _nested_files(template: Template, root: Path) -> dict[str, str]:
    files: dict[str, str] = {}
    for name, text in template.files.items():
        files[name] = text
    for definition in [*template.resources.values(), *template.expanded.values()]:
        nested = definition.nested
        if nested is None:
            continue
        try:
            relative = nested.path.resolve().relative_to(root)
        except ValueError:
            continue
        files[str(relative)] = nested.path.read_text()
        files.update(_nested_files(nested, root))
    return files


def make_spec(
    template: Template,
    environment_files: Sequence[str | Path],
    parameters: Mapping[str, str],
    *,
    region_map: RegionMap | None,
    disable_rollback: bool,
    timeout_mins: int | None,
) -> StackSpec:
    """The spec to store for ``template`` loaded from its file with these inputs."""
    root = template.path.resolve().parent
    raw, _, _ = load_yaml(template.path.read_text(), str(template.path))  # dates stay strings
    hidden = _hidden_names(template)
    sources = [_source(Path(p), hidden) for p in environment_files]
    return StackSpec(
        template=raw if isinstance(raw, dict) else {},
        environment={"sources": sources},
        parameters=dict(parameters),
        hidden_parameters=frozenset(template.hidden_parameters()),
        files=_nested_files(template, root),
        template_path=str(template.path),
        disable_rollback=disable_rollback,
        timeout_mins=timeout_mins,
        region_map=_region_map_dict(region_map),
    )


def _hidden_names(template: Template) -> set[str]:
    """The hidden parameters of ``template`` and of every template it nests."""
    names = template.hidden_parameters()
    for definition in [*template.resources.values(), *template.expanded.values()]:
        if definition.nested is not None:
            names |= _hidden_names(definition.nested)
    return names


def _source(path: Path, hidden: set[str]) -> dict[str, Any]:
    """An environment file as stored; ``secret`` (its text sealed by the store) when it
    gives a hidden parameter a value."""
    text = path.read_text()
    data, _, _ = load_yaml(text, str(path))
    given: set[Any] = set()
    if isinstance(data, dict):
        for section in ("parameters", "parameter_defaults"):
            values = data.get(section)
            given |= set(values) if isinstance(values, dict) else set()
    source: dict[str, Any] = {"name": path.name, "text": text}
    if given & hidden:
        source["secret"] = True
    return source


def _region_map_dict(region_map: RegionMap | None) -> dict[str, Any]:
    if region_map is None:
        return {}
    loaded = yaml.safe_load(region_map.dump())
    return loaded if isinstance(loaded, dict) else {}


def load_spec(spec: StackSpec) -> Template:
    """Parse a stored spec again, from a private copy of its files."""
    with tempfile.TemporaryDirectory(prefix="crossheat-") as tmp:
        root = Path(tmp)
        name = Path(spec.template_path or "template.yaml").name
        for relative, text in spec.files.items():
            target = root / relative
            if root not in target.resolve().parents:
                continue  # a file outside the template's folder: not materialised
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        text = yaml.dump(spec.template, Dumper=yaml.CSafeDumper, sort_keys=False)
        (root / name).write_text(text)
        envs = []
        for index, source in enumerate(spec.environment.get("sources", [])):
            env = root / f".env-{index}-{source['name']}"
            env.write_text(source["text"])
            envs.append(env)
        params = {k: str(v) for k, v in spec.parameters.items()}
        return flatten_checked(load_template(root / name, envs, params))
