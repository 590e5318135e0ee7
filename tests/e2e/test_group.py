"""A resource group in a multi-region stack: members deployed, read and deleted with it;
resized in place by a stack update, in batches as its update policy says; a failed
update undone, a killed one resumed."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.e2e.conftest import World, start_emulator

TEMPLATE = """\
heat_template_version: 2018-08-31
resources:
  net:
    type: OS::Neutron::Net
    region: West
    properties: {name: group-net}
  subnet:
    type: OS::Neutron::Subnet
    region: West
    properties: {network: {get_resource: net}, cidr: 10.9.0.0/24}
  servers:
    type: OS::Heat::ResourceGroup
    region: West
    depends_on: subnet
    properties:
      count: 2
      resource_def:
        type: OS::Nova::Server
        properties:
          name: web-%index%
          image: cirros
          flavor: m1.tiny
          networks: [{network: {get_resource: net}}]
  label:
    type: OS::Heat::Value
    region: East
    properties: {value: {get_attr: [servers, refs]}}
outputs:
  ids: {value: {get_attr: [servers, refs]}}
  addresses: {value: {get_attr: [servers, attributes, first_address]}}
  seen_in_east: {value: {get_attr: [label, value]}}
"""


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_group_members_are_deployed_and_deleted_with_the_stack(world: World) -> None:
    start_emulator(world)
    template = world.tmp / "group.yaml"
    template.write_text(TEMPLATE)
    stack = world.create("grp", template)
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    outputs = {o["output_key"]: o["output_value"] for o in stack["outputs"]}
    servers = world.admin.resources("West")["servers"]
    assert sorted(s["name"] for s in servers) == ["web-0", "web-1"]
    assert sorted(outputs["ids"]) == sorted(s["id"] for s in servers)
    assert outputs["seen_in_east"] == outputs["ids"]  # read across regions
    assert all(a.startswith("10.9.0.") for a in outputs["addresses"])
    world.delete("grp")
    assert world.leftovers("West") == {} and world.leftovers("East") == {}


NETS = """\
heat_template_version: 2018-08-31
parameters:
  count: {type: number, default: 2}
resources:
  nets:
    type: OS::Heat::ResourceGroup
    region: West
    properties:
      count: {get_param: count}
      resource_def:
        type: OS::Neutron::Net
        properties: {name: grp-net-%index%}
outputs:
  ids: {value: {get_attr: [nets, refs]}}
"""

UPDATE = ("stack", "update", "nets", "--existing", "--parameter")


def group_nets(world: World) -> dict[str, str]:
    """The group's networks in West: name -> id."""
    nets = world.admin.resources("West").get("networks", [])
    return {n["name"]: n["id"] for n in nets if n["name"].startswith("grp-net-")}


def create_nets(world: World) -> list[str]:
    start_emulator(world)
    template = world.tmp / "nets.yaml"
    template.write_text(NETS)
    stack = world.create("nets", template)
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    ids: list[str] = {o["output_key"]: o["output_value"] for o in stack["outputs"]}["ids"]
    assert group_nets(world) == {"grp-net-0": ids[0], "grp-net-1": ids[1]}
    return ids


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_resizing_a_group_adds_or_removes_members_and_keeps_the_others(world: World) -> None:
    old = create_nets(world)
    preview = world.update("nets", existing=True, parameters={"count": "3"}, dry_run=True)
    assert [r["resource_name"] for r in preview["updated"]] == ["nets"]
    assert preview["replaced"] == []
    stack = world.update("nets", existing=True, parameters={"count": "3"})
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    ids = {o["output_key"]: o["output_value"] for o in stack["outputs"]}["ids"]
    assert ids[:2] == old and len(set(ids)) == 3
    assert group_nets(world) == {"grp-net-0": old[0], "grp-net-1": old[1], "grp-net-2": ids[2]}
    stack = world.update("nets", existing=True, parameters={"count": "1"})
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    assert {o["output_key"]: o["output_value"] for o in stack["outputs"]}["ids"] == old[:1]
    assert group_nets(world) == {"grp-net-0": old[0]}  # the two highest went
    world.delete("nets")
    assert world.leftovers("West") == {}


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_a_group_that_cannot_grow_rolls_back_without_leftovers(world: World) -> None:
    old = create_nets(world)
    # room for one more network (the seeded public one counts), not for the two asked
    world.admin.faults({"quota.West.networks": 4})
    done = world.crossheat(*UPDATE, "count=4", "--wait", check=False)
    assert done.returncode == 1
    stack = world.show("nets")
    assert stack["stack_status"] == "ROLLBACK_COMPLETE", stack["stack_status_reason"]
    assert group_nets(world) == {"grp-net-0": old[0], "grp-net-1": old[1]}
    world.admin.faults(reset=True)
    world.delete("nets")
    assert world.leftovers("West") == {}


