"""Address management for the emulated Neutron: CIDRs, gateways, allocation pools, MACs.

A subnet's defaults, as Neutron computes them::

    cidr 10.1.0.0/24 -> gateway_ip 10.1.0.1,
                        allocation_pools [{"start": "10.1.0.2", "end": "10.1.0.254"}]

Addresses are handed out from the pools in order, lowest free first, and never
twice: the caller passes the set of addresses already in use on the subnet.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterator

from crossheat.emulator.core import ApiError, neutron_error

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Pool = dict[str, str]


def invalid_input(message: str) -> ApiError:
    """400 ``InvalidInput``, worded as Neutron words it."""
    return neutron_error(400, "InvalidInput", f"Invalid input for operation: {message}.")


def parse_cidr(cidr: object, ip_version: object = None) -> IPNetwork:
    """``"10.1.0.0/24"`` -> network; 400 if malformed, host bits set, too small, wrong version."""
    try:
        net = ipaddress.ip_network(str(cidr), strict=True)
    except ValueError as exc:
        raise invalid_input(f"'{cidr}' is not a valid IP subnet") from exc
    if ip_version is not None and str(net.version) != str(ip_version):
        raise invalid_input(f"Cidr {cidr} does not match ip_version {ip_version}")
    if net.num_addresses < 4:
        raise invalid_input(f"Cidr {cidr} is too small for a subnet")
    return net


def as_int(value: object, name: str) -> int:
    """``value`` as an integer; 400 ``InvalidInput`` naming ``name`` when it is not one."""
    try:
        return int(str(value))
    except ValueError as exc:
        raise invalid_input(f"'{value}' is not an integer for {name}") from exc


def parse_ip(address: object) -> IPAddress:
    try:
        return ipaddress.ip_address(str(address))
    except ValueError as exc:
        raise invalid_input(f"'{address}' is not a valid IP address") from exc


def normalize_cidr(cidr: str) -> str:
    """``"10.1.0.5/24"`` -> ``"10.1.0.0/24"`` (for comparing CIDRs written differently)."""
    try:
        return str(ipaddress.ip_network(cidr, strict=False))
    except ValueError:
        return cidr


def _first_host(net: IPNetwork) -> IPAddress:
    return net.network_address + 1


def _last_host(net: IPNetwork) -> IPAddress:
    if net.version == 4:
        return net.broadcast_address - 1
    return net.broadcast_address


def default_gateway(net: IPNetwork) -> str:
    return str(_first_host(net))


def default_pools(net: IPNetwork, gateway_ip: str | None) -> list[Pool]:
    """Every host address of ``net`` except the gateway, as one or two ranges."""
    first, last = int(_first_host(net)), int(_last_host(net))
    ranges = [(first, last)]
    if gateway_ip is not None:
        gateway = int(ipaddress.ip_address(gateway_ip))
        ranges = [(first, gateway - 1), (gateway + 1, last)]
    return [
        {"start": str(_at(net.version, low)), "end": str(_at(net.version, high))}
        for low, high in ranges
        if low <= high
    ]


def _at(version: int, value: int) -> IPAddress:
    return ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)


def validate_pools(net: IPNetwork, pools: object, gateway_ip: str | None) -> list[Pool]:
    """Check user-given pools: inside the CIDR, start <= end, not holding the gateway."""
    if not isinstance(pools, list):
        raise invalid_input("allocation_pools must be a list")
    out = []
    for pool in pools:
        if not isinstance(pool, dict) or "start" not in pool or "end" not in pool:
            raise invalid_input(f"Invalid allocation pool {pool}")
        start, end = parse_ip(pool["start"]), parse_ip(pool["end"])
        if start not in net or end not in net or int(start) > int(end):
            raise invalid_input(f"The allocation pool {start}-{end} spans beyond subnet {net}")
        if gateway_ip is not None and int(start) <= int(parse_ip(gateway_ip)) <= int(end):
            raise neutron_error(
                409,
                "GatewayConflictWithAllocationPools",
                f"Gateway ip {gateway_ip} conflicts with allocation pool {start}-{end}.",
            )
        out.append({"start": str(start), "end": str(end)})
    return out


def _pool_addresses(pools: list[Pool]) -> Iterator[str]:
    for pool in pools:
        start = ipaddress.ip_address(pool["start"])
        for value in range(int(start), int(ipaddress.ip_address(pool["end"])) + 1):
            yield str(_at(start.version, value))


def next_free(pools: list[Pool], used: set[str]) -> str | None:
    """The lowest address of the pools not in ``used``; ``None`` when the pools are exhausted."""
    for address in _pool_addresses(pools):
        if address not in used:
            return address
    return None


def random_mac(used: set[str]) -> str:
    """``fa:16:3e:xx:xx:xx``, as Neutron's default base MAC, not in ``used``."""
    while True:
        tail = ":".join(f"{random.randint(0, 255):02x}" for _ in range(3))
        mac = f"fa:16:3e:{tail}"
        if mac not in used:
            return mac


def public_cidr(cloud_index: int, region_index: int) -> str:
    """The seeded external subnet of a region: ``100.(64+cloud).(region).0/24``.

    Inside the shared address space 100.64.0.0/10, distinct per emulator (cloud)
    and per region, so router gateway addresses differ everywhere.
    """
    return f"100.{64 + cloud_index % 64}.{region_index % 256}.0/24"
