"""schemathesis against ``/openapi.json``: requests generated from the document for every
operation, as project alpha; many name the stacks, resources, outputs, software configs
and deployments that exist, and many carry a body the route takes, so that they reach
the service. No answer may be a server error, have a status the document does not
list, or break the document's schema for it.

The run is repeatable (``derandomize``) and short: a few examples an operation, reads
before writes, deletes last (they take the stacks away).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import schemathesis
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.heatstacks import TEMPLATE, create, region_map

__all__ = ["region_map"]

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
#: Examples an operation gets, by generation mode.
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 5}
#: The order operations run in: reads first, what takes stacks away last.
METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: The names the template gives its resources and outputs.
RESOURCES = ("random", "label", "nothing")
OUTPUTS = ("label", "password")
STACK = "/v1/{tenant_id}/stacks/{stack_name}/{stack_id}"
#: What a body needs for its route to read the rest (a template, a name), by operation:
#: put over generated bodies, so that their other fields reach the service.
GATES: dict[str, dict[str, Any]] = {
    "POST /v1/{tenant_id}/stacks": {"stack_name": "gated", "template": TEMPLATE},
    "POST /v1/{tenant_id}/stacks/preview": {"stack_name": "seen", "template": TEMPLATE},
    "POST /v1/{tenant_id}/validate": {"template": TEMPLATE},
    f"PUT {STACK}": {"template": TEMPLATE},
    f"PUT {STACK}/preview": {"template": TEMPLATE},
}
#: Bodies the routes take, by operation.
BODIES: dict[str, list[Any]] = {
    "POST /v1/{tenant_id}/stacks": [{"stack_name": "made", "template": TEMPLATE, "tags": "a,b"}],
    "POST /v1/{tenant_id}/stacks/preview": [{"stack_name": "seen", "template": TEMPLATE}],
    "POST /v1/{tenant_id}/validate": [{"template": TEMPLATE, "parameters": {"length": 4}}],
    f"PUT {STACK}": [{"template": TEMPLATE, "parameters": {"label": "red"}}],
    f"PATCH {STACK}": [{"parameters": {"label": "green"}}, {}],
    f"PUT {STACK}/preview": [{"template": TEMPLATE, "parameters": {"label": "red"}}],
    f"PATCH {STACK}/preview": [{"parameters": {"label": "green"}}],
    f"POST {STACK}/actions": [
        {name: None} for name in ("check", "suspend", "cancel_update", "cancel_without_rollback")
    ],
    f"PATCH {STACK}/resources/{{resource_name}}": [
        {"mark_unhealthy": True, "resource_status_reason": "by hand"},
        {"mark_unhealthy": "false"},
    ],
    f"POST {STACK}/resources/{{resource_name}}/signal": [{"data": "x"}],
    "POST /v1/{tenant_id}/software_configs": [
        {"name": "c", "group": "script", "config": "echo", "inputs": [{"name": "i"}]}
    ],
    "PUT /v1/{tenant_id}/software_deployments/{deployment_id}": [
        {"status": "COMPLETE", "output_values": {"deploy_stdout": "ok"}}
    ],
}


@dataclass(frozen=True)
class World:
    """What exists for generated requests to name, and the bodies they may carry."""

    stacks: list[tuple[str, str]]
    config_id: str
    deployment_id: str
    bodies: dict[str, list[Any]]
    server_id: str = "server-1"


def _world(client: TestClient) -> World:
    stacks = [(name, create(client, name, TEMPLATE)) for name in ("sa", "sb", "sc")]
    config = {"name": "cfg", "group": "script", "config": "echo hello"}
    config_id = client.post("/v1/alpha/software_configs", json=config).json()
    deployment = {"config_id": config_id["software_config"]["id"], "server_id": "server-1"}
    made = client.post("/v1/alpha/software_deployments", json=deployment).json()
    bodies = {**BODIES, "POST /v1/{tenant_id}/software_deployments": [deployment]}
    return World(stacks, deployment["config_id"], made["software_deployment"]["id"], bodies)


def _aimed(case: Case, world: World, pick: int) -> Case:
    """``case`` naming what exists, as ``pick`` says (an odd ``pick``: as generated), with
    a body its route takes (``pick`` a multiple of 4) or the generated one with what lets
    the route read it (a template...)."""
    if pick % 2:
        return case
    params = case.path_parameters or {}
    name, stack_id = world.stacks[pick // 2 % len(world.stacks)]
    known = {
        "stack_id": stack_id,
        "resource_name": RESOURCES[pick % len(RESOURCES)],
        "output_key": OUTPUTS[pick // 2 % len(OUTPUTS)],
        "config_id": world.config_id,
        "deployment_id": world.deployment_id,
        "server_id": world.server_id,
    }
    # A stack's canonical URL names it by name and id; a lookup by either.
    known["stack_name"] = name if "stack_id" in params else (name, stack_id)[pick // 4 % 2]
    params.update({k: v for k, v in known.items() if k in params})
    label = case.operation.label
    bodies = world.bodies.get(label)
    if pick % 4 == 0 and bodies and case.body is not None:
        case.body = bodies[pick // 4 % len(bodies)]
    elif label in GATES and isinstance(case.body, dict):
        case.body = {**case.body, **GATES[label]}
    return case


def _failures(operation: APIOperation, mode: GenerationMode, world: World) -> list[str]:
    """What the checks found in the answers to the operation's requests (each a text)."""
    found: list[str] = []
    cases = operation.as_strategy(
        mode, path_parameters={"tenant_id": "alpha"}, headers={"X-Auth-Token": "tok-alpha"}
    )
    picks = st.integers(0, 11) if mode is GenerationMode.POSITIVE else st.sampled_from([1, 2])
    aimed = st.builds(_aimed, cases, st.just(world), picks)

    @settings(
        max_examples=EXAMPLES[mode],
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=aimed)
    def run(case: Case) -> None:
        try:
            case.call_and_validate(checks=CHECKS)
        except (Exception, FailureGroup) as exc:  # every failure is reported at the end
            found.append(f"{operation.label} ({mode.value}): {exc}")

    run()
    more = [f"... and {len(found) - 1} more of {operation.label}"] if len(found) > 1 else []
    return found[:1] + more


