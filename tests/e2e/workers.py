"""``crossheat worker`` processes and a batch of stacks on the job queue, for e2e tests.

with worker_pool(world) as pool:
    first = pool.start(concurrency=4)
    queue_creates(world, names)               # the batch, queued (PostgreSQL)
    pool.wait_running(first, 4)
    statuses = wait_ended(world, names)
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from crossheat.service import Inputs, QueueExecutor, Status
from crossheat.service.queue import DEFAULT_QUEUE, QueueSettings, list_workers
from tests.e2e.conftest import World

#: Five resources per stack: a network, a subnet and a server in East, a network and a
#: subnet in West.
TEMPLATE = """\
heat_template_version: 2018-08-31
resources:
  east_net: {type: OS::Neutron::Net, region: East}
  east_subnet:
    type: OS::Neutron::Subnet
    region: East
    properties: {network: {get_resource: east_net}, cidr: 10.1.0.0/24}
  east_server:
    type: OS::Nova::Server
    region: East
    depends_on: east_subnet
    properties:
      image: cirros
      flavor: m1.small
      networks: [{network: {get_resource: east_net}}]
  west_net: {type: OS::Neutron::Net, region: West}
  west_subnet:
    type: OS::Neutron::Subnet
    region: West
    properties: {network: {get_resource: west_net}, cidr: 10.2.0.0/24}
