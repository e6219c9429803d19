"""The README's "What the gate guarantees" table names, for each guarantee, the test that
builds the attack: every test it names exists, so the table cannot outlive its proof."""

from __future__ import annotations

import ast
import re

from helpers import ROOT


def test_every_test_the_guarantees_table_names_exists():
    text = (ROOT / "README.md").read_text()
    section = text.split("## What the gate guarantees", 1)[1].split("\n## ", 1)[0]
    named = sorted(set(re.findall(r"(tests/\w+\.py)::(\w+)", section)))
    assert len(named) >= 40, "the table lists the tests behind its guarantees"
    defined: dict[str, set[str]] = {}
    for path, test in named:
        if path not in defined:
            tree = ast.parse((ROOT / path).read_text())
            defined[path] = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert test in defined[path], f"{path}::{test} is named in the README but not defined"
