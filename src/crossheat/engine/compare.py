"""Comparing a resource's stored properties with what its cloud shows now (``engine.check``).

    compare(schema, stored, live, physical_name="vpn-net", resolve=lookup) -> [Difference]

Representation differences are not drift (see ``engine.check``'s doc); a name that
cannot be looked up counts as the same.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from crossheat.resources.constraints import CustomConstraint
from crossheat.resources.lifecycle import looks_like_id
from crossheat.resources.schema import Property, Schema, mask_secrets

#: Stored values that leave the choice to the cloud (a subnet's ``gateway_ip: auto``).
CLOUD_CHOOSES = frozenset({"auto", "~"})
#: Custom constraints naming a Neutron resource -> openstacksdk's ``find_<kind>``.
REFERENCE_KINDS = {
    "neutron.network": "network",
    "neutron.subnet": "subnet",
    "neutron.router": "router",
    "neutron.port": "port",
    "neutron.security_group": "security_group",
    "neutron.qos_policy": "qos_policy",
    "neutron.subnetpool": "subnet_pool",
}
#: Custom constraints naming what the region map translates -> the kind ``resolve`` takes.
#: The cloud shows the region's own name; the template may give a logical name or an id.
REGIONAL_KINDS = {"nova.flavor": "flavor", "glance.image": "image"}

#: ``(kind, name) -> id`` (for ``flavor``/``image``: logical name or id -> the region's own
#: name), or ``None`` when the name cannot be looked up.
Resolver = Callable[[str, str], str | None]


@dataclass(frozen=True)
class Difference:
    """One property (``external_gateway_info.network`` for a nested one) that drifted."""

    property: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        return f"{self.property} {self.expected!r} -> {self.actual!r}"


def _no_lookup(kind: str, name: str) -> str | None:
    return None


def compare(
    schema: Schema,
    expected: Mapping[str, Any],
    actual: Mapping[str, Any],
    *,
    physical_name: str,
    resolve: Resolver = _no_lookup,
) -> list[Difference]:
    """The properties of ``actual`` (live) that differ from ``expected`` (stored), masked.

    A ``name`` that is absent or ``None`` on either side stands for ``physical_name``
    (Heat's default name). Properties ``actual`` does not have are not compared.
    """
    out: list[Difference] = []
    for name in sorted(actual):
        want, live = expected.get(name), actual[name]
        if name == "name":
            want, live = want or physical_name, live or physical_name
        _diff(schema.get(name), want, live, name, out, resolve)
    return out


def _diff(
    prop: Property | None, want: Any, live: Any, path: str, out: list[Difference], resolve: Resolver
) -> None:
    if want is None or (isinstance(want, str) and want in CLOUD_CHOOSES):
        return
    if isinstance(want, Mapping) and isinstance(live, Mapping) and prop and prop.schema:
        for key in sorted(want.keys() & live.keys()):
            _diff(prop.schema.get(key), want[key], live[key], f"{path}.{key}", out, resolve)
        return
    if not same(prop, want, live, resolve):
        out.append(Difference(path, _masked(prop, want), _masked(prop, live)))


def _masked(prop: Property | None, value: Any) -> Any:
    return value if prop is None else mask_secrets({"v": prop}, {"v": value})["v"]


def same(prop: Property | None, want: Any, live: Any, resolve: Resolver = _no_lookup) -> bool:
    """True when ``live`` is ``want`` as the cloud shows it (see the module doc)."""
    if isinstance(want, list) and isinstance(live, list):
        return _same_list(prop.items if prop else None, want, live, resolve)
    if isinstance(want, Mapping) and isinstance(live, Mapping):
        return _same_map(prop.schema if prop else None, want, live, resolve)
    return _same_scalar(prop, want, live, resolve)


def _same_list(item: Property | None, want: list[Any], live: list[Any], resolve: Resolver) -> bool:
    """Equal as multisets: every wanted item matches a distinct live one, in any order."""
    if len(want) != len(live):
        return False
    left = list(live)
    for wanted in want:
        match = next((i for i, got in enumerate(left) if same(item, wanted, got, resolve)), None)
        if match is None:
            return False
        del left[match]
    return True


def _same_map(
    schema: Schema | None, want: Mapping[str, Any], live: Mapping[str, Any], resolve: Resolver
) -> bool:
    """With a schema, only the keys both sides have and ``want`` sets; else every key."""
    if schema is None:
        keys = want.keys() | live.keys()
        return all(same(None, want.get(k), live.get(k), resolve) for k in keys)
    keys = {k for k in want.keys() & live.keys() if want[k] is not None}
    return all(same(schema.get(k), want[k], live[k], resolve) for k in keys)


def _same_scalar(prop: Property | None, want: Any, live: Any, resolve: Resolver) -> bool:
    if want == live or (want in ("", None) and live in ("", None)):
        return True
    if isinstance(want, bool) or isinstance(live, bool):
        return str(want).lower() == str(live).lower()
    scalars = str | int | float
    if isinstance(want, scalars) and isinstance(live, scalars) and str(want) == str(live):
        return True
    if not (isinstance(want, str) and isinstance(live, str)):
        return False
    return _same_address(want, live) or _same_reference(prop, want, live, resolve)


def _same_address(want: str, live: str) -> bool:
    """One address or network written two ways: ``fe80::1`` and ``FE80:0::1``."""
    try:
        return ipaddress.ip_address(want) == ipaddress.ip_address(live)
    except ValueError:
        pass
    try:
        return ipaddress.ip_network(want, strict=False) == ipaddress.ip_network(live, strict=False)
    except ValueError:
        return False


def _same_reference(prop: Property | None, want: str, live: str, resolve: Resolver) -> bool:
    """A name and an id of the same Neutron resource, or a flavor or image the template
    names as the region knows it; a name that cannot be looked up cannot be compared, so
    it counts as the same."""
    kind = _reference_kind(prop)
    if kind is None:
        return False
    if kind in REGIONAL_KINDS.values():
        found = resolve(kind, want)
        return found is None or found == live
    if looks_like_id(want) == looks_like_id(live):
        return False
    name, id_ = (live, want) if looks_like_id(want) else (want, live)
    found = resolve(kind, name)
    return found is None or found == id_


def _reference_kind(prop: Property | None) -> str | None:
    for constraint in prop.constraints if prop else ():
        if isinstance(constraint, CustomConstraint):
            kind = REFERENCE_KINDS.get(constraint.name) or REGIONAL_KINDS.get(constraint.name)
            if kind is not None:
                return kind
    return None
