"""Lookups made ahead: a resource's lookups happen while what it waits for is created, once.

``Test::Looker`` looks its ``flavor`` up (``prefetch`` and ``create`` make the same
call) and then makes itself; ``slow`` ones take a while to answer. A cloud in memory
records when each call starts and ends, in order.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

import pytest

from crossheat.clouds.driver import RegionClients
from crossheat.clouds.retry import RetryPolicy
from crossheat.engine.prefetch import Lookups, call_key
from crossheat.engine.spec import load_spec
from crossheat.engine.stack import Operation
from crossheat.errors import CloudNotFound
from crossheat.resources.lifecycle import Done, ResourceContext, Step
from crossheat.resources.registry import Registry, ResourceType
from crossheat.resources.schema import Property
from crossheat.resources.schema import PropertyType as T
from crossheat.store import StackRecord, StackSpec, Store

LOOKER = "Test::Looker"


class Cloud:
    """Calls as ``(start|end, what, name)``; flavors it does not know are not found."""

    def __init__(self, flavors: Iterable[str] = ("small",)) -> None:
        self.log: list[tuple[str, str, str]] = []
        self.flavors = set(flavors)
        self.lock = threading.Lock()
        self.retry = RetryPolicy(attempts=1)
        self.authenticated: list[str] = []

    def _record(self, *entry: str) -> None:
        with self.lock:
            self.log.append(entry)  # type: ignore[arg-type]

    def call(self, region: str | None, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        return fn(self, *args, **kw)

    call_once = call

    def authenticate(
        self, regions: Iterable[str], services: Mapping[str, Iterable[str]] | None = None
    ) -> None:
        self.authenticated += regions

    def lookup(self, flavor: str) -> str:
        self._record("start", "lookup", flavor)
        time.sleep(0.02)
        self._record("end", "lookup", flavor)
        if flavor not in self.flavors:
            raise CloudNotFound(f"flavor {flavor} not found")
        return f"id-{flavor}"

    def make(self, name: str, slow: bool) -> str:
        self._record("start", "make", name)
        time.sleep(0.3 if slow else 0.01)
        self._record("end", "make", name)
        return f"id-{name}"

    def calls(self, what: str) -> list[str]:
        return [name for step, kind, name in self.log if step == "start" and kind == what]

    def when(self, step: str, what: str, name: str) -> int:
        return self.log.index((step, what, name))


def _lookup(cloud: Cloud, flavor: str) -> str:
    return cloud.lookup(flavor)


def _make(cloud: Cloud, name: str, slow: bool) -> str:
    return cloud.make(name, slow)


class Looker(ResourceType):
    type_name = LOOKER
    properties_schema = {
        "flavor": Property(T.STRING),
        "slow": Property(T.BOOLEAN, default=False),
        "after": Property(T.STRING),
    }

    def prefetch(self, ctx: ResourceContext, props: Mapping[str, Any]) -> None:
        if props.get("flavor"):
            ctx.call(_lookup, props["flavor"])

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> Step:
        if props.get("flavor"):
            ctx.call(_lookup, props["flavor"])
        ctx.physical_id = ctx.call(_make, ctx.name, props["slow"])
        return Done()

    def read(self, ctx: ResourceContext) -> dict[str, Any] | None:
        return {"id": ctx.physical_id}


def looker(after: str | None = None, **props: Any) -> dict[str, Any]:
    if after is not None:
        props["after"] = {"get_resource": after}
    return {"type": LOOKER, "region": "East", "properties": props}


def _create(store: Store, cloud: Cloud, resources: dict[str, Any]) -> StackRecord:
    registry = Registry()
    registry.register(Looker)
    body = {"heat_template_version": "2018-08-31", "resources": resources}
    spec = StackSpec(template=body, disable_rollback=True)
    stack = store.create_stack("s", "default", spec)
    clients = cast(RegionClients, cloud)
    op = Operation(store, registry, stack, load_spec(spec), clients, None)
    try:
        result: StackRecord = asyncio.run(op.create())
        return result
    finally:
        op.close()


def test_a_lookup_is_made_while_what_the_resource_waits_for_is_created_and_only_once(
    store: Store,
) -> None:
    cloud = Cloud()
    stack = _create(store, cloud, {
        "quick": looker(),
        "slow": looker(slow=True),
        "server": looker(after="slow", flavor="small"),
        "twin": looker(after="slow", flavor="small"),
    })  # fmt: skip
    assert stack.stack_status == "CREATE_COMPLETE"
    assert cloud.calls("lookup") == ["small"]  # the two creates were answered from it
    assert cloud.when("start", "lookup", "small") < cloud.when("end", "make", "slow")
    assert cloud.authenticated == ["East"]


def test_a_lookup_that_failed_ahead_is_made_again_by_the_create_which_fails(
    store: Store,
) -> None:
    cloud = Cloud(flavors=())
    stack = _create(store, cloud, {
        "quick": looker(),  # answered at once: the lookups ahead start then, not at the
        "slow": looker(slow=True),  # end of "slow", where they race "server"'s create
        "server": looker(after="slow", flavor="tiny"),
    })  # fmt: skip
    assert stack.stack_status == "CREATE_FAILED"
    assert "flavor tiny not found" in stack.status_reason
    assert cloud.calls("lookup") == ["tiny", "tiny"]


def test_without_lookups_ahead_a_create_makes_its_own(store: Store) -> None:
    cloud = Cloud()
    stack = _create(store, cloud, {"server": looker(flavor="small")})
    assert stack.stack_status == "CREATE_COMPLETE"
    assert cloud.calls("lookup") == ["small"]


def test_calls_are_the_same_when_region_function_and_arguments_are() -> None:
    lookups = Lookups()
    key = call_key("East", _lookup, ("small",), {})
    assert key == call_key("East", _lookup, ("small",), {})
    assert key != call_key("West", _lookup, ("small",), {})
    assert call_key("East", _make, ("n",), {"networks": [{"uuid": "x"}]}) is None
    answers = iter(["first", "second"])
    assert lookups.ahead(key, lambda: next(answers)) == "first"
    assert lookups.ahead(key, lambda: next(answers)) == "first"
    found = lookups.answer(key)
    assert found is not None and found.result() == "first"
    assert lookups.answer(call_key("West", _lookup, ("small",), {})) is None


def test_an_error_made_ahead_is_kept_for_the_same_call() -> None:
    lookups = Lookups()
    key = call_key("East", _lookup, ("tiny",), {})

    def fails() -> str:
        raise CloudNotFound("no tiny")

    with pytest.raises(CloudNotFound):
        lookups.ahead(key, fails)
    found = lookups.answer(key)
    assert found is not None and isinstance(found.exception(), CloudNotFound)
