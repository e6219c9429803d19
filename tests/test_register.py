"""The disclosure register production legal sends the studio: the rows, the rules and
reasons behind each verdict, the same cut exported in several formats marked, approved
apart from allowed by policy, and its formats chosen from the one report-format registry."""

from __future__ import annotations

import csv
import io
import json

import jsonschema

from helpers import ROOT, SAMPLES, mixed_cut, run_process


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_register_lists_exactly_the_ai_clips_in_timeline_and_record_order(cli, tmp_path):
    run = cli("register", SAMPLES / "ep101_cut_v12.otio", SAMPLES / "ep102_picture_v3.otio",
              "--stage", "final")
    assert run.code == 0
    rows = list(csv.DictReader(io.StringIO(run.out)))
    assert [(r["timeline"], r["clip"]) for r in rows] == [
        ("NIGHTFALL 101 cut v12", "TEMP_MUSIC_gen_v1"),
        ("NIGHTFALL 101 cut v12", "GFX_poster_bg_v2"),
        ("NIGHTFALL 101 cut v12", "VFX_010_sky_v3"),
        ("NIGHTFALL 101 cut v12", "VFX_020_deage_v1"),
        ("NIGHTFALL 101 cut v12", "VFX_030_creature_v5"),
        ("NIGHTFALL 101 cut v12", "INS_040_newscast_v2"),
        ("NIGHTFALL 102 picture v3", "VFX_110_deage_v2"),
    ]
    poster = next(r for r in rows if r["clip"] == "GFX_poster_bg_v2")
    assert {k: poster[k] for k in ("show", "track", "record_in", "record_out", "duration",
                                   "tool", "tool_version", "tool_vendor", "enterprise_secured",
                                   "purpose", "role", "approvals", "verdict", "sources")} == {
        "show": "NIGHTFALL", "track": "V2", "record_in": "01:00:02:00",
        "record_out": "01:00:05:00", "duration": "00:00:03:00", "tool": "Firefly",
        "tool_version": "4", "tool_vendor": "Adobe", "enterprise_secured": "yes",
        "purpose": "final", "role": "incidental", "approvals": "APR-NF101-007",
        "verdict": "info",
        "sources": "clip metadata (claimed); xmp sidecar (claimed): XMP sidecar "
                   "GFX_poster_bg_v2.xmp"}
    sky = next(r for r in rows if r["clip"] == "VFX_010_sky_v3")
    assert sky["sources"] == "c2pa (trusted): Trusted; clip metadata (claimed)"
    assert (sky["tool"], sky["tool_version"]) == ("Firefly", "1")  # the signed manifest wins
    creature = next(r for r in rows if r["clip"] == "VFX_030_creature_v5")
    assert creature["enterprise_secured"] == "unknown" and creature["verdict"] == "lock"
    deage = next(r for r in rows if r["clip"] == "VFX_020_deage_v1")
    assert deage["talent"] == "Ray Holt (likeness; consent none on file)"
    news = next(r for r in rows if r["clip"] == "INS_040_newscast_v2")
    assert news["inputs"] == "public_figure"


def test_register_json_and_html(cli, tmp_path):
    out = tmp_path / "register.json"
    assert cli("register", SAMPLES, "--format", "json", "--output", out).code == 0
    document = json.loads(out.read_text())
    assert document["kind"] == "disclosure-register" and len(document["rows"]) == 23
    html = tmp_path / "register.html"
    assert cli("register", SAMPLES, "--format", "html", "--output", html).code == 0
    assert html.read_text().count("<tr") == 24  # header + 23 AI clips


def test_each_non_pass_verdict_has_its_rules_and_reason(cli):
    run = cli("register", SAMPLES / "ep101_cut_v12.otio", "--stage", "final")
    rows = {r["clip"]: r for r in rows_of(run.out)}
    creature = rows["VFX_030_creature_v5"]
    assert creature["verdict"] == "lock"
    assert creature["rules"] == "final-deliverable-use; tool-unvetted; key-creative-element"
    for rule in creature["rules"].split("; "):
        assert f"{rule}: " in creature["reason"]
    assert "tool DreamForge 1 is not on the policy's vetted tools list" in creature["reason"]
    news = rows["INS_040_newscast_v2"]
    assert "real-events" in news["rules"].split("; ")
    assert news["depicts_real_events"] == "yes" and creature["depicts_real_events"] == "no"
    poster = rows["GFX_poster_bg_v2"]
    assert (poster["verdict"], poster["rules"]) == ("info", "final-deliverable-use")
    assert poster["reason"].startswith(
        "approved: waived by APR-NF101-007 (Dana Ruiz (Production Legal)); "
        "final-deliverable-use: ")


