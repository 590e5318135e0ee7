"""What the service hands a face between recording an operation and running it."""

from __future__ import annotations

from dataclasses import dataclass, field

from crossheat.plan.analysis import Analysis
from crossheat.store import Action, EventCursor, StackRecord, StackSpec
from crossheat.template import Template


@dataclass(frozen=True)
class Started:
    """An operation recorded and locked, not run yet: hand it to ``Service.submit`` (the
    executor) or run it here (``Service.run_here``). ``cursor`` returns the operation's
    events from the first one it wrote (for a create, every event of the stack)."""

    stack: StackRecord
    action: Action
    engine_id: str
    cursor: EventCursor
    #: The command's analysis of the template the operation deploys (create, update), so
    #: that the engine does not parse it again when it runs here; None: read from the store.
    analysis: Analysis | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class PreparedUpdate:
    """The stack, the template it would become and the spec to store; nothing changed yet."""

    stack: StackRecord
    template: Template
    spec: StackSpec
    #: The analysis that gave ``template`` (None: ``template`` read from the stored spec).
    analysis: Analysis | None = field(default=None, compare=False, repr=False)
