"""Workers on the job queue (PostgreSQL): one, two and four workers finish a batch
clearly faster each, a killed worker's operations are finished by another without anyone
running a command, a stopped worker hands its operations back, and no stack is ever
worked on by two engines at once: a frozen worker whose stacks another took over writes
and sends nothing when it wakes up, even frozen between recording that it creates a
server, updates or deletes a network and the call.

Each test runs real ``crossheat worker`` processes against the emulator (latencies per
test) on the test session's PostgreSQL schema; the batches are queued as ``stack create``
with ``CROSSHEAT_EXECUTOR=queue`` queues them.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time

import pytest

from crossheat.service.queue import QueueSettings
from tests.e2e.conftest import World, start_emulator
from tests.e2e.workers import (
    RESOURCES,
    TEMPLATE,
    WorkerPool,
    completions,
    counts,
    expected,
    held_by,
    is_stopped,
    queue_creates,
    queue_deletes,
    queue_update,
    snapshot,
    wait_ended,
    worker_pool,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.parametrize("world", ["postgresql"], indirect=True),
]

LATENCY = "default=0.2,server=1"
#: For the tests that wait for take-overs, not for the clouds.
QUICK_LATENCY = "default=0.05,server=0.3"
#: One server that boots in 3 s (every other call takes 0.1 s): a stack whose operation
#: is mostly waiting.
SCALING_LATENCY = "default=0.1,server=3"
SERVER_TEMPLATE = """\
heat_template_version: 2018-08-31
resources:
  server:
    type: OS::Nova::Server
    region: East
    properties: {image: cirros, flavor: m1.small, networks: [{network: public}]}