def test_allowed_by_policy_is_not_an_approval_in_the_register(cli, tmp_path):
    rows = {r["clip"]: r for r in rows_of(cli("register", mixed_cut(tmp_path),
                                              "--stage", "edit").out)}
    assert rows["ALLOWED"]["verdict"] == "info" and rows["ALLOWED"]["approvals"] == ""
    assert rows["ALLOWED"]["reason"].startswith(
        "allowed by policy (info; no approval): final-deliverable-use: ")
    assert rows["APPROVED"]["approvals"] == "APR-RE"
    assert rows["APPROVED"]["reason"].startswith("approved: waived by APR-RE (Dana Ruiz")
    assert rows["LOCKED"]["rules"] == "talent-consent"
    assert rows["WARNED"]["rules"] == "disclosure-incomplete"


def test_the_same_cut_in_several_formats_is_marked_not_repeated_silently(cli):
    rows = rows_of(cli("register", SAMPLES, "--stage", "final").out)
    cut = [r for r in rows if r["timeline"] == "NIGHTFALL 101 cut v12"]
    by_file: dict[str, list[dict[str, str]]] = {}
    for row in cut:
        by_file.setdefault(row["path"].rsplit("/", 1)[-1], []).append(row)
    assert sorted(by_file) == ["ep101_cut_v12.edl", "ep101_cut_v12.otio", "ep101_cut_v12.xml"]
    # the first file listed is the reference: none of its rows repeats anything
    assert all(r["same_cut_as"] == "" for r in by_file["ep101_cut_v12.edl"])
    edl = {r["clip"] for r in by_file["ep101_cut_v12.edl"]}
    otio_rows = {r["clip"]: r["same_cut_as"] for r in by_file["ep101_cut_v12.otio"]}
    # the EDL holds one video track: V1's clips repeat it (its record times restart at 0),
    # the other tracks' clips are listed here first
    assert {c for c, same in otio_rows.items() if same} == edl
    assert all(same.endswith("ep101_cut_v12.edl") for c, same in otio_rows.items() if same)
    assert otio_rows["GFX_poster_bg_v2"] == "" and otio_rows["TEMP_MUSIC_gen_v1"] == ""
    assert all(r["same_cut_as"] for r in by_file["ep101_cut_v12.xml"])
    # another timeline is never taken for the same cut
    assert all(r["same_cut_as"] == "" for r in rows if r["timeline"] != "NIGHTFALL 101 cut v12")


def test_register_and_check_share_one_format_registry_by_kind(cli, tmp_path):
    run = cli("register", SAMPLES, "--format", "junit")
    assert run.code == 2
    assert "unknown register format 'junit' (available: csv, html, json)" in run.err
    assert cli("check", SAMPLES, "--format", "csv").code == 2
    (tmp_path / "aigate_tsv_register.py").write_text(
        "from aigate.api import hookimpl\n"
        "from aigate.api import RegisterFormat\n\n\n"
        "def write(register, out):\n"
        "    out.write('\\t'.join(register.names) + '\\n')\n"
        "    for row in register.rows():\n"
        "        out.write('\\t'.join(row) + '\\n')\n\n\n"
        "@hookimpl\n"
        "def aigate_report_formats():\n"
        "    return [RegisterFormat('tsv', 'tab-separated register', write)]\n")
    env = {"PYTHONPATH": str(tmp_path), "AIGATE_PLUGINS": "aigate_tsv_register"}
    tsv = run_process("register", SAMPLES / "ep102_picture_v3.otio", "--format", "tsv",
                      env=env)
    assert tsv.code == 0, tsv.err
    header, row = tsv.out.splitlines()
    assert header.split("\t")[:3] == ["show", "episode", "timeline"]
    assert "VFX_110_deage_v2" in row.split("\t")
    check = run_process("check", SAMPLES, "--format", "tsv", env=env)
    assert check.code == 2 and "unknown format 'tsv'" in check.err
    # the register's own json is not the check report's json
    document = json.loads(run_process("register", SAMPLES / "ep102_picture_v3.otio",
                                      "--format", "json").out)
    assert document["kind"] == "disclosure-register"


def test_register_json_validates_against_its_published_schema(cli, tmp_path):
    schema = json.loads((ROOT / "schemas" / "register-v1.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    cut = mixed_cut(tmp_path)
    for args in ([SAMPLES, "--stage", "final"], [SAMPLES], [cut, "--stage", "edit"]):
        out = tmp_path / "register.json"
        assert cli("register", *args, "--format", "json", "--output", out).code == 0
        document = json.loads(out.read_text())
        jsonschema.validate(document, schema)
        assert document["rows"] and document["schema"] == 1
