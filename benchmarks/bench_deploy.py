"""Deploy and delete multi-region stacks against the emulator, through crossheat's engine.

::

    .venv/bin/python -m benchmarks.bench_deploy [reference] [generated] [cli] [served]

- ``reference``: ``examples/east-west-vpn.yaml`` with the emulator's latencies at 1 s per
  resource and 3 s per server (no jitter). Target: create within 1.05x its critical path,
  the longest chain of those latencies through the template's dependency graph (a
  tunnel is up once both its connections are past their latency, which the chain through
  each connection covers). Deletes take those latencies too (a server is gone once its
  latency has passed, a Neutron DELETE answers after its kind's), so ``delete_s`` is
  reported beside ``delete_critical_path_s``, the longest chain of delete latencies
  (dependents first), with every run's in ``delete_runs``.
- ``generated``: ``benchmarks.generate`` with 500 resources over 5 regions, zero latency.
  Target: 100 resources/s or more.
- ``cli``: the reference case again as a user types it, ``crossheat stack create --wait``
  as a process (interpreter start-up and validation included; crossheat's modules
  compiled to bytecode first, as an installed package has them), same target.
- ``served``: the same commands with ``--url`` against a ``crossheat serve`` started
  once before (SQLite; operations run in the server, its imports and cloud sessions
  warm): what a command costs when the engine is a service, same target. ``engine_cpu_s``
  is the command's own CPU time (the server's is not counted).

``gets_per_server`` counts the polls of each server while it boots (``GET`` of one
server per ``POST``). Polls are paced by how long servers took lately (see
``crossheat.engine.pacing``), so the first round in a fresh state database, which knows
nothing yet, is also shown: ``cold_ratio`` and ``cold_gets_per_server``.

The emulator runs as its own process; the engine runs in this process
(``Service.create_stack`` then ``Stacks.run``), so ``create_s`` and ``delete_s`` time
the engine alone and ``validate_s`` the validation and recording before it; ``engine_cpu_s``
is this process's CPU time during the create (wall time well above it means the engine
waited: for the cloud, or for a CPU other programs held); in the ``cli`` row it is the
command's own CPU time, start-up included. Each case runs create+delete
``RUNS`` times (``REFERENCE_RUNS`` for the reference cases; new stack names, same
emulator and state database) and reports the run with the median
create time, all of them in ``create_runs``. API calls
are the emulator's own counts of regional calls (``/admin/counters``; Keystone's are
left out: one token per cloud and operation). ``load`` is
the 1-minute load average when the row was measured. Writes ``results/deploy.json``
and the calls by method and path to ``results/deploy_calls.json``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from benchmarks.common import report
from benchmarks.deploy_env import BIG_QUOTAS, World, compile_crossheat, emulator, private_world
from benchmarks.generate import region_map, write
from benchmarks.local import serving
from crossheat.emulator.core import Latency
from crossheat.graph import Graph
from crossheat.service import Inputs, Service

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "examples" / "east-west-vpn.yaml"
PARAMETERS = {"vpn_psk": "benchmark-pre-shared-key"}
REFERENCE_LATENCY = "default=1,server=3,jitter=0"
CRITICAL_PATH_TARGET = 1.05
RATE_TARGET = 100.0
GENERATED_SIZE, GENERATED_REGIONS = 500, 5
#: Create+delete rounds per case; the median is reported (the others beside it).
RUNS = 3
#: The reference cases run more rounds: polls are paced by what earlier rounds saw
#: (the first round knows nothing), and the median should be one that knows.
REFERENCE_RUNS = 5
#: The emulator's latency kind of each resource type crossheat waits for. Types not
#: listed (OS::Heat::Value) make no cloud call. A port is ready on creation for
#: crossheat (its DOWN -> ACTIVE change does not hold up the stack), so it is 0.
LATENCY_KIND = {
    "OS::Neutron::Net": "network",
    "OS::Neutron::Subnet": "subnet",
    "OS::Neutron::Router": "router",
    "OS::Neutron::RouterInterface": "router_interface",
    "OS::Neutron::SecurityGroup": "security_group",
    "OS::Neutron::VPNService": "vpnservice",
    "OS::Neutron::IKEPolicy": "ikepolicy",
    "OS::Neutron::IPsecPolicy": "ipsecpolicy",
    "OS::Neutron::IPsecSiteConnection": "ipsec_site_connection",
    "OS::Nova::Server": "server",
}
#: A delete waits for ``{kind}_delete`` (which is ``{kind}`` unless set), ports included
#: (Neutron's DELETE takes its time).
DELETE_LATENCY_KIND = {
    name: f"{kind}_delete" for name, kind in {**LATENCY_KIND, "OS::Neutron::Port": "port"}.items()
}
COLUMNS = ("case", "measured", "resources", "regions", "validate_s", "create_s", "create_runs",
           "engine_cpu_s", "critical_path_s",
           "ratio", "resources_per_s", "target", "met", "calls_per_resource", "gets_per_server",
           "cold_ratio", "cold_gets_per_server", "delete_s",
           "delete_runs", "delete_critical_path_s", "delete_ratio",
           "delete_calls_per_resource", "cleaned_up", "load")  # fmt: skip
#: Polls of a server while it boots: each ``GET`` of one server (the create is a ``POST``).
SERVER_GET, SERVER_POST = "GET /compute/v2.1/servers/{id}", "POST /compute/v2.1/servers"


def critical_path(
    template: Path, latency: Latency, kinds: dict[str, str] = LATENCY_KIND
) -> tuple[float, list[str]]:
    """The longest chain of emulator latencies (of ``kinds``) through ``template``'s
    dependency graph. The same chain read backwards is the longest for a delete, which
    takes the resources in the reverse order."""
    service = Service()
    analysis = service.validate(Inputs.from_files(template, parameters=PARAMETERS))
    assert analysis.ok, analysis.errors[:3]
    graph: Graph[str] = analysis.graph
    weights = {
        name: latency.base(kinds[cls.type_name]) if cls.type_name in kinds else 0.0
        for name, cls in analysis.types.items()
    }
    return graph.critical_path(weights)


def _row(case: str, measured: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS, "")
    row.update(case=case, measured=measured, load=round(os.getloadavg()[0], 2), **values)
    return row


def deploy_and_delete(
    world: World, name: str, template: Path, parameters: dict[str, str]
) -> dict[str, Any]:
    """Create then delete ``template`` as stack ``name`` in this process; times and calls."""
    service = Service(database_url=world.database_url)
    try:
        started = time.perf_counter()
        begun = service.create(name, Inputs.from_files(template, parameters=parameters))
        validated = time.perf_counter()
        world.admin.reset_counters()
        cpu = time.process_time()
        created = service.run_here(begun)
        create_s = time.perf_counter() - validated
        cpu = time.process_time() - cpu
        if created.stack_status != "CREATE_COMPLETE":
            raise RuntimeError(f"{name}: {created.stack_status} {created.status_reason}")
        count = len(service.resources(created))
        create_calls = world.calls()
        world.admin.reset_counters()
        started_delete = time.perf_counter()
        deleted = service.run_here(service.delete(created))
        delete_s = time.perf_counter() - started_delete
        if deleted.stack_status != "DELETE_COMPLETE":
            raise RuntimeError(f"{name}: {deleted.stack_status} {deleted.status_reason}")
        return {
            "resources": count,
            "validate_s": round(validated - started, 3),
            "create_s": round(create_s, 3),
            "engine_cpu_s": round(cpu, 3),
            "delete_s": round(delete_s, 3),
            "create_calls": create_calls,
            "delete_calls": world.calls(),
        }
    finally:
        service.close()


def median_run(
    world: World, name: str, template: Path, parameters: dict[str, str], runs: int
) -> dict[str, Any]:
    """``runs`` create+delete rounds; the round with the median create time, and all of
    them as ``create_runs`` ("6.71/6.75/6.90"): the machine is shared, so one run is noisy.
    The first round, in a fresh state database (nothing learnt of the cloud's pace
    yet), is also kept as ``cold``."""
    results = [deploy_and_delete(world, f"{name}-{i}", template, parameters) for i in range(runs)]
    return _median(results)


def _median(results: list[dict[str, Any]]) -> dict[str, Any]:
    cold = results[0]
    results = sorted(results, key=lambda got: float(got["create_s"]))
    median = dict(results[len(results) // 2])
    median["create_runs"] = "/".join(f"{got['create_s']:.2f}" for got in results)
    median["delete_runs"] = "/".join(f"{got['delete_s']:.2f}" for got in results)
    median["cold"] = cold
    return median


def _cleaned(world: World, regions: list[str]) -> bool:
    return not any(world.leftovers(region) for region in regions)


def _per_resource(calls: Counter[str], resources: int) -> float:
    return round(sum(calls.values()) / max(1, resources), 2)


def _gets_per_server(calls: Counter[str]) -> float | str:
    return round(calls[SERVER_GET] / calls[SERVER_POST], 2) if calls[SERVER_POST] else ""


def _against_path(got: dict[str, Any], path_s: float) -> dict[str, Any]:
    """The ratios to the critical path and the server polls, median and first run."""
    cold = got["cold"]
    return {
        "critical_path_s": path_s,
        "ratio": round(got["create_s"] / path_s, 3),
        "target": f"ratio <= {CRITICAL_PATH_TARGET}",
        "met": got["create_s"] <= CRITICAL_PATH_TARGET * path_s,
        "gets_per_server": _gets_per_server(got["create_calls"]),
        "cold_ratio": round(cold["create_s"] / path_s, 3),
        "cold_gets_per_server": _gets_per_server(cold["create_calls"]),
    }


def reference(tmp: Path, runs: int = REFERENCE_RUNS) -> tuple[dict[str, Any], Counter[str]]:
    """The reference use case under 1 s / 3 s latencies, against its critical path."""
    regions = ["East", "West"]
    with private_world(tmp) as world, emulator(world, regions, REFERENCE_LATENCY):
        latency = Latency.from_spec(REFERENCE_LATENCY)
        path_s, chain = critical_path(REFERENCE, latency)
        delete_path_s, delete_chain = critical_path(REFERENCE, latency, DELETE_LATENCY_KIND)
        got = median_run(world, "reference", REFERENCE, PARAMETERS, runs)
        row = _row(
            "reference", "engine", **_against_path(got, path_s),
            **_common(got, regions), cleaned_up=_cleaned(world, regions),
            delete_critical_path_s=delete_path_s,
            delete_ratio=round(got["delete_s"] / delete_path_s, 3),
        )  # fmt: skip
        print(f"critical path {path_s:g} s: {' -> '.join(chain)}", flush=True)
        print(f"delete critical path {delete_path_s:g} s: {' <- '.join(delete_chain)}", flush=True)
    return row, got["create_calls"]


def _common(got: dict[str, Any], regions: list[str]) -> dict[str, Any]:
    return {
        "resources": got["resources"],
        "regions": len(regions),
        "validate_s": got["validate_s"],
        "create_s": got["create_s"],
        "create_runs": got["create_runs"],
        "engine_cpu_s": got["engine_cpu_s"],
        "resources_per_s": round(got["resources"] / got["create_s"], 1),
        "calls_per_resource": _per_resource(got["create_calls"], got["resources"]),
        "delete_s": got["delete_s"],
        "delete_runs": got["delete_runs"],
        "delete_calls_per_resource": _per_resource(got["delete_calls"], got["resources"]),
    }


def generated(
    tmp: Path, size: int = GENERATED_SIZE, count: int = GENERATED_REGIONS, runs: int = RUNS
) -> tuple[dict[str, Any], Counter[str]]:
    """A generated stack of ``size`` resources over ``count`` regions at zero latency."""
    regions = [f"R{i:02d}" for i in range(count)]
    with private_world(tmp) as world:
        world.region_map_file.parent.mkdir(parents=True, exist_ok=True)
        world.region_map_file.write_text(yaml.safe_dump(region_map(len(regions), "emulator")))
        template = write(tmp / "generated.yaml", size, count)
        with emulator(world, regions, "", BIG_QUOTAS):
            got = median_run(world, "generated", template, {}, runs)
            row = _row(
                f"generated {size}x{count}", "engine",
                target=f">= {RATE_TARGET:g} resources/s",
                met=got["resources"] / got["create_s"] >= RATE_TARGET,
                **_common(got, regions), cleaned_up=_cleaned(world, regions),
            )  # fmt: skip
    return row, got["create_calls"]


def _crossheat(*args: str) -> tuple[float, float]:
    """Run ``crossheat ARGS`` as a process; its wall-clock and CPU (user + system) seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "crossheat", *args], check=True, capture_output=True, text=True,
        env=dict(os.environ), timeout=600,
    )  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def cli(tmp: Path, runs: int = REFERENCE_RUNS) -> dict[str, Any]:
    """The reference use case as typed: ``crossheat stack create ... --wait`` and delete,
    ``runs`` times in one world (the first one, cold, in a fresh state database)."""
    regions = ["East", "West"]
    compile_crossheat()
    with private_world(tmp) as world, emulator(world, regions, REFERENCE_LATENCY):
        return _typed(world, regions, runs, "CLI process")


