"""The analysis passes, in the order ``pipeline.run_passes`` lists them.

Each pass reads the ``Analysis`` and appends diagnostics; none raises.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from crossheat.clouds.regionmap import resource_region
from crossheat.errors import Diagnostic, Location, Severity
from crossheat.plan.analysis import Analysis, CrossRegionReference, resolved_properties
from crossheat.resources.constraints import CustomConstraint
from crossheat.resources.dependencies import dependency_graph
from crossheat.resources.registry import BASE_ATTRIBUTES
from crossheat.resources.schema import Property
from crossheat.template import PlanContext, Template, resolve
from crossheat.template.model import references_in


def _template(analysis: Analysis) -> Template:
    assert analysis.template is not None  # passes only run on a loaded template
    return analysis.template


def _did_you_mean(name: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(name, choices, n=1)
    return f"did you mean {close[0]}?" if close else None


def check_types(analysis: Analysis) -> None:
    """Every resource's type is registered, or is a template resource."""
    template = _template(analysis)
    known = sorted(analysis.registry.names())
    for name, definition in template.resources.items():
        if definition.nested is not None:
            continue
        cls = analysis.registry.get(definition.type)
        if cls is None:
            hint = _did_you_mean(definition.type, known) or (
                "see `crossheat validate --help` and the README for the supported types"
            )
            analysis.error(
                f"unknown resource type {definition.type!r}",
                ("resources", name, "type"),
                hint,
                code="unknown-type",
            )
        else:
            analysis.types[name] = cls


def assign_regions(analysis: Analysis) -> None:
    """Each resource's region; unknown regions are errors when there is a region map."""
    template = _template(analysis)
    region_map = analysis.region_map
    for name, definition in template.resources.items():
        region = resource_region(definition.region, region_map)
        analysis.regions[name] = region
        if region_map is None:
            continue
        if definition.region is None and region_map.default_region is None:
            analysis.error(
                "this resource names no region and the region map has no default_region",
                ("resources", name),
                f"add `region:` to the resource or `default_region:` to {region_map.source}",
                code="no-region",
            )
        elif region not in region_map.regions:
            known = sorted(region_map.regions)
            analysis.error(
                f"unknown region {region!r}; the region map {region_map.source} has "
                f"{', '.join(known) or 'no regions'}",
                ("resources", name, "region"),
                _did_you_mean(region, known) or "add the region to the region map",
                code="unknown-region",
            )


def check_clouds(analysis: Analysis) -> None:
    """Each used region's cloud is in clouds.yaml (openstacksdk's own loader, no network).

    A warning: the template is fine, but `stack create` would stop at that region.
    """
    region_map = analysis.region_map
    if region_map is None:
        return
    used = set(analysis.regions.values())
    where = Location(region_map.source or "region map")
    for problem in region_map.validate_clouds(regions=used):
        analysis.report(Diagnostic(
            problem, (), where, hint="fix clouds.yaml or the region map before deploying",
            severity=Severity.WARNING, code="unknown-cloud",
        ))  # fmt: skip


def resolve_properties(analysis: Analysis) -> None:
    """Properties with parameters and functions applied; resources' values are UNKNOWN."""
    template = _template(analysis)
    for name in template.resources:
        analysis.properties[name] = resolved_properties(template, name)


def check_properties(analysis: Analysis) -> None:
    """Properties against their type's schema (template resources: the nested parameters)."""
    for name, cls in analysis.types.items():
        for diagnostic in cls.validate(
            analysis.properties[name], ("resources", name, "properties")
        ):
            analysis.report(diagnostic)


def check_update_policies(analysis: Analysis) -> None:
    """``update_policy`` against its type's schema (a group's ``rolling_update`` and
    ``batch_create``); on a type that has none, it is ignored, which a warning says."""
    template = _template(analysis)
    for name, cls in analysis.types.items():
        policy = template.resources[name].update_policy
        if not policy:
            continue
        path = ("resources", name, "update_policy")
        if not cls.update_policy_schema:
            analysis.report(Diagnostic(
                f"{cls.type_name} has no update policies; this update_policy is ignored",
                path, hint="remove it", severity=Severity.WARNING, code="ignored-update-policy",
            ))  # fmt: skip
            continue
        for diagnostic in cls.validate_update_policy(resolve(policy, PlanContext()), path):
            analysis.report(diagnostic)


def _attributes_of(analysis: Analysis, name: str) -> set[str] | None:
    """Attribute names ``name`` has, or None when they cannot be known offline."""
    definition = _template(analysis).resources[name]
    if definition.nested is not None:
        return set(definition.nested.outputs) | BASE_ATTRIBUTES.keys()
    cls = analysis.types.get(name)
    if cls is None:
        return None
    return set(cls.attributes_schema) | BASE_ATTRIBUTES.keys()


