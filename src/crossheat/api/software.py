"""Software config and deployment routes of Heat's API v1 (``/v1/{tenant_id}/...``):
stored records with Heat's CRUD, one project's (crossheat runs no agent on servers).

    GET/POST          /software_configs                 list (?limit &marker &global_tenant)
    GET/DELETE        /software_configs/{id}
    GET/POST          /software_deployments             list (?server_id)
    GET               /software_deployments/metadata/{server_id}
    GET/PUT/DELETE    /software_deployments/{id}

Creating answers 200 (not 201) and deleting 204, as Heat does.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from crossheat.api import schemas, views
from crossheat.api.bodies import (
    ConfigBody,
    DeploymentBody,
    DeploymentChanges,
    JsonBody,
    required,
)
from crossheat.api.context import Context
from crossheat.api.openapi import BOOLEAN, INTEGER, NO_BODY, TEXT, answers
from crossheat.api.query import Query

router = APIRouter(tags=["software configs and deployments"])

CONFIGS = "/v1/{tenant_id}/software_configs"
DEPLOYMENTS = "/v1/{tenant_id}/software_deployments"
#: The fields of a config's create body.
CONFIG_FIELDS = ("name", "group", "config", "inputs", "outputs", "options")


@router.get(
    CONFIGS,
    **answers(
        200,
        schemas.SoftwareConfigList,
        query={"limit": INTEGER, "marker": TEXT, "global_tenant": BOOLEAN},
    ),
)
def list_configs(request: Request, ctx: Context) -> dict[str, Any]:
    """The project's configs, oldest first (an admin's ``global_tenant``: every project's,
    with their ``project``)."""
    query = Query(request)
    limit = query.integer("limit")
    service = ctx.every_project() if query.boolean("global_tenant") else ctx.service
    return {"software_configs": service.software().configs(limit, query.single("marker"))}


@router.post(CONFIGS, **answers(200, schemas.SoftwareConfigShow, body=ConfigBody))
def create_config(ctx: Context, body: JsonBody) -> dict[str, Any]:
    given = required(body)
    config = ctx.service.software().create_config(**{k: given.get(k) for k in CONFIG_FIELDS})
    return {"software_config": config}


@router.get(CONFIGS + "/{config_id}", **answers(200, schemas.SoftwareConfigShow, 404))
def show_config(ctx: Context, config_id: str) -> dict[str, Any]:
    return {"software_config": ctx.service.software().config(config_id)}


@router.delete(CONFIGS + "/{config_id}", **answers(204, NO_BODY, 404))
def delete_config(ctx: Context, config_id: str) -> Response:
    """Delete the config; 400 while a deployment refers to it."""
    ctx.service.software().delete_config(config_id)
    return views.no_content()


@router.get(DEPLOYMENTS, **answers(200, schemas.SoftwareDeploymentList, query={"server_id": TEXT}))
def list_deployments(request: Request, ctx: Context) -> dict[str, Any]:
    server_id = Query(request).single("server_id")
    return {"software_deployments": ctx.service.software().deployments(server_id)}


@router.get(DEPLOYMENTS + "/metadata/{server_id}", **answers(200, schemas.ServerMetadata))
def deployment_metadata(ctx: Context, server_id: str) -> dict[str, Any]:
    """The configs deployed to the server, by name: what its agent would read."""
    return {"metadata": ctx.service.software().metadata(server_id)}


@router.post(DEPLOYMENTS, **answers(200, schemas.SoftwareDeploymentShow, 404, body=DeploymentBody))
def create_deployment(ctx: Context, body: JsonBody) -> dict[str, Any]:
    """A deployment of ``config_id`` to ``server_id`` (``action`` INIT and ``status``
    COMPLETE unless given)."""
    return {"software_deployment": ctx.service.software().create_deployment(required(body))}


@router.get(DEPLOYMENTS + "/{deployment_id}", **answers(200, schemas.SoftwareDeploymentShow, 404))
def show_deployment(ctx: Context, deployment_id: str) -> dict[str, Any]:
    return {"software_deployment": ctx.service.software().deployment(deployment_id)}


@router.put(
    DEPLOYMENTS + "/{deployment_id}",
    **answers(200, schemas.SoftwareDeploymentShow, 404, body=DeploymentChanges),
)
def update_deployment(ctx: Context, deployment_id: str, body: JsonBody) -> dict[str, Any]:
    """Change the fields given (``config_id``, ``input_values``, ``output_values``,
    ``action``, ``status``, ``status_reason``); null ones are ignored."""
    found = ctx.service.software().update_deployment(deployment_id, required(body))
    return {"software_deployment": found}


@router.delete(DEPLOYMENTS + "/{deployment_id}", **answers(204, NO_BODY, 404))
def delete_deployment(ctx: Context, deployment_id: str) -> Response:
    ctx.service.software().delete_deployment(deployment_id)
    return views.no_content()
