"""What ``OS::Nova::Server``'s lifecycle sends to Nova and how it shapes the answers.

    server_body(ctx, props)          -> keyword arguments of ``create_server``
    server_attributes(server, ports) -> Heat's attributes: addresses (with ``port``),
                                        networks (by name and by id), first_address, ...
    live_networks(ctx, wanted, ports) -> ``networks`` as the server's ports show it now

``image`` and ``flavor`` are logical names: the region map gives the region's
own (a ``flavor`` may name a host class: its flavor there, and its availability zone
unless the server names one), and Glance/Nova give their ids (a missing one is an error naming the
region and the name). Metadata carries crossheat's marks; values that are not
strings are sent as JSON, as Heat does.
"""

from __future__ import annotations

import base64
import ipaddress
import json
from collections.abc import Mapping, Sequence
from typing import Any

from crossheat.errors import CloudError
from crossheat.resources.lifecycle import ResourceContext
from crossheat.resources.types.neutron_crud import (
    as_api_dict,
    find_id,
    sdk,
    sdk_list,
    without_none,
)

#: Server statuses after which nothing more will happen by itself.
FAILED = "ERROR"


def _find_flavor(conn: Any, name: str) -> str:
    return str(conn.compute.find_flavor(name, ignore_missing=False).id)


def _find_image(conn: Any, name: str) -> str:
    return str(conn.image.find_image(name, ignore_missing=False).id)


def flavor_id(ctx: ResourceContext, logical: str) -> str:
    return ctx.call(_find_flavor, ctx.resolve_flavor(logical))


def image_id(ctx: ResourceContext, logical: str) -> str:
    return ctx.call(_find_image, ctx.resolve_image(logical))


def metadata(ctx: ResourceContext, wanted: Mapping[str, Any] | None) -> dict[str, str]:
    """The template's metadata (non-strings as JSON) with crossheat's marks."""
    values = {
        str(key): value if isinstance(value, str) else json.dumps(value)
        for key, value in (wanted or {}).items()
    }
    return values | ctx.metadata


def nic(ctx: ResourceContext, wanted: Mapping[str, Any]) -> dict[str, Any]:
    """One ``networks`` entry as Nova's: ``{port}`` or ``{uuid, fixed_ip, tag}``.

    A ``subnet`` without a ``network`` stands for the subnet's network.
    """
    if wanted.get("port"):
        return without_none(
            {"port": find_id(ctx, "port", wanted["port"]), "tag": wanted.get("tag")}
        )
    network = wanted.get("network")
    if network:
        network_id = find_id(ctx, "network", network)
    else:
        subnet = as_api_dict(ctx.call(sdk, "get_subnet", find_id(ctx, "subnet", wanted["subnet"])))
        network_id = str(subnet["network_id"])
    return without_none(
        {"uuid": network_id, "fixed_ip": wanted.get("fixed_ip"), "tag": wanted.get("tag")}
    )


def networks(ctx: ResourceContext, props: Mapping[str, Any]) -> list[dict[str, Any]] | str | None:
    entries = props.get("networks") or []
    allocate = [entry["allocate_network"] for entry in entries if entry.get("allocate_network")]
    if allocate:
        return str(allocate[0])
    return [nic(ctx, entry) for entry in entries] or None


