"""The layering holds, modules stay small, and nothing imports in a circle."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "muscle_tui"
MAX_MODULE_LINES = 450


def test_import_contracts_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert lint, "import-linter is part of the test extra"
    done = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 4 kept, 0 broken." in done.stdout


def test_engine_runs_without_textual_or_rich() -> None:
    code = (
        "import sys; sys.modules['textual'] = None; sys.modules['rich'] = None\n"
        "import importlib, pkgutil, muscle_tui.export, muscle_tui.db, muscle_tui.demo\n"
        "for package in (muscle_tui.export, muscle_tui.db, muscle_tui.demo):\n"
        "    for m in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_every_module_is_small() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    too_long = {name: lines for name, lines in sizes.items() if lines > MAX_MODULE_LINES}
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines: {too_long}"


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), lazy imports included."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(module: str) -> None:
        nonlocal counter
        index[module] = low[module] = counter
        counter += 1
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if not imported.startswith("muscle_tui"):
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module.startswith("muscle_tui") and module not in index:
            visit(module)
    return found


def test_no_import_cycles_lazy_imports_included() -> None:
    graph = grimp.build_graph("muscle_tui", include_external_packages=False)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path, monkeypatch) -> None:
    package = tmp_path / "circular_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from circular_pkg import b\n")
    (package / "b.py").write_text("import circular_pkg.a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("circular_pkg", include_external_packages=False, cache_dir=None)
    graph_cycles = [[m.replace("circular_pkg", "muscle_tui") for m in group] for group in _cycles_of(graph)]
    assert graph_cycles == [["muscle_tui.a", "muscle_tui.b"]]


def _cycles_of(graph: grimp.ImportGraph) -> list[list[str]]:
    renamed = grimp.ImportGraph()
    for module in graph.modules:
        renamed.add_module(module.replace("circular_pkg", "muscle_tui", 1))
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            renamed.add_import(
                importer=module.replace("circular_pkg", "muscle_tui", 1),
                imported=imported.replace("circular_pkg", "muscle_tui", 1),
            )
    return _cycles(renamed)
