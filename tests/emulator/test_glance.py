"""Glance v2 of the emulator through openstacksdk: images list, show, find."""

from __future__ import annotations

from typing import Any

import httpx
import openstack
import pytest

from crossheat.emulator.core import Emulator


def test_each_region_has_cirros_and_ubuntu(conn: Any, west_conn: Any) -> None:
    east = {i.name: i for i in conn.image.images()}
    west = {i.name: i for i in west_conn.image.images()}
    assert set(east) == set(west) == {"cirros", "ubuntu"}
    assert east["cirros"].id != west["cirros"].id
    assert east["cirros"].status == "active"
    assert east["cirros"].disk_format == "qcow2"
    assert east["ubuntu"].size > east["cirros"].size


def test_find_and_show(conn: Any) -> None:
    found = conn.image.find_image("ubuntu", ignore_missing=False)
    shown = conn.image.get_image(found.id)
    assert shown.name == "ubuntu"
    assert shown.visibility == "public"
    assert conn.image.find_image("windows") is None


def test_filter_by_name(conn: Any) -> None:
    assert [i.name for i in conn.image.images(name="cirros")] == ["cirros"]
    assert list(conn.image.images(name="none-such")) == []


def test_unknown_image_is_404(conn: Any) -> None:
    with pytest.raises(openstack.exceptions.NotFoundException):
        conn.image.get_image("00000000-0000-0000-0000-000000000000")


def test_paging_with_limit(emulator: tuple[str, Emulator], conn: Any) -> None:
    url = emulator[0]
    headers = {"X-Auth-Token": conn.session.get_token()}
    first = httpx.get(f"{url}/East/image/v2/images?limit=1", headers=headers).json()
    assert len(first["images"]) == 1
    second = httpx.get(f"{url}/East/image{first['next']}", headers=headers).json()
    assert [i["name"] for i in first["images"] + second["images"]] == ["cirros", "ubuntu"]
    assert "next" not in second


def test_discovery_points_at_v2(emulator: tuple[str, Emulator]) -> None:
    answer = httpx.get(f"{emulator[0]}/West/image")
    assert answer.status_code == 300
    [version] = answer.json()["versions"]
    assert version["links"][0]["href"] == f"{emulator[0]}/West/image/v2/"
