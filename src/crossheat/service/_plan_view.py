"""What launching a template would do, for a person to read before saying yes: the
resources of each region, the references that cross regions, the critical path and how
long it should take.

    summary = plan_summary(service, Inputs(text, parameters=values))
    summary.regions            # {"East": [PlannedItem("east_net", "OS::Neutron::Net"), ...]}
    summary.cross_region       # [CrossRef("east_to_west", "East", "west_router", "West", ...)]
    summary.critical_path      # ["west_net", "west_subnet", ..., "east_to_west"]
    summary.estimated_seconds  # the path's length in seconds

The plan is ``Service.plan``'s (``plan.plan.make_plan``: its order, regions, references,
and the critical path over the planner's estimates, ``resources.estimates``). Where
earlier operations taught the engine how long a type takes in a region (the durations
its poll pacing learns, ``engine.pacing.Durations`` over ``Store.recent_durations``),
the path is worked out again over those: what this deployment has seen beats a table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crossheat.engine.pacing import Durations
from crossheat.errors import StoreError
from crossheat.plan.plan import Plan, make_plan
from crossheat.service._forms import ParameterForm, analyse, form_of
from crossheat.store import Action

if TYPE_CHECKING:
    from crossheat.plan.analysis import Analysis
    from crossheat.service._service import Service
    from crossheat.service.inputs import Inputs


@dataclass(frozen=True)
class PlannedItem:
    """One resource to create: its name, type, the seconds it should take, and whether
    that figure was learnt from earlier operations (else the planner's estimate)."""

    name: str
    type: str
    seconds: float
    learnt: bool = False


@dataclass(frozen=True)
class CrossRef:
    """``source`` (in ``source_region``) reads ``target`` (in ``target_region``): the
    target is created first and its value carried across (``function``: get_resource
    or get_attr, with the ``attribute`` read)."""

    source: str
    source_region: str
    target: str
    target_region: str
    function: str
    attribute: str = ""


@dataclass
class PlanSummary:
    regions: dict[str, list[PlannedItem]] = field(default_factory=dict)
    cross_region: list[CrossRef] = field(default_factory=list)
    critical_path: list[str] = field(default_factory=list)
    estimated_seconds: float = 0.0
    #: The same path's length by the planner's estimates alone.
    planner_seconds: float = 0.0
    #: How many resources' figures were learnt (the others are estimates).
    learnt: int = 0

    @property
    def resource_count(self) -> int:
        return sum(len(items) for items in self.regions.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "regions": {
                region: [vars(item) for item in items] for region, items in self.regions.items()
            },
            "cross_region_references": [vars(ref) for ref in self.cross_region],
            "critical_path": {
                "resources": self.critical_path,
                "estimated_seconds": self.estimated_seconds,
                "planner_seconds": self.planner_seconds,
                "learnt": self.learnt,
            },
        }


def plan_summary(service: Service, inputs: Inputs) -> PlanSummary:
    """The summary of ``Service.plan(inputs)``; ``TemplateError`` when the template or
    the values given are invalid (``parameter_form`` says where)."""
    analysis, plan = service.plan(inputs)
    return summarise(analysis, plan, _learnt(service))


def launch_check(service: Service, inputs: Inputs) -> tuple[ParameterForm, PlanSummary | None]:
    """The submitted values checked (``check_parameters``) and, when nothing is wrong,
    the plan: one analysis for both."""
    analysis, missing = analyse(service, inputs)
    form = form_of(analysis, missing, inputs.parameters, submitted=True)
    if not form.ok:
        return form, None
    return form, summarise(analysis, make_plan(analysis), _learnt(service))


def summarise(analysis: Analysis, plan: Plan, durations: Durations | None) -> PlanSummary:
    """The summary of ``plan``, its figures learnt from ``durations`` where it knows them."""
    seconds: dict[str, float] = {}
    learnt: set[str] = set()
    for name, planned in plan.resources.items():
        known = None
        if durations is not None:
            known = durations.expected(planned.type, planned.region, Action.CREATE.value)
        seconds[name] = planned.duration if known is None else known
        if known is not None:
            learnt.add(name)
    if learnt:
        length, path = analysis.graph.critical_path(seconds)
    else:
        length, path = plan.estimated_time, plan.critical_path
    return PlanSummary(
        regions={
            region: [PlannedItem(n, plan.resources[n].type, seconds[n], n in learnt) for n in names]
            for region, names in plan.regions.items()
        },
        cross_region=_references(plan),
        critical_path=list(path),
        estimated_seconds=round(length, 3),
        planner_seconds=round(plan.estimated_time, 3),
        learnt=len(learnt),
    )


def _references(plan: Plan) -> list[CrossRef]:
    """Each reference once (a resource reading the same attribute twice is one link)."""
    seen: dict[tuple[str, str, str, str], CrossRef] = {}
    for ref in plan.cross_region:
        attribute = ".".join(str(a) for a in ref.attribute)
        key = (ref.consumer, ref.producer, ref.kind, attribute)
        seen.setdefault(
            key,
            CrossRef(
                ref.consumer,
                ref.consumer_region,
                ref.producer,
                ref.producer_region,
                ref.kind,
                attribute,
            ),
        )
    return list(seen.values())


def _learnt(service: Service) -> Durations | None:
    """The durations earlier operations recorded (None when the store cannot say)."""
    try:
        return Durations(service.store().recent_durations)
    except StoreError:
        return None
