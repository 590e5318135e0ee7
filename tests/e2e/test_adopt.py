"""Heat's abandon and adopt against the emulator: an abandoned stack's cloud resources stay
where they are, and a stack adopted from the abandon data takes them as they are (nothing
made twice), then deletes them like its own."""

from __future__ import annotations

import pytest

from crossheat.service import Inputs
from tests.e2e.conftest import World, start_emulator

pytestmark = pytest.mark.e2e

TEMPLATE = """\
heat_template_version: 2018-08-31
parameters:
  secret: {type: string, hidden: true}
resources:
  net: {type: OS::Neutron::Net, properties: {name: adopted-net}}
  key: {type: OS::Heat::Value, properties: {value: {get_param: secret}}}
  note: {type: OS::Heat::Value, region: West, properties: {value: {get_attr: [net, name]}}}
outputs:
  net: {value: {get_resource: net}}
  note: {value: {get_attr: [note, value]}}
"""


def test_an_adopted_stack_takes_the_abandoned_resources_as_they_are(world: World) -> None:
    start_emulator(world)
    (world.tmp / "net.yaml").write_text(TEMPLATE)
    first = world.create("first", world.tmp / "net.yaml", {"secret": "a-hidden-value"})
    assert first["stack_status"] == "CREATE_COMPLETE", first["stack_status_reason"]
    net_id = {o["output_key"]: o["output_value"] for o in first["outputs"]}["net"]
    with world.service() as service:
        heat = service.heat()
        world.admin.reset_counters()
        data = heat.abandon(heat.find("first"))
        assert data["resources"]["net"]["resource_id"] == net_id
        assert "a-hidden-value" not in str(data)  # sealed, never in clear
        assert world.leftovers("East") == {"networks": ["adopted-net"]}  # left in its cloud
        started = heat.adopt("second", Inputs(None), data)  # the hidden value not named again
        stack = service.run_here(started)
        assert stack.stack_status == "ADOPT_COMPLETE", stack.status_reason
        outputs = {o["output_key"]: o["output_value"] for o in service.outputs("second")}
        assert heat.find("second").spec.parameters == {"secret": "a-hidden-value"}
    calls = [c for region in world.admin.counters().values() for c in region]
    assert not [c for c in calls if c.startswith(("POST", "DELETE", "PUT"))], calls
    assert outputs == {"net": net_id, "note": "adopted-net"}
    assert world.leftovers("East") == {"networks": ["adopted-net"]}  # nothing made twice
    world.delete("second")
    assert world.leftovers("East") == {}
    assert world.leftovers("West") == {}