def check_attributes(analysis: Analysis) -> None:
    """``get_attr`` names an attribute the target's type has."""
    template = _template(analysis)
    for definition in template.resources.values():
        for ref in definition.references():
            _check_attribute_ref(analysis, ref.kind, ref.resource, ref.attribute, ref.path)
    for output in template.outputs.values():
        for ref in references_in(output.value):
            _check_attribute_ref(analysis, ref.kind, ref.resource, ref.attribute, ref.path)


def _check_attribute_ref(
    analysis: Analysis, kind: str, target: str, attribute: tuple[Any, ...], path: Any
) -> None:
    if kind != "get_attr" or not attribute or target not in _template(analysis).resources:
        return
    known = _attributes_of(analysis, target)
    first = attribute[0]
    if known is None or not isinstance(first, str) or first in known:
        return
    analysis.error(
        f"resource {target} ({_template(analysis).resources[target].type}) has no "
        f"attribute {first!r}",
        path,
        _did_you_mean(first, sorted(known)) or f"its attributes: {', '.join(sorted(known))}",
        code="unknown-attribute",
    )


def build_graph(analysis: Analysis) -> None:
    """One node per resource; an edge for each depends_on, get_resource and get_attr."""
    template = _template(analysis)
    analysis.graph = dependency_graph(template)
    for name, definition in template.resources.items():
        for required in sorted(definition.dependencies()):
            if required == name:
                analysis.error(
                    f"resource {name} refers to itself", ("resources", name), code="cycle"
                )


def check_cycles(analysis: Analysis) -> None:
    """Each dependency cycle is one error naming every resource on it."""
    for cycle in analysis.graph.cycles():
        ring = " -> ".join([*cycle, cycle[0]])
        analysis.error(
            f"dependency cycle: {ring}",
            ("resources", cycle[0]),
            "break the cycle: remove a depends_on, get_resource or get_attr between "
            f"{', '.join(sorted(cycle))}",
            code="cycle",
        )


def find_cross_region_references(analysis: Analysis) -> None:
    template = _template(analysis)
    for name, definition in template.resources.items():
        here = analysis.regions[name]
        for ref in definition.references():
            there = analysis.regions.get(ref.resource)
            if there is None or there == here:
                continue
            analysis.cross_region.append(
                CrossRegionReference(
                    name, here, ref.resource, there, ref.kind, tuple(ref.attribute), ref.path
                )
            )


def constrained_values(
    schema: Mapping[str, Property], values: Mapping[str, Any], path: tuple[Any, ...]
) -> Iterator[tuple[str, Any, tuple[Any, ...]]]:
    """``(constraint name, value, path)`` for every custom-constrained value, nested too."""
    for key, value in values.items():
        prop = schema.get(key)
        if prop is None:
            continue
        for constraint in prop.constraints:
            if isinstance(constraint, CustomConstraint):
                yield constraint.name, value, (*path, key)
        if prop.schema is not None and isinstance(value, Mapping):
            yield from constrained_values(prop.schema, value, (*path, key))
        item = prop.items
        if item is not None and item.schema is not None and isinstance(value, list):
            for index, element in enumerate(value):
                if isinstance(element, Mapping):
                    yield from constrained_values(item.schema, element, (*path, key, index))


def check_images_and_flavors(analysis: Analysis) -> None:
    """Image and flavor names each region's map can resolve (when the map lists them)."""
    region_map = analysis.region_map
    if region_map is None:
        return
    tables = {"glance.image": "images", "nova.flavor": "flavors"}
    for name, cls in analysis.types.items():
        spec = region_map.regions.get(analysis.regions[name])
        if spec is None:
            continue
        props = analysis.properties[name]
        for constraint, value, path in constrained_values(cls.properties_schema, props, ()):
            table_name = tables.get(constraint)
            if table_name is None or not isinstance(value, str):
                continue
            table: dict[str, str] = getattr(spec, table_name)
            if table_name == "flavors" and value in region_map.host_classes:
                continue  # a host class: the host-class pass checks it
            if table and value not in table and value not in table.values():
                analysis.error(
                    f"region {spec.name} cannot resolve {table_name[:-1]} {value!r}: "
                    f"its {table_name} are {', '.join(sorted(table))}",
                    ("resources", name, "properties", *path),
                    f"add {value!r} to regions.{spec.name}.{table_name} in {region_map.source}",
                    code=f"unknown-{table_name[:-1]}",
                )
