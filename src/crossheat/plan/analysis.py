"""Everything crossheat knows about a template before it touches a cloud.

``analyse()`` loads the template and runs an ordered list of small passes
over it (Terraform's graph builder, in spirit). Each pass reads what the
earlier ones left in the ``Analysis`` and appends diagnostics; none raises,
so ``crossheat validate`` reports every problem at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from crossheat.clouds.regionmap import RegionMap
from crossheat.errors import Diagnostic, Severity, TemplatePath
from crossheat.graph import Graph
from crossheat.resources.registry import Registry, ResourceType
from crossheat.template import PlanContext, Template, parse_template, resolve
from crossheat.template.flatten import flatten

#: The region of resources that name none, when there is no region map to say otherwise.
IMPLICIT_REGION = "default"


@dataclass(frozen=True)
class CrossRegionReference:
    """``consumer`` (in ``consumer_region``) reads ``producer`` (in ``producer_region``)."""

    consumer: str
    consumer_region: str
    producer: str
    producer_region: str
    kind: str  # get_resource | get_attr
    attribute: tuple[Any, ...]
    path: TemplatePath

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.consumer,
            "from_region": self.consumer_region,
            "to": self.producer,
            "to_region": self.producer_region,
            "function": self.kind,
            "attribute": list(self.attribute),
            "path": ".".join(str(p) for p in self.path),
        }


@dataclass
class Analysis:
    """The template, and what the passes worked out about it."""

    template: Template | None
    region_map: RegionMap | None
    registry: Registry
    diagnostics: list[Diagnostic] = field(default_factory=list)
    types: dict[str, type[ResourceType]] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    graph: Graph[str] = field(default_factory=Graph)
    cross_region: list[CrossRegionReference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    def report(self, diagnostic: Diagnostic) -> None:
        """Add ``diagnostic``, giving it the template's location for its path if it has none."""
        if diagnostic.location is None and self.template is not None and diagnostic.path:
            diagnostic = replace(diagnostic, location=self.template.locate(diagnostic.path))
        self.diagnostics.append(diagnostic)

    def error(
        self, message: str, path: TemplatePath, hint: str | None = None, code: str = "invalid"
    ) -> None:
        self.report(Diagnostic(message, path, hint=hint, code=code))

    def resources_in(self, region: str) -> list[str]:
        return [name for name, r in self.regions.items() if r == region]

    @property
    def region_names(self) -> list[str]:
        return sorted(set(self.regions.values()))


Pass = Callable[[Analysis], None]


def analyse(
    template_path: str | Path,
    environment_files: Sequence[str | Path] = (),
    parameters: Mapping[str, str] | None = None,
    *,
    region_map: RegionMap | None = None,
    registry: Registry,
) -> Analysis:
    """Load the template and run every pass; the result holds every diagnostic."""
    template, diagnostics = parse_template(template_path, environment_files, parameters)
    return analyse_parsed(template, diagnostics, region_map=region_map, registry=registry)


def analyse_parsed(
    template: Template | None,
    diagnostics: list[Diagnostic],
    *,
    region_map: RegionMap | None = None,
    registry: Registry,
) -> Analysis:
    """``analyse`` of a template already parsed (``parse_content``) with its diagnostics."""
    if template is not None:
        template, problems = flatten(template)  # template resources become their resources
        diagnostics += problems
    analysis = Analysis(template, region_map, registry)
    for diagnostic in diagnostics:
        analysis.report(diagnostic)
    if template is not None:
        run_passes(analysis)
    return analysis


def run_passes(analysis: Analysis) -> None:
    from crossheat.plan import passes, vpn

    steps: list[Pass] = [
        passes.check_types,  # first: every later pass needs each resource's type class
        passes.assign_regions,  # before cross-region references and image/flavor checks
        passes.check_clouds,  # needs the regions the template uses
        passes.resolve_properties,  # parameters are known; resources' values are UNKNOWN
        passes.check_properties,
        passes.check_update_policies,
        passes.check_attributes,
        passes.build_graph,  # needs the types' references, after unknown names are reported
        passes.check_cycles,
        passes.find_cross_region_references,  # needs regions and the graph
        passes.check_images_and_flavors,  # needs resolved properties and regions
        vpn.check_tunnels,  # needs resolved properties, regions and references
    ]
    for step in steps:
        step(analysis)


def resolved_properties(template: Template, name: str) -> dict[str, Any]:
    value = resolve(template.resources[name].properties, PlanContext())
    return value if isinstance(value, dict) else {}
