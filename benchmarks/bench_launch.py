"""The dashboard's launch and update pages at size: the reference template and generated
templates of 200 and 1,000 resources over 4 regions (``benchmarks.generate``, with 50
parameters added): the template step (its form generated), the parameters step (the
values checked and the plan made), and the update preview of a deployed 200-resource
stack of ``OS::Heat::None``.

Served in-process (``fastapi.testclient``, ``--auth none``) over SQLite; nothing calls a
cloud. Figures: the median of ``REPEAT`` posts after one warm-up.
Run: `.venv/bin/python -m benchmarks launch`.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from benchmarks.common import median_ms, report
from benchmarks.generate import generate, region_map
from crossheat.api.app import create_app
from crossheat.api.auth import NoAuth
from crossheat.service import Inputs, Service

ROOT = Path(__file__).resolve().parents[1]
REPEAT = 5
PARAMETERS = 50
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
DRAFT = re.compile(r'name="draft" value="([^"]+)"')


def _with_parameters(template: dict[str, Any]) -> dict[str, Any]:
    """``PARAMETERS`` string parameters, each read by a value resource."""
    template["parameters"] = {
        f"p{i:02d}": {"type": "string", "default": f"v{i}", "description": f"parameter {i}",
                      "constraints": [{"length": {"min": 1, "max": 64}}]}
        for i in range(PARAMETERS)
    }  # fmt: skip
    template["resources"]["params"] = {
        "type": "OS::Heat::Value", "region": "R00",
        "properties": {"value": [{"get_param": f"p{i:02d}"} for i in range(PARAMETERS)]},
    }  # fmt: skip
    return template


def _steps(client: TestClient, text: str, values: dict[str, str]) -> list[tuple[str, float]]:
    csrf = _found(CSRF, client.get("/dashboard/launch").text)

    def template_step() -> str:
        answer = client.post("/dashboard/launch", data={"csrf_token": csrf, "template_text": text})
        assert answer.status_code == 200, answer.text[:500]
        return answer.text

    draft = _found(DRAFT, template_step())

    def parameters_step() -> None:
        data = {"csrf_token": csrf, "draft": draft, "stack_name": "bench",
                **{f"param.{k}": v for k, v in values.items()}}  # fmt: skip
        answer = client.post("/dashboard/launch/plan", data=data)
        assert answer.status_code == 200 and 'id="launch"' in answer.text, answer.text[:500]

    return [
        ("form", median_ms(template_step, REPEAT)),
        ("values checked + plan", median_ms(parameters_step, REPEAT)),
    ]


def _found(pattern: re.Pattern[str], page: str) -> str:
    match = pattern.search(page)
    assert match, page[:500]
    return match.group(1)


def main() -> None:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
            os.environ[variable] = str(Path(tmp) / variable.lower())
        path = Path(tmp) / "regions.yaml"
        regions = region_map(4, cloud="nowhere")
        regions["regions"].update({"East": {"cloud": "nowhere"}, "West": {"cloud": "nowhere"}})
        path.write_text(yaml.safe_dump(regions))
        os.environ["CROSSHEAT_REGION_MAP"] = str(path)
        cases = {
            "reference (18)": ((ROOT / "examples" / "east-west-vpn.yaml").read_text(),
                               {"vpn_psk": "a-pre-shared-key-of-24ch"}),
            "generated 200": (yaml.safe_dump(_with_parameters(generate(200, 4))), {}),
            "generated 1000": (yaml.safe_dump(_with_parameters(generate(1000, 4))), {}),
        }  # fmt: skip
        with Service(database_url=f"sqlite:///{tmp}/bench.db") as service:
            app = create_app(service, auth=NoAuth())
            with TestClient(app) as client:
                client.get("/dashboard/")
                for name, (text, values) in cases.items():
                    for step, ms in _steps(client, text, values):
                        rows.append({"template": name, "step": step, "ms": ms})
                rows.append(_update_preview(client, service))
    report("launch", f"launch and update pages (median of {REPEAT}, ms)", rows)


def _update_preview(client: TestClient, service: Service) -> dict[str, Any]:
    """The update page's preview of a 200-resource stack whose parameter half of it reads."""
    resources: dict[str, Any] = {
        f"r{i}": {"type": "OS::Heat::Value", "region": "East" if i % 2 else "West",
                  "properties": {"value": {"get_param": "label"} if i % 2 else f"fixed-{i}"}}
        for i in range(200)
    }  # fmt: skip
    template = {"heat_template_version": "2018-08-31", "resources": resources,
                "parameters": {"label": {"type": "string", "default": "one"}}}  # fmt: skip
    scoped = service.scoped("default")
    stack = scoped.run_here(scoped.create("big", Inputs(template)))
    page = client.get(f"/dashboard/stacks/{stack.id}/update").text
    csrf = _found(CSRF, page)

    def preview() -> None:
        answer = client.post(f"/dashboard/stacks/{stack.id}/update",
                             data={"csrf_token": csrf, "param.label": "two"})  # fmt: skip
        assert answer.status_code == 200 and 'id="confirm-update"' in answer.text
        assert 'id="preview-updated" data-count="100"' in answer.text, answer.text[:500]

    return {"template": "stack of 200", "step": "update preview", "ms": median_ms(preview, REPEAT)}


if __name__ == "__main__":
    main()
