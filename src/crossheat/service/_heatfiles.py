"""``-t TEMPLATE -e ENV...`` as a Heat API body: ``template``, ``files``,
``environment_files`` and ``environment``, built as python-heatclient builds them.

    body = heat_inputs(Inputs.from_files("vpn.yaml", ["env.yaml"]))
    # {"template": {...}, "files": {"file:///home/me/lib/net.yaml": "...", ...},
    #  "environment_files": ["file:///home/me/env.yaml"], "environment": {...}}

Every ``get_file: PATH`` and every ``type: PATH.yaml`` (or ``.template``) of the
template is resolved against the folder of the file it is written in and rewritten,
in place, to the absolute ``file://`` URL, which keys its content in ``files``; a file
that is itself a template is walked the same way and sent as the JSON of what it
became. Each environment file's ``resource_registry`` entries that name files are
treated alike; the environment itself goes into ``files`` (as JSON) and its URL into
``environment_files``, in the order given. A file that cannot be read is left as it is
written, for the server to report. What the files are read from is the ``Inputs``'
own (``crossheat.service.inputs``): the disk for the CLI.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse

from crossheat.errors import Diagnostic, Location, TemplateError
from crossheat.service.inputs import DiskFiles, Inputs, Source
from crossheat.yamlmarks import load_yaml

#: The keys a template's top level has when it is one (Heat's ``is_template``).
VERSION_KEYS = ("heat_template_version", "HeatTemplateFormatVersion", "AWSTemplateFormatVersion")
TEMPLATE_SUFFIXES = (".yaml", ".template")
#: ``resource_registry`` keys whose values never name a file.
_NOT_FILES = ("base_url", "hooks", "restricted_actions")
JSONDict = dict[str, Any]


def file_url(path: str | Path) -> str:
    """``lib/net.yaml`` -> ``file:///abs/lib/net.yaml``."""
    return Path(os.path.abspath(path)).as_uri()


