"""What production legal signs off (issue 27): a register that says who approved, when and
on what terms, the consents on file, when the check ran and under which policy; approvals
listed with their status and drafted from findings; one run for every report."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

import pytest
import yaml

from aigate.run.session import Session
from helpers import ROOT, ai, clip, movie_bytes, run_process, timeline, write

CONSENTED = ai(purpose="temp", talent=[{"name": "Ray Holt", "use": "likeness",
                                       "consent": "CON-1"}])


class Show:
    """A production with a signing approver, a signed approval and consent, and a cut."""

    def __init__(self, root: Path, cli) -> None:
        self.root, self.cli = root, cli
        (root / "approvals").mkdir()
        assert cli("approvals", "keygen", "dana", "--out", root / "keys",
                   "--approver", "Dana Ruiz").code == 0
        (root / "pack.yaml").write_text(
            "extends: netflix-genai\nvetted_tools: [{name: Firefly, vendor: Adobe, "
            "enterprise: true}]\nrequire_signed_approvals: true\n")
        (root / "aigate.yaml").write_text(
            "show: TESTSHOW\npolicy: pack.yaml\napprovals: approvals/\n"
            "trusted_keys:\n  - {approver: Dana Ruiz, file: keys/dana.pub}\n")
        self.record("APR-1", "id: APR-1\ngrants: [final-deliverable-use]\n"
                    "scope: {show: TESTSHOW, clips: [SH1]}\n"
                    "approver: {name: Dana Ruiz, role: Production Legal}\n"
                    "issued: 2026-01-01\nexpires: 2027-06-30\n"
                    "conditions: background only, never in a close-up\n")
        self.record("CON-1", "id: CON-1\nkind: consent\ntalent: Ray Holt\n"
                    "uses: [likeness]\nproduction: TESTSHOW\nissued: 2026-01-01\n"
                    "expires: 2027-01-31\n")
        self.cut = write(root / "ep104_cut.otio", timeline([
            clip("CAM1"),
            clip("SH1", 2, ai(tool={"name": "Firefly", "vendor": "Adobe"}, purpose="final")),
            clip("DEAGE", 2, CONSENTED)]))

    def record(self, name: str, text: str) -> Path:
        path = self.root / "approvals" / f"{name}.yaml"
        path.write_text(text)
        run = self.cli("approvals", "sign", path, "--key", self.root / "keys" / "dana.key")
        assert run.code == 0, run.err
        return path

    def register(self, *args: str | Path) -> dict[str, dict[str, str]]:
        run = self.cli("register", self.cut, "--stage", "final", "--as-of", "2026-06-01", *args)
        assert run.code == 0, run.err
        return {r["clip"]: r for r in csv.DictReader(io.StringIO(run.out))}


@pytest.fixture
def show(tmp_path, cli) -> Show:
    return Show(tmp_path, cli)


def test_the_register_says_who_approved_when_on_what_terms_and_with_which_key(show):
    rows = show.register()
    sh1 = rows["SH1"]
    fingerprint = re.search(r"ed25519:[0-9a-f]+", (show.root / "approvals" /
                                                   "APR-1.yaml").read_text()).group(0)
    assert {k: sh1[k] for k in ("approvals", "approver", "approval_issued",
                                "approval_expires", "approval_conditions", "signed_by",
                                "policy", "verdict")} == {
        "approvals": "APR-1", "approver": "Dana Ruiz (Production Legal)",
        "approval_issued": "2026-01-01", "approval_expires": "2027-06-30",
        "approval_conditions": "background only, never in a close-up",
        "signed_by": fingerprint, "policy": "pack", "verdict": "info"}
    assert re.fullmatch(r"[0-9a-f]{64}", sh1["policy_sha256"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", sh1["checked_at"])
    # the consent on file for the talent: who, which record, for what, until when
    assert rows["DEAGE"]["consents"] == "Ray Holt: CON-1 (likeness; expires 2027-01-31)"
    assert rows["DEAGE"]["signed_by"] == ""  # no approval waived anything for it


def test_the_policy_hash_changes_with_the_pack(show):
    before = show.register()["SH1"]["policy_sha256"]
    (show.root / "pack.yaml").write_text((show.root / "pack.yaml").read_text() + "# edited\n")
    assert show.register()["SH1"]["policy_sha256"] != before


def test_episode_comes_from_config_then_metadata_then_the_name_and_says_so(show, cli):
    assert show.register()["SH1"]["episode"] == "104 (from the name)"
    write(show.cut, timeline([clip("SH1", 2, ai(purpose="temp"))], metadata={"episode": "4B"}))
    assert show.register()["SH1"]["episode"] == "4B (timeline metadata)"
    config = show.root / "aigate.yaml"
    config.write_text(config.read_text() + "episode: '104'\n")
    assert show.register()["SH1"]["episode"] == "104"
    config.write_text(config.read_text().replace("episode: '104'\n", ""))
    anonymous = write(show.root / "cut.otio", timeline([clip("SH1", 2, ai(purpose="temp"))],
                                                       name="cut"))
    run = cli("register", anonymous, "--stage", "edit")
    [row] = csv.DictReader(io.StringIO(run.out))
    assert row["episode"].startswith("unknown: ")


def test_the_html_register_names_show_date_stage_and_policy(show, cli):
    out = show.root / "register.html"
    assert cli("register", show.cut, "--stage", "final", "--format", "html",
               "--output", out).code == 0
    page = out.read_text()
    assert "<h1>GenAI disclosure register: TESTSHOW</h1>" in page
    header = re.search(r'<p class="meta">(.*?)</p>', page).group(1)
    assert re.match(r"checked \d{4}-\d\d-\d\d · stage final · policy pack \(sha256 "
                    r"[0-9a-f]{12}\)$", header), header


# -- one run, every report; a file the run writes is never one of its inputs ------------


def test_one_check_writes_every_report_and_the_register(show, cli):
    reports = show.root / "reports"
    reports.mkdir()
    run = cli("check", show.root, "--stage", "final", "--as-of", "2026-06-01",
              "--report", f"junit={reports / 'gate.xml'}",
              "--report", f"json={reports / 'gate.json'}",
              "--report", f"html={reports / 'gate.html'}",
              "--report", f"register-csv={reports / 'register.csv'}",
              "--report", f"register-json={reports / 'register.json'}",
              "--report", f"register-html={reports / 'register.html'}")
    assert run.code == 1, run.err  # DEAGE, temporary material, is locked at final
    assert "ep104_cut.otio: cut [stage final" in run.out  # text still on stdout
    assert sorted(p.name for p in reports.iterdir()) == [
        "gate.html", "gate.json", "gate.xml", "register.csv", "register.html",
        "register.json"]
    document = json.loads((reports / "gate.json").read_text())
    assert [i["clip"] for i in document["subjects"][0]["items"]] == ["CAM1", "SH1", "DEAGE"]
    assert '<testsuite name="' in (reports / "gate.xml").read_text()
    rows = list(csv.DictReader(io.StringIO((reports / "register.csv").read_text())))
    assert [r["clip"] for r in rows] == ["SH1", "DEAGE"]
    assert json.loads((reports / "register.json").read_text())["rows"][0]["approver"] == \
        "Dana Ruiz (Production Legal)"
    assert "\x1b[" not in (reports / "gate.json").read_text()


def test_an_unknown_report_format_names_the_ones_there_are(show, cli):
    run = cli("check", show.cut, "--report", f"pdf={show.root / 'x.pdf'}")
    assert run.code == 2 and "unknown format 'pdf'" in run.err
    assert "register-csv" in run.err and "junit" in run.err
    assert cli("check", show.cut, "--report", "junit").code == 2
    same = show.root / "same.json"
    run = cli("check", show.cut, "--report", f"json={same}", "--report", f"json={same}")
    assert run.code == 2 and "name the same file" in run.err


@pytest.mark.parametrize("exists", [False, True], ids=["first run", "second run"])
def test_a_report_written_into_the_checked_folder_is_not_an_input(show, exists):
    """``aigate check . --format junit --output results.xml`` inside the show folder: .xml is
    also FCP7's suffix, yet the file this run writes is never read as a timeline."""
    results = show.root / "results.xml"
    if exists:
        results.write_text('<?xml version="1.0"?><xmeml version="5"></xmeml>\n')
    run = run_process("check", ".", "--format", "junit", "--output", "results.xml",
                      cwd=show.root)
    assert run.code == 0, run.err  # at edit: nothing locked
    assert "one of the inputs" not in run.err and "results.xml" not in run.err
    suites = re.findall(r'<testsuite name="([^"]+)"', results.read_text())
    assert len(suites) == 1 and "ep104_cut.otio" in suites[0]


