"""Heat's request bodies, read as Heat reads them, and turned into the service's inputs.

    body = await json_body(request)            # None: no body, as Heat sees it
    create = create_request(body)              # stack_name, Inputs, rollback, timeout, tags
    update = update_request(body, patch=True)  # crossheat.service.HeatUpdate

A body counts only if it is JSON (or untyped, or ``text/plain``) and starts with
``{``; over ``MAX_JSON_BODY`` bytes, or a template over ``MAX_TEMPLATE_SIZE``
characters, is Heat's 400 ``RequestLimitExceeded``. ``template`` is an object or a
text (JSON or YAML) that must name its version; ``environment`` an object or YAML
text, ignored when ``environment_files`` names entries of ``files``; ``tags`` a
comma-separated text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from fastapi import Request

from crossheat.api.errors import STATUS_TEXT, HeatFault
from crossheat.api.query import parse_boolean, parse_integer, parse_tags
from crossheat.service import HeatUpdate, Inputs, Source

#: Heat's ``max_json_body_size`` and ``max_template_size`` defaults.
MAX_JSON_BODY = 1048576
MAX_TEMPLATE_SIZE = 524288
#: The keys that say which template format a template is.
VERSION_KEYS = ("heat_template_version", "HeatTemplateFormatVersion", "AWSTemplateFormatVersion")
ENVIRONMENT_SECTIONS = (
    "parameters",
    "parameter_defaults",
    "resource_registry",
    "encrypted_param_names",
    "event_sinks",
    "parameter_merge_strategies",
)
JSON_TYPES = ("", "application/json", "text/plain")


async def json_body(request: Request) -> dict[str, Any] | None:
    """FastAPI dependency: the request's JSON object, or None when Heat sees no body."""
    raw = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not raw or kind not in JSON_TYPES or not raw.startswith(b"{"):
        return None
    if len(raw) > MAX_JSON_BODY:
        raise HeatFault(
            400,
            "RequestLimitExceeded",
            f"Request limit exceeded: JSON body size ({len(raw)} bytes) exceeds maximum "
            f"allowed size ({MAX_JSON_BODY} bytes).",
        )
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise HeatFault(400, None, f"Malformed JSON in the request body: {exc}") from None
    if not isinstance(data, dict):
        raise HeatFault(400, None, "The request body must be a JSON object.")
    return data


def required(body: dict[str, Any] | None) -> dict[str, Any]:
    """The body of an action that needs one (Heat's 400 when there is none)."""
    if body is None:
        raise HeatFault(400, None, STATUS_TEXT[400][1])
    return body


@dataclass(frozen=True)
class CreateRequest:
    """``POST /stacks`` (and ``/stacks/preview``) in the service's terms."""

    name: str
    inputs: Inputs
    disable_rollback: bool
    timeout_mins: int | None
    tags: list[str]
    #: ``adopt_stack_data``: the stack to adopt instead of creating one.
    adopt: dict[str, Any] | None = None


def create_request(body: dict[str, Any]) -> CreateRequest:
    name = body.get("stack_name")
    if not name:
        raise HeatFault(400, None, "No stack name specified")
    if "converge" in body:
        raise HeatFault(
            400,
            None,
            "converge flag only supported in stack update (or update preview) request.",
        )
    adopt = _adopt_data(body.get("adopt_stack_data"))
    template = template_of(body)
    if template is None and adopt is None:  # an adopt's template may come with its data
        raise HeatFault(400, None, "No template specified")
    files = files_of(body)
    timeout = body.get("timeout_mins")
    return CreateRequest(
        name=str(name),
        inputs=Inputs(
            template,
            files=files,
            environments=environments_of(body, files),
            parameters=parameters_of(body),
        ),
        disable_rollback=parse_boolean("disable_rollback", body.get("disable_rollback", True)),
        timeout_mins=(parse_integer("timeout_mins", timeout) or None) if timeout else None,
        tags=tags_of(body) or [],
        adopt=adopt,
    )


def update_request(body: dict[str, Any], *, patch: bool) -> HeatUpdate:
    """PUT (``patch`` False: the template is required) or PATCH (``existing``)."""
    template = template_of(body)
    existing = patch or parse_boolean("existing", body.get("existing", False))
    if template is None and not existing:
        raise HeatFault(400, None, "No template specified")
    files = files_of(body)
    timeout = body.get("timeout_mins")
    rollback = body.get("disable_rollback")
    clear = body.get("clear_parameters") or []
    if not isinstance(clear, list):
        raise HeatFault(400, None, "clear_parameters must be a list of parameter names")
    return HeatUpdate(
        template=template,
        files=files,
        environments=environments_of(body, files),
        parameters=parameters_of(body),
        clear_parameters=[str(name) for name in clear],
        timeout_mins=None if timeout is None else parse_integer("timeout_mins", timeout),
        disable_rollback=None if rollback is None else parse_boolean("disable_rollback", rollback),
        tags=tags_of(body),
        existing=existing,
    )


