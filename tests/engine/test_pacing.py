"""Poll schedules: near the expected time when one is known, a cautious backoff otherwise.

A fake clock stands for time; a "resource" is ready ``ready_at`` seconds after its
action started, and each poll is one GET.
"""

from __future__ import annotations

import pytest

from crossheat.engine.pacing import (
    SPAN,
    Durations,
    Pacer,
    agreed,
    cadence,
    planned_reads,
    tight,
)
from crossheat.errors import StoreError
from crossheat.resources.estimates import estimate
from crossheat.store import Action, Readiness

SERVER = "OS::Nova::Server"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def poll_until_ready(pacer: Pacer, clock: FakeClock, ready_at: float) -> tuple[int, float]:
    """Follow ``pacer`` until a poll sees the resource ready: (GETs, seconds seen late)."""
    started = clock.now
    clock.now += 0.07  # the create call itself
    gets = 0
    while True:
        clock.now += pacer.delay()
        gets += 1
        if clock.now - started >= ready_at:
            pacer.done()
            return gets, clock.now - started - ready_at


def learnt(seconds: list[float]) -> Durations:
    """Durations whose history knows ``seconds`` for servers created in East."""
    history = {(SERVER, "East", "CREATE"): seconds}
    return Durations(lambda *key: list(history.get(key, [])))


#: When servers were seen ready lately: each is an upper bound of when one was.
LATELY = [3.1, 3.25, 3.2, 3.3, 3.15]


@pytest.mark.parametrize(
    ("ready_at", "most_gets"), [(2.9, 1), (3.0, 2), (3.07, 2), (3.2, 3), (3.3, 4)]
)
def test_a_server_as_fast_as_lately_is_seen_within_one_cadence_in_few_gets(
    ready_at: float, most_gets: int
) -> None:
    """The first poll is just before the quickest recent boot, then one every cadence:
    three reads cover a boot up to a cadence slower than that."""
    clock = FakeClock()
    pacer = learnt(LATELY).pacer(SERVER, "East", Action.CREATE, clock)
    gets, late = poll_until_ready(pacer, clock, ready_at)
    assert gets <= most_gets
    assert late <= max(min(LATELY) - cadence(min(LATELY)) - ready_at, cadence(min(LATELY))) + 1e-9


def test_a_finished_resource_teaches_the_next_of_its_type_and_region_only() -> None:
    clock = FakeClock()
    durations = Durations()

    def create() -> tuple[int, float]:
        return poll_until_ready(durations.pacer(SERVER, "East", Action.CREATE, clock), clock, 3.0)

    first_gets, first_late = create()  # polls at 0.1, 1.0 (a tenth of the estimate), 1.8, 3.24
    assert durations.expected(SERVER, "East", "CREATE") == pytest.approx(3.24, abs=0.01)
    assert durations.expected(SERVER, "West", "CREATE") is None
    assert durations.expected(SERVER, "East", "DELETE") is None
    second_gets, second_late = create()
    assert second_gets <= 2 < first_gets
    assert second_late < first_late
    third_gets, third_late = create()
    assert third_gets <= 2
    assert third_late <= cadence(3.0)


def test_history_is_read_once_per_key() -> None:
    asked: list[tuple[str, ...]] = []

    def history(*key: str) -> list[float]:
        asked.append(key)
        return [5.0]

    durations = Durations(history)
    for _ in range(3):
        assert durations.expected(SERVER, "East", "CREATE") == 5.0
    durations.observe(SERVER, "East", "CREATE", 4.0)
    assert durations.expected(SERVER, "East", "CREATE") == 4.0
    assert asked == [(SERVER, "East", "CREATE")]


def test_a_history_that_cannot_be_read_is_no_history() -> None:
    def broken(*key: str) -> list[float]:
        raise StoreError("state database error: gone")

    clock = FakeClock()
    gets, _ = poll_until_ready(
        Durations(broken).pacer(SERVER, "East", Action.CREATE, clock), clock, 0.05
    )
    assert gets == 1


