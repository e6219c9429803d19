"""The bundled sample show gives exactly the verdicts its README promises."""

from __future__ import annotations

import re

import pytest

from aigate.model import STAGES
from helpers import SAMPLES


def expected_tables() -> dict[str, dict[str, dict[str, str]]]:
    """README section "Expected verdicts (FILE)" -> clip -> stage -> verdict."""
    tables: dict[str, dict[str, dict[str, str]]] = {}
    current = None
    for line in (SAMPLES / "README.md").read_text().splitlines():
        heading = re.match(r"## Expected verdicts \((\S+)\)", line)
        if heading:
            current = tables.setdefault(heading.group(1), {})
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if current is not None and len(cells) == 7 and re.fullmatch(r"[VA]\d?", cells[0]):
            current[cells[1]] = dict(zip(STAGES, cells[3:], strict=True))
    assert {k: len(v) for k, v in tables.items()} == {
        "ep101_cut_v12.otio": 11, "ep102_picture_v3.otio": 3, "ep101_cut_v12.edl": 8,
        "ep101_cut_v12.xml": 11}
    return tables


@pytest.mark.parametrize("name", ["ep101_cut_v12.otio", "ep102_picture_v3.otio",
                                  "ep101_cut_v12.edl", "ep101_cut_v12.xml"])
@pytest.mark.parametrize("stage", STAGES)
def test_sample_otio_verdicts_match_the_readme_table(cli, name, stage):
    run = cli("check", SAMPLES / name, "--stage", stage, "--format", "json")
    got = run.verdicts()
    assert got == {clip: row[stage] for clip, row in expected_tables()[name].items()}
    assert run.code == (1 if "lock" in got.values() else 0)


@pytest.mark.parametrize("name", ["ep101_cut_v12.edl", "ep101_cut_v12.xml"])
def test_exports_find_their_ai_clips_from_the_media(cli, name):
    run = cli("check", SAMPLES / name, "--stage", "final", "--format", "json")
    items = {i["clip"]: i for i in run.json["subjects"][0]["items"]}
    assert items["VFX_010_sky_v3"]["evidence"] == ["c2pa (trusted): Trusted"]
    assert "undeclared-ai" in {f["rule"] for f in items["VFX_020_deage_v1"]["findings"]}
    if name.endswith(".xml"):
        assert items["GFX_poster_bg_v2"]["evidence"] == [
            "xmp sidecar (claimed): XMP sidecar GFX_poster_bg_v2.xmp"]
        assert items["TEMP_MUSIC_gen_v1"]["evidence"] == ["ledger (trusted): ledger.yaml:5"]
    assert all(i["media_note"] is None for i in items.values())


def test_sample_folder_check_reads_config_and_reports_every_file(cli):
    run = cli("check", SAMPLES)
    assert run.code == 1
    for name in ("ep101_cut_v12.otio", "ep101_cut_v12.edl", "ep101_cut_v12.xml",
                 "ep101_cut_v12.kdenlive", "ep102_picture_v3.otio"):
        assert name in run.out
    assert "policy nightfall" in run.out
    assert re.search(r"summary: 5 file\(s\) \(5 checked, 0 failed\), 5 timeline\(s\), "
                     r"44 clips, 23 AI", run.out)
    # the approved poster is listed as waived with its approval
    assert "(warn, waived by APR-NF101-007, Dana Ruiz (Production Legal))" in run.out


def test_record_timecodes_honour_the_timeline_start(cli):
    run = cli("check", SAMPLES / "ep101_cut_v12.otio", "--format", "json")
    items = {i["clip"]: i for i in run.json["subjects"][0]["items"]}
    assert (items["A001C003"]["record_in"], items["A001C003"]["record_out"]) == \
        ("01:00:00:00", "01:00:04:00")
    assert (items["VFX_020_deage_v1"]["record_in"], items["VFX_020_deage_v1"]["track"]) == \
        ("01:00:10:00", "V1")
    assert items["VFX_020_deage_v1"]["source_in"] == "15:01:00:00"
    assert items["GFX_poster_bg_v2"]["record_in"] == "01:00:02:00"
    assert items["TEMP_MUSIC_gen_v1"]["track_kind"] == "Audio"
