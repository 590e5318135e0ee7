"""What a stack is made of, kept in the store, and read back as a ``Template``.

Like Heat, crossheat keeps the template, the environments, every file the
template uses (``get_file``, nested templates) and the parameters as the user
gave them; loading the stack again parses them, in memory, exactly as the first
time, and expands template resources (``flatten``) exactly as ``analyse`` did.
Hidden parameters are sealed by the store: their values, their defaults in the
template, and the environments that give them a value.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from crossheat.clouds.regionmap import RegionMap
from crossheat.errors import raise_if_errors
from crossheat.store import StackSpec
from crossheat.template import Reader, Template, parse_content
from crossheat.template.flatten import flatten_checked
from crossheat.yamlmarks import load_yaml

#: How Heat's clients name the files they send (``file:///abs/path``).
FILE_URL = "file://"


def file_key(path: Path | str) -> str:
    """The name a file read by the loader is known by in ``files`` (``lib/x.yaml``)."""
    return os.path.normpath(str(path)).replace(os.sep, "/")


def content_reader(given: Mapping[str, str], base: str | None = None) -> Reader:
    """Reads from ``given`` (name -> content) what the loader asks for by path; ``base``
    (a folder) is also tried relative to, for specs stored with names relative to it.
    A name may be a ``file://`` URL (Heat's clients name files so): ``get_file`` asks
    for ``/dir/x.sh``, a template resource's ``type:`` for ``file:/dir/x.yaml``."""
    files = {}
    for name, text in given.items():
        files[file_key(name)] = text
        if name.startswith(FILE_URL):
            files[file_key(name.removeprefix(FILE_URL))] = text

    def read(path: Path) -> str:
        key = file_key(path)
        if key in files:
            return files[key]
        if base is not None:
            relative = file_key(os.path.relpath(key, base or "."))
            if relative in files:
                return files[relative]
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), key)

    return read


def given_names(
    recorded: Mapping[str, str], given: Mapping[str, str], keep: Collection[str] = ()
) -> dict[str, str]:
    """``recorded`` (files read, by the loader's names) under the names they were
    ``given`` by, where one was (``file:///dir/x.sh`` rather than ``/dir/x.sh``); the
    names in ``keep`` (the environments, known by the loader's names) stay."""
    names = {key: key for key in keep}
    for name in given:
        names.setdefault(file_key(name), name)
        if name.startswith(FILE_URL):
            names.setdefault(file_key(name.removeprefix(FILE_URL)), name)
    return {names.get(key, key): text for key, text in recorded.items()}


def recording(read: Reader, into: dict[str, str]) -> Reader:
    """``read``, keeping each file it returns in ``into`` by its name (to be stored)."""

    def recorded(path: Path) -> str:
        text = read(path)
        into[file_key(path)] = text
        return text

    return recorded


def make_spec(
    template: Template,
    text: str | Mapping[str, Any],
    files: Mapping[str, str],
    environments: list[str],
    parameters: Mapping[str, str],
    *,
    region_map: RegionMap | None,
    disable_rollback: bool,
    timeout_mins: int | None,
) -> StackSpec:
    """The spec to store for ``template``, parsed from ``text`` (its content) with these
    inputs; ``files`` holds every file read for it, ``environments`` among them, by name."""
    raw = load_yaml(text, str(template.path))[0] if isinstance(text, str) else dict(text)
    hidden = _hidden_names(template)
    environment_names = set(environments)
    return StackSpec(
        template=raw if isinstance(raw, dict) else {},
        environment={"sources": [_source(name, files[name], hidden) for name in environments]},
        parameters=dict(parameters),
        hidden_parameters=frozenset(template.hidden_parameters()),
        files={k: v for k, v in files.items() if k not in environment_names},
        template_path=str(template.path),
        disable_rollback=disable_rollback,
        timeout_mins=timeout_mins,
        region_map=region_map.as_dict() if region_map is not None else {},
    )


def _hidden_names(template: Template) -> set[str]:
    """The hidden parameters of ``template`` and of every template it nests."""
    names = template.hidden_parameters()
    for definition in [*template.resources.values(), *template.expanded.values()]:
        if definition.nested is not None:
            names |= _hidden_names(definition.nested)
    return names


def _source(name: str, text: str, hidden: set[str]) -> dict[str, Any]:
    """An environment as stored; ``secret`` (its text sealed by the store) when it gives
    a hidden parameter a value."""
    data, _, _ = load_yaml(text, name)
    given: set[Any] = set()
    if isinstance(data, dict):
        for section in ("parameters", "parameter_defaults"):
            values = data.get(section)
            given |= set(values) if isinstance(values, dict) else set()
    source: dict[str, Any] = {"name": name, "text": text}
    if given & hidden:
        source["secret"] = True
    return source


def load_spec(spec: StackSpec) -> Template:
    """Parse a stored spec again, in memory, from its stored content."""
    name = spec.template_path or "template.yaml"
    files = dict(spec.files)
    envs = []
    for source in spec.environment.get("sources", []):
        env = file_key(source["name"])
        while files.get(env, source["text"]) != source["text"]:
            env = file_key(f"{env}.again")  # two environments of one name: keep both
        files[env] = source["text"]
        envs.append(env)
    params = {k: str(v) for k, v in spec.parameters.items()}
    read = content_reader(files, os.path.dirname(file_key(name)))
    template, found = parse_content(spec.template, name, envs, params, read=read)
    raise_if_errors(found)
    assert template is not None
    return flatten_checked(template)
