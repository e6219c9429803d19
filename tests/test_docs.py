"""The README and docs/ hold together: every fence closes, every relative link resolves, the
README stays a front page, and the guarantees table (docs/guarantees.md) names, for each
guarantee, a test that exists, so the table cannot outlive its proof."""

from __future__ import annotations

import ast
import re

import pytest

from helpers import ROOT

PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _prose(text: str) -> str:
    """``text`` without its fenced code blocks and inline code spans (links there are code)."""
    text = re.sub(r"^(```|~~~).*?^\1", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_fence_closes(page):
    fences = [line for line in page.read_text().splitlines() if line.startswith("```")]
    assert len(fences) % 2 == 0, f"{page.name}: an unclosed ``` fence"
    # a fence opens with a language or nothing and closes bare: two openers in a row is a
    # stray fence that turns the prose after it into code
    for opening, closing in zip(fences[::2], fences[1::2], strict=True):
        assert closing == "```", f"{page.name}: {opening!r} closed by {closing!r}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_resolves(page):
    for target in LINK.findall(_prose(page.read_text())):
        if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.split("#", 1)[0]).resolve()
        assert path.exists(), f"{page.name}: link to {target} does not resolve"


def test_the_readme_is_a_front_page():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 200
    first_block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert first_block is not None, "the README opens with its two commands"
    commands = first_block.group(1).strip().splitlines()
    assert len(commands) == 2 and "pytest" in commands[1]
    # every audience finds its page from the table
    for page in ("editors", "conform", "legal", "delivery", "pipeline", "guarantees",
                 "performance", "development"):
        assert f"(docs/{page}.md)" in text, page


def test_every_test_the_guarantees_table_names_exists():
    text = (ROOT / "docs" / "guarantees.md").read_text()
    named = sorted(set(re.findall(r"(tests/\w+\.py)::(\w+)", text)))
    assert len(named) >= 40, "the table lists the tests behind its guarantees"
    defined: dict[str, set[str]] = {}
    for path, test in named:
        if path not in defined:
            tree = ast.parse((ROOT / path).read_text())
            defined[path] = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert test in defined[path], f"{path}::{test} is named in the docs but not defined"


def test_the_command_reference_is_the_commands_own_help():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_cli_reference",
                                                  ROOT / "docs" / "make_cli_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs" / "cli.md").read_text() == module.reference(), \
        "a command changed: run python docs/make_cli_reference.py"
