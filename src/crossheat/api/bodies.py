"""Heat's request bodies, read as Heat reads them, and turned into the service's inputs.

    body = await json_body(request)            # None: no body, as Heat sees it
    inputs = inputs_of(required(body))         # validate: template, files, environments...
    create = create_request(body)              # stack_name, Inputs, rollback, timeout, tags
    update = update_request(body, patch=True)  # crossheat.service.HeatUpdate

A body counts only if it is JSON (or untyped, or ``text/plain``) and starts with
``{``; over ``MAX_JSON_BODY`` bytes, or a template over ``MAX_TEMPLATE_SIZE``
characters, is Heat's 400 ``RequestLimitExceeded``. ``template`` is an object or a
text (JSON or YAML) that must name its version; ``environment`` an object or YAML
text, ignored when ``environment_files`` names entries of ``files``; ``tags`` a
comma-separated text. heatclient names files by absolute ``file://`` URLs; they are
kept as given (the service reads them by their paths).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Required

import yaml
from fastapi import Depends, Request
from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

from crossheat.api.errors import STATUS_TEXT, HeatFault, bad_request
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
NOT_ADOPT_DATA = "Invalid adopt data: not a JSON object"
#: The fault type of what Heat's engine (not its API) reads from a body: a ``ValueError``.
ENGINE_ERROR = "ValueError"


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
    return _json_object(
        raw, "Malformed JSON in the request body", "The request body must be a JSON object."
    )


def _json_object(text: str | bytes, malformed: str, not_object: str) -> dict[str, Any]:
    """``text`` read as a JSON object; Heat's 400 (``malformed: why``, ``not_object``)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise bad_request(f"{malformed}: {exc}") from None
    if not isinstance(data, dict):
        raise bad_request(not_object)
    return data


#: A route's JSON body as Heat reads it (``body: JsonBody``; None when there is none).
JsonBody = Annotated[dict[str, Any] | None, Depends(json_body)]


def required(body: dict[str, Any] | None) -> dict[str, Any]:
    """The body of an action that needs one (Heat's 400 when there is none)."""
    if body is None:
        raise bad_request(STATUS_TEXT[400][1])
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
        raise bad_request("No stack name specified")
    if "converge" in body:
        raise bad_request(
            "converge flag only supported in stack update (or update preview) request.",
        )
    adopt = _adopt_data(body.get("adopt_stack_data"))
    # An adopt's template may come with its data.
    inputs = inputs_of(body, template_required=adopt is None)
    timeout = body.get("timeout_mins")
    rollback = body.get("disable_rollback", True)
    return CreateRequest(
        name=str(name),
        inputs=inputs,
        disable_rollback=parse_boolean("disable_rollback", rollback, ENGINE_ERROR),
        timeout_mins=(parse_integer("timeout_mins", timeout) or None) if timeout else None,
        tags=tags_of(body) or [],
        adopt=adopt,
    )


def update_request(body: dict[str, Any], *, patch: bool) -> HeatUpdate:
    """PUT (``patch`` False: the template is required) or PATCH (``existing``)."""
    template = template_of(body)
    existing = patch or parse_boolean("existing", body.get("existing", False), ENGINE_ERROR)
    if template is None and not existing:
        raise bad_request("No template specified")
    files = files_of(body)
    timeout = body.get("timeout_mins")
    rollback = body.get("disable_rollback")
    clear = body.get("clear_parameters") or []
    if not isinstance(clear, list):
        raise bad_request("clear_parameters must be a list of parameter names")
    return HeatUpdate(
        template=template,
        files=files,
        environments=environments_of(body, files),
        parameters=parameters_of(body),
        clear_parameters=[str(name) for name in clear],
        timeout_mins=None if timeout is None else parse_integer("timeout_mins", timeout),
        disable_rollback=None
        if rollback is None
        else parse_boolean("disable_rollback", rollback, ENGINE_ERROR),
        tags=tags_of(body),
        existing=existing,
    )


def inputs_of(body: Mapping[str, Any], *, template_required: bool = True) -> Inputs:
    """The body's template, files, environments and parameters as the service's inputs."""
    template = template_of(body)
    if template is None and template_required:
        raise bad_request("No template specified")
    files = files_of(body)
    return Inputs(
        template,
        files=files,
        environments=environments_of(body, files),
        parameters=parameters_of(body),
    )


