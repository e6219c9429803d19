"""Approvals fail closed (issue 11): a record pinning a strong identity never falls back to a
weaker one, an asset id typed into a clip is a claim and not an identity, a ledger entry
cannot erase what a clip declares, and a blanket is decided by what its glob matches."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from test_approvals import Legal

from helpers import ai, clip, movie_bytes, run_process, timeline, write

DIGEST = hashlib.sha256(movie_bytes(b"approved pixels")).hexdigest()
PINNED = f"{{media_sha256: [{DIGEST}], clips: [SH1], media: ['**/SH1.mov']}}"


@pytest.fixture
def legal(tmp_path: Path, cli) -> Legal:
    return Legal(tmp_path, cli)


def recut(legal: Legal, url: str, **fields: object) -> None:
    """The same clip SH1 (still naming APR-1), its media reference pointing at ``url``."""
    write(legal.cut, timeline([clip("CAM1"), clip(
        "SH1", 2, ai(approvals=["APR-1"], **fields), url=url)]))


def outside_roots(legal: Legal) -> str:
    elsewhere = legal.root.parent / f"{legal.root.name}-elsewhere"
    elsewhere.mkdir()
    # even the approved bytes
    (elsewhere / "SH1.mov").write_bytes(movie_bytes(b"approved pixels"))
    return str(elsewhere / "SH1.mov")


def symlink_loop(legal: Legal) -> str:
    loop = legal.root / "media" / "loop.mov"
    os.symlink(loop, loop)
    return "media/loop.mov"


@pytest.mark.parametrize("media,why", [
    (lambda legal: "media/gone/SH1.mov", "not found"),
    (outside_roots, "outside the media roots, not read"),
    (lambda legal: "https://cdn.example/shows/SH1.mov", "not a local file"),
    (symlink_loop, "symlink loop"),
], ids=["missing", "outside-roots", "remote-url", "unreadable"])
def test_record_pinning_sha256_does_not_fall_back_to_path_or_name(legal, media, why):
    legal.approval(scope=PINNED)
    finding, run = legal.sh1()
    assert finding["approval"] == "APR-1"  # the real media: covered by its sha256
    recut(legal, media(legal))
    finding, run = legal.sh1()
    assert run.code == 1 and finding["severity"] == "lock" and finding["approval"] is None
    assert "approval 'APR-1' pins media sha256 and the clip's media cannot be hashed (" in \
        finding["message"] and why in finding["message"]


def test_unnamed_record_that_fits_by_a_weaker_identity_says_why_it_does_not_count(legal):
    legal.approval(scope=PINNED)
    write(legal.cut, timeline([clip("SH1", 2, ai(), url="media/gone/SH1.mov")]))
    finding, run = legal.sh1()  # the clip names no approval at all
    assert run.code == 1 and finding["severity"] == "lock"
    assert "approval 'APR-1' pins media sha256 and the clip's media cannot be hashed " \
        "(not found: " in finding["message"]


def test_record_pinning_asset_ids_does_not_fall_back_to_a_matching_name(legal):
    # SH1 claims ASSET-7 and the record names SH1 too: neither is an identity for it
    legal.approval(scope="{asset_ids: [ASSET-7], clips: [SH1], media: ['**/SH1.mov']}")
    finding, run = legal.sh1()
    assert run.code == 1 and finding["severity"] == "lock"
    assert "'APR-1' pins asset ids and no trusted source" in finding["message"]


def test_claimed_asset_id_cannot_borrow_another_assets_ledger_identity(legal):
    """A ledger entry found only through the clip's claimed asset id gives no identity."""
    (legal.root / "ledger.yaml").write_text(
        "aigate_ledger: 1\nassets:\n"
        f"  - {{asset_id: ASSET-7, sha256: {DIGEST}, generated: true}}\n")
    with (legal.root / "aigate.yaml").open("a") as config:
        config.write("ledger: ledger.yaml\n")
    legal.approval(scope="{asset_ids: [ASSET-7]}")
    finding, _ = legal.sh1()  # the real ASSET-7 file, found by its sha256
    assert "[matched by asset id]" in finding["message"]
    (legal.root / "media" / "OTHER.mov").write_bytes(movie_bytes(b"other pixels"))
    recut(legal, "media/OTHER.mov", asset_id="ASSET-7")  # claims to be ASSET-7
    run = legal.cli("check", legal.cut, "--stage", "final", "--format", "json",
                    "--as-of", "2026-06-01")
    assert run.code == 1 and run.findings("SH1")["final-deliverable-use"] == "lock"
    # ...and the lie is itself a finding
    assert run.findings("SH1")["provenance-malformed"] == "lock"
    assert "claims asset id 'ASSET-7', but its media is not that asset's file" in run.out


