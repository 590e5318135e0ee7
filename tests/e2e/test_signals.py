"""What an operator watching crossheat sees: ``/metrics`` moving with the operations of the
API, webhooks told of a create's end and of drift (signed, retried), JSON log lines with
the stack, resource, region and operation of each event and no secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from openstack.config import OpenStackConfig
from openstack.connection import Connection
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import World, start_emulator
from tests.e2e.serving import free_port, serving

pytestmark = [pytest.mark.e2e]

TENANT = "default"
SECRET = "Hidden-Label-8c41d2"
SIGNING_KEY = "webhook-signing-key-0b7e55"
TEMPLATE = """heat_template_version: 2018-08-31
parameters:
  label: {type: string, hidden: true}
resources:
  net:
    type: OS::Neutron::Net
    region: East
    properties:
      name: sig-net
      value_specs: {description: {list_join: [" ", ["net of", {get_param: label}]]}}
  subnet:
    type: OS::Neutron::Subnet
    region: East
    properties: {network: {get_resource: net}, cidr: 10.9.0.0/24, name: sig-subnet}
"""

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@dataclass
class Receiver:
    """A webhook receiver on loopback: what it was sent; ``/deploy`` answers 500 once."""

    url: str = ""
    got: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def bodies(self, path: str, kind: str, timeout: float = 20) -> list[dict[str, Any]]:
        """The events of ``kind`` ``path`` got (waiting for one); signatures checked."""
        deadline = time.monotonic() + timeout
        while True:
            found = [
                (headers, body) for at, headers, body in list(self.got)
                if at == path and headers["x-crossheat-event"] == kind
            ]  # fmt: skip
            if found or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        for headers, body in found:
            expected = hmac.new(SIGNING_KEY.encode(), body, hashlib.sha256).hexdigest()
            assert headers["x-crossheat-signature"] == f"sha256={expected}"
        return [json.loads(body) for _, body in found]


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/deploy" and not receiver.refused:
                receiver.refused.append(self.path)
                self.send_response(500)
            else:
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.got.append((self.path, headers, body))
                self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def scrape(url: str) -> Samples:
    answer = httpx.get(f"{url}/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, have), v in samples.items() if n == name and wanted <= have)


def wait_status(url: str, name: str, wanted: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        stack = httpx.get(f"{url}/v1/{TENANT}/stacks/{name}", follow_redirects=True)
        status = stack.json()["stack"]["stack_status"]
        if not status.endswith("IN_PROGRESS"):
            assert status == wanted, stack.json()
            return dict(stack.json()["stack"])
        time.sleep(0.1)
    raise AssertionError(f"{name} still in progress")


def delete_subnet_behind_crossheats_back(world: World) -> None:
    config = OpenStackConfig(config_files=[world.env["OS_CLIENT_CONFIG_FILE"]])
    east = Connection(config=config.get_one(cloud="emulator", region_name="East"))
    try:
        east.network.delete_subnet(east.network.find_subnet("sig-subnet", ignore_missing=False))
    finally:
        east.close()


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_metrics_webhooks_and_json_logs_follow_a_create_and_a_drift(world: World) -> None:
    start_emulator(world, latency="default=0.0")
    log = world.tmp / "serve.log"
    env = {"CROSSHEAT_WEBHOOK_SECRET": SIGNING_KEY}
    with receiving() as receiver, serving(
        world, "--auth", "none", "--log-format", "json", "--webhook", f"{receiver.url}/deploy",
        env=env, log=log,
    ) as server:  # fmt: skip
        before = scrape(server.url)
        assert total(before, "crossheat_operations_total") == 0
        body = {
            "stack_name": "sig", "template": TEMPLATE, "parameters": {"label": SECRET},
            "tags": f"team-a,webhook={receiver.url}/stack",
        }  # fmt: skip
        answer = httpx.post(f"{server.url}/v1/{TENANT}/stacks", json=body)
        assert answer.status_code == 201, answer.text
        stack = wait_status(server.url, "sig", "CREATE_COMPLETE")

        created = scrape(server.url)
        ops = {"kind": "CREATE", "outcome": "COMPLETE"}
        assert value(created, "crossheat_operations_total", **ops) == 1
        assert value(created, "crossheat_operation_duration_seconds_count", **ops) == 1
        assert value(created, "crossheat_operation_duration_seconds_bucket", **ops, le="+Inf") == 1
        status = {"stack_status": "CREATE_COMPLETE", "region": "East"}
        assert value(created, "crossheat_stacks", **status) == 1
        east_network = {"region": "East", "service": "network"}
        calls = total(created, "crossheat_cloud_calls_total", **east_network)
        assert calls >= 2 + total(before, "crossheat_cloud_calls_total", **east_network)
        assert total(created, "crossheat_cloud_calls_total", **east_network, code="201") >= 2
        assert total(created, "crossheat_cloud_call_duration_seconds_count", **east_network) == (
            calls
        )

        # The create's end: at the stack's own webhook, and at the deployment's after a retry.
        for path in ("/stack", "/deploy"):
            (ended,) = receiver.bodies(path, "stack.operation")
            assert ended["stack"] == {"id": stack["id"], "name": "sig", "project": TENANT}
            assert (ended["operation"], ended["stack_status"]) == ("CREATE", "CREATE_COMPLETE")
            assert ended["started_at"] <= ended["ended_at"]
        assert receiver.refused == ["/deploy"]

        delete_subnet_behind_crossheats_back(world)
        check = httpx.post(
            f"{server.url}/v1/{TENANT}/stacks/sig/{stack['id']}/actions", json={"check": None}
        )
        assert check.status_code == 200, check.text
        wait_status(server.url, "sig", "CHECK_FAILED")
        (drift,) = receiver.bodies("/stack", "stack.drift")
        assert drift["stack_status"] == "CHECK_FAILED"
        assert [(r["resource"], r["region"]) for r in drift["drift"]] == [("subnet", "East")]
        assert receiver.bodies("/deploy", "stack.drift")

        checked = scrape(server.url)
        assert value(checked, "crossheat_drift_found_total") == 1
        assert value(checked, "crossheat_drifted_resources_total", region="East") == 1
        assert value(checked, "crossheat_operations_total", kind="CHECK", outcome="FAILED") == 1
        assert value(checked, "crossheat_stacks", stack_status="CHECK_FAILED", region="East") == 1
        assert value(checked, "crossheat_stacks", **status) == 0

    text = log.read_text()
    assert SECRET not in text and SIGNING_KEY not in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    events = [line for line in lines if line["logger"] == "crossheat.events"]
    created_net = [
        e for e in events if (e.get("resource"), e["action"], e["status"]) == ("net", "CREATE",
                                                                                 "COMPLETE")
    ]  # fmt: skip
    assert len(created_net) == 1, events
    assert created_net[0]["stack_id"] == stack["id"]
    assert created_net[0]["region"] == "East"
    assert created_net[0]["operation"]
    assert any(e.get("stack") == "sig" and e["status"] == "FAILED" for e in events)
    assert any(line["logger"].startswith("uvicorn") for line in lines)


ONE_NET = """heat_template_version: 2018-08-31
resources:
  net: {type: OS::Neutron::Net, region: East, properties: {name: queued-net}}
