"""Keystone's and the admin API's error shape, validation errors, and 401s in every service."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from keystoneauth1 import exceptions as ks_exc

from crossheat.emulator.core import Emulator

NOT_FOUND = {
    "error": {"code": 404, "title": "Not Found", "message": "The resource could not be found."}
}


def test_keystone_unknown_routes_and_methods_answer_in_keystones_shape(
    emulator: tuple[str, Emulator], ks_session: Any
) -> None:
    with pytest.raises(ks_exc.NotFound, match="The resource could not be found"):
        ks_session.get("/v3/no-such-thing", endpoint_filter={"service_type": "identity"})
    answer = httpx.get(f"{emulator[0]}/identity/v3/no-such-thing")
    assert (answer.status_code, answer.json()) == (404, NOT_FOUND)
    wrong = httpx.put(f"{emulator[0]}/identity/v3/auth/tokens")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, HEAD, POST, DELETE"
    assert wrong.json()["error"]["title"] == "Method Not Allowed"


def test_a_request_fastapi_cannot_validate_is_a_400_in_the_services_shape(
    emulator: tuple[str, Emulator],
) -> None:
    answer = httpx.get(f"{emulator[0]}/admin/regions/East/resources", params={"all": "maybe"})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["code"], error["title"]) == (400, "Bad Request")
    assert "all" in error["message"]


@pytest.mark.parametrize(
    "service", ["compute/v2.1/servers", "network/v2.0/networks", "image/v2/images"]
)
def test_a_missing_token_is_keystonemiddlewares_401_in_every_service(
    emulator: tuple[str, Emulator], service: str
) -> None:
    answer = httpx.get(f"{emulator[0]}/East/{service}")
    assert answer.status_code == 401
    assert answer.json()["error"]["title"] == "Unauthorized"
    assert answer.headers["www-authenticate"].startswith("Keystone uri=")