SERVERS = """\
heat_template_version: 2018-08-31
parameters:
  count: {type: number, default: 4}
  flavor: {type: string, default: m1.tiny}
  batch: {type: number, default: 2}
  role: {type: string, default: web}
resources:
  web:
    type: OS::Heat::ResourceGroup
    region: West
    update_policy:
      batch_create: {max_batch_size: 2, pause_time: 0.5}
      rolling_update: {max_batch_size: {get_param: batch}, min_in_service: 3, pause_time: 0.5}
    properties:
      count: {get_param: count}
      resource_def:
        type: OS::Nova::Server
        properties:
          name: web-%index%
          image: cirros
          flavor: {get_param: flavor}
          networks: []
          metadata: {role: {get_param: role}}
outputs:
  ids: {value: {get_attr: [web, refs]}}
"""

BUSY = ("BUILD", "RESIZE", "VERIFY_RESIZE")  # being made or changed: not in service


@dataclass
class Watch:
    """The region's servers as the emulator shows them, every few hundredths of a second,
    while a command runs: ``(time, {name: (id, status, flavor id)})``."""

    world: World
    region: str = "West"
    samples: list[tuple[float, dict[str, tuple[str, str, str]]]] = field(default_factory=list)

    def __enter__(self) -> Watch:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def _run(self) -> None:
        admin = self.world.admin
        while not self.stop.is_set():
            servers = admin.resources(self.region).get("servers", [])
            seen = {s["name"]: (s["id"], s["status"], s["flavor_id"]) for s in servers}
            self.samples.append((time.monotonic(), seen))
            time.sleep(0.03)

    def first(self, name: str, statuses: tuple[str, ...], flavor: str | None = None) -> float:
        """When ``name`` was first seen in one of ``statuses`` (with that flavor)."""
        return next(
            t for t, seen in self.samples
            if seen.get(name, ("", "", ""))[1] in statuses
            and flavor in (None, seen[name][2])
        )  # fmt: skip

    @property
    def gap(self) -> float:
        """The longest time between two samples: how late a change may be seen."""
        times = [t for t, _ in self.samples]
        return max(b - a for a, b in itertools.pairwise(times))


