"""Generated multi-region templates for benchmarks (seeded, reproducible).

Each "cell" is a small network stack in one region: a network, a subnet on
it, a security group, a port on the subnet, and a value that reads the port's
address. Every few cells, the value reads a cell of the *previous* region
instead, which makes cross-region references and a deep cross-region chain.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml

CELL = 5  # resources per cell


def generate(resources: int, regions: int, seed: int = 1, cross_every: int = 4) -> dict[str, Any]:
    """A HOT template (as a dict) of about ``resources`` resources over ``regions`` regions."""
    rng = random.Random(seed)
    names = [f"R{i:02d}" for i in range(regions)]
    body: dict[str, Any] = {}
    cells = max(1, resources // CELL)
    for cell in range(cells):
        region = names[cell % regions]
        prefix = f"c{cell:05d}"
        body[f"{prefix}_net"] = {
            "type": "OS::Neutron::Net",
            "region": region,
            "properties": {"name": f"{prefix}-net"},
        }
        octet2, octet3 = divmod(cell, 256)
        body[f"{prefix}_subnet"] = {
            "type": "OS::Neutron::Subnet",
            "region": region,
            "properties": {
                "network": {"get_resource": f"{prefix}_net"},
                "cidr": f"10.{octet2 % 256}.{octet3}.0/24",
            },
        }
        body[f"{prefix}_sg"] = {
            "type": "OS::Neutron::SecurityGroup",
            "region": region,
            "properties": {"name": f"{prefix}-sg"},
        }
        body[f"{prefix}_port"] = {
            "type": "OS::Neutron::Port",
            "region": region,
            "properties": {
                "network": {"get_resource": f"{prefix}_net"},
                "fixed_ips": [{"subnet": {"get_resource": f"{prefix}_subnet"}}],
                "security_groups": [{"get_resource": f"{prefix}_sg"}],
            },
        }
        source = prefix
        if cell >= regions and rng.randrange(cross_every) == 0:
            source = f"c{cell - 1 - rng.randrange(min(cell, regions)):05d}"
        body[f"{prefix}_value"] = {
            "type": "OS::Heat::Value",
            "region": region,
            "properties": {"value": {"get_attr": [f"{source}_port", "fixed_ips", 0, "ip_address"]}},
        }
    return {
        "heat_template_version": "2018-08-31",
        "description": f"generated: {len(body)} resources over {regions} regions",
        "resources": body,
    }


def write(path: Path, resources: int, regions: int, seed: int = 1) -> Path:
    path.write_text(yaml.safe_dump(generate(resources, regions, seed), sort_keys=False))
    return path


def region_map(regions: int, cloud: str = "bench") -> dict[str, Any]:
    return {
        "regions": {
            f"R{i:02d}": {"cloud": cloud, "region_name": f"R{i:02d}"} for i in range(regions)
        },
        "default_region": "R00",
    }
