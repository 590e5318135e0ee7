"""``analyse()``: load a template and run the analysis passes over it, in order.

The passes form a pipeline (Terraform's graph builder, in spirit): each reads
what the earlier ones left in the ``Analysis`` and appends diagnostics; none
raises, so ``crossheat validate`` reports every problem at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from crossheat.clouds.regionmap import RegionMap
from crossheat.errors import Diagnostic
from crossheat.plan import hosts, passes, vpn
from crossheat.plan.analysis import Analysis, Pass
from crossheat.resources.registry import Registry
from crossheat.template import Template, parse_template
from crossheat.template.flatten import flatten


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
    """Every pass, in order: each one needs what the ones before it found."""
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
        hosts.check_host_classes,  # likewise, and the region map's host classes
        vpn.check_tunnels,  # needs resolved properties, regions and references
    ]
    for step in steps:
        step(analysis)