def test_the_expectation_is_the_shortest_of_the_last_five() -> None:
    durations = learnt([1.0, 100.0, 100.0])
    assert durations.expected(SERVER, "East", "CREATE") == 1.0
    for seconds in (3.0, 3.1, 3.2, 2.9):
        durations.observe(SERVER, "East", "CREATE", seconds)
    assert durations.expected(SERVER, "East", "CREATE") == pytest.approx(2.9)
    durations.observe(SERVER, "East", "CREATE", 4.0)  # 2.9 is still among the last five
    assert durations.expected(SERVER, "East", "CREATE") == pytest.approx(2.9)


def test_knowing_nothing_a_quick_resource_is_seen_at_once() -> None:
    clock = FakeClock()
    gets, late = poll_until_ready(
        Durations().pacer(SERVER, "East", Action.CREATE, clock), clock, 0.05
    )
    assert gets == 1
    assert late < 0.1


def test_knowing_nothing_a_slow_server_costs_few_gets_and_is_seen_in_bounded_time() -> None:
    clock = FakeClock()
    gets, late = poll_until_ready(
        Durations().pacer(SERVER, "East", Action.CREATE, clock), clock, 60.0
    )
    assert gets <= 30  # a fixed 2 s backoff would read it 30 times
    assert late <= max(2.0, estimate(SERVER) / 4)


def test_a_server_much_slower_than_lately_costs_about_what_knowing_nothing_does() -> None:
    clock = FakeClock()
    misled = learnt([3.0, 3.0, 3.0]).pacer(SERVER, "East", Action.CREATE, clock)
    gets, late = poll_until_ready(misled, clock, 30.0)
    blind, _ = poll_until_ready(
        Durations().pacer(SERVER, "East", Action.CREATE, clock), clock, 30.0
    )
    assert gets <= blind + 4  # blind: 0.1, 1.0, 1.8, 3.24, 5.8, then every 2.5 s
    assert late <= max(2.0, estimate(SERVER) / 4)


def test_deletes_do_not_use_the_creation_estimate() -> None:
    clock = FakeClock()
    gets, late = poll_until_ready(
        Durations().pacer(SERVER, "East", Action.DELETE, clock), clock, 0.05
    )
    assert (gets, late < 0.1) == (1, True)
    assert Durations().pacer(SERVER, "East", Action.DELETE, clock).scale == 0.0


def seen_in(durations: Durations, resource_type: str, seconds: float) -> None:
    """``resource_type`` took ``seconds`` to create in East, this run."""
    durations.observe(resource_type, "East", "CREATE", seconds)


@pytest.mark.parametrize("boot", [2.0, 3.0, 3.2])
def test_a_first_server_on_a_cloud_whose_creates_take_a_second_costs_three_gets(
    boot: float,
) -> None:
    """Never seen a server, but a network took 1 s: the first read is at that latency
    (nothing is ready sooner), then each at 1.8x the time of the previous."""
    clock = FakeClock()
    durations = Durations()
    seen_in(durations, "OS::Neutron::Net", 1.0)
    gets, late = poll_until_ready(
        durations.pacer(SERVER, "East", Action.CREATE, clock), clock, boot
    )
    assert gets <= 3
    assert late <= 0.8 * boot


def test_the_cloud_latency_is_the_quickest_create_there_of_a_type_that_calls_the_cloud() -> None:
    durations = Durations()
    assert durations.latency("East", "CREATE") is None
    seen_in(durations, "OS::Heat::RandomString", 0.001)  # no cloud call: says nothing
    assert durations.latency("East", "CREATE") is None
    seen_in(durations, "OS::Neutron::Router", 1.5)
    seen_in(durations, "OS::Neutron::Net", 1.1)
    seen_in(durations, "OS::Neutron::Net", 0.9)
    durations.observe("OS::Neutron::Net", "West", "CREATE", 0.2)
    durations.observe("OS::Neutron::Net", "East", "DELETE", 0.3)
    assert durations.latency("East", "CREATE") == pytest.approx(0.9)


