"""`aigate check` as users drive it: JSON shape, exit codes, stage resolution, config."""

from __future__ import annotations

from pathlib import Path

import pytest

import aigate
from helpers import ai, clip, run_process, timeline, write


def test_json_lists_every_clip_with_location_and_findings(cli, tmp_path):
    path = write(tmp_path / "cut.otio", timeline([clip("CAM1", 1), clip("SH1", 2, ai())],
                                                 [clip("CAM2", 3)]))
    run = cli("check", path, "--stage", "final", "--format", "json")
    doc = run.json
    assert doc["schema"] == 1 and doc["aigate_version"] == aigate.__version__
    assert doc["stage"] == "final" and doc["errors"] == []
    [subject] = doc["subjects"]
    assert (subject["path"], subject["name"], subject["verdict"]) == (str(path), "cut", "lock")
    rows = [(i["track"], i["clip"], i["index"], i["record_in"], i["record_out"], i["ai"],
             i["verdict"]) for i in subject["items"]]
    assert rows == [
        ("V1", "CAM1", 0, "01:00:00:00", "01:00:01:00", False, "pass"),
        ("V1", "SH1", 1, "01:00:01:00", "01:00:03:00", True, "lock"),
        ("V2", "CAM2", 0, "01:00:00:00", "01:00:03:00", False, "pass"),
    ]
    findings = subject["items"][1]["findings"]
    assert [f["rule"] for f in findings] == ["final-deliverable-use", "tool-unvetted"]
    finding = findings[0]
    assert finding["severity"] == "lock" and finding["approval"] is None
    assert finding["message"].startswith('V1 "SH1" 01:00:01:00-01:00:03:00: generated')


def test_exit_codes_and_fail_on(cli, tmp_path):
    clean = write(tmp_path / "clean.otio", timeline([clip("CAM1")]))
    warned = write(tmp_path / "warned.otio", timeline([clip("SH1", 2, ai())]))
    assert cli("check", clean, "--stage", "final").code == 0
    assert cli("check", warned, "--stage", "edit").code == 0
    assert cli("check", warned, "--stage", "edit", "--fail-on", "warn").code == 1
    assert cli("check", warned, "--stage", "final").code == 1
    assert cli("check", clean, "--stage", "edit", "--fail-on", "warn").code == 0


def test_text_output_groups_by_file_and_names_clips_like_editors(cli, tmp_path):
    path = write(tmp_path / "cut.otio", timeline([clip("CAM1"), clip("SH1", 2, ai(
        talent=[{"name": "Ray Holt", "use": "voice"}]))]))
    run = cli("check", path, "--stage", "review")
    lines = run.out.splitlines()
    assert lines[0] == f"{path}: cut [stage review, policy netflix-genai, no aigate.yaml] LOCK"
    assert lines[1] == '  LOCK V1 "SH1" 01:00:02:00-01:00:04:00'
    assert any("lock talent-consent: Ray Holt (voice) has no documented consent" in x
               for x in lines)
    # each rule's fix is said once, after the clips
    fixes = lines[lines.index("fix:") + 1:-1]
    assert fixes[0] == ("  final-deliverable-use: Replace it with non-generated material "
                        "before picture lock, or get a written approval granting "
                        "final-deliverable-use for this clip.")
    assert fixes.count("  talent-consent: Record the talent's consent for this use and "
                       "production in the approvals registry.") == 1
    assert all(not x.strip().startswith("fix") for x in lines[:lines.index("fix:")])
    assert "CAM1" not in run.out  # pass clips are not listed in text
    assert lines[-1] == ("summary: 1 file(s) (1 checked, 0 failed), 1 timeline(s), 2 clips, "
                         "1 AI, 1 clip locked, 0 clips warned, 0 clips approved (waived), "
                         "0 findings waived")


def stage_of(cli, path: Path, *args: str) -> str:
    return cli("check", path, "--format", "json", *args).json["subjects"][0]["stage"]


def test_stage_resolution_order(cli, tmp_path, monkeypatch):
    deliverables = tmp_path / "deliverables"
    plain = write(tmp_path / "cut.otio", timeline([clip("SH1")]))
    declared = write(tmp_path / "declared.otio",
                     timeline([clip("SH1")], metadata={"stage": "review"}))
    final_path = write(deliverables / "cut.otio", timeline([clip("SH1")]))
    named = write(tmp_path / "EP101_FINAL_v3.otio", timeline([clip("SH1")]))
    assert stage_of(cli, plain) == "edit"                    # default
    assert stage_of(cli, final_path) == "final"              # config path rule (default rules)
    assert stage_of(cli, named) == "final"
    assert stage_of(cli, declared) == "review"               # subject metadata
    monkeypatch.setenv("AIGATE_STAGE", "import")
    assert stage_of(cli, declared) == "import"               # environment beats metadata
    assert stage_of(cli, final_path, "--stage", "review") == "review"  # argument beats all