def template_of(body: Mapping[str, Any]) -> str | dict[str, Any] | None:
    """The body's template (an object, or a text naming its version); None if absent."""
    template = body.get("template")
    if template is None:
        if body.get("template_url"):
            raise HeatFault(
                400,
                None,
                "Could not retrieve template: crossheat does not fetch template_url; "
                "send the template itself in `template`",
            )
        return None
    if isinstance(template, dict):
        _limit(len(json.dumps(template)))
        return template
    if not isinstance(template, str):
        raise HeatFault(400, None, "Template not in valid format: not a template")
    _limit(len(template))
    try:
        data = yaml.safe_load(template)
    except yaml.YAMLError as exc:
        raise HeatFault(400, None, f"Template not in valid format: {exc}") from None
    if not isinstance(data, dict) or not any(key in data for key in VERSION_KEYS):
        raise HeatFault(
            400, None, "Template not in valid format: Template format version not found."
        )
    return template


def _limit(size: int) -> None:
    if size > MAX_TEMPLATE_SIZE:
        raise HeatFault(
            400,
            "RequestLimitExceeded",
            f"Request limit exceeded: Template size ({size} bytes) exceeds maximum allowed "
            f"size ({MAX_TEMPLATE_SIZE} bytes).",
        )


def files_of(body: Mapping[str, Any]) -> dict[str, str]:
    files = body.get("files") or {}
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise HeatFault(400, None, "files must map file names to their contents (texts)")
    return {str(k): v for k, v in files.items()}


def environments_of(
    body: Mapping[str, Any], files: Mapping[str, str]
) -> list[Source | dict[str, Any]]:
    """The environments, in order: those ``environment_files`` names in ``files``, else
    the body's ``environment`` (none when it is empty)."""
    names = body.get("environment_files") or []
    if not isinstance(names, list):
        raise HeatFault(400, None, "environment_files must be a list of names in files")
    if names:
        missing = [str(n) for n in names if n not in files]
        if missing:
            raise HeatFault(
                400, None, f"Environment files not found in files: {', '.join(missing)}"
            )
        return [Source(str(name), files[name]) for name in names]
    environment = _environment(body.get("environment"))
    return [environment] if environment else []


def _environment(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    data = value
    if isinstance(value, str):
        try:
            data = yaml.safe_load(value) if value.strip() else {}
        except yaml.YAMLError as exc:
            raise HeatFault(400, None, f"Environment not in valid format: {exc}") from None
    if not isinstance(data, dict):
        raise HeatFault(400, None, "Environment not in valid format: The environment is not a map")
    for section, content in data.items():
        if section not in ENVIRONMENT_SECTIONS:
            raise HeatFault(
                400, None, f"Environment not in valid format: environment has wrong section "
                f'"{section}"',
            )  # fmt: skip
        if content is None:
            raise HeatFault(
                400, None, f"Environment not in valid format: environment has empty section "
                f'"{section}"',
            )  # fmt: skip
    return data


def parameters_of(body: Mapping[str, Any]) -> dict[str, str]:
    """The body's parameters as texts (lists comma-joined, maps as JSON)."""
    params = body.get("parameters") or {}
    if not isinstance(params, dict):
        raise HeatFault(400, None, "parameters must be a map of names to values")
    return {str(k): _text(v) for k, v in params.items()}


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return "" if value is None else str(value)


def tags_of(body: Mapping[str, Any]) -> list[str] | None:
    """The body's tags; None when it names none."""
    tags = body.get("tags")
    return None if tags is None else parse_tags(tags)


def _adopt_data(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    data = value
    if isinstance(value, str):
        try:
            data = json.loads(value)
        except ValueError as exc:
            raise HeatFault(400, None, f"Invalid adopt data: {exc}") from None
    if not isinstance(data, dict):
        raise HeatFault(400, None, "Invalid adopt data: not a JSON object")
    return data


# ---- the bodies in the OpenAPI document (read by ``json_body``, not by FastAPI) -------------

_ANY_OBJECT: dict[str, Any] = {"type": "object", "additionalProperties": True}
_TEMPLATE: dict[str, Any] = {"oneOf": [_ANY_OBJECT, {"type": "string"}]}
_COMMON: dict[str, Any] = {
    "template": _TEMPLATE,
    "template_url": {"type": "string"},
    "files": {"type": "object", "additionalProperties": {"type": "string"}},
    "environment": _TEMPLATE,
    "environment_files": {"type": "array", "items": {"type": "string"}},
    "parameters": _ANY_OBJECT,
    "timeout_mins": {"type": "integer", "minimum": 0},
    "disable_rollback": {"type": "boolean"},
    "tags": {"type": "string", "description": "comma-separated"},
}


def openapi_body(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """``openapi_extra`` describing a JSON body with these properties."""
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


CREATE_BODY = openapi_body(
    {**_COMMON, "stack_name": {"type": "string"}, "adopt_stack_data": _TEMPLATE},
    ["stack_name"],
)
UPDATE_BODY = openapi_body(
    {
        **_COMMON,
        "clear_parameters": {"type": "array", "items": {"type": "string"}},
        "existing": {"type": "boolean"},
        "converge": {"type": "boolean"},
    }
)
ACTION_BODY = openapi_body(
    {name: {"nullable": True} for name in
     ("suspend", "resume", "check", "cancel_update", "cancel_without_rollback")}
)  # fmt: skip
