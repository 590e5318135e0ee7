"""Heat's own resource types, with Heat's schemas (openstack/heat,
``heat/engine/resources/openstack/heat/{random_string,value,none_resource,
test_resource,resource_group}.py``).

They make no cloud calls: their physical id is ``ctx.physical_name`` (a None
resource's a random UUID, as in Heat) and their attributes are computed here (a
random string is kept as a secret attribute, which the engine stores encrypted).
A resource group creates, updates and deletes its members through their own
types' lifecycles (``resource_group.py``).
Each action of a test resource waits ``action_wait_secs.<action>`` (else
``wait_secs``; -1 forever), its start time kept in ``progress``, then a create or
update fails if ``fail`` is true.
"""

from __future__ import annotations

import json
import secrets
import string
import time
import uuid
from collections.abc import Mapping
from typing import Any

from crossheat.errors import Diagnostic, ResourceFailed, TemplateError, TemplatePath
from crossheat.resources.constraints import AllowedValues, CustomConstraint, Range
from crossheat.resources.lifecycle import Done, Pending, ResourceContext, Step
from crossheat.resources.registry import Registry, ResourceType, SupportStatus
from crossheat.resources.schema import Attribute, Property
from crossheat.resources.schema import PropertyType as T
from crossheat.resources.types.resource_group import ResourceGroup

#: Heat's character classes and the characters in each.
CHARACTER_CLASSES = {
    "lettersdigits": string.ascii_letters + string.digits,
    "letters": string.ascii_letters,
    "lowercase": string.ascii_lowercase,
    "uppercase": string.ascii_uppercase,
    "digits": string.digits,
    "hexdigits": string.digits + "ABCDEF",
    "octdigits": string.octdigits,
}
_CHARACTER_CLASSES = AllowedValues(tuple(CHARACTER_CLASSES))
_MIN_CHARS = Property(
    T.INTEGER,
    "Fewest characters from this class or sequence.",
    default=1,
    constraints=(Range(1, 512),),
)


