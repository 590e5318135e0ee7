"""``OS::Heat::ResourceGroup``: ``count`` copies of one resource definition.

    group:
      type: OS::Heat::ResourceGroup
      properties:
        count: 2
        resource_def:
          type: OS::Nova::Server
          properties: {name: web-%index%, flavor: m1.small}

``expand_group`` turns those properties into the members Heat would create:
``[("0", "OS::Nova::Server", {"name": "web-0", ...}), ("1", ...)]``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any, NamedTuple

from crossheat.errors import NotSupportedError, TemplateError
from crossheat.resources.constraints import AllowedValues, Length, Range
from crossheat.resources.registry import ResourceType
from crossheat.resources.schema import Attribute, Property
from crossheat.resources.schema import PropertyType as T
from crossheat.template.values import contains_unknown, is_unknown


class ResourceGroup(ResourceType):
    """A group of identical resources, named ``"0"``, ``"1"``, ..."""

    type_name = "OS::Heat::ResourceGroup"
    properties_schema = {
        "count": Property(
            T.INTEGER,
            "Number of resources to create.",
            default=1,
            update_allowed=True,
            constraints=(Range(min=0),),
        ),
        "index_var": Property(
            T.STRING,
            "Text replaced by each member's index.",
            default="%index%",
            constraints=(Length(min=3),),
        ),
        "resource_def": Property(
            T.MAP,
            "Definition of each member.",
            required=True,
            update_allowed=True,
            schema={
                "type": Property(T.STRING, "Resource type of the members.", required=True),
                "properties": Property(T.MAP, "Properties of the members."),
                "metadata": Property(T.MAP, "Metadata of the members."),
            },
        ),
        "removal_policies": Property(
            T.LIST,
            "Members to remove first when the group shrinks.",
            default=[],
            update_allowed=True,
            items=Property(
                T.MAP,
                schema={
                    "resource_list": Property(T.LIST, "Names of members to remove.", default=[]),
                },
            ),
        ),
        "removal_policies_mode": Property(
            T.STRING,
            "append to or update removal policies.",
            default="append",
            update_allowed=True,
            constraints=(AllowedValues(("append", "update")),),
        ),
    }
    attributes_schema = {
        "refs": Attribute("IDs of the members.", T.LIST),
        "refs_map": Attribute("Member names to IDs.", T.MAP),
        "attributes": Attribute("Member names to one attribute of each.", T.MAP),
        "removed_rsrc_list": Attribute("Names of removed members.", T.LIST),
    }

    def unsupported(self, step: str) -> NotSupportedError:
        """Every lifecycle step: the engine deploys the members ``expand_group`` gives."""
        return NotSupportedError(
            f"{self.type_name} has no cloud lifecycle ({step}): it is expanded into its "
            "members (expand_group) before deployment"
        )


class GroupMember(NamedTuple):
    name: str
    type: str
    properties: dict[str, Any]


def expand_group(properties: Mapping[str, Any]) -> list[GroupMember]:
    """The members of a group with these (validated) properties.

    Names are ``"0"``, ``"1"``, ... skipping the names listed in
    ``removal_policies`` (as Heat does, so a removed name is never reused);
    ``index_var`` is replaced by the member's name in every string of its
    properties. Raises ``TemplateError`` if the count or definition is unknown.
    """
    props = ResourceGroup.with_defaults(properties)
    count, definition = props["count"], props["resource_def"]
    if contains_unknown(count) or is_unknown(definition) or contains_unknown(definition["type"]):
        raise TemplateError.single(
            "the group's count and resource type must be known before deployment",
            code="unknown_value",
        )
    skip = {
        str(name)
        for policy in props["removal_policies"]
        for name in policy.get("resource_list") or []
    }
    names = itertools.filterfalse(skip.__contains__, map(str, itertools.count()))
    member_props = definition.get("properties") or {}
    return [
        GroupMember(name, definition["type"], _replace(member_props, props["index_var"], name))
        for name in itertools.islice(names, count)
    ]


def _replace(value: Any, index_var: str, name: str) -> Any:
    if isinstance(value, str):
        return value.replace(index_var, name)
    if isinstance(value, Mapping):
        return {key: _replace(item, index_var, name) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_replace(item, index_var, name) for item in value]
    return value
