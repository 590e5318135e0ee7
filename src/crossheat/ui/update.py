"""Updating a stack: ``/dashboard/stacks/{id}/update``.

The form of the stack's parameters, prefilled with the values it has now (hidden ones
empty: left empty, they keep their values), an optional new template and environment;
posted, the update's preview (``service.update_preview``: each resource added, updated
in place, replaced, deleted or unchanged, and why) is shown before ``Confirm``, which
prepares the same update again (the stack may have changed meanwhile) and starts it.

A new template changes the form: posted with one, the page shows the new template's
fields first (values carried over by name); the next post previews.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from crossheat.errors import CrossheatError, StackNotFound, TemplateError
from crossheat.service import (
    ParameterForm,
    StackRecord,
    UpdatePreview,
    prepare_form_update,
    update_form,
    update_preview,
)
from crossheat.ui.drafts import Draft, draft_or_404, drafts_of
from crossheat.ui.forms import field_context, read_sources, source_view, typed_values
from crossheat.ui.launch import forget_wrong_hidden
from crossheat.ui.render import render
from crossheat.ui.session import UiUser, User, check_csrf

router = APIRouter()

KEEP = "(unchanged: leave empty to keep)"


def _stack(user: UiUser, stack_id: str) -> StackRecord:
    """The user's stack (404 for another project's, or none)."""
    try:
        return user.service.get(stack_id)
    except StackNotFound:
        raise HTTPException(404, f"The Stack ({stack_id}) could not be found.") from None


def _form(user: UiUser, stack: StackRecord, draft: Draft, submitted: bool) -> ParameterForm:
    return update_form(
        user.service, stack.id, template=draft.template,
        environments=[text for _, text in draft.environments],
        parameters=draft.parameters, submitted=submitted,
    )  # fmt: skip


def _draft(request: Request, user: UiUser, stack: StackRecord, token: str) -> Draft:
    """The update's draft (none yet: a new one, kept once posted); 404 for an expired
    one, or one of another stack or of a launch."""
    if not token:
        return Draft(stack_id=stack.id)
    draft = draft_or_404(request, user, token)
    if draft.stack_id != stack.id:
        raise HTTPException(404, "This form is another stack's: start again.")
    return draft


@router.get("/dashboard/stacks/{stack_id}/update", response_class=HTMLResponse)
def update_page(request: Request, stack_id: str, user: User, draft: str = "") -> HTMLResponse:
    request.state.ui_user = user
    stack = _stack(user, stack_id)
    found = _draft(request, user, stack, draft)
    spec = _form(user, stack, found, submitted=False)
    return _form_page(request, stack, found, draft, spec, found.parameters)


def _form_page(
    request: Request, stack: StackRecord, draft: Draft, token: str, spec: ParameterForm,
    values: Mapping[str, str], notice: str | None = None, status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    name = draft.template_name if draft.template is not None else "template.yaml"
    context: dict[str, Any] = {
        "record": stack, "draft": draft, "token": token, "notice": notice,
        "source": source_view(name, draft.template, spec.template_problems),
        "keep_text": KEEP, "notice_error": status_code >= 400,
        **field_context(spec, values, dict.fromkeys(_hidden(spec), "")),
    }  # fmt: skip
    return render(request, "update.html", context, status_code=status_code)


def _hidden(spec: ParameterForm) -> list[str]:
    """Every hidden field holds a value already: the stack's."""
    return [f.name for f in spec.fields if f.hidden]


@router.post(
    "/dashboard/stacks/{stack_id}/update",
    response_class=HTMLResponse,
    dependencies=[Depends(check_csrf)],
)
async def preview(request: Request, stack_id: str, user: User) -> HTMLResponse:
    """The form posted: a new template's form, the form with its errors, or the preview."""
    request.state.ui_user = user
    stack = await run_in_threadpool(_stack, user, stack_id)
    form = await request.form()
    draft = _draft(request, user, stack, str(form.get("draft") or ""))
    token = drafts_of(request).put(user, draft, str(form.get("draft") or "") or None)
    sources = await read_sources(form)
    if sources.errors:
        spec = await run_in_threadpool(_form, user, stack, draft, False)
        return _form_page(request, stack, draft, token, spec, draft.parameters,
                          " ".join(sources.errors), 400)  # fmt: skip
    current = await run_in_threadpool(_form, user, stack, draft, False)
    draft.parameters = typed_values(form, current, draft.parameters)
    if sources.environments:
        draft.environments = sources.environments
    if sources.template is not None and sources.template != draft.template:
        draft.template, draft.template_name = sources.template, sources.template_name
        spec = await run_in_threadpool(_form, user, stack, draft, False)
        notice = "The new template's parameters: check them, then preview the update."
        return _form_page(request, stack, draft, token, spec, draft.parameters, notice)
    checked = await run_in_threadpool(_form, user, stack, draft, True)
    forget_wrong_hidden(draft, checked)
    shown: UpdatePreview | None = None
    problem = None
    if checked.ok:
        try:
            shown = await run_in_threadpool(_preview, user, stack, draft)
        except TemplateError as exc:
            problem = str(exc)
    if shown is None:
        return _form_page(request, stack, draft, token, checked, draft.parameters, problem, 400)
    return render(request, "update_preview.html", {
        "record": stack, "token": token, "preview": shown, "draft": draft,
        "changed": sorted(draft.parameters), "hidden": set(_hidden(checked)),
    })  # fmt: skip


def _preview(user: UiUser, stack: StackRecord, draft: Draft) -> UpdatePreview:
    return update_preview(user.service, _prepare(user, stack, draft))


def _prepare(user: UiUser, stack: StackRecord, draft: Draft) -> Any:
    return prepare_form_update(
        user.service, stack.id, template=draft.template,
        environments=[text for _, text in draft.environments], parameters=draft.parameters,
    )  # fmt: skip


@router.post("/dashboard/stacks/{stack_id}/update/confirm", dependencies=[Depends(check_csrf)])
async def confirm(request: Request, stack_id: str, user: User) -> Response:
    """The preview confirmed: the update started; the stack's page."""
    request.state.ui_user = user
    stack = await run_in_threadpool(_stack, user, stack_id)
    form = await request.form()
    token = str(form.get("draft") or "")
    draft = _draft(request, user, stack, token or "-")
    try:
        await run_in_threadpool(_start, user, stack, draft)
    except CrossheatError as exc:
        spec = await run_in_threadpool(_form, user, stack, draft, True)
        message = f"The update was not started: {exc}"
        return _form_page(request, stack, draft, token, spec, draft.parameters, message, 409)
    drafts_of(request).drop(token)
    return RedirectResponse(f"/dashboard/stacks/{stack.id}?message=Update+started.", 303)


def _start(user: UiUser, stack: StackRecord, draft: Draft) -> None:
    service = user.service
    service.submit(service.update(_prepare(user, stack, draft)))
