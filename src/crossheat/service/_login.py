"""Logging in to Keystone with a user's name and password: the dashboard's sign-in.

    login = KeystoneLogin("http://keystone:5000/v3")
    unscoped = login.password("alice", "secret")       # the user's projects
    token = login.scope(unscoped, unscoped.projects[0].id)  # a project-scoped token

The password is sent to Keystone once and kept nowhere; the unscoped token serves only
to choose a project (``GET /v3/auth/projects``) and to get a token scoped to it, which
the dashboard then validates as the API validates every token. Keystone's refusal is
a ``LoginRefused``; Keystone out of reach a ``KeystoneUnreachable`` (``crossheat.errors``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from keystoneauth1 import discover, session
from keystoneauth1 import exceptions as ksa_exc

from crossheat.errors import CrossheatError, KeystoneUnreachable, LoginRefused

log = logging.getLogger(__name__)

#: Seconds to wait for Keystone.
TIMEOUT = 10.0


@dataclass(frozen=True)
class LoginProject:
    id: str
    name: str


@dataclass(frozen=True)
class Unscoped:
    """A user's token scoped to nothing yet, and the projects they may choose from."""

    user_id: str
    user_name: str
    token: str = field(repr=False)
    projects: tuple[LoginProject, ...] = ()


class KeystoneLogin:
    """Password logins against the Keystone at ``keystone_url`` (its root or ``/v3``)."""

    def __init__(self, keystone_url: str, *, timeout: float = TIMEOUT) -> None:
        self.keystone_url = keystone_url.rstrip("/")
        self._session = session.Session(timeout=timeout, user_agent="crossheat-dashboard")
        self._v3: str | None = None

    def password(self, user: str, password: str, domain: str = "Default") -> Unscoped:
        """An unscoped token for ``user`` and the projects it has a role on."""
        who = {"name": user, "password": password, "domain": {"name": domain}}
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": who}}}}
        answer = self._post_token(body)
        token = answer.headers.get("X-Subject-Token", "")
        data = answer.json().get("token", {})
        found = data.get("user", {})
        listed = self._get("/auth/projects", token).json().get("projects", [])
        projects = tuple(
            sorted(
                (LoginProject(str(p["id"]), str(p.get("name") or p["id"])) for p in listed
                 if p.get("enabled", True)),
                key=lambda p: p.name,
            )
        )  # fmt: skip
        return Unscoped(str(found.get("id", "")), str(found.get("name", user)), token, projects)

    def scope(self, unscoped: Unscoped, project_id: str) -> str:
        """A token of the same user scoped to ``project_id`` (one of its projects)."""
        if project_id not in {p.id for p in unscoped.projects}:
            raise LoginRefused("You have no role on that project.")
        body = {
            "auth": {
                "identity": {"methods": ["token"], "token": {"id": unscoped.token}},
                "scope": {"project": {"id": project_id}},
            }
        }
        return str(self._post_token(body).headers.get("X-Subject-Token", ""))

    def revoke(self, token: str) -> None:
        """Revoke ``token`` (logout); Keystone's errors are only logged."""
        try:
            self._session.delete(
                f"{self._identity_v3()}/auth/tokens", authenticated=False, log=False,
                headers={"X-Auth-Token": token, "X-Subject-Token": token},
            )  # fmt: skip
        except (ksa_exc.ClientException, CrossheatError) as exc:
            log.info("could not revoke a dashboard token: %s", type(exc).__name__)

    def _post_token(self, body: dict[str, Any]) -> Any:
        try:
            return self._session.post(
                f"{self._identity_v3()}/auth/tokens", json=body, authenticated=False, log=False
            )
        except (ksa_exc.Unauthorized, ksa_exc.Forbidden, ksa_exc.NotFound) as exc:
            raise LoginRefused("Invalid user name or password.") from exc
        except ksa_exc.BadRequest as exc:
            raise LoginRefused("Keystone refused the request.") from exc
        except ksa_exc.ClientException as exc:
            log.warning("cannot reach Keystone at %s: %s", self.keystone_url, type(exc).__name__)
            raise KeystoneUnreachable("The Keystone service is temporarily unavailable.") from exc

    def _get(self, path: str, token: str) -> Any:
        try:
            return self._session.get(
                f"{self._identity_v3()}{path}", headers={"X-Auth-Token": token},
                authenticated=False, log=False,
            )  # fmt: skip
        except ksa_exc.ClientException as exc:
            raise KeystoneUnreachable("The Keystone service is temporarily unavailable.") from exc

    def _identity_v3(self) -> str:
        if self._v3 is None:
            try:
                url = discover.get_discovery(self._session, self.keystone_url).url_for((3, 0))
            except ksa_exc.ClientException as exc:
                raise KeystoneUnreachable(
                    "The Keystone service is temporarily unavailable."
                ) from exc
            if url is None:
                raise KeystoneUnreachable(f"{self.keystone_url} offers no Keystone v3.")
            self._v3 = url.rstrip("/")
        return self._v3
