"""A Keystone token from a ``clouds.yaml`` entry, for a ``RemoteService``'s requests.

    token = KeystoneToken("mycloud")      # openstacksdk's config loader, keystoneauth1
    token.project_id()                    # the project the token is scoped to
    httpx.Client(auth=token)              # X-Auth-Token on every request

keystoneauth1 keeps the token and fetches a new one before it expires; a request
answered 401 is sent once more with a fresh token, as keystoneauth does. Imported
only when a cloud is named: openstacksdk is slow to import.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import httpx

from crossheat.errors import ConfigError


class KeystoneToken(httpx.Auth):
    """``X-Auth-Token`` of the cloud ``name``'s credentials."""

    def __init__(self, name: str) -> None:
        import openstack.config
        from openstack import exceptions

        self.name = name
        try:
            region = openstack.config.get_cloud_region(cloud=name)
            self._session: Any = region.get_session()
        except exceptions.SDKException as exc:
            raise ConfigError(f"cloud {name!r} (clouds.yaml): {exc}") from None

    def _ask(self, what: str) -> str:
        from keystoneauth1 import exceptions

        try:
            value = self._session.get_token() if what == "token" else self._session.get_project_id()
        except exceptions.ClientException as exc:
            raise ConfigError(f"cloud {self.name!r}: Keystone refused: {exc}") from None
        if not value:
            raise ConfigError(f"cloud {self.name!r}: Keystone gave no {what}")
        return str(value)

    def token(self) -> str:
        return self._ask("token")

    def project_id(self) -> str:
        return self._ask("project id")

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Auth-Token"] = self.token()
        response = yield request
        if response.status_code == 401:
            self._session.invalidate()
            request.headers["X-Auth-Token"] = self.token()
            yield request