def test_config_found_by_walking_up_and_its_path_rules(cli, tmp_path):
    (tmp_path / "aigate.yaml").write_text(
        "stages:\n  - {match: '**/online/**', stage: review}\n")
    path = write(tmp_path / "ep1" / "online" / "cut.otio", timeline([clip("SH1")]))
    assert stage_of(cli, path) == "review"
    # a config that lists its own rules replaces the defaults
    assert stage_of(cli, write(tmp_path / "deliverables" / "c.otio",
                               timeline([clip("SH1")]))) == "edit"


def test_config_errors_name_file_and_line(cli, tmp_path):
    (tmp_path / "aigate.yaml").write_text("show: X\npolicies: strict.yaml\n")
    path = write(tmp_path / "cut.otio", timeline([clip("SH1")]))
    run = cli("check", path)
    assert run.code == 2
    assert f"{tmp_path / 'aigate.yaml'}:2: unknown key 'policies' (did you mean 'policy'?)" \
        in run.out


def test_aigate_config_env_and_explicit_config(cli, tmp_path, monkeypatch):
    cfg = tmp_path / "elsewhere.yaml"
    cfg.write_text("stages:\n  - {match: '*.otio', stage: review}\n")
    path = write(tmp_path / "cut.otio", timeline([clip("SH1")]))
    assert stage_of(cli, path, "--config", cfg) == "review"
    monkeypatch.setenv("AIGATE_CONFIG", str(cfg))
    assert stage_of(cli, path) == "review"
    run = cli("check", path, "--config", tmp_path / "missing.yaml")
    assert run.code == 2 and "config file not found" in run.err


def test_per_show_overrides_in_a_pack(cli, tmp_path):
    (tmp_path / "pack.yaml").write_text(
        "extends: netflix-genai\nvetted_tools: [{name: Firefly}]\nshows:\n  DOC:\n"
        "    rules:\n"
        "      final-deliverable-use: {severity: warn}\n")
    (tmp_path / "aigate.yaml").write_text("policy: pack.yaml\nshow: DOC\n")
    path = write(tmp_path / "cut.otio", timeline([clip("SH1", 2, ai())]))
    assert cli("check", path, "--stage", "final").code == 0
    (tmp_path / "aigate.yaml").write_text("policy: pack.yaml\nshow: DRAMA\n")
    assert cli("check", path, "--stage", "final").code == 1


def test_extends_cycle_and_missing_parent_are_errors(cli, tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    path = write(tmp_path / "cut.otio", timeline([clip("SH1")]))
    run = cli("check", path, "--policy", tmp_path / "a.yaml")
    assert run.code == 2 and "'extends' makes a cycle" in run.err
    run = cli("check", path, "--policy", "no-such-pack")
    assert run.code == 2 and "neither a built-in pack (eu-ai-act-art50, netflix-genai, " \
        "sag-aftra-2026) nor a file" in run.err


def test_rules_and_explain(cli):
    run = cli("rules")
    assert run.code == 0
    assert "talent-consent" in run.out and "real-events" in run.out
    row = next(x for x in run.out.splitlines() if x.startswith("tool-unvetted"))
    assert row.split()[1:5] == ["warn", "warn", "lock", "lock"]
    run = cli("explain", "final-deliverable-use")
    assert run.code == 0
    assert "Principle 4" in run.out and "final lock" in run.out and "resolve:" in run.out
    assert cli("explain", "nope").code == 2


def test_python_api_checks_paths_and_in_memory_timelines(tmp_path):
    tl = timeline([clip("SH1", 2, ai())])
    path = write(tmp_path / "cut.otio", tl)
    [result] = aigate.check(path, stage="final")
    assert result.verdict.label == "lock" and result.locked()[0].item.clip == "SH1"
    [result] = aigate.check(tl, stage="edit")
    assert result.verdict.label == "warn"


@pytest.mark.parametrize("args, expected", [
    (["--version"], f"aigate {aigate.__version__}\n"), (["--help"], "usage: aigate "),
    (["check", "--help"], "usage: aigate check ")])
def test_version_and_help_work_as_a_process(args, expected):
    run = run_process(*args)
    assert run.code == 0
    assert run.out == expected if args == ["--version"] else run.out.startswith(expected)
