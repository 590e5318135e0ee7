"""A tunnel's status on the dashboard, from the statuses of its two IPsec connections."""

from __future__ import annotations

import pytest

from crossheat.service import tunnel_status


@pytest.mark.parametrize(
    ("ends", "shown"),
    [
        (("ACTIVE", "ACTIVE"), "ACTIVE"),
        (("ACTIVE", "DOWN"), "DOWN"),
        (("ERROR", "PENDING_CREATE"), "DOWN"),
        (("ACTIVE", "PENDING_CREATE"), "PENDING_CREATE"),
        (("PENDING_CREATE", None), "PENDING_CREATE"),
        ((None, None), None),
        (("ACTIVE", None), None),
    ],
)
def test_a_tunnel_is_active_when_both_ends_are_down_when_either_is(
    ends: tuple[str | None, str | None], shown: str | None
) -> None:
    assert tunnel_status(ends) == shown
