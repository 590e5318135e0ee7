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

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Request

from crossheat.api import schemas
from crossheat.api.bodies import JsonBody, TemplateBody, inputs_of, required
from crossheat.api.context import Context
from crossheat.api.errors import HeatFault, bad_request
from crossheat.api.openapi import BOOLEAN, TEXT, answers
from crossheat.api.query import Query
from crossheat.errors import NotFound, TemplateError

router = APIRouter(tags=["templates and types"])

ROOT = "/v1/{tenant_id}"
#: The error codes ``ignore_errors`` may name (Heat's ``ERROR_CODE_MAP``).
IGNORABLE_CODES = ("99001",)
TYPES_QUERY = {
    "name": {"type": "string", "description": "A regular expression the name starts with"},
    "version": TEXT,
    "support_status": {
        "type": "string",
        "enum": ["UNKNOWN", "SUPPORTED", "DEPRECATED", "UNSUPPORTED", "HIDDEN"],
    },
    "with_description": BOOLEAN,
}


@router.post(
    ROOT + "/validate",
    **answers(
        200,
        schemas.Validated,
        query={"show_nested": BOOLEAN, "ignore_errors": TEXT},
        body=TemplateBody,
    ),
)
def validate(request: Request, ctx: Context, body: JsonBody) -> dict[str, Any]:
    """Check a template as a create would (parameters need no value): Heat's answer, or
    400 with every error, each naming its file, line and template path."""
    given = required(body)
    query = Query(request)
    query.boolean("show_nested")  # nested templates are always checked
    ignore_errors = query.single("ignore_errors")
    if ignore_errors is not None:
        invalid = [c for c in ignore_errors.split(",") if c not in IGNORABLE_CODES]
        if invalid:
            raise bad_request(f"Invalid codes in ignore_errors : {invalid}")
    try:
        return ctx.service.validate_template(inputs_of(given))
    except TemplateError as exc:
        raise bad_request("\n".join(str(d) for d in exc.errors())) from None


@router.get(ROOT + "/resource_types", **answers(200, schemas.ResourceTypes, query=TYPES_QUERY))
def resource_types(request: Request, ctx: Context) -> dict[str, Any]:
    """The types a template may use (HIDDEN ones never): names, or with descriptions."""
    query = Query(request)
    found = ctx.service.catalog().resource_types(
        name=query.single("name"),
        version=query.single("version"),
        support_status=query.single("support_status"),
        with_description=query.boolean("with_description"),
    )
    return {"resource_types": found}


@contextmanager
def _type_lookup() -> Iterator[None]:
    """Heat's 404 ``EntityNotFound`` for an unknown type."""
    try:
        yield
    except NotFound as exc:
        raise HeatFault(404, "EntityNotFound", str(exc)) from None


@router.get(ROOT + "/resource_types/{type_name}", **answers(200, schemas.ResourceTypeSchema, 404))
def resource_type(ctx: Context, type_name: str) -> dict[str, Any]:
    """The type's schema: properties (Heat's keys), attributes, support status."""
    with _type_lookup():
        return ctx.service.catalog().resource_type(type_name)


@router.get(
    ROOT + "/resource_types/{type_name}/template",
    **answers(200, dict[str, Any], 404, query={"template_type": {"enum": ["cfn", "hot"]}}),
)
def resource_type_template(request: Request, ctx: Context, type_name: str) -> dict[str, Any]:
    """A template with one resource of the type: each property a parameter, each
    attribute an output."""
    template_type = Query(request).single("template_type")
    kind = "cfn" if template_type is None else template_type.lower()
    if kind not in ("cfn", "hot"):
        raise bad_request(
            f'Template type is not supported: Invalid template type "{template_type}", '
            "valid types are: cfn, hot."
        )
    with _type_lookup():
        return ctx.service.catalog().resource_template(type_name, kind)


@router.get(ROOT + "/template_versions", **answers(200, schemas.TemplateVersions))
def template_versions(ctx: Context) -> dict[str, Any]:
    return {"template_versions": ctx.service.catalog().template_versions()}


@router.get(
    ROOT + "/template_versions/{template_version}/functions",
    **answers(200, schemas.TemplateFunctions, 404, query={"with_condition_func": BOOLEAN}),
)
def template_functions(request: Request, ctx: Context, template_version: str) -> dict[str, Any]:
    """The version's functions with Heat's descriptions (404 for an unknown version)."""
    conditions = Query(request).boolean("with_condition_func")
    found = ctx.service.catalog().template_functions(template_version, conditions)
    return {"template_functions": found}


@router.get(ROOT + "/build_info", **answers(200, schemas.BuildInfo))
def build_info(ctx: Context) -> dict[str, Any]:
    return ctx.service.catalog().build_info()
