"""python-glanceclient against the emulated Glance, as Heat's glance client plugin drives it.

Heat resolves an image by id (``images.get``) and else by name
(``images.list(filters={"name": ...})``); glanceclient fetches the image schema
first and validates every image against it, and parses Glance's webob error pages.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import jsonschema
import pytest
from glanceclient import client as glance_client
from glanceclient import exc as glance_exc

from crossheat.emulator.core import Emulator


def glance(session: Any, region: str = "East") -> Any:
    return glance_client.Client("2", session=session, region_name=region)


def test_heat_finds_an_image_by_name_and_by_id_in_each_region(ks_session: Any) -> None:
    found = {}
    for region in ("East", "West"):
        client = glance(ks_session, region)
        [image] = client.images.list(filters={"name": "cirros"})
        assert (image.name, image.status, image.disk_format) == ("cirros", "active", "qcow2")
        assert client.images.get(image.id).name == "cirros"
        found[region] = image.id
    assert found["East"] != found["West"]
    assert list(glance(ks_session).images.list(filters={"name": "no-such-image"})) == []


def test_the_schemas_describe_the_images_the_api_returns(ks_session: Any) -> None:
    client = glance(ks_session)
    image_schema = client.schemas.get("image").raw()
    images_schema = client.schemas.get("images").raw()
    assert image_schema["name"] == "image"
    assert {"id", "name", "status", "visibility", "disk_format", "min_disk"} <= set(
        image_schema["properties"]
    )
    assert image_schema["additionalProperties"] == {"type": "string"}
    assert images_schema["properties"]["images"]["items"]["name"] == "image"
    token = ks_session.get_token()
    url = ks_session.get_endpoint(service_type="image", region_name="East")
    page = httpx.get(f"{url}/v2/images", headers={"X-Auth-Token": token}).json()
    jsonschema.validate(page, images_schema)
    assert len(page["images"]) == 2


def test_an_unknown_image_or_route_raises_glanceclients_not_found(ks_session: Any) -> None:
    client = glance(ks_session)
    missing = str(uuid.uuid4())
    with pytest.raises(glance_exc.HTTPNotFound, match=f"No image found with ID {missing}"):
        client.images.get(missing)
    with pytest.raises(glance_exc.HTTPNotFound, match="The resource could not be found"):
        client.http_client.get("/v2/no-such-collection")


@pytest.mark.parametrize(
    ("accept", "content_type", "start"),
    [
        (None, "text/html", "<html>"),
        ("*/*", "text/html", "<html>"),
        ("text/plain", "text/plain", "404 Not Found\n\nNo image found with ID"),
    ],
)
def test_errors_are_webob_pages_chosen_by_accept(
    emulator: tuple[str, Emulator],
    ks_session: Any,
    accept: str | None,
    content_type: str,
    start: str,
) -> None:
    headers = {"X-Auth-Token": ks_session.get_token()}
    if accept is not None:
        headers["Accept"] = accept
    answer = httpx.get(f"{emulator[0]}/East/image/v2/images/{uuid.uuid4()}", headers=headers)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith(content_type)
    assert answer.text.startswith(start)
    if content_type == "text/html":
        assert "<title>404 Not Found</title>" in answer.text


def test_a_json_error_is_webobs_flat_document(
    emulator: tuple[str, Emulator], ks_session: Any
) -> None:
    headers = {"X-Auth-Token": ks_session.get_token(), "Accept": "application/json"}
    missing = uuid.uuid4()
    answer = httpx.get(f"{emulator[0]}/East/image/v2/images/{missing}", headers=headers)
    assert answer.status_code == 404
    body = answer.json()
    assert (body["code"], body["title"]) == ("404 Not Found", "Not Found")
    assert body["message"].startswith(f"No image found with ID {missing}")
    wrong = httpx.delete(f"{emulator[0]}/East/image/v2/schemas/image", headers=headers)
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET"
    assert wrong.json()["code"] == "405 Method Not Allowed"
