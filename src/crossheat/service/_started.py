"""What the service hands a face between recording an operation and running it
(``Started`` lives with the executors, light, for ``RemoteService`` too)."""

from __future__ import annotations

from dataclasses import dataclass, field

from crossheat.plan.analysis import Analysis
from crossheat.service.executor import Started
from crossheat.store import StackRecord, StackSpec
from crossheat.template import Template

__all__ = ["PreparedUpdate", "Started"]


@dataclass(frozen=True)
class PreparedUpdate:
    """The stack, the template it would become and the spec to store; nothing changed yet."""

    stack: StackRecord
    template: Template
    spec: StackSpec
    #: The analysis that gave ``template`` (None: ``template`` read from the stored spec).
    analysis: Analysis | None = field(default=None, compare=False, repr=False)