def test_the_document_names_every_route_its_token_and_heats_faults(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["KeystoneToken"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Auth-Token",
        "description": "A Keystone token scoped to the project of the path's {tenant_id}.",
    }
    routes = {
        (method.lower(), route.path.replace(":path}", "}"))
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and route.path.startswith("/v1/")
        for method in route.methods
    }
    operations = {
        (method, path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    assert routes <= set(operations)
    ids = [operation["operationId"] for operation in operations.values()]
    assert len(ids) == len(set(ids))
    fault = {"$ref": "#/components/schemas/Fault"}
    for (_, path), operation in operations.items():
        answers = operation["responses"]
        assert "422" not in answers
        if path.startswith("/v1/"):
            assert operation["security"] == [{"KeystoneToken": []}]
            for status in ("400", "401", "403", "500"):
                assert answers[status]["content"]["application/json"]["schema"] == fault


def _modes(operation: APIOperation) -> list[GenerationMode]:
    """Valid requests; invalid ones too where a query or a body can be made invalid (a
    path's parameters are texts: any text is a name, which a route may not know)."""
    if len(operation.query) or len(operation.body):
        return [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    return [GenerationMode.POSITIVE]


def test_every_operation_answers_as_the_document_says(client: TestClient) -> None:
    world = _world(client)
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda op: METHOD_ORDER.index(op.method.upper()),
    )
    assert len(operations) > 50
    failures = [
        failure
        for operation in operations
        for mode in _modes(operation)
        for failure in _failures(operation, mode, world)
    ]
    assert not failures, "\n\n".join(failures)
