"""Software configs and deployments: records a client keeps through Heat's API.

    config = store.create_software_config("alpha", name="hello", group="script",
                                          config={"config": "#!/bin/sh", "inputs": [], ...})
    deployment = store.create_software_deployment("alpha", config.id, "server-1", ...)
    store.list_software_deployments("alpha", server_id="server-1")

Every read and write names the project; another project's rows are not found
(``NotFound``), as in Heat. crossheat runs no agent: nothing here reaches a cloud.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from crossheat.errors import InvalidRequest, NotFound
from crossheat.store._core import StoreCore
from crossheat.store.models import SoftwareConfigRow, SoftwareDeploymentRow, utcnow


@dataclass(frozen=True)
class SoftwareConfigRecord:
    id: str
    project: str
    name: str | None
    group: str | None
    #: ``{"config", "inputs", "outputs", "options"}``.
    config: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class SoftwareDeploymentRecord:
    id: str
    project: str
    stack_user_project_id: str | None
    config: SoftwareConfigRecord
    server_id: str
    input_values: dict[str, Any] | None
    output_values: dict[str, Any] | None
    action: str
    status: str
    status_reason: str
    created_at: datetime
    updated_at: datetime | None


#: The fields of a deployment an update may set.
DEPLOYMENT_FIELDS = ("config_id", "input_values", "output_values", "action", "status")


def _config(row: SoftwareConfigRow) -> SoftwareConfigRecord:
    return SoftwareConfigRecord(
        row.id, row.project, row.name, row.group, dict(row.config), row.created_at
    )


def _deployment(row: SoftwareDeploymentRow, config: SoftwareConfigRow) -> SoftwareDeploymentRecord:
    return SoftwareDeploymentRecord(
        id=row.id, project=row.project, stack_user_project_id=row.stack_user_project_id,
        config=_config(config), server_id=row.server_id, input_values=row.input_values,
        output_values=row.output_values, action=row.action, status=row.status,
        status_reason=row.status_reason, created_at=row.created_at, updated_at=row.updated_at,
    )  # fmt: skip


def _deployments(project: str | None) -> Select[SoftwareDeploymentRow, SoftwareConfigRow]:
    """Deployments with their configs; a project sees those it owns or is the stack user
    project of."""
    query = select(SoftwareDeploymentRow, SoftwareConfigRow).join(
        SoftwareConfigRow, SoftwareConfigRow.id == SoftwareDeploymentRow.config_id
    )
    if project is not None:
        query = query.where(
            or_(
                SoftwareDeploymentRow.project == project,
                SoftwareDeploymentRow.stack_user_project_id == project,
            )
        )
    return query


class SoftwareQueries(StoreCore):
    def create_software_config(
        self, project: str, *, name: str | None, group: str | None, config: dict[str, Any]
    ) -> SoftwareConfigRecord:
        row = SoftwareConfigRow(
            id=str(uuid.uuid4()), project=project, name=name, group=group, config=config,
            created_at=utcnow(),
        )  # fmt: skip
        with self._session() as session:
            session.add(row)
            session.flush()
            return _config(row)

    def get_software_config(self, config_id: str, project: str | None) -> SoftwareConfigRecord:
        """The config, if ``project`` (None: any) owns it; ``NotFound`` otherwise."""
        with self._session() as session:
            return _config(_config_row(session, config_id, project))

    def list_software_configs(
        self, project: str | None, *, limit: int | None = None, marker: str | None = None
    ) -> list[SoftwareConfigRecord]:
        """Oldest first; after the config ``marker`` (unknown: from the start), at most
        ``limit``."""
        query = select(SoftwareConfigRow)
        if project is not None:
            query = query.where(SoftwareConfigRow.project == project)
        query = query.order_by(SoftwareConfigRow.created_at, SoftwareConfigRow.id)
        with self._session() as session:
            rows = list(session.scalars(query))
        ids = [row.id for row in rows]
        if marker in ids:
            rows = rows[ids.index(marker) + 1 :]
        return [_config(row) for row in rows[:limit]]

    def delete_software_config(self, config_id: str, project: str | None) -> None:
        """``InvalidRequest`` while a deployment refers to it, as in Heat."""
        with self._session() as session:
            row = _config_row(session, config_id, project)
            used = select(SoftwareDeploymentRow.id).where(
                SoftwareDeploymentRow.config_id == config_id
            )
            if session.scalar(used.limit(1)) is not None:
                raise InvalidRequest(
                    f"Software config with id {config_id} can not be deleted as it is referenced."
                )
            session.delete(row)

    def create_software_deployment(
        self,
        project: str,
        *,
        config_id: str,
        server_id: str,
        input_values: dict[str, Any] | None,
        action: str,
        status: str,
        status_reason: str,
        stack_user_project_id: str | None = None,
    ) -> SoftwareDeploymentRecord:
        """``InvalidRequest`` when the project has no config ``config_id``."""
        with self._session() as session:
            config = _usable_config(session, config_id, project)
            row = SoftwareDeploymentRow(
                id=str(uuid.uuid4()), project=project, config_id=config.id,
                stack_user_project_id=stack_user_project_id, server_id=server_id,
                input_values=input_values, output_values=None, action=action, status=status,
                status_reason=status_reason, created_at=utcnow(),
            )  # fmt: skip
            session.add(row)
            session.flush()
            return _deployment(row, config)

    def get_software_deployment(
        self, deployment_id: str, project: str | None
    ) -> SoftwareDeploymentRecord:
        with self._session() as session:
            return _deployment(*_deployment_rows(session, deployment_id, project))

    def list_software_deployments(
        self, project: str | None, server_id: str | None = None
    ) -> list[SoftwareDeploymentRecord]:
        """Oldest first; only those of ``server_id`` when given."""
        query = _deployments(project)
        if server_id:
            query = query.where(SoftwareDeploymentRow.server_id == server_id)
        query = query.order_by(SoftwareDeploymentRow.created_at, SoftwareDeploymentRow.id)
        with self._session() as session:
            return [_deployment(row, config) for row, config in session.execute(query)]

    def update_software_deployment(
        self, deployment_id: str, project: str | None, changes: dict[str, Any]
    ) -> SoftwareDeploymentRecord:
        """Set the given ``DEPLOYMENT_FIELDS`` and ``status_reason``; ``updated_at`` is now."""
        with self._session() as session:
            row, config = _deployment_rows(session, deployment_id, project)
            if "config_id" in changes:
                config = _usable_config(session, changes["config_id"], project)
            for key in (*DEPLOYMENT_FIELDS, "status_reason"):
                if key in changes:
                    setattr(row, key, changes[key])
            row.updated_at = utcnow()
            session.flush()
            return _deployment(row, config)

    def delete_software_deployment(self, deployment_id: str, project: str | None) -> None:
        with self._session() as session:
            session.delete(_deployment_rows(session, deployment_id, project)[0])


def _deployment_rows(
    session: Session, deployment_id: str, project: str | None
) -> tuple[SoftwareDeploymentRow, SoftwareConfigRow]:
    found = session.execute(
        _deployments(project).where(SoftwareDeploymentRow.id == deployment_id)
    ).first()
    if found is None:
        raise NotFound(f"Deployment with id {deployment_id} not found")
    row, config = found
    return row, config


def _config_row(session: Session, config_id: str, project: str | None) -> SoftwareConfigRow:
    row = session.get(SoftwareConfigRow, config_id)
    if row is None or (project is not None and row.project != project):
        raise NotFound(f"Software config with id {config_id} not found")
    return row


def _usable_config(session: Session, config_id: Any, project: str | None) -> SoftwareConfigRow:
    """The config a deployment may name: ``InvalidRequest`` (Heat's Invalid) otherwise."""
    try:
        return _config_row(session, str(config_id), project)
    except NotFound:
        raise InvalidRequest(
            f"Data supplied was not valid: Config with id {config_id} not found"
        ) from None