"""
#: Room for two batches of servers (the emulator allows 10 per project by default).
QUOTAS = "quota.servers=100,quota.cores=200"
STACKS = 8
#: The batch that one, two and four workers take in turn.
BATCH = 4
#: Seconds without a heartbeat after which these workers count one as dead.
STALL_TIMEOUT = 5
#: Workers that count one silent for 5 s as dead, and a stack's lock holder too (their
#: operations renew their locks every second): a frozen worker's stacks are soon taken.
TAKE_OVER = {"CROSSHEAT_STALL_TIMEOUT": str(STALL_TIMEOUT), "CROSSHEAT_LOCK_HEARTBEAT": "1"}


def _names(prefix: str) -> list[str]:
    return [f"{prefix}{index}" for index in range(STACKS)]


def _all_created(world: World, names: list[str], timeout: float) -> None:
    statuses = wait_ended(world, names, timeout)
    assert set(statuses.values()) == {"CREATE_COMPLETE"}, statuses
    once = dict.fromkeys(RESOURCES, 1)
    assert completions(world, names) == dict.fromkeys(names, once)  # nothing done twice


def _delete_all(world: World, names: list[str]) -> None:
    statuses = wait_ended(world, names, 120, queue_deletes(world, names))
    assert set(statuses.values()) == {"DELETE_COMPLETE"}, statuses
    assert world.leftovers("East") == {}
    assert world.leftovers("West") == {}


def test_more_workers_take_a_batch_clearly_faster(world: World) -> None:
    # Four workers running one operation at a time each, started and warmed up (a first
    # operation each, which makes its connections to the clouds) before the clock runs:
    # a batch queued on "one" reaches the first worker alone, on "two" the first two, on
    # "four" all four. A stack mostly waits for its server to boot, so the batch takes 4
    # rounds on one worker, 2 on two and 1 on four however loaded the 2 cores this suite
    # shares are (benchmarks/bench_workers.py reports the speed-up, on larger stacks).
    start_emulator(world, latency=SCALING_LATENCY, faults=QUOTAS)
    # A worker that misses the notification of a job (its fetch raced the others') takes
    # it at its next look: every 0.5 s here, not 2, well under a round.
    with worker_pool(world, CROSSHEAT_QUEUE_POLL="0.5") as pool:
        takes = ["warm0,one,two,four", "warm1,two,four", "warm2,four", "warm3,four"]
        pool.start_many(4, concurrency=1, queues=takes)
        warm = [queues.split(",")[0] for queues in takes]
        for name in warm:
            queue_creates(world, [name], name, SERVER_TEMPLATE)
        _servers_created(world, warm)
        spans = {}
        for queue in ("one", "two", "four"):
            names = [f"{queue}-{index}" for index in range(BATCH)]
            began = queue_creates(world, names, queue, SERVER_TEMPLATE)
            _servers_created(world, names)
            spans[queue] = time.monotonic() - began
        stacks = warm + [f"{queue}-{index}" for queue in spans for index in range(BATCH)]
        with world.service() as service:
            made = [r.physical_id for name in stacks for r in service.resources(name)]
        servers = world.admin.resources("East")["servers"]
        assert sorted(s["id"] for s in servers) == sorted(made)  # one each, nothing more
        assert len(set(made)) == len(stacks)
        assert spans["two"] < 0.75 * spans["one"], spans
        assert spans["four"] < 0.75 * spans["two"], spans


def _servers_created(world: World, names: list[str]) -> None:
    statuses = wait_ended(world, names, 120)
    assert set(statuses.values()) == {"CREATE_COMPLETE"}, statuses


def test_a_killed_workers_operations_are_finished_by_another(world: World) -> None:
    start_emulator(world, latency=LATENCY, faults=QUOTAS)
    names = _names("k-")
    with worker_pool(world, CROSSHEAT_STALL_TIMEOUT=str(STALL_TIMEOUT)) as pool:
        doomed = pool.start(concurrency=4)
        pool.start(concurrency=4)
        queue_creates(world, names)
        pool.wait_running(doomed, 4)  # each holds four stacks
        time.sleep(0.5)  # its stacks are part-way
        assert pool.stop(doomed, signal.SIGKILL) == -signal.SIGKILL
        assert "queued again" not in pool.logs()
        _all_created(world, names, STALL_TIMEOUT + 60)
        assert "jobs [" in pool.logs() and "of workers silent" in pool.logs()  # the sweep
        assert counts(world, "East") == expected("East", STACKS)
        assert counts(world, "West") == expected("West", STACKS)
        _delete_all(world, names)


def test_a_stopped_worker_hands_its_operations_to_another(world: World) -> None:
    start_emulator(world, latency=LATENCY, faults=QUOTAS)
    names = _names("t-")
    with worker_pool(world) as pool:
        stopped = pool.start(concurrency=4)
        pool.start(concurrency=4)
        queue_creates(world, names)
        pool.wait_running(stopped, 4)  # each holds four stacks, their networks on the way
        began = time.monotonic()
        assert pool.stop(stopped, signal.SIGTERM) == 0  # it paused its four and left
        assert time.monotonic() - began < 15
        assert "paused, queued again" in pool.logs()
        _all_created(world, names, 60)
        assert counts(world, "East") == expected("East", STACKS)
        assert counts(world, "West") == expected("West", STACKS)
        _delete_all(world, names)


def _wait_frozen(pool: WorkerPool, processes: list[subprocess.Popen[str]]) -> None:
    deadline = time.monotonic() + 30
    while not all(is_stopped(process.pid) for process in processes):
        assert time.monotonic() < deadline, pool.logs()
        time.sleep(0.05)


def _wake(pool: WorkerPool, processes: list[subprocess.Popen[str]]) -> None:
    """SIGCONT, then each one has found out it lost its stacks; it stops cleanly."""
    for process in processes:
        process.send_signal(signal.SIGCONT)
    deadline = time.monotonic() + 30
    while pool.logs().count("writes nothing more") < len(processes):
        assert time.monotonic() < deadline, pool.logs()
        time.sleep(0.2)
    for process in processes:
        assert pool.stop(process) == 0


def test_a_frozen_worker_is_fenced_off_once_another_has_its_stacks(world: World) -> None:
    start_emulator(world, latency=QUICK_LATENCY, faults=QUOTAS)
    names = _names("f-")
    with worker_pool(world, **TAKE_OVER) as pool:
        # Two workers take four stacks each. One freezes (SIGSTOP) at the worst moment: it
        # has recorded that it creates a server, and not sent the call yet; its other
        # stacks are wherever they are.
        freeze = {"CROSSHEAT_STOP_AT": "create:east_server:before-call"}
        frozen, _ = pool.start_many(2, concurrency=4, envs=[freeze, {}])
        queue_creates(world, names)
        pool.wait_running(frozen, 4)
        _wait_frozen(pool, [frozen])
        its = held_by(world, frozen.pid)
        assert len(its) == 4, its
        # Its jobs go back to the queue once it has been silent for the stall timeout; its
        # stacks are taken once their locks are stale too (by the database's clock), and
        # resumed: the server it was about to create is made by the other worker.
        _all_created(world, names, STALL_TIMEOUT + 60)
        finished = snapshot(world, its)
        _wake(pool, [frozen])  # it wakes up right before its create call
        assert snapshot(world, its) == finished  # it wrote nothing once it woke up
        assert counts(world, "East") == expected("East", STACKS)  # and made nothing
        assert counts(world, "West") == expected("West", STACKS)
        _delete_all(world, names)


RENAMED = TEMPLATE.replace(
    "east_net: {type: OS::Neutron::Net, region: East}",
    "east_net: {type: OS::Neutron::Net, region: East, properties: {name: renamed}}",
)
#: Where the frozen workers stop: right before the update's or the delete's call.
BEFORE_CHANGES = "update:east_net:before-call,delete:east_net:before-call"
#: One network's PUT and DELETE, as the emulator counts them ("PUT /network/.../{id}").
NETWORK_CALLS = (
    re.compile(r"PUT /\S*/networks/\{\w+\}"),
    re.compile(r"DELETE /\S*/networks/\{\w+\}"),
)


def test_frozen_workers_send_no_update_or_delete_once_others_have_their_stacks(
    world: World,
) -> None:
    start_emulator(world, latency=QUICK_LATENCY, faults=QUOTAS)
    with worker_pool(world, **TAKE_OVER) as pool:
        # One operation each: they create a stack each, then one freezes before its
        # update's call (a PUT), the other before its delete's (a DELETE), each having
        # recorded what it does.
        frozen = pool.start_many(2, concurrency=1, CROSSHEAT_STOP_AT=BEFORE_CHANGES)
        queue_creates(world, ["u", "d"])
        _all_created(world, ["u", "d"], 60)
        world.admin.reset_counters()
        queue_update(world, "u", RENAMED)
        ids = queue_deletes(world, ["d"])
        _wait_frozen(pool, frozen)
        assert sorted(held_by(world, frozen[0].pid) + held_by(world, frozen[1].pid)) == [
            "d", "u",
        ]  # fmt: skip
        assert _network_calls(world) == (0, 0)
        pool.start(concurrency=2)  # takes both stacks over once the two are silent
        statuses = wait_ended(world, ["u", "d"], STALL_TIMEOUT + 60, ids)
        assert statuses == {"u": "UPDATE_COMPLETE", "d": "DELETE_COMPLETE"}, pool.logs()
        assert _network_calls(world) == (1, 1), world.admin.counters()["East"]
        finished, sent = snapshot(world, ["u"]), world.admin.counters()["East"]
        _wake(pool, frozen)
        assert world.admin.counters()["East"] == sent  # neither sent its call, nor any
        assert _network_calls(world) == (1, 1), world.admin.counters()["East"]
        assert snapshot(world, ["u"]) == finished  # nor wrote anything
        (network,) = world.admin.resources("East")["networks"]
        assert network["name"] == "renamed"  # u's, renamed once; d's deleted once
        assert counts(world, "East") == expected("East", 1)
        assert counts(world, "West") == expected("West", 1)


def _network_calls(world: World) -> tuple[int, ...]:
    """How many PUTs and DELETEs of networks East was sent."""
    sent = world.admin.counters().get("East", {})
    return tuple(sum(n for key, n in sent.items() if call.fullmatch(key)) for call in NETWORK_CALLS)


EXTRA_SERVER = """\
  extra_server:
    type: OS::Nova::Server
    region: East
    properties:
      image: cirros
      flavor: m1.small
      networks: [{network: {get_resource: east_net}}]
