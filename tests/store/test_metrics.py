"""``/metrics`` counts operations and drift from the stacks' events as they come: a scrape
reads only the events written since the one before (each stack's, by number)."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client.core import Metric

from crossheat.service._metrics import OperationTally
from crossheat.store import Action, StackSpec, Status, Store
from crossheat.store._metrics import MetricEvent

NET, PORT = "OS::Neutron::Net", "OS::Neutron::Port"


def values(metrics: list[Metric]) -> dict[tuple[str, tuple[str, ...]], float]:
    return {
        (s.name, tuple(f"{k}={v}" for k, v in sorted(s.labels.items()))): s.value
        for family in metrics
        for s in family.samples
    }


def test_each_scrape_reads_only_the_new_events_and_counts_each_once(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(db_url) as store:
        read: list[int] = []
        counted_events = store.counted_events

        def counted(after: Any) -> list[MetricEvent]:
            got = counted_events(after)
            read.append(len(got))
            return got

        monkeypatch.setattr(store, "counted_events", counted)
        a = store.create_stack("a", "default", StackSpec(template={}))
        inner = store.create_stack("a-inner", "default", StackSpec(template={}), parent_id=a.id)
        store.add_event(a.id, "a", Action.CREATE, Status.IN_PROGRESS)
        store.add_event(a.id, "net", Action.CREATE, Status.COMPLETE, resource_type=NET)
        store.add_event(inner.id, "a-inner", Action.CREATE, Status.IN_PROGRESS)
        tally = OperationTally()

        first = values(tally.read(store))
        assert not any(name == "crossheat_operations_total" for name, _ in first)

        # the create ends after that scrape: its start, read then, still times it
        store.add_event(inner.id, "a-inner", Action.CREATE, Status.COMPLETE)  # nested: no op
        store.add_event(a.id, "a", Action.CREATE, Status.COMPLETE)
        b = store.create_stack("b", "default", StackSpec(template={}))
        store.add_event(b.id, "b", Action.CHECK, Status.IN_PROGRESS)
        store.add_event(b.id, "port", Action.CHECK, Status.FAILED, resource_type=PORT,
                        region="West")  # fmt: skip
        store.add_event(inner.id, "net", Action.CHECK, Status.FAILED, resource_type=NET,
                        region="East")  # fmt: skip
        store.add_event(b.id, "b", Action.CHECK, Status.FAILED)
        second = values(tally.read(store))
        third = values(tally.read(store))

    assert read == [2, 6, 0]  # those counted, once each (not the net's CREATE_COMPLETE)
    assert second == third
    ops = {k: v for k, v in second.items() if k[0] == "crossheat_operations_total"}
    assert ops == {
        ("crossheat_operations_total", ("kind=CREATE", "outcome=COMPLETE")): 1,
        ("crossheat_operations_total", ("kind=CHECK", "outcome=FAILED")): 1,
    }
    timed = ("crossheat_operation_duration_seconds_count", ("kind=CREATE", "outcome=COMPLETE"))
    assert second[timed] == 1
    assert second[("crossheat_drift_found_total", ())] == 1
    assert second[("crossheat_drifted_resources_total", ("region=West",))] == 1
    assert second[("crossheat_drifted_resources_total", ("region=East",))] == 1
