"""Heat's request bodies that carry a template (validate; create, preview and update
take the same fields) as the service's ``Inputs``.

    inputs = inputs_of(body)    # template, files, environment(s), parameters

``template`` is an object or its text (JSON or YAML); ``files`` maps the names the
template uses (``get_file``, a nested template's ``type``) to their contents;
``environment`` is an object or its text, unless ``environment_files`` names
environments in ``files``, merged in order (``environment`` is then ignored, as Heat
does); ``parameters`` are values given on top. heatclient names files by absolute
``file://`` URLs: they are known by their paths.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from crossheat.api.params import bad_request
from crossheat.service import Inputs, Source

#: The name the body's template is known by in diagnostics.
TEMPLATE_NAME = "template.yaml"


def file_name(name: str) -> str:
    """The name a file of ``files`` is read by: a ``file://`` URL's path, normalised."""
    return posixpath.normpath(name.removeprefix("file://"))


def inputs_of(body: Mapping[str, Any]) -> Inputs:
    """The ``Inputs`` of a Heat body; Heat's 400 for what cannot be one."""
    template = body.get("template")
    if template is None:
        if body.get("template_url"):
            raise bad_request(
                "Could not retrieve template: crossheat does not fetch template_url; "
                "send the template itself in 'template'"
            )
        raise bad_request("No template specified")
    if not isinstance(template, str | Mapping):
        raise bad_request("Template not in valid format: a template is an object or a text")
    files = _files(body.get("files"))
    return Inputs(
        template=template,
        template_name=TEMPLATE_NAME,
        files=files,
        environments=_environments(body, files),
        parameters=_parameters(body.get("parameters")),
    )


def _files(given: Any) -> dict[str, str]:
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise bad_request("files must be an object mapping names to contents")
    return {file_name(str(k)): v if isinstance(v, str) else str(v) for k, v in given.items()}


def _environments(body: Mapping[str, Any], files: Mapping[str, str]) -> list[Source]:
    names = body.get("environment_files") or []
    if not isinstance(names, list):
        raise bad_request("environment_files must be a list of names in files")
    if names:
        found = []
        for name in names:
            key = file_name(str(name))
            if key not in files:
                raise bad_request(f"Environment file {name} is not in files")
            found.append(Source(key, files[key]))
        return found
    environment = body.get("environment")
    if not environment:
        return []
    if not isinstance(environment, str | Mapping):
        raise bad_request("Environment not in valid format: an object or a text")
    return [Source("environment.yaml", environment)]


def _parameters(given: Any) -> dict[str, Any]:
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise bad_request("parameters must be an object")
    return dict(given)
