"""Operations counted from their stacks' events; JSON log lines; webhook retries bounded."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from crossheat.redact import forget_in_logs
from crossheat.service import Service
from crossheat.service._logs import JsonLines
from crossheat.service._metrics import metrics_exposition, operation_metrics
from crossheat.service._webhooks import Outbox

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


def test_a_receiver_that_never_answers_well_is_tried_a_bounded_number_of_times() -> None:
    tries: list[str] = []

    class Failing(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            tries.append(self.headers["X-Crossheat-Delivery"])
            self.send_response(503)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        outbox = Outbox(attempts=3, base=0.01)
        outbox.send([f"http://127.0.0.1:{server.server_address[1]}/"], "stack.operation", "d-1", {})
        assert outbox.drain(10)
    finally:
        server.shutdown()
        server.server_close()
    assert tries == ["d-1", "d-1", "d-1"]


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
