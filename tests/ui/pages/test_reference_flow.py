"""The reference use case through the launch and update pages, on the emulator (East and
West, a real HTTP server in this process): launched from the form with the PSK typed
into its password field, then the flavor changed through the update form, the preview
showing what the engine will do to each server before the update is confirmed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crossheat.emulator.config_files import write_clouds_yaml, write_region_map
from crossheat.emulator.core import EmulatorConfig
from crossheat.emulator.server import ThreadedEmulator
from crossheat.service import Service
from tests.ui.pages.forms import csrf_of
from tests.ui.pages.launching import draft_of, field, parameters_step, template_step, text_of

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = (ROOT / "examples" / "east-west-vpn.yaml").read_text()
PSK = "reference-psk-71c3a9e0d4"


@pytest.fixture(scope="module")
def emulator() -> Iterator[ThreadedEmulator]:
    running = ThreadedEmulator(EmulatorConfig(regions=["East", "West"], state=":memory:"))
    latency = running.emulator.config.latency
    latency.seconds.update({"default": 0.02, "server": 0.1})
    latency.vpn_peer_timeout = 1.0
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def region_map(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: ThreadedEmulator) -> Path:
    """The emulator's clouds.yaml entry and region map (what ``emulator start`` writes)."""
    clouds = tmp_path / "clouds.yaml"
    write_clouds_yaml(clouds, "emulator", emulator.url, ["East", "West"])
    path = tmp_path / "regions.yaml"
    write_region_map(path, "emulator", ["East", "West"])
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    monkeypatch.setenv("CROSSHEAT_REGION_MAP", str(path))
    return path


def test_launch_the_reference_then_update_its_flavor_with_the_preview(
    local: TestClient, ui_service: Service, emulator: ThreadedEmulator
) -> None:
    _, page = template_step(local, REFERENCE)
    assert '<input type="password" id="param-vpn_psk"' in field(page, "vpn_psk")
    status, plan = parameters_step(local, page, "vpn", vpn_psk=PSK)
    assert status == 200, text_of(plan)[:1500]
    answer = local.post(
        "/dashboard/launch/confirm",
        data={"csrf_token": csrf_of(plan), "draft": draft_of(plan)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    stack_id = answer.headers["location"].split("/dashboard/stacks/")[1].split("?")[0]
    local.app.state.executor.wait(stack_id, 120)  # type: ignore[attr-defined]
    service = ui_service.scoped("default")
    stack = service.get(stack_id)
    assert stack.stack_status == "CREATE_COMPLETE", stack.stack_status_reason
    assert {r.region for r in service.resources(stack)} == {"East", "West"}

    form = local.get(f"/dashboard/stacks/{stack_id}/update")
    assert 'value="m1.small"' in field(form.text, "flavor")
    assert PSK not in form.text
    preview = local.post(
        f"/dashboard/stacks/{stack_id}/update",
        data={"csrf_token": csrf_of(form.text), "param.flavor": "m1.medium"},
        files={"x": ("", b"")},
    )  # fmt: skip
    assert preview.status_code == 200, text_of(preview.text)[:1500]
    rows = dict(re.findall(r'<tr data-resource="(\w+)" data-change="(\w+)">', preview.text))
    changed = {name: kind for name, kind in rows.items() if kind != "unchanged"}
    # one flavor parameter for both servers; a resize is an update in place (Nova's
    # flavor property allows updates), so nothing else is touched
    assert changed == {"east_server": "updated", "west_server": "updated"}
    west = re.search(r'<tr data-resource="west_server".*?</tr>', preview.text, re.S)
    assert west and "West" in west.group(0)
    assert "flavor : m1.small → m1.medium" in text_of(west.group(0))
    assert PSK not in preview.text
    done = local.post(
        f"/dashboard/stacks/{stack_id}/update/confirm",
        data={"csrf_token": csrf_of(preview.text), "draft": draft_of(preview.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    local.app.state.executor.wait(stack_id, 120)  # type: ignore[attr-defined]
    stack = service.get(stack_id)
    assert stack.stack_status == "UPDATE_COMPLETE", stack.stack_status_reason
    assert stack.spec.parameters["vpn_psk"] == PSK  # left empty: kept
    assert stack.spec.parameters["flavor"] == "m1.medium"
