"""``static/topology.js`` in Chromium, on a stand-in page (benchmarks/ui_standin.py) that serves
the topology JSON and an SSE stream the test feeds: region boxes, nodes coloured by
status (as drawn: pixels of the canvas), live updates without reload or polling, the
tunnel between the region boxes, the hidden summary list, and 200 resources."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from benchmarks.ui_standin import Standin, large_topology, reference_topology, standin_server
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.ui]

GREEN, BLUE, RED, GREY = (46, 125, 50), (21, 101, 192), (198, 40, 40), (117, 117, 117)
TUNNEL = "east_to_west / west_to_east"

#: The colour drawn at a point of a node (near its top edge, clear of its label), read
#: back from the graph as rendered (cy.png of the viewport).
NODE_COLOUR = """async (id) => {
  const view = document.getElementById('topology').crossheatTopology;
  const node = view.cy.getElementById(id);
  const box = node.renderedBoundingBox({includeLabels: false});
  const uri = view.cy.png({full: false, bg: '#ffffff'});
  const img = new Image();
  img.src = uri;
  await img.decode();
  const scale = img.width / view.cy.width();
  const canvas = document.createElement('canvas');
  canvas.width = img.width; canvas.height = img.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const x = Math.round((box.x1 + box.x2) / 2 * scale);
  const y = Math.round((box.y1 + (box.y2 - box.y1) * 0.2) * scale);
  return Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3));
}"""


def _near(colour: list[int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 30 for a, b in zip(colour, expected, strict=True))


@pytest.fixture(scope="module")
def standin() -> Iterator[Standin]:
    topologies = {"vpn": reference_topology(), "slow": reference_topology(),
                  "big": large_topology(200)}  # fmt: skip
    with standin_server(topologies) as served:
        yield served


def _open(page: Page, standin: Standin, name: str) -> None:
    page.goto(standin.page_url(name))
    expect(page.locator("#topology")).to_have_attribute("data-state", "ready")


def _click(page: Page, kind: str, id: str) -> None:
    """A mouse click on a node (its centre) or an edge (a quarter of the way along)."""
    x, y = page.evaluate(
        """([kind, id]) => {
          const view = document.getElementById('topology').crossheatTopology;
          const ele = view.cy.getElementById(id);
          const at = view.canvas.getBoundingClientRect();
          let p;
          if (kind === 'node') p = ele.renderedPosition();
          else {
            const a = ele.renderedSourceEndpoint(), b = ele.renderedTargetEndpoint();
            p = {x: a.x + (b.x - a.x) / 4, y: a.y + (b.y - a.y) / 4};
          }
          return [at.left + p.x, at.top + p.y];
        }""",
        [kind, id],
    )
    page.mouse.click(x, y)


def _summary(page: Page, kind: str, name: str) -> Any:
    return page.locator(f'#topology-summary li[data-{kind}="{name}"]')


def test_regions_are_boxes_and_nodes_take_their_status_colours(
    page: Page, standin: Standin, screenshot: Callable[[Page, str], Path]
) -> None:
    _open(page, standin, "vpn")
    graph = page.evaluate("""() => {
      const cy = document.getElementById('topology').crossheatTopology.cy;
      const parent = (id) => cy.getElementById(id).parent().data('name') || null;
      const box = (id) => cy.getElementById(id).boundingBox();
      return {
        regions: cy.nodes('.region').map((n) => n.data('label')).sort(),
        east_net: parent('resource:east_net'), west_server: parent('resource:west_server'),
        east: box('region:East'), west: box('region:West'),
        tunnel: cy.edges('.tunnel').map((e) => [e.source().id(), e.target().id()]),
        cross: cy.edges('.cross').map((e) => [parent(e.source().id()), parent(e.target().id())]),
      };
    }""")
    assert graph["regions"] == ["East (onprem)", "West (public)"]
    assert (graph["east_net"], graph["west_server"]) == ("East", "West")
    east, west = graph["east"], graph["west"]
    assert east["x2"] < west["x1"] or west["x2"] < east["x1"], "the region boxes overlap"
    assert graph["tunnel"] == [["region:East", "region:West"]]  # one edge for the pair
    assert sorted(graph["cross"]) == [["East", "West"], ["West", "East"]]

    colours = {
        name: page.evaluate(NODE_COLOUR, f"resource:{name}")
        for name in ("east_net", "east_vpn", "east_server", "east_to_west")
    }
    assert _near(colours["east_net"], GREEN), colours
    assert _near(colours["east_vpn"], BLUE), colours
    assert _near(colours["east_server"], RED), colours
    assert _near(colours["east_to_west"], GREY), colours

    topology = page.locator("#topology")
    expect(topology).to_have_attribute("role", "img")
    label = topology.get_attribute("aria-label") or ""
    assert "14 resources in 2 regions (East, West)" in label
    assert "8 complete, 3 in progress, 1 failed" in label
    expect(_summary(page, "resource", "east_net")).to_have_attribute(
        "data-status", "CREATE_COMPLETE"
    )
    expect(_summary(page, "resource", "east_server")).to_have_attribute(
        "data-status", "CREATE_FAILED"
    )
    expect(_summary(page, "tunnel", TUNNEL)).to_have_attribute("data-status", "NOT_CREATED")
    # A click on a node or on the tunnel tells it in words (read out: aria-live).
    _click(page, "node", "resource:east_server")
    expect(page.locator("#topology-details")).to_have_text(
        "east_server (OS::Nova::Server) in East: CREATE_FAILED - Server build failed: no valid host"
    )
    expect(page.locator("#topology-details")).to_have_attribute("aria-live", "polite")
    _click(page, "edge", f"tunnel:{TUNNEL}")
    expect(page.locator("#topology-details")).to_have_text(
        f"Tunnel {TUNNEL} between East and West: not created yet"
    )
    # With the keyboard: the graph takes focus, arrows step through resources and tunnels.
    page.keyboard.press("Tab")
    expect(page.locator("#topology")).to_be_focused()
    page.keyboard.press("ArrowRight")  # from the tunnel (the last) round to the first
    expect(page.locator("#topology-details")).to_have_text(
        "east_net (OS::Neutron::Net) in East: CREATE_COMPLETE"
    )
    page.keyboard.press("ArrowRight")
    expect(page.locator("#topology-details")).to_contain_text("east_subnet")
    zoom = "() => document.getElementById('topology').crossheatTopology.cy.zoom()"
    fitted = page.evaluate(zoom)
    page.keyboard.press("+")
    assert page.evaluate(zoom) == pytest.approx(fitted * 1.25)
    page.keyboard.press("0")
    assert page.evaluate(zoom) == pytest.approx(fitted)
    screenshot(page, "topology-standin")


def test_stream_events_restyle_the_graph_without_reload_or_polling(
    page: Page, standin: Standin, screenshot: Callable[[Page, str], Path]
) -> None:
    before = dict(standin.requests)
    _open(page, standin, "vpn")
    page.evaluate("() => { window.notReloaded = true; }")

    standin.push("resource", {"name": "east_vpn", "region": "East",
                              "status": "CREATE_COMPLETE", "status_reason": ""})  # fmt: skip
    expect(_summary(page, "resource", "east_vpn")).to_have_attribute(
        "data-status", "CREATE_COMPLETE"
    )
    assert _near(page.evaluate(NODE_COLOUR, "resource:east_vpn"), GREEN)

    for end in ("east_to_west", "west_to_east"):
        standin.push("resource", {"name": end, "region": end[:4].title(),
                                  "status": "CREATE_COMPLETE", "status_reason": ""})  # fmt: skip
    standin.push("tunnel", {"name": TUNNEL, "status": "ACTIVE"})
    expect(_summary(page, "tunnel", TUNNEL)).to_have_attribute("data-status", "ACTIVE")
    expect(_summary(page, "resource", "west_to_east")).to_have_attribute(
        "data-status", "CREATE_COMPLETE"
    )
    tunnel = page.evaluate("""() => {
      const e = document.getElementById('topology').crossheatTopology.cy
        .getElementById('tunnel:east_to_west / west_to_east');
      return {label: e.data('label'), colour: e.style('line-color')};
    }""")
    assert tunnel == {
        "label": "east_to_west /\nwest_to_east\nACTIVE",
        "colour": "rgb(46,125,50)",
    }
    assert "tunnels: east_to_west / west_to_east ACTIVE" in (
        page.locator("#topology").get_attribute("aria-label") or ""
    )

    _click(page, "edge", f"tunnel:{TUNNEL}")
    standin.push("tunnel", {"name": TUNNEL, "status": "DOWN"})
    expect(_summary(page, "tunnel", TUNNEL)).to_have_attribute("data-status", "DOWN")
    expect(page.locator("#topology-details")).to_have_text(
        f"Tunnel {TUNNEL} between East and West: DOWN"
    )

    # A resource the JSON did not have joins its region's box; the stack's status shows.
    standin.push("resource", {"name": "east_extra", "region": "East",
                              "status": "CREATE_IN_PROGRESS", "status_reason": ""})  # fmt: skip
    standin.push("stack", {"status": "CREATE_FAILED", "status_reason": "east_server: boom"})
    expect(_summary(page, "resource", "east_extra")).to_have_attribute(
        "data-status", "CREATE_IN_PROGRESS"
    )
    expect(page.locator("#topology")).to_have_attribute(
        "aria-label", re.compile(r"^Stack topology of vpn \(CREATE_FAILED\): 15 resources")
    )
    page.wait_for_function("""() => {
      const cy = document.getElementById('topology').crossheatTopology.cy;
      const node = cy.getElementById('resource:east_extra'), box = node.parent().boundingBox();
      const p = node.position();
      return node.parent().id() === 'region:East' && p.x > box.x1 && p.x < box.x2
        && p.y > box.y1 && p.y < box.y2;
    }""")
    assert page.evaluate("() => window.notReloaded") is True
    screenshot(page, "topology-standin-live")

    page.wait_for_timeout(1500)  # a page that polled would have asked again by now
    after = {path: standin.requests.get(path, 0) - before.get(path, 0) for path in standin.requests}
    assert after == {
        "/dashboard/stacks/vpn/topology.json": 1,
        "/dashboard/stacks/vpn/stream": 1,
    }


def test_changes_while_the_json_is_on_its_way_are_not_lost(page: Page, standin: Standin) -> None:
    """The stream opens before the JSON is asked for: a change the stream says while the
    (slow) JSON answer is on its way shows once the graph is drawn."""
    standin.delays["slow"] = 3.0
    json = "/dashboard/stacks/slow/topology.json"
    page.goto(standin.page_url("slow"), wait_until="commit")
    deadline = time.monotonic() + 10
    while not standin.requests.get(json) and time.monotonic() < deadline:
        time.sleep(0.02)
    # The JSON is made (east_server failed); it answers in 3 s. The server completes now.
    standin.push("resource", {"name": "east_server", "region": "East",
                              "status": "CREATE_COMPLETE", "status_reason": ""},
                 wait=1.5)  # fmt: skip
    expect(page.locator("#topology")).to_have_attribute("data-state", "loading")
    expect(page.locator("#topology")).to_have_attribute("data-state", "ready")
    expect(_summary(page, "resource", "east_server")).to_have_attribute(
        "data-status", "CREATE_COMPLETE"
    )
    assert _near(page.evaluate(NODE_COLOUR, "resource:east_server"), GREEN)


def test_two_hundred_resources(
    page: Page, standin: Standin, screenshot: Callable[[Page, str], Path]
) -> None:
    started = time.monotonic()
    _open(page, standin, "big")
    drawn = time.monotonic() - started
    print(f"200 resources drawn in {drawn:.2f} s")
    assert drawn < 15, f"200 resources took {drawn:.1f} s to draw"
    counts = page.evaluate("""() => {
      const cy = document.getElementById('topology').crossheatTopology.cy;
      const inside = cy.nodes('.resource').filter((n) => {
        const p = n.position(), b = n.parent().boundingBox();
        return p.x > b.x1 && p.x < b.x2 && p.y > b.y1 && p.y < b.y2;
      });
      return {resources: cy.nodes('.resource').length, inside: inside.length,
              regions: cy.nodes('.region').length, tunnels: cy.edges('.tunnel').length};
    }""")
    assert counts == {"resources": 200, "inside": 200, "regions": 4, "tunnels": 3}
    expect(page.locator("#topology-summary li[data-resource]")).to_have_count(200)

    # A burst of events (every resource completes) is applied in batches, not one by one.
    started = time.monotonic()
    standin.push_all(
        [("resource", {"name": f"r{i:03d}", "status": "CREATE_COMPLETE"}) for i in range(200)]
    )
    expect(page.locator('#topology-summary li[data-status="CREATE_COMPLETE"]')).to_have_count(200)
    applied = time.monotonic() - started
    assert applied < 5, f"200 events took {applied:.1f} s to show"
    assert _near(page.evaluate(NODE_COLOUR, "resource:r199"), GREEN)
    print(f"200 resource events shown in {applied:.2f} s")
    screenshot(page, "topology-200")