# -- approvals listed with their status; requests drafted from findings ----------------


def test_approvals_list_gives_each_records_status(show, cli):
    approvals = show.root / "approvals"
    (approvals / "OLD.yaml").write_text(
        "id: OLD\ngrants: [real-events]\nscope: {show: TESTSHOW, clips: [X]}\n"
        "approver: {name: Dana Ruiz}\nissued: 2025-01-01\nexpires: 2025-12-31\n")
    run = cli("approvals", "sign", approvals / "OLD.yaml", "--key", show.root / "keys" /
              "dana.key")
    assert run.code == 0
    (approvals / "LATER.yaml").write_text(
        "id: LATER\ngrants: [real-events]\nscope: {show: TESTSHOW, clips: [X]}\n"
        "approver: {name: Dana Ruiz}\nissued: 2026-09-01\n")
    cli("approvals", "sign", approvals / "LATER.yaml", "--key", show.root / "keys" / "dana.key")
    (approvals / "NOSIG.yaml").write_text(
        "id: NOSIG\ngrants: [real-events]\nscope: {show: TESTSHOW, clips: [X]}\n"
        "approver: {name: Dana Ruiz}\n")
    forged = approvals / "FORGED.yaml"
    forged.write_text((approvals / "APR-1.yaml").read_text().replace("APR-1", "FORGED"))
    run = cli("approvals", "list", "--config", show.root / "aigate.yaml", "--as-of",
              "2026-06-01", "--format", "json")
    assert run.code == 0, run.err
    status = {r["id"]: r["status"] for r in json.loads(run.out)["records"]}
    assert status == {"APR-1": "valid", "CON-1": "valid", "OLD": "expired",
                      "LATER": "not_yet_valid", "NOSIG": "unsigned",
                      "FORGED": "bad_signature"}
    record = next(r for r in json.loads(run.out)["records"] if r["id"] == "APR-1")
    assert record["approver"] == "Dana Ruiz (Production Legal)"
    assert (record["issued"], record["expires"]) == ("2026-01-01", "2027-06-30")
    assert record["scope"] == "show TESTSHOW; clips SH1"
    # against a cut: a valid record that waived nothing there is unused
    other = write(show.root / "other" / "ep105.otio", timeline([clip("CAM9")]))
    run = cli("approvals", "list", "--config", show.root / "aigate.yaml", "--as-of",
              "2026-06-01", "--against", other)
    assert re.search(r"^APR-1  approval  UNUSED  Dana Ruiz", run.out, re.M), run.out
    run = cli("approvals", "list", "--config", show.root / "aigate.yaml", "--as-of",
              "2026-06-01", "--against", show.cut)
    assert re.search(r"^APR-1  approval  VALID", run.out, re.M), run.out


