"""Constraints, including the custom ones checked without a cloud."""

from __future__ import annotations

import pytest

from crossheat.resources.constraints import (
    AllowedPattern,
    AllowedValues,
    CustomConstraint,
    Length,
    Modulo,
    Range,
)


def test_allowed_values_compares_strings_as_text() -> None:
    protocols = AllowedValues((*range(256), "tcp"))
    assert protocols.check("6") is None
    assert protocols.check("tcp") is None
    assert protocols.check("tpc") is not None
    assert AllowedValues((4, 6)).check(5) is not None


def test_range_length_pattern_modulo() -> None:
    assert Range(0, 65535).check(65535) is None
    assert Range(0, 65535).check(65536) is not None
    assert Range(min=1).check(0) is not None
    assert Length(min=1, max=3).check("") is not None
    assert Length(min=1, max=3).check(["a", "b"]) is None
    assert AllowedPattern("[a-z]+").check("abc") is None
    assert AllowedPattern("[a-z]+").check("abc1") is not None
    assert Modulo(2, 1).check(3) is None
    assert Modulo(2, 1).check(4) is not None


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        ("net_cidr", "10.1.0.0/24", "10.1.0.1/24"),
        ("net_cidr", "fd00::/64", "10.1.0.0"),
        ("ip_addr", "10.1.0.1", "10.1.0.256"),
        ("ip_addr", "fd00::1", "fd00::/64"),
        ("mac_addr", "fa:16:3e:00:00:01", "fa:16:3e:00:00"),
        ("ip_or_cidr", "10.0.0.0/8", "ten"),
        ("dns_name", "www.example.org.", "-bad-.example.org"),
        ("rel_dns_name", "www", "www."),
        ("dns_domain", "example.org.", "localhost"),
    ],
)
def test_offline_custom_constraints(name: str, good: str, bad: str) -> None:
    constraint = CustomConstraint(name)
    assert constraint.offline
    assert constraint.check(good) is None
    assert constraint.check(bad) is not None


def test_cloud_custom_constraints_are_left_to_the_cloud() -> None:
    flavor = CustomConstraint("nova.flavor")
    assert not flavor.offline
    assert flavor.check("no-such-flavor") is None
