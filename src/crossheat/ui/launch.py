"""Launching a stack: ``/dashboard/launch``, in three steps, as Horizon's Launch Stack
with the plan shown before the last one.

1. ``GET /dashboard/launch``: the template and environment files, uploaded or pasted;
   posted, the template is read and checked (errors beside its lines).
2. The form generated from the template's parameters (``service.parameter_form``):
   types, defaults, constraints, hidden parameters as password fields, groups as
   fieldsets; the stack's name, rollback, timeout. Posted to ``/dashboard/launch/plan``,
   the values are checked (errors beside their fields, ``id="error-<param>"``).
3. The plan (``service.plan_summary``): resources per region, cross-region references,
   critical path and its time; ``Launch`` posts ``/dashboard/launch/confirm``, which
   creates the stack through the service and goes to its page.

What was given between the steps is a ``Draft`` kept in this process: hidden values
never come back to the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from crossheat.errors import CrossheatError, StackError
from crossheat.service import (
    Inputs,
    ParameterForm,
    PlanSummary,
    Service,
    Source,
    launch_check,
    parameter_form,
)
from crossheat.ui.drafts import Draft, draft_or_404, drafts_of
from crossheat.ui.forms import field_context, read_sources, source_view, typed_values
from crossheat.ui.render import render
from crossheat.ui.session import UiUser, User, check_csrf

router = APIRouter()

DEFAULT_TIMEOUT = 60


def launch_draft(request: Request, user: UiUser, token: str | None) -> Draft:
    """The launch's draft; 404 for an expired one, another session's, or an update's."""
    draft = draft_or_404(request, user, token)
    if draft.stack_id is not None:
        raise HTTPException(404, "This form is an update's: start again.")
    return draft


def forget_wrong_hidden(draft: Draft, checked: ParameterForm) -> None:
    """A hidden value found wrong is not kept: it is typed again."""
    for item in checked.fields:
        if item.hidden and item.name in checked.errors:
            draft.parameters.pop(item.name, None)


def inputs_of(draft: Draft, parameters: Mapping[str, str] | None = None) -> Inputs:
    return Inputs(
        draft.template,
        draft.template_name,
        environments=[Source(name, text) for name, text in draft.environments],
        parameters=dict(draft.parameters if parameters is None else parameters),
    )


@router.get("/dashboard/launch", response_class=HTMLResponse)
def launch_page(request: Request, user: User) -> HTMLResponse:
    request.state.ui_user = user
    return _source_page(request, Draft(), None)


