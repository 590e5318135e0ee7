"""`make demo`: the reference use case (examples/east-west-vpn.yaml), end to end.

Validates the template and shows the plan: resources per region, the
cross-region references between the two IPsec connections and the routers,
and the critical path.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "examples" / "east-west-vpn.yaml"
CROSSHEAT = [sys.executable, "-m", "crossheat"]


def run(*args: str) -> None:
    print(f"\n$ crossheat {' '.join(args)}", flush=True)
    subprocess.run([*CROSSHEAT, *args], check=True)


def main() -> None:
    psk = "demo-pre-shared-key-0123"
    run("validate", "-t", str(TEMPLATE), "--parameter", f"vpn_psk={psk}")
    run("plan", "-t", str(TEMPLATE), "--parameter", f"vpn_psk={psk}")


if __name__ == "__main__":
    main()
