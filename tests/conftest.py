"""Fixtures: a private provenance cache, the in-process CLI and a production folder.
Helpers the tests import (timelines, the CLI as a process) are in helpers.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aigate.cli import main
from helpers import VETTED_PACK, Run


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory: pytest.TempPathFactory):
    """Tests (and the processes they start) never touch the user's provenance cache."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run ``aigate`` in-process (fast); exit code, stdout and stderr."""
    monkeypatch.delenv("AIGATE_STAGE", raising=False)
    monkeypatch.delenv("AIGATE_CONFIG", raising=False)
    monkeypatch.delenv("AIGATE_PLUGINS", raising=False)

    def run(*args: str | Path) -> Run:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)
    return run


@pytest.fixture
def studio(tmp_path: Path) -> Path:
    """A production folder with aigate.yaml (show TESTSHOW), a vetted-tools pack and an
    empty approvals folder; timelines written under it find the config by walking up."""
    (tmp_path / "approvals").mkdir()
    (tmp_path / "pack.yaml").write_text(VETTED_PACK)
    (tmp_path / "aigate.yaml").write_text(
        "show: TESTSHOW\npolicy: pack.yaml\napprovals: approvals/\n")
    return tmp_path


@pytest.fixture
def kit(tmp_path: Path) -> dict[str, Path]:
    """A delivery studio's C2PA signing certificate chain, its key and its trust anchor."""
    import mediakit

    signing = mediakit.signing_kit("delivery studio")
    folder = tmp_path / "certs"
    folder.mkdir()
    (folder / "chain.pem").write_bytes(signing.chain_pem)
    (folder / "leaf.key").write_bytes(signing.key_pem)
    return {"cert": folder / "chain.pem", "key": folder / "leaf.key",
            "anchor": signing.write_anchor(folder / "ca.pem")}
