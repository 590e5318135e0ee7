"""Nova server and key pair schemas, and the server's update policies."""

from __future__ import annotations

from typing import Any

from crossheat.resources.types.nova import KeyPair, Server

PATH = ("resources", "east_server", "properties")
SERVER = {"flavor": "m1.small", "image": "cirros", "networks": [{"network": "east-net"}]}


def problems(cls: Any, values: Any) -> list[tuple[tuple[str | int, ...], str]]:
    return sorted(((d.path[len(PATH) :], d.code) for d in cls.validate(values, PATH)), key=str)


def test_server_requires_a_flavor() -> None:
    assert problems(Server, SERVER) == []
    assert problems(Server, {"image": "cirros"}) == [(("flavor",), "required")]


def test_server_defaults() -> None:
    out = Server.with_defaults(SERVER)
    assert out["flavor_update_policy"] == "RESIZE"
    assert out["image_update_policy"] == "REBUILD"
    assert out["user_data_update_policy"] == "REPLACE"
    assert out["user_data_format"] == "HEAT_CFNTOOLS"
    assert out["software_config_transport"] == "POLL_SERVER_CFN"
    assert out["security_groups"] == [] and out["metadata"] == {}


def test_networks_items_and_the_hidden_uuid_alias() -> None:
    values = {"flavor": "f", "networks": [{"uuid": "n", "fixed_ip": "10.1.0.20"}]}
    assert problems(Server, values) == []
    assert Server.with_defaults(values)["networks"] == [{"network": "n", "fixed_ip": "10.1.0.20"}]
    bad = {"flavor": "f", "networks": [{"network": "n", "fixed_ip": "10.1.0"}, {"nic": "x"}]}
    assert problems(Server, bad) == [
        (("networks", 0, "fixed_ip"), "constraint"),
        (("networks", 1, "nic"), "unknown_property"),
    ]


def test_port_extra_properties_use_the_port_schema() -> None:
    values = {"flavor": "f", "networks": [{"network": "n", "port_extra_properties": {"x": 1}}]}
    assert problems(Server, values) == [
        (("networks", 0, "port_extra_properties", "x"), "unknown_property")
    ]


def test_flavor_updates_in_place_unless_the_policy_says_replace() -> None:
    resized = {**SERVER, "flavor": "m1.large"}
    assert Server.classify_update(SERVER, resized) == ({"flavor"}, set())
    replaced = {**resized, "flavor_update_policy": "REPLACE"}
    assert Server.classify_update(SERVER, replaced) == ({"flavor_update_policy"}, {"flavor"})


def test_image_rebuilds_in_place_unless_the_policy_says_replace() -> None:
    rebuilt = {**SERVER, "image": "fedora"}
    assert Server.classify_update(SERVER, rebuilt) == ({"image"}, set())
    with_policy = {**SERVER, "image_update_policy": "REPLACE"}
    replaced = {**with_policy, "image": "fedora"}
    assert Server.classify_update(with_policy, replaced) == (set(), {"image"})


def test_user_data_change_replaces_by_default() -> None:
    assert Server.classify_update(SERVER, {**SERVER, "user_data": "#!/bin/sh"}) == (
        set(),
        {"user_data"},
    )
    ignore = {**SERVER, "user_data_update_policy": "IGNORE"}
    assert Server.classify_update(ignore, {**ignore, "user_data": "x"}) == ({"user_data"}, set())


def test_key_name_change_replaces() -> None:
    assert Server.classify_update(SERVER, {**SERVER, "key_name": "k"}) == (set(), {"key_name"})


def test_admin_pass_is_secret() -> None:
    assert Server.properties_schema["admin_pass"].secret
    assert not Server.properties_schema["name"].secret


def test_keypair_schema() -> None:
    assert problems(KeyPair, {}) == [(("name",), "required")]
    assert problems(KeyPair, {"name": "", "type": "rsa"}) == [
        (("name",), "constraint"),
        (("type",), "constraint"),
    ]
    assert KeyPair.with_defaults({"name": "k"}) == {"name": "k", "save_private_key": False}
    assert KeyPair.attributes_schema["private_key"].secret
    assert KeyPair.classify_update({"name": "a"}, {"name": "b"}) == (set(), {"name"})


def test_changed_networks_replace_the_server() -> None:
    moved = {**SERVER, "networks": [{"network": "other-net"}]}
    assert Server.classify_update(SERVER, moved) == (set(), {"networks"})
