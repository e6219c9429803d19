"""The gate inside OpenTimelineIO tools: the hooks `pip install .` registers, exercised
through OTIO's own entry points (otioconvert, adapters.write_to_file/read_from_file)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import opentimelineio as otio
import pytest

from aigate import GateLocked
from aigate.errors import UsageError
from conftest import SAMPLES, ai, clip, run_process, timeline, write

DEAGE = ai(purpose="temp", talent=[{"name": "Ray Holt", "use": "likeness"}])


def otioconvert(*args: str | Path, env: dict[str, str] | None = None,
                cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AIGATE_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "opentimelineio.console.otioconvert",
                           *map(str, args)], capture_output=True, text=True, env=full_env,
                          cwd=cwd, timeout=300)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("AIGATE_STAGE", "AIGATE_CONFIG", "AIGATE_DISABLE", "AIGATE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)


def test_otioconvert_refuses_a_final_export_and_writes_nothing(tmp_path):
    out = tmp_path / "out.edl"
    run = otioconvert("-i", SAMPLES / "ep102_picture_v3.otio", "-o", out,
                      "-H", "aigate_stage=final", cwd=tmp_path)
    assert run.returncode != 0
    assert "GateLocked" in run.stderr and "export refused at stage final" in run.stderr
    assert 'V1 "VFX_110_deage_v2" 01:00:03:00-01:00:07:00' in run.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
    edit = otioconvert("-i", SAMPLES / "ep102_picture_v3.otio", "-o", out,
                       "-H", "aigate_stage=edit", cwd=tmp_path)
    assert edit.returncode == 0, edit.stderr
    assert "VFX110de" in out.read_text()


def refused(tl: otio.schema.Timeline, out: Path, **args: str) -> GateLocked:
    with pytest.raises(GateLocked) as caught:
        otio.adapters.write_to_file(tl, str(out), hook_function_argument_map=args)
    assert not out.exists()
    return caught.value


@pytest.mark.parametrize("suffix", ["otio", "edl", "xml", "fcpxml"])
def test_write_to_file_is_gated_and_the_callers_timeline_untouched(tmp_path, suffix):
    tl = timeline([clip("CAM1"), clip("SH1", 2, DEAGE)])
    before = otio.adapters.write_to_string(tl, "otio_json")
    error = refused(tl, tmp_path / f"cut.{suffix}", aigate_stage="final")
    assert [r.items[1].item.clip for r in error.results] == ["SH1"]
    assert otio.adapters.write_to_string(tl, "otio_json") == before
    otio.adapters.write_to_file(tl, str(tmp_path / f"cut.{suffix}"),
                                hook_function_argument_map={"aigate_stage": "edit"})
    assert (tmp_path / f"cut.{suffix}").exists()
    assert otio.adapters.write_to_string(tl, "otio_json") == before


def test_stage_for_exports_from_env_metadata_and_output_path(tmp_path, monkeypatch):
    tl = timeline([clip("SH1", 2, DEAGE)])
    otio.adapters.write_to_file(tl, str(tmp_path / "a.otio"))  # edit by default: written
    refused(tl, tmp_path / "deliverables" / "cut.otio")        # default path rule: final
    refused(tl, tmp_path / "EP101_FINAL.edl")
    declared = timeline([clip("SH1", 2, DEAGE)], metadata={"stage": "final"})
    refused(declared, tmp_path / "b.otio")
    monkeypatch.setenv("AIGATE_STAGE", "final")
    refused(tl, tmp_path / "c.otio")
    # the hook argument beats the environment
    otio.adapters.write_to_file(tl, str(tmp_path / "c.otio"),
                                hook_function_argument_map={"aigate_stage": "review"})


def test_unknown_stage_in_hook_argument_refuses_the_export(tmp_path):
    with pytest.raises(UsageError, match="aigate_stage: unknown stage 'finale'"):
        otio.adapters.write_to_file(timeline([clip("CAM1")]), str(tmp_path / "x.otio"),
                                    hook_function_argument_map={"aigate_stage": "finale"})
    assert not (tmp_path / "x.otio").exists()


def test_collection_gates_each_timeline_and_names_it(tmp_path):
    coll = otio.schema.SerializableCollection(name="reels")
    coll.append(timeline([clip("R1_SH1")], name="reel 1"))
    coll.append(timeline([clip("R2_SH4", 2, DEAGE)], name="reel 2"))
    error = refused(coll, tmp_path / "reels.otio", aigate_stage="final")
    assert 'reel 2: V1 "R2_SH4"' in str(error) and "reel 1" not in str(error)


def test_annotate_on_write_is_idempotent_although_otio_runs_the_hook_twice(tmp_path):
    (tmp_path / "aigate.yaml").write_text("hooks: {annotate_on_write: true}\n")
    tl = timeline([clip("CAM1"), clip("SH1", 2, ai())])
    out = tmp_path / "cut.edl"
    otio.adapters.write_to_file(tl, str(out), hook_function_argument_map={"aigate_stage": "edit"})
    text = out.read_text()
    assert text.count("* LOC:") == 1 and "AIGATE WARN" in text
    assert "aigate" not in otio.adapters.write_to_string(tl, "otio_json").split('"markers"')[1][:40]
    assert len(tl.find_clips()[1].markers) == 0  # the caller's timeline got no marker


def test_aigate_disable_turns_the_hooks_off_loudly(tmp_path):
    out = tmp_path / "out.otio"
    run = otioconvert("-i", SAMPLES / "ep102_picture_v3.otio", "-o", out,
                      "-H", "aigate_stage=final", env={"AIGATE_DISABLE": "1"}, cwd=tmp_path)
    assert run.returncode == 0 and out.exists()
    assert "AIGATE_DISABLE is set: the pre_adapter_write gate is OFF" in run.stderr
    assert "AIGATE_DISABLE is set: the post_adapter_read gate is OFF" in run.stderr


def test_import_check_reports_by_default_and_never_blocks(tmp_path, caplog, monkeypatch):
    path = write(tmp_path / "cut.otio", timeline([clip("CAM1"), clip("SH1", 2, DEAGE)]))
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.INFO, logger="aigate.otio"):
        tl = otio.adapters.read_from_file(str(path))
    assert len(tl.find_clips()) == 2
    assert "import check of 'cut': LOCK, 1 of 2 clips flagged" in caplog.text
    assert 'LOCK V1 "SH1" 01:00:02:00-01:00:04:00: Ray Holt (likeness)' in caplog.text
    assert all(len(c.markers) == 0 for c in tl.find_clips())  # report mode: log only


def test_import_check_annotate_and_off_modes(tmp_path, caplog, monkeypatch):
    path = write(tmp_path / "cut.otio", timeline([clip("CAM1"), clip("SH1", 2, DEAGE)]))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "aigate.yaml").write_text("hooks: {on_read: annotate}\n")
    tl = otio.adapters.read_from_file(str(path))
    assert [m.name for m in tl.find_clips()[1].markers] == ["AIGATE LOCK talent-consent"]
    (tmp_path / "aigate.yaml").write_text("hooks: {on_read: off}\n")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="aigate.otio"):
        tl = otio.adapters.read_from_file(str(path))
    assert caplog.text == "" and len(tl.find_clips()[1].markers) == 0


def test_doctor_passes_here_and_fails_when_the_gate_would_fail_open():
    run = run_process("doctor")
    assert run.code == 0, run.out
    assert "ok   hook pre_adapter_write: aigate_pre_adapter_write attached" in run.out
    assert run.out.strip().endswith("the gate is live")
    off = run_process("doctor", env={"OTIO_DISABLE_ENTRYPOINTS_PLUGINS": "1"})
    assert off.code == 1
    assert "FAIL hook pre_adapter_write: aigate_pre_adapter_write is not in OTIO's" in off.out
    disabled = run_process("doctor", env={"AIGATE_DISABLE": "1"})
    assert disabled.code == 1 and "FAIL AIGATE_DISABLE" in disabled.out


def test_annotations_written_into_deliverables_keep_the_final_verdicts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # OTIO's second call has no output path: config from here
    (tmp_path / "aigate.yaml").write_text("hooks: {annotate_on_write: true}\n"
                                          "policy: pack.yaml\n")
    (tmp_path / "pack.yaml").write_text("extends: netflix-genai\n"
                                        "rules: {final-deliverable-use: {severity: info}}\n"
                                        "vetted_tools: [{name: Firefly, vendor: Adobe, "
                                        "enterprise: true}]\n")
    tl = timeline([clip("SH1", 2, ai(role="key_visual"))])
    out = tmp_path / "deliverables" / "cut.edl"
    out.parent.mkdir()
    with pytest.raises(GateLocked):  # key visual, unapproved: locked at final
        otio.adapters.write_to_file(tl, str(out))
    (tmp_path / "pack.yaml").write_text("extends: netflix-genai\n"
                                        "rules: {final-deliverable-use: {severity: info}, "
                                        "key-creative-element: {severity: {import: info, "
                                        "edit: info, review: warn, final: warn}}}\n"
                                        "vetted_tools: [{name: Firefly, vendor: Adobe, "
                                        "enterprise: true}]\n")
    otio.adapters.write_to_file(tl, str(out))  # final (the path): warn, written, annotated
    text = out.read_text()
    # OTIO's second, path-less call must not re-annotate at the default stage (info)
    assert "AIGATE WARN key-creative-element" in text and text.count("* LOC:") == 1
