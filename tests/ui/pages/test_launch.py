"""Launching from the dashboard over HTTP (``--auth none``): the form generated from the
reference template (the PSK a password field), values checked beside their fields,
template errors beside their lines, the plan before the launch, the launch itself."""

from __future__ import annotations

import html
import re
from pathlib import Path

from fastapi.testclient import TestClient

from crossheat.service import Service
from tests.ui.pages.forms import csrf_of
from tests.ui.pages.launching import draft_of, field, parameters_step, template_step, text_of

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = (ROOT / "examples" / "east-west-vpn.yaml").read_text()
PSK = "launch-psk-4d1e9a7b20"

GROUPED = """\
heat_template_version: 2018-08-31
description: Two things and a password.
parameter_groups:
  - label: Sizing
    description: How many and how big.
    parameters: [count, size]
parameters:
  count:
    type: number
    default: 2
    constraints:
      - range: {min: 1, max: 4}
  size:
    type: string
    default: small
    constraints:
      - allowed_values: [small, large]
  password:
    type: string
    hidden: true
    description: Keep it safe.
    constraints:
      - length: {min: 12}
resources:
  east_thing:
    type: OS::Heat::None
    region: East
    properties: {value: {get_param: password}}
  west_thing:
    type: OS::Heat::Value
    region: West
    properties: {value: {get_attr: [east_thing, show]}}
"""


def test_the_reference_form_has_a_password_field_for_the_psk(local: TestClient) -> None:
    status, page = template_step(local, REFERENCE)
    assert status == 200
    names = re.findall(r'name="param\.([a-z_]+)"', page)
    assert names == ["image", "flavor", "public_net", "east_cidr", "west_cidr", "vpn_psk"]
    psk = field(page, "vpn_psk")
    assert re.search(r'<input type="password" id="param-vpn_psk" name="param.vpn_psk"', psk)
    assert 'value=""' in psk and 'aria-required="true"' in psk
    assert "Pre-shared key of the tunnel." in text_of(psk)
    assert "length at least 16" in text_of(psk)
    assert 'value="m1.small"' in field(page, "flavor")
    assert 'for="param-flavor"' in field(page, "flavor")  # every input has its label
    assert "Hybrid cloud across two regions" in page


def test_groups_are_fieldsets_and_values_are_checked_beside_their_fields(
    local: TestClient,
) -> None:
    status, page = template_step(local, GROUPED)
    assert status == 200
    sizing = re.search(r"<fieldset class=\"group\".*?</fieldset>", page, re.S)
    assert sizing and "<legend>Sizing</legend>" in sizing.group(0)
    assert "How many and how big." in sizing.group(0)
    assert 'id="param-count"' in sizing.group(0) and 'id="param-password"' not in sizing.group(0)
    assert '<option value="large" >large</option>' in field(page, "size")
    status, checked = parameters_step(
        local, page, "things", count="7", size="small", password="too-short"
    )
    assert status == 400
    assert text_of(field(checked, "count")).endswith(
        "parameter 'count': value must be in the range 1 to 4"
    )
    assert 'aria-invalid="true"' in field(checked, "count")
    assert 'value="7"' in field(checked, "count")  # what was typed is kept
    error = re.search(r'id="error-password" role="alert">(.*?)</div>', checked, re.S)
    assert error and "length must be at least 12" in error.group(1)
    assert "too-short" not in checked  # a hidden value never comes back
    assert 'placeholder=""' in field(checked, "password")  # and a wrong one is not kept
    assert 'id="error-size"' not in checked


def test_a_template_error_is_shown_beside_its_line(local: TestClient) -> None:
    broken = REFERENCE.replace("type: OS::Neutron::Router\n", "type: OS::Neutron::Routr\n", 1)
    status, page = template_step(local, broken)
    assert status == 400
    line = broken.splitlines().index("    type: OS::Neutron::Routr") + 1
    beside = re.search(
        rf'<li id="line-{line}" value="{line}" class="flagged">(.*?)</li>', page, re.S
    )
    assert beside, f"no problem at line {line}"
    assert "unknown resource type &#39;OS::Neutron::Routr&#39;" in beside.group(1)
    assert 'id="error-line-' + str(line) + '"' in beside.group(1)
    assert "resources.east_router.type" in beside.group(1)
    assert len(re.findall(r'class="error line-problem"', page)) == 1  # and a warning or so
    assert "OS::Neutron::Routr" in page  # the template is kept to be fixed


