"""Meta-test: every registered resource type is documented, and the docs are current."""

from __future__ import annotations

import re
from pathlib import Path

from crossheat.resources.docgen import render_reference
from crossheat.resources.registry import default_registry

DOCS = Path(__file__).resolve().parents[2] / "docs" / "resource-types.md"


def test_every_registered_type_has_a_section() -> None:
    sections = set(re.findall(r"^## (\S+)$", DOCS.read_text(), flags=re.MULTILINE))
    missing = set(default_registry().names()) - sections
    assert not missing, f"docs/resource-types.md lacks sections for {sorted(missing)}"


def test_docs_match_the_schemas() -> None:
    expected = render_reference(default_registry())
    assert DOCS.read_text() == expected, (
        "docs/resource-types.md is out of date; regenerate it with "
        "crossheat.resources.docgen.render_reference(default_registry())"
    )


def test_secret_properties_are_marked_in_the_docs() -> None:
    text = DOCS.read_text()
    assert re.search(r"^\| `psk` .*\*\*secret\*\*", text, flags=re.MULTILINE)
    assert re.search(r"^\| `admin_pass` .*\*\*secret\*\*", text, flags=re.MULTILINE)