def folder_url(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/"


class _Collector:
    """Reads each file once into ``files``, by URL, walking those that are templates."""

    def __init__(self, read: Callable[[str], bytes]) -> None:
        self.read = read
        self.files: dict[str, str] = {}

    def text(self, url: str) -> str | None:
        try:
            raw = self.read(url)
        except OSError:
            return None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(raw).decode("ascii")

    def add(self, url: str) -> bool:
        """Put ``url``'s content into ``files`` (a template walked first); False if unread."""
        if url in self.files:
            return True
        text = self.text(url)
        if text is None:
            return False
        self.files[url] = text  # before the walk: a template that includes itself ends
        data = _template_data(text, url)
        if data is not None:
            self.walk_template(data, folder_url(url))
            self.files[url] = json.dumps(data)
        return True

    def walk_template(self, node: Any, base: str) -> None:
        """Rewrite every ``get_file`` and template ``type`` under ``node`` to its URL."""
        if isinstance(node, list):
            for item in node:
                self.walk_template(item, base)
            return
        if not isinstance(node, dict):
            return
        for key, value in list(node.items()):
            if isinstance(value, dict | list):
                self.walk_template(value, base)
            elif isinstance(value, str) and _names_file(key, value):
                self.resolve(node, key, value, base)

    def walk_registry(self, registry: Any, base: str) -> None:
        """Rewrite the file names of an environment's ``resource_registry`` to URLs."""
        if not isinstance(registry, dict):
            return
        base = str(registry.get("base_url") or base)
        self._registry_level(registry, base)
        resources = registry.get("resources")
        for entry in (resources or {}).values() if isinstance(resources, dict) else ():
            if isinstance(entry, dict):
                self._registry_level(entry, str(entry.get("base_url") or base))

    def _registry_level(self, level: JSONDict, base: str) -> None:
        for key, value in list(level.items()):
            if isinstance(value, str) and key not in _NOT_FILES and "::" not in value:
                self.resolve(level, key, value, base)

    def resolve(self, node: JSONDict, key: str, value: str, base: str) -> None:
        url = urljoin(base, value)
        if self.add(url):
            node[key] = url


def _names_file(key: str, value: str) -> bool:
    return key == "get_file" or (key == "type" and value.endswith(TEMPLATE_SUFFIXES))


def _template_data(text: str, url: str) -> JSONDict | None:
    """The parsed template ``text`` is, or None when it is not one."""
    data, _, problems = load_yaml(text, url)
    if problems or not isinstance(data, dict) or not any(k in data for k in VERSION_KEYS):
        return None
    return data


def read_url(url: str) -> bytes:
    """The content of a ``file://`` URL (``OSError`` for any other or a missing file)."""
    parsed = urlparse(url)
    if parsed.scheme != "file":
        raise OSError(f"cannot read {url}")
    return Path(unquote(parsed.path)).read_bytes()


def _reader(files: Mapping[str, str], base: Path) -> Callable[[str], bytes]:
    """Reads a URL from the ``Inputs``' files (by its path relative to the template's
    folder), else from the disk."""

    if isinstance(files, DiskFiles):
        return read_url

    def read(url: str) -> bytes:
        path = Path(unquote(urlparse(url).path))
        for name in (os.path.relpath(path, os.path.abspath(base)), str(path)):
            if os.path.normpath(name) in files:
                return files[os.path.normpath(name)].encode()
        return read_url(url)

    return read


def heat_inputs(inputs: Inputs) -> JSONDict:
    """The ``template``, ``files``, ``environment_files`` and ``environment`` fields of a
    create, update or validate body for ``inputs``; ``TemplateError`` when the template
    cannot be parsed at all (as the service says it)."""
    template_url = file_url(inputs.template_name)
    collector = _Collector(_reader(inputs.files, Path(inputs.template_name).parent))
    content = inputs.template
    if content is None:
        try:
            content = read_url(template_url).decode()
        except OSError as exc:
            problem = f"cannot read template: {exc.strerror or exc}"
            raise TemplateError(Diagnostic(problem, (), Location(inputs.template_name))) from None
    template = _parsed(content, inputs.template_name)
    collector.walk_template(template, folder_url(template_url))
    environment: JSONDict = {}
    environment_files = []
    for index, given in enumerate(inputs.environments):
        url, env = _environment(given, index, collector)
        collector.files[url] = json.dumps(env)
        environment_files.append(url)
        environment = _deep_merge(environment, env)
    body: JSONDict = {"template": template, "files": collector.files, "environment": environment}
    if environment_files:
        body["environment_files"] = environment_files
    return body


def _parsed(content: str | Mapping[str, Any], name: str) -> JSONDict:
    if not isinstance(content, str):
        return dict(json.loads(json.dumps(content)))  # a copy the walk may rewrite
    data, _, problems = load_yaml(content, name)
    if problems:
        raise TemplateError(problems)
    if not isinstance(data, dict):
        raise TemplateError.single("the template is not a mapping", (), None)
    return data


def _environment(
    given: Source | str | Mapping[str, Any], index: int, collector: _Collector
) -> tuple[str, JSONDict]:
    """An environment's URL and content, its registry's file names rewritten."""
    source = given if isinstance(given, Source) else Source(f"environment-{index}.yaml", given)
    url = file_url(source.name)
    content = source.content
    if content is None:
        text = collector.text(url)
        if text is None:
            problem = "cannot read environment file"
            raise TemplateError(Diagnostic(problem, (), Location(source.name)))
        content = text
    env = _parsed(content, source.name) if content else {}
    collector.walk_registry(env.get("resource_registry"), folder_url(url))
    return url, env


def _deep_merge(old: JSONDict, new: JSONDict) -> JSONDict:
    """heatclient's ``deep_update``: maps merged key by key, anything else replaced."""
    out = dict(old)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
