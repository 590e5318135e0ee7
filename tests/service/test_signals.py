"""Operations counted from their stacks' events; JSON log lines; webhook retries bounded."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from crossheat.redact import forget_in_logs
from crossheat.service import Service
from crossheat.service._logs import JsonLines
from crossheat.service._metrics import metrics_exposition, operation_metrics
from crossheat.service._webhooks import Outbox
from crossheat.store import NOTICE, Action, StackSpec, Store, new_engine_id

T0 = datetime(2026, 1, 1, 12, 0, 0)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_operations_are_counted_by_kind_and_outcome_with_their_durations() -> None:
    events = [
        ("a", 1, "CREATE", "IN_PROGRESS", at(0)),
        ("a", 2, "CREATE", "FAILED", at(20)),
        ("a", 3, "ROLLBACK", "IN_PROGRESS", at(20)),
        ("a", 4, "ROLLBACK", "COMPLETE", at(23)),
        ("b", 1, "CREATE", "IN_PROGRESS", at(0)),
        ("b", 2, "CREATE", "COMPLETE", at(4)),
        ("b", 3, "CHECK", "IN_PROGRESS", at(100)),
        ("b", 4, "CHECK", "FAILED", at(101)),
    ]
    families = {f.name: f for f in operation_metrics(events)}
    counts = {tuple(s.labels.values()): s.value for s in families["crossheat_operations"].samples}
    assert counts == {
        ("CREATE", "FAILED"): 1, ("CREATE", "COMPLETE"): 1,
        ("ROLLBACK", "COMPLETE"): 1, ("CHECK", "FAILED"): 1,
    }  # fmt: skip
    sums = {
        (s.labels["kind"], s.labels["outcome"]): s.value
        for s in families["crossheat_operation_duration_seconds"].samples
        if s.name.endswith("_sum")
    }
    assert sums == {
        ("CREATE", "FAILED"): 20, ("CREATE", "COMPLETE"): 4,
        ("ROLLBACK", "COMPLETE"): 3, ("CHECK", "FAILED"): 1,
    }  # fmt: skip
    le_5 = {
        (s.labels["kind"], s.labels["outcome"]): s.value
        for s in families["crossheat_operation_duration_seconds"].samples
        if s.name.endswith("_bucket") and s.labels["le"] == "5.0"
    }
    assert le_5[("CREATE", "COMPLETE")] == 1 and le_5[("CREATE", "FAILED")] == 0
    assert families["crossheat_drift_found"].samples[0].value == 1


def test_a_json_line_has_the_event_fields_and_no_secret() -> None:
    forget_in_logs(["json-line-secret-71c3"])
    record = logging.getLogger("crossheat.events").makeRecord(
        "crossheat.events", logging.INFO, __file__, 1, "net failed: %s", ("json-line-secret-71c3",),
        None, extra={"stack_id": "s-1", "resource": "net", "region": "East", "operation": "e-1",
                     "status": "FAILED"},
    )  # fmt: skip
    line = json.loads(JsonLines().format(record))
    assert line["message"] == "net failed: ******"
    assert (line["stack_id"], line["resource"], line["region"], line["operation"]) == (
        "s-1", "net", "East", "e-1",
    )  # fmt: skip
    assert line["level"] == "info" and line["logger"] == "crossheat.events"


class Receiver:
    """A webhook receiver on a free loopback port: each POST's delivery id and the code
    it was answered with (``code``: what the next ones get)."""

    def __init__(self, code: int) -> None:
        self.code = code
        self.tries: list[tuple[str, int]] = []
        self.bodies: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.bodies.append(
                    json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                )
                receiver.tries.append((self.headers["X-Crossheat-Delivery"], receiver.code))
                self.send_response(receiver.code)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=t-93c1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_receiver_that_never_answers_well_is_tried_a_bounded_number_of_times(
    tmp_path: Path,
) -> None:
    receiver = Receiver(503)
    try:
        with Store.open(f"sqlite:///{tmp_path / 'w.db'}") as store:
            outbox = Outbox(attempts=3, base=0.01)
            outbox.send(store, [receiver.url], "stack.operation", "d-1", {})
            assert outbox.drain(10)
            assert store.next_delivery_at() is None  # dropped: not kept
    finally:
        receiver.close()
    assert receiver.tries == [("d-1", 503)] * 3


def test_a_delivery_written_to_a_store_already_closed_is_made_before_exit(
    tmp_path: Path,
) -> None:
    """A command closes its store as the operation it ran ends; the outbox's thread
    writes the operation's notice a moment later, and the exit waits for it."""
    receiver = Receiver(200)
    try:
        store = Store.open(f"sqlite:///{tmp_path / 'w.db'}")
        store.close()
        outbox = Outbox()
        outbox.send(store, [receiver.url], "stack.operation", "d-3", {})
        assert outbox.drain(10)
        assert store.next_delivery_at() is None
    finally:
        receiver.close()
    assert receiver.tries == [("d-3", 200)]


