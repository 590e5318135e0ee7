"""The launch and update pages of the real dashboard (``crossheat serve --auth none`` with
the emulator) in Chromium: the reference use case launched from the generated form (the
PSK typed into its password field), its plan read before the launch, its topology green
with the tunnel ACTIVE, its outputs read, the flavor updated through the form with the
preview shown before confirming, then deleted; and errors shown beside the template
line or the parameter they concern. Screenshots of each page go to tests/ui/artifacts/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PSK, REFERENCE
from tests.ui.conftest import Dashboard

pytestmark = [pytest.mark.ui, pytest.mark.e2e, pytest.mark.slow]

TUNNEL = "east_to_west / west_to_east"
Shot = Callable[[Page, str], Path]


def no_psk(page: Page) -> None:
    assert PSK not in page.content()


def test_launch_watch_update_and_delete_the_reference_through_the_pages(
    page: Page, dashboard: Dashboard, screenshot: Shot
) -> None:
    page.goto(f"{dashboard.url}/dashboard/launch")
    page.fill("#template_text", REFERENCE.read_text())
    screenshot(page, "launch-template")
    page.click("#next")

    psk = page.locator("#param-vpn_psk")
    expect(psk).to_have_attribute("type", "password")
    expect(page.locator("#constraints-vpn_psk")).to_contain_text("length at least 16")
    expect(page.locator("#param-flavor")).to_have_value("m1.small")
    page.fill("#stack_name", "vpn-ui")
    psk.fill(PSK)
    screenshot(page, "launch-parameters")
    page.click("#show-plan")

    expect(page.locator("article.region-plan")).to_have_count(2)
    expect(page.locator('article.region-plan[data-region="West"] tr[data-resource]')).to_have_count(
        9
    )
    refs = page.locator("ul.cross-region li")
    expect(refs).to_have_count(2)
    expect(
        page.locator('li[data-source="east_to_west"][data-target="west_router"]')
    ).to_be_visible()
    expect(page.locator("ol.critical-path li")).to_have_count(3)
    expect(page.locator("#estimated-time")).to_contain_text("Estimated time")
    no_psk(page)
    screenshot(page, "launch-plan")
    page.click("#launch")

    expect(page).to_have_url(re.compile(r"/dashboard/stacks/[0-9a-f-]+\?message="))
    tunnel = page.locator(f'#topology-summary li[data-tunnel="{TUNNEL}"]')
    expect(tunnel).to_have_attribute("data-status", "ACTIVE", timeout=120_000)
    expect(page.locator("#stack-status")).to_have_attribute(
        "data-status", "CREATE_COMPLETE", timeout=60_000
    )
    no_psk(page)
    page.click("#tab-outputs")
    expect(page.locator("#panel-outputs")).to_contain_text("west_gateway_ip")

    page.click("#action-update")
    expect(page.locator("#param-flavor")).to_have_value("m1.small")
    expect(page.locator("#param-vpn_psk")).to_have_value("")
    page.fill("#param-flavor", "m1.medium")
    screenshot(page, "update-form")
    page.click("#preview-update")
    west = page.locator('tr[data-resource="west_server"]')
    expect(west).to_have_attribute("data-change", "updated")
    expect(west).to_contain_text("m1.small → m1.medium")
    expect(page.locator("#preview-replaced")).to_have_attribute("data-count", "0")
    no_psk(page)
    screenshot(page, "update-preview")
    page.click("#confirm-update")
    expect(page.locator("#stack-status")).to_have_attribute(
        "data-status", "UPDATE_COMPLETE", timeout=120_000
    )

    page.click("#action-delete")
    page.click("#confirm-delete")
    expect(page.locator("#stack-status")).to_have_attribute(
        "data-status", "DELETE_COMPLETE", timeout=120_000
    )


def test_errors_show_beside_the_template_line_and_the_parameter(
    page: Page, dashboard: Dashboard, screenshot: Shot
) -> None:
    text = REFERENCE.read_text()
    broken = text.replace("type: OS::Neutron::Router\n", "type: OS::Neutron::Routr\n", 1)
    line = broken.splitlines().index("    type: OS::Neutron::Routr") + 1
    page.goto(f"{dashboard.url}/dashboard/launch")
    page.fill("#template_text", broken)
    page.click("#next")
    beside = page.locator(f"#line-{line} #error-line-{line}")
    expect(beside).to_be_visible()
    expect(beside).to_contain_text("unknown resource type 'OS::Neutron::Routr'")
    screenshot(page, "launch-template-error")

    page.fill("#template_text", text)
    page.click("#next")
    page.fill("#stack_name", "short-psk")
    page.fill("#param-vpn_psk", "too-short")
    page.click("#show-plan")
    expect(page.locator("#form-error")).to_be_focused()  # the summary, read out first
    error = page.locator("#error-vpn_psk")
    expect(error).to_contain_text("length must be at least 16")
    expect(page.locator("#param-vpn_psk")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#param-vpn_psk")).to_have_value("")
    expect(page.locator("#param-vpn_psk")).to_have_attribute("placeholder", "")  # typed again
    assert "too-short" not in page.content()
    screenshot(page, "launch-parameter-error")
