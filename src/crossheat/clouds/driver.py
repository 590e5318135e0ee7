"""The openstacksdk driver: one connection per region, one session per cloud, and the
one error boundary.

    clients = RegionClients(load_region_map())
    net = clients.call("East", lambda conn: conn.network.create_network(name="n"))
    net = await clients.acall("East", lambda conn: conn.network.get_network(net.id))
    with translated("East"):                       # no retries, errors translated
        clients.connection("East").network.delete_network(net)

``call`` retries transient failures (see ``crossheat.clouds.retry``) and raises
``translate(exc, region)`` ``from`` the openstacksdk / keystoneauth exception.
openstacksdk's own retries (``connect_retries``, ``status_code_retries``) are
switched off on every connection, so a request is retried in exactly one place,
with jitter and ``Retry-After``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email.utils
import functools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import requests
import yaml
from keystoneauth1 import exceptions as ksa_exc
from keystoneauth1.session import Session
from openstack import exceptions as sdk_exc
from openstack.config.cloud_region import CloudRegion, from_session
from openstack.config.loader import OpenStackConfig
from openstack.connection import Connection

from crossheat.clouds.callstats import CALLS
from crossheat.clouds.credentials import (
    Caller,
    CallerToken,
    NoCallerToken,
    caller_problems,
    caller_refused,
    caller_session,
    caller_settings,
)
from crossheat.clouds.metrics import count_calls
from crossheat.clouds.regionmap import RegionMap, RegionSpec
from crossheat.clouds.retry import RetryPolicy
from crossheat.errors import (
    CloudAuthError,
    CloudBadRequest,
    CloudConflict,
    CloudError,
    CloudForbidden,
    CloudNotFound,
    CloudQuotaExceeded,
    CloudTransientError,
    ConfigError,
    ResourceFailed,
)

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Switches off openstacksdk's and keystoneauth's own retries (see module doc).
NO_SDK_RETRIES: dict[str, Any] = {
    "connect_retries": 0,
    "status_code_retries": 0,
    "image_status_code_retries": 0,
    "baremetal_status_code_retries": 0,
    "baremetal_introspection_status_code_retries": 0,
}

#: Server errors after which the call may have been carried out (a proxy gave up
#: waiting, the service failed after writing): a create is looked for before it is
#: sent again. 503 means the service did not take the call.
MAYBE_DONE_STATUSES = frozenset({500, 502, 504})
#: How long a call waits for what ``RegionClients.authenticate`` is doing ahead for its
#: region (then it goes on by itself).
AHEAD_WAIT_SECONDS = 60.0

_BY_STATUS: dict[int, type[CloudError]] = {
    400: CloudBadRequest,
    401: CloudAuthError,
    403: CloudForbidden,
    404: CloudNotFound,
    409: CloudConflict,
    429: CloudTransientError,
}

#: openstacksdk raises these without a response, e.g. ``find_network(ignore_missing=False)``.
_SDK_STATUS: dict[type[sdk_exc.HttpException], int] = {
    sdk_exc.BadRequestException: 400,
    sdk_exc.ForbiddenException: 403,
    sdk_exc.NotFoundException: 404,
    sdk_exc.ConflictException: 409,
    sdk_exc.PreconditionFailedException: 412,
}


def _session_key(cloud: str, cloud_region: CloudRegion) -> str:
    """What decides whether two regions may share a session: the cloud, and how it
    authenticates and reaches Keystone (``clouds.yaml`` may set these per region)."""
    config = cloud_region.config
    verify, cert = cloud_region.get_requests_verify_args()
    return json.dumps(
        [cloud, config.get("auth_type"), config.get("auth"), verify, cert,
         config.get("api_timeout")],
        sort_keys=True, default=str,
    )  # fmt: skip


def is_cloud_exception(exc: BaseException) -> bool:
    """True for exceptions raised by openstacksdk, keystoneauth or requests."""
    return isinstance(
        exc, sdk_exc.SDKException | ksa_exc.ClientException | requests.RequestException
    )


def translate(exc: BaseException, region: str | None = None) -> CloudError:
    """The crossheat ``CloudError`` for an openstacksdk or keystoneauth exception.

    Keeps the status code, request id, the server's message and ``Retry-After``.
    """
    if isinstance(exc, CloudError):
        return exc
    if isinstance(exc, sdk_exc.HttpException | ksa_exc.HttpError):
        return _from_http(exc, region)
    if isinstance(exc, ksa_exc.SSLError):
        return CloudError(f"TLS error: {exc}", region=region)
    if isinstance(exc, ksa_exc.ConnectFailure | requests.ConnectionError):
        # Refused or unreachable: the request never arrived.
        return CloudTransientError(f"cannot reach the cloud: {exc}", region=region)
    if isinstance(exc, ksa_exc.ConnectionError):
        # keystoneauth reports a read timeout as ConnectTimeout, and a reset connection
        # as UnknownConnectionError: the request may have been carried out.
        return CloudTransientError(
            f"no answer from the cloud: {exc}", region=region, maybe_done=True
        )
    if isinstance(exc, ksa_exc.AuthorizationFailure | ksa_exc.MissingAuthPlugin):
        return CloudAuthError(str(exc), region=region)
    if isinstance(exc, sdk_exc.ResourceFailure | sdk_exc.ResourceTimeout):
        return ResourceFailed(str(exc), region=region)
    if isinstance(exc, sdk_exc.NotSupported) and "supported versions" in str(exc):
        # Version discovery failed (openstacksdk hides the 5xx behind this): ask again.
        return CloudTransientError(str(exc), region=region)
    return CloudError(str(exc) or type(exc).__name__, region=region)


@contextlib.contextmanager
def translated(region: str | None = None) -> Iterator[None]:
    """Translate what a block of SDK calls raises, without retrying.

    with translated("East"):
        server = conn.compute.get_server(server_id)   # 404 -> CloudNotFound
    """
    try:
        yield
    except Exception as exc:
        if is_cloud_exception(exc):
            raise translate(exc, region) from exc
        raise


def _from_http(exc: sdk_exc.HttpException | ksa_exc.HttpError, region: str | None) -> CloudError:
    response: requests.Response | None = getattr(exc, "response", None)
    if isinstance(exc, sdk_exc.HttpException):
        status = exc.status_code or _sdk_status(exc)
        message = exc.details or exc.message
    else:
        status = exc.http_status
        message = exc.details or exc.message
    body = _json_body(response)
    message = _server_message(body) or message or f"HTTP {status}"
    retry_after = _retry_after(response)
    cls = _class_for(status or 0, body, message, retry_after)
    request_id = getattr(exc, "request_id", None) or _request_id(response)
    if cls is CloudTransientError:
        return CloudTransientError(
            message, region=region, status_code=status, request_id=request_id,
            retry_after=retry_after, maybe_done=status in MAYBE_DONE_STATUSES,
        )  # fmt: skip
    return cls(message, region=region, status_code=status, request_id=request_id)


def _sdk_status(exc: sdk_exc.HttpException) -> int | None:
    """The status an SDK exception raised without a response stands for."""
    for cls, status in _SDK_STATUS.items():
        if isinstance(exc, cls):
            return status
    return None


def _class_for(
    status: int, body: dict[str, Any], message: str, retry_after: float | None
) -> type[CloudError]:
    if status == 409 and _error_type(body) == "OverQuota":
        return CloudQuotaExceeded
    if status == 403 and "quota exceeded" in message.lower():
        return CloudQuotaExceeded
    if status == 413:
        return CloudQuotaExceeded if retry_after is None else CloudTransientError
    if status >= 500 and status != 501:
        return CloudTransientError
    return _BY_STATUS.get(status, CloudError)


def _json_body(response: requests.Response | None) -> dict[str, Any]:
    if response is None or "json" not in response.headers.get("content-type", ""):
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _server_message(body: dict[str, Any]) -> str | None:
    """``{"NeutronError": {"message": m}}``, ``{"forbidden": {"message": m}}``, ..."""
    for value in [body, *body.values()]:
        if isinstance(value, dict) and isinstance(value.get("message"), str):
            return str(value["message"])
    return None


def _error_type(body: dict[str, Any]) -> str | None:
    """Neutron's ``{"NeutronError": {"type": "OverQuota", ...}}``."""
    for value in body.values():
        if isinstance(value, dict) and isinstance(value.get("type"), str):
            return str(value["type"])
    return None


