"""The project as a package (issue 18): one version, type hints shipped by every package,
the core free of host glue, the README's layout true to the tree, and the suite's own
habits (helpers, one STAGES)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import aigate
from aigate.core.policy import Rule
from aigate.model import STAGES, Stage
from helpers import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGE_DIRS = {name: ROOT / PROJECT["tool"]["setuptools"]["package-dir"].get(name, name)
                for name in PROJECT["tool"]["setuptools"]["packages"]
                if "." not in name}  # PEP 561: a subpackage is typed with its top package


def imported_modules(path: Path) -> set[str]:
    """The absolute module names a Python file imports (relative imports left out)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_version_is_pyprojects_everywhere():
    version = PROJECT["project"]["version"]
    assert aigate.__version__ == version
    manifest = tomllib.loads((ROOT / "hooks/aigate_blender_addon/blender_manifest.toml")
                             .read_text())
    assert manifest["version"] == version
    # Blender reads bl_info without running the module: a literal, kept equal by this test
    shim = ast.parse((ROOT / "hooks/aigate_blender_addon/__init__.py").read_text())
    [bl_info] = [ast.literal_eval(n.value) for n in shim.body
                 if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "bl_info"]
    assert ".".join(map(str, bl_info["version"])) == version


def test_a_source_tree_without_an_install_reads_the_version_from_pyproject():
    code = ("import importlib.metadata as m\n"
            "def missing(name): raise m.PackageNotFoundError(name)\n"
            "m.version = missing\n"
            "import aigate\n"
            "print(aigate.__version__)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == PROJECT["project"]["version"]


@pytest.mark.parametrize("package", sorted(PACKAGE_DIRS))
def test_every_installed_package_ships_py_typed(package):
    assert (PACKAGE_DIRS[package] / "py.typed").is_file()
    assert "py.typed" in PROJECT["tool"]["setuptools"]["package-data"]["*"]


def test_the_core_imports_no_plugin_and_no_host_glue():
    """Hosts and plugins import the core, never the reverse: the plugin manager loads the
    built-ins by name."""
    ours = {name for name in PACKAGE_DIRS if name != "aigate"}
    offenders = {f"{path.relative_to(ROOT)}: {module}"
                 for path in sorted((ROOT / "aigate").rglob("*.py"))
                 for module in imported_modules(path) if module.split(".")[0] in ours}
    assert not offenders
    assert not (ROOT / "aigate" / "blender.py").exists()


def test_the_blender_addon_folder_holds_no_logic():
    """The add-on folder is a shim: its one import is the plugin's add-on."""
    shim = ROOT / "hooks/aigate_blender_addon/__init__.py"
    assert imported_modules(shim) == {"__future__", "aigate_blender.addon"}
    defined = [n for n in ast.parse(shim.read_text()).body
               if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    assert defined == []


def test_a_rule_names_its_fields():
    """Positional fields would shift under a plugin when a field is added."""
    with pytest.raises(TypeError):
        Rule("r", "Title", "studio", "Guideline.", "trigger", "Fix it.",
             lambda item, prov, policy: iter(()))
    rule = Rule(id="r", title="Title", category="studio", guideline="Guideline.",
                trigger="trigger", remediation="Fix it.", check=lambda i, p, q: iter(()))
    assert rule.waived_by == "approval"


def test_stages_are_one_literal_type_in_pipeline_order():
    from typing import get_args

    assert STAGES == get_args(Stage) == ("import", "edit", "review", "final")


def test_tests_import_helpers_and_never_redefine_stages():
    for path in sorted((ROOT / "tests").glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        assert "conftest" not in imported_modules(path), path.name
        assigned = {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign)
                    for t in n.targets if isinstance(t, ast.Name)}
        assert "STAGES" not in assigned, path.name


def test_the_documented_layout_names_every_folder_and_package():
    page = (ROOT / "docs" / "development.md").read_text()
    layout = re.search(r"^## Layout\n\n```\n(.*?)^```", page, re.S | re.M)
    assert layout is not None
    named = set(re.findall(r"^\s*([\w.]+)/", layout.group(1), re.M))
    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT)
    if tracked.returncode == 0 and tracked.stdout:
        folders = {line.split("/")[0] for line in tracked.stdout.splitlines() if "/" in line}
    else:  # not a git checkout (an sdist): the folders on disk
        folders = {p.name for p in ROOT.iterdir() if p.is_dir() and p.name != ".git"}
    packages = {p.name for parent in ("plugins", "hooks") for p in (ROOT / parent).iterdir()
                if (p / "__init__.py").is_file()}
    assert folders | packages <= named, sorted((folders | packages) - named)
