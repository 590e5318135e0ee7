"""Who is asking, for which project, and the service scoped to it: one per request.

    @router.get("/v1/{tenant_id}/stacks")
    def list_stacks(ctx: RequestContext = Depends(request_context)) -> dict[str, Any]:
        return {"stacks": ctx.service.list_stacks()}

``request_context`` authenticates the ``X-Auth-Token`` with the application's
``Authenticator`` (401 in Heat's shape when it is missing, bad or expired), checks
that the path's ``{tenant_id}`` is the token's project (403 otherwise; an admin's
requests act in the admin's own project, as Heat's do), and gives the routes a
``crossheat.service.Service`` that sees only that project's stacks and acts, in the
regions whose region map says ``credentials: caller``, with the request's token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Protocol
from urllib.parse import quote

from fastapi import Depends, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader

from crossheat.api.errors import HeatFault
from crossheat.service import NO_TOKEN, Caller, CallerToken, NoCallerToken, Service

#: Keystone's role that lets a user see every project (``global_tenant``).
ADMIN_ROLE = "admin"
#: The token's header: the API's security scheme in the OpenAPI document.
TOKEN = APIKeyHeader(
    name="X-Auth-Token",
    scheme_name="KeystoneToken",
    description="A Keystone token scoped to the project of the path's {tenant_id}.",
    auto_error=False,
)


@dataclass(frozen=True)
class Identity:
    """A validated token: the user, the project it is scoped to, the roles there."""

    user_id: str
    user_name: str
    #: "" for ``--auth none``: the request then acts in the path's project.
    project_id: str
    project_name: str = ""
    roles: tuple[str, ...] = ()
    expires_at: datetime | None = None
    #: The token itself, for acting in the clouds on the caller's behalf; never shown.
    token: str | None = field(default=None, repr=False, compare=False)
    #: The Keystone that validated the token (None: no Keystone, e.g. ``--auth none``).
    keystone_url: str | None = None

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles

    def caller(self) -> Caller:
        """Who the request's operations act as in ``credentials: caller`` regions."""
        if not self.token or not self.keystone_url:
            return NoCallerToken(NO_TOKEN)
        return CallerToken(self.token, self.project_id, self.keystone_url, self.expires_at)


class Authenticator(Protocol):
    """Turns the request's token into an ``Identity``; raises ``HeatFault(401, ...)``.

    It may also have ``known(token) -> Identity | None``: the identity when it is at
    hand (a token validated a moment ago), without waiting for anything; None when
    ``identify`` must be called (it may wait for Keystone: it then runs in a thread)."""

    def identify(self, token: str | None) -> Identity: ...


@dataclass
class RequestContext:
    """The caller, the project the request acts in, and the service scoped to it."""

    identity: Identity
    #: The project the request acts in: the path's ``{tenant_id}`` (or an admin's own).
    project_id: str
    #: ``scheme://host:port`` of the request, for Heat's absolute links and ``Location``.
    base_url: str
    service: Service

    def url(self, *parts: str) -> str:
        """The absolute URL of ``/v1/{tenant}/<parts...>``, each part URL-quoted."""
        path = "/".join(quote(p, safe="") for p in (self.project_id, *parts))
        return f"{self.base_url}/v1/{path}"

    def stack_url(self, name: str, stack_id: str, *sub: str) -> str:
        """Heat's canonical URL of a stack, ``.../stacks/{name}/{id}[/sub...]``."""
        return self.url("stacks", name, stack_id, *sub)

    def every_project(self) -> Service:
        """The service across every project (``global_tenant``): admins only (403)."""
        if not self.identity.is_admin:
            raise HeatFault(
                403, "Forbidden", "You are not authorized to complete stacks:global_index."
            )
        return self.service.scoped(self.project_id, every_project=True)


def base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


async def request_context(
    request: Request, tenant_id: str, token: Annotated[str | None, Security(TOKEN)]
) -> RequestContext:
    """FastAPI dependency: authenticate, check the tenant, scope the service (a scoped
    service holds nothing of its own, so nothing is closed after the request). On the
    event loop: a trip to the threadpool only when the authenticator must ask Keystone."""
    auth: Authenticator = request.app.state.auth
    known = getattr(auth, "known", None)
    at_hand: Identity | None = known(token) if known is not None else None
    identity: Identity = (
        at_hand if at_hand is not None else await run_in_threadpool(auth.identify, token)
    )
    project = tenant_id
    # An identity without a project (``--auth none``) acts in the path's project.
    if identity.project_id and tenant_id != identity.project_id:
        if not identity.is_admin:
            raise HeatFault(
                403,
                "Forbidden",
                f"The tenant {tenant_id} in the URL is not the token's project "
                f"{identity.project_id}.",
            )
        project = identity.project_id
    root: Service = request.app.state.service
    service = root.scoped(project, caller=identity.caller())
    return RequestContext(identity, project, base_url(request), service)


#: A route's request context (``ctx: Context``).
Context = Annotated[RequestContext, Depends(request_context)]
