"""A stand-in for the dashboard's stack detail page, for testing and timing
``static/topology.js`` on its own (tests/ui/test_topology.py, benchmarks/bench_topology.py):
the package's static files under ``/dashboard/static/``, a page that mounts the topology
view, its topology JSON (given) and an SSE stream that the caller feeds.

    with standin_server({"vpn": reference_topology()}) as standin:
        page.goto(standin.page_url("vpn"))
        standin.push("resource", {"name": "east_net", "status": "CREATE_COMPLETE", ...})

It serves the JSON and the stream in the shapes the dashboard contract gives
(``GET /dashboard/stacks/{id}/topology.json``, ``GET /dashboard/stacks/{id}/stream``);
it counts the requests for both, so a test can tell that the page does not poll.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

import crossheat
from benchmarks.local import free_port

#: Debian's Chromium, as the browser tests and the benchmark start it (through Playwright,
#: never with a browser of Playwright's own): headless, no sandbox (root in a container),
#: nothing fetched from outside the loopback (no updates, no sync, no QUIC probing).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

STATIC = Path(crossheat.__file__).parent / "ui" / "static"

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Topology (test page)</title></head>
<body style="margin:0">
<h1 style="font:16px sans-serif;margin:8px">Stack {name}</h1>
<div id="topology" style="width:100%;height:calc(100vh - 48px)"></div>
<script src="/dashboard/static/vendor/cytoscape-elk.min.js"></script>
<script src="/dashboard/static/topology.js"></script>
<script>
  window.view = window.crossheatTopology.mount(document.getElementById('topology'), {{
    dataUrl: '/dashboard/stacks/{name}/topology.json',
    streamUrl: '/dashboard/stacks/{name}/stream',
  }});
</script>
</body>
</html>
"""


def reference_topology() -> dict[str, Any]:
    """The reference use case (East/West VPN) half-way through its creation: the
    networks done, the VPN pieces in progress or not started, the tunnels not up yet."""
    east = [
        ("east_net", "OS::Neutron::Net", "CREATE_COMPLETE"),
        ("east_subnet", "OS::Neutron::Subnet", "CREATE_COMPLETE"),
        ("east_router", "OS::Neutron::Router", "CREATE_COMPLETE"),
        ("east_vpn", "OS::Neutron::VPNService", "CREATE_IN_PROGRESS"),
        ("east_ike", "OS::Neutron::IKEPolicy", "CREATE_COMPLETE"),
        ("east_to_west", "OS::Neutron::IPsecSiteConnection", None),
        ("east_server", "OS::Nova::Server", "CREATE_FAILED"),
    ]
    west = [(name.replace("east", "west"), kind, status) for name, kind, status in east]
    west[5] = ("west_to_east", "OS::Neutron::IPsecSiteConnection", None)
    west[6] = ("west_server", "OS::Nova::Server", "CREATE_IN_PROGRESS")
    reasons = {"east_server": "Server build failed: no valid host"}
    resources = [
        {"name": name, "type": kind, "region": region, "status": status,
         "status_reason": reasons.get(name, ""), "physical_id": None}
        for region, rows in (("East", east), ("West", west))
        for name, kind, status in rows
    ]  # fmt: skip
    links = []
    for side, other in (("east", "west"), ("west", "east")):
        links += [
            {"source": f"{side}_subnet", "target": f"{side}_net", "cross_region": False},
            {"source": f"{side}_router", "target": f"{side}_subnet", "cross_region": False},
            {"source": f"{side}_vpn", "target": f"{side}_router", "cross_region": False},
            {"source": f"{side}_to_{other}", "target": f"{side}_vpn", "cross_region": False},
            {"source": f"{side}_to_{other}", "target": f"{side}_ike", "cross_region": False},
            {"source": f"{side}_to_{other}", "target": f"{other}_router", "cross_region": True},
            {"source": f"{side}_server", "target": f"{side}_subnet", "cross_region": False},
        ]
    return {
        "stack": {"id": "s-1", "name": "vpn", "status": "CREATE_IN_PROGRESS",
                  "status_reason": "Stack CREATE started"},
        "regions": [{"name": "East", "cloud": "onprem"}, {"name": "West", "cloud": "public"}],
        "resources": resources,
        "links": links,
        "tunnels": [{"name": "east_to_west / west_to_east", "regions": ["East", "West"],
                     "ends": ["east_to_west", "west_to_east"], "status": None}],
    }  # fmt: skip


