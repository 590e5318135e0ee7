"""The dashboard of ``crossheat serve --auth none`` while the reference use case deploys
on the emulator: the live stream (server-sent events) tells each resource, the tunnel
and the stack as they move; then ``topology.json`` has both regions, the 18 resources,
the cross-region references and the one tunnel ACTIVE; the regions page shows both
clouds reachable with the calls the engine made. The PSK appears nowhere."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PSK, REFERENCE, World, start_emulator
from tests.e2e.serving import serving

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.parametrize("world", ["sqlite"], indirect=True),
]


def read_stream(client: httpx.Client, url: str, until: str) -> list[tuple[str, Any]]:
    """The stream's events (kind, data) until a ``stack`` event whose status is ``until``
    or ends in ``_FAILED``."""
    seen: list[tuple[str, Any]] = []
    kind = ""
    with client.stream("GET", url, timeout=httpx.Timeout(120, read=120)) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        for line in answer.iter_lines():
            if line.startswith("event:"):
                kind = line.partition(":")[2].strip()
            elif line.startswith("data:"):
                data = json.loads(line.partition(":")[2].strip())
                seen.append((kind, data))
                if kind == "stack" and (
                    data["status"] == until or data["status"].endswith("_FAILED")
                ):
                    return seen
    raise AssertionError(f"the stream ended before {until}: {seen[-5:]}")


def test_the_dashboard_follows_the_reference_deploy_live(world: World) -> None:
    # Servers take 2 s to build: the stream, reading every 0.5 s, sees them in progress.
    start_emulator(world, latency="default=0.02,server=2")
    env = {"CROSSHEAT_DATABASE_URL": world.db_url}
    with serving(world, "--auth", "none", env=env, log=world.tmp / "serve.log") as server:
        client = httpx.Client(base_url=server.url, follow_redirects=True, timeout=30)
        assert client.get("/dashboard/login").url.path == "/dashboard/"
        body = {
            "stack_name": "vpn",
            "template": REFERENCE.read_text(),
            "parameters": {"vpn_psk": PSK},
        }
        created = client.post("/v1/default/stacks", json=body)
        assert created.status_code == 201, created.text
        stack_id = created.json()["stack"]["id"]

        streamed = read_stream(client, f"/dashboard/stacks/{stack_id}/stream", "CREATE_COMPLETE")
        assert PSK not in json.dumps(streamed)
        kinds = {kind for kind, _ in streamed}
        assert kinds == {"resource", "tunnel", "stack", "event"}, kinds
        moves: dict[str, list[str]] = {}
        for kind, data in streamed:
            if kind == "resource" and data["status"] is not None:  # None: not made yet
                moves.setdefault(data["name"], []).append(data["status"])
                assert data["region"] in ("East", "West")
        assert len(moves) == 18
        assert all(seq[-1] == "CREATE_COMPLETE" for seq in moves.values()), moves
        # The first events tell the state as the stream began, then it moves: the
        # servers take a while, seen in progress then complete.
        assert streamed[0][0] == "resource"
        first_stack = next(d for k, d in streamed if k == "stack")
        assert first_stack["status"] == "CREATE_IN_PROGRESS"
        assert moves["west_server"][-2:] == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
        tunnels = [d for k, d in streamed if k == "tunnel"]
        assert tunnels[-1] == {"name": "east_to_west / west_to_east", "status": "ACTIVE"}
        events = [d for k, d in streamed if k == "event"]
        assert {"east_to_west", "west_server"} <= {e["resource_name"] for e in events}
        assert set(events[0]) >= {"id", "resource_name", "logical_resource_id",
                                  "resource_status", "resource_status_reason", "event_time",
                                  "region"}  # fmt: skip

        topology = client.get(f"/dashboard/stacks/{stack_id}/topology.json")
        assert PSK not in topology.text
        data = topology.json()
        assert data["stack"]["status"] == "CREATE_COMPLETE"
        assert [r["name"] for r in data["regions"]] == ["East", "West"]
        assert all(r["cloud"] for r in data["regions"])
        assert len(data["resources"]) == 18
        assert {r["region"] for r in data["resources"]} == {"East", "West"}
        assert all(r["status"] == "CREATE_COMPLETE" and r["physical_id"]
                   for r in data["resources"])  # fmt: skip
        links = {(link["source"], link["target"]): link["cross_region"] for link in data["links"]}
        assert links[("east_subnet", "east_net")] is False
        assert any(cross for cross in links.values())
        assert data["tunnels"] == [{
            "name": "east_to_west / west_to_east", "regions": ["East", "West"],
            "ends": ["east_to_west", "west_to_east"], "status": "ACTIVE",
        }]  # fmt: skip

        page = client.get(f"/dashboard/stacks/{stack_id}").text
        assert PSK not in page
        psk_row = page.split('<tr data-parameter="vpn_psk">')[1].split("</tr>")[0]
        assert "******" in psk_row

        regions = client.get("/dashboard/regions").text
        for name in ("East", "West"):
            card = regions.split(f'<article data-region="{name}"')[1].split("</article>")[0]
            assert 'data-reachable="yes"' in card, card
            assert '<dd data-field="stacks">1</dd>' in card
            assert '<dd data-field="resources">9</dd>' in card
            calls = re.search(r'<dd data-field="calls">(\d+)</dd>', card)
            assert calls is not None and int(calls.group(1)) > 18
            assert re.search(r'<dd data-field="latency">[\d.]+ ms mean', card)
            assert "compute" in card and "network" in card  # the catalog's endpoints
        assert PSK not in regions
