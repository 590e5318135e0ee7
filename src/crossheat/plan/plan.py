"""The deployment plan: what goes where, in which order, and how long it should take.

Computed from an ``Analysis`` without touching a cloud::

    plan = make_plan(analysis)
    plan.as_dict()   # the JSON `crossheat plan --format json` prints
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crossheat.plan.analysis import Analysis, CrossRegionReference
from crossheat.resources.estimates import estimate


@dataclass(frozen=True)
class PlannedResource:
    name: str
    type: str
    region: str
    requires: tuple[str, ...]
    duration: float
    start: float  # earliest start, in estimated seconds from the beginning

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "region": self.region,
            "requires": list(self.requires),
            "estimated_duration": self.duration,
            "earliest_start": self.start,
        }


@dataclass
class Plan:
    resources: dict[str, PlannedResource]
    regions: dict[str, list[str]]
    order: list[str]
    stages: list[list[str]]
    cross_region: list[CrossRegionReference]
    critical_path: list[str]
    estimated_time: float
    #: Filled by the splitter: single-region pieces (see ``crossheat split``).
    pieces: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "regions": {
                region: [self.resources[n].as_dict() for n in names]
                for region, names in self.regions.items()
            },
            "order": self.order,
            "stages": self.stages,
            "cross_region_references": [ref.as_dict() for ref in self.cross_region],
            "critical_path": {
                "resources": self.critical_path,
                "estimated_seconds": self.estimated_time,
            },
            "pieces": self.pieces,
        }


def make_plan(analysis: Analysis) -> Plan:
    """The plan of an analysed, valid template."""
    assert analysis.template is not None
    graph = analysis.graph
    types = {name: d.type for name, d in analysis.template.resources.items()}
    weights = {name: estimate(t) for name, t in types.items()}
    finish = graph.earliest_finish(weights)
    length, path = graph.critical_path(weights)
    order = graph.topological_order()
    resources = {
        name: PlannedResource(
            name,
            types[name],
            analysis.regions[name],
            tuple(graph.requirements(name)),
            weights[name],
            finish[name] - weights[name],
        )
        for name in order
    }
    regions: dict[str, list[str]] = {}
    for name in order:
        regions.setdefault(resources[name].region, []).append(name)
    return Plan(
        resources=resources,
        regions=dict(sorted(regions.items())),
        order=order,
        stages=_stages(analysis, order),
        cross_region=list(analysis.cross_region),
        critical_path=path,
        estimated_time=length,
    )


def _stages(analysis: Analysis, order: list[str]) -> list[list[str]]:
    """Waves: a resource's stage is one more than the latest stage of what it requires."""
    depth: dict[str, int] = {}
    for name in order:
        depth[name] = 1 + max((depth[r] for r in analysis.graph.requirements(name)), default=-1)
    stages: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for name in order:
        stages[depth[name]].append(name)
    return stages