def _source_page(
    request: Request, draft: Draft, token: str | None, errors: list[str] | None = None,
    spec: ParameterForm | None = None, status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    problems = spec.problems if spec is not None else []
    return render(request, "launch.html", {
        "nav": "launch", "draft": draft, "token": token, "errors": errors or [],
        "source": source_view(draft.template_name, draft.template, problems)
        if problems else None,
    }, status_code=status_code)  # fmt: skip


@router.post("/dashboard/launch", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
async def read_template(request: Request, user: User) -> HTMLResponse:
    """Step 1 posted: the template read; its form, or its errors."""
    request.state.ui_user = user
    form = await request.form()
    sources = await read_sources(form)
    drafts = drafts_of(request)
    token = str(form.get("draft") or "") or None
    found = drafts.get(user, token)
    if found is None or found.stack_id is not None:  # expired, or not a launch's: anew
        found, token = Draft(), None
    draft = found
    if sources.template is not None:
        draft.template, draft.template_name = sources.template, sources.template_name
    if sources.environments or form.get("forget_environments"):
        draft.environments = sources.environments
    if sources.errors or draft.template is None:
        errors = sources.errors or ["Give a template: upload a file or paste it."]
        return _source_page(request, draft, drafts.put(user, draft, token), errors, None, 400)
    spec = await run_in_threadpool(parameter_form, user.service, inputs_of(draft, {}))
    token = drafts.put(user, draft, token)
    if not spec.ok:
        return _source_page(request, draft, token, ["The template has errors."], spec, 400)
    return _parameters_page(request, draft, token, spec, {})


@router.get("/dashboard/launch/parameters", response_class=HTMLResponse)
def back_to_parameters(request: Request, user: User, draft: str = "") -> HTMLResponse:
    """From the plan, back to the parameters (the values typed kept, hidden ones too)."""
    request.state.ui_user = user
    found = launch_draft(request, user, draft)
    spec = parameter_form(user.service, inputs_of(found, {}))
    return _parameters_page(request, found, draft, spec, found.parameters)


def _parameters_page(
    request: Request, draft: Draft, token: str, spec: ParameterForm,
    values: Mapping[str, str], wrong: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    context: dict[str, Any] = {
        "nav": "launch", "draft": draft, "token": token, "wrong": wrong or {},
        "timeout": draft.timeout_mins or DEFAULT_TIMEOUT,
        "source": source_view(draft.template_name, draft.template, spec.template_problems),
        **field_context(spec, values, draft.parameters),
    }  # fmt: skip
    return render(request, "launch_parameters.html", context, status_code=status_code)


@router.post(
    "/dashboard/launch/plan", response_class=HTMLResponse, dependencies=[Depends(check_csrf)]
)
async def plan(request: Request, user: User) -> HTMLResponse:
    """Step 2 posted: the values checked; the plan, or the form again with its errors."""
    request.state.ui_user = user
    form = await request.form()
    token = str(form.get("draft") or "")
    draft = launch_draft(request, user, token)
    draft.name = str(form.get("stack_name") or "").strip()
    draft.rollback = form.get("rollback") == "on"
    timeout = str(form.get("timeout_mins") or "").strip()
    draft.timeout_mins = int(timeout) if timeout.isdigit() and int(timeout) > 0 else None
    blank = await run_in_threadpool(parameter_form, user.service, inputs_of(draft, {}))
    values = typed_values(form, blank, draft.parameters)
    draft.parameters = values
    drafts_of(request).put(user, draft, token)
    checked, summary, wrong = await run_in_threadpool(_check, user, draft, timeout)
    forget_wrong_hidden(draft, checked)
    if summary is None or wrong:
        return _parameters_page(request, draft, token, checked, values, wrong, 400)
    return render(request, "launch_plan.html", {
        "nav": "launch", "draft": draft, "token": token, "plan": summary,
        "warnings": [p for p in checked.problems if p.severity == "warning"],
    })  # fmt: skip


def _check(
    user: UiUser, draft: Draft, timeout: str
) -> tuple[ParameterForm, PlanSummary | None, dict[str, str]]:
    """The values checked, the plan when they are right, and what is wrong with the
    stack's name or timeout (by field)."""
    service: Service = user.service
    wrong: dict[str, str] = {}
    try:
        service.heat().check_new_name(draft.name)
    except StackError as exc:  # its form, or a stack of that name exists
        wrong["stack_name"] = str(exc) if draft.name else "Give the stack a name."
    if timeout and draft.timeout_mins is None:
        wrong["timeout_mins"] = "The timeout must be a whole number of minutes."
    checked, summary = launch_check(service, inputs_of(draft))
    return checked, summary, wrong


@router.post("/dashboard/launch/confirm", dependencies=[Depends(check_csrf)])
async def confirm(request: Request, user: User) -> Response:
    """Step 3 posted: the stack created through the service; its page."""
    request.state.ui_user = user
    form = await request.form()
    token = str(form.get("draft") or "")
    draft = launch_draft(request, user, token)
    try:
        stack_id = await run_in_threadpool(_create, user.service, draft)
    except CrossheatError as exc:
        spec = await run_in_threadpool(
            parameter_form, user.service, inputs_of(draft), submitted=True
        )
        wrong = {"launch": f"The stack was not launched: {exc}"}
        return _parameters_page(request, draft, token, spec, draft.parameters, wrong, 400)
    drafts_of(request).drop(token)
    return RedirectResponse(f"/dashboard/stacks/{stack_id}?message=Launch+started.", 303)


def _create(service: Service, draft: Draft) -> str:
    started = service.create(
        draft.name, inputs_of(draft), disable_rollback=not draft.rollback,
        timeout_mins=draft.timeout_mins,
    )  # fmt: skip
    service.submit(started)
    return started.stack.id
