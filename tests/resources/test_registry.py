"""The registry, loaded through the ``crossheat.resource_types`` entry points."""

from __future__ import annotations

import pytest

from crossheat.errors import ConfigError
from crossheat.resources.registry import Registry, ResourceType, default_registry
from crossheat.resources.schema import Property, PropertyType

EXPECTED = {
    "OS::Neutron::Net",
    "OS::Neutron::Subnet",
    "OS::Neutron::Router",
    "OS::Neutron::RouterInterface",
    "OS::Neutron::Port",
    "OS::Neutron::FloatingIP",
    "OS::Neutron::FloatingIPAssociation",
    "OS::Neutron::SecurityGroup",
    "OS::Neutron::SecurityGroupRule",
    "OS::Neutron::VPNService",
    "OS::Neutron::IKEPolicy",
    "OS::Neutron::IPsecPolicy",
    "OS::Neutron::IPsecSiteConnection",
    "OS::Nova::Server",
    "OS::Nova::KeyPair",
    "OS::Heat::RandomString",
    "OS::Heat::Value",
    "OS::Heat::None",
    "OS::Heat::TestResource",
    "OS::Heat::ResourceGroup",
}


class Widget(ResourceType):
    type_name = "Example::Widget"
    properties_schema = {"size": Property(PropertyType.INTEGER, required=True)}


def test_default_registry_loads_every_builtin_type_through_entry_points() -> None:
    registry = default_registry()
    assert set(registry.names()) == EXPECTED
    assert len(registry) == len(EXPECTED)


def test_each_registered_class_carries_its_own_type_name() -> None:
    registry = default_registry()
    for name in registry.names():
        cls = registry.get(name)
        assert cls is not None and cls.type_name == name


def test_get_unknown_type_is_none() -> None:
    registry = default_registry()
    assert registry.get("OS::Nova::Serverr") is None
    assert "OS::Nova::Serverr" not in registry
    assert "OS::Nova::Server" in registry


def test_registries_are_independent_objects() -> None:
    first, second = Registry(), Registry()
    first.register(Widget)
    assert "Example::Widget" in first
    assert "Example::Widget" not in second


def test_registering_the_same_class_twice_is_harmless() -> None:
    registry = Registry()
    registry.register(Widget)
    registry.register(Widget)
    assert registry.names() == ["Example::Widget"]


def test_a_second_class_under_a_taken_name_is_refused() -> None:
    class OtherWidget(ResourceType):
        type_name = "Example::Widget"

    registry = Registry()
    registry.register(Widget)
    with pytest.raises(ConfigError, match="registered twice"):
        registry.register(OtherWidget)


def test_a_plugin_type_validates_with_the_shared_machinery() -> None:
    diags = Widget.validate({"size": "big"}, ("resources", "w", "properties"))
    assert [d.path for d in diags] == [("resources", "w", "properties", "size")]


def test_attributes_include_heats_show_on_every_type() -> None:
    registry = default_registry()
    for cls in registry:
        assert cls.attribute("show") is not None, cls.type_name
    server = registry.get("OS::Nova::Server")
    assert server is not None
    assert server.attribute("networks") is not None
    assert server.attribute("first_adress") is None


def test_none_resource_reads_any_attribute() -> None:
    none = default_registry().get("OS::Heat::None")
    assert none is not None and none.attribute("whatever") is not None
