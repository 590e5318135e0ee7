"""Template and type routes of Heat's API v1 (``/v1/{tenant_id}/...``):

POST /validate                                   Description, Parameters, ParameterGroups,
                                                 Environment; 400 naming file, line, path
GET  /resource_types                             ?name= (regex) &version= &support_status=
                                                 &with_description=
GET  /resource_types/{type}                      properties, attributes, support_status
GET  /resource_types/{type}/template             ?template_type=cfn (default) | hot
GET  /template_versions                          the HOT versions and their aliases
GET  /template_versions/{version}/functions      ?with_condition_func=
GET  /build_info
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends

from crossheat.api.context import RequestContext, request_context
from crossheat.api.errors import HeatFault
from crossheat.api.inputs import inputs_of
from crossheat.api.params import bad_request, boolean
from crossheat.api.resources import NO_BODY
from crossheat.errors import NotFound, TemplateError

router = APIRouter(tags=["templates and types"])

ROOT = "/v1/{tenant_id}"
#: The error codes ``ignore_errors`` may name (Heat's ``ERROR_CODE_MAP``).
IGNORABLE_CODES = ("99001",)


@router.post(ROOT + "/validate")
def validate(
    body: dict[str, Any] | None = Body(None),
    show_nested: str | None = None,
    ignore_errors: str | None = None,
    ctx: RequestContext = Depends(request_context),
) -> dict[str, Any]:
    """Check a template as a create would (parameters need no value): Heat's answer, or
    400 with every error, each naming its file, line and template path."""
    if body is None:
        raise bad_request(NO_BODY)
    boolean("show_nested", show_nested)  # nested templates are always checked
    if ignore_errors is not None:
        invalid = [c for c in ignore_errors.split(",") if c not in IGNORABLE_CODES]
        if invalid:
            raise bad_request(f"Invalid codes in ignore_errors : {invalid}")
    try:
        return ctx.service.validate_template(inputs_of(body))
    except TemplateError as exc:
        raise bad_request("\n".join(str(d) for d in exc.errors())) from None


@router.get(ROOT + "/resource_types")
def resource_types(
    name: str | None = None,
    version: str | None = None,
    support_status: str | None = None,
    with_description: str | None = None,
    ctx: RequestContext = Depends(request_context),
) -> dict[str, Any]:
    """The types a template may use (HIDDEN ones never): names, or with descriptions."""
    found = ctx.service.catalog().resource_types(
        name=name,
        version=version,
        support_status=support_status,
        with_description=boolean("with_description", with_description),
    )
    return {"resource_types": found}


def _type_not_found(exc: NotFound) -> HeatFault:
    return HeatFault(404, "EntityNotFound", str(exc))


@router.get(ROOT + "/resource_types/{type_name}")
def resource_type(type_name: str, ctx: RequestContext = Depends(request_context)) -> dict[str, Any]:
    """The type's schema: properties (Heat's keys), attributes, support status."""
    try:
        return ctx.service.catalog().resource_type(type_name)
    except NotFound as exc:
        raise _type_not_found(exc) from None


@router.get(ROOT + "/resource_types/{type_name}/template")
def resource_type_template(
    type_name: str,
    template_type: str | None = None,
    ctx: RequestContext = Depends(request_context),
) -> dict[str, Any]:
    """A template with one resource of the type: each property a parameter, each
    attribute an output."""
    kind = "cfn" if template_type is None else template_type.lower()
    if kind not in ("cfn", "hot"):
        raise bad_request(
            f'Template type is not supported: Invalid template type "{template_type}", '
            "valid types are: cfn, hot."
        )
    try:
        return ctx.service.catalog().resource_template(type_name, kind)
    except NotFound as exc:
        raise _type_not_found(exc) from None


@router.get(ROOT + "/template_versions")
def template_versions(ctx: RequestContext = Depends(request_context)) -> dict[str, Any]:
    return {"template_versions": ctx.service.catalog().template_versions()}


@router.get(ROOT + "/template_versions/{template_version}/functions")
def template_functions(
    template_version: str,
    with_condition_func: str | None = None,
    ctx: RequestContext = Depends(request_context),
) -> dict[str, Any]:
    """The version's functions with Heat's descriptions (404 for an unknown version)."""
    conditions = boolean("with_condition_func", with_condition_func)
    found = ctx.service.catalog().template_functions(template_version, conditions)
    return {"template_functions": found}


@router.get(ROOT + "/build_info")
def build_info(ctx: RequestContext = Depends(request_context)) -> dict[str, Any]:
    return ctx.service.catalog().build_info()
