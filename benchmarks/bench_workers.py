"""Workers on the job queue: 1, 2 and 4 ``crossheat worker`` processes take the same batch.

::

    .venv/bin/python -m benchmarks.bench_workers

PostgreSQL (127.0.0.1:5432, a fresh schema; skipped when it does not answer) and an
emulator with East and West at 1 s per call and 3 s per server boot (no jitter). For
each count of workers, each running ``CONCURRENCY`` operations at once, ``STACKS``
stacks of 7 resources (a network, a subnet, a port and a server in East; a network, a
subnet and a port in West) are queued at once, as ``crossheat stack create`` does with
``CROSSHEAT_EXECUTOR=queue`` (on hold, then released together), and timed until every
one is CREATE_COMPLETE. Reported:
the makespan, operations per second, the speed-up over one worker and its share of the
ideal (goal: at least 0.8 x the number of workers), the connection pool timeouts the
workers logged (goal: none), and whether the emulator holds exactly what the stacks
should have. Writes ``results/workers.json``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from benchmarks.bench_api import postgres_schema
from benchmarks.common import report
from benchmarks.deploy_env import BIG_QUOTAS, emulator, private_world

STACKS = 40
CONCURRENCY = 5
WORKER_COUNTS = (1, 2, 4)
LATENCY = "default=1,server=3,jitter=0"
GOAL_EFFICIENCY = 0.8
#: Room for the three batches' servers (2 GB each).
QUOTAS = BIG_QUOTAS + ",quota.ram=100000000"

TEMPLATE = """\
heat_template_version: 2018-08-31
resources:
  east_net: {type: OS::Neutron::Net, region: East}
  east_subnet:
    type: OS::Neutron::Subnet
    region: East
    properties: {network: {get_resource: east_net}, cidr: 10.1.0.0/24}
  east_port:
    type: OS::Neutron::Port
    region: East
    depends_on: east_subnet
    properties: {network: {get_resource: east_net}}
  east_server:
    type: OS::Nova::Server
    region: East
    properties:
      image: cirros
      flavor: m1.small
      networks: [{port: {get_resource: east_port}}]
  west_net: {type: OS::Neutron::Net, region: West}
  west_subnet:
    type: OS::Neutron::Subnet
    region: West
    properties: {network: {get_resource: west_net}, cidr: 10.2.0.0/24}
  west_port:
    type: OS::Neutron::Port
    region: West
    depends_on: west_subnet
    properties: {network: {get_resource: west_net}}
"""
#: What each stack holds, by region and kind.
PER_STACK = {"East": {"networks": 1, "subnets": 1, "servers": 1}, "West": {"networks": 1}}


#: The batch is queued on hold, then moved to the workers' queue at once (and they are
#: woken up as procrastinate wakes them: a notification on the queue's channel).
HOLD, QUEUE = "bench-hold", "bench"
RELEASE = text(
    "UPDATE procrastinate_jobs SET queue_name = :queue WHERE queue_name = :hold AND status = 'todo'"
)
WAKE_UP = {"channel": f"procrastinate_queue_v1#{QUEUE}", "payload": '{"type": "job_inserted"}'}


def start_workers(count: int, logs: Path) -> list[subprocess.Popen[bytes]]:
    """``count`` workers, once each has said who it is."""
    from crossheat.service import Service
    from crossheat.service.queue import list_workers

    processes = []
    for index in range(count):
        out = open(logs / f"worker-{count}-{index}.log", "w")  # noqa: SIM115
        command = [sys.executable, "-m", "crossheat", "worker", "--queues", QUEUE,
                   "--concurrency", str(CONCURRENCY)]  # fmt: skip
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        processes.append(process)
    pids = {p.pid for p in processes}
    deadline = time.monotonic() + 120
    with Service() as service:
        while {r.pid for r in list_workers(service)} & pids != pids:
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not start within 120 s")
            time.sleep(0.2)
    return processes


def run_batch(prefix: str, template: Path) -> float:
    """Queue ``STACKS`` creates, all at once; seconds until every one has ended."""
    from crossheat.service import Inputs, QueueExecutor, Service, Status
    from crossheat.service.queue import QueueSettings

    with Service() as service:
        # Queued on hold first (creating a stack takes a moment), then released together.
        service.executor = QueueExecutor(service.store, QueueSettings(queue=HOLD))
        ids = [
            service.submit(service.create(f"{prefix}{i:02d}", Inputs.from_files(template))).id
            for i in range(STACKS)
        ]
        with service.store().engine.begin() as conn:
            conn.execute(RELEASE, {"queue": QUEUE, "hold": HOLD})
            conn.execute(text("SELECT pg_notify(:channel, :payload)"), WAKE_UP)
        began = time.monotonic()
        while True:
            stacks = [service.get_by_id(stack_id) for stack_id in ids]
            if all(not s.lock.held and s.status is not Status.IN_PROGRESS for s in stacks):
                elapsed = time.monotonic() - began
                break
            time.sleep(0.25)
        failed = [
            f"{s.name}: {s.stack_status} "
            + "; ".join(e.reason for e in service.events(s) if e.status is Status.FAILED)
            for s in stacks
            if s.stack_status != "CREATE_COMPLETE"
        ]
    if failed:
        raise RuntimeError(f"stacks did not complete: {failed}")
    return elapsed


def exact(world: Any, batches: int) -> bool:
    for region, kinds in PER_STACK.items():
        found = world.leftovers(region)
        if any(found.get(kind, 0) != n * STACKS * batches for kind, n in kinds.items()):
            return False
    return True


def measure(root: Path) -> list[dict[str, Any]]:
    template = root / "stack.yaml"
    template.write_text(TEMPLATE)
    rows: list[dict[str, Any]] = []
    for batch, count in enumerate(WORKER_COUNTS, start=1):
        processes = start_workers(count, root)
        try:
            makespan = run_batch(f"w{count}-", template)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=120)
        logs = "".join(p.read_text() for p in root.glob(f"worker-{count}-*.log"))
        rows.append({"workers": count, "makespan_s": makespan, "batch": batch, "logs": logs})
    return rows


def main(argv: list[str] | None = None) -> None:
    with postgres_schema() as url:
        if url is None:
            print("bench_workers: PostgreSQL at 127.0.0.1:5432 does not answer; skipped")
            return
        with tempfile.TemporaryDirectory() as tmp, private_world(Path(tmp)) as world:
            os.environ["CROSSHEAT_DATABASE_URL"] = url
            with emulator(world, ["East", "West"], latency=LATENCY, faults=QUOTAS):
                rows = measure(Path(tmp))
                all_there = exact(world, len(WORKER_COUNTS))
    single = rows[0]["makespan_s"]
    table = []
    for row in rows:
        speedup = single / row["makespan_s"]
        table.append({
            "workers": row["workers"],
            "concurrency_each": CONCURRENCY,
            "stacks": STACKS,
            "makespan_s": row["makespan_s"],
            "ops_per_s": STACKS / row["makespan_s"],
            "speedup": speedup,
            "efficiency": speedup / row["workers"],
            "goal_met": speedup >= GOAL_EFFICIENCY * row["workers"],
            "pool_timeouts": row["logs"].count("QueuePool limit"),
            "errors": row["logs"].count(" ERROR "),
            "exact_resources": all_there,
        })  # fmt: skip
    report("workers", "Workers on the job queue (40 stacks of 7 resources, 1 s/call)", table)


if __name__ == "__main__":
    main(sys.argv[1:])