def servers_of(world: World) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in world.admin.resources("West").get("servers", [])}


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_batch_create_and_rolling_update_work_in_batches_as_in_heat(world: World) -> None:
    start_emulator(world, latency="default=0.02,server=0.3,jitter=0")
    template = world.tmp / "servers.yaml"
    template.write_text(SERVERS)
    bad = world.crossheat("validate", "-t", str(template), "--parameter", "batch=0", check=False)
    assert bad.returncode == 1
    assert "resources.web.update_policy.rolling_update.max_batch_size" in bad.stdout + bad.stderr
    stack = world.create("web", template)
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    made = servers_of(world)
    assert sorted(made) == [f"web-{i}" for i in range(4)]
    ready = sorted(s["ready_at"] for s in made.values())  # made at ready_at - 0.3 s
    assert ready[1] - ready[0] < 0.25 and ready[3] - ready[2] < 0.25  # two batches of two
    assert ready[2] - ready[1] >= 0.3 + 0.5 - 0.01  # the first ACTIVE, then the pause
    ids = {name: s["id"] for name, s in made.items()}
    world.admin.latency({"server": 0.5, "jitter": 0})
    with Watch(world) as watch:
        stack = world.update("web", existing=True, parameters={"flavor": "m1.small"})
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    assert {n: s["id"] for n, s in servers_of(world).items()} == ids  # resized in place
    assert {s["flavor_id"] for s in servers_of(world).values()} == {"2"}
    during = [seen for _, seen in watch.samples]
    assert max(len(seen) for seen in during) == 5  # a spare kept 3 in service
    for seen in during:
        assert sum(status in BUSY for _, status, _ in seen.values()) <= 2
        assert sum(status == "ACTIVE" for _, status, _ in seen.values()) >= 3
    resizing = ("RESIZE", "VERIFY_RESIZE")

    def started(name: str) -> float:
        return watch.first(name, resizing)

    def resized(name: str) -> float:
        return watch.first(name, ("ACTIVE",), flavor="2")

    spare = watch.first("web-4", ("ACTIVE",))
    assert started("web-3") < spare  # batch 1: the spare made, "3" resized
    second = (started("web-2"), started("web-1"))
    assert max(second) < min(resized("web-2"), resized("web-1"))  # batch 2: both at once
    assert min(second) - max(spare, resized("web-3")) >= 0.5 - watch.gap  # the pause
    last = max(resized("web-2"), resized("web-1"))
    assert started("web-0") - last >= 0.5 - watch.gap  # batch 3, after the pause
    world.delete("web")
    assert world.leftovers("West") == {}


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_a_failed_update_changes_back_the_members_it_resized(world: World) -> None:
    start_emulator(world, latency="default=0.02,server=0.2,jitter=0")
    template = world.tmp / "servers.yaml"
    policies = ("update_policy:", "batch_create:", "rolling_update:")
    template.write_text("".join(line for line in SERVERS.splitlines(keepends=True)
                                if not line.strip().startswith(policies)))  # fmt: skip
    stack = world.create("web", template, {"count": "2"})
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    ids = {n: s["id"] for n, s in servers_of(world).items()}
    world.admin.faults({"quota.West.servers": 2})  # "2" cannot be made
    done = world.crossheat(
        "stack", "update", "web", "--existing", "--wait", "--parameter", "count=3",
        "--parameter", "flavor=m1.small", "--parameter", "role=app", check=False,
    )  # fmt: skip
    assert done.returncode == 1
    stack = world.show("web")
    assert stack["stack_status"] == "ROLLBACK_COMPLETE", stack["stack_status_reason"]
    after = servers_of(world)
    assert {n: s["id"] for n, s in after.items()} == ids  # "2" deleted, "0" and "1" kept
    for server in after.values():  # resized and relabelled, then changed back
        assert (server["status"], server["flavor_id"]) == ("ACTIVE", "1")
        assert server["metadata"]["role"] == "web"
    [failed] = [
        e for e in world.events("web")
        if e["resource_type"] == "OS::Heat::ResourceGroup"
        and e["resource_status"] == "UPDATE_FAILED"
    ]  # fmt: skip
    assert "Quota exceeded" in failed["resource_status_reason"]
    assert "its members were put back as they were" in failed["resource_status_reason"]
    world.admin.faults(reset=True)
    world.delete("web")
    assert world.leftovers("West") == {}


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "point",
    [
        "update:web:after-call",  # the group's update started: member "3" being made
        "update:web-1:after-call",  # mid-way: "3" made, "2" resized, "1" asked to
    ],
)
def test_a_group_update_killed_midway_is_finished_by_stack_resume(world: World, point: str) -> None:
    start_emulator(world, latency="default=0.02,server=0.2,jitter=0")
    template = world.tmp / "servers.yaml"
    template.write_text(SERVERS)
    stack = world.create("web", template, {"count": "3"})
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    ids = {n: s["id"] for n, s in servers_of(world).items()}
    update = ("stack", "update", "web", "--existing", "--wait", "--parameter", "count=4")
    done = world.run_with_env(
        {**world.env, "CROSSHEAT_KILL_AT": point},
        *update, "--parameter", "flavor=m1.small", "--parameter", "batch=1",
    )  # fmt: skip
    assert done.returncode == -9, (done.returncode, done.stderr)
    assert world.show("web")["stack_status"] == "UPDATE_IN_PROGRESS"
    stack = world.json("stack", "resume", "web", "--wait")
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    after = servers_of(world)
    assert sorted(after) == [f"web-{i}" for i in range(4)]  # one of each, nothing more
    assert len(world.admin.resources("West")["servers"]) == 4
    assert {n: after[n]["id"] for n in ids} == ids  # resized in place, each once
    assert {s["flavor_id"] for s in after.values()} == {"2"}
    shown = world.show("web")["outputs"]
    outputs = {o["output_key"]: o["output_value"] for o in shown}
    assert outputs["ids"] == [after[f"web-{i}"]["id"] for i in range(4)]
    world.delete("web")
    assert world.leftovers("West") == {}


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_a_batched_create_killed_midway_is_finished_by_stack_resume(world: World) -> None:
    start_emulator(world, latency="default=0.02,server=0.2,jitter=0")
    template = world.tmp / "servers.yaml"
    template.write_text(SERVERS)
    env = {**world.env, "CROSSHEAT_KILL_AT": "create:web-2:after-call"}  # the second batch
    done = world.run_with_env(env, "stack", "create", "web", "-t", str(template), "--wait")
    assert done.returncode == -9, (done.returncode, done.stderr)
    assert sorted(servers_of(world)) == ["web-0", "web-1", "web-2"]
    stack = world.json("stack", "resume", "web", "--wait")
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    assert sorted(servers_of(world)) == [f"web-{i}" for i in range(4)]
    assert len(world.admin.resources("West")["servers"]) == 4  # "2" found, not made again
    world.delete("web")
    assert world.leftovers("West") == {}
