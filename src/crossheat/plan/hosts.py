"""The host-class pass: a server's ``flavor`` that names a host class the region map knows
must be offered by the server's region.

A host class (``baremetal``, ``gpu``...) is a name the region map's regions give a flavor
(and a zone) of their own under ``host_classes``; a template asks for one by naming it as
a flavor. A class that some region offers and the resource's region does not is an
error naming both, at the flavor's line.
"""

from __future__ import annotations

from crossheat.plan.analysis import Analysis
from crossheat.plan.passes import constrained_values


def check_host_classes(analysis: Analysis) -> None:
    """Each flavor naming a host class is a class its region offers."""
    region_map = analysis.region_map
    if region_map is None:
        return
    offered = region_map.host_classes
    if not offered:
        return
    for name, cls in analysis.types.items():
        spec = region_map.regions.get(analysis.regions[name])
        if spec is None:
            continue
        props = analysis.properties[name]
        for constraint, value, path in constrained_values(cls.properties_schema, props, ()):
            if constraint != "nova.flavor" or not isinstance(value, str):
                continue
            if value not in offered or value in spec.host_classes:
                continue
            others = ", ".join(offered[value])
            analysis.error(
                f"region {spec.name} offers no host class {value!r} (offered by {others})",
                ("resources", name, "properties", *path),
                f"add {value!r} to regions.{spec.name}.host_classes in {region_map.source}, "
                f"or place {name} in {others}",
                code="unknown-host-class",
            )
