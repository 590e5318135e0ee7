"""A check of the reference stack reads each region with list calls only."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_measure(world: World) -> None:
    start_emulator(world, latency="default=0.0,server=0.02")
    stack = world.create("vpn", REFERENCE, {"vpn_psk": PSK})
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    world.admin.reset_counters()
    import logging, sys
    h=logging.StreamHandler(sys.stdout)
    lg=logging.getLogger("keystoneauth.session"); lg.setLevel(logging.DEBUG); lg.addHandler(h)
    with world.service() as service:
        result = service.check("vpn")
    assert result.ok, result.reason
    lg.removeHandler(h)
    print(json.dumps(world.admin.counters(), indent=1))
    print(json.dumps(world.admin.identity_counters(), indent=1))