"""


def test_a_cancel_takes_a_queued_update_out_of_the_queue(world: World) -> None:
    start_emulator(world, latency="default=0.02,server=0.2", faults=QUOTAS)
    with worker_pool(world, CROSSHEAT_STALL_TIMEOUT=str(STALL_TIMEOUT)) as pool:
        worker = pool.start(concurrency=2)
        queue_creates(world, ["c"])
        _all_created(world, ["c"], 60)
        assert pool.stop(worker) == 0  # no worker: the update waits in the queue
        before = {region: world.admin.resources(region) for region in ("East", "West")}
        grown = world.tmp / "grown.yaml"
        grown.write_text(TEMPLATE + EXTRA_SERVER)
        queue = {**world.env, "CROSSHEAT_EXECUTOR": "queue"}
        updated = world.run_with_env(queue, "stack", "update", "c", "-t", str(grown))
        assert updated.returncode == 0, updated.stderr
        assert world.show("c")["stack_status"] == "UPDATE_IN_PROGRESS"
        cancelled = world.run_with_env(queue, "stack", "cancel", "c")
        assert cancelled.returncode == 0, cancelled.stderr
        assert "out of the queue" in cancelled.stdout + cancelled.stderr
        assert world.show("c")["stack_status"] == "ROLLBACK_COMPLETE"
        pool.start(concurrency=2)  # a worker again: nothing is left for it to run or resume
        time.sleep(2 * QueueSettings(stall_timeout=STALL_TIMEOUT).sweep_every)  # two sweeps
        stack = world.show("c")
        assert stack["stack_status"] == "ROLLBACK_COMPLETE", stack["stack_status_reason"]
        with world.service() as service:
            assert "extra_server" not in service.template("c")["resources"]  # as it was
        assert {region: world.admin.resources(region) for region in ("East", "West")} == before
        _delete_all(world, ["c"])
