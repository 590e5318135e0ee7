"""The faces go through one door: ``crossheat.service``.

A face module (``crossheat/cli/``) may import the service, the error hierarchy, the
package root and its own modules (the emulator's commands, the emulator); nothing
below the service: not the store, the engine, the planner or the templates, nor the
service's private modules (``crossheat.service._stacks``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import crossheat.cli

FACES = Path(crossheat.cli.__file__).parent
ALLOWED = ("crossheat.service", "crossheat.errors", "crossheat.cli")
#: The emulator's own commands start and configure the emulator.
EMULATOR_FACE = "emulator.py"


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


def _below_the_service(module: str, face: str) -> bool:
    if module != "crossheat" and not module.startswith("crossheat."):
        return False
    if module == "crossheat.__version__":  # the package root
        return False
    allowed = ALLOWED + (("crossheat.emulator",) if face == EMULATOR_FACE else ())
    if module.startswith("crossheat.service._"):
        return True  # the service's own modules, behind its door
    return not any(module == a or module.startswith(a + ".") for a in allowed)


def offending_imports(directory: Path) -> list[str]:
    out = []
    for file in sorted(directory.glob("*.py")):
        tree = ast.parse(file.read_text(), str(file))
        for line, module in _imports(tree):
            if _below_the_service(module, file.name):
                out.append(f"{file.name}:{line}: {module}")
    return out


def test_no_face_imports_below_the_service() -> None:
    assert offending_imports(FACES) == []


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
    )
    (tmp_path / "emulator.py").write_text("from crossheat.emulator.core import Faults\n")
    assert offending_imports(tmp_path) == [
        "stack.py:3: crossheat.store",
        "stack.py:4: crossheat.engine.stack",
        "stack.py:5: crossheat.stacks",
        "stack.py:6: crossheat.emulator.core",
        "stack.py:7: crossheat.service._stacks",
    ]
