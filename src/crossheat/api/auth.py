"""Who sends a request: Keystone tokens (``--auth keystone``) or nobody (``--auth none``).

    auth = KeystoneAuthenticator("http://keystone:5000/v3")
    identity = auth.identify(request.headers.get("X-Auth-Token"))

``KeystoneAuthenticator`` validates a token as keystonemiddleware's ``auth_token`` does,
with keystoneauth1: ``GET /v3/auth/tokens`` with the token both as ``X-Auth-Token`` and
``X-Subject-Token`` (Keystone lets a token validate itself), and keeps the answer for
``cache_seconds`` (never past the token's expiry), so that a client polling a stack does
not cost Keystone a call per request. A missing, bad or expired token is a 401 in Heat's
fault shape with ``WWW-Authenticate: Keystone uri="..."``; Keystone out of reach is a 503.

``NoAuth`` (``crossheat serve --auth none``, loopback only) lets every request act, as an
admin, in the project its path names.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from keystoneauth1 import access, discover, session
from keystoneauth1 import exceptions as ksa_exc

from crossheat.api.context import ADMIN_ROLE, Identity
from crossheat.api.errors import HeatFault

log = logging.getLogger(__name__)

#: How long a validated token is trusted without asking Keystone again.
CACHE_SECONDS = 60.0
#: Tokens kept at most; the least recently used go first.
CACHE_SIZE = 10_000
#: Seconds to wait for Keystone before answering 503.
TIMEOUT = 10.0

MISSING = "Authentication required: send a Keystone token in X-Auth-Token."
REFUSED = "The request you have made requires authentication."


@dataclass(frozen=True)
class _Cached:
    identity: Identity
    #: ``time.monotonic()`` after which Keystone is asked again.
    until: float


class KeystoneAuthenticator:
    """Validates ``X-Auth-Token`` against the Keystone at ``keystone_url`` (its root, as in
    ``clouds.yaml``'s ``auth_url``, or its ``/v3`` endpoint), caching each answer briefly."""

    def __init__(
        self,
        keystone_url: str,
        *,
        cache_seconds: float = CACHE_SECONDS,
        cache_size: int = CACHE_SIZE,
        timeout: float = TIMEOUT,
    ) -> None:
        self.keystone_url = keystone_url.rstrip("/")
        self.cache_seconds = cache_seconds
        self.cache_size = cache_size
        self._session = session.Session(timeout=timeout, user_agent="crossheat-api")
        self._v3: str | None = None
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def www_authenticate(self) -> dict[str, str]:
        """The header keystonemiddleware sends with a 401: where to get a token."""
        return {"WWW-Authenticate": f'Keystone uri="{self.keystone_url}"'}

    def identify(self, token: str | None) -> Identity:
        known = self.known(token)
        if known is not None:
            return known
        assert token  # ``known`` refuses a missing one
        identity = self._validate(token)
        self._remember(hashlib.sha256(token.encode()).hexdigest(), identity, time.monotonic())
        return identity

    def known(self, token: str | None) -> Identity | None:
        """The identity of a token validated a moment ago, without asking Keystone; None
        when Keystone must be asked (``identify``). A missing token: 401."""
        if not token:
            raise HeatFault(401, "HTTPUnauthorized", MISSING, self.www_authenticate)
        key = hashlib.sha256(token.encode()).hexdigest()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached.until > time.monotonic():
                self._cache.move_to_end(key)
                return cached.identity
        return None

    def _remember(self, key: str, identity: Identity, now: float) -> None:
        until = now + self.cache_seconds
        if identity.expires_at is not None:
            left = identity.expires_at.timestamp() - time.time()
            until = min(until, now + left)
        with self._lock:
            self._cache[key] = _Cached(identity, until)
            self._cache.move_to_end(key)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def _validate(self, token: str) -> Identity:
        """Keystone's word on ``token``: its user, project and roles (401 if it has none)."""
        headers = {"X-Auth-Token": token, "X-Subject-Token": token}
        try:
            answer = self._session.get(
                f"{self._identity_v3()}/auth/tokens?nocatalog", headers=headers,
                authenticated=False, log=False,
            )  # fmt: skip
            info = access.create(resp=answer, auth_token=token)
        except (ksa_exc.NotFound, ksa_exc.Unauthorized, ksa_exc.Forbidden) as exc:
            raise HeatFault(401, "HTTPUnauthorized", REFUSED, self.www_authenticate) from exc
        except ksa_exc.ClientException as exc:
            log.warning("cannot validate a token with Keystone at %s: %s", self.keystone_url, exc)
            raise HeatFault(
                503, "HTTPServiceUnavailable", "The Keystone service is temporarily unavailable."
            ) from exc
        return self._identity(info, token)

    def _identity(self, info: access.AccessInfo, token: str) -> Identity:
        if not info.project_scoped or not info.project_id:
            raise HeatFault(
                401, "HTTPUnauthorized", "The token is not scoped to a project.",
                self.www_authenticate,
            )  # fmt: skip
        return Identity(
            user_id=info.user_id or "",
            user_name=info.username or "",
            project_id=info.project_id,
            project_name=info.project_name or "",
            roles=tuple(info.role_names or ()),
            expires_at=info.expires,
            token=token,
            keystone_url=self.keystone_url,
        )

    def _identity_v3(self) -> str:
        """Keystone's v3 endpoint, found once by version discovery from ``keystone_url``."""
        if self._v3 is None:
            try:
                found = discover.get_discovery(self._session, self.keystone_url)
                url = found.url_for((3, 0))
            except ksa_exc.ClientException as exc:
                log.warning("no Keystone v3 at %s: %s", self.keystone_url, exc)
                raise HeatFault(
                    503, "HTTPServiceUnavailable",
                    "The Keystone service is temporarily unavailable.",
                ) from exc  # fmt: skip
            if url is None:
                raise HeatFault(
                    503, "HTTPServiceUnavailable", f"{self.keystone_url} offers no Keystone v3."
                )
            self._v3 = url.rstrip("/")
        return self._v3


class NoAuth:
    """``--auth none``: no token is asked for; each request acts as an admin in the
    project its path names (``project_id`` ""; ``global_tenant`` sees every project)."""

    def identify(self, token: str | None) -> Identity:
        return ANONYMOUS

    def known(self, token: str | None) -> Identity:
        return ANONYMOUS


#: Who sends every request of ``--auth none``.
ANONYMOUS = Identity("", "anonymous", "", "", (ADMIN_ROLE,))
