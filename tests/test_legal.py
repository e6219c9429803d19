"""What production legal signs off (issue 27): a register that says who approved, when and
on what terms, the consents on file, when the check ran and under which policy; approvals
listed with their status and drafted from findings; one run for every report."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from helpers import ai, clip, run_process, timeline, write

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
