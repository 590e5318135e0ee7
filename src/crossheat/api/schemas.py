"""The bodies of Heat's API v1 as JSON schemas, for the OpenAPI document only: routes
answer plain dicts (the service's views), never through these types.

Each answer is a ``TypedDict`` (``NotRequired``: a key Heat leaves out at times; extra
keys are allowed, as heatclient ignores them). Every object crossheat adds to Heat's
(``region``, ``regions``, ``operation_in_progress``) is listed too.
"""

from __future__ import annotations

from typing import Any, NotRequired

from typing_extensions import TypedDict

# ---- webob's and Heat's wrappers ----------------------------------------------------------


class FaultError(TypedDict):
    #: Heat's exception name (``EntityNotFound``, ``HTTPBadRequest``...).
    type: str
    #: Left out only for errors Heat does not call safe to show (unexpected ones).
    message: NotRequired[str]
    traceback: None


class Fault(TypedDict):
    """Heat's fault: every error, whatever its status."""

    code: int
    title: str
    explanation: str
    error: FaultError


class Answer(TypedDict):
    """webob's JSON body of a 202 or a 302 (clients do not read it)."""

    code: str
    message: str
    title: str


class Link(TypedDict):
    href: str
    rel: str


class Version(TypedDict):
    id: str
    status: str
    links: list[Link]


class Versions(TypedDict):
    """Heat's versions document (``GET /``, status 300)."""

    versions: list[Version]


# ---- stacks -------------------------------------------------------------------------------


class _Stack(TypedDict):
    id: str
    stack_name: str
    links: list[Link]
    description: str
    creation_time: str | None
    updated_time: str | None
    deletion_time: str | None
    stack_owner: str | None
    parent: str | None
    stack_user_project_id: str


class StackSummary(_Stack):
    """A stack in a list (``project``: for an admin only)."""

    stack_status: str
    stack_status_reason: str
    tags: list[str] | None
    regions: list[str]
    project: NotRequired[str]


class StackList(TypedDict):
    stacks: list[StackSummary]
    #: The next page's link, when the page is full.
    links: NotRequired[list[Link]]
    #: ``with_count``: how many stacks the filters select.
    count: NotRequired[int]


class Output(TypedDict):
    output_key: str
    description: str
    output_value: NotRequired[Any]
    #: Why the output could not be resolved.
    output_error: NotRequired[str]


class _StackData(_Stack):
    template_description: str
    parameters: dict[str, str]
    disable_rollback: bool
    timeout_mins: int | None
    notification_topics: list[Any]
    capabilities: list[Any]
    tags: list[str]


class Stack(_StackData):
    """A stack shown: ``outputs`` unless ``resolve_outputs=false`` or it is deleted."""

    stack_status: str
    stack_status_reason: str
    regions: list[str]
    outputs: NotRequired[list[Output]]
    #: crossheat's: the operation holding the stack, while one does.
    operation_in_progress: NotRequired[dict[str, Any]]


class StackShow(TypedDict):
    stack: Stack


class StackDetailList(TypedDict):
    stacks: list[Stack]


class StackId(TypedDict):
    id: str
    links: list[Link]


class StackCreated(TypedDict):
    """A create's (or an adopt's) answer, with ``Location``."""

    stack: StackId


class EngineResource(TypedDict):
    """A resource in Heat's engine format (previews): action and status apart."""

    resource_name: str
    resource_type: str
    resource_action: str
    resource_status: str
    resource_status_reason: str
    physical_resource_id: str
    resource_identity: dict[str, str]
    stack_identity: dict[str, str]
    stack_name: str
    required_by: list[str]
    creation_time: str | None
    updated_time: str | None
    description: str
    metadata: dict[str, Any]
    attributes: dict[str, Any]
    region: str | None
    properties: NotRequired[Any]


class PreviewedStack(_StackData):
    resources: list[EngineResource]


class StackPreview(TypedDict):
    stack: PreviewedStack


class ResourceChangeLists(TypedDict):
    added: list[EngineResource]
    deleted: list[EngineResource]
    replaced: list[EngineResource]
    unchanged: list[EngineResource]
    updated: list[EngineResource]


class ResourceChanges(TypedDict):
    """An update preview: each resource under what the update would do to it."""

    resource_changes: ResourceChangeLists


class OutputName(TypedDict):
    output_key: str
    description: str


class OutputList(TypedDict):
    outputs: list[OutputName]


class OutputShow(TypedDict):
    output: Output


class Environment(TypedDict):
    """A stack's environment, hidden parameters' values ``******``."""

    parameters: dict[str, Any]
    parameter_defaults: dict[str, Any]
    resource_registry: dict[str, Any]
    encrypted_param_names: list[str]
    event_sinks: list[Any]


