"""Ports, floating IPs and security groups through their lifecycles, in the emulator."""

from __future__ import annotations

import pytest

from crossheat.resources.lifecycle import Done, ResourceContext
from crossheat.resources.types.neutron import Net, Router, RouterInterface, Subnet
from crossheat.resources.types.neutron_ports import (
    FloatingIP,
    FloatingIPAssociation,
    Port,
    SecurityGroup,
    SecurityGroupRule,
)
from tests.resources.lifecycle.conftest import MakeCtx
from tests.resources.lifecycle.helpers import after_crash, create, delete, update


@pytest.fixture
def subnet(make_ctx: MakeCtx) -> ResourceContext:
    """A subnet behind a router with a gateway on ``public``."""
    net_ctx, sub_ctx, router_ctx = make_ctx("net"), make_ctx("sub"), make_ctx("router")
    create(Net(), net_ctx, {})
    create(Subnet(), sub_ctx, {"network": net_ctx.physical_id, "cidr": "10.20.0.0/24"})
    create(Router(), router_ctx, {"external_gateway_info": {"network": "public"}})
    iface = {"router": router_ctx.physical_id, "subnet": sub_ctx.physical_id}
    create(RouterInterface(), make_ctx("iface"), iface)
    return sub_ctx


def test_port_with_fixed_ip_and_group_by_name(make_ctx: MakeCtx, subnet: ResourceContext) -> None:
    sg_ctx, port_ctx = make_ctx("sg"), make_ctx("port")
    create(SecurityGroup(), sg_ctx, {"name": "lifecycle-web"})
    network = subnet.attributes["network_id"]
    props = {
        "network": network,
        "fixed_ips": [{"subnet": subnet.physical_id, "ip_address": "10.20.0.10"}],
        "security_groups": ["lifecycle-web"],
    }
    create(Port(), port_ctx, props)
    attrs = port_ctx.attributes
    assert attrs["fixed_ips"] == [{"subnet_id": subnet.physical_id, "ip_address": "10.20.0.10"}]
    assert attrs["mac_address"] and attrs["status"] in ("ACTIVE", "DOWN")
    assert attrs["security_groups"] == [sg_ctx.physical_id]
    assert Port().find(after_crash(make_ctx, port_ctx)) == port_ctx.physical_id
    update(Port(), port_ctx, props, props | {"name": "renamed"})
    assert Port().read(port_ctx)["name"] == "renamed"  # type: ignore[index]
    live = Port().live_properties(port_ctx)
    assert live is not None and live["network"] == network
    delete(Port(), port_ctx)
    delete(SecurityGroup(), sg_ctx)


def test_floating_ip_and_association(make_ctx: MakeCtx, subnet: ResourceContext) -> None:
    port_ctx, fip_ctx, assoc_ctx = make_ctx("port"), make_ctx("fip"), make_ctx("assoc")
    create(Port(), port_ctx, {"network": subnet.attributes["network_id"]})
    create(FloatingIP(), fip_ctx, {"floating_network": "public"})
    assert fip_ctx.attributes["floating_ip_address"]
    assert FloatingIP().find(after_crash(make_ctx, fip_ctx)) == fip_ctx.physical_id
    assoc = FloatingIPAssociation()
    props = {"floatingip_id": fip_ctx.physical_id, "port_id": port_ctx.physical_id}
    create(assoc, assoc_ctx, props)
    assert FloatingIP().read(fip_ctx)["port_id"] == port_ctx.physical_id  # type: ignore[index]
    live = assoc.live_properties(assoc_ctx)
    assert live is not None and live["port_id"] == port_ctx.physical_id
    assert live["fixed_ip_address"] == port_ctx.attributes["fixed_ips"][0]["ip_address"]
    delete(assoc, assoc_ctx)
    assert FloatingIP().read(fip_ctx)["port_id"] is None  # type: ignore[index]
    delete(FloatingIP(), fip_ctx)
    delete(Port(), port_ctx)


def rules_of(ctx: ResourceContext) -> set[tuple[str, str | None, int | None]]:
    attrs = SecurityGroup().read(ctx)
    assert attrs is not None
    return {
        (rule["direction"], rule["protocol"], rule["port_range_min"])
        for rule in attrs["show"]["security_group_rules"]
        if rule["ethertype"] == "IPv4"
    }


def test_security_group_rules_follow_the_template(make_ctx: MakeCtx) -> None:
    ssh = {"protocol": "tcp", "port_range_min": 22, "port_range_max": 22}
    web = {"protocol": "tcp", "port_range_min": 80, "port_range_max": 80}
    out = {"direction": "egress", "protocol": "udp", "port_range_min": 53, "port_range_max": 53}
    sg, ctx = SecurityGroup(), make_ctx("sg")
    create(sg, ctx, {"rules": [ssh]})
    assert rules_of(ctx) == {("ingress", "tcp", 22), ("egress", None, None)}
    update(sg, ctx, {"rules": [ssh]}, {"rules": [web, out]})
    assert rules_of(ctx) == {("ingress", "tcp", 80), ("egress", "udp", 53)}
    rule_ctx = make_ctx("rule")
    rule = SecurityGroupRule()
    create(rule, rule_ctx, {"security_group": ctx.physical_id, "port_range_min": 443,
                            "port_range_max": 443})  # fmt: skip
    assert ("ingress", "tcp", 443) in rules_of(ctx)
    delete(rule, rule_ctx)
    assert rule.delete(rule_ctx) == Done()
    delete(sg, ctx)
