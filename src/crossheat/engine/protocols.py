"""The narrow views of an operation that the engine's helpers take.

``wait_for_tunnels`` and ``run_check`` need a handful of things from an
``Operation`` (its template, its live resources, a way to run a blocking cloud
call, a few store methods); they name exactly those here, so a unit test can
hand them a small double and ``Operation`` satisfies them as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from crossheat.resources.lifecycle import ResourceContext
from crossheat.store import Action, ResourceRecord

T = TypeVar("T")


class Runner(Protocol):
    """Runs blocking calls off the event loop and gives a resource's cloud context
    (``engine.actions.Runtime``)."""

    async def run(self, fn: Callable[..., T], *args: Any) -> T: ...

    def context(self, record: ResourceRecord, action: Action | None = None) -> ResourceContext: ...
