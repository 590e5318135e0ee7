"""The stacks list (``/dashboard/``) and one stack (``/dashboard/stacks/{id}``) with its
tabs and actions (check, cancel, delete with confirmation).

A stack of another project is a 404, as in the API. Every value shown comes from the
service's views: hidden parameters are ``******``, resource properties never shown.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crossheat.errors import CrossheatError, NotSupportedError, StackLocked, StackNotFound
from crossheat.service import Dashboard, ListQuery, StackRecord
from crossheat.ui.render import render
from crossheat.ui.session import UiUser, User, check_csrf

router = APIRouter()

TABS = ("topology", "resources", "events", "outputs", "template", "parameters", "pieces")
TAB_TITLES = {"topology": "Topology", "resources": "Resources", "events": "Events",
              "outputs": "Outputs", "template": "Template", "parameters": "Parameters",
              "pieces": "Split pieces"}  # fmt: skip


def stack_of(user: UiUser, stack_id: str) -> tuple[Dashboard, StackRecord]:
    """The user's stack (404 for a stack of another project, or none)."""
    board = Dashboard(user.service)
    try:
        return board, board.stack(stack_id)
    except StackNotFound:
        raise HTTPException(404, f"The Stack ({stack_id}) could not be found.") from None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


@router.get("/dashboard/", response_class=HTMLResponse)
def stacks(request: Request, user: User) -> HTMLResponse:
    request.state.ui_user = user
    q = request.query_params
    query = ListQuery(
        status=q.get("status", ""), region=q.get("region", ""), name=q.get("name", ""),
        sort=q.get("sort", "created"), direction="asc" if q.get("dir") == "asc" else "desc",
        page=_int(q.get("page"), 1), per_page=_int(q.get("per_page"), 50),
    )  # fmt: skip
    page = Dashboard(user.service).list_stacks(query)
    kept = {k: v for k, v in (("status", query.status), ("region", query.region),
            ("name", query.name)) if v}  # fmt: skip

    def link(**changes: Any) -> str:
        params = {**kept, "sort": query.sort, "dir": query.direction, **changes}
        return "/dashboard/?" + urlencode({k: v for k, v in params.items() if v})

    def sort_link(column: str) -> str:
        same = query.sort == column
        return link(sort=column, dir="desc" if same and query.direction == "asc" else "asc")

    return render(request, "stacks.html", {
        "page": page, "query": query, "link": link, "sort_link": sort_link,
    })  # fmt: skip


@router.get("/dashboard/stacks/{stack_id}", response_class=HTMLResponse)
def stack_detail(request: Request, stack_id: str, user: User, tab: str = "topology") -> Response:
    request.state.ui_user = user
    board, stack = stack_of(user, stack_id)
    if stack.id != stack_id:  # a name: the canonical address
        return RedirectResponse(f"/dashboard/stacks/{stack.id}", status_code=302)
    shown = board.show(stack)
    context: dict[str, Any] = {
        "stack": shown, "record": stack, "tab": tab if tab in TABS else "topology",
        "tabs": TABS, "titles": TAB_TITLES,
        "resources": board.resources(stack), "events": board.events(stack),
        "outputs": shown.get("outputs", []), "template": board.template_text(stack),
        "parameters": sorted(shown.get("parameters", {}).items()),
        "pieces": board.pieces(stack), "message": request.query_params.get("message"),
        "busy": stack.status.value == "IN_PROGRESS",
    }  # fmt: skip
    return render(request, "stack.html", context)


@router.get("/dashboard/stacks/{stack_id}/outputs", response_class=HTMLResponse)
def outputs(request: Request, stack_id: str, user: User) -> HTMLResponse:
    """The Outputs tab's content alone: the page reads it again when an operation ends."""
    board, stack = stack_of(user, stack_id)
    return render(request, "_outputs.html", {"outputs": board.show(stack).get("outputs", [])})


@router.get("/dashboard/stacks/{stack_id}/delete", response_class=HTMLResponse)
def confirm_delete(request: Request, stack_id: str, user: User) -> HTMLResponse:
    request.state.ui_user = user
    _, stack = stack_of(user, stack_id)
    return render(request, "confirm_delete.html", {"record": stack})


def _back(stack_id: str, message: str) -> RedirectResponse:
    return RedirectResponse(
        f"/dashboard/stacks/{stack_id}?{urlencode({'message': message})}", status_code=303
    )


@router.post("/dashboard/stacks/{stack_id}/check", dependencies=[Depends(check_csrf)])
def check(stack_id: str, user: User) -> Response:
    _, stack = stack_of(user, stack_id)
    try:
        user.service.submit(user.service.heat().check(stack))
    except (StackLocked, NotSupportedError) as exc:
        return _back(stack_id, f"Check refused: {exc}")
    return _back(stack_id, "Check started.")


@router.post("/dashboard/stacks/{stack_id}/cancel", dependencies=[Depends(check_csrf)])
def cancel(stack_id: str, user: User) -> Response:
    """Heat's cancel: an update is rolled back; a create (of a stack whose rollback is
    off) stops where it is."""
    _, stack = stack_of(user, stack_id)
    rollback = stack.stack_status != "CREATE_IN_PROGRESS"
    try:
        user.service.heat().cancel(stack, rollback=rollback)
    except CrossheatError as exc:
        return _back(stack_id, f"Cancel refused: {exc}")
    done = "the update is rolled back" if rollback else "the create stops where it is"
    return _back(stack_id, f"Cancel requested: {done}.")


@router.post("/dashboard/stacks/{stack_id}/delete", dependencies=[Depends(check_csrf)])
def delete(stack_id: str, user: User) -> Response:
    _, stack = stack_of(user, stack_id)
    try:
        user.service.submit(user.service.heat().delete(stack))
    except (StackLocked, NotSupportedError) as exc:
        return _back(stack_id, f"Delete refused: {exc}")
    return _back(stack_id, "Delete started.")