def test_a_request_drafted_from_a_finding_signs_and_waives_exactly_that_clip(show, cli):
    media = show.root / "media"
    media.mkdir(exist_ok=True)
    (media / "NEWS.mov").write_bytes(movie_bytes(b"generated newscast"))
    cut = write(show.root / "ep104_news.otio", timeline([
        clip("NEWS", 2, ai(purpose="temp", depicts_real_events=True), url="media/NEWS.mov"),
        clip("NEWS_ALT", 2, ai(purpose="temp", depicts_real_events=True),
             url="media/NEWS.mov")]))
    before = cli("check", cut, "--stage", "review", "--format", "json")
    assert before.code == 1
    requests = show.root / "requests"
    run = cli("approvals", "request", cut, "--stage", "review", "--output", requests)
    assert run.code == 0, run.err
    drafts = sorted(p.name for p in requests.iterdir())
    assert "REQ-NEWS-real-events.yaml" in drafts
    draft = (requests / "REQ-NEWS-real-events.yaml").read_text()
    assert draft.startswith("# DRAFT approval")
    digest = hashlib.sha256(movie_bytes(b"generated newscast")).hexdigest()
    assert f"- {digest}" in draft and "record_in: 01:00:00:00" in draft
    # unsigned and without an approver the draft is not a record yet: signing says why
    refused = cli("approvals", "sign", requests / "REQ-NEWS-real-events.yaml", "--key",
                  show.root / "keys" / "dana.key")
    assert refused.code == 2 and "approver" in refused.err
    # legal fills it in, moves it into the registry and signs it (sign takes many files)
    filled = draft.replace("name: ''", "name: Dana Ruiz").replace(
        "issued: null", "issued: 2026-01-01")
    record = show.root / "approvals" / "REQ-NEWS-real-events.yaml"
    record.write_text(filled)
    assert cli("approvals", "sign", record, show.root / "approvals" / "APR-1.yaml",
               "--key", show.root / "keys" / "dana.key").code == 0
    after = cli("check", cut, "--stage", "review", "--format", "json", "--as-of",
                "2026-06-01")
    findings = {i["clip"]: i["findings"] for i in after.json["subjects"][0]["items"]}
    news = next(f for f in findings["NEWS"] if f["rule"] == "real-events")
    assert news["approval"] == "REQ-NEWS-real-events" and news["severity"] == "info"
    # pinned by sha256: the same media under another clip name is covered too, by hash
    alt = next(f for f in findings["NEWS_ALT"] if f["rule"] == "real-events")
    assert alt["approval"] == "REQ-NEWS-real-events"
    # a second request keeps what legal already has
    again = cli("approvals", "request", cut, "--stage", "review", "--output", requests)
    assert "already there (kept)" in again.err
    assert (requests / "REQ-NEWS-real-events.yaml").read_text() == draft


# -- a show set up in one command; timelines checked on commit --------------------------


