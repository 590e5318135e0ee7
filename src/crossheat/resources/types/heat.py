"""Heat's own resource types, with Heat's schemas (openstack/heat,
``heat/engine/resources/openstack/heat/{random_string,value,none_resource,
test_resource,resource_group}.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crossheat.errors import Diagnostic, TemplatePath
from crossheat.resources.constraints import AllowedValues, CustomConstraint, Range
from crossheat.resources.registry import Registry, ResourceType
from crossheat.resources.schema import Attribute, Property
from crossheat.resources.schema import PropertyType as T
from crossheat.resources.types.resource_group import ResourceGroup

_CHARACTER_CLASSES = AllowedValues(
    ("lettersdigits", "letters", "lowercase", "uppercase", "digits", "hexdigits", "octdigits")
)
_MIN_CHARS = Property(
    T.INTEGER,
    "Fewest characters from this class or sequence.",
    default=1,
    constraints=(Range(1, 512),),
)


class RandomString(ResourceType):
    """A random string; its ``value`` attribute is secret. Any property change replaces it."""

    type_name = "OS::Heat::RandomString"
    properties_schema = {
        "length": Property(
            T.INTEGER, "Length of the string.", default=32, constraints=(Range(1, 512),)
        ),
        "sequence": Property(
            T.STRING,
            "Hidden since Heat 5.0.0: use character_classes.",
            constraints=(_CHARACTER_CLASSES,),
        ),
        "character_classes": Property(
            T.LIST,
            "Character classes to draw from, with their minimums.",
            default=[{"class": "lettersdigits", "min": 1}],
            items=Property(
                T.MAP,
                schema={
                    "class": Property(
                        T.STRING,
                        "A character class.",
                        default="lettersdigits",
                        constraints=(_CHARACTER_CLASSES,),
                    ),
                    "min": _MIN_CHARS,
                },
            ),
        ),
        "character_sequences": Property(
            T.LIST,
            "Character sequences to draw from, with their minimums.",
            items=Property(
                T.MAP,
                schema={
                    "sequence": Property(T.STRING, "A character sequence.", required=True),
                    "min": _MIN_CHARS,
                },
            ),
        ),
        "salt": Property(T.STRING, "Change it to generate a new string (replacement)."),
    }
    attributes_schema = {
        "value": Attribute("The random string.", T.STRING, secret=True),
    }


class Value(ResourceType):
    """A value computed from an expression, optionally typed."""

    type_name = "OS::Heat::Value"
    properties_schema = {
        "value": Property(
            T.ANY, "The expression giving the value attribute.", required=True, update_allowed=True
        ),
        "type": Property(
            T.STRING,
            "The type of value.",
            update_allowed=True,
            constraints=(
                AllowedValues(("string", "number", "comma_delimited_list", "json", "boolean")),
            ),
        ),
    }
    attributes_schema = {
        "value": Attribute("The value of the value property, with the type given."),
    }


class NoneResource(ResourceType):
    """A resource that does nothing: any properties are accepted and ignored, and any
    attribute reads as null. It stubs out another type through the resource registry."""

    type_name = "OS::Heat::None"

    @classmethod
    def validate(cls, values: Any, path: TemplatePath) -> list[Diagnostic]:
        return []

    @classmethod
    def attribute(cls, name: str) -> Attribute | None:
        """Any attribute may be read; its value is null."""
        return Attribute("Always null.")


_WAIT = Property(T.NUMBER, "Seconds to wait; defaults to wait_secs.", update_allowed=True)


class TestResource(ResourceType):
    """Heat's resource for testing: stores ``value`` and can wait, fail or force replacement.

    A changed ``value`` replaces the resource when the new ``update_replace`` is true.
    """

    __test__ = False  # not a pytest test class, despite the name

    type_name = "OS::Heat::TestResource"
    properties_schema = {
        "value": Property(
            T.STRING, "The string to store.", default="test_string", update_allowed=True
        ),
        "update_replace": Property(
            T.BOOLEAN, "Replace instead of updating value.", default=False, update_allowed=True
        ),
        "fail": Property(
            T.BOOLEAN, "Fail the resource operation.", default=False, update_allowed=True
        ),
        "client_name": Property(T.STRING, "Client to poll.", default="", update_allowed=True),
        "entity_name": Property(
            T.STRING, "Client entity to poll.", default="", update_allowed=True
        ),
        "wait_secs": Property(
            T.NUMBER,
            "Seconds to wait after an action (-1: forever).",
            default=0,
            update_allowed=True,
        ),
        "action_wait_secs": Property(
            T.MAP,
            "Seconds to wait after each action.",
            update_allowed=True,
            schema={"create": _WAIT, "update": _WAIT, "delete": _WAIT},
        ),
        "attr_wait_secs": Property(
            T.NUMBER, "Seconds to wait before resolving output.", default=0, update_allowed=True
        ),
        "constraint_prop_secs": Property(
            T.NUMBER,
            "Seconds to wait in constraint checks.",
            default=0,
            update_allowed=True,
            constraints=(CustomConstraint("test_constr"),),
        ),
        "update_replace_value": Property(T.STRING, "A value that cannot be updated."),
    }
    attributes_schema = {
        "output": Attribute("The string that was stored."),
    }

    @classmethod
    def classify_update(
        cls, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
    ) -> tuple[set[str], set[str]]:
        in_place, replace = super().classify_update(old, new)
        if "value" in in_place and cls.with_defaults(new).get("update_replace") is True:
            in_place.discard("value")
            replace.add("value")
        return in_place, replace


def register(registry: Registry) -> None:
    """Entry point ``crossheat.resource_types: heat``."""
    for cls in (RandomString, Value, NoneResource, TestResource, ResourceGroup):
        registry.register(cls)
