"""A small typed client for the emulator's ``/admin`` API, for tests and benchmarks.

::

    admin = AdminClient("http://127.0.0.1:8080")
    admin.faults({"region_down": ["West"]})        # and {"quota.servers": 0}, reset=True
    admin.latency({"server": 3.0}, reset=True)
    admin.counters()["East"]["POST /network/v2.0/networks"]
    admin.identity_counters()["POST /v3/auth/tokens"]
    admin.reset_counters()
    admin.resources("East")["servers"]
    admin.add_project("alpha", "alice", "secret")   # admin=True: alice is an admin
    admin.expire_tokens()
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from crossheat.errors import CrossheatError


class AdminClient:
    """Calls ``{base_url}/admin/...``; any non-2xx answer raises ``CrossheatError``."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        try:
            response = httpx.request(
                method, f"{self.base_url}/admin{path}", json=body, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise CrossheatError(f"emulator at {self.base_url} unreachable: {exc}") from exc
        if response.is_error:
            raise CrossheatError(f"{method} /admin{path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def _change(self, path: str, changes: Mapping[str, Any] | None, reset: bool) -> Any:
        if not changes and not reset:
            return self._call("GET", path)
        return self._call("PUT", path, {**(changes or {}), **({"reset": True} if reset else {})})

    def faults(
        self, changes: Mapping[str, Any] | None = None, *, reset: bool = False
    ) -> dict[str, Any]:
        """Change faults (after clearing them when ``reset``); the faults now in force."""
        result: dict[str, Any] = self._change("/faults", changes, reset)
        return result

    def latency(
        self, seconds: Mapping[str, float] | None = None, *, reset: bool = False
    ) -> dict[str, Any]:
        """Change latencies by kind (``jitter`` too); ``{"seconds": {...}, "jitter": ...}``."""
        result: dict[str, Any] = self._change("/latency", seconds, reset)
        return result

    def counters(self) -> dict[str, dict[str, int]]:
        """Request counts: ``{region: {"METHOD /path/template": count}}``."""
        result: dict[str, dict[str, int]] = self._call("GET", "/counters")["regions"]
        return result

    def identity_counters(self) -> dict[str, int]:
        """Keystone's request counts: ``{"POST /v3/auth/tokens": 2, ...}``."""
        result: dict[str, int] = self._call("GET", "/counters")["identity"]
        return result

    def reset_counters(self) -> None:
        self._call("POST", "/counters/reset")

    def resources(self, region: str, all: bool = False) -> dict[str, list[dict[str, Any]]]:
        """Everything in ``region`` by kind; ``all`` adds the seeded network and images."""
        query = "?all=true" if all else ""
        result: dict[str, list[dict[str, Any]]] = self._call(
            "GET", f"/regions/{region}/resources{query}"
        )
        return result

    def add_project(
        self, project: str, user: str, password: str, *, admin: bool = False
    ) -> dict[str, str]:
        """Make ``project`` with ``user`` in it (role member, and admin when asked), as
        ``--project`` does; ``{"project_id", "user_id"}``."""
        body = {"project": project, "user": user, "password": password, "admin": admin}
        result: dict[str, str] = self._call("POST", "/projects", body)
        return result

    def link_down(self, region: str, connection_id: str, down: bool = True) -> None:
        """Make the IPsec site connection's link fail (it and its peer read DOWN), or come
        back (``down=False``), behind the clients' back."""
        path = f"/regions/{region}/ipsec-site-connections/{connection_id}/link"
        self._call("PUT", path, {"down": down})

    def expire_tokens(self) -> None:
        """Make every issued token expire now (clients must re-authenticate)."""
        self._call("POST", "/tokens/expire")
