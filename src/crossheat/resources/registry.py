"""Resource types and the explicit registry that maps type names to them.

A resource type is one class::

    class Net(ResourceType):
        \"\"\"A Neutron network.\"\"\"
        type_name = "OS::Neutron::Net"
        properties_schema = {"name": Property(PropertyType.STRING, update_allowed=True)}
        attributes_schema = {"status": Attribute("The status.", PropertyType.STRING)}

Types reach a ``Registry`` through the entry point group ``crossheat.resource_types``;
each entry point names a function ``register(registry: Registry) -> None``. Built-in
types are registered that way too, exactly as an outside plugin's would be::

    [project.entry-points."crossheat.resource_types"]
    neutron = "crossheat.resources.types.neutron:register"
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, ClassVar

from crossheat.errors import ConfigError, Diagnostic, NotSupportedError, TemplatePath
from crossheat.resources.lifecycle import Answered, CloudCaller, Done, ResourceContext, Step
from crossheat.resources.schema import (
    Attribute,
    Property,
    PropertyType,
    apply_defaults,
    changed_properties,
    validate_properties,
)

ENTRY_POINT_GROUP = "crossheat.resource_types"

#: Heat's support statuses of a resource type (``GET /resource_types?support_status=``).
SUPPORT_STATUSES = ("UNKNOWN", "SUPPORTED", "DEPRECATED", "UNSUPPORTED", "HIDDEN")


@dataclass(frozen=True)
class SupportStatus:
    """Heat's ``support_status`` of a type: one of ``SUPPORT_STATUSES``, the Heat version it
    has held since (``None``: not said), a message, and the status it had before."""

    status: str = "SUPPORTED"
    version: str | None = None
    message: str | None = None
    previous: SupportStatus | None = None

    def as_dict(self) -> dict[str, Any]:
        """As Heat's API shows it (``previous_status`` nested, or null)."""
        return {
            "status": self.status,
            "message": self.message,
            "version": self.version,
            "previous_status": self.previous.as_dict() if self.previous else None,
        }


#: Attributes every resource has, as in Heat's base ``Resource``.
BASE_ATTRIBUTES = {
    "show": Attribute("Detailed information about the resource.", PropertyType.MAP),
}


