"""A private world for deploy benchmarks: throwaway config and state, an emulator process.

::

    with private_world(Path(tmp)) as world, emulator(world, ["East", "West"],
                                                     latency="default=1,server=3,jitter=0"):
        ...                                   # crossheat in this process reaches that emulator
        world.leftovers(region)              # what a stack left behind in the cloud

Inside ``private_world`` this process's environment points openstacksdk and crossheat at
files under the directory only (``XDG_*``, ``OS_CLIENT_CONFIG_FILE``,
``CROSSHEAT_DATABASE_URL``, ``CROSSHEAT_REGION_MAP``), so nothing the user has is read or
written; the previous environment comes back on exit.
"""

from __future__ import annotations

import compileall
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import crossheat
from crossheat.emulator.client import AdminClient

#: Quotas high enough for the generated stacks (the defaults allow ~100 networks).
BIG_QUOTAS = ",".join(
    f"quota.{name}=100000"
    for name in ("networks", "subnets", "ports", "routers", "security_groups",
                 "security_group_rules", "floatingips", "servers", "cores", "ram")
)  # fmt: skip
#: Things the emulator or Neutron make by themselves: not left over by a stack.
SEEDED_NETWORKS = {"public"}


@dataclass
class World:
    """Where one benchmark keeps its files; ``url`` is set once the emulator answers."""

    root: Path
    url: str = ""

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.root / 'data' / 'crossheat.db'}"

    @property
    def region_map_file(self) -> Path:
        return self.root / "config" / "crossheat" / "regions.yaml"

    @property
    def admin(self) -> AdminClient:
        return AdminClient(self.url)

    def leftovers(self, region: str) -> dict[str, int]:
        """How many resources of each kind are in ``region`` beyond what is seeded."""
        found: dict[str, int] = {}
        for kind, items in self.admin.resources(region).items():
            count = sum(1 for item in items if not _seeded(kind, item))
            if count:
                found[kind] = count
        return found

    def calls(self) -> Counter[str]:
        """API calls since the counters were reset, summed over regions: "METHOD /path"."""
        total: Counter[str] = Counter()
        for counts in self.admin.counters().values():
            total.update(counts)
        return total


def compile_crossheat() -> None:
    """Compile crossheat's modules to bytecode now, as installing a package does: the
    commands timed then load them instead of compiling them at every start (which they
    would do when ``PYTHONDONTWRITEBYTECODE`` is set or the tree is read-only)."""
    compileall.compile_dir(Path(crossheat.__file__).parent, quiet=1)


def _seeded(kind: str, item: dict[str, Any]) -> bool:
    """The seeded external network, and each project's own ``default`` security group."""
    if kind == "networks":
        return item.get("name") in SEEDED_NETWORKS
    if kind in ("security_groups", "security-groups"):
        return item.get("name") == "default"
    return kind in ("security_group_rules", "security-group-rules")


@contextmanager
def private_world(root: Path) -> Iterator[World]:
    """This process's environment pointed at ``root`` for as long as the block runs."""
    world = World(root)
    saved = dict(os.environ)
    for key in [k for k in os.environ if k.startswith(("OS_", "CROSSHEAT_"))]:
        del os.environ[key]
    os.environ.update(
        XDG_CONFIG_HOME=str(root / "config"),
        XDG_STATE_HOME=str(root / "state"),
        XDG_DATA_HOME=str(root / "data"),
        OS_CLIENT_CONFIG_FILE=str(root / "config" / "openstack" / "clouds.yaml"),
        CROSSHEAT_DATABASE_URL=world.database_url,
        CROSSHEAT_REGION_MAP=str(world.region_map_file),
        PYTHONWARNINGS="ignore",
    )
    (root / "data").mkdir(parents=True, exist_ok=True)
    try:
        yield world
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def emulator(world: World, regions: list[str], latency: str = "", faults: str = "",
             ) -> Iterator[str]:  # fmt: skip
    """``crossheat emulator serve`` as its own process (it writes clouds.yaml and the
    region map into the world); yields its URL and stops it on exit."""
    cmd = [sys.executable, "-m", "crossheat.cli.emulator", "serve", "--port", "0",
           "--regions", ",".join(regions), "--state", ":memory:",
           "--latency", latency, "--faults", faults]  # fmt: skip
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError(f"emulator did not start: {line!r}")
        world.url = line.split("listening on", 1)[1].split()[0]
        yield world.url
    finally:
        process.terminate()
        process.wait(timeout=10)
