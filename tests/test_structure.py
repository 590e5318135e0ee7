"""The package's shape: no import circles, imports down the layers, modules a newcomer can read.

Imports are read from the source (``ast``), so an import inside a function
(a lazy import, often used to dodge a circle) counts like one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

from crossheat.graph import Graph

SRC = Path(__file__).resolve().parents[1] / "src"

#: A module past this many lines is a sign to split (STYLE.md, the brief's rules of the house).
MAX_LINES = 500

#: Modules allowed past ``MAX_LINES`` for now, each with its length when listed: shrink, never grow.
TOO_LONG: dict[str, int] = {}

#: Runtime import circles known today (lazy imports included), each a set of modules.
KNOWN_CIRCLES: list[set[str]] = [
    {"crossheat.cli.output", "crossheat.cli.tables"},
]

#: DESIGN.md's layers, top first: a module may import its own layer and those below it.
LAYERS = [
    {"__main__", "cli", "api", "ui"},
    {"service", "worker"},
    {"plan"},
    {"engine"},
    {"resources"},
    {"clouds"},
    {"graph"},
    {"template"},
    {"store"},
    {"emulator"},
    {"redact", "errors", "yamlmarks"},
]


def _modules(src: Path = SRC) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package's ``__init__``); migrations left out."""
    found: dict[str, tuple[Path, bool]] = {}
    for path in sorted((src / "crossheat").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(src).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    """The import nodes under ``if TYPE_CHECKING:``."""
    inside: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                inside.update(ast.walk(child))
    return inside


def _imports(src: Path = SRC, *, type_checking: bool) -> dict[str, set[str]]:
    """Module -> the crossheat modules it imports anywhere in its source."""
    modules = _modules(src)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, (path, is_package) in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = set() if type_checking else _type_checking_only(tree)
        for node in ast.walk(tree):
            if node in skip:
                continue
            if isinstance(node, ast.Import):
                graph[name] |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    here = name.split(".") if is_package else name.split(".")[:-1]
                    base = ".".join([*here[: len(here) - node.level + 1], *filter(None, [base])])
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    graph[name].add(target if target in modules else base)
        graph[name] &= set(modules) - {name}
    return graph


def _circles(imports: dict[str, set[str]]) -> list[set[str]]:
    graph: Graph[str] = Graph(imports)
    for module, targets in imports.items():
        for target in targets:
            graph.add_dependency(module, target)
    return [set(group) for group in graph.cycles()]


def _plan_circles(src: Path = SRC) -> list[set[str]]:
    """Import circles among ``crossheat.plan``'s modules, ``TYPE_CHECKING`` imports included."""
    imports = _imports(src, type_checking=True)
    plan = {m: {t for t in ts if t.startswith("crossheat.plan")} for m, ts in imports.items()}
    return _circles({m: ts for m, ts in plan.items() if m.startswith("crossheat.plan")})


def test_no_import_circle_among_plan_modules() -> None:
    assert len([m for m in _modules() if m.startswith("crossheat.plan.")]) > 10
    assert _plan_circles() == []


def test_a_lazy_import_closing_a_circle_counts(tmp_path: Path) -> None:
    """What ``plan/analysis.py`` once did: import the passes inside a function."""
    plan = tmp_path / "crossheat" / "plan"
    plan.mkdir(parents=True)
    (tmp_path / "crossheat" / "__init__.py").write_text("")
    (plan / "__init__.py").write_text("")
    (plan / "analysis.py").write_text("def run():\n    from crossheat.plan import passes\n")
    (plan / "passes.py").write_text("from .analysis import run\n")
    (plan / "plan.py").write_text("import crossheat.plan.analysis\n")
    assert _plan_circles(tmp_path) == [{"crossheat.plan.analysis", "crossheat.plan.passes"}]


def test_no_new_import_circle_in_the_package() -> None:
    circles = _circles(_imports(type_checking=False))
    assert [c for c in circles if c not in KNOWN_CIRCLES] == []
    assert [c for c in KNOWN_CIRCLES if c not in circles] == [], "gone: drop it from the list"


def _private_imports(src: Path = SRC) -> list[str]:
    """Imports of a package's private module (``crossheat.service._stacks``) from outside
    that package."""
    out = []
    for module, targets in _imports(src, type_checking=True).items():
        for target in targets:
            package, _, last = target.rpartition(".")
            private = last.startswith("_") and not last.startswith("__")
            if private and module != package and not module.startswith(package + "."):
                out.append(f"{module} imports {target}")
    return sorted(out)


def test_a_private_module_is_imported_from_inside_its_package_only() -> None:
    assert _private_imports() == []


def test_an_import_of_a_private_module_from_outside_is_found(tmp_path: Path) -> None:
    service = tmp_path / "crossheat" / "service"
    service.mkdir(parents=True)
    (tmp_path / "crossheat" / "__init__.py").write_text("")
    (service / "__init__.py").write_text("from crossheat.service._stacks import Stacks\n")
    (service / "_stacks.py").write_text("Stacks = 1\n")
    (service / "inputs.py").write_text("from . import _stacks\n")
    (tmp_path / "crossheat" / "worker.py").write_text("from crossheat.service import _stacks\n")
    assert _private_imports(tmp_path) == ["crossheat.worker imports crossheat.service._stacks"]


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None  # the package's own __init__
    for rank, names in enumerate(LAYERS):
        if parts[1] in names:
            return rank
    raise AssertionError(f"{module}: in no layer of DESIGN.md; add it to LAYERS")


def test_imports_point_down_the_layers() -> None:
    upward = []
    for module, targets in _imports(type_checking=False).items():
        for target in targets:
            mine, theirs = _layer(module), _layer(target)
            if mine is not None and theirs is not None and theirs < mine:
                upward.append(f"{module} imports {target}")
    assert upward == []


def test_no_module_is_too_long() -> None:
    lengths = {
        path.relative_to(SRC).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path, _ in _modules().values()
    }
    too_long = {name: n for name, n in lengths.items() if n > MAX_LINES}
    grown = {name: n for name, n in too_long.items() if n > TOO_LONG.get(name, MAX_LINES)}
    assert grown == {}, f"modules past {MAX_LINES} lines: split them"
    assert set(TOO_LONG) <= set(too_long), "now short enough: drop it from TOO_LONG"