def test_init_writes_a_config_doctor_accepts_and_never_overwrites(tmp_path, cli):
    show = tmp_path / "nightfall"
    show.mkdir()
    run = cli("init", show, "--show", "NIGHTFALL")
    assert run.code == 0, run.err
    config = (show / "aigate.yaml").read_text()
    assert "show: NIGHTFALL" in config and "# The policy" in config
    assert (show / "approvals").is_dir()
    write(show / "cuts" / "ep101.otio", timeline([clip("CAM1")]))
    doctor = cli("doctor", show / "cuts" / "ep101.otio")
    assert f"config: {show / 'aigate.yaml'}" in doctor.out
    assert "ok   policy: netflix-genai" in doctor.out and doctor.code == 0, doctor.out
    check = cli("check", show / "cuts", "--stage", "final")
    assert check.code == 0, check.err
    (show / "aigate.yaml").write_text("show: MINE\n")
    again = cli("init", show, "--show", "OTHER")
    assert again.code == 2 and "never overwrites" in again.err
    assert (show / "aigate.yaml").read_text() == "show: MINE\n"


def test_doctor_warns_of_a_config_in_a_folder_beside_the_timelines(tmp_path, cli):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "aigate.yaml").write_text("show: S\n")
    cut = write(tmp_path / "cuts" / "ep1.otio", timeline([clip("CAM1")]))
    run = cli("doctor", cut)
    line = next(x for x in run.out.splitlines() if x.startswith("warn config beside"))
    assert str(tmp_path / "config" / "aigate.yaml") in line and "--config" in line
    # a config that governs the timelines: no such warning
    (tmp_path / "aigate.yaml").write_text("show: S\n")
    assert "config beside" not in cli("doctor", cut).out


def test_the_pre_commit_hook_checks_exactly_the_timeline_files():
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "aigate-check" and hook["language"] == "python"
    assert hook["entry"].split()[:2] == ["aigate", "check"]
    pattern = re.compile(hook["files"])
    for suffix in Session().timeline_suffixes():
        assert pattern.search(f"reel1/cut.{suffix}") and pattern.search(f"CUT.{suffix.upper()}")
    for other in ("notes.txt", "cut.otio.bak", "media/shot.mov", "aigate.yaml"):
        assert not pattern.search(other), other


# -- text a supervisor reads: each clip once, each fix once ------------------------------


def test_text_lists_linked_picture_and_sound_once_and_each_fix_once(tmp_path, cli):
    import opentimelineio as otio

    def linked(name: str) -> tuple[otio.schema.Clip, otio.schema.Clip]:
        declared = ai(purpose="temp", talent=[{"name": "Ray Holt", "use": "voice"}])
        return (clip(name, 2, declared, url=f"media/{name}.mov"),
                clip(name, 2, declared, url=f"media/{name}.mov"))
    v1, a1 = zip(*(linked(n) for n in ("SH1", "SH2", "SH3")), strict=True)
    cut = timeline(list(v1), list(a1))
    cut.tracks[1].kind = otio.schema.TrackKind.Audio
    cut.tracks[1].name = "A1"
    path = write(tmp_path / "cut.otio", cut)
    run = cli("check", path, "--stage", "review")
    clips = [x for x in run.out.splitlines() if x.startswith("  LOCK")]
    assert clips == ['  LOCK V1, A1 "SH1" 01:00:00:00-01:00:02:00',
                     '  LOCK V1, A1 "SH2" 01:00:02:00-01:00:04:00',
                     '  LOCK V1, A1 "SH3" 01:00:04:00-01:00:06:00']
    assert run.out.count("Record the talent's consent") == 1
    # the JSON report still lists every item: one per track
    items = cli("check", path, "--stage", "review", "--format", "json").json
    assert len(items["subjects"][0]["items"]) == 6


def test_register_fails_on_a_verdict_when_asked_and_is_quiet_when_asked(show, cli):
    base = ("register", show.cut, "--stage", "final", "--as-of", "2026-06-01")
    assert cli(*base).code == 0  # the register is written; its exit code is 0 by default
    assert cli(*base, "--fail-on", "lock").code == 1  # DEAGE is locked at final
    review = ("register", show.cut, "--stage", "edit", "--as-of", "2026-06-01")
    assert cli(*review, "--fail-on", "lock").code == 0
    assert cli(*review, "--fail-on", "warn").code == 1
    bad = write(show.root / "broken.otio", timeline([clip("X")]))
    bad.write_text("{not json")
    quiet = cli("register", show.root, "--stage", "final", "--as-of", "2026-06-01", "-q")
    assert quiet.code == 2
    assert [x for x in quiet.err.splitlines() if x] == [
        x for x in quiet.err.splitlines() if x.startswith("aigate: ") and "broken.otio" in x]