def test_a_parameter_error_of_an_environment_is_shown_at_its_field(local: TestClient) -> None:
    env = "parameters:\n  count: many\n"
    status, page = template_step(local, GROUPED, environment_text=env)
    assert status == 400
    assert "parameter &#39;count&#39;: &#39;many&#39; is not a number" in page


def test_the_plan_shows_regions_cross_region_references_and_the_critical_path(
    local: TestClient,
) -> None:
    _, page = template_step(local, REFERENCE)
    status, plan = parameters_step(local, page, "vpn", vpn_psk=PSK, flavor="m1.small")
    assert status == 200, text_of(plan)[:2000]
    regions = re.findall(r'<article class="region-plan" data-region="(\w+)"', plan)
    assert regions == ["East", "West"]
    assert "9 resources" in plan and "18 resources in 2 regions" in plan
    refs = re.findall(r'<li data-source="(\w+)" data-target="(\w+)">', plan)
    assert sorted(refs) == [("east_to_west", "west_router"), ("west_to_east", "east_router")]
    east_to_west = re.search(r'<li data-source="east_to_west".*?</li>', plan, re.S)
    assert east_to_west
    assert text_of(east_to_west.group(0)).startswith(
        "east_to_west East → west_router West get_attr"
    )
    path = re.search(r'<ol class="critical-path".*?</ol>', plan, re.S)
    assert path and re.findall(r"<li>(\w+)</li>", path.group(0)) == [
        "east_router", "east_router_interface", "east_server",
    ]  # fmt: skip
    assert "Estimated time: 13.0 s" in text_of(plan)
    assert 'id="launch"' in plan and csrf_of(plan)
    assert PSK not in plan


def test_launch_creates_the_stack_and_goes_to_its_page(
    local: TestClient, ui_service: Service
) -> None:
    _, page = template_step(local, GROUPED)
    _, plan = parameters_step(local, page, "things", count="3", size="large", password=PSK)
    data = {"csrf_token": csrf_of(plan), "draft": draft_of(plan)}
    answer = local.post("/dashboard/launch/confirm", data=data, follow_redirects=False)
    assert answer.status_code == 303
    stack_id = answer.headers["location"].split("/dashboard/stacks/")[1].split("?")[0]
    stack = ui_service.scoped("default").get("things")
    assert stack.id == stack_id
    assert stack.spec.parameters == {"count": "3", "size": "large", "password": PSK}
    local.app.state.executor.wait(stack_id, 30)  # type: ignore[attr-defined]
    shown = local.get(answer.headers["location"])
    assert shown.status_code == 200 and "Launch started." in shown.text
    assert PSK not in shown.text
    again = local.post("/dashboard/launch/confirm", data=data)
    assert again.status_code == 404  # a draft is launched once


def test_a_hidden_value_typed_once_is_kept_but_never_shown(local: TestClient) -> None:
    _, page = template_step(local, GROUPED)
    status, checked = parameters_step(local, page, "1-bad-name", password=PSK)
    assert status == 400
    assert "Invalid stack name 1-bad-name" in text_of(checked)
    assert PSK not in checked
    assert 'placeholder="(entered: leave empty to keep)"' in field(checked, "password")
    status, plan = parameters_step(local, checked, "good-name", password="")
    assert status == 200, text_of(plan)[:1000]


def test_a_stack_name_in_use_is_refused_beside_the_name(local: TestClient) -> None:
    _, page = template_step(local, GROUPED)
    _, plan = parameters_step(local, page, "taken", password=PSK)
    local.post(
        "/dashboard/launch/confirm", data={"csrf_token": csrf_of(plan), "draft": draft_of(plan)}
    )
    _, page = template_step(local, GROUPED)
    status, again = parameters_step(local, page, "taken", password=PSK)
    assert status == 400
    error = re.search(r'id="error-stack-name" role="alert">(.*?)</div>', again, re.S)
    assert error and "The Stack (taken) already exists." in error.group(1)


