"""`make demo`: the reference use case (examples/east-west-vpn.yaml), deployed for real.

1. starts the embedded emulator (regions East and West) in the background, which
   writes its clouds.yaml entry as every OpenStack tool expects;
2. validates the template and shows the plan;
3. deploys it as one stack across both regions, waiting with a live view;
4. shows the stack, its resources per region and its outputs: both IPsec tunnels ACTIVE;
5. says how to delete the stack and stop the emulator.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "examples" / "east-west-vpn.yaml"
REGION_MAP = ROOT / ".demo" / "regions.yaml"
STACK = "demo-vpn"
PSK = "demo-pre-shared-key-0123"
CROSSHEAT = [sys.executable, "-m", "crossheat"]


def run(*args: str, check: bool = True, quiet: bool = False) -> subprocess.CompletedProcess[str]:
    if not quiet:
        print(f"\n$ crossheat {' '.join(args)}", flush=True)
    return subprocess.run([*CROSSHEAT, *args], check=check, text=True, capture_output=quiet)


def emulator_cloud() -> str:
    """The running demo emulator's clouds.yaml entry, starting one if none runs."""
    status = run("emulator", "status", "--json", quiet=True, check=False)
    running = json.loads(status.stdout or "[]") if status.returncode == 0 else []
    if not running:
        run(
            "emulator",
            "start",
            "--port",
            "0",
            "--regions",
            "East,West",
            "--latency",
            "default=0.3,server=2",
        )
        running = json.loads(run("emulator", "status", "--json", quiet=True).stdout)
    return str(running[0]["cloud"])


def write_region_map(cloud: str) -> None:
    REGION_MAP.parent.mkdir(exist_ok=True)
    regions = {name: {"cloud": cloud, "region_name": name} for name in ("East", "West")}
    REGION_MAP.write_text(yaml.safe_dump({"regions": regions, "default_region": "East"}))


def main() -> None:
    write_region_map(emulator_cloud())
    common = ["-t", str(TEMPLATE), "--parameter", f"vpn_psk={PSK}", "--region-map", str(REGION_MAP)]
    run("validate", *common)
    run("plan", *common)
    if run("stack", "show", STACK, quiet=True, check=False).returncode == 0:
        run("stack", "delete", STACK, "--wait", "--yes")
    created = run("stack", "create", STACK, *common, "--wait", check=False)
    run("stack", "resource", "list", STACK)
    run("stack", "output", "show", STACK, "--all")
    run("stack", "output", "show", STACK, "tunnel_status")
    print(
        "\nThe stack spans both regions; both tunnels are ACTIVE above."
        f"\nTo delete it:        .venv/bin/crossheat stack delete {STACK} --wait --yes"
        "\nTo stop the emulator: .venv/bin/crossheat emulator stop"
    )
    sys.exit(created.returncode)


if __name__ == "__main__":
    main()