def large_topology(count: int, regions: int = 4) -> dict[str, Any]:
    """``count`` resources spread over ``regions`` regions, each region a few chains of
    dependencies (net <- subnet <- port <- server...), a tunnel between neighbouring
    regions and a cross-region reference per region; statuses of every kind."""
    names = [f"Region{i + 1}" for i in range(regions)]
    statuses = ["CREATE_COMPLETE", "CREATE_IN_PROGRESS", "CREATE_FAILED", "INIT_COMPLETE", None]
    resources: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for i in range(count):
        region = names[i % regions]
        name = f"r{i:03d}"
        resources.append({
            "name": name, "type": "OS::Neutron::Port", "region": region,
            "status": statuses[(i // regions) % len(statuses)], "status_reason": "",
            "physical_id": None,
        })  # fmt: skip
        earlier = i - regions  # the previous resource of the same region
        if earlier >= 0 and (i // regions) % 6 != 0:
            links.append({"source": name, "target": f"r{earlier:03d}", "cross_region": False})
    for r in range(1, regions):
        links.append({"source": f"r{r:03d}", "target": f"r{r - 1:03d}", "cross_region": True})
    tunnels = [
        {"name": f"t{r}", "regions": [names[r - 1], names[r]], "ends": [f"a{r}", f"b{r}"],
         "status": "ACTIVE" if r % 2 else "DOWN"}
        for r in range(1, regions)
    ]  # fmt: skip
    return {
        "stack": {"id": "s-big", "name": "big", "status": "CREATE_IN_PROGRESS",
                  "status_reason": ""},
        "regions": [{"name": n, "cloud": "onprem"} for n in names],
        "resources": resources, "links": links, "tunnels": tunnels,
    }  # fmt: skip


@dataclass
class Standin:
    url: str
    topologies: dict[str, dict[str, Any]]
    #: requests per path (``/dashboard/stacks/vpn/topology.json``...)
    requests: dict[str, int] = field(default_factory=dict)
    subscribers: set[asyncio.Queue[str]] = field(default_factory=set)
    #: seconds the topology JSON of a stack takes to answer (default none)
    delays: dict[str, float] = field(default_factory=dict)

    def page_url(self, name: str) -> str:
        return f"{self.url}/test/stacks/{name}"

    def push(self, event: str, data: dict[str, Any], *, wait: float = 10) -> None:
        """Send ``event`` to every open stream; waits up to ``wait`` s for one to be open."""
        self.push_all([(event, data)], wait=wait)

    def push_all(self, events: list[tuple[str, dict[str, Any]]], *, wait: float = 10) -> None:
        """Send ``events`` in a burst (one write each, back to back) to every open stream."""
        deadline = time.monotonic() + wait
        body = [{"event": event, "data": data} for event, data in events]
        with httpx.Client(base_url=self.url) as client:
            while True:
                sent = client.post("/test/push", json=body).json()["subscribers"]
                if sent or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        assert sent, "no page listens to the stream"


def _app(standin: Standin) -> Starlette:
    def count(request: Request) -> None:
        standin.requests[request.url.path] = standin.requests.get(request.url.path, 0) + 1

    async def page(request: Request) -> Response:
        return HTMLResponse(PAGE.format(name=request.path_params["name"]))

    async def topology(request: Request) -> Response:
        count(request)
        found = standin.topologies.get(request.path_params["name"])
        if found is None:
            return JSONResponse({"detail": "no such stack"}, status_code=404)
        body = JSONResponse(found)  # the stack as it is now, sent after the delay
        await asyncio.sleep(standin.delays.get(request.path_params["name"], 0))
        return body

    async def stream(request: Request) -> Response:
        count(request)
        queue: asyncio.Queue[str] = asyncio.Queue()
        standin.subscribers.add(queue)

        async def events() -> AsyncIterator[str]:
            try:
                yield ": connected\n\n"
                while not await request.is_disconnected():
                    try:
                        yield await asyncio.wait_for(queue.get(), timeout=0.5)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
            finally:
                standin.subscribers.discard(queue)

        return StreamingResponse(events(), media_type="text/event-stream")

    async def push(request: Request) -> Response:
        for item in await request.json():
            message = f"event: {item['event']}\ndata: {json.dumps(item['data'])}\n\n"
            for queue in list(standin.subscribers):
                queue.put_nowait(message)
        return JSONResponse({"subscribers": len(standin.subscribers)})

    return Starlette(
        routes=[
            Route("/test/stacks/{name}", page),
            Route("/test/push", push, methods=["POST"]),
            Route("/dashboard/stacks/{name}/topology.json", topology),
            Route("/dashboard/stacks/{name}/stream", stream),
            Mount("/dashboard/static", StaticFiles(directory=STATIC), name="static"),
        ]
    )


@contextmanager
def standin_server(topologies: dict[str, dict[str, Any]]) -> Iterator[Standin]:
    """The stand-in, served by uvicorn in a thread on a free loopback port."""
    port = free_port()
    standin = Standin(f"http://127.0.0.1:{port}", topologies)
    config = uvicorn.Config(
        _app(standin), host="127.0.0.1", port=port, log_level="warning",
        timeout_graceful_shutdown=1, lifespan="off",
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="ui-standin", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the stand-in did not start"
        time.sleep(0.05)
    try:
        yield standin
    finally:
        server.should_exit = True
        thread.join(timeout=10)