def test_on_a_quick_cloud_a_first_server_is_still_read_at_once() -> None:
    """A latency under the shortest pause keeps the first read at 0.1 s."""
    clock = FakeClock()
    durations = Durations()
    seen_in(durations, "OS::Neutron::Net", 0.01)
    gets, late = poll_until_ready(
        durations.pacer(SERVER, "East", Action.CREATE, clock), clock, 0.05
    )
    assert (gets, late < 0.1) == (1, True)


def test_a_learnt_duration_wins_over_the_cloud_latency() -> None:
    clock = FakeClock()
    durations = learnt([3.0])
    seen_in(durations, "OS::Neutron::Net", 1.0)
    gets, late = poll_until_ready(durations.pacer(SERVER, "East", Action.CREATE, clock), clock, 3.0)
    assert gets <= 2
    assert late <= cadence(3.0)


def test_a_first_delete_is_paced_by_the_create_of_its_type_there() -> None:
    """Never deleted a server in East, but one booted there in 3 s: a delete that takes
    as long is seen a tenth of that late at most, and the next delete, paced by the
    first, within a cadence (a first delete seen late would teach every later one to
    wait as long)."""
    clock = FakeClock()
    durations = learnt([3.0])
    _, first_late = poll_until_ready(
        durations.pacer(SERVER, "East", Action.DELETE, clock), clock, 3.0
    )
    assert first_late <= 0.3
    gets, late = poll_until_ready(durations.pacer(SERVER, "East", Action.DELETE, clock), clock, 3.0)
    assert (gets <= 3, late <= cadence(3.0)) == (True, True)
    west_gets, _ = poll_until_ready(
        durations.pacer(SERVER, "West", Action.DELETE, clock), clock, 0.05
    )
    assert west_gets == 1  # nothing known there: a quick delete is still seen at once


def test_a_delete_seen_late_once_is_unlearnt_in_a_few_deletes() -> None:
    """A first delete seen at 4.4 s (it took 3): the next ones read once at four fifths
    of what they expect, so within four deletes one is seen within a cadence, in three
    reads at most (the cadence alone would take about eight deletes)."""
    clock = FakeClock()
    durations = Durations()
    durations.observe(SERVER, "East", "DELETE", 4.4)
    seen = [
        poll_until_ready(durations.pacer(SERVER, "East", Action.DELETE, clock), clock, 3.0)
        for _ in range(4)
    ]
    assert all(gets <= 3 for gets, _ in seen)
    assert seen[-1][1] <= cadence(3.0)


# Readiness bounds: each poll tells the pacer when it was sent and what it found.


def read_until_ready(pacer: Pacer, clock: FakeClock, ready_at: float) -> list[float]:
    """Follow ``pacer``, telling it what each poll found, until one sees the resource
    ready; when each poll was sent, from the action's start."""
    started = clock.now
    clock.now += 0.02  # the create call itself
    sent: list[float] = []
    while True:
        clock.now += pacer.delay()
        at = clock.now - started
        sent.append(at)
        pacer.polled(at, at >= ready_at)
        clock.now += 0.005  # the GET
        if at >= ready_at:
            pacer.done()
            return sent


def bounded(samples: list[Readiness]) -> Durations:
    """Durations whose history knows ``samples`` (and slower durations from the events)
    for servers created in East."""
    return Durations(lambda *key: [4.0], lambda *key: list(samples))


def test_consistent_narrow_bounds_mean_one_read_at_their_end() -> None:
    clock = FakeClock()
    durations = bounded([Readiness(2.9, 3.2), Readiness(3.01, 3.5), Readiness(0.0, 3.03)])
    assert durations.window(SERVER, "East", "CREATE") == (3.01, 3.03)
    assert read_until_ready(durations.pacer(SERVER, "East", Action.CREATE, clock), clock, 3.02) == [
        pytest.approx(3.03)
    ]


