"""Address arithmetic behind subnets and ports (``crossheat.emulator.neutron.ipam``)."""

from __future__ import annotations

import pytest

from crossheat.emulator.core import ApiError
from crossheat.emulator.neutron import ipam


def test_default_pools_around_the_gateway() -> None:
    net = ipam.parse_cidr("10.0.0.0/24")
    assert ipam.default_pools(net, "10.0.0.1") == [{"start": "10.0.0.2", "end": "10.0.0.254"}]
    assert ipam.default_pools(net, "10.0.0.100") == [
        {"start": "10.0.0.1", "end": "10.0.0.99"},
        {"start": "10.0.0.101", "end": "10.0.0.254"},
    ]
    assert ipam.default_pools(net, None) == [{"start": "10.0.0.1", "end": "10.0.0.254"}]


def test_ipv6_defaults() -> None:
    net = ipam.parse_cidr("fd00::/64", 6)
    assert ipam.default_gateway(net) == "fd00::1"
    (pool,) = ipam.default_pools(net, "fd00::1")
    assert pool == {"start": "fd00::2", "end": "fd00::ffff:ffff:ffff:ffff"}


@pytest.mark.parametrize(("cidr", "version"), [("10.0.0.0/31", 4), ("fd00::/64", 4), ("x", None)])
def test_parse_cidr_rejects(cidr: str, version: int | None) -> None:
    with pytest.raises(ApiError) as error:
        ipam.parse_cidr(cidr, version)
    assert error.value.status == 400


def test_next_free_skips_used_and_ends() -> None:
    pools = [{"start": "10.0.0.2", "end": "10.0.0.3"}, {"start": "10.0.0.9", "end": "10.0.0.9"}]
    assert ipam.next_free(pools, {"10.0.0.2"}) == "10.0.0.3"
    assert ipam.next_free(pools, {"10.0.0.2", "10.0.0.3"}) == "10.0.0.9"
    assert ipam.next_free(pools, {"10.0.0.2", "10.0.0.3", "10.0.0.9"}) is None


def test_validate_pools() -> None:
    net = ipam.parse_cidr("10.0.0.0/24")
    good = [{"start": "10.0.0.10", "end": "10.0.0.20"}]
    assert ipam.validate_pools(net, good, "10.0.0.1") == good
    for bad in ([{"start": "10.0.1.1", "end": "10.0.1.5"}], [{"start": "10.0.0.9"}], "x"):
        with pytest.raises(ApiError):
            ipam.validate_pools(net, bad, "10.0.0.1")
    with pytest.raises(ApiError) as conflict:
        ipam.validate_pools(net, [{"start": "10.0.0.1", "end": "10.0.0.5"}], "10.0.0.1")
    assert conflict.value.status == 409


def test_public_ranges_differ_per_cloud_and_region() -> None:
    ranges = {ipam.public_cidr(cloud, region) for cloud in range(3) for region in range(3)}
    assert len(ranges) == 9
    assert ipam.public_cidr(1, 2) == "100.65.2.0/24"