class ResourceType:
    """Base of every resource type: its schemas, what they say about its values, and its
    cloud lifecycle.

    The engine instantiates a type with no arguments and calls its lifecycle
    steps from worker threads (see ``crossheat.resources.lifecycle``)::

        prefetch(ctx, props)                lookups made ahead (default: none)
        create(ctx, props) -> Step          then check_create(ctx) while Pending
        update(ctx, old, new, changed)      then check_update(ctx) while Pending
        delete(ctx) -> Step                 then check_delete(ctx) while Pending
        read(ctx) -> attributes | None      find(ctx) -> physical id | None
        live_properties(ctx) -> properties | None
        live_properties_for(ctx, stored) -> properties | None   (default: live_properties)

    Here every start step, ``read``, ``find`` and ``live_properties`` raise
    ``NotSupportedError``; the poll steps return ``Done()``.
    """

    type_name: ClassVar[str]
    properties_schema: ClassVar[Mapping[str, Property]] = {}
    attributes_schema: ClassVar[Mapping[str, Attribute]] = {}
    #: When replaced, delete the old one first: two cannot live side by side without
    #: harm (a subnet's network would hand out addresses from the old one; a key pair's
    #: name is taken). Everything else is replaced create-before-delete, as Heat does.
    replace_delete_first: ClassVar[bool] = False
    #: Resumed after a crash by calling ``create`` again (with the same properties), not
    #: only ``check_create``: the type finds what its earlier try made by itself (a group,
    #: whose later members are made from the properties).
    create_resumes: ClassVar[bool] = False
    #: The keys its ``update_policy`` section may have (Heat's ``update_policy_schema``);
    #: empty for the types that have none, whose ``update_policy`` is ignored.
    update_policy_schema: ClassVar[Mapping[str, Property]] = {}
    #: Heat's support status of the type (a HIDDEN type is never listed nor shown).
    support_status: ClassVar[SupportStatus] = SupportStatus()

    @classmethod
    def attribute(cls, name: str) -> Attribute | None:
        """The attribute ``get_attr`` may read as ``name``, or ``None`` if there is none.

        Every type also has Heat's ``show`` (the whole resource as the cloud shows it).
        """
        return cls.attributes_schema.get(name) or BASE_ATTRIBUTES.get(name)

    @classmethod
    def validate(cls, values: Any, path: TemplatePath) -> list[Diagnostic]:
        """Problems with ``values`` (the resource's ``properties:``) found without a cloud."""
        return validate_properties(cls.properties_schema, values, path)

    @classmethod
    def validate_update_policy(cls, values: Any, path: TemplatePath) -> list[Diagnostic]:
        """Problems with ``values`` (the resource's ``update_policy:``), for the types
        that have an ``update_policy_schema``."""
        if not cls.update_policy_schema:
            return []
        return validate_properties(cls.update_policy_schema, values, path)

    @classmethod
    def with_defaults(cls, values: Mapping[str, Any] | None) -> dict[str, Any]:
        return apply_defaults(cls.properties_schema, values)

    @classmethod
    def classify_update(
        cls, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
    ) -> tuple[set[str], set[str]]:
        """``(update_in_place, replace)`` for a change from ``old`` to ``new`` properties.

        Types whose update policy depends on values (a server's
        ``flavor_update_policy``) refine ``changed_properties`` here.
        """
        return changed_properties(cls.properties_schema, old, new)

    def unsupported(self, step: str) -> NotSupportedError:
        return NotSupportedError(f"{self.type_name} has no cloud lifecycle step {step!r}")

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> Step:
        raise self.unsupported("create")

    def prefetch(self, ctx: ResourceContext, props: Mapping[str, Any]) -> None:
        """Make now the lookups ``create`` will make (a server's flavor and image ids), from
        ``props``, the properties known when the operation starts (those that wait for
        other resources are left out). The engine calls it at once, beside the creates
        before this one, and answers the same calls later in the operation with what
        they answered here. Only read-only calls belong here; an error is ignored
        (``create`` meets it again). Here: none."""

    def check_create(self, ctx: ResourceContext) -> Step:
        return Done()

    def update(
        self, ctx: ResourceContext, old: dict[str, Any], new: dict[str, Any], changed: set[str]
    ) -> Step:
        raise self.unsupported("update")

    def check_update(self, ctx: ResourceContext) -> Step:
        return Done()

    def delete(self, ctx: ResourceContext) -> Step:
        raise self.unsupported("delete")

    def check_delete(self, ctx: ResourceContext) -> Step:
        return Done()

    def read(self, ctx: ResourceContext) -> dict[str, Any] | None:
        raise self.unsupported("read")

    def find(self, ctx: ResourceContext) -> str | None:
        raise self.unsupported("find")

    @classmethod
    def read_ahead(
        cls, call: CloudCaller, stack_id: str, physical_ids: Sequence[str]
    ) -> list[Answered]:
        """For a check of stack ``stack_id``: the answers of the calls ``read`` and
        ``live_properties_for`` will make for the resources ``physical_ids`` (of this
        type, in the region ``call`` reaches), got with as few calls as the API allows
        (a list call, filtered by crossheat's tags where it can be). The check answers
        those calls with them; a resource left out (not listed: gone, or not found that
        way) is read as usual, so only answers the list makes certain belong here.
        Read-only calls only. Here: none."""
        return []

    def live_properties(self, ctx: ResourceContext) -> dict[str, Any] | None:
        raise self.unsupported("live_properties")

    def live_properties_for(
        self, ctx: ResourceContext, stored: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """``live_properties`` read in the terms of the ``stored`` ones, for a type whose
        live state maps to its properties only through what they asked for (a server's
        ports to its ``networks`` entries). By default ``live_properties``."""
        return self.live_properties(ctx)


class Registry:
    """Resource type name -> class. An explicit object; there is no global one."""

    def __init__(self) -> None:
        self._types: dict[str, type[ResourceType]] = {}

    def register(self, cls: type[ResourceType]) -> type[ResourceType]:
        """Add ``cls`` under its ``type_name``; a different class under a taken name fails."""
        existing = self._types.get(cls.type_name)
        if existing is not None and existing is not cls:
            raise ConfigError(
                f"resource type {cls.type_name} is registered twice: "
                f"{existing.__module__}.{existing.__qualname__} and "
                f"{cls.__module__}.{cls.__qualname__}"
            )
        self._types[cls.type_name] = cls
        return cls

    def get(self, name: str) -> type[ResourceType] | None:
        return self._types.get(name)

    def names(self) -> list[str]:
        return sorted(self._types)

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[type[ResourceType]]:
        return iter(self._types[name] for name in self.names())

    def __len__(self) -> int:
        return len(self._types)


def default_registry() -> Registry:
    """A registry holding every type that an installed ``crossheat.resource_types``
    entry point registers (crossheat's own and any plugin's)."""
    registry = Registry()
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            register = entry.load()
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"cannot load resource types {entry.value!r}: {exc}") from exc
        register(registry)
    return registry