class AbandonedResource(TypedDict):
    name: str
    resource_id: str | None
    type: str
    action: str
    status: str
    metadata: dict[str, Any]
    resource_data: dict[str, Any]
    region: str | None


class AbandonData(TypedDict):
    """Abandon and export data (what ``adopt_stack_data`` takes)."""

    id: str
    name: str
    action: str
    status: str
    template: dict[str, Any]
    environment: Environment
    files: dict[str, str]
    resources: dict[str, AbandonedResource]
    project_id: str
    stack_user_project_id: str
    tags: list[str]
    #: crossheat's: the hidden values the data masks, sealed with the deployment's key
    #: (an adopt by the same deployment opens them).
    crossheat_sealed_hidden: NotRequired[str]


# ---- resources and events -----------------------------------------------------------------


class Resource(TypedDict):
    """A resource (``description`` and ``attributes``: shown, or listed with detail)."""

    resource_name: str
    logical_resource_id: str
    resource_type: str
    resource_status: str
    resource_status_reason: str
    physical_resource_id: str
    creation_time: str | None
    updated_time: str | None
    required_by: list[str]
    links: list[Link]
    region: str | None
    description: NotRequired[str]
    attributes: NotRequired[dict[str, Any]]
    #: For a resource of a template resource's template.
    parent_resource: NotRequired[str]


class ResourceList(TypedDict):
    resources: list[Resource]


class ResourceShow(TypedDict):
    resource: Resource


class ResourceMetadata(TypedDict):
    metadata: dict[str, Any]


class Event(TypedDict):
    id: str
    links: list[Link]
    event_time: str | None
    resource_name: str
    logical_resource_id: str
    resource_status: str
    resource_status_reason: str
    physical_resource_id: str | None
    #: crossheat's in a list too (Heat's only when an event is shown).
    resource_type: str
    region: str | None


class EventDetail(Event):
    resource_properties: dict[str, Any]


class EventList(TypedDict):
    events: list[Event]


class EventShow(TypedDict):
    event: EventDetail


# ---- templates and types ------------------------------------------------------------------


class Validated(TypedDict):
    """``POST /validate``: the template's parameters in Heat's keys."""

    Description: str
    Parameters: dict[str, dict[str, Any]]
    ParameterGroups: NotRequired[list[Any]]
    Environment: dict[str, Any]


class DescribedType(TypedDict):
    resource_type: str
    description: str


class ResourceTypes(TypedDict):
    """Names, or with ``with_description`` names and descriptions."""

    resource_types: list[str | DescribedType]


class ResourceTypeSchema(TypedDict):
    resource_type: str
    properties: dict[str, dict[str, Any]]
    attributes: dict[str, dict[str, Any]]
    support_status: dict[str, Any]


class TemplateVersion(TypedDict):
    version: str
    type: str
    aliases: list[str]


class TemplateVersions(TypedDict):
    template_versions: list[TemplateVersion]


class TemplateFunction(TypedDict):
    functions: str
    description: str


class TemplateFunctions(TypedDict):
    template_functions: list[TemplateFunction]


class Revision(TypedDict):
    revision: str


class BuildInfo(TypedDict):
    api: Revision
    engine: Revision


# ---- software configs and deployments -----------------------------------------------------


class SoftwareConfig(TypedDict):
    """A config (a list gives ``id``, ``name``, ``group``, ``creation_time`` only)."""

    id: str
    name: str | None
    group: str | None
    creation_time: str | None
    config: NotRequired[Any]
    inputs: NotRequired[list[dict[str, Any]]]
    outputs: NotRequired[list[dict[str, Any]]]
    options: NotRequired[Any]
    #: An admin's ``global_tenant`` list: whose it is.
    project: NotRequired[str]


class SoftwareConfigList(TypedDict):
    software_configs: list[SoftwareConfig]


class SoftwareConfigShow(TypedDict):
    software_config: SoftwareConfig


class ServerMetadata(TypedDict):
    metadata: list[SoftwareConfig]


class SoftwareDeployment(TypedDict):
    id: str
    config_id: str
    server_id: str
    input_values: dict[str, Any] | None
    output_values: dict[str, Any] | None
    action: str
    status: str
    status_reason: str
    creation_time: str | None
    #: Once it was updated.
    updated_time: NotRequired[str]


class SoftwareDeploymentList(TypedDict):
    software_deployments: list[SoftwareDeployment]


class SoftwareDeploymentShow(TypedDict):
    software_deployment: SoftwareDeployment