"""
#: What one stack holds in each region (the kinds counted).
PER_STACK = {
    "East": {"networks": 1, "subnets": 1, "servers": 1},
    "West": {"networks": 1, "subnets": 1},
}
RESOURCES = ("east_net", "east_subnet", "east_server", "west_net", "west_subnet")


@dataclass
class WorkerPool:
    world: World
    env: dict[str, str]
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def start(self, concurrency: int, **env: str) -> subprocess.Popen[str]:
        """``crossheat worker --concurrency N`` (``env`` added to its environment), once it
        has registered."""
        process = self._spawn(concurrency, None, env)
        self.wait_for(lambda rows: any(r.pid == process.pid for r in rows), "registered")
        return process

    def _spawn(
        self, concurrency: int, queues: str | None, env: dict[str, str]
    ) -> subprocess.Popen[str]:
        log = open(self.world.tmp / f"worker-{len(self.processes)}.log", "w")  # noqa: SIM115
        args = [sys.executable, "-m", "crossheat", "worker", "--concurrency", str(concurrency)]
        process = subprocess.Popen(
            args + (["--queues", queues] if queues else []),
            env={**self.env, **env}, cwd=self.world.tmp, stdout=log, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        self.processes.append(process)
        return process

    def start_many(
        self,
        count: int,
        concurrency: int,
        queues: Sequence[str] = (),
        envs: Sequence[dict[str, str]] = (),
        **env: str,
    ) -> list[subprocess.Popen[str]]:
        """``count`` workers started at once (the i-th taking from ``queues[i]`` only, if
        given: ``"a,b"``, with ``envs[i]`` added to ``env``), once each has registered."""
        wanted = list(queues) or [None] * count
        more = list(envs) or [{}] * count
        started = [
            self._spawn(concurrency, wanted[index], {**env, **more[index]})
            for index in range(count)
        ]
        pids = {process.pid for process in started}
        self.wait_for(lambda rows: pids <= {r.pid for r in rows}, f"{count} registered")
        return started

    def wait_running(self, process: subprocess.Popen[str], count: int) -> None:
        self.wait_for(
            lambda rows: sum(r.running for r in rows if r.pid == process.pid) >= count,
            f"running {count} operations",
        )

    def wait_for(self, check: object, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.world.service() as service:
                if check(list_workers(service)):  # type: ignore[operator]
                    return
            time.sleep(0.1)
        raise AssertionError(f"no worker {what} within {timeout} s:\n{self.logs()}")

    def stop(self, process: subprocess.Popen[str], sig: int = signal.SIGTERM) -> int:
        process.send_signal(sig)
        return process.wait(timeout=60)

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.world.tmp.glob("worker-*.log")))


@contextmanager
def worker_pool(world: World, **settings: str) -> Iterator[WorkerPool]:
    """Workers of ``world`` (its PostgreSQL schema), with ``settings`` in their environment
    (``CROSSHEAT_STALL_TIMEOUT``...); every one still running is killed at the end."""
    pool = WorkerPool(world, {**world.env, **settings})
    try:
        yield pool
    finally:
        for process in pool.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def queue_creates(
    world: World, names: Iterable[str], queue: str = DEFAULT_QUEUE, template: str = TEMPLATE
) -> float:
    """Create the stacks from ``template`` through the queue (``stack create`` without
    ``--wait`` and ``CROSSHEAT_EXECUTOR=queue``, ``CROSSHEAT_QUEUE=queue``): recorded
    first, then queued together, so that the workers get the whole batch at once; when
    the first was queued (``time.monotonic``)."""
    path = Path(world.tmp / "stack.yaml")
    path.write_text(template)
    with world.service() as service:
        service.executor = QueueExecutor(service.store, QueueSettings(queue=queue))
        batch = [service.create(name, Inputs.from_files(path)) for name in names]
        queued = time.monotonic()
        for started in batch:
            service.submit(started)
    return queued


def queue_update(world: World, name: str, template: str) -> None:
    """Update the stack to ``template`` (its text) through the queue, as ``stack update``
    with ``CROSSHEAT_EXECUTOR=queue`` does."""
    path = world.tmp / f"{name}-update.yaml"
    path.write_text(template)
    with world.service() as service:
        service.executor = QueueExecutor(service.store, QueueSettings())
        service.submit(service.update(service.prepare_update(name, Inputs.from_files(path))))


def queue_deletes(world: World, names: Iterable[str]) -> dict[str, str]:
    """Delete the stacks through the queue; their ids (for ``wait_ended``: a stack
    deleted already is not found by its name)."""
    ids: dict[str, str] = {}
    with world.service() as service:
        service.executor = QueueExecutor(service.store, QueueSettings())
        for name in names:
            stack = service.deletable(name)
            ids[name] = stack.id
            service.submit(service.delete(stack))
    return ids


def wait_ended(
    world: World, names: list[str], timeout: float, ids: dict[str, str] | None = None
) -> dict[str, str]:
    """Each stack's status once no operation holds or waits for any of them (``timeout``
    seconds at most); a deleted stack reads DELETE_COMPLETE (found by its id in ``ids``)."""
    with world.service() as service:
        ids = {name: (ids or {}).get(name) or service.get(name).id for name in names}
        deadline = time.monotonic() + timeout
        while True:
            stacks = {name: service.get_by_id(ids[name]) for name in names}
            busy = [s for s in stacks.values() if s.lock.held or s.status is Status.IN_PROGRESS]
            if not busy or time.monotonic() > deadline:
                return {name: stack.stack_status for name, stack in stacks.items()}
            time.sleep(0.2)


def counts(world: World, region: str) -> dict[str, int]:
    found = world.admin.resources(region)
    return {kind: len(found.get(kind, [])) for kind in PER_STACK[region]}


def expected(region: str, stacks: int) -> dict[str, int]:
    return {kind: n * stacks for kind, n in PER_STACK[region].items()}


def completions(world: World, names: list[str]) -> dict[str, dict[str, int]]:
    """How many CREATE_COMPLETE events each resource of each stack has."""
    found: dict[str, dict[str, int]] = {}
    with world.service() as service:
        for name in names:
            per = dict.fromkeys(RESOURCES, 0)
            for event in service.events(name):
                if event.resource_name in per and f"{event.action}_{event.status}" == (
                    "CREATE_COMPLETE"
                ):
                    per[event.resource_name] += 1
            found[name] = per
    return found


def held_by(world: World, pid: int) -> list[str]:
    """The stacks whose lock an engine of the worker process ``pid`` holds."""
    with world.service() as service:
        return [
            stack.name
            for stack in service.store().list_stacks(None)
            if (stack.lock.engine_id or "").split(":")[1:2] == [str(pid)]
        ]


def is_stopped(pid: int) -> bool:
    """Whether the process is stopped (SIGSTOP), by its state in ``/proc``."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] == "T"


def snapshot(world: World, names: list[str]) -> list[object]:
    """The stacks' rows as stored: status, resources, events."""
    with world.service() as service:
        found: list[object] = []
        for name in names:
            rows = [
                (r.name, r.resource_status, r.physical_id, r.updated_at)
                for r in service.resources(name)
            ]
            found.append((service.get(name).stack_status, rows, len(service.events(name))))
        return found