class LocalResource(ResourceType):
    """A type without cloud calls: ``compute`` gives the attributes from the properties."""

    def compute(self, ctx: ResourceContext, props: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> Step:
        ctx.physical_id = ctx.physical_name
        ctx.attributes = self.compute(ctx, props)
        return Done()

    def update(
        self, ctx: ResourceContext, old: dict[str, Any], new: dict[str, Any], changed: set[str]
    ) -> Step:
        ctx.attributes = self.compute(ctx, new)
        return Done()

    def delete(self, ctx: ResourceContext) -> Step:
        return Done()

    def read(self, ctx: ResourceContext) -> dict[str, Any] | None:
        """What the last step computed; ``None`` before creation."""
        return None if ctx.physical_id is None else ctx.attributes

    def find(self, ctx: ResourceContext) -> str | None:
        """Nothing was created anywhere, so there is nothing to find."""
        return None

    def live_properties(self, ctx: ResourceContext) -> dict[str, Any] | None:
        """No property can be read back from anywhere."""
        return None if ctx.physical_id is None else {}


def random_string(props: Mapping[str, Any]) -> str:
    """A string as Heat's RandomString makes it, drawn with ``secrets``.

    Each class and sequence gives at least its ``min`` characters; the rest
    come from all of them together; the result is shuffled. The deprecated
    ``sequence`` stands for ``character_classes: [{class: <sequence>}]``.
    """
    classes = props.get("character_classes") or []
    if props.get("sequence"):
        classes = [{"class": props["sequence"], "min": 1}]
    pools = [(CHARACTER_CLASSES[c.get("class", "lettersdigits")], c.get("min", 1)) for c in classes]
    pools += [(s["sequence"], s.get("min", 1)) for s in props.get("character_sequences") or []]
    length = int(props.get("length", 32))
    if sum(minimum for _, minimum in pools) > length:
        raise TemplateError.single(
            f"length {length} is shorter than the character classes' and sequences' minimums",
            code="conflict",
        )
    chars = [secrets.choice(pool) for pool, minimum in pools for _ in range(minimum)]
    everything = "".join(sorted({char for pool, _ in pools for char in pool}))
    chars += [secrets.choice(everything) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


class RandomString(LocalResource):
    """A random string; its ``value`` attribute is secret. Any property change replaces it."""

    type_name = "OS::Heat::RandomString"
    support_status = SupportStatus(version="2014.1")
    properties_schema = {
        "length": Property(
            T.INTEGER, "Length of the string.", default=32, constraints=(Range(1, 512),)
        ),
        "sequence": Property(
            T.STRING,
            "Hidden since Heat 5.0.0: use character_classes.",
            constraints=(_CHARACTER_CLASSES,),
            hidden=True,
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

    def compute(self, ctx: ResourceContext, props: Mapping[str, Any]) -> dict[str, Any]:
        return {"value": random_string(props)}


def typed_value(value: Any, kind: str | None) -> Any:
    """``value`` as ``OS::Heat::Value``'s ``type`` says: ``number``, ``comma_delimited_list``,
    ``json`` (parsed when a string), ``boolean``, ``string``; as it is without a type."""
    if kind == "number" and isinstance(value, str):
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    if kind == "comma_delimited_list" and isinstance(value, str):
        return [item.strip() for item in value.split(",")] if value else []
    if kind == "json" and isinstance(value, str):
        return json.loads(value)
    if kind == "boolean" and isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "y", "t", "1")
    if kind == "string" and not isinstance(value, str):
        return json.dumps(value) if isinstance(value, dict | list) else str(value)
    return value


class Value(LocalResource):
    """A value computed from an expression, optionally typed."""

    type_name = "OS::Heat::Value"
    support_status = SupportStatus(version="7.0.0")
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

    def compute(self, ctx: ResourceContext, props: Mapping[str, Any]) -> dict[str, Any]:
        return {"value": typed_value(props.get("value"), props.get("type"))}


class NoneResource(LocalResource):
    """A resource that does nothing: any properties are accepted and ignored, and any
    attribute reads as null. It stubs out another type through the resource registry."""

    type_name = "OS::Heat::None"
    support_status = SupportStatus(version="5.0.0")

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> Step:
        """As Heat's: a random UUID is its physical id (what ``get_resource`` gives)."""
        ctx.physical_id = str(uuid.uuid4())
        ctx.attributes = {}
        return Done()

    @classmethod
    def validate(cls, values: Any, path: TemplatePath) -> list[Diagnostic]:
        return []

    @classmethod
    def attribute(cls, name: str) -> Attribute | None:
        """Any attribute may be read; its value is null."""
        return Attribute("Always null.")


def _wait(action: str) -> Property:
    return Property(
        T.NUMBER,
        f"Seconds to wait after {'an' if action == 'update' else 'a'} {action}. "
        "Defaults to the global wait_secs.",
        update_allowed=True,
    )


class TestResource(LocalResource):
    """Heat's resource for tests: it keeps ``value`` and can wait, fail or be replaced.

    As Heat's: each action waits ``action_wait_secs.<action>`` seconds, else
    ``wait_secs`` (-1: forever); then a create or update with ``fail`` true fails
    ("Test Resource failed <name>"), a delete never does. An update waits only when
    ``value`` changes. A changed ``value`` replaces the resource when the new
    ``update_replace`` is true; a changed ``update_replace_value`` always does. The
    ``output`` attribute is the stored value (none when the create failed).
    """

    __test__ = False  # not a pytest test class, despite the name

    type_name = "OS::Heat::TestResource"
    support_status = SupportStatus(version="5.0.0")
    properties_schema = {
        "value": Property(
            T.STRING, "The input string to be stored.", default="test_string", update_allowed=True
        ),
        "update_replace": Property(
            T.BOOLEAN,
            "Value which can be set to trigger update replace for the particular resource.",
            default=False,
            update_allowed=True,
        ),
        "fail": Property(
            T.BOOLEAN,
            "Value which can be set to fail the resource operation to test failure scenarios.",
            default=False,
            update_allowed=True,
        ),
        "client_name": Property(T.STRING, "Client to poll.", default="", update_allowed=True),
        "entity_name": Property(
            T.STRING, "Client entity to poll.", default="", update_allowed=True
        ),
        "wait_secs": Property(
            T.NUMBER,
            "Seconds to wait after an action (-1 is infinite).",
            default=0,
            update_allowed=True,
        ),
        "action_wait_secs": Property(
            T.MAP,
            "Options for simulating waiting.",
            update_allowed=True,
            schema={
                "create": _wait("create"),
                "update": _wait("update"),
                "delete": _wait("delete"),
            },
        ),
        "attr_wait_secs": Property(
            T.NUMBER,
            "Number value for timeout during resolving output value.",
            default=0,
            update_allowed=True,
        ),
        "constraint_prop_secs": Property(
            T.NUMBER,
            "Number value for delay during resolve constraint.",
            default=0,
            update_allowed=True,
            constraints=(CustomConstraint("test_constr"),),
        ),
        "update_replace_value": Property(
            T.STRING, "Some value that can be stored but can not be updated."
        ),
    }
    attributes_schema = {
        "output": Attribute(
            "The string that was stored. This value is also available by referencing the resource."
        ),
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

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> Step:
        failing = bool(props.get("fail"))
        ctx.physical_id = None if failing else ctx.physical_name
        ctx.attributes = {"output": None if failing else props.get("value")}
        return self._start(ctx, props, "create")

    def update(
        self, ctx: ResourceContext, old: dict[str, Any], new: dict[str, Any], changed: set[str]
    ) -> Step:
        value_changed = "value" in changed and bool(new.get("value"))
        output = ctx.attributes.get("output")
        if value_changed and not new.get("fail"):
            output = new.get("value")
        ctx.attributes = {"output": output}
        return self._start(ctx, new, "update", wait=value_changed)

    def delete(self, ctx: ResourceContext) -> Step:
        return self._start(ctx, ctx.properties, "delete")

    def _start(
        self, ctx: ResourceContext, props: Mapping[str, Any], action: str, *, wait: bool = True
    ) -> Step:
        waits = props.get("action_wait_secs") or {}
        seconds = waits.get(action)
        if seconds is None:
            seconds = props.get("wait_secs", 0)
        ctx.progress.update(
            started=time.time(),
            wait=float(seconds or 0) if wait else 0.0,
            fail=bool(props.get("fail")) and action != "delete",
        )
        return self._check(ctx)

    def _check(self, ctx: ResourceContext) -> Step:
        wait = float(ctx.progress.get("wait", 0))
        left = float(ctx.progress.get("started", 0)) + wait - time.time()
        if wait < 0 or left > 0:
            return Pending(1.0 if wait < 0 else min(left, 1.0))
        if ctx.progress.get("fail"):
            raise ResourceFailed(f"Test Resource failed {ctx.name}")
        return Done()

    def check_create(self, ctx: ResourceContext) -> Step:
        return self._check(ctx)

    def check_update(self, ctx: ResourceContext) -> Step:
        return self._check(ctx)

    def check_delete(self, ctx: ResourceContext) -> Step:
        return self._check(ctx)


def register(registry: Registry) -> None:
    """Entry point ``crossheat.resource_types: heat``."""
    for cls in (RandomString, Value, NoneResource, TestResource, ResourceGroup):
        registry.register(cls)
