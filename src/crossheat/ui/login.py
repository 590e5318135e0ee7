"""Logging in and out: ``/dashboard/login`` (user and password, checked by Keystone),
``/dashboard/login/project`` (the project chooser, when the user has several) and
``/dashboard/logout``.

A browser first gets a session (a cookie and a CSRF token) with the login form; the
form's post is checked against it like every other. After a login the session id is
replaced (no session fixation). With ``--auth none`` the login page logs the browser in
as the local user at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from crossheat.errors import KeystoneUnreachable, LoginRefused
from crossheat.service import Unscoped
from crossheat.ui.render import render
from crossheat.ui.session import (
    COOKIE,
    LOCAL_USER,
    Settings,
    UiSession,
    check_csrf,
    local_project,
    safe_next,
    scoped_session,
    session_of,
    settings_of,
)

router = APIRouter()


def with_cookie(request: Request, response: Response, settings: Settings, sid: str) -> Response:
    """The session cookie: HttpOnly, SameSite=Lax, for the dashboard's paths only, and
    Secure when the page came over HTTPS (or the server says it is behind TLS)."""
    secure = settings.secure or request.url.scheme == "https"
    response.set_cookie(
        COOKIE, settings.sessions.cookie(sid), max_age=int(settings.sessions.max_age),
        path="/dashboard", httponly=True, samesite="lax", secure=secure,
    )  # fmt: skip
    return response


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/dashboard/login", response_model=None)
def login_page(request: Request, next: str = "/dashboard/") -> Response:
    settings = settings_of(request)
    if settings.local:
        project = local_project()
        sid, _ = settings.sessions.new(
            local=True, user_name=LOCAL_USER, project_id=project, project_name=project
        )
        return with_cookie(request, _redirect(safe_next(next)), settings, sid)
    found = session_of(request)
    if found is None:
        sid, session = settings.sessions.new(visitor=True)
        request.state.ui_session = session
        page = _form(request, next, None)
        return with_cookie(request, page, settings, sid)
    return _form(request, next, None)


def _form(request: Request, next_url: str, error: str | None, status: int = 200) -> HTMLResponse:
    return render(
        request, "login.html", {"next": safe_next(next_url), "error": error}, status_code=status
    )


@router.post("/dashboard/login", response_model=None, dependencies=[Depends(check_csrf)])
async def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    domain: Annotated[str, Form()] = "Default",
    next: Annotated[str, Form()] = "/dashboard/",
) -> Response:
    settings = settings_of(request)
    if settings.login is None:
        return _form(request, next, "This server has no Keystone to log in with.", 400)
    try:
        unscoped = await run_in_threadpool(
            settings.login.password, username, password, domain or "Default"
        )
    except LoginRefused as exc:
        return _form(request, next, str(exc), 401)
    except KeystoneUnreachable as exc:
        return _form(request, next, str(exc), 503)
    if not unscoped.projects:
        return _form(request, next, "You have no role on any project.", 403)
    found = session_of(request)
    assert found is not None  # check_csrf found it
    old_sid = found[0]
    settings.sessions.drop(old_sid)
    sid, _ = settings.sessions.new(pending=unscoped, user_name=unscoped.user_name)
    if len(unscoped.projects) == 1:
        response = await _choose(request, sid, unscoped, unscoped.projects[0].id, next)
    else:
        target = f"/dashboard/login/project?next={safe_next(next)}"
        response = _redirect(target)
    return with_cookie(request, response, settings, sid)


async def _choose(
    request: Request, sid: str, unscoped: Unscoped, project_id: str, next_url: str
) -> Response:
    """Scope the user's token to ``project_id`` and finish the login."""
    settings = settings_of(request)
    assert settings.login is not None
    try:
        token = await run_in_threadpool(settings.login.scope, unscoped, project_id)
        identity = await run_in_threadpool(settings.auth.identify, token)
    except LoginRefused as exc:
        return _form(request, next_url, str(exc), 403)
    except KeystoneUnreachable as exc:
        return _form(request, next_url, str(exc), 503)
    found = settings.sessions.find(settings.sessions.cookie(sid))
    if found is None:
        return _redirect("/dashboard/login")
    settings.sessions.replace(sid, scoped_session(found[1], token, identity))
    return _redirect(safe_next(next_url))


@router.get("/dashboard/login/project", response_model=None)
def project_page(request: Request, next: str = "/dashboard/") -> Response:
    found = session_of(request)
    if found is None or found[1].pending is None:
        return _redirect("/dashboard/login")
    projects = found[1].pending.projects
    return render(request, "projects.html", {"projects": projects, "next": safe_next(next)})


@router.post("/dashboard/login/project", response_model=None, dependencies=[Depends(check_csrf)])
async def choose_project(
    request: Request,
    project: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/dashboard/",
) -> Response:
    found = session_of(request)
    if found is None or found[1].pending is None:
        return _redirect("/dashboard/login")
    sid, session = found
    assert session.pending is not None
    return await _choose(request, sid, session.pending, project, next)


@router.post("/dashboard/logout", response_model=None, dependencies=[Depends(check_csrf)])
async def logout(request: Request) -> Response:
    settings = settings_of(request)
    found = session_of(request)
    session: UiSession | None = None
    if found is not None:
        session = settings.sessions.drop(found[0])
    if session is not None and session.token and settings.login is not None:
        await run_in_threadpool(settings.login.revoke, session.token)
    response: Response = _redirect("/dashboard/login?next=/dashboard/")
    if settings.local:  # no login page to come back through: say so
        response = render(request, "logged_out.html", {})
    response.delete_cookie(COOKIE, path="/dashboard", httponly=True, samesite="lax")
    return response