"""


def scrape_when_up(url: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url).text
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.parametrize("world", ["postgresql"], indirect=True)
def test_a_queued_create_counts_in_the_queue_then_in_its_worker(world: World) -> None:
    start_emulator(world, latency="default=0.0")
    webhook_env = {"CROSSHEAT_WEBHOOK_SECRET": SIGNING_KEY}
    with receiving() as receiver, serving(world, "--auth", "none", "--workers", "0") as server:
        body = {"stack_name": "queued", "template": ONE_NET}
        answer = httpx.post(f"{server.url}/v1/{TENANT}/stacks", json=body)
        assert answer.status_code == 201, answer.text
        waiting = scrape(server.url)
        assert value(waiting, "crossheat_queue_jobs", state="todo") == 1
        assert value(waiting, "crossheat_workers") == 0

        port = free_port()
        worker = subprocess.Popen(
            [sys.executable, "-m", "crossheat", "worker", "--metrics-port", str(port)],
            env={**world.env, **webhook_env, "CROSSHEAT_WEBHOOKS": f"{receiver.url}/worker"},
            cwd=world.tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_status(server.url, "queued", "CREATE_COMPLETE")
            own = scrape_when_up(f"http://127.0.0.1:{port}/metrics")
            (ended,) = receiver.bodies("/worker", "stack.operation")
            done = scrape(server.url)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    assert ended["stack_status"] == "CREATE_COMPLETE"
    assert value(done, "crossheat_queue_jobs", state="todo") == 0
    assert value(done, "crossheat_workers") == 1
    assert value(done, "crossheat_operations_total", kind="CREATE", outcome="COMPLETE") == 1
    # The cloud calls were the worker's: counted on its --metrics-port, not by the server.
    assert total(done, "crossheat_cloud_calls_total", region="East") == 0
    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(own)
        for s in family.samples
    }
    assert total(samples, "crossheat_cloud_calls_total", region="East", code="201") == 1
