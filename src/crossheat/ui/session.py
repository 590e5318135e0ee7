"""Who uses the dashboard: the login (Keystone user and password, then a project), the
session cookie, CSRF, and the service scoped to the user's project.

    @router.get("/dashboard/")
    def stacks(request: Request, user: User) -> HTMLResponse:
        user.service.list_stacks()           # the user's project only

The cookie holds only a random session id, signed with a key derived from the
deployment's secret key; the Keystone token stays in this process (``Sessions``), so no
token or password reaches the browser. Every request validates the token again through
the API's authenticator (which caches Keystone's answer briefly): a revoked or expired
token ends the session. ``--auth none`` (loopback only): no login, a fixed local user
in the project ``CROSSHEAT_PROJECT`` (default ``default``); forms still carry CSRF tokens.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Annotated, Any, Protocol
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from itsdangerous import BadSignature, TimestampSigner
from markupsafe import Markup, escape

from crossheat.service import Caller, KeystoneLogin, Service, Unscoped

COOKIE = "crossheat_session"
#: How long a session lasts at most (the token's expiry ends it sooner).
MAX_AGE = 12 * 3600
#: Sessions kept at most; the oldest go first.
MAX_SESSIONS = 10_000
LOCAL_USER = "local"
ADMIN_ROLE = "admin"


class Identity(Protocol):
    """What the API's authenticator says of a token (``crossheat.api.context.Identity``)."""

    user_name: str
    project_id: str
    project_name: str
    roles: tuple[str, ...]
    expires_at: datetime | None

    def caller(self) -> Caller: ...


class Authenticator(Protocol):
    def identify(self, token: str | None) -> Identity: ...


class LoginRequired(Exception):
    """No session, or one whose token is no longer valid: go to the login page."""

    def __init__(self, next_url: str = "/dashboard/") -> None:
        super().__init__(next_url)
        self.next_url = next_url


@dataclass
class UiSession:
    """One browser's session: the CSRF token, and once logged in the user's token."""

    csrf: str
    created: float = field(default_factory=time.time)
    #: Chosen project's token (``--auth none``: None).
    token: str | None = field(default=None, repr=False)
    user_name: str = ""
    project_id: str = ""
    project_name: str = ""
    #: A logged-in user who has not chosen a project yet.
    pending: Unscoped | None = field(default=None, repr=False)
    local: bool = False


@dataclass(frozen=True)
class UiUser:
    """The dashboard's user: their name, project, roles and the service of that project."""

    name: str
    project_id: str
    project_name: str
    roles: tuple[str, ...]
    service: Service
    session: UiSession

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles


class Sessions:
    """The sessions of this process, by id (bounded; expired ones dropped on access).

    A visitor's session (the login form's, before any login) is kept apart, in a pool
    of its own: many visitors push out old visitors, never logged-in users.
    """

    def __init__(self, key: str, max_age: float = MAX_AGE, size: int = MAX_SESSIONS) -> None:
        self.signer = TimestampSigner(key, salt="crossheat-dashboard")
        self.max_age, self.size = max_age, size
        self._users: OrderedDict[str, UiSession] = OrderedDict()
        self._visitors: OrderedDict[str, UiSession] = OrderedDict()
        self._lock = threading.Lock()

    def new(self, *, visitor: bool = False, **values: Any) -> tuple[str, UiSession]:
        sid = secrets.token_urlsafe(32)
        session = UiSession(csrf=secrets.token_urlsafe(32), **values)
        pool = self._visitors if visitor else self._users
        with self._lock:
            pool[sid] = session
            while len(pool) > self.size:
                pool.popitem(last=False)
        return sid, session

    def cookie(self, sid: str) -> str:
        return self.signer.sign(sid).decode()

    def find(self, cookie: str | None) -> tuple[str, UiSession] | None:
        if not cookie:
            return None
        try:
            sid = self.signer.unsign(cookie, max_age=int(self.max_age)).decode()
        except BadSignature:
            return None
        with self._lock:
            session = self._users.get(sid) or self._visitors.get(sid)
        if session is None or time.time() - session.created > self.max_age:
            self.drop(sid)
            return None
        return sid, session

    def replace(self, sid: str, session: UiSession) -> None:
        with self._lock:
            if sid in self._users:
                self._users[sid] = session

    def drop(self, sid: str) -> UiSession | None:
        with self._lock:
            return self._users.pop(sid, None) or self._visitors.pop(sid, None)