def test_a_ledger_path_names_an_asset_only_where_the_file_is(legal):
    (legal.root / "ledger.yaml").write_text(
        "aigate_ledger: 1\nassets:\n  - {asset_id: ASSET-7, media: '**/SH1.mov'}\n")
    with (legal.root / "aigate.yaml").open("a") as config:
        config.write("ledger: ledger.yaml\n")
    legal.approval(scope="{asset_ids: [ASSET-7]}")
    assert legal.sh1()[0]["approval"] == "APR-1"  # the file is there: its path names it
    recut(legal, "elsewhere/SH1.mov")  # a reference to nothing that matches the glob
    finding, run = legal.sh1()
    assert run.code == 1 and finding["severity"] == "lock"
    assert "'APR-1' pins asset ids and no trusted source" in finding["message"]


BENIGN_LEDGER = """\
aigate_ledger: 1
assets:
  - {asset_id: NF-BENIGN-1, generated: true, tool: {name: Firefly, vendor: Adobe},
     purpose: temp, role: incidental}
  - {sha256: %s, generated: true, tool: {name: Firefly, vendor: Adobe}, purpose: temp,
     role: incidental}
"""
DECLARED = {"role": "key_character", "tool": {"name": "LeakyGen"}, "purpose": "final",
            "inputs": ["personal_data"], "depicts_real_events": True,
            "talent": [{"name": "Ray Holt", "use": "voice"}]}


def declared_rules(cli, root: Path, **extra: object) -> dict[str, str]:
    (root / "media").mkdir(exist_ok=True)
    (root / "media" / "X.mov").write_bytes(movie_bytes(b"benign pixels"))
    cut = write(root / "cut.otio", timeline([clip("X", 2, ai(**DECLARED, **extra),
                                                  url="media/X.mov")]))
    run = cli("check", cut, "--stage", "final", "--format", "json")
    assert run.code == 1
    return run.findings("X")


@pytest.mark.parametrize("extra", [{"asset_id": "NF-BENIGN-1"}, {}],
                         ids=["found-by-claimed-asset-id", "found-by-sha256"])
def test_a_ledger_entry_cannot_erase_a_concern_the_clip_declares(studio, cli, extra):
    before = declared_rules(cli, studio, **extra)
    digest = hashlib.sha256(movie_bytes(b"benign pixels")).hexdigest()
    (studio / "ledger.yaml").write_text(BENIGN_LEDGER % digest)
    with (studio / "aigate.yaml").open("a") as config:
        config.write("ledger: ledger.yaml\n")
    after = declared_rules(cli, studio, **extra)
    for rule in ("key-creative-element", "tool-data-use", "personal-data-input",
                 "real-events", "talent-consent", "final-deliverable-use"):
        assert rule in before, rule
        assert after[rule] == before[rule], rule  # nothing the clip declared went away
    assert set(before) <= set(after)


@pytest.mark.parametrize("kind,glob", [
    ("clips", "*"), ("clips", "**"), ("clips", "?*"), ("clips", "*?"), ("clips", "***"),
    ("clips", "[!]]*"), ("clips", "[!q]*"), ("clips", "??*"), ("clips", "*.*"),
    ("media", "**/*"), ("media", "/**"), ("media", "*/*"), ("media", "**/?*"),
    ("media", "*"),
])
def test_blanket_globs_are_found_by_what_they_match(legal, kind, glob):
    legal.approval(scope=f"{{{kind}: ['{glob}']}}")
    finding, run = legal.sh1()
    assert run.code == 1 and finding["severity"] == "lock"
    assert f"scope '{glob}' covers every clip; a blanket approval must say all_clips: " \
        "true" in finding["message"]
    assert f"'APR-1' is not honoured: scope '{glob}' covers every clip" in run.err
    legal.approval(scope=f"{{{kind}: ['{glob}'], all_clips: true}}")
    for _ in range(2):  # honoured, and announced on every run
        finding, run = legal.sh1()
        assert finding["approval"] == "APR-1"
        assert "approval 'APR-1' is a BLANKET approval" in run.err


def test_scoped_globs_are_not_blankets(legal):
    legal.approval(scope="{clips: ['SH*'], media: ['**/media/SH*.mov']}")
    finding, run = legal.sh1()
    assert finding["approval"] == "APR-1" and "BLANKET" not in run.err


def test_blanket_is_announced_on_stderr_by_the_command(legal):
    legal.approval(scope="{clips: ['?*'], all_clips: true}")
    run = run_process("check", legal.cut, "--stage", "final", "--as-of", "2026-06-01")
    assert run.code == 0, run.out
    assert "approval 'APR-1' is a BLANKET approval: it covers every clip" in run.err
    assert "BLANKET" not in run.out
