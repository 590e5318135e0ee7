"""Secret texts: found in values, scrubbed from messages and from every log record."""

from __future__ import annotations

import logging

import pytest

from crossheat.redact import (
    MASK,
    forget_in_logs,
    leaf_texts,
    mask_paths,
    scrub,
    secret_leaf_paths,
)

SECRET = "Log-Secret-91ce"


def test_leaves_holding_a_secret_and_masking_them() -> None:
    value = {"name": f"vm-{SECRET}", "size": 2, "nets": [{"id": "n1"}, {"id": SECRET}]}
    paths = list(secret_leaf_paths(value, {SECRET}))
    assert paths == [("name",), ("nets", 1, "id")]
    masked = mask_paths(value, paths)
    assert masked == {"name": MASK, "size": 2, "nets": [{"id": "n1"}, {"id": MASK}]}
    assert value["name"] == f"vm-{SECRET}"  # a copy was masked
    assert mask_paths(value, [()]) == MASK
    assert leaf_texts(value, [("nets",)]) == {"n1", SECRET}


def test_every_log_record_loses_the_secret(caplog: pytest.LogCaptureFixture) -> None:
    """Whatever logger writes it (openstacksdk's request logs included), with its traceback."""
    forget_in_logs([SECRET])
    logger = logging.getLogger("keystoneauth.session")
    with caplog.at_level(logging.DEBUG):
        logger.debug('REQ: curl -X POST -d \'{"server": {"name": "%s"}}\'', SECRET)
        try:
            raise ValueError(f"bad name {SECRET}")
        except ValueError:
            logging.getLogger("crossheat.engine").exception("failed")
    assert SECRET not in caplog.text
    assert f'"name": "{MASK}"' in caplog.text and f"bad name {MASK}" in caplog.text


def test_a_short_secret_is_scrubbed_only_where_it_stands_alone() -> None:
    assert scrub("name '42' -> 'x', mtu 1420, 10.42.0.0/24, 42", {"42"}) == (
        f"name '{MASK}' -> 'x', mtu 1420, 10.42.0.0/24, {MASK}"
    )
    assert scrub("key Long-Secret-Value!", {"Long-Secret-Value"}) == f"key {MASK}!"
