"""Software configs and deployments in Heat's API shapes (``/software_configs``,
``/software_deployments``), one project's.

crossheat runs no agent on servers: a config is a record, a deployment a record of a
config meant for a server, with the status its client (an agent, a script) reports
by updating it. Configs' inputs and outputs are checked and completed as Heat does
(``type`` ``String`` by default, ``error_output`` false...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crossheat.errors import InvalidRequest, format_path
from crossheat.resources.constraints import AllowedValues
from crossheat.resources.schema import Property, apply_defaults, validate_properties
from crossheat.resources.schema import PropertyType as T
from crossheat.store import SoftwareConfigRecord, SoftwareDeploymentRecord, Store

#: The types an input or output may declare.
IO_TYPES = ("String", "Number", "CommaDelimitedList", "Json", "Boolean")
_TYPE = Property(
    T.STRING, "Type of the value.", default="String", constraints=(AllowedValues(IO_TYPES),)
)
INPUT_SCHEMA = {
    "name": Property(T.STRING, "Name of the input.", required=True),
    "description": Property(T.STRING, "Description of the input."),
    "type": _TYPE,
    "default": Property(T.ANY, "Default value for the input if none is specified."),
    "replace_on_change": Property(T.BOOLEAN, "Replace on a changed value.", default=False),
    "value": Property(T.ANY, "The input's value (a derived config's)."),
}
OUTPUT_SCHEMA = {
    "name": Property(T.STRING, "Name of the output.", required=True),
    "description": Property(T.STRING, "Description of the output."),
    "type": _TYPE,
    "error_output": Property(T.BOOLEAN, "A value means the deployment failed.", default=False),
}


def _time(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def config_dict(
    config: SoftwareConfigRecord, *, detail: bool = True, project: bool = False
) -> dict[str, Any]:
    """Heat's software config; the list's summary without ``detail``."""
    out: dict[str, Any] = {
        "id": config.id,
        "name": config.name,
        "group": config.group,
        "creation_time": _time(config.created_at),
    }
    if detail:
        for key in ("config", "inputs", "outputs", "options"):
            out[key] = config.config.get(key)
    if project:
        out["project"] = config.project
    return out


def deployment_dict(deployment: SoftwareDeploymentRecord) -> dict[str, Any]:
    """Heat's software deployment (``updated_time`` once it was updated)."""
    out: dict[str, Any] = {
        "id": deployment.id,
        "config_id": deployment.config.id,
        "server_id": deployment.server_id,
        "input_values": deployment.input_values,
        "output_values": deployment.output_values,
        "action": deployment.action,
        "status": deployment.status,
        "status_reason": deployment.status_reason,
        "creation_time": _time(deployment.created_at),
    }
    if deployment.updated_at is not None:
        out["updated_time"] = _time(deployment.updated_at)
    return out


def io_list(values: Any, schema: Mapping[str, Property], section: str) -> list[dict[str, Any]]:
    """A config's ``inputs`` or ``outputs`` checked and completed as Heat stores them."""
    if values is None:
        return []
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise InvalidRequest("Software Config I/O Schema must be in a list")
    if not all(isinstance(item, Mapping) for item in values):
        raise InvalidRequest("Software Config I/O Schema must be a dict")
    problems = [
        d for i, item in enumerate(values) for d in validate_properties(schema, item, (section, i))
    ]
    if problems:
        raise InvalidRequest("; ".join(f"{format_path(d.path)}: {d.message}" for d in problems))
    out = []
    for item in values:
        full = {k: v for k, v in apply_defaults(schema, item).items() if v is not None}
        if full.get("replace_on_change") is False:
            del full["replace_on_change"]
        out.append(full)
    return out


@dataclass
class SoftwareConfigs:
    """One project's software configs and deployments (``every``: an admin's view of all)."""

    store: Store
    project: str
    every: bool = False

    @property
    def _scope(self) -> str | None:
        return None if self.every else self.project

    # ---- configs ---------------------------------------------------------------------------

    def configs(self, limit: int | None = None, marker: str | None = None) -> list[dict[str, Any]]:
        found = self.store.list_software_configs(self._scope, limit=limit, marker=marker)
        return [config_dict(c, detail=False, project=self.every) for c in found]

    def config(self, config_id: str) -> dict[str, Any]:
        return config_dict(self.store.get_software_config(config_id, self._scope))

    def create_config(
        self,
        *,
        name: Any = None,
        group: Any = None,
        config: Any = None,
        inputs: Any = None,
        outputs: Any = None,
        options: Any = None,
    ) -> dict[str, Any]:
        document = {
            "config": config,
            "inputs": io_list(inputs, INPUT_SCHEMA, "inputs"),
            "outputs": io_list(outputs, OUTPUT_SCHEMA, "outputs"),
            "options": options or {},
        }
        record = self.store.create_software_config(
            self.project,
            name=None if name is None else str(name),
            group=None if group is None else str(group),
            config=document,
        )
        return config_dict(record)

    def delete_config(self, config_id: str) -> None:
        self.store.delete_software_config(config_id, self._scope)

    # ---- deployments -----------------------------------------------------------------------

    def deployments(self, server_id: str | None = None) -> list[dict[str, Any]]:
        return [
            deployment_dict(d) for d in self.store.list_software_deployments(self._scope, server_id)
        ]

    def metadata(self, server_id: str) -> list[dict[str, Any]]:
        """The configs deployed to ``server_id``, by config name (what its agent reads)."""
        found = self.store.list_software_deployments(self._scope, server_id)
        configs = sorted((d.config for d in found), key=lambda c: c.name or "")
        return [config_dict(c) for c in configs]

    def deployment(self, deployment_id: str) -> dict[str, Any]:
        return deployment_dict(self.store.get_software_deployment(deployment_id, self._scope))

    def create_deployment(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """From Heat's create body: ``config_id`` and ``server_id`` required; ``action``
        ``INIT``, ``status`` ``COMPLETE`` unless given."""
        if not body.get("server_id"):
            raise InvalidRequest("Data supplied was not valid: server_id must be specified")
        user_project = body.get("stack_user_project_id")
        if user_project is not None and len(str(user_project)) > 64:
            raise InvalidRequest(
                'Data supplied was not valid: "stack_user_project_id" should be no more '
                "than 64 characters"
            )
        record = self.store.create_software_deployment(
            self.project,
            config_id=str(body.get("config_id")),
            server_id=str(body["server_id"]),
            input_values=_map(body.get("input_values"), "input_values") or {},
            action=str(body.get("action") or "INIT"),
            status=str(body.get("status") or "COMPLETE"),
            status_reason=str(body.get("status_reason") or ""),
            stack_user_project_id=None if user_project is None else str(user_project),
        )
        return deployment_dict(record)

    def update_deployment(self, deployment_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Heat's update: only the fields given (neither null nor empty) change."""
        changes: dict[str, Any] = {}
        for key in ("input_values", "output_values"):
            if body.get(key):
                changes[key] = _map(body[key], key)
        for key in ("config_id", "action", "status", "status_reason"):
            if body.get(key):
                changes[key] = str(body[key])
        record = self.store.update_software_deployment(deployment_id, self._scope, changes)
        return deployment_dict(record)

    def delete_deployment(self, deployment_id: str) -> None:
        self.store.delete_software_deployment(deployment_id, self._scope)


def _map(value: Any, name: str) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise InvalidRequest(f"Data supplied was not valid: {name} must be a map")
