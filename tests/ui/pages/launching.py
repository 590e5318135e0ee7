"""Helpers of the launch and update pages' HTTP tests: the steps as a browser posts them,
and the parts of a page they look at."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from tests.ui.pages.forms import csrf_of


def template_step(client: TestClient, template: str, **extra: str) -> tuple[int, str]:
    """Step 1 as a browser posts it (a pasted template): the answer's status and page."""
    form = client.get("/dashboard/launch")
    assert form.status_code == 200
    data = {"csrf_token": csrf_of(form.text), "template_text": template, **extra}
    answer = client.post("/dashboard/launch", data=data, files={"x": ("", b"")})
    return answer.status_code, answer.text


def draft_field(page: str) -> dict[str, str]:
    """The page's draft field as a form posts it (none before a first post)."""
    found = re.search(r'name="draft" value="([^"]+)"', page)
    return {"draft": found.group(1)} if found else {}


def draft_of(page: str) -> str:
    found = re.search(r'name="draft" value="([^"]+)"', page)
    assert found, "no draft in the page"
    return found.group(1)


def parameters_step(client: TestClient, page: str, name: str, **values: str) -> tuple[int, str]:
    data = {
        "csrf_token": csrf_of(page), "draft": draft_of(page), "stack_name": name,
        "timeout_mins": "60", "rollback": "on",
        **{f"param.{key}": value for key, value in values.items()},
    }  # fmt: skip
    answer = client.post("/dashboard/launch/plan", data=data)
    return answer.status_code, answer.text


def field(page: str, name: str) -> str:
    """The markup of the field of parameter ``name``."""
    found = re.search(rf'<div class="field[^"]*" id="field-{name}".*?\n</div>', page, re.S)
    assert found, f"no field {name}"
    return found.group(0)


def text_of(markup: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup))).strip()
