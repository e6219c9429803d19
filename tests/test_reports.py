"""Reports people read: JUnit for CI, the JSON schema, and text on a terminal (the HTML
report is tests/test_html_report.py's, the disclosure register tests/test_register.py's)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema

from helpers import ROOT, SAMPLES, ai, clip, run_process, timeline, write


def test_junit_has_a_suite_per_timeline_and_a_failure_per_locked_clip(cli, tmp_path):
    (tmp_path / "broken.otio").write_text("{")
    out = tmp_path / "junit.xml"
    run = cli("check", SAMPLES, tmp_path / "broken.otio", "--stage", "review",
              "--format", "junit", "--output", out)
    assert run.code == 2
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites"
    named = [s.get("name") for s in root.findall("testsuite")]
    assert len(named) == len(set(named)) == 6  # CI tools merge suites of the same name
    suites = {Path(s.get("name").split(": ")[0]).name: s
              for s in root.findall("testsuite") if s.find("properties") is not None}
    # the same cut as .otio, .kdenlive, .edl and .xml: four suites, each named by its file
    assert sorted(suites) == ["ep101_cut_v12.edl", "ep101_cut_v12.kdenlive",
                              "ep101_cut_v12.otio", "ep101_cut_v12.xml", "ep102_picture_v3.otio"]
    cut = suites["ep101_cut_v12.otio"]
    assert cut.get("name") == f"{SAMPLES / 'ep101_cut_v12.otio'}: NIGHTFALL 101 cut v12"
    for suite in root.findall("testsuite"):
        ids = [(c.get("classname"), c.get("name")) for c in suite.findall("testcase")]
        assert len(ids) == len(set(ids))
    properties = {p.get("name"): p.get("value") for p in cut.findall("properties/property")}
    assert {k: properties[k] for k in ("clips locked", "clips warned",
                                       "clips approved (waived)", "clips allowed by policy",
                                       "findings waived")} == {
        "clips locked": "3", "clips warned": "2", "clips approved (waived)": "1",
        "clips allowed by policy": "0", "findings waived": "1"}
    cases = {c.get("name").split()[0]: c for c in cut.findall("testcase")}
    assert sorted(cases) == ["GFX_poster_bg_v2", "INS_040_newscast_v2", "TEMP_MUSIC_gen_v1",
                             "VFX_010_sky_v3", "VFX_020_deage_v1", "VFX_030_creature_v5"]
    failed = sorted(n for n, c in cases.items() if c.find("failure") is not None)
    assert failed == ["INS_040_newscast_v2", "VFX_020_deage_v1", "VFX_030_creature_v5"]
    assert cut.get("tests") == "6" and cut.get("failures") == "3"
    assert "WARN final-deliverable-use" in cases["VFX_010_sky_v3"].find("system-out").text
    assert cases["VFX_020_deage_v1"].find("failure").get("message").startswith(
        "talent-consent: Ray Holt")
    errors = next(s for s in root.findall("testsuite") if s.get("name") == "unreadable files")
    assert errors.find("testcase/error").get("type") == "input"
    # --fail-on warn makes warnings fail too
    cli("check", SAMPLES / "ep101_cut_v12.otio", "--stage", "review", "--format", "junit",
        "--fail-on", "warn", "--output", out)
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite.get("failures") == "5"  # all but the approved poster


def test_json_output_validates_against_the_published_schema(cli, tmp_path):
    schema = json.loads((ROOT / "schemas" / "report-v1.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    (tmp_path / "bad.edl").write_text("garbage\n")
    odd = write(tmp_path / "odd.otio", timeline([clip("SH1", 2, ["not", "a", "mapping"])]))
    for args in (["--stage", "final"], [], ["--stage", "import"]):
        run = cli("check", SAMPLES, tmp_path / "bad.edl", odd, "--format", "json", *args)
        jsonschema.validate(run.json, schema)
    assert run.json["schema"] == 1


def test_quiet_text_lists_only_locks_and_the_summary(cli):
    run = cli("check", SAMPLES / "ep101_cut_v12.otio", "--stage", "edit", "--quiet")
    lines = run.out.splitlines()
    clips = lines[:lines.index("fix:")]
    assert [x.split()[0] for x in clips if x.startswith("  ") and not x.startswith("     ")] \
        == ["LOCK", "LOCK"]
    assert not any(" warn " in x for x in lines)
    # only the locked rules' fixes, each once
    fixes = [x.split(":")[0].strip() for x in lines[lines.index("fix:") + 1:-1]]
    assert fixes == ["talent-consent", "real-events"]
    assert lines[-1].startswith("summary: 1 file(s)")
    assert "\033[" not in run.out  # captured, not a terminal: no colour


def run_in_terminal(*args: str, env: dict[str, str] | None = None) -> str:
    """Run aigate with stdout and stderr on a pseudo-terminal; what the terminal showed."""
    main, secondary = pty.openpty()
    full_env = {**os.environ, "TERM": "xterm-256color", **(env or {})}
    full_env.pop("CI", None)
    proc = subprocess.Popen([sys.executable, "-m", "aigate", *args], stdout=secondary,
                            stderr=secondary, env=full_env, cwd=ROOT)
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")


def test_colour_on_a_terminal_and_plain_with_no_color():
    coloured = run_in_terminal("check", str(SAMPLES), "--stage", "final")
    assert "\033[1;31mLOCK\033[0m" in coloured
    plain = run_in_terminal("check", str(SAMPLES), "--stage", "final", env={"NO_COLOR": "1"})
    assert "LOCK" in plain and "\033[1;31m" not in plain


def test_progress_bar_on_a_terminal_only(tmp_path):
    for i in range(6):
        write(tmp_path / f"ep{i}.otio", timeline([clip(f"SH{i}", 2, ai())]))
    shown = run_in_terminal("check", str(tmp_path), "--jobs", "2")
    assert "checking ep" in shown  # the bar names the file it is on
    piped = run_process("check", tmp_path, "--jobs", "2")
    assert "checking" not in piped.err and "\033[" not in piped.out + piped.err
