"""A security group's ``rules`` property made true in Neutron, with as few calls as possible.

    sync_rules(ctx, group_id, existing_api_rules, template_rules) -> bool

Every existing rule the template does not list is deleted, except egress rules
when the template lists none (Neutron's default egress rules stay, as in
Heat); every listed rule that does not exist is created. Rules are compared
by what they match, not by id or description.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from crossheat.errors import CloudNotFound
from crossheat.resources.lifecycle import ResourceContext
from crossheat.resources.types.neutron_crud import find_id, sdk, without_none

#: The fields that say what a rule matches.
MATCH_FIELDS = (
    "direction",
    "ethertype",
    "protocol",
    "port_range_min",
    "port_range_max",
    "remote_ip_prefix",
    "remote_group_id",
)


def rule_body(ctx: ResourceContext, group_id: str, rule: Mapping[str, Any]) -> dict[str, Any]:
    """A template rule (``remote_mode`` and all) as the API's rule of group ``group_id``.

    ``remote_mode: remote_group_id`` without a group means the group itself.
    """
    by_group = rule.get("remote_mode") == "remote_group_id"
    remote_group = rule.get("remote_group_id") or group_id if by_group else None
    protocol = rule.get("protocol")
    return without_none(
        {
            "security_group_id": group_id,
            "direction": rule.get("direction", "ingress"),
            "ethertype": rule.get("ethertype", "IPv4"),
            "protocol": str(protocol) if protocol is not None else None,
            "port_range_min": rule.get("port_range_min"),
            "port_range_max": rule.get("port_range_max"),
            "remote_ip_prefix": None if by_group else rule.get("remote_ip_prefix"),
            "remote_group_id": find_id(ctx, "security_group", remote_group)
            if remote_group
            else None,
            "description": rule.get("description"),
        }
    )


def match_key(rule: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(rule.get(field) for field in MATCH_FIELDS)


def sync_rules(
    ctx: ResourceContext,
    group_id: str,
    existing: list[dict[str, Any]],
    rules: list[dict[str, Any]],
) -> bool:
    """Delete and create rules so that the group has ``rules``; True if anything changed."""
    wanted = [rule_body(ctx, group_id, rule) for rule in rules]
    wanted_keys = {match_key(rule) for rule in wanted}
    keep_egress = not any(rule["direction"] == "egress" for rule in wanted)
    stale = [
        rule
        for rule in existing
        if match_key(rule) not in wanted_keys
        and not (keep_egress and rule.get("direction") == "egress")
    ]
    for rule in stale:
        with contextlib.suppress(CloudNotFound):
            ctx.call(sdk, "delete_security_group_rule", rule["id"], ignore_missing=False)
    have = {match_key(rule) for rule in existing}
    missing = [rule for rule in wanted if match_key(rule) not in have]
    for rule in missing:
        ctx.call(sdk, "create_security_group_rule", **rule, tags=ctx.tags)
    return bool(stale or missing)
