"""crossheat's one door: every operation a face (the CLI, the API, the dashboard) offers.

    with Service() as service:
        analysis = service.validate(Inputs("stack.yaml", parameters={"vpn_psk": "..."}))
        started = service.create("vpn", Inputs("stack.yaml"))   # recorded and locked
        service.submit(started)                # the executor runs it (a worker process)
        service.show("vpn")                    # Heat's fields: stack_status, outputs...

Faces import this module, ``crossheat.errors`` and the package root, nothing below:
the records, plans and diagnostics they render are re-exported here. An operation is
a coroutine (``run_operation``) that runs in whatever event loop its caller has; the
process entry point owns the loop and the signals (``run_here``), or hands the
operation to the service's ``Executor``.

Importing this package costs nothing: each name is loaded from the module that
defines it (``_ORIGIN``) on first use, so a command that needs only a light
part of the service (``crossheat.service.listing``, ``stack list``'s quick reader)
starts without the engine, the store's ORM or openstacksdk.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crossheat.clouds.credentials import NO_TOKEN, Caller, CallerToken, NoCallerToken
    from crossheat.engine.check import CheckResult
    from crossheat.engine.diff import Diff
    from crossheat.engine.stack import EngineOptions
    from crossheat.errors import Diagnostic
    from crossheat.plan.analysis import Analysis, CrossRegionReference
    from crossheat.plan.plan import Plan
    from crossheat.service._dashboard import (
        Dashboard,
        ListQuery,
        ListWatch,
        StackListPage,
        Watch,
        session_key,
        tunnel_status,
    )
    from crossheat.service._forms import (
        ConstraintView,
        FieldGroup,
        ParameterField,
        ParameterForm,
        Problem,
        check_parameters,
        parameter_form,
        template_problems,
    )
    from crossheat.service._heatlist import StackPage, StackQuery
    from crossheat.service._heatops import HeatOps, HeatUpdate
    from crossheat.service._heatviews import HeatViews
    from crossheat.service._login import KeystoneLogin, LoginProject, Unscoped
    from crossheat.service._logs import log_setup
    from crossheat.service._metrics import metrics_exposition, serve_metrics
    from crossheat.service._plan_view import (
        CrossRef,
        PlannedItem,
        PlanSummary,
        launch_check,
        plan_summary,
    )
    from crossheat.service._regions import region_overview
    from crossheat.service._secrets import KeyFileChange, KeyRingStatus, SecretKeys
    from crossheat.service._service import Service
    from crossheat.service._stacks import stack_dict
    from crossheat.service._started import PreparedUpdate
    from crossheat.service._takeover import Takeover
    from crossheat.service._update_view import (
        ChangeView,
        PropertyChange,
        UpdatePreview,
        prepare_form_update,
        update_form,
        update_preview,
    )
    from crossheat.service._webhooks import WEBHOOK_TAG, check_webhook, deployment_webhooks
    from crossheat.service.door import Door, connect, remote_url
    from crossheat.service.executor import (
        EventReader,
        Executor,
        LocalExecutor,
        Started,
        View,
        run_in_process,
    )
    from crossheat.service.hosted import HostedExecutor
    from crossheat.service.inputs import DiskFiles, Inputs, Source
    from crossheat.service.queue import QueueExecutor
    from crossheat.service.remote import RemoteService
    from crossheat.service.views import event_dict, resource_dict
    from crossheat.store import (
        Action,
        EventCursor,
        EventRecord,
        ResourceRecord,
        Rotation,
        SealedCensus,
        StackRecord,
        Status,
    )

#: Where each name the service offers is defined (loaded on first use).
_ORIGIN = {
    "Caller": "crossheat.clouds.credentials",
    "CallerToken": "crossheat.clouds.credentials",
    "NoCallerToken": "crossheat.clouds.credentials",
    "NO_TOKEN": "crossheat.clouds.credentials",
    "Action": "crossheat.store",
    "EventCursor": "crossheat.store",
    "EventRecord": "crossheat.store",
    "ResourceRecord": "crossheat.store",
    "StackRecord": "crossheat.store",
    "Status": "crossheat.store",
    "Analysis": "crossheat.plan.analysis",
    "CrossRegionReference": "crossheat.plan.analysis",
    "CheckResult": "crossheat.engine.check",
    "Diagnostic": "crossheat.errors",
    "Diff": "crossheat.engine.diff",
    "DiskFiles": "crossheat.service.inputs",
    "Inputs": "crossheat.service.inputs",
    "Source": "crossheat.service.inputs",
    "EngineOptions": "crossheat.engine.stack",
    "Executor": "crossheat.service.executor",
    "EventReader": "crossheat.service.executor",
    "View": "crossheat.service.executor",
    "Door": "crossheat.service.door",
    "connect": "crossheat.service.door",
    "remote_url": "crossheat.service.door",
    "RemoteService": "crossheat.service.remote",
    "LocalExecutor": "crossheat.service.executor",
    "HostedExecutor": "crossheat.service.hosted",
    "QueueExecutor": "crossheat.service.queue",
    "run_in_process": "crossheat.service.executor",
    "Plan": "crossheat.plan.plan",
    "event_dict": "crossheat.service.views",
    "resource_dict": "crossheat.service.views",
    "stack_dict": "crossheat.service._stacks",
    "HeatOps": "crossheat.service._heatops",
    "Takeover": "crossheat.service._takeover",
    "HeatUpdate": "crossheat.service._heatops",
    "HeatViews": "crossheat.service._heatviews",
    "Dashboard": "crossheat.service._dashboard",
    "ListQuery": "crossheat.service._dashboard",
    "ListWatch": "crossheat.service._dashboard",
    "StackListPage": "crossheat.service._dashboard",
    "Watch": "crossheat.service._dashboard",
    "session_key": "crossheat.service._dashboard",
    "tunnel_status": "crossheat.service._dashboard",
    "KeystoneLogin": "crossheat.service._login",
    "LoginProject": "crossheat.service._login",
    "Unscoped": "crossheat.service._login",
    "region_overview": "crossheat.service._regions",
    "StackPage": "crossheat.service._heatlist",
    "StackQuery": "crossheat.service._heatlist",
    "PreparedUpdate": "crossheat.service._started",
    "Service": "crossheat.service._service",
    "KeyFileChange": "crossheat.service._secrets",
    "KeyRingStatus": "crossheat.service._secrets",
    "SecretKeys": "crossheat.service._secrets",
    "Rotation": "crossheat.store",
    "SealedCensus": "crossheat.store",
    "Started": "crossheat.service.executor",
    "ConstraintView": "crossheat.service._forms",
    "FieldGroup": "crossheat.service._forms",
    "ParameterField": "crossheat.service._forms",
    "ParameterForm": "crossheat.service._forms",
    "Problem": "crossheat.service._forms",
    "check_parameters": "crossheat.service._forms",
    "parameter_form": "crossheat.service._forms",
    "template_problems": "crossheat.service._forms",
    "CrossRef": "crossheat.service._plan_view",
    "PlanSummary": "crossheat.service._plan_view",
    "PlannedItem": "crossheat.service._plan_view",
    "plan_summary": "crossheat.service._plan_view",
    "launch_check": "crossheat.service._plan_view",
    "ChangeView": "crossheat.service._update_view",
    "PropertyChange": "crossheat.service._update_view",
    "UpdatePreview": "crossheat.service._update_view",
    "prepare_form_update": "crossheat.service._update_view",
    "update_form": "crossheat.service._update_view",
    "update_preview": "crossheat.service._update_view",
    "metrics_exposition": "crossheat.service._metrics",
    "serve_metrics": "crossheat.service._metrics",
    "log_setup": "crossheat.service._logs",
    "deployment_webhooks": "crossheat.service._webhooks",
    "WEBHOOK_TAG": "crossheat.service._webhooks",
    "check_webhook": "crossheat.service._webhooks",
}

__all__ = [
    "NO_TOKEN",
    "WEBHOOK_TAG",
    "Action",
    "Analysis",
    "Caller",
    "CallerToken",
    "ChangeView",
    "CheckResult",
    "ConstraintView",
    "CrossRef",
    "CrossRegionReference",
    "Dashboard",
    "Diagnostic",
    "Diff",
    "DiskFiles",
    "Door",
    "EngineOptions",
    "EventCursor",
    "EventReader",
    "EventRecord",
    "Executor",
    "FieldGroup",
    "HeatOps",
    "HeatUpdate",
    "HeatViews",
    "HostedExecutor",
    "Inputs",
    "KeyFileChange",
    "KeyRingStatus",
    "KeystoneLogin",
    "ListQuery",
    "ListWatch",
    "LocalExecutor",
    "LoginProject",
    "NoCallerToken",
    "ParameterField",
    "ParameterForm",
    "Plan",
    "PlanSummary",
    "PlannedItem",
    "PreparedUpdate",
    "Problem",
    "PropertyChange",
    "QueueExecutor",
    "RemoteService",
    "ResourceRecord",
    "Rotation",
    "SealedCensus",
    "SecretKeys",
    "Service",
    "Source",
    "StackListPage",
    "StackPage",
    "StackQuery",
    "StackRecord",
    "Started",
    "Status",
    "Takeover",
    "Unscoped",
    "UpdatePreview",
    "View",
    "Watch",
    "check_parameters",
    "check_webhook",
    "connect",
    "deployment_webhooks",
    "event_dict",
    "launch_check",
    "log_setup",
    "metrics_exposition",
    "parameter_form",
    "plan_summary",
    "prepare_form_update",
    "region_overview",
    "remote_url",
    "resource_dict",
    "run_in_process",
    "serve_metrics",
    "session_key",
    "stack_dict",
    "template_problems",
    "tunnel_status",
    "update_form",
    "update_preview",
]


def __getattr__(name: str) -> Any:
    if name in _ORIGIN:
        value = getattr(importlib.import_module(_ORIGIN[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