def test_every_post_needs_the_csrf_token(local: TestClient) -> None:
    _, page = template_step(local, GROUPED)
    draft = draft_of(page)
    for url, data in (
        ("/dashboard/launch", {"template_text": GROUPED}),
        ("/dashboard/launch/plan", {"draft": draft, "stack_name": "x", "param.password": PSK}),
        ("/dashboard/launch/confirm", {"draft": draft}),
    ):
        assert local.post(url, data=data).status_code == 403
        assert local.post(url, data={**data, "csrf_token": "forged"}).status_code == 403


def test_a_draft_is_only_its_sessions(local: TestClient, ui_service: Service) -> None:
    _, page = template_step(local, GROUPED)
    draft = draft_of(page)
    other = TestClient(local.app)
    assert other.get("/dashboard/").status_code == 200  # another browser, another session
    form = other.get("/dashboard/launch")
    data = {"csrf_token": csrf_of(form.text), "draft": draft, "stack_name": "stolen"}
    assert other.post("/dashboard/launch/plan", data=data).status_code == 404


def test_no_template_or_two_templates_are_refused(local: TestClient) -> None:
    form = local.get("/dashboard/launch")
    answer = local.post(
        "/dashboard/launch", data={"csrf_token": csrf_of(form.text)}, files={"x": ("", b"")}
    )
    assert answer.status_code == 400 and "Give a template" in answer.text
    answer = local.post(
        "/dashboard/launch",
        data={"csrf_token": csrf_of(form.text), "template_text": GROUPED},
        files={"template_file": ("t.yaml", GROUPED.encode())},
    )
    assert answer.status_code == 400 and "upload a file or paste it, not both" in answer.text
    answer = local.post(
        "/dashboard/launch",
        data={"csrf_token": csrf_of(form.text)},
        files={"template_file": ("things.yaml", GROUPED.encode())},
    )
    assert answer.status_code == 200 and 'id="param-password"' in answer.text


def test_uploaded_environment_files_prefill_and_errors_are_summed_up_with_links(
    local: TestClient,
) -> None:
    form = local.get("/dashboard/launch")
    answer = local.post(
        "/dashboard/launch",
        data={"csrf_token": csrf_of(form.text), "template_text": GROUPED},
        files=[
            ("environment_files", ("sizes.yaml", b"parameters:\n  size: large\n")),
            ("environment_files", ("count.yaml", b"parameter_defaults:\n  count: 3\n")),
        ],
    )
    assert answer.status_code == 200
    assert '<option value="large" selected>large</option>' in field(answer.text, "size")
    assert 'value="3"' in field(answer.text, "count")
    status, checked = parameters_step(local, answer.text, "", count="0", password="x" * 12)
    assert status == 400
    summary = re.search(r'<div class="error-summary".*?</div>', checked, re.S)
    assert summary
    assert '<a href="#stack_name">Give the stack a name.</a>' in summary.group(0)
    assert '<a href="#param-count">count</a>' in summary.group(0)
    assert "x" * 12 not in checked


def test_back_from_the_plan_keeps_what_was_typed_but_shows_no_hidden_value(
    local: TestClient,
) -> None:
    _, page = template_step(local, GROUPED)
    _, plan = parameters_step(local, page, "things", count="4", size="large", password=PSK)
    back = re.search(r'<a class="button" href="(/dashboard/launch/parameters\?draft=[^"]+)"', plan)
    assert back
    again = local.get(html.unescape(back.group(1)))
    assert again.status_code == 200
    assert 'value="things"' in again.text
    assert 'value="4"' in field(again.text, "count")
    assert '<option value="large" selected>large</option>' in field(again.text, "size")
    assert 'placeholder="(entered: leave empty to keep)"' in field(again.text, "password")
    assert PSK not in again.text
    status, plan = parameters_step(local, again.text, "things", count="4", size="large")
    assert status == 200 and 'id="launch"' in plan