#: A process that writes a delivery, tries it once and is killed before it tries again.
DYING = """
import sys, time
from crossheat.service._webhooks import Outbox
from crossheat.store import Store
from crossheat.store import Store
store = Store.open(sys.argv[1])
Outbox(attempts=6, base=2).send(store, [sys.argv[2]], "stack.operation", "d-9", {"n": 1})
time.sleep(120)
"""


def attempts(database: str) -> int | None:
    """The attempts recorded of the one delivery in ``database`` (None: none yet)."""
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            exists = conn.execute(text(
                "SELECT 1 FROM sqlite_master WHERE name = 'webhook_deliveries'"
            )).first()  # fmt: skip
            if exists is None:
                return None
            return conn.execute(text("SELECT attempts FROM webhook_deliveries")).scalar()
    finally:
        engine.dispose()


def test_a_delivery_a_process_could_not_finish_is_made_by_another(tmp_path: Path) -> None:
    receiver = Receiver(503)
    database = f"sqlite:///{tmp_path / 'w.db'}"
    try:
        dying = subprocess.Popen([sys.executable, "-c", DYING, database, receiver.url])
        try:
            # killed once its first attempt is recorded as failed (one killed during an
            # attempt leaves the delivery held for a lease, ~15 s, then the same follows)
            deadline = time.monotonic() + 60
            while attempts(database) != 1 and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            dying.kill()
            dying.wait(timeout=30)
        assert receiver.tries[:1] == [("d-9", 503)]
        receiver.code = 200
        with Store.open(database) as store:
            Outbox(poll=0.2).watch(store)  # what a server, a worker or a command does
            deadline = time.monotonic() + 30
            while ("d-9", 200) not in receiver.tries and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)  # nothing more comes
            assert store.next_delivery_at() is None
    finally:
        receiver.close()
    assert receiver.tries[-1] == ("d-9", 200)
    assert {code for _, code in receiver.tries[:-1]} == {503}  # the dead one's attempts


def test_an_exit_does_not_wait_for_a_delivery_another_process_made(tmp_path: Path) -> None:
    receiver = Receiver(503)
    database = f"sqlite:///{tmp_path / 'w.db'}"
    try:
        with Store.open(database) as mine, Store.open(database) as theirs:
            outbox = Outbox(base=1.0)
            outbox.send(mine, [receiver.url], "stack.operation", "d-5", {})
            deadline = time.monotonic() + 30
            while not receiver.tries and time.monotonic() < deadline:
                time.sleep(0.01)
            receiver.code = 200
            # another process's attempt failed too, and its next one is due at once
            theirs.delivery_retry(1, datetime.now(UTC) - timedelta(seconds=1))
            Outbox(poll=0.1).watch(theirs)
            started = time.monotonic()
            assert outbox.drain(5)  # once it sees the delivery made, in about 1 s
            assert time.monotonic() - started < 4
    finally:
        receiver.close()
    assert receiver.tries[-1] == ("d-5", 200)