def _request_id(response: requests.Response | None) -> str | None:
    if response is None:
        return None
    headers = response.headers
    return headers.get("x-openstack-request-id") or headers.get("x-compute-request-id")


def _retry_after(response: requests.Response | None) -> float | None:
    """``Retry-After`` in seconds, from delta-seconds or an HTTP date."""
    value = response.headers.get("retry-after") if response is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class RegionClients:
    """One shared openstacksdk ``Connection`` per region, created on first use, and one
    authenticated keystoneauth session per cloud, shared by its regions: one token (and
    one catalog) serves every region of a cloud, and is renewed once for all of them.

    ``config`` defaults to openstacksdk's own loader (``clouds.yaml``, ``OS_*``).
    ``caller``: who the regions whose region map says ``credentials: caller`` act as
    (see ``crossheat.clouds.credentials``; None: the local engine, with ``clouds.yaml``'s
    credentials everywhere). ``acall`` runs SDK calls on a pool of ``max_workers``
    threads shared by all regions, so that many resources can wait on the network at once.
    """

    def __init__(
        self,
        region_map: RegionMap,
        *,
        config: OpenStackConfig | None = None,
        retry: RetryPolicy | None = None,
        max_workers: int = 64,
        caller: Caller = None,
    ) -> None:
        self.region_map = region_map
        self.caller = caller
        self.retry = retry or RetryPolicy()
        self._retry_once = dataclasses.replace(self.retry, repeat_maybe_done=False)
        self._config = config
        self._connections: dict[str, Connection] = {}
        #: One keystoneauth session per cloud and credentials (see ``_session_key``).
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._max_workers = max_workers
        self._executor: ThreadPoolExecutor | None = None
        #: Set once what ``authenticate`` does ahead for a region is done (by region name).
        self._ahead: dict[str, threading.Event] = {}

    def connection(self, region: str | None = None) -> Connection:
        """The region's connection (``None``: the default region)."""
        spec = self.region_map.region_for(region)
        with self._lock:
            if spec.name not in self._connections:
                self._connections[spec.name] = self._connect(spec)
            return self._connections[spec.name]

    def caller_problems(self, regions: list[str]) -> list[str]:
        """Why some of ``regions`` cannot act as the caller (their region map says
        ``credentials: caller``); reads ``clouds.yaml``, calls no cloud."""
        names = [n for n in regions if n in self.region_map.regions]
        if self.caller is None or not any(self.region_map.regions[n].as_caller for n in names):
            return []
        auth_urls: dict[str, str] = {}
        if isinstance(self.caller, CallerToken):
            for name in names:
                spec = self.region_map.regions[name]
                config = self._cloud_region(spec.cloud, spec.region_name).config
                auth_urls[name] = str((config.get("auth") or {}).get("auth_url") or "")
        return caller_problems(self.region_map, names, self.caller, auth_urls)

    def _cloud_region(self, cloud: str, region_name: str) -> CloudRegion:
        try:
            if self._config is None:
                self._config = OpenStackConfig()
            return self._config.get_one(cloud=cloud, region_name=region_name, **NO_SDK_RETRIES)
        except (sdk_exc.ConfigException, ksa_exc.ClientException, yaml.YAMLError) as exc:
            raise ConfigError(f"clouds.yaml: cloud {cloud!r}: {exc}") from exc

    def _connect(self, spec: RegionSpec) -> Connection:
        """The region's connection; its session is the one of the cloud's regions
        connected before, when they authenticate the same way (caller holds the lock)."""
        caller = self.caller if spec.as_caller else None
        if isinstance(caller, NoCallerToken):
            raise CloudAuthError(f"credentials: caller: {caller.reason}", region=spec.name)
        cloud, region_name = spec.cloud, spec.region_name
        cloud_region = self._cloud_region(cloud, region_name)
        if caller is not None:
            return self._connect_as_caller(cloud, cloud_region, caller, spec.name)
        try:
            key = _session_key(cloud, cloud_region)
            session = self._sessions.get(key)
            if session is None:
                self._sessions[key] = cloud_region.get_session()  # authenticates on first use
            else:
                settings = {k: v for k, v in cloud_region.config.items() if k != "region_name"}
                cloud_region = from_session(
                    session, name=cloud_region.name, region_name=cloud_region.region_name,
                    force_ipv4=cloud_region.force_ipv4, **settings,
                )  # fmt: skip
        except (sdk_exc.ConfigException, ksa_exc.ClientException, yaml.YAMLError) as exc:
            raise ConfigError(f"clouds.yaml: cloud {cloud!r}: {exc}") from exc
        return Connection(config=count_calls(cloud_region, spec.name))

    def _connect_as_caller(
        self, cloud: str, cloud_region: CloudRegion, caller: CallerToken, name: str
    ) -> Connection:
        """A connection acting with the caller's token; one session (one re-scoped token)
        for the regions of a cloud that reach Keystone the same way."""
        settings = caller_settings(cloud_region)
        verify, cert = cloud_region.get_requests_verify_args()
        key = json.dumps(
            ["caller", cloud, settings["auth"], verify, cert, settings.get("api_timeout")],
            sort_keys=True, default=str,
        )  # fmt: skip
        session = self._sessions.get(key)
        if session is None:
            session = self._sessions[key] = caller_session(cloud_region, caller)
        region = from_session(
            session, name=cloud_region.name, region_name=cloud_region.region_name,
            force_ipv4=cloud_region.force_ipv4, **settings,
        )  # fmt: skip
        return Connection(config=count_calls(region, name))

    def authenticate(
        self, regions: Iterable[str], services: Mapping[str, Iterable[str]] | None = None
    ) -> None:
        """Connect to ``regions`` and get their clouds' tokens now (one per cloud and
        credentials), so that the first calls find them: what an engine starts, off its
        event loop, beside the work before its first call. ``services``: each region's
        services (openstacksdk's names: ``compute``...) to find the API versions of now
        too (Nova's is a request; Neutron's is not made unless asked like this). A call to
        a region waits for what is under way ahead for it rather than doing the same
        beside it. An error is left for the first call to meet (and translate) itself."""
        regions = list(regions)
        with self._lock:
            ahead = {r: self._ahead.setdefault(r, threading.Event()) for r in regions}
        try:
            for region in regions:
                try:
                    conn = self.connection(region)
                    conn.session.get_auth_headers()
                    for service in (services or {}).get(region, ()):
                        getattr(conn, service).get_endpoint_data()  # its versions, kept
                except Exception as exc:
                    log.debug("region %s: not authenticated ahead: %s", region, exc)
                finally:
                    ahead[region].set()
        finally:
            for event in ahead.values():
                event.set()

    def _after_ahead(self, region: str | None) -> None:
        """Wait (a while at most) for what ``authenticate`` is doing ahead for ``region``."""
        event = self._ahead.get(region) if region else None
        if event is not None:
            event.wait(AHEAD_WAIT_SECONDS)

    def call(self, region: str | None, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(connection, *args, **kwargs)`` with retries and error translation."""
        self._after_ahead(region)
        conn = self.connection(region)
        call = self._timed(region, functools.partial(fn, conn, *args, **kwargs))
        return self.retry.run(call, self._translator(region))

    def call_once(self, region: str | None, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Like ``call`` for a call that must not happen twice (a create): an error after
        which it may have been carried out (``CloudTransientError.maybe_done``) is raised
        at once, for the caller to look for what it made before asking again."""
        self._after_ahead(region)
        conn = self.connection(region)
        call = self._timed(region, functools.partial(fn, conn, *args, **kwargs))
        return self._retry_once.run(call, self._translator(region))

    async def acall(self, region: str | None, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Like ``call``, running the blocking SDK call in a worker thread."""
        conn = self.connection(region)
        call = self._timed(region, functools.partial(fn, conn, *args, **kwargs))
        return await self.retry.arun(call, self._translator(region), self._pool())

    def _timed(self, region: str | None, call: Callable[[], T]) -> Callable[[], T]:
        """``call``, its duration and outcome recorded in the region's recent calls."""
        return CALLS.timed(self.region_map.region_for(region).name, call)

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self._max_workers, "crossheat-sdk")
            return self._executor

    def _translator(self, region: str | None) -> Callable[[Exception], CloudError | None]:
        spec = self.region_map.region_for(region)
        name, as_caller = spec.name, spec.as_caller and isinstance(self.caller, CallerToken)

        def translator(exc: Exception) -> CloudError | None:
            if not is_cloud_exception(exc):
                return None
            error = translate(exc, name)
            return caller_refused(error) if as_caller and type(error) is CloudAuthError else error

        return translator

    def close(self) -> None:
        """Close every connection made so far, and the thread pool."""
        with self._lock:
            for conn in self._connections.values():
                conn.close()
            self._connections.clear()
            self._sessions.clear()
            if self._executor is not None:
                self._executor.shutdown(wait=False)
                self._executor = None
