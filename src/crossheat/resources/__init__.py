"""Resource types: Heat's schemas, typed, in an explicit registry.

registry = default_registry()              # every type the entry points register
server = registry.get("OS::Nova::Server")
diagnostics = server.validate(properties, ("resources", "web", "properties"))
in_place, replace = server.classify_update(old_properties, new_properties)
"""

from crossheat.resources.registry import (
    BASE_ATTRIBUTES,
    ENTRY_POINT_GROUP,
    Registry,
    ResourceType,
    default_registry,
)
from crossheat.resources.schema import (
    SECRET_MASK,
    Attribute,
    Property,
    PropertyType,
    apply_defaults,
    changed_properties,
    mask_secrets,
    validate_properties,
)

__all__ = [
    "BASE_ATTRIBUTES",
    "ENTRY_POINT_GROUP",
    "SECRET_MASK",
    "Attribute",
    "Property",
    "PropertyType",
    "Registry",
    "ResourceType",
    "apply_defaults",
    "changed_properties",
    "default_registry",
    "mask_secrets",
    "validate_properties",
]