def served(tmp: Path, runs: int = REFERENCE_RUNS) -> dict[str, Any]:
    """The reference use case typed against a running server: ``crossheat --url URL stack
    create ... --wait`` and delete as processes, ``crossheat serve`` (SQLite, the engine
    in the server) started once before, as a team runs it."""
    regions = ["East", "West"]
    compile_crossheat()
    with (
        private_world(tmp) as world,
        emulator(world, regions, REFERENCE_LATENCY),
        serving(os.environ) as (url, _),
    ):
        return _typed(world, regions, runs, "CLI via server", "--url", url)


def _typed(
    world: World, regions: list[str], runs: int, measured: str, *root: str
) -> dict[str, Any]:
    """``runs`` rounds of ``crossheat [ROOT...] stack create ... --wait`` then delete, as
    processes; the row of the round with the median create time."""
    path_s, _ = critical_path(REFERENCE, Latency.from_spec(REFERENCE_LATENCY))
    psk = f"vpn_psk={PARAMETERS['vpn_psk']}"
    results = []
    for i in range(runs):
        world.admin.reset_counters()
        create_s, cpu_s = _crossheat(*root, "stack", "create", f"vpn-{i}", "-t", str(REFERENCE),
                                     "--parameter", psk, "--wait")  # fmt: skip
        calls = world.calls()
        delete_s, _ = _crossheat(*root, "stack", "delete", f"vpn-{i}", "--wait", "--yes")
        results.append({"create_s": round(create_s, 3), "delete_s": round(delete_s, 3),
                        "engine_cpu_s": round(cpu_s, 3), "create_calls": calls})  # fmt: skip
    got = _median(results)
    return _row(
        "reference", measured, resources=_count(REFERENCE), regions=len(regions),
        create_s=got["create_s"], create_runs=got["create_runs"],
        engine_cpu_s=got["engine_cpu_s"], **_against_path(got, path_s),
        delete_s=got["delete_s"], cleaned_up=_cleaned(world, regions),
    )  # fmt: skip


