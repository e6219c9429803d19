"""Conform at scale (issue 8): every core, a real Dask cluster on 127.0.0.1, workers killed
mid-file, Ctrl-C; results identical to a serial run and never a file missing."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import opentimelineio as otio
import pytest

from helpers import ROOT, ai, clip, needs, run_process, timeline, write

PLUGINS = str(ROOT / "tests" / "plugins")
# the test plugin's folder added to (not instead of) the PYTHONPATH the suite runs under
CRASHER = {"PYTHONPATH": os.pathsep.join(p for p in (PLUGINS, os.environ.get("PYTHONPATH"))
                                         if p),
           "AIGATE_PLUGINS": "aigate_crasher"}


@pytest.fixture(scope="module")
def season(tmp_path_factory) -> Path:
    """A folder of 12 timelines (some locked, one per cut of a season) and 2 bad files."""
    root = tmp_path_factory.mktemp("season")
    for episode in range(1, 13):
        clips = [clip(f"E{episode:02d}_SH{i:03d}", 1) for i in range(40)]
        clips[episode % 40] = clip(f"E{episode:02d}_AI", 2, ai(role="key_visual"))
        write(root / f"ep{episode:02d}" / f"cut_v{episode}.otio",
              timeline(clips, name=f"EP{episode:02d}"))
    (root / "ep99").mkdir()
    (root / "ep99" / "broken.otio").write_text("{")
    (root / "ep99" / "broken.edl").write_text("not an edl\n")
    return root


def check(*args: str | Path, env: dict[str, str] | None = None):
    return run_process("check", *args, "--format", "json", "--stage", "review", env=env)


@pytest.fixture(scope="module")
def serial(season):
    run = check(season, "--jobs", "1")
    assert run.code == 2  # the broken files
    return run


def test_jobs_give_the_same_report_in_the_same_order(season, serial):
    parallel = check(season, "--jobs", "2")
    assert parallel.code == serial.code
    assert parallel.json == serial.json
    names = [s["name"] for s in parallel.json["subjects"]]
    assert names == [f"EP{e:02d}" for e in range(1, 13)]
    summary = parallel.json["summary"]
    assert (summary["files"], summary["checked"], summary["failed"]) == (14, 12, 2)
    assert summary["files"] == summary["checked"] + summary["failed"]


def crash_folder(tmp_path: Path, *names: str) -> Path:
    text = otio.adapters.write_to_string(timeline([clip("SH1", 2, ai())]), "otio_json")
    for name in names:
        (tmp_path / name).write_text(text)
    return tmp_path


def test_a_killed_worker_gets_the_file_retried_once_then_reported(tmp_path):
    folder = crash_folder(tmp_path, "a_fine.crash", "b_once.crash", "c_always.crash",
                          "d_fine.crash", "e_fine.crash")
    run = check(folder, "--jobs", "2", env=CRASHER)
    assert run.code == 2, run.err
    checked = sorted(Path(s["path"]).name for s in run.json["subjects"])
    assert checked == ["a_fine.crash", "b_once.crash", "d_fine.crash", "e_fine.crash"]
    [error] = run.json["errors"]
    assert Path(error["path"]).name == "c_always.crash"
    assert "died twice" in error["message"]
    assert run.json["summary"]["files"] == 5


def test_a_file_that_failed_only_with_its_pool_is_checked_alone_again(tmp_path, monkeypatch):
    """When one file kills a worker, the pool fails every file in flight, including files
    that never started: retried alone, such a file is checked (here "once" stands for a
    file whose first solo run is the one that meets the crash), and only a file that kills
    its own worker twice is reported."""
    import multiprocessing

    from aigate.model import CheckedFile, FailedFile
    from aigate.run.parallel import _alone
    from aigate.run.session import Options

    folder = crash_folder(tmp_path, "b_once.crash", "c_always.crash")
    monkeypatch.syspath_prepend(str(PLUGINS))
    monkeypatch.setenv("AIGATE_PLUGINS", "aigate_crasher")
    context = multiprocessing.get_context("fork")
    once = _alone(folder / "b_once.crash", Options(), None, context)
    assert isinstance(once, CheckedFile) and once.path.endswith("b_once.crash")
    always = _alone(folder / "c_always.crash", Options(), None, context)
    assert isinstance(always, FailedFile) and "died twice" in always.error.message


def interrupted(folder: Path, *args: str) -> tuple[int, str, str]:
    """Run a check, press Ctrl-C once a worker is checking a file, and wait for the end."""
    started, tell = os.pipe()  # the plugin writes a byte when a worker starts a file
    env = {**os.environ, **CRASHER, "AIGATE_TEST_STARTED_FD": str(tell)}
    env.pop("AIGATE_STAGE", None)
    proc = subprocess.Popen([sys.executable, "-m", "aigate", "check", str(folder), "--jobs",
                             "2", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, pass_fds=(tell,))
    os.close(tell)
    assert os.read(started, 1) == b"x"  # blocks until a worker is checking a file
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    os.close(started)
    return proc.returncode, out, err


def test_ctrl_c_json_summary_counts_the_files_not_checked(tmp_path):
    folder = crash_folder(tmp_path, *(f"{i:02d}_slow.crash" for i in range(30)))
    code, out, err = interrupted(folder, "--format", "json")
    assert code == 130, err
    summary = json.loads(out)["summary"]
    assert summary["files"] == 30 and summary["not_checked"] > 0
    assert summary["checked"] + summary["failed"] + summary["not_checked"] == 30
    assert f"interrupted: {summary['not_checked']} file(s) not checked" in err


def test_ctrl_c_stops_cleanly_with_a_partial_report(tmp_path):
    folder = crash_folder(tmp_path, *(f"{i:02d}_slow.crash" for i in range(30)))
    code, out, err = interrupted(folder)
    assert code == 130, err
    summary = out.strip().splitlines()[-1]
    checked, failed, left = map(int, re.search(
        r"summary: 30 file\(s\) \((\d+) checked, (\d+) failed, (\d+) not checked: "
        r"interrupted\)", summary).groups())
    assert checked + failed + left == 30 and left > 0
    assert "aigate: interrupted:" in err and "Traceback" not in err


@pytest.fixture(scope="module")
def dask_cluster():
    """A real Dask scheduler and two worker processes on 127.0.0.1, for this module only."""
    import os

    import dask
    from dask.distributed import LocalCluster

    saved = {k: os.environ.get(k) for k in CRASHER}
    os.environ.update(CRASHER)  # the workers inherit it: they load the test plugin
    sys.path.insert(0, PLUGINS)  # spawned workers start from this sys.path
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
    yield cluster
    cluster.close()
    sys.path.remove(PLUGINS)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@needs("dask.distributed", "dask")
def test_dask_cluster_gives_the_same_report(season, serial, dask_cluster):
    assert dask_cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    run = check(season, "--executor", "dask", "--scheduler", dask_cluster.scheduler_address)
    assert run.code == serial.code, run.err
    assert run.json == serial.json


@needs("dask.distributed", "dask")
def test_dask_retries_a_file_whose_worker_died_once(tmp_path, dask_cluster):
    folder = crash_folder(tmp_path, "a_fine.crash", "b_once.crash")
    run = check(folder, "--executor", "dask", "--scheduler", dask_cluster.scheduler_address,
                env=CRASHER)
    assert (folder / "b_once.crashed").exists(), (run.out, run.err)  # its worker died
    verdicts = {Path(s["path"]).name: s["verdict"] for s in run.json["subjects"]}
    assert run.json["errors"] == [], run.err
    assert verdicts == {"a_fine.crash": "lock", "b_once.crash": "lock"}
    assert run.code == 1


@needs("dask.distributed", "dask")
def test_dask_killed_worker_never_loses_a_file(tmp_path, dask_cluster):
    folder = crash_folder(tmp_path, "a_fine.crash", "b_once.crash", "c_always.crash")
    run = check(folder, "--executor", "dask", "--scheduler", dask_cluster.scheduler_address,
                env=CRASHER)
    checked = [Path(s["path"]).name for s in run.json["subjects"]]
    failed = {Path(e["path"]).name: e["message"] for e in run.json["errors"]}
    # every file is in the report exactly once; the one that always kills is an error
    assert sorted(checked + list(failed)) == ["a_fine.crash", "b_once.crash",
                                              "c_always.crash"]
    assert "died twice" in failed["c_always.crash"]
    # Dask counts a death against every task the dead worker held: a file it gives up on
    # is checked again alone, so only the file that kills its own worker is blamed
    assert sorted(failed) == ["c_always.crash"]


@needs("dask.distributed", "dask")
def test_local_dask_cluster_without_a_scheduler(season, serial):
    run = check(season, "--executor", "dask", "--jobs", "2")
    assert run.json == serial.json


def test_register_in_parallel_matches_serial(season):
    one = run_process("register", season, "--jobs", "1", "--format", "json")
    two = run_process("register", season, "--jobs", "2", "--format", "json")
    def rows(run) -> list[dict[str, str]]:  # each run says when it ran
        return [{k: v for k, v in r.items() if k != "checked_at"}
                for r in json.loads(run.out)["rows"]]
    assert rows(one) == rows(two) and len(rows(two)) == 12
