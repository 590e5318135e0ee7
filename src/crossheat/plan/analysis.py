"""Everything crossheat knows about a template before it touches a cloud: the model.

The ``Analysis`` is filled in by the passes (``passes``, ``vpn``) that
``pipeline.analyse()`` runs in order; this module knows none of them, so
the passes import it and it imports no pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from crossheat.clouds.regionmap import RegionMap
from crossheat.errors import Diagnostic, Severity, TemplatePath
from crossheat.graph import Graph
from crossheat.resources.registry import Registry, ResourceType
from crossheat.template import PlanContext, Template, resolve


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


def resolved_properties(template: Template, name: str) -> dict[str, Any]:
    value = resolve(template.resources[name].properties, PlanContext())
    return value if isinstance(value, dict) else {}
