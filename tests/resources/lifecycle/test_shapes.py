"""Attribute shapes and request bodies built without a cloud."""

from __future__ import annotations

from typing import Any

from crossheat.resources.lifecycle import ResourceContext
from crossheat.resources.types.nova_server import floating_ips, metadata, server_attributes

SERVER: dict[str, Any] = {
    "name": "web",
    "OS-EXT-SRV-ATTR:instance_name": "instance-0001",
    "addresses": {
        "private": [
            {"addr": "fd00::5", "version": 6, "OS-EXT-IPS:type": "fixed",
             "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01"},
            {"addr": "10.0.0.5", "version": 4, "OS-EXT-IPS:type": "fixed",
             "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01"},
            {"addr": "172.24.4.9", "version": 4, "OS-EXT-IPS:type": "floating",
             "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01"},
        ],
        "backend": [
            {"addr": "10.9.0.7", "version": 4, "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:02"},
        ],
    },
}  # fmt: skip
PORTS = [
    {"id": "p1", "network_id": "n1", "mac_address": "fa:16:3e:00:00:01", "fixed_ips": []},
    {"id": "p2", "network_id": "n2", "mac_address": "fa:16:3e:00:00:02", "fixed_ips": []},
]


def no_cloud(fn: Any, *args: Any, **kwargs: Any) -> Any:
    raise AssertionError("no cloud call expected")


def same(logical: str) -> str:
    return logical


def test_server_attributes_as_heat_shapes_them() -> None:
    attrs = server_attributes(SERVER, PORTS)
    assert attrs["first_address"] == "10.0.0.5"
    assert [a["port"] for a in attrs["addresses"]["private"]] == ["p1", "p1", "p1"]
    assert attrs["networks"]["private"] == ["fd00::5", "10.0.0.5", "172.24.4.9"]
    assert attrs["networks"]["n2"] == attrs["networks"]["backend"] == ["10.9.0.7"]
    assert (attrs["instance_name"], attrs["accessIPv4"]) == ("instance-0001", "")
    assert attrs["show"] == SERVER
    assert server_attributes({"addresses": {}}, [])["first_address"] == ""


def test_metadata_carries_marks_and_json_for_non_strings() -> None:
    ctx = ResourceContext("sid", "stack", "web", "East", no_cloud, same, same)
    assert metadata(ctx, {"a": "x", "n": 3, "m": {"k": [1]}}) == {
        "a": "x", "n": "3", "m": '{"k": [1]}',
        "crossheat-stack": "sid", "crossheat-resource": "web",
    }  # fmt: skip
    assert ctx.name_for({}) == "stack-web" and ctx.name_for({"name": "x"}) == "x"
    assert ctx.template_name("stack-web") is None and ctx.template_name("x") == "x"


def test_floating_ips_follow_their_nics() -> None:
    body = {"networks": [{"uuid": "n1"}, {"port": "p9"}, {"uuid": "n3"}]}
    props = {"networks": [{"floating_ip": "f1"}, {"floating_ip": "f2"}, {}]}
    assert floating_ips(body, props) == [{"fip": "f1", "uuid": "n1"}, {"fip": "f2", "port": "p9"}]
    assert floating_ips({"networks": "auto"}, props) == []
