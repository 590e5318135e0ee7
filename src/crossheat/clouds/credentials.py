"""Acting in a region with the API caller's identity (``credentials: caller``).

A region map says, per region, who the engine acts as there: ``service`` (the cloud's
``clouds.yaml`` credentials, the default) or ``caller``. For ``caller``, a server
(``crossheat serve``) acts with the Keystone token of the request that asked for the
operation, re-scoped by that cloud's Keystone to the token's project (keystoneauth's
token plugin); so the cloud must use the Keystone that issued the token::

    caller = CallerToken(token, project_id, keystone_url="http://keystone:5000/v3")
    clients = RegionClients(region_map, caller=caller)
    clients.caller_problems(["East"])   # [] or why East cannot act as the caller

Who the caller is (``Caller``):

- ``None``: the local engine (the CLI, its worker). Its ``clouds.yaml`` credentials
  are its user's own, so ``caller`` regions act with them, as ``service`` ones do.
- ``CallerToken``: a request's token, held in memory only for the operation it asked
  for: never stored, logged or shown (``repr`` leaves it out).
- ``NoCallerToken``: a server without the caller's token (``--auth none``, or an
  operation resumed after a restart: tokens are not kept); ``caller`` regions then
  cannot be acted in, and the reason says what to do.

Imports nothing heavy: keystoneauth is loaded when a session is made.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crossheat.errors import CloudAuthError

if TYPE_CHECKING:
    from keystoneauth1.session import Session
    from openstack.config.cloud_region import CloudRegion

    from crossheat.clouds.regionmap import RegionMap


@dataclass(frozen=True)
class CallerToken:
    """The Keystone token of the API request that asked for an operation."""

    token: str = field(repr=False)
    #: The project the token is scoped to: the engine acts in it.
    project_id: str
    #: The Keystone that issued (validated) the token: ``caller`` regions' clouds use it.
    keystone_url: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class NoCallerToken:
    """No caller's token at hand; ``reason`` says why and what to do."""

    reason: str


#: Who ``caller`` regions act as (see the module doc); None: the local engine.
Caller = CallerToken | NoCallerToken | None

NO_TOKEN = (
    "the request carries no Keystone token to act with (the server authenticates with "
    "--auth none): run the server with Keystone authentication, or set "
    "`credentials: service` for the region in the region map"
)


#: Why an operation a queue's worker runs cannot act as the caller.
QUEUED = (
    "operations queued for `crossheat worker` (crossheat serve --workers, "
    "CROSSHEAT_EXECUTOR=queue) act with the workers' own clouds.yaml and are never handed "
    "the caller's Keystone token: set `credentials: service` for the region, or run the "
    "server without a queue"
)


def resumed_without_token(action: str) -> NoCallerToken:
    """Why an operation a stopped server was running with the caller's token cannot resume
    (in the server started again, or in a queue's worker)."""
    return NoCallerToken(
        f"the server stopped during the stack's {action}, which acts with the caller's "
        "Keystone token; tokens are never stored, so it cannot resume: update the stack "
        "(`openstack stack update --existing`) or delete it, with a token"
    )


def keystone_root(url: str) -> str:
    """``url`` without its ``/v3`` or ``/v2.0`` and trailing slashes, host lowercased:
    ``http://K:5000/v3/`` and ``http://k:5000`` name the same Keystone."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    for version in ("/v3", "/v2.0"):
        path = path.removesuffix(version)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path.rstrip('/')}"


def caller_problems(
    region_map: RegionMap, regions: Iterable[str], caller: Caller, auth_urls: dict[str, str]
) -> list[str]:
    """Why the ``caller`` regions among ``regions`` cannot act as ``caller``; ``auth_urls``:
    each of their cloud's ``auth_url`` (``""``: none)."""
    if caller is None:
        return []
    problems: list[str] = []
    where = region_map.source or "the region map"
    for name in sorted(set(regions)):
        spec = region_map.regions.get(name)
        if spec is None or not spec.as_caller:
            continue
        if isinstance(caller, NoCallerToken):
            problems.append(f"region {name} (credentials: caller): {caller.reason}")
            continue
        auth_url = auth_urls.get(name, "")
        if keystone_root(auth_url) != keystone_root(caller.keystone_url):
            problems.append(
                f"region {name} (credentials: caller): its cloud {spec.cloud!r} authenticates "
                f"with the Keystone at {auth_url or '(no auth_url)'}, not with the one that "
                f"issued the caller's token ({caller.keystone_url}), so the token cannot act "
                f"there: set `credentials: service` for region {name} in {where}, or serve "
                "with that cloud's Keystone (--keystone-url)"
            )
    return problems


def caller_session(cloud_region: CloudRegion, caller: CallerToken) -> Session:
    """A keystoneauth session acting as ``caller`` on ``cloud_region``'s cloud: its token
    re-scoped by the cloud's Keystone to the token's project, with the cloud's TLS
    settings and timeout (its ``clouds.yaml`` credentials are not used)."""
    from keystoneauth1.identity.generic import Token
    from keystoneauth1.session import Session

    auth_url = str((cloud_region.config.get("auth") or {}).get("auth_url") or "")
    verify, cert = cloud_region.get_requests_verify_args()
    plugin = Token(auth_url, caller.token, project_id=caller.project_id)
    return Session(
        auth=plugin, verify=verify, cert=cert, timeout=cloud_region.config.get("api_timeout"),
        user_agent="crossheat",
    )  # fmt: skip


def caller_settings(cloud_region: CloudRegion) -> dict[str, Any]:
    """The region's ``clouds.yaml`` settings for a connection acting as the caller: the
    cloud's credentials left out, only its ``auth_url`` kept."""
    config = cloud_region.config
    settings = {k: v for k, v in config.items() if k not in ("region_name", "auth", "auth_type")}
    settings["auth"] = {"auth_url": (config.get("auth") or {}).get("auth_url")}
    settings["auth_type"] = "token"
    return settings


def caller_refused(error: CloudAuthError) -> CloudAuthError:
    """``error`` (Keystone or the cloud refused the caller's token) saying what it means."""
    return CloudAuthError(
        f"the caller's Keystone token was refused ({error.message}): it has expired or "
        "was revoked; run the operation again with a valid token",
        region=error.region,
        status_code=error.status_code,
        request_id=error.request_id,
    )
