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

from fastapi import APIRouter, Body, Depends, Response

from crossheat.api.context import RequestContext, request_context
from crossheat.api.params import bad_request, boolean, integer
from crossheat.api.resources import NO_BODY

router = APIRouter(tags=["software configs and deployments"])

CONFIGS = "/v1/{tenant_id}/software_configs"
DEPLOYMENTS = "/v1/{tenant_id}/software_deployments"
#: The fields of a config's create body.
CONFIG_FIELDS = ("name", "group", "config", "inputs", "outputs", "options")


def _body(body: dict[str, Any] | None) -> dict[str, Any]:
    if body is None:
        raise bad_request(NO_BODY)
    return body


@router.get(CONFIGS)
def list_configs(
    limit: str | None = None,
    marker: str | None = None,
    global_tenant: str | None = None,
    ctx: RequestContext = Depends(request_context),
) -> dict[str, Any]:
    """The project's configs, oldest first (an admin's ``global_tenant``: every project's,
    with their ``project``)."""
    count = integer("limit", limit)
    service = ctx.every_project() if boolean("global_tenant", global_tenant) else ctx.service
    return {"software_configs": service.software().configs(count, marker)}


@router.post(CONFIGS)
def create_config(
    body: dict[str, Any] | None = Body(None), ctx: RequestContext = Depends(request_context)
) -> dict[str, Any]:
    given = _body(body)
    config = ctx.service.software().create_config(**{k: given.get(k) for k in CONFIG_FIELDS})
    return {"software_config": config}


@router.get(CONFIGS + "/{config_id}")
def show_config(config_id: str, ctx: RequestContext = Depends(request_context)) -> dict[str, Any]:
    return {"software_config": ctx.service.software().config(config_id)}


@router.delete(CONFIGS + "/{config_id}", status_code=204, response_class=Response)
def delete_config(config_id: str, ctx: RequestContext = Depends(request_context)) -> Response:
    """Delete the config; 400 while a deployment refers to it."""
    ctx.service.software().delete_config(config_id)
    return Response(status_code=204)


@router.get(DEPLOYMENTS)
def list_deployments(
    server_id: str | None = None, ctx: RequestContext = Depends(request_context)
) -> dict[str, Any]:
    return {"software_deployments": ctx.service.software().deployments(server_id)}


@router.get(DEPLOYMENTS + "/metadata/{server_id}")
def deployment_metadata(
    server_id: str, ctx: RequestContext = Depends(request_context)
) -> dict[str, Any]:
    """The configs deployed to the server, by name: what its agent would read."""
    return {"metadata": ctx.service.software().metadata(server_id)}


@router.post(DEPLOYMENTS)
def create_deployment(
    body: dict[str, Any] | None = Body(None), ctx: RequestContext = Depends(request_context)
) -> dict[str, Any]:
    """A deployment of ``config_id`` to ``server_id`` (``action`` INIT and ``status``
    COMPLETE unless given)."""
    return {"software_deployment": ctx.service.software().create_deployment(_body(body))}


@router.get(DEPLOYMENTS + "/{deployment_id}")
def show_deployment(
    deployment_id: str, ctx: RequestContext = Depends(request_context)
) -> dict[str, Any]:
    return {"software_deployment": ctx.service.software().deployment(deployment_id)}


@router.put(DEPLOYMENTS + "/{deployment_id}")
def update_deployment(
    deployment_id: str,
    body: dict[str, Any] | None = Body(None),
    ctx: RequestContext = Depends(request_context),
) -> dict[str, Any]:
    """Change the fields given (``config_id``, ``input_values``, ``output_values``,
    ``action``, ``status``, ``status_reason``); null ones are ignored."""
    found = ctx.service.software().update_deployment(deployment_id, _body(body))
    return {"software_deployment": found}


@router.delete(DEPLOYMENTS + "/{deployment_id}", status_code=204, response_class=Response)
def delete_deployment(
    deployment_id: str, ctx: RequestContext = Depends(request_context)
) -> Response:
    ctx.service.software().delete_deployment(deployment_id)
    return Response(status_code=204)
