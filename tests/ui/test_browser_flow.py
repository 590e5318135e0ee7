"""Issue 14's scenario in Chromium, against ``crossheat serve`` with the emulator's
Keystone (a real login): log in, launch the reference use case from the form (the PSK
typed into its password field), watch the topology turn green without a reload with the
tunnel ACTIVE between the East and West boxes, read the outputs, change the West
server's flavor through the update form with the preview shown, delete the stack. And:
errors shown beside the template line and the parameter; a user of another project not
seeing the stack; forged posts refused. Each page is saved as a screenshot in
``tests/ui/artifacts/``."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import PSK, REFERENCE, World
from tests.ui.conftest import served_with_emulator

pytestmark = [pytest.mark.ui, pytest.mark.e2e, pytest.mark.slow]

TUNNEL = "east_to_west / west_to_east"
#: The emulator's built-in user (member of project demo).
USER, PASSWORD = "demo", "demo"
#: The West server's flavor, from the parameter to a literal of the new template.
WEST_FLAVOR = (
    "      flavor: {get_param: flavor}\n      networks: [{network: {get_resource: west_net}}]"
)
SERVER_BUILD_S = 3
Shot = Callable[[Page, str], Path]


@pytest.fixture(scope="module")
def heat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    """``crossheat serve`` (Keystone authentication: the emulator's) with East and West."""
    with served_with_emulator(
        tmp_path_factory.mktemp("flow"), server_build_s=SERVER_BUILD_S
    ) as served:
        yield served


def _statuses(page: Page) -> list[str]:
    return page.evaluate("""() => Array.from(
      document.querySelectorAll('#topology-summary li[data-resource]'),
      (li) => li.getAttribute('data-status'))""")


def test_log_in_launch_watch_update_and_delete_the_reference_case(
    page: Page, heat: tuple[str, World], screenshot: Shot
) -> None:
    url, world = heat
    west_literal = WEST_FLAVOR.replace("{get_param: flavor}", "m1.medium")
    reference = REFERENCE.read_text()
    assert reference.count(WEST_FLAVOR) == 1
    updated_template = reference.replace(WEST_FLAVOR, west_literal)

    # Log in: a browser at / goes to the dashboard, which asks who is there.
    page.goto(f"{url}/")
    expect(page).to_have_url(f"{url}/dashboard/login?next=%2Fdashboard%2F")
    screenshot(page, "login")
    page.get_by_label("User name").fill(USER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{url}/dashboard/")
    expect(page.locator("#current-user")).to_have_text(USER)
    expect(page.locator("#current-project")).to_have_text("demo")
    screenshot(page, "stacks-empty")

    # Launch the reference use case from the form, the PSK in its password field.
    page.get_by_role("link", name="Launch stack").first.click()
    page.locator("#template_text").fill(reference)
    page.locator("#next").click()
    psk = page.locator("#param-vpn_psk")
    expect(psk).to_have_attribute("type", "password")
    page.locator("#stack_name").fill("vpn")
    psk.fill(PSK)
    screenshot(page, "launch-parameters")
    page.locator("#show-plan").click()
    expect(page.locator("#plan-regions")).to_contain_text("18 resources in 2 regions")
    expect(page.locator("article.region-plan")).to_have_count(2)
    west_plan = page.locator('article.region-plan[data-region="West"] tr[data-resource]')
    expect(west_plan).to_have_count(9)
    expect(page.locator("ul.cross-region li")).to_have_count(2)
    crossing = page.locator('li[data-source="east_to_west"][data-target="west_router"]')
    expect(crossing).to_be_visible()
    expect(page.locator("ol.critical-path li")).to_have_count(3)
    expect(page.locator("#estimated-time")).to_contain_text("Estimated time")
    assert PSK not in page.content()
    screenshot(page, "launch-plan")
    page.locator("#launch").click()
    expect(page).to_have_url(re.compile(r"/dashboard/stacks/[0-9a-f-]+\?message=Launch"))

    # Green without a reload, the one tunnel ACTIVE between the East and West boxes.
    expect(page.locator("#topology")).to_have_attribute("data-state", "ready")
    page.evaluate("() => { window.notReloaded = true; }")
    assert set(_statuses(page)) != {"CREATE_COMPLETE"}, "done before the page was shown"
    tunnel = page.locator(f'#topology-summary li[data-tunnel="{TUNNEL}"]')
    expect(tunnel).to_have_attribute("data-status", "ACTIVE", timeout=120_000)
    expect(page.locator("#stack-status")).to_have_attribute(
        "data-status", "CREATE_COMPLETE", timeout=60_000
    )
    resources = page.locator("#topology-summary li[data-resource]")
    expect(resources).to_have_count(18)
    not_done = '#topology-summary li[data-resource]:not([data-status="CREATE_COMPLETE"])'
    expect(page.locator(not_done)).to_have_count(0)
    drawn = page.evaluate("""() => {
      const cy = document.getElementById('topology').crossheatTopology.cy;
      return cy.edges('.tunnel').map((e) => [e.source().id(), e.target().id(), e.data('status')]);
    }""")
    assert drawn == [["region:East", "region:West", "ACTIVE"]]
    assert page.evaluate("() => window.notReloaded") is True
    assert PSK not in page.content()
    screenshot(page, "stack-topology")

    # The outputs, the events (live) and the parameters (the PSK masked).
    page.locator("#tab-outputs").click()
    statuses = page.locator('dd[data-output="tunnel_status"]')
    expect(statuses).to_contain_text('"east_to_west": "ACTIVE"')
    expect(statuses).to_contain_text('"west_to_east": "ACTIVE"')
    east_ip = page.locator('dd[data-output="east_server_ip"]').inner_text().strip()
    assert ipaddress.ip_address(east_ip) in ipaddress.ip_network("10.1.0.0/24")
    screenshot(page, "stack-outputs")
    page.locator("#tab-events").click()
    expect(page.locator("#events tr[data-event]").first).to_be_visible()
    page.locator("#tab-parameters").click()
    expect(page.locator('tr[data-parameter="vpn_psk"] code')).to_have_text("******")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.locator("#tab-topology").click()
    screenshot(page, "stack-detail-1920")
    page.set_viewport_size({"width": 1280, "height": 800})

    # Update the West flavor through the form: a new template, its preview, then confirm.
    page.locator("#action-update").click()
    page.locator("details summary").first.click()
    page.locator("#template_text").fill(updated_template)
    page.locator("#preview-update").click()
    expect(page.locator("#form-notice")).to_contain_text("new template's parameters")
    page.locator("#preview-update").click()
    updated = page.locator("#preview-updated")
    expect(updated.locator('tr[data-resource="west_server"]')).to_contain_text("m1.medium")
    expect(updated).to_have_attribute("data-count", "1")
    expect(page.locator('#preview-unchanged tr[data-resource="east_server"]')).to_have_count(1)
    assert PSK not in page.content()
    screenshot(page, "update-preview")
    page.locator("#confirm-update").click()
    expect(page.locator("#stack-status")).to_have_attribute(
        "data-status", "UPDATE_COMPLETE", timeout=120_000
    )
    expect(tunnel).to_have_attribute("data-status", "ACTIVE")
    flavors = {
        region: [s["flavor_id"] for s in world.admin.resources(region)["servers"]]
        for region in ("East", "West")
    }
    assert len(flavors["East"]) == len(flavors["West"]) == 1
    assert flavors["West"] != flavors["East"]  # West resized, East as it was
    screenshot(page, "stack-updated")

    # The regions, as the engine sees them.
    page.get_by_role("link", name="Regions").click()
    for region in ("East", "West"):
        card = page.locator(f'article[data-region="{region}"]')
        expect(card.locator("[data-reachable]")).to_have_attribute("data-reachable", "yes")
        expect(card.locator('dd[data-field="resources"]')).to_have_text("9")
    screenshot(page, "regions")

    # Delete, after saying yes.
    page.get_by_role("link", name="Stacks").click()
    row = page.locator('tr[data-stack="vpn"]')
    expect(row.locator(".badge")).to_have_attribute("data-status", "UPDATE_COMPLETE")
    expect(row).to_contain_text("East")
    expect(row).to_contain_text("West")
    screenshot(page, "stacks")
    page.get_by_role("link", name="vpn").click()
    page.locator("#action-delete").click()
    screenshot(page, "delete-confirm")
    page.locator("#confirm-delete").click()
    expect(page.locator("#stack-status")).to_have_attribute(
        "data-status", "DELETE_COMPLETE", timeout=120_000
    )
    page.get_by_role("link", name="Stacks").click()
    expect(page.locator("tr[data-stack]")).to_have_count(0)
    assert world.leftovers("East") == {} and world.leftovers("West") == {}


def _log_in(page: Page, url: str, user: str, password: str) -> None:
    page.goto(f"{url}/dashboard/login")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#current-user")).to_have_text(user)


def test_errors_show_beside_the_template_line_and_the_parameter(
    page: Page, heat: tuple[str, World], screenshot: Shot
) -> None:
    url, _ = heat
    _log_in(page, url, USER, PASSWORD)
    reference = REFERENCE.read_text()
    broken = reference.replace("type: OS::Neutron::Router\n", "type: OS::Neutron::Routr\n", 1)
    line = broken.splitlines().index("    type: OS::Neutron::Routr") + 1
    page.goto(f"{url}/dashboard/launch")
    page.locator("#template_text").fill(broken)
    page.locator("#next").click()
    beside = page.locator(f"#line-{line} #error-line-{line}")
    expect(beside).to_be_visible()
    expect(beside).to_contain_text("unknown resource type 'OS::Neutron::Routr'")
    screenshot(page, "launch-template-error")

    page.locator("#template_text").fill(reference)
    page.locator("#next").click()
    page.locator("#stack_name").fill("short-psk")
    page.locator("#param-vpn_psk").fill("too-short")
    page.locator("#show-plan").click()
    expect(page.locator("#form-error")).to_be_focused()  # the summary, read out first
    error = page.locator("#error-vpn_psk")
    expect(error).to_be_visible()
    expect(error).to_contain_text("length must be at least 16")
    expect(page.locator("#param-vpn_psk")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#param-vpn_psk")).to_have_value("")  # a hidden value is typed again
    assert "too-short" not in page.content()
    screenshot(page, "launch-parameter-error")


def test_another_projects_user_sees_no_stack_and_a_forged_post_is_refused(
    browser: Browser, page: Page, heat: tuple[str, World], screenshot: Shot
) -> None:
    url, world = heat
    keystone = f"{world.url}/identity/v3"
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": USER, "password": PASSWORD, "domain": {"name": "Default"}}}},
        "scope": {"project": {"name": "demo", "domain": {"name": "Default"}}}}}  # fmt: skip
    answer = httpx.post(f"{keystone}/auth/tokens", json=body)
    token, project = answer.headers["X-Subject-Token"], answer.json()["token"]["project"]["id"]
    template = "heat_template_version: 2018-08-31\nresources:\n  a: {type: OS::Heat::None}\n"
    created = httpx.post(
        f"{url}/v1/{project}/stacks", headers={"X-Auth-Token": token},
        json={"stack_name": "demos", "template": template},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    stack_id = created.json()["stack"]["id"]

    # admin, of project admin, does not see demo's stack, even at its address.
    _log_in(page, url, "admin", "admin")
    expect(page.locator('tr[data-stack="demos"]')).to_have_count(0)
    shown = page.goto(f"{url}/dashboard/stacks/{stack_id}")
    assert shown is not None and shown.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    screenshot(page, "other-project-404")

    # demo sees it; a post without the form's CSRF token is refused and changes nothing.
    context = browser.new_context()
    try:
        mine = context.new_page()
        _log_in(mine, url, USER, PASSWORD)
        mine.goto(f"{url}/dashboard/stacks/{stack_id}")
        expect(mine.locator("#stack-status")).to_have_attribute("data-status", "CREATE_COMPLETE")
        # The tabs work with the keyboard: arrows, Home, End.
        mine.locator("#tab-topology").focus()
        mine.keyboard.press("ArrowRight")
        expect(mine.locator("#tab-resources")).to_be_focused()
        expect(mine.locator("#tab-resources")).to_have_attribute("aria-selected", "true")
        expect(mine.locator("#panel-resources")).to_be_visible()
        expect(mine.locator("#panel-topology")).to_be_hidden()
        mine.keyboard.press("End")
        expect(mine.locator("#panel-pieces")).to_be_visible()
        mine.keyboard.press("Home")
        expect(mine.locator("#panel-topology")).to_be_visible()
        forged = mine.request.post(f"{url}/dashboard/stacks/{stack_id}/delete", form={})
        assert forged.status == 403
        guessed = mine.request.post(
            f"{url}/dashboard/stacks/{stack_id}/delete", form={"csrf_token": "guessed"}
        )
        assert guessed.status == 403
        # A page of another site posting the form: no session goes with it (SameSite).
        mine.set_content(
            f'<form method="post" action="{url}/dashboard/stacks/{stack_id}/delete">'
            '<button id="go">go</button></form>'
        )
        mine.locator("#go").click()
        expect(mine.locator("body")).to_contain_text("CSRF")
        mine.goto(f"{url}/dashboard/stacks/{stack_id}")
        expect(mine.locator("#stack-status")).to_have_attribute("data-status", "CREATE_COMPLETE")
    finally:
        context.close()
