"""Helpers: build small templates, load them, evaluate an expression."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from crossheat.errors import Diagnostic, TemplateError
from crossheat.template import PlanContext, Template, load_template_text, resolve

FIXTURES = Path(__file__).parent / "fixtures"


class FakeCloud:
    """A ResolveContext with deployed resources: IDs and attributes are made up."""

    def get_resource(self, name: str) -> Any:
        return f"{name}-id"

    def get_attr(self, name: str, path: Sequence[Any]) -> Any:
        return {"resource": name, "path": list(path)}


def hot(version: str = "2021-04-16", **sections: Any) -> str:
    """A template as text (JSON is YAML), with a resource ``r`` unless given."""
    doc: dict[str, Any] = {"heat_template_version": version}
    doc["resources"] = sections.pop("resources", {"r": {"type": "OS::Heat::None"}})
    doc.update(sections)
    return json.dumps(doc)


def load(text: str, **kwargs: Any) -> Template:
    return load_template_text(text, str(FIXTURES / "inline.yaml"), **kwargs)


def errors(text: str, **kwargs: Any) -> list[Diagnostic]:
    with pytest.raises(TemplateError) as caught:
        load(text, **kwargs)
    return caught.value.diagnostics


def messages(text: str, **kwargs: Any) -> str:
    return "\n".join(str(d) for d in errors(text, **kwargs))


def evaluate(expr: Any, version: str = "2021-04-16", deployed: bool = True, **sections: Any) -> Any:
    """Load a template whose output ``o`` is ``expr`` and resolve it."""
    text = hot(version, outputs={"o": {"value": expr}}, **sections)
    template = load(text)
    ctx = FakeCloud() if deployed else PlanContext()
    return resolve(template.outputs["o"].value, ctx)
