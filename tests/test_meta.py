"""Meta-tests: every intrinsic function and every resource type has docs and a test.

A new function or type that lands without either fails here, naming it.
"""

from __future__ import annotations

import re
from pathlib import Path

from crossheat.resources.registry import default_registry
from crossheat.template import SUPPORTED_VERSIONS, functions_for_version

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"


def _all_functions() -> set[str]:
    names: set[str] = set()
    for version in set(SUPPORTED_VERSIONS.values()):
        names |= set(functions_for_version(version))
    return {n for n in names if not n.startswith("Fn::") and n not in ("Ref",)}


def _test_text(folder: str) -> str:
    return "\n".join(p.read_text() for p in (TESTS / folder).rglob("*.py"))


def test_every_function_has_a_docs_section_and_a_test() -> None:
    docs = (ROOT / "docs" / "template-functions.md").read_text()
    sections = set(re.findall(r"^## (\S+)", docs, flags=re.MULTILINE))
    tests = _test_text("template")
    functions = _all_functions()
    assert functions - sections == set(), "functions without a docs section"
    untested = {f for f in functions if not re.search(rf"\b{re.escape(f)}\b", tests)}
    assert untested == set(), "functions no test in tests/template uses"


def test_every_resource_type_has_a_docs_section_and_a_lifecycle_test() -> None:
    docs = (ROOT / "docs" / "resource-types.md").read_text()
    tests = _test_text("resources")
    registry = default_registry()
    assert len(registry.names()) >= 20
    undocumented = {t for t in registry.names() if t not in docs}
    assert undocumented == set()
    untested = {t for t in registry.names() if t not in tests}
    assert untested == set(), "resource types no test in tests/resources names"