def test_a_wide_interval_is_cut_and_each_run_narrows_it_until_one_read_suffices() -> None:
    """Known to be ready in (2.0, 3.2]: read at thirds, then at the end; the interval a
    run leaves is the third it was seen in, until it is tight (1% of its end)."""
    assert planned_reads(2.0, 3.2) == pytest.approx([2.4, 2.8, 3.2])
    assert planned_reads(3.0, 3.05) == pytest.approx([3.025, 3.05])  # two parts are enough
    assert planned_reads(3.0, 3.02) == [3.02]
    clock = FakeClock()
    durations = bounded([Readiness(2.0, 3.2)])
    reads = []
    for _ in range(5):
        reads.append(
            read_until_ready(durations.pacer(SERVER, "East", Action.CREATE, clock), clock, 3.02)
        )
    assert [len(sent) for sent in reads] == [3, 2, 2, 2, 1]  # (2.8, 3.2], (2.93, 3.07]...
    assert reads[0] == pytest.approx([2.4, 2.8, 3.2])
    low, high = durations.window(SERVER, "East", "CREATE") or (0, 0)
    assert low < 3.02 <= high <= low + tight(high)
    assert reads[-1][-1] - 3.02 <= tight(3.02)


def test_bounds_that_disagree_lately_mean_the_expected_duration_schedule() -> None:
    """A jittery cloud: two of the last five bounds disagree with those before them."""
    samples = [Readiness(3.0, 3.1), Readiness(3.3, 3.4), Readiness(2.8, 2.9)]
    assert agreed(samples) is None
    clock = FakeClock()
    durations = bounded(samples)
    pacer = durations.pacer(SERVER, "East", Action.CREATE, clock)
    clock.now += 0.02
    assert pacer.delay() == pytest.approx(4.0 - cadence(4.0) - 0.02)  # as without bounds


def test_one_disagreement_starts_the_interval_afresh() -> None:
    """The cloud got slower once: the bounds after it are the new ones."""
    assert agreed([Readiness(2.9, 3.0), Readiness(3.0, 3.6)]) == (3.0, 3.6)
    assert agreed([Readiness(2.9, 3.0), Readiness(3.0, 3.6), Readiness(3.3, 3.8)]) == (3.3, 3.6)


def test_a_cloud_that_got_slower_is_followed_within_a_few_operations() -> None:
    clock = FakeClock()
    durations = bounded([Readiness(2.99, 3.02)] * 5)
    late = []
    reads = []
    for _ in range(5):
        sent = read_until_ready(durations.pacer(SERVER, "East", Action.CREATE, clock), clock, 3.5)
        reads.append(len(sent))
        late.append(sent[-1] - 3.5)
    assert reads[0] <= 12  # a read at 3.02, three every 30 ms, then growing pauses
    assert late[0] <= 0.5 * (3.5 - 3.02) + 0.001
    assert reads[-1] == 1
    assert late[-1] <= tight(3.5)


def test_a_steady_cloud_read_once_keeps_its_bounds_until_they_age_out() -> None:
    clock = FakeClock()
    durations = bounded([Readiness(3.0, 3.02)])
    for _ in range(SPAN - 1):
        sent = read_until_ready(durations.pacer(SERVER, "East", Action.CREATE, clock), clock, 3.01)
        assert sent == [pytest.approx(3.02)]
    # The last read that found it not ready is past the last SPAN: the interval opens.
    read_until_ready(durations.pacer(SERVER, "East", Action.CREATE, clock), clock, 3.01)
    assert durations.window(SERVER, "East", "CREATE") == (0.0, pytest.approx(3.02))


def test_a_poll_that_found_it_ready_at_once_bounds_it_from_zero() -> None:
    clock = FakeClock()
    pacer = Durations().pacer(SERVER, "East", Action.DELETE, clock)
    assert pacer.readiness() is None
    read_until_ready(pacer, clock, 0.05)
    assert pacer.readiness() == Readiness(0.0, pytest.approx(0.1))


def test_deletes_read_at_the_bounds_their_own_deletes_left() -> None:
    clock = FakeClock()
    history = {(SERVER, "East", "DELETE"): [Readiness(2.98, 3.0)]}
    durations = Durations(lambda *key: [4.0], lambda *key: list(history.get(key, [])))
    sent = read_until_ready(durations.pacer(SERVER, "East", Action.DELETE, clock), clock, 2.99)
    assert sent == [pytest.approx(3.0)]  # no probe at 0.8 of the expected time
