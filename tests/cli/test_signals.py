"""``stack create --webhook URL --wait``: the CLI's engine tells the stack's webhook, and
logs JSON lines to ``CROSSHEAT_LOG_FILE`` without the hidden parameter's value."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REGION_MAP = "regions:\n  East:\n    cloud: nowhere\ndefault_region: East\n"
TEMPLATE = """heat_template_version: 2018-08-31
parameters:
  word: {type: string, hidden: true}
resources:
  value: {type: OS::Heat::Value, properties: {value: {get_param: word}}}
"""
SECRET = "cli-hidden-word-93ad"


def test_the_cli_engine_tells_the_stack_webhook_and_logs_json(
    tmp_path: Path, env: dict[str, str]
) -> None:
    got: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (tmp_path / "regions.yaml").write_text(REGION_MAP)
    (tmp_path / "t.yaml").write_text(TEMPLATE)
    log = tmp_path / "engine.log"
    env.update(
        CROSSHEAT_REGION_MAP=str(tmp_path / "regions.yaml"), CROSSHEAT_LOG_FORMAT="json",
        CROSSHEAT_LOG_FILE=str(log),
    )  # fmt: skip
    hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "crossheat", "stack", "create", "hooked", "-t", "t.yaml",
             "--parameter", f"word={SECRET}", "--webhook", hook, "--wait"],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr
    assert [(e["event"], e["stack"]["name"], e["stack_status"]) for e in got] == [
        ("stack.operation", "hooked", "CREATE_COMPLETE")
    ]
    text = log.read_text()
    assert SECRET not in text and SECRET not in done.stdout + done.stderr
    lines = [json.loads(line) for line in text.splitlines()]
    created = [line for line in lines if line.get("resource") == "value"]
    assert [(e["action"], e["status"]) for e in created][-1] == ("CREATE", "COMPLETE")
    assert created[-1]["operation"] and created[-1]["stack_id"] == got[0]["stack"]["id"]