def server_body(ctx: ResourceContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``conn.compute.create_server`` for these properties."""
    user_data = props.get("user_data")
    groups = props.get("security_groups") or []
    return without_none(
        {
            "name": ctx.name_for(props),
            "flavor_id": flavor_id(ctx, props["flavor"]),
            "image_id": image_id(ctx, props["image"]) if props.get("image") else None,
            "networks": networks(ctx, props),
            "key_name": props.get("key_name"),
            "user_data": base64.b64encode(user_data.encode()).decode() if user_data else None,
            "metadata": metadata(ctx, props.get("metadata")),
            "security_groups": [{"name": group} for group in groups] or None,
            "admin_password": props.get("admin_pass"),
            "availability_zone": props.get("availability_zone") or ctx.host_zone(props["flavor"]),
            "config_drive": props.get("config_drive"),
            "scheduler_hints": props.get("scheduler_hints"),
            "disk_config": props.get("diskConfig"),
        }
    )


def floating_ips(body: Mapping[str, Any], props: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``[{fip, uuid | port}]``: the ``networks[].floating_ip`` to associate once the
    server is up, with the network (or port) of their NIC as sent in ``body``."""
    nics = body.get("networks")
    if not isinstance(nics, list):
        return []
    entries = props.get("networks") or []
    return [
        {"fip": entry["floating_ip"], **{k: v for k, v in nic.items() if k in ("uuid", "port")}}
        for nic, entry in zip(nics, entries, strict=False)
        if entry.get("floating_ip")
    ]


def associate_floating_ips(
    ctx: ResourceContext, wanted: list[dict[str, Any]], ports: list[dict[str, Any]]
) -> None:
    """Point each floating IP at the server's port on its NIC's network (or its port)."""
    for item in wanted:
        port_id = item.get("port") or next(
            (port["id"] for port in ports if port.get("network_id") == item.get("uuid")), None
        )
        if port_id is None:
            raise ctx.fail("OS::Nova::Server", f"no port for floating IP {item['fip']}")
        ctx.call(sdk, "update_ip", item["fip"], port_id=port_id)


def _port_of(address: Mapping[str, Any], ports: list[dict[str, Any]]) -> dict[str, Any] | None:
    mac = address.get("OS-EXT-IPS-MAC:mac_addr")
    for port in ports:
        ips = {ip.get("ip_address") for ip in port.get("fixed_ips") or []}
        if port.get("mac_address") == mac or address.get("addr") in ips:
            return port
    return None


def addresses(
    server: Mapping[str, Any], ports: list[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Heat's ``addresses`` (Nova's, each address with its ``port``) and ``networks``
    (``{network name: [ip, ...]}``, also keyed by network id)."""
    shaped: dict[str, Any] = {}
    by_network: dict[str, list[str]] = {}
    for name, entries in (server.get("addresses") or {}).items():
        shaped[name] = []
        for entry in entries:
            port = _port_of(entry, ports)
            shaped[name].append(dict(entry) | {"port": port["id"] if port else None})
            by_network.setdefault(name, []).append(entry["addr"])
            if port is not None and port.get("network_id") not in (None, name):
                by_network.setdefault(port["network_id"], []).append(entry["addr"])
    return shaped, by_network


def first_address(server: Mapping[str, Any]) -> str:
    """The first fixed IPv4 address of the first network (any first address, else '')."""
    entries = [entry for group in (server.get("addresses") or {}).values() for entry in group]
    for entry in entries:
        if entry.get("version") == 4 and entry.get("OS-EXT-IPS:type", "fixed") == "fixed":
            return str(entry["addr"])
    return str(entries[0]["addr"]) if entries else ""


def server_attributes(server: Mapping[str, Any], ports: list[dict[str, Any]]) -> dict[str, Any]:
    """Heat's attributes of a server, from Nova's ``server`` and Neutron's ``ports``."""
    shaped, by_network = addresses(server, ports)
    return {
        "name": server.get("name"),
        "addresses": shaped,
        "networks": by_network,
        "first_address": first_address(server),
        "instance_name": server.get("OS-EXT-SRV-ATTR:instance_name"),
        "accessIPv4": server.get("accessIPv4") or "",
        "accessIPv6": server.get("accessIPv6") or "",
        "console_urls": None,
        "tags": server.get("tags"),
        "os_collect_config": None,
        "show": dict(server),
    }


def fault_message(server: Mapping[str, Any]) -> str | None:
    fault = server.get("fault") or {}
    return str(fault.get("message")) if fault.get("message") else None


# ---- drift: the server's NICs in the terms of its ``networks`` entries ---------------------

#: The keys of a ``networks`` entry the cloud shows (``tag`` and ``port_extra_properties``
#: are not read back).
COMPARED_NIC_KEYS = ("port", "network", "subnet", "fixed_ip", "floating_ip", "allocate_network")


def live_networks(
    ctx: ResourceContext, wanted: Sequence[Mapping[str, Any]], ports: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The server's ``networks`` as its ``ports`` (Neutron's, ``device_id`` the server)
    show them now, entry by entry of the stored ``wanted``, as far as each can be mapped.

    Each entry claims one port: its ``port``; else one on its ``network``, or with an
    address in its ``subnet``, the one holding its ``fixed_ip`` first. An entry whose
    port is gone (deleted, detached) has no live entry. A claimed port shows the
    entry's keys: ``port`` and ``network`` as the entry gives them; ``fixed_ip`` and
    ``subnet`` as given while the port still has them, else the port's own;
    ``floating_ip`` as given while it points at the port, else the port's (or None).
    ``allocate_network`` is ``auto`` while unclaimed ports remain, ``none`` otherwise.
    Ports no entry claims (attached behind crossheat's back) are entries of their own.
    An entry naming what cannot be looked up (missing, ambiguous) is taken as it is (in
    sync), and then unclaimed ports are not reported either.
    """
    free = list(ports)
    live: dict[int, dict[str, Any]] = {}
    certain = True
    order = sorted(range(len(wanted)), key=lambda i: _specificity(wanted[i]))
    for i in order:
        entry = wanted[i]
        if entry.get("allocate_network"):
            continue
        try:
            ids = _ids(ctx, entry)
        except CloudError:  # not found, ambiguous, or the lookup failed: not compared
            live[i], certain = _comparable(entry), False
            continue
        port = _claim(entry, ids, free)
        if port is not None:
            free.remove(port)
            live[i] = _live_entry(ctx, entry, ids, port)
    for i in order:
        if wanted[i].get("allocate_network"):
            live[i] = {"allocate_network": "auto" if free else "none"}
            free = []
    extras = [{"port": p["id"], "network": p.get("network_id")} for p in free if certain]
    return [live[i] for i in sorted(live)] + extras


def _specificity(entry: Mapping[str, Any]) -> int:
    """Entries naming a port claim first, then those with a fixed IP, then the others."""
    if entry.get("port"):
        return 0
    if entry.get("fixed_ip"):
        return 1
    return 3 if entry.get("allocate_network") else 2


def _comparable(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {k: entry[k] for k in COMPARED_NIC_KEYS if entry.get(k) is not None}


def _ids(ctx: ResourceContext, entry: Mapping[str, Any]) -> dict[str, str]:
    """The ids of the port, network and subnet ``entry`` names (looked up when names)."""
    return {
        key: find_id(ctx, key, str(entry[key]))
        for key in ("port", "network", "subnet")
        if entry.get(key)
    }


def _addresses(port: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(port.get("fixed_ips") or [])


def _has_ip(port: Mapping[str, Any], wanted: Any) -> bool:
    return any(_same_ip(ip.get("ip_address"), wanted) for ip in _addresses(port))


def _same_ip(live: Any, wanted: Any) -> bool:
    try:
        return ipaddress.ip_address(str(live)) == ipaddress.ip_address(str(wanted))
    except ValueError:
        return str(live) == str(wanted)


def _claim(
    entry: Mapping[str, Any], ids: Mapping[str, str], free: list[dict[str, Any]]
) -> dict[str, Any] | None:
    if "port" in ids:
        return next((p for p in free if p["id"] == ids["port"]), None)
    subnet = ids.get("subnet")
    if "network" in ids:
        candidates = [p for p in free if p.get("network_id") == ids["network"]]
    elif subnet is not None:
        candidates = [p for p in free if subnet in {a.get("subnet_id") for a in _addresses(p)}]
    else:
        return None
    fixed_ip = entry.get("fixed_ip")
    candidates.sort(
        key=lambda p: (
            not (fixed_ip and _has_ip(p, fixed_ip)),
            subnet not in {a.get("subnet_id") for a in _addresses(p)},
        )
    )
    return candidates[0] if candidates else None


def _live_entry(
    ctx: ResourceContext, entry: Mapping[str, Any], ids: Mapping[str, str], port: dict[str, Any]
) -> dict[str, Any]:
    """The keys of ``entry`` the cloud shows, as ``port`` has them now."""
    live = {key: entry[key] for key in ("port", "network") if entry.get(key)}
    addresses = _addresses(port)
    if entry.get("subnet"):
        subnets = [a.get("subnet_id") for a in addresses]
        live["subnet"] = entry["subnet"] if ids["subnet"] in subnets else next(iter(subnets), None)
    if entry.get("fixed_ip"):
        own = next((a.get("ip_address") for a in addresses), None)
        live["fixed_ip"] = entry["fixed_ip"] if _has_ip(port, entry["fixed_ip"]) else own
    if entry.get("floating_ip"):
        live["floating_ip"] = _live_floating_ip(ctx, str(entry["floating_ip"]), port["id"])
    return live


def _live_floating_ip(ctx: ResourceContext, wanted: str, port_id: str) -> str | None:
    """``wanted`` while it points at the port; else the floating IP that does, or None.
    From one list of the project's floating IPs: in a check, the same call for every
    server of the region, so it is made once there."""
    on_port = [ip for ip in ctx.call(sdk_list, "ips") if ip.get("port_id") == port_id]
    if any(ip["id"] == wanted for ip in on_port):
        return wanted
    return str(on_port[0]["id"]) if on_port else None


def compute(conn: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """``conn.compute.<method>(*args, **kwargs)``, for ``ctx.call``."""
    return getattr(conn.compute, method)(*args, **kwargs)