def template_of(body: Mapping[str, Any]) -> str | dict[str, Any] | None:
    """The body's template (an object, or a text naming its version); None if absent."""
    template = body.get("template")
    if template is None:
        if body.get("template_url"):
            raise bad_request(
                "Could not retrieve template: crossheat does not fetch template_url; "
                "send the template itself in 'template'",
            )
        return None
    if isinstance(template, dict):
        _limit(len(json.dumps(template)))
        return template
    if not isinstance(template, str):
        raise bad_request("Template not in valid format: not a template")
    _limit(len(template))
    try:
        data = yaml.safe_load(template)
    except yaml.YAMLError as exc:
        raise bad_request(f"Template not in valid format: {exc}") from None
    if not isinstance(data, dict) or not any(key in data for key in VERSION_KEYS):
        raise bad_request("Template not in valid format: Template format version not found.")
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
        raise bad_request("files must map file names to their contents (texts)")
    return {str(k): v for k, v in files.items()}


def environments_of(
    body: Mapping[str, Any], files: Mapping[str, str]
) -> list[Source | dict[str, Any]]:
    """The environments, in order: those ``environment_files`` names in ``files``, else
    the body's ``environment`` (none when it is empty)."""
    names = body.get("environment_files") or []
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise bad_request("environment_files must be a list of names in files")
    if names:
        missing = [str(n) for n in names if n not in files]
        if missing:
            raise bad_request(f"Environment files not found in files: {', '.join(missing)}")
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
            raise bad_request(f"Environment not in valid format: {exc}") from None
    if not isinstance(data, dict):
        raise bad_request("Environment not in valid format: The environment is not a map")
    for section, content in data.items():
        wrong = "wrong" if section not in ENVIRONMENT_SECTIONS else None
        wrong = wrong or ("empty" if content is None else None)
        if wrong:
            raise bad_request(
                f'Environment not in valid format: environment has {wrong} section "{section}"'
            )
    return data


def parameters_of(body: Mapping[str, Any]) -> dict[str, str]:
    """The body's parameters as texts (lists comma-joined, maps as JSON)."""
    params = body.get("parameters") or {}
    if not isinstance(params, dict):
        raise bad_request("parameters must be a map of names to values")
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
    if isinstance(value, str):
        value = _json_object(value, "Invalid adopt data", NOT_ADOPT_DATA)
    if not isinstance(value, dict):
        raise bad_request(NOT_ADOPT_DATA)
    return value


# ---- the bodies in the OpenAPI document (read by ``json_body``, not by FastAPI) -------------


@with_config(ConfigDict(extra="forbid"))
class EnvironmentBody(TypedDict, total=False):
    """An environment's sections (any other is refused)."""

    parameters: dict[str, Any]
    parameter_defaults: dict[str, Any]
    parameter_merge_strategies: dict[str, str]
    resource_registry: dict[str, Any]
    encrypted_param_names: list[str]
    event_sinks: list[Any]


class TemplateBody(TypedDict, total=False):
    """A template and what it needs: ``POST /validate``."""

    template: dict[str, Any] | str
    template_url: str
    files: dict[str, str]
    #: An object, or its YAML text.
    environment: EnvironmentBody | str
    environment_files: list[str]
    parameters: dict[str, Any]


class _StackBody(TemplateBody, total=False):
    timeout_mins: int
    disable_rollback: bool
    #: Comma-separated.
    tags: str


class CreateBody(_StackBody, total=False):
    """A create, its preview, or an adopt (``adopt_stack_data``)."""

    stack_name: Required[str]
    adopt_stack_data: dict[str, Any] | str


class UpdateBody(_StackBody, total=False):
    """An update (PUT, PATCH) or its preview."""

    clear_parameters: list[str]
    existing: bool
    converge: bool


class ActionBody(TypedDict, total=False):
    """One action, its value null: ``{"check": null}``."""

    suspend: None
    resume: None
    check: None
    cancel_update: None
    cancel_without_rollback: None


class MarkUnhealthyBody(TypedDict, total=False):
    mark_unhealthy: Required[bool]
    resource_status_reason: str


class ConfigBody(TypedDict, total=False):
    """A software config to store."""

    name: str
    group: str
    config: Any
    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]]
    options: dict[str, Any]


class _Deployment(TypedDict, total=False):
    config_id: str
    input_values: dict[str, Any]
    action: str
    status: str
    status_reason: str


class DeploymentChanges(_Deployment, total=False):
    """What an update of a software deployment changes (null values: nothing)."""

    output_values: dict[str, Any]


class DeploymentBody(_Deployment, total=False):
    """A software deployment to store."""

    server_id: Required[str]
    stack_user_project_id: str
