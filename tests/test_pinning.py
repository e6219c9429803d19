"""Issue 28: in a spread run (--jobs, Dask) the submitter decides every input of a verdict,
never the worker. Each test runs the very task a worker runs (``check_one``) under a
worker's hostile environment, folder and clock, or a real spread run, and asserts the
verdict or the error line a user sees."""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

from aigate.model import CheckedFile, FailedFile
from aigate.run import parallel
from aigate.run.parallel import check_one, expected_inputs
from aigate.run.session import Options, Session
from helpers import mixed_cut, run_process


def production(folder: Path) -> Path:
    folder.mkdir(parents=True)
    return mixed_cut(folder)


def verdicts(outcome) -> dict[str, str]:
    assert isinstance(outcome, CheckedFile), outcome
    return {r.item.clip: r.verdict.label for s in outcome.results for r in s.items}


@pytest.fixture
def submitted(tmp_path, monkeypatch):
    """A production's cut, and the options and inputs its submitter sends."""
    for key in ("AIGATE_STAGE", "AIGATE_CONFIG", "AIGATE_TRUSTED_ROOTS", "AIGATE_PLUGINS"):
        monkeypatch.delenv(key, raising=False)
    cut = production(tmp_path / "show")
    monkeypatch.chdir(tmp_path / "show")
    session = Session(Options(stage="final", policy="pack.yaml"))
    options = parallel.pinned_options(session)
    parallel._worker_session.cache_clear()
    return cut, options, expected_inputs(session, cut)


def test_a_workers_environment_folder_and_clock_never_change_a_verdict(
        submitted, tmp_path, monkeypatch):
    cut, options, expected = submitted
    here = verdicts(check_one(str(cut), options, None, expected))
    assert here["LOCKED"] == "lock" and here["APPROVED"] == "info"
    # a worker elsewhere: another stage, config and roots in its environment, another
    # folder holding another pack.yaml (the relative --policy), another time zone
    hostile = tmp_path / "elsewhere"
    hostile.mkdir()
    (hostile / "pack.yaml").write_text("extends: netflix-genai\nrules: {talent-consent: "
                                       "{severity: {final: info}}}\n")
    (hostile / "aigate.yaml").write_text("policy: pack.yaml\n")
    monkeypatch.chdir(hostile)
    monkeypatch.setenv("AIGATE_STAGE", "edit")
    monkeypatch.setenv("AIGATE_CONFIG", str(hostile / "aigate.yaml"))
    monkeypatch.setenv("AIGATE_TRUSTED_ROOTS", str(hostile))
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    try:
        parallel._worker_session.cache_clear()
        assert verdicts(check_one(str(cut), options, None, expected)) == here
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert os.environ["AIGATE_STAGE"] == "edit"  # the worker's own, put back


def test_the_evaluation_date_is_the_submitters(submitted):
    cut, options, _ = submitted
    record = cut.parent.parent / "approvals" / "apr.yaml"
    record.write_text(record.read_text() + "expires: 2030-06-30\n")
    before = replace(options, today=dt.date(2030, 6, 30), run="before")
    after = replace(options, today=dt.date(2030, 7, 1), run="after")
    assert verdicts(check_one(str(cut), before))["APPROVED"] == "info"
    assert verdicts(check_one(str(cut), after))["APPROVED"] != "info"  # expired that day


def test_a_long_lived_worker_never_reuses_another_runs_approvals(submitted, monkeypatch):
    cut, options, _ = submitted
    assert verdicts(check_one(str(cut), options))["APPROVED"] == "info"
    (cut.parent.parent / "approvals" / "apr.yaml").unlink()  # withdrawn before the next run
    session = Session(Options(stage="final", policy="pack.yaml"))
    second = parallel.pinned_options(session)
    assert second.run != options.run
    outcome = check_one(str(cut), second, None, expected_inputs(session, cut))
    assert verdicts(outcome)["APPROVED"] == "lock"


def test_a_worker_whose_inputs_differ_refuses_the_file(submitted):
    cut, options, expected = submitted
    record = cut.parent.parent / "approvals" / "apr.yaml"
    record.write_text(record.read_text().replace("Dana Ruiz", "D. Ruiz"))  # the worker's copy
    outcome = check_one(str(cut), options, None, expected)
    assert isinstance(outcome, FailedFile)
    assert "apr.yaml" in outcome.error.path + outcome.error.message
    assert "differs from the submitter's" in outcome.error.message


def test_a_worker_without_the_submitters_plugins_refuses_the_file(submitted):
    cut, options, expected = submitted
    wider = replace(options, plugin_names=(*options.plugin_names, "studio_ledger"))
    outcome = check_one(str(cut), wider, None, expected)
    assert isinstance(outcome, FailedFile)
    assert "plugins differ from the submitter's (missing studio_ledger)" in \
        outcome.error.message


def test_the_report_states_the_pinned_inputs(tmp_path):
    cut = production(tmp_path / "show")
    other = production(tmp_path / "show" / "second")
    run = run_process("check", cut, other, "--jobs", "2", "--stage", "final", "--format",
                      "json")
    pinned = run.json["pinned"]
    assert pinned[0] == "stage final"
    assert pinned[1] == f"evaluation date {dt.datetime.now(dt.UTC).date()} (UTC)"
    assert any(line.startswith(f"config {tmp_path / 'show' / 'aigate.yaml'} (sha256 ")
               for line in pinned)
    assert any("record" in line and "apr.yaml" in line for line in pinned)
    serial = run_process("check", cut, other, "--jobs", "1", "--stage", "final", "--format",
                         "json")
    assert serial.json == run.json  # the same inputs, stated the same way


def fifo_blend(folder: Path) -> Path:
    """A .blend linking a scene from a library that is a FIFO: opening it blocks."""
    import bpy

    folder.mkdir(parents=True, exist_ok=True)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.name = "ASSET"
    bpy.ops.wm.save_as_mainfile(filepath=str(folder / "lib.blend"))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    with bpy.data.libraries.load(str(folder / "lib.blend"), link=True) as (_, linked):
        linked.scenes = ["ASSET"]
    bpy.context.scene.sequence_editor_create().strips.new_scene(
        name="LINKED", scene=linked.scenes[0], channel=1, frame_start=1)
    bpy.ops.wm.save_as_mainfile(filepath=str(folder / "main.blend"))
    (folder / "lib.blend").unlink()
    os.mkfifo(folder / "lib.blend")
    return folder / "main.blend"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_blend_whose_library_is_a_fifo_times_out_with_one_line(tmp_path, jobs):
    pytest.importorskip("bpy")
    blend = fifo_blend(tmp_path / "shot")
    fine = production(tmp_path / "show")
    run = run_process("check", blend, fine, "--jobs", jobs, "--timeout", "15", "--format",
                      "json")
    assert run.code == 2, run.err
    [error] = run.json["errors"]
    assert error["path"] == str(blend)
    assert "not checked: it took longer than 15 s (--timeout)" in error["message"]
    assert [s["name"] for s in run.json["subjects"]] == ["cut"]  # the other file is checked
