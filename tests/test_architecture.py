"""The architecture shows itself and stays that way: the core's layers import downward only,
with no cycle (type-only imports included); plugins and hooks import the public aigate.api
only; no module is over 700 lines; importing aigate.api stays cheap."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT, needs

MAX_LINES = 700


def _modules(folder: Path) -> dict[str, Path]:
    out = {}
    for path in sorted(folder.rglob("*.py")):
        parts = list(path.relative_to(folder.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every module ``module`` names in an import, wherever the import sits (a function, an
    ``if TYPE_CHECKING`` block): relative imports resolved. ``from package import module``
    names the module (as import-linter counts it), ``from package import name`` the
    package."""
    found = set()
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package[:len(package) - node.level + 1]
                base = ".".join([*up, *([node.module] if node.module else [])])
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.add(target if target in known else base)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_core_has_no_import_cycle_type_only_imports_included():
    modules = _modules(ROOT / "aigate")
    graph = {m: {t for t in _imports(m, p, modules) if t in modules and t != m}
             for m, p in modules.items()}
    # the package root reaches the public API lazily, for ``aigate.check``: not a layer
    graph["aigate"] = set()
    assert _cycles(graph) == []


def test_a_cycle_is_found_where_there_is_one():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_plugins_and_hooks_import_the_public_api_only():
    core = _modules(ROOT / "aigate")
    strays = []
    for folder in (ROOT / "plugins", ROOT / "hooks"):
        for package in sorted(p for p in folder.iterdir() if (p / "__init__.py").is_file()):
            for module, path in _modules(package).items():
                for name in _imports(module, path, core):
                    # the package root (aigate.__version__) is allowed: it is public too
                    if name in core and name not in ("aigate", "aigate.api"):
                        strays.append(f"{path.relative_to(ROOT)}: {name}")
    assert strays == []


@needs("importlinter", "test")
def test_the_import_linter_contracts_hold():
    """The contracts in pyproject.toml: the core never imports a plugin, plugins and hooks
    import aigate.api only, the core's layers import downward."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), str(ROOT / "plugins"), str(ROOT / "hooks"),
         os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
         "sys.exit(lint_imports(no_cache=True, no_logo=True))"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 kept, 0 broken" in run.stdout


@pytest.mark.parametrize("folder", ["aigate", "plugins", "hooks"])
def test_no_module_is_over_700_lines(folder):
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / folder).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_importing_the_api_loads_neither_the_gate_nor_the_plugin_manager():
    run = subprocess.run(
        [sys.executable, "-c", "import sys, aigate.api; "
         "print(' '.join(m for m in sys.modules if m.startswith('aigate')))"],
        capture_output=True, text=True, timeout=60, check=True)
    loaded = set(run.stdout.split())
    assert "aigate.api" in loaded
    heavy = {"aigate.core.gate", "aigate.core.plugins", "aigate.core.approvals",
             "aigate.run.session", "aigate.output.register", "aigate.output.files"}
    assert loaded & heavy == set()
