"""Bad input: one line naming the file and the place, exit 2, never a traceback, and one
bad file never stops the others."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from helpers import ai, clip, run_process, timeline, write

BAD_FILES = {
    "truncated.otio": (b'{"OTIO_SCHEMA": "Timeline.1", "name": "x", "tracks": ',
                       "line 1, column 53"),
    "empty.otio": (b"", "document is empty"),
    "binary.otio": (b"\xff\xfe\x00garbage", "cannot read as OTIO"),
    "broken.edl": (b"TITLE: x\n001  AX V C 01:00:00:00 01:00:01:00\n",
                   "incorrect number of fields"),
    "not_a_timeline.xml": (b"<html><body>hello</body></html>", "cannot read as XML"),
    "clip.mov": (b"\x00\x00\x00\x18ftypmp42", "no host plugin reads .mov files"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_one_line_naming_the_file(cli, tmp_path, name):
    content, expected = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(content)
    run = cli("check", path)
    assert run.code == 2
    [line] = [x for x in run.out.splitlines() if x.startswith("error:")]
    assert str(path) in line and expected in line
    assert "Traceback" not in run.out + run.err


def test_one_bad_file_never_stops_the_batch_and_is_listed_in_json(cli, tmp_path):
    good = write(tmp_path / "good.otio", timeline([clip("SH1", 2, ai(role="background"))]))
    for name, (content, _) in BAD_FILES.items():
        (tmp_path / name).write_bytes(content)
    files = sorted(p for p in tmp_path.iterdir() if p.is_file())  # not its media folder
    run = cli("check", *files, "--stage", "final", "--format", "json")
    assert run.code == 2
    doc = run.json
    assert [s["path"] for s in doc["subjects"]] == [str(good)]
    assert doc["subjects"][0]["verdict"] == "lock"
    assert sorted(Path(e["path"]).name for e in doc["errors"]) == sorted(BAD_FILES)
    assert doc["summary"]["files"] == len(BAD_FILES) + 1
    assert "Traceback" not in run.err and run.err.count("aigate:") == len(BAD_FILES)


def test_folder_of_mixed_files_checks_only_timelines(cli, tmp_path):
    write(tmp_path / "a" / "cut.otio", timeline([clip("SH1")]))
    write(tmp_path / "b" / "cut.edl", timeline([clip("SH2")]), adapter="cmx_3600")
    (tmp_path / "b" / "notes.txt").write_text("not a timeline")
    (tmp_path / "b" / "plate.mov").write_bytes(b"\x00" * 64)
    (tmp_path / "a" / "broken.otio").write_text("{")
    run = cli("check", tmp_path, "--format", "json")
    assert run.code == 2
    assert sorted(Path(s["path"]).name for s in run.json["subjects"]) == ["cut.edl", "cut.otio"]
    assert [Path(e["path"]).name for e in run.json["errors"]] == ["broken.otio"]


@pytest.mark.parametrize("value", [["generated", True], "generated", 42,
                                   {"generated": "yes", "inputs": "proprietary"}],
                         ids=["list", "string", "number", "wrong-types"])
def test_malformed_metadata_is_a_finding_not_a_crash(cli, tmp_path, value):
    path = write(tmp_path / "cut.otio", timeline([clip("CAM1"), clip("SH1", 2, value)]))
    for stage, severity in (("edit", "warn"), ("final", "lock")):
        run = cli("check", path, "--stage", stage, "--format", "json")
        assert run.findings("SH1")["provenance-malformed"] == severity
        assert run.verdicts()["CAM1"] == "pass"


def test_malformed_media_reference_metadata_cannot_unflag_ai(cli, tmp_path):
    path = write(tmp_path / "cut.otio", timeline([
        clip("SH1", 2, {"v": 1, "generated": False}, media_aigate=ai())]))
    run = cli("check", path, "--stage", "final", "--format", "json")
    item = run.json["subjects"][0]["items"][0]
    assert item["ai"] is True and item["verdict"] == "lock"
    assert item["evidence"] == ["clip metadata (claimed)", "media_reference metadata (claimed)"]


def test_policy_with_misspelt_key_names_file_line_and_key(cli, tmp_path):
    policy = tmp_path / "pack.yaml"
    policy.write_text("aigate_policy: 1\nextends: netflix-genai\nrules:\n"
                      "  real-events:\n    severty: warn\n")
    path = write(tmp_path / "cut.otio", timeline([clip("SH1")]))
    run = cli("check", path, "--policy", policy)
    assert run.code == 2
    assert run.err.strip() == (f"aigate: {policy}:5: unknown key 'rules.real-events.severty' "
                               "(did you mean 'severity'?)")


def test_policy_with_unknown_rule_id_and_wrong_type(cli, tmp_path):
    path = write(tmp_path / "cut.otio", timeline([clip("SH1")]))
    policy = tmp_path / "pack.yaml"
    policy.write_text("extends: netflix-genai\nrules:\n  real-event:\n    severity: warn\n")
    run = cli("check", path, "--policy", policy)
    assert run.code == 2 and f"{policy}:3: unknown rule id 'real-event'" in run.err
    assert "did you mean 'real-events'" in run.err
    policy.write_text("extends: netflix-genai\nvetted_tools:\n  - {name: X, enterprise: "
                      "maybe}\n")
    run = cli("check", path, "--policy", policy)
    assert run.code == 2
    assert f"{policy}:3: vetted_tools[0].enterprise: expected true or false" in run.err


def test_unknown_stage_is_a_usage_error(cli, tmp_path):
    path = write(tmp_path / "cut.otio", timeline([clip("SH1")]))
    run = cli("check", path, "--stage", "finale")
    assert run.code == 2
    assert run.err.strip() == ("aigate: --stage: unknown stage 'finale' (expected one of "
                               "import, edit, review, final)")


def test_unknown_stage_in_timeline_metadata_names_the_file(cli, tmp_path):
    path = write(tmp_path / "cut.otio", timeline([clip("SH1")], metadata={"stage": "lockd"}))
    run = cli("check", path)
    assert run.code == 2
    assert f"{path}: timeline metadata aigate.stage: unknown stage 'lockd'" in run.out


def test_no_traceback_from_the_real_command_and_debug_shows_one(tmp_path):
    bad = tmp_path / "pack.yaml"
    bad.write_text("rules: [\n")
    path = write(tmp_path / "cut.otio", timeline([clip("SH1")]))
    run = run_process("check", path, "--policy", bad)
    assert run.code == 2 and "Traceback" not in run.err
    assert run.err.startswith(f"aigate: {bad}:")
    debug = run_process("--debug", "check", path, "--policy", bad)
    assert "Traceback" in debug.err


def test_inputs_are_never_modified_and_output_is_written_whole(cli, tmp_path):
    path = write(tmp_path / "cut.otio", timeline([clip("SH1", 2, ai())]))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    out = tmp_path / "reports" / "report.json"
    run = cli("check", path, "--stage", "final", "--format", "json", "--output", out)
    assert run.code == 1 and run.out == ""
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert json.loads(out.read_text())["subjects"][0]["verdict"] == "lock"
    assert [p.name for p in out.parent.iterdir()] == ["report.json"]  # no temp file left


def test_missing_path_and_unmatched_glob_are_errors_but_others_are_checked(cli, tmp_path):
    write(tmp_path / "cut.otio", timeline([clip("SH1")]))
    run = cli("check", tmp_path / "nope.otio", str(tmp_path / "*.edl"),
              str(tmp_path / "*.otio"), "--format", "json")
    assert run.code == 2
    assert len(run.json["subjects"]) == 1
    assert [e["message"] for e in run.json["errors"]] == ["no such file or folder",
                                                          "no file matches this pattern"]


@pytest.mark.parametrize("start", [float("nan"), float("inf")])
def test_an_image_sequence_range_naming_no_frame_is_one_line_naming_the_clip(tmp_path, start):
    """A NaN or infinite source start names no frame of the sequence: the file fails with
    one line naming the clip and the sequence (it was a plugin crash), at every stage, and
    the export gate refuses it the same way."""
    import opentimelineio as otio
    from opentimelineio.opentime import RationalTime, TimeRange

    from aigate.api import InputError, gate_for

    frames = otio.schema.ImageSequenceReference(
        target_url_base=str(tmp_path / "seq"), name_prefix="f.", name_suffix=".exr",
        start_frame=1, frame_zero_padding=4, rate=24,
        available_range=TimeRange(RationalTime(0, 24), RationalTime(48, 24)))
    shot = otio.schema.Clip(name="SEQ1", media_reference=frames, source_range=TimeRange(
        RationalTime(start, 24), RationalTime(10, 24)))
    cut = timeline([clip("CAM1"), shot])
    path = write(tmp_path / "cut.otio", cut)
    for stage in ("edit", "final"):
        run = run_process("check", path, "--stage", stage)
        assert run.code == 2, run.out + run.err
        said = run.out + run.err
        [line] = [x for x in said.splitlines() if "SEQ1" in x]
        assert "names no frame" in line and "f.%04d.exr" in line
        assert "Traceback" not in said and "plugin" not in said
    with pytest.raises(InputError, match=r"'SEQ1'.*names no frame"):
        gate_for(tmp_path).guard_export(cut, output=tmp_path / "deliverables" / "out.otio")
