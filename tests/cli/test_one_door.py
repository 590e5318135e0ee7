"""The faces go through one door: ``crossheat.service``.

A face module (``crossheat/cli/``, ``crossheat/api/``, ``crossheat/ui/``) may import the
service, the error hierarchy, the package root and its own package; nothing below the
service: not the store, the engine, the planner or the templates, nor the service's
private modules (``crossheat.service._stacks``). Three exceptions: the CLI's emulator
commands start the emulator, ``crossheat serve`` (``cli/serve.py``) runs the API, a
sibling face, and the API's application (``api/app.py``) mounts the dashboard, another.
"""

from __future__ import annotations

import ast
from pathlib import Path

import crossheat.api
import crossheat.cli
import crossheat.ui

CLI = Path(crossheat.cli.__file__).parent
API = Path(crossheat.api.__file__).parent
UI = Path(crossheat.ui.__file__).parent
COMMON = ("crossheat.service", "crossheat.errors")
#: What each face's own package is, and what one module of it may import besides.
FACES = {
    CLI: (
        "crossheat.cli",
        {"emulator.py": ("crossheat.emulator",), "serve.py": ("crossheat.api",)},
    ),
    API: ("crossheat.api", {"app.py": ("crossheat.ui",)}),
    UI: ("crossheat.ui", {}),
}


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "crossheat":
                found += [(node.lineno, f"crossheat.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
    return sorted(found)


def _below_the_service(module: str, allowed: tuple[str, ...]) -> bool:
    if module != "crossheat" and not module.startswith("crossheat."):
        return False
    if module == "crossheat.__version__":  # the package root
        return False
    if module.startswith("crossheat.service._"):
        return True  # the service's own modules, behind its door
    return not any(module == a or module.startswith(a + ".") for a in allowed)


def offending_imports(
    directory: Path, own: str, extra: dict[str, tuple[str, ...]] | None = None
) -> list[str]:
    """``file:line: module`` for each import of ``directory``'s modules (the face package
    ``own``) that goes below the service; ``extra``: more a given file may import."""
    out = []
    for file in sorted(directory.glob("*.py")):
        allowed = (*COMMON, own, *(extra or {}).get(file.name, ()))
        tree = ast.parse(file.read_text(), str(file))
        for line, module in _imports(tree):
            if _below_the_service(module, allowed):
                out.append(f"{file.name}:{line}: {module}")
    return out


def test_no_face_imports_below_the_service() -> None:
    for directory, (own, extra) in FACES.items():
        assert offending_imports(directory, own, extra) == [], directory


def test_the_walk_finds_an_import_below_the_service(tmp_path: Path) -> None:
    (tmp_path / "stack.py").write_text(
        "from crossheat.service import Service\n"
        "def f():\n"
        "    from crossheat.store import Store\n"
        "    import crossheat.engine.stack\n"
        "from crossheat import stacks, __version__\n"
        "from crossheat.emulator.core import Faults\n"
        "from crossheat.service._stacks import Stacks\n"
        "from crossheat.service.inputs import Inputs\n"
        "from crossheat.api.app import create_app\n"
    )
    (tmp_path / "emulator.py").write_text("from crossheat.emulator.core import Faults\n")
    (tmp_path / "serve.py").write_text("from crossheat.api.app import create_app\n")
    extra = {"emulator.py": ("crossheat.emulator",), "serve.py": ("crossheat.api",)}
    assert offending_imports(tmp_path, "crossheat.cli", extra) == [
        "stack.py:3: crossheat.store",
        "stack.py:4: crossheat.engine.stack",
        "stack.py:5: crossheat.stacks",
        "stack.py:6: crossheat.emulator.core",
        "stack.py:7: crossheat.service._stacks",
        "stack.py:9: crossheat.api.app",
    ]


def test_the_api_may_not_import_the_cli_or_below_the_service(tmp_path: Path) -> None:
    (tmp_path / "stacks.py").write_text(
        "from crossheat.api.context import RequestContext\n"
        "from crossheat.service import Service\n"
        "from crossheat.errors import StackNotFound\n"
        "from crossheat.cli.common import Format\n"
        "from crossheat.clouds.regionmap import load_region_map\n"
        "from crossheat.store import Status\n"
    )
    assert offending_imports(tmp_path, "crossheat.api") == [
        "stacks.py:4: crossheat.cli.common",
        "stacks.py:5: crossheat.clouds.regionmap",
        "stacks.py:6: crossheat.store",
    ]
