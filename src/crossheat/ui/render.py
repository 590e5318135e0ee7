"""Jinja2 pages: ``render(request, "stacks.html", {...})``, with the dashboard's globals
(``csrf_input(request)``, the user, status colours) in every template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from crossheat import __version__
from crossheat.ui.session import csrf_input, csrf_token

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals.update(csrf_input=csrf_input, csrf_token=csrf_token, version=__version__)


def status_class(status: str | None) -> str:
    """The badge colour of a stack's, resource's or tunnel's status."""
    text = status or ""
    if text.endswith("_COMPLETE") or text == "ACTIVE":
        return "ok"
    if text.endswith("_IN_PROGRESS") or text.startswith("PENDING"):
        return "busy"
    if text.endswith("_FAILED") or text in ("DOWN", "ERROR"):
        return "bad"
    return "idle"


TEMPLATES.env.filters["status_class"] = status_class


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    context = {"user": getattr(request.state, "ui_user", None), **context}
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