#: An engine whose operation ends (its stack's lock freed, with the events an operation
#: leaves) in a process that dies at once, before its outbox reads the notice.
ENDING = """
import os, sys
from crossheat.service._notify import watch_operations
from crossheat.store import Action, StackSpec, Status, Store, new_engine_id
store = watch_operations(Store.open(sys.argv[1]))
stack = store.create_stack("ended", "p1", StackSpec(template={}, tags=("webhook=" + sys.argv[2],)))
engine = new_engine_id()
store.acquire_lock(stack.id, Action.CREATE, engine)
store.update_stack_status(stack.id, Action.CREATE, Status.IN_PROGRESS, "started", event=True)
store.update_stack_status(stack.id, Action.CREATE, Status.COMPLETE, "done", event=True)
store.released_hooks.insert(0, lambda notice: os._exit(0))
store.release_lock(stack.id, engine)
os._exit(1)
"""


def test_an_operation_whose_process_dies_as_it_ends_is_still_told(tmp_path: Path) -> None:
    receiver = Receiver(200)
    database = f"sqlite:///{tmp_path / 'w.db'}"
    try:
        ending = subprocess.run([sys.executable, "-c", ENDING, database, receiver.url], timeout=60)
        assert ending.returncode == 0  # died as the lock was freed
        assert receiver.tries == []
        with Service(database_url=database) as service:
            store = service.store()  # the next command, or the server, opens the database
            deadline = time.monotonic() + 30
            while not receiver.tries and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)  # nothing more comes
            assert store.next_delivery_at() is None
    finally:
        receiver.close()
    [(delivery, code)] = receiver.tries
    [event] = receiver.bodies
    assert code == 200
    assert (event["id"], event["event"], event["stack"]["name"], event["stack_status"]) == (
        delivery,
        "stack.operation",
        "ended",
        "CREATE_COMPLETE",
    )


def test_an_exit_waits_for_the_event_of_a_notice_read_before_it_was_known_as_its_own(
    tmp_path: Path,
) -> None:
    """The outbox may read a notice between the commit that wrote it and the hook that
    tells it the notice is this process's: the exit still waits for its deliveries."""
    receiver = Receiver(503)
    try:
        with Store.open(f"sqlite:///{tmp_path / 'w.db'}") as store:
            outbox = Outbox(attempts=2, base=0.5, poll=0.1)
            outbox.reads(NOTICE, lambda _store, _notice: ("stack.operation", b"{}", [receiver.url]))
            written: list[int] = []
            store.released_hooks.append(written.append)
            stack = store.create_stack("ended", "p1", StackSpec(template={}))
            engine = new_engine_id()
            store.acquire_lock(stack.id, Action.CREATE, engine)
            store.release_lock(stack.id, engine)
            # a later row, so that the event's delivery does not take the notice's id
            [later] = store.queue_deliveries("other", "d-0", b"{}", [receiver.url])
            store.delivery_retry(later, datetime.now(UTC) + timedelta(hours=1))
            outbox.watch(store)  # another look at the store reads the notice first
            deadline = time.monotonic() + 30
            while not receiver.tries and time.monotonic() < deadline:
                time.sleep(0.001)
            outbox.noticed(store, written[0])
            assert outbox.drain(10)
    finally:
        receiver.close()
    assert [code for _, code in receiver.tries] == [503, 503]  # both attempts waited for


def test_in_multiprocess_mode_metrics_add_up_the_processes_of_the_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "prometheus").mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "prometheus"))
    count = "from crossheat.clouds.metrics import count_retry; count_retry('East')"
    engines = [subprocess.Popen([sys.executable, "-c", count]) for _ in range(2)]
    assert [engine.wait(timeout=60) for engine in engines] == [0, 0]  # each retried once
    with Service(database_url=f"sqlite:///{tmp_path / 'm.db'}") as service:
        body, _ = metrics_exposition(service)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }
    assert samples[("crossheat_cloud_retries_total", (("region", "East"),))] == 2