@dataclass
class Settings:
    """The dashboard's wiring, kept on ``app.state.dashboard``."""

    service: Service
    auth: Authenticator
    sessions: Sessions
    #: Where users log in (None: ``--auth none``, or an authenticator without Keystone).
    login: KeystoneLogin | None
    local: bool
    #: Cookies only over HTTPS (when the server is behind TLS).
    secure: bool = False


def settings_of(request: Request) -> Settings:
    found: Settings = request.app.state.dashboard
    return found


def local_project() -> str:
    return os.environ.get("CROSSHEAT_PROJECT") or "default"


def is_local(auth: Authenticator) -> bool:
    """Whether ``auth`` lets anyone in without a token (``--auth none``)."""
    try:
        auth.identify(None)
    except Exception:
        return False
    return True


def session_of(request: Request) -> tuple[str, UiSession] | None:
    """The request's session (also kept on ``request.state`` for the templates)."""
    found = settings_of(request).sessions.find(request.cookies.get(COOKIE))
    request.state.ui_session = found[1] if found else None
    return found


def current_user(request: Request) -> UiUser:
    """FastAPI dependency: the logged-in user (``LoginRequired`` otherwise: the login page)."""
    settings = settings_of(request)
    found = session_of(request)
    if found is None or (found[1].token is None and not found[1].local):
        raise LoginRequired(_here(request))
    sid, session = found
    if session.local:
        root = settings.service
        return UiUser(
            LOCAL_USER, session.project_id, session.project_name, (ADMIN_ROLE,),
            root.scoped(session.project_id), session,
        )  # fmt: skip
    try:
        identity = settings.auth.identify(session.token)
    except Exception as exc:  # a refused or expired token: log in again
        if getattr(exc, "status", None) == 503:
            raise HTTPException(503, "The Keystone service is temporarily unavailable.") from exc
        settings.sessions.drop(sid)
        raise LoginRequired(_here(request)) from exc
    service = settings.service.scoped(identity.project_id, caller=identity.caller())
    name = identity.project_name or session.project_name
    return UiUser(identity.user_name, identity.project_id, name, identity.roles, service, session)


#: A route's user (``user: User``).
User = Annotated[UiUser, Depends(current_user)]


async def check_csrf(request: Request) -> None:
    """FastAPI dependency of every POST: the form's ``csrf_token`` must be the session's
    (403 otherwise: a forged post from another site, or an expired session)."""
    found = session_of(request)
    form = await request.form()
    given = form.get("csrf_token")
    if found is None or not isinstance(given, str):
        raise HTTPException(403, "The form's CSRF token is missing: reload the page.")
    if not secrets.compare_digest(given, found[1].csrf):
        raise HTTPException(403, "The form's CSRF token is wrong: reload the page.")


def csrf_token(request: Request) -> str:
    session: UiSession | None = getattr(request.state, "ui_session", None)
    if session is None:
        found = session_of(request)
        session = found[1] if found else None
    return session.csrf if session is not None else ""


def csrf_input(request: Request) -> Markup:
    """The hidden input every POST form carries (a Jinja global)."""
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(
        escape(csrf_token(request))
    )


def _here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{request.url.path}{query}"


def login_url(next_url: str) -> str:
    return f"/dashboard/login?next={quote(next_url, safe='')}"


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a dashboard path only (no open redirect)."""
    if value and value.startswith("/dashboard/") and not value.startswith("//"):
        return value
    return "/dashboard/"


def scoped_session(session: UiSession, token: str, identity: Identity) -> UiSession:
    return replace(
        session, token=token, pending=None, user_name=identity.user_name,
        project_id=identity.project_id, project_name=identity.project_name,
    )  # fmt: skip
