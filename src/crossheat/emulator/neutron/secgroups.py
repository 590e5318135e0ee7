"""Emulated Neutron security groups and rules.

A new group comes with two egress rules (IPv4 and IPv6, any protocol). Every
project gets a ``default`` group on first use (listing groups, creating a
port) that also admits ingress from its own members. A group used by a port
cannot be deleted (409 ``SecurityGroupInUse``), nor ``default`` (409).
"""

from __future__ import annotations

from typing import Any, ClassVar

from crossheat.emulator.core import Record, neutron_error, new_id
from crossheat.emulator.neutron import ipam
from crossheat.emulator.neutron.base import (
    Collection,
    Ctx,
    body_project,
    check_quota,
    pick,
    public,
    require,
    stamp,
)

PROTOCOLS = {"tcp", "udp", "icmp", "icmpv6", "ipv6-icmp", "gre", "esp", "ah", "sctp", "vrrp"}

RULE_DEFAULTS: dict[str, Any] = {
    "description": "",
    "ethertype": "IPv4",
    "protocol": None,
    "port_range_min": None,
    "port_range_max": None,
    "remote_ip_prefix": None,
    "remote_group_id": None,
    "remote_address_group_id": None,
}


def _rule(ctx: Ctx, group: Record, direction: str, ethertype: str, remote: str | None) -> Record:
    record = dict(RULE_DEFAULTS, direction=direction, ethertype=ethertype)
    record.update(id=new_id(), security_group_id=group["id"], remote_group_id=remote)
    record["normalized_cidr"] = None
    return stamp(ctx, record, group["project_id"])


def _new_group(ctx: Ctx, body: Record, project: str, default: bool) -> Record:
    group = pick(body, {"name": "", "description": "", "stateful": True, "tags": []})
    group.update(id=new_id(), shared=False)
    stamp(ctx, group, project)
    ctx.insert("security_groups", group)
    for ethertype in ("IPv4", "IPv6"):
        ctx.insert("security_group_rules", _rule(ctx, group, "egress", ethertype, None))
        if default:
            rule = _rule(ctx, group, "ingress", ethertype, group["id"])
            ctx.insert("security_group_rules", rule)
    return group


def default_group(ctx: Ctx, project: str) -> Record:
    """The ``default`` group of ``project`` in this region, created on first use."""
    for group in ctx.records("security_groups"):
        if group["project_id"] == project and group["name"] == "default":
            return group
    body = {"name": "default", "description": "Default security group"}
    return _new_group(ctx, body, project, default=True)


class SecurityGroups(Collection):
    kind = "security_groups"
    key = "security_group"
    path = "security-groups"
    label = "SecurityGroup"
    latency = "security_group"
    tagged = True
    updatable: ClassVar[frozenset[str]] = frozenset({"name", "description", "stateful"})

    async def prepare(self, ctx: Ctx) -> None:
        default_group(ctx, ctx.auth.project_id)

    def view(self, ctx: Ctx, record: Record) -> Record:
        out = public(record)
        rules = ctx.records("security_group_rules")
        out["security_group_rules"] = [
            public(r) for r in rules if r["security_group_id"] == record["id"]
        ]
        return out

    def create(self, ctx: Ctx, body: Record) -> Record:
        project = body_project(ctx, body)
        default_group(ctx, project)
        check_quota(ctx, self.kind, "security_groups", project)
        if body.get("name") == "default":
            raise neutron_error(
                409, "SecurityGroupDefaultAlreadyExists", "Default security group already exists."
            )
        return _new_group(ctx, body, project, default=False)

    def delete(self, ctx: Ctx, record: Record) -> None:
        if record["name"] == "default" and not ctx.auth.is_admin:
            raise neutron_error(
                409,
                "SecurityGroupCannotRemoveDefault",
                "Insufficient rights for removing default security group.",
            )
        if any(record["id"] in p.get("security_groups", []) for p in ctx.records("ports")):
            raise neutron_error(
                409,
                "SecurityGroupInUse",
                f"Security Group {record['id']} in use.",
            )
        for rule in ctx.records("security_group_rules"):
            if rule["security_group_id"] == record["id"]:
                ctx.delete("security_group_rules", rule["id"])
        ctx.delete(self.kind, record["id"])


def _check_rule(body: Record) -> None:
    if body.get("direction") not in ("ingress", "egress"):
        raise ipam.invalid_input(f"'{body.get('direction')}' is not in ['egress', 'ingress']")
    if body.get("ethertype", "IPv4") not in ("IPv4", "IPv6"):
        raise ipam.invalid_input(f"'{body.get('ethertype')}' is not in ['IPv4', 'IPv6']")
    protocol = body.get("protocol")
    if protocol is not None and str(protocol) not in PROTOCOLS and not str(protocol).isdigit():
        raise neutron_error(
            400,
            "SecurityGroupRuleInvalidProtocol",
            f"Security group rule protocol {protocol} not supported.",
        )
    low, high = body.get("port_range_min"), body.get("port_range_max")
    if (low is not None or high is not None) and protocol is None:
        raise neutron_error(
            400,
            "SecurityGroupProtocolRequiredWithPorts",
            "Must also specify protocol if port range is given.",
        )
    if (
        low is not None
        and high is not None
        and ipam.as_int(low, "port_range_min") > ipam.as_int(high, "port_range_max")
    ):
        raise neutron_error(
            400,
            "SecurityGroupInvalidPortRange",
            "For TCP/UDP protocols, port_range_min must be <= port_range_max",
        )
    prefix = body.get("remote_ip_prefix")
    if prefix is not None:
        net = ipam.parse_cidr(ipam.normalize_cidr(str(prefix)))
        if f"IPv{net.version}" != body.get("ethertype", "IPv4"):
            raise ipam.invalid_input(f"Conflicting value ethertype for remote_ip_prefix {prefix}")


_SAME = (
    "direction",
    "ethertype",
    "protocol",
    "port_range_min",
    "port_range_max",
    "remote_ip_prefix",
    "remote_group_id",
)


class SecurityGroupRules(Collection):
    kind = "security_group_rules"
    key = "security_group_rule"
    path = "security-group-rules"
    label = "SecurityGroupRule"
    latency = "security_group_rule"
    updatable: ClassVar[frozenset[str]] = frozenset({"description"})

    def create(self, ctx: Ctx, body: Record) -> Record:
        require(body, "security_group_id", "direction")
        group = SecurityGroups().find(ctx, str(body["security_group_id"]))
        _check_rule(body)
        if body.get("remote_group_id"):
            SecurityGroups().find(ctx, str(body["remote_group_id"]))
        check_quota(ctx, self.kind, "security_group_rules", group["project_id"])
        record = dict(RULE_DEFAULTS, **{k: body[k] for k in RULE_DEFAULTS if k in body})
        record.update(direction=body["direction"], security_group_id=group["id"])
        if record["remote_ip_prefix"] is not None:
            record["remote_ip_prefix"] = ipam.normalize_cidr(str(record["remote_ip_prefix"]))
        record["normalized_cidr"] = record["remote_ip_prefix"]
        for rule in ctx.records(self.kind):
            if rule["security_group_id"] == group["id"] and all(
                rule.get(k) == record.get(k) for k in _SAME
            ):
                raise neutron_error(
                    409,
                    "SecurityGroupRuleExists",
                    f"Security group rule already exists. Rule id is {rule['id']}.",
                )
        return ctx.insert(self.kind, stamp(ctx, record, group["project_id"]))
