"""Property constraints, as Heat declares them in resource schemas.

    Property(PropertyType.INTEGER, constraints=(Range(min=0, max=65535),))
    Property(PropertyType.STRING, constraints=(AllowedValues(("ingress", "egress")),))
    Property(PropertyType.STRING, constraints=(CustomConstraint("net_cidr"),))

Each constraint's ``check(value)`` returns ``None`` when the (already type-coerced)
value satisfies it, or a message saying why not. ``CustomConstraint``s whose check
needs a cloud (``neutron.network``, ``nova.flavor``, ``glance.image`` ...) always
pass here; the offline ones (``net_cidr``, ``ip_addr``, ``mac_addr`` ...) are checked.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sized
from dataclasses import dataclass
from typing import Any

import netaddr


@dataclass(frozen=True)
class AllowedValues:
    """The value must be one of ``values`` (compared as text for string properties)."""

    values: tuple[Any, ...]

    def check(self, value: Any) -> str | None:
        if isinstance(value, str):
            if value in {str(v) for v in self.values}:
                return None
        elif value in self.values:
            return None
        shown = ", ".join(repr(v) for v in self.values[:30])
        more = ", ..." if len(self.values) > 30 else ""
        return f"{value!r} is not an allowed value [{shown}{more}]"


@dataclass(frozen=True)
class Range:
    """A number between ``min`` and ``max``, both inclusive, either optional."""

    min: float | None = None
    max: float | None = None

    def check(self, value: Any) -> str | None:
        if not isinstance(value, int | float):
            return None
        if self.min is not None and value < self.min:
            return f"{value} is out of range (min: {self.min}, max: {self.max})"
        if self.max is not None and value > self.max:
            return f"{value} is out of range (min: {self.min}, max: {self.max})"
        return None


@dataclass(frozen=True)
class Length:
    """The length of a string, list or map is between ``min`` and ``max``."""

    min: int | None = None
    max: int | None = None

    def check(self, value: Any) -> str | None:
        if not isinstance(value, Sized):
            return None
        size = len(value)
        if (self.min is not None and size < self.min) or (self.max is not None and size > self.max):
            return f"length {size} is out of range (min: {self.min}, max: {self.max})"
        return None


@dataclass(frozen=True)
class AllowedPattern:
    """The whole string matches the regular expression ``pattern``."""

    pattern: str

    def check(self, value: Any) -> str | None:
        match = re.match(self.pattern, str(value))
        if match is None or match.end() != len(str(value)):
            return f"{value!r} does not match pattern {self.pattern!r}"
        return None


@dataclass(frozen=True)
class Modulo:
    """``value % step == offset``."""

    step: int
    offset: int = 0

    def check(self, value: Any) -> str | None:
        if isinstance(value, int | float) and value % self.step != self.offset:
            return f"{value} is not a multiple of {self.step} with an offset of {self.offset}"
        return None


def _net_cidr(value: str) -> bool:
    """``10.1.0.0/24``; like Neutron, no host bits and an explicit prefix length."""
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        return False
    return "/" in value


def _ip_addr(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _mac_addr(value: str) -> bool:
    return bool(netaddr.valid_mac(value))


_DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _dns_name(value: str) -> bool:
    """A host name: dot-separated labels, 255 characters at most, optional final dot."""
    name = value[:-1] if value.endswith(".") else value
    if not name or len(value) > 255:
        return False
    return all(_DNS_LABEL.match(label) for label in name.split("."))


def _rel_dns_name(value: str) -> bool:
    return not value.endswith(".") and _dns_name(value)


def _dns_domain(value: str) -> bool:
    return _dns_name(value) and "." in value.rstrip(".")


#: Custom constraints that can be checked without a cloud, by name.
OFFLINE_CHECKS: dict[str, Callable[[str], bool]] = {
    "net_cidr": _net_cidr,
    "ip_addr": _ip_addr,
    "mac_addr": _mac_addr,
    "ip_or_cidr": lambda v: _ip_addr(v) or _net_cidr(v),
    "dns_name": _dns_name,
    "rel_dns_name": _rel_dns_name,
    "dns_domain": _dns_domain,
}


@dataclass(frozen=True)
class CustomConstraint:
    """A named check, like Heat's ``custom_constraint: neutron.network``.

    Only the names in ``OFFLINE_CHECKS`` are checked here; the others need a
    cloud and are left to the driver at deploy time.
    """

    name: str

    @property
    def offline(self) -> bool:
        return self.name in OFFLINE_CHECKS

    def check(self, value: Any) -> str | None:
        test = OFFLINE_CHECKS.get(self.name)
        if test is None or not isinstance(value, str) or test(value):
            return None
        return f"{value!r} is not a valid {self.name}"


Constraint = AllowedValues | Range | Length | AllowedPattern | Modulo | CustomConstraint
