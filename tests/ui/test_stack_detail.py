"""The stack detail page of the real dashboard (``crossheat serve --auth none`` with the
emulator) in Chromium: the reference use case created through the API while the page is
open; its topology turns green without a reload and its IPsec pair shows as one tunnel,
ACTIVE, between the East and West boxes. Its screenshot is saved with the others
(tests/ui/artifacts/) and goes to the README (docs/images/stack-detail.png) when that
is missing or ``UPDATE_README_IMAGES=1`` (``make readme-images``): a test run does not
change a committed file otherwise."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PSK, REFERENCE
from tests.ui.conftest import Dashboard

pytestmark = [pytest.mark.ui, pytest.mark.e2e, pytest.mark.slow]

README_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "stack-detail.png"
TUNNEL = "east_to_west / west_to_east"
#: Every region box within the visible part of the graph, and the graph not tiny in it.
ALL_IN_VIEW = """() => {
  const cy = document.getElementById('topology').crossheatTopology.cy;
  const view = cy.extent(), box = cy.nodes('.region').boundingBox();
  return cy.width() > 0 && box.x1 >= view.x1 && box.x2 <= view.x2 && box.y1 >= view.y1
    && box.y2 <= view.y2 && box.w * cy.zoom() > cy.width() * 0.5;
}"""


def test_the_reference_case_turns_green_live_with_its_tunnel_between_east_and_west(
    page: Page, dashboard: Dashboard, screenshot: Callable[[Page, str], Path]
) -> None:
    body = {"stack_name": "vpn", "template": REFERENCE.read_text(),
            "parameters": {"vpn_psk": PSK}}  # fmt: skip
    created = httpx.post(f"{dashboard.url}/v1/default/stacks", json=body, timeout=30)
    assert created.status_code == 201, created.text
    stack_id = created.json()["stack"]["id"]

    page.goto(f"{dashboard.url}/dashboard/stacks/{stack_id}")
    topology = page.locator("#topology")
    expect(topology).to_have_attribute("data-state", "ready")
    page.evaluate("() => { window.notReloaded = true; }")
    first = page.evaluate("""() => Array.from(
      document.querySelectorAll('#topology-summary li[data-resource]'),
      (li) => li.getAttribute('data-status'))""")
    assert len(first) == 18
    assert set(first) != {"CREATE_COMPLETE"}, "the stack was done before the page opened"

    tunnel = page.locator(f'#topology-summary li[data-tunnel="{TUNNEL}"]')
    expect(tunnel).to_have_attribute("data-status", "ACTIVE", timeout=120_000)
    expect(page.locator("#stack-status")).to_have_attribute(
        "data-status", "CREATE_COMPLETE", timeout=60_000
    )
    not_done = page.locator(
        '#topology-summary li[data-resource]:not([data-status="CREATE_COMPLETE"])'
    )
    expect(not_done).to_have_count(0)
    for end in ("east_to_west", "west_to_east"):
        expect(page.locator(f'#topology-summary li[data-resource="{end}"]')).to_have_attribute(
            "data-status", "CREATE_COMPLETE"
        )
    assert page.evaluate("() => window.notReloaded") is True

    drawn = page.evaluate("""(name) => {
      const cy = document.getElementById('topology').crossheatTopology.cy;
      const edges = cy.edges('.tunnel');
      return {
        tunnels: edges.map((e) => [e.data('name'), e.source().id(), e.target().id(),
                                    e.data('status'), e.style('line-color')]),
        regions: cy.nodes('.region').map((n) => n.data('name')).sort(),
        green: cy.nodes('.resource').filter((n) => n.hasClass('complete')).length,
      };
    }""")
    assert drawn["tunnels"] == [[TUNNEL, "region:East", "region:West", "ACTIVE", "rgb(46,125,50)"]]
    assert drawn["regions"] == ["East", "West"]
    assert drawn["green"] == 18
    label = topology.get_attribute("aria-label") or ""
    assert "18 resources in 2 regions (East, West); 18 complete" in label
    assert f"tunnels: {TUNNEL} ACTIVE" in label
    assert PSK not in page.content()
    data = page.request.get(f"{dashboard.url}/dashboard/stacks/{stack_id}/topology.json")
    assert data.ok and PSK not in data.text()

    page.set_viewport_size({"width": 1920, "height": 1080})
    expect(page.locator("#topology")).to_have_attribute("data-state", "ready")
    page.wait_for_function(ALL_IN_VIEW)  # fitted to the wider window
    screenshot(page, "stack-detail-1920")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.wait_for_function(ALL_IN_VIEW)
    shot = screenshot(page, "stack-detail")
    if os.environ.get("UPDATE_README_IMAGES") == "1" or not README_IMAGE.exists():
        README_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, README_IMAGE)

    # Opened on another tab, the graph is drawn in a hidden element: shown, it fits.
    page.goto(f"{dashboard.url}/dashboard/stacks/{stack_id}?tab=resources")
    expect(page.locator("#topology")).to_have_attribute("data-state", "ready")
    page.click("#tab-topology")
    page.wait_for_function(ALL_IN_VIEW)
    assert page.evaluate("() => window.crossheatTopology && !!document.querySelector("
                         "'#topology canvas')")  # fmt: skip
