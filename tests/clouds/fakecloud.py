"""A tiny scripted OpenStack on 127.0.0.1: Keystone v3 tokens, a catalog, scripted replies.

with FakeCloud() as cloud:
    cloud.script("GET", "/network/v2.0/networks/n1", [Reply(503), Reply(200, {...})])
    config = cloud.config(tmp_path)   # openstacksdk config with the cloud "fake"
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml
from openstack.config.loader import OpenStackConfig

REGION = "RegionOne"
TOKENS = "/identity/v3/auth/tokens"


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering


class FakeCloud:
    """An HTTP server answering Keystone and whatever replies the test scripts."""

    def __init__(self) -> None:
        self.replies: dict[tuple[str, str], list[Reply]] = {}
        self.hits: dict[tuple[str, str], int] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def __enter__(self) -> FakeCloud:
        self.thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def script(self, method: str, path: str, replies: list[Reply]) -> None:
        """Answer ``method path`` with ``replies`` in turn, repeating the last one."""
        self.replies[(method, path)] = list(replies)

    def count(self, method: str, path: str) -> int:
        return self.hits.get((method, path), 0)

    def answer(self, method: str, path: str) -> Reply:
        path = path.split("?")[0]
        self.hits[(method, path)] = self.hits.get((method, path), 0) + 1
        queue = self.replies.get((method, path))
        if queue:
            return queue.pop(0) if len(queue) > 1 else queue[0]
        if method == "POST" and path == TOKENS:
            return Reply(201, self._token(), {"X-Subject-Token": "tok"})
        if method == "GET" and path.rstrip("/") in ("/network", "/image"):
            return Reply(200, self._versions(path.strip("/")))
        return Reply(404, {"NeutronError": {"type": "NotFound", "message": "not scripted"}})

    def clouds_yaml(self, directory: Path) -> Path:
        path = directory / "clouds.yaml"
        auth = {
            "auth_url": f"{self.url}/identity/v3",
            "username": "demo",
            "password": "secret",
            "project_name": "demo",
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        }
        cloud = {"auth_type": "v3password", "auth": auth, "regions": [REGION]}
        path.write_text(yaml.safe_dump({"clouds": {"fake": cloud}}))
        return path

    def config(self, directory: Path) -> OpenStackConfig:
        files = [str(self.clouds_yaml(directory))]
        return OpenStackConfig(config_files=files, load_envvars=False)

    def _token(self) -> dict[str, Any]:
        endpoint = {"interface": "public", "region": REGION, "region_id": REGION}
        catalog = [
            {
                "type": kind,
                "name": kind,
                "id": kind,
                "endpoints": [{**endpoint, "id": kind, "url": f"{self.url}/{kind}"}],
            }
            for kind in ("network", "image")
        ]
        return {
            "token": {
                "methods": ["password"],
                "expires_at": "2999-01-01T00:00:00.000000Z",
                "issued_at": "2020-01-01T00:00:00.000000Z",
                "user": {"id": "u", "name": "demo", "domain": {"id": "default", "name": "Default"}},
                "project": {
                    "id": "p",
                    "name": "demo",
                    "domain": {"id": "default", "name": "Default"},
                },
                "roles": [{"id": "r", "name": "member"}],
                "catalog": catalog,
            }
        }

    def _versions(self, kind: str) -> dict[str, Any]:
        """Version documents: Neutron v2.0 at ``/network/v2.0/``, Glance v2.9 at ``/image/v2/``."""
        version, path = {"network": ("v2.0", "v2.0"), "image": ("v2.9", "v2")}[kind]
        link = {"rel": "self", "href": f"{self.url}/{kind}/{path}/"}
        return {"versions": [{"id": version, "status": "CURRENT", "links": [link]}]}


def _handler_for(cloud: FakeCloud) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _respond(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            reply = cloud.answer(self.command, self.path)
            time.sleep(reply.delay)
            data = b"" if reply.body is None else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header(
                "X-Openstack-Request-Id", f"req-{cloud.count(self.command, self.path)}"
            )
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _respond

    return Handler
