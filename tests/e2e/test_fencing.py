"""An engine whose stack was taken over by another stops and writes nothing more.

A real ``crossheat stack create --wait`` runs against the emulator (slow enough to be
caught mid-way); another engine takes the stack over in the database. The first
engine's in-flight calls may finish, but nothing new starts, no row, event or
status of the stack changes after the take-over, and it exits saying why. A later
``stack resume`` then finishes the create from what is recorded: one of each, nothing
leaked.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from crossheat.store import Store
from crossheat.store.secrets import SecretBox
from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator
from tests.e2e.test_update import KINDS, counts

pytestmark = pytest.mark.e2e


def _snapshot(db_url: str, stack_id: str) -> tuple[Any, ...]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            stack = conn.execute(
                text("SELECT action, status, status_reason, updated_at FROM stacks WHERE id=:s"),
                {"s": stack_id},
            ).one()
            resources = conn.execute(
                text(
                    "SELECT id, action, status, physical_id, intent, progress, updated_at"
                    " FROM resources WHERE stack_id=:s ORDER BY id"
                ),
                {"s": stack_id},
            ).all()
            events = conn.execute(
                text("SELECT count(*) FROM events WHERE stack_id=:s"), {"s": stack_id}
            ).scalar()
    finally:
        engine.dispose()
    return tuple(stack), [tuple(r) for r in resources], events


def _when_some_are_done(db_url: str, deadline: float = 60) -> str:
    """The stack's id, once at least two of its resources are CREATE_COMPLETE."""
    engine = create_engine(db_url)
    try:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            try:
                with engine.connect() as conn:
                    row = conn.execute(
                        text(
                            "SELECT s.id, count(r.id) FROM stacks s LEFT JOIN resources r ON"
                            " r.stack_id = s.id AND r.action = 'CREATE'"
                            " AND r.status = 'COMPLETE' WHERE s.name = 'vpn' GROUP BY s.id"
                        )
                    ).first()
            except DBAPIError:  # no database or no schema yet
                row = None
            if row is not None and row[1] >= 2:
                return str(row[0])
            time.sleep(0.05)
    finally:
        engine.dispose()
    raise AssertionError("the create never got going")


def test_an_engine_whose_lock_was_taken_over_writes_nothing_more(world: World) -> None:
    start_emulator(world, latency="default=0.3,server=3")
    engine = subprocess.Popen(
        [sys.executable, "-m", "crossheat", "stack", "create", "vpn", "-t", str(REFERENCE),
         "--parameter", f"vpn_psk={PSK}", "--wait"],
        env=world.env, cwd=world.tmp, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        stack_id = _when_some_are_done(world.db_url)
        box = SecretBox.from_key_file(world.tmp / "config" / "crossheat" / "secret.key")
        with Store.open(world.db_url, secret_box=box) as store:
            thief = "thief-host.example:1:feedbeef"
            store.take_over_lock(stack_id, thief, stale_after=timedelta(0))
            at_take_over = _snapshot(world.db_url, stack_id)
            begun = sum(1 for r in at_take_over[1] if r[3] is not None or r[4] is not None)
            out, err = engine.communicate(timeout=120)
            assert engine.returncode != 0, out
            assert f"engine {thief} holds it" in err and "writes nothing more" in err, err
            assert _snapshot(world.db_url, stack_id) == at_take_over
            in_clouds = sum(sum(counts(world, region).values()) for region in ("East", "West"))
            assert in_clouds <= begun  # what was made or in flight, nothing new

            # The new holder gives the stack back; a resume finishes the create exactly.
            store.release_lock(stack_id, thief)
    finally:
        if engine.poll() is None:
            engine.kill()
            engine.wait()
    stack = world.json("stack", "resume", "vpn", "--wait")
    assert stack["stack_status"] == "CREATE_COMPLETE", stack
    assert counts(world, "East") == dict.fromkeys(KINDS, 1)
    assert counts(world, "West") == dict.fromkeys(KINDS, 1)
    world.crossheat("stack", "delete", "vpn", "--wait", "--yes")
    assert world.leftovers("East") == {} and world.leftovers("West") == {}