def _count(template: Path) -> int:
    return len(yaml.load(template.read_text(), Loader=yaml.CSafeLoader)["resources"])


def _call_rows(calls: dict[str, tuple[Counter[str], int]]) -> list[dict[str, Any]]:
    rows = []
    for case, (counter, resources) in calls.items():
        for call, count in counter.most_common():
            rows.append({"case": case, "call": call, "count": count,
                         "per_resource": round(count / max(1, resources), 3)})  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> None:
    cases = {"reference", "generated", "cli", "served"}
    wanted = cases & set(argv if argv is not None else sys.argv[1:]) or cases
    rows: list[dict[str, Any]] = []
    calls: dict[str, tuple[Counter[str], int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if "reference" in wanted:
            row, counter = reference(Path(tmp) / "reference")
            rows.append(row)
            calls["reference"] = (counter, row["resources"])
        if "cli" in wanted:
            rows.append(cli(Path(tmp) / "cli"))
        if "served" in wanted:
            rows.append(served(Path(tmp) / "served"))
        if "generated" in wanted:
            row, counter = generated(Path(tmp) / "generated")
            rows.append(row)
            calls["generated"] = (counter, row["resources"])
    report("deploy", "deploy and delete through the engine (emulator in its own process)", rows)
    if calls:
        report("deploy_calls", "API calls while creating, by method and path", _call_rows(calls))


if __name__ == "__main__":
    main()
