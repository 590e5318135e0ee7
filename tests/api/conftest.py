"""An API application on a fresh SQLite database, with tokens known in advance.

``client`` speaks to the application in-process (``fastapi.testclient``); tests of the
real server (``crossheat serve`` with the emulator's Keystone) live in ``tests/e2e``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crossheat.api.app import create_app
from crossheat.api.context import Identity
from crossheat.api.errors import HeatFault
from crossheat.service import Service

#: Tokens the test authenticator knows: project "alpha", project "beta", an admin of "ops".
IDENTITIES = {
    "tok-alpha": Identity("u-alice", "alice", "alpha", "alpha", ("member",)),
    "tok-beta": Identity("u-bob", "bob", "beta", "beta", ("member",)),
    "tok-admin": Identity("u-root", "root", "ops", "ops", ("admin", "member")),
}


class StaticAuthenticator:
    """Knows the tokens of ``IDENTITIES``; anything else is a 401, as from Keystone."""

    def identify(self, token: str | None) -> Identity:
        if token is None:
            raise HeatFault(401, "HTTPUnauthorized", "Authentication required")
        if token not in IDENTITIES:
            raise HeatFault(
                401, "HTTPUnauthorized", "The request you have made requires authentication."
            )
        return IDENTITIES[token]


@pytest.fixture
def api_service(tmp_path: Path) -> Iterator[Service]:
    service = Service(database_url=f"sqlite:///{tmp_path / 'api.db'}")
    yield service
    service.close()


@pytest.fixture
def client(api_service: Service) -> Iterator[TestClient]:
    """Requests as project alpha (``X-Auth-Token: tok-alpha``) unless a test says otherwise."""
    app = create_app(api_service, auth=StaticAuthenticator(), max_operations=4)
    with TestClient(app, base_url="http://127.0.0.1:8004") as test_client:
        test_client.headers["X-Auth-Token"] = "tok-alpha"
        yield test_client
