"""Heat's ``OS::Heat::Stack``: a nested stack whose template is given inline, in a region.

    remote:
      type: OS::Heat::Stack
      properties:
        context: {region_name: West}          # a region map key, or a cloud's region name
        template: {get_file: remote.yaml}      # the template's text (or a map)
        parameters: {cidr: 10.2.0.0/24}
        timeout: 10                            # minutes, as Heat's

It is read like a template resource (``type: file.yaml``): its template is loaded with
``parameters`` as the values given, and ``flatten()`` expands it into the parent
(``remote.net``, ``remote.subnet``), every resource of it in the region of
``context.region_name`` (the parent resource's own ``region:`` when no context names
one). Besides its template's outputs, it has Heat's attributes ``outputs`` (every output,
by name: ``get_attr: [remote, outputs, key]``) and ``stack_name``. ``timeout`` is kept as
the definition's ``timeout_mins``, which the engine enforces (``engine.nested_timeout``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from crossheat.errors import Diagnostic, TemplatePath
from crossheat.template.functions.base import PlanContext, Scope, functions_in, resolve
from crossheat.template.model import ResourceDefinition
from crossheat.template.values import contains_unknown

#: Heat's type of a nested stack given inline (in Heat: in another region or cloud).
REMOTE_STACK: Final = "OS::Heat::Stack"
#: The attributes Heat gives an ``OS::Heat::Stack`` besides the template's outputs.
REMOTE_ATTRIBUTES: Final = ("outputs", "stack_name")
_PROPERTIES: Final = ("context", "template", "parameters", "timeout")
#: Heat's ``context`` keys: only the region is crossheat's to choose (the region map
#: supplies clouds and credentials).
_CONTEXT: Final = ("region_name",)


def remote_template(
    resource: ResourceDefinition, scope: Scope
) -> tuple[str | dict[str, Any] | None, list[Diagnostic]]:
    """The nested template of ``resource`` (text or data) and what is wrong with its
    properties; rewrites ``resource`` so that it reads like a template resource:
    ``properties`` become the nested parameters, ``region`` the context's region."""
    found: list[Diagnostic] = []
    raw = resource.properties

    def problem(message: str, path: TemplatePath, hint: str | None = None) -> None:
        where = (*resource.path, "properties", *path)
        found.append(Diagnostic(message, where, scope.source.locate(where), hint))

    for key in raw:
        if key not in _PROPERTIES:
            problem(f"{REMOTE_STACK} has no property {key!r}", (key,), ", ".join(_PROPERTIES))
    region = _region(raw.get("context"), problem)
    if region is not None:
        resource.region = region
    timeout = resolve(raw.get("timeout"), PlanContext())
    if timeout is not None and (not isinstance(timeout, int) or timeout < 1):
        problem("timeout must be a whole number of minutes, at least 1", ("timeout",))
    elif timeout is not None:
        resource.timeout_mins = timeout  # enforced by the engine (``engine.nested_timeout``)
    given = raw.get("parameters") or {}
    if not isinstance(given, dict):
        problem("parameters must be a map of the nested template's parameters", ("parameters",))
        given = {}
    resource.properties = given
    given_template = raw.get("template")
    checked = [d for fn in functions_in(given_template) for d in fn.validate()]  # get_file reads
    if checked:
        return None, found + checked
    template = resolve(given_template, PlanContext())
    if template is None:
        problem(f"{REMOTE_STACK} needs its template (e.g. {{get_file: remote.yaml}})", ())
        return None, found
    if contains_unknown(template) or not isinstance(template, str | dict):
        problem("the template must be known before the stack is made", ("template",))
        return None, found
    return template, found


def _region(context: Any, problem: Any) -> str | None:
    context = resolve(context, PlanContext())
    if context is None:
        return None
    if not isinstance(context, Mapping):
        problem("context must be a map (e.g. {region_name: West})", ("context",))
        return None
    for key in context:
        if key not in _CONTEXT:
            hint = "the region map gives each region's cloud and credentials"
            problem(f"context key {key!r} is not supported by crossheat", ("context", key), hint)
    region = context.get("region_name")
    if region is not None and not isinstance(region, str):
        problem("region_name must be a known string", ("context", "region_name"))
        return None
    return region
