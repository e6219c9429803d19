"""A policy setting a rule to info is not an approval: every report, marker and legend
tells "AI, approved" (a record waived a finding) from "AI, allowed by policy"; a consent
waiver says so; an export refused says what is locked and what to do, first."""

from __future__ import annotations

import opentimelineio as otio
import pytest

from aigate_otio.files import without_aigate_hooks
from helpers import mixed_cut


def test_text_and_json_tell_approved_from_allowed(cli, tmp_path):
    path = mixed_cut(tmp_path)
    text = cli("check", path, "--stage", "edit")
    assert text.code == 1
    lines = text.out.splitlines()
    assert any('"APPROVED"' in x and x.endswith("(AI, approved)") for x in lines)
    assert any('"ALLOWED"' in x and x.endswith("(AI, allowed by policy)") for x in lines)
    assert lines[-1].endswith(
        "5 clips, 4 AI, 1 clip locked, 1 clip warned, 1 clip approved (waived), "
        "1 clip allowed by policy, 1 finding waived")  # every clip's media is there
    summary = cli("check", path, "--stage", "edit", "--format", "json").json["summary"]
    assert {k: summary[k] for k in ("lock", "warn", "approved", "allowed", "waived")} == {
        "lock": 1, "warn": 1, "approved": 1, "allowed": 1, "waived": 1}


@pytest.mark.parametrize("suffix", ["otio", "edl"])
def test_markers_tell_approved_from_allowed(cli, tmp_path, suffix):
    out = tmp_path / f"annotated.{suffix}"
    run = cli("annotate", mixed_cut(tmp_path), out, "--stage", "edit")
    assert run.code == 1, run.err
    with without_aigate_hooks():
        annotated = otio.adapters.read_from_file(str(out))
    marks = {c.name: [(m.name.upper(), m.color) for m in c.markers]
             for c in annotated.find_clips()}
    assert marks["APPROVED"] == [("AIGATE APPROVED REAL-EVENTS", "GREEN")]
    assert marks["ALLOWED"] == [("AIGATE ALLOWED FINAL-DELIVERABLE-USE", "CYAN")]
    if suffix == "edl":
        text = out.read_text()
        assert "* AIGATE APPROVED real-events (waived by APR-RE):" in text
        assert "* AIGATE ALLOWED final-deliverable-use:" in text


def test_a_consent_waiver_says_it_is_waived_by_the_consent(cli, tmp_path):
    path = mixed_cut(tmp_path)
    (tmp_path / "approvals" / "consent.yaml").write_text(
        "id: CONSENT-RH\nkind: consent\ntalent: Ray Holt\nuses: [likeness]\n"
        "production: TESTSHOW\n")
    run = cli("check", path, "--stage", "edit", "--format", "json")
    [finding] = [f for s in run.json["subjects"] for i in s["items"] if i["clip"] == "LOCKED"
                 for f in i["findings"] if f["rule"] == "talent-consent"]
    assert (finding["severity"], finding["waived_from"]) == ("info", "lock")
    assert finding["message"].endswith(
        "Ray Holt (likeness): waived by consent CONSENT-RH on file for this production")
    assert "no documented consent" not in finding["message"]
    text = cli("check", path, "--stage", "edit").out
    assert "has no documented consent" not in text and "waived by consent CONSENT-RH" in text


def test_a_refused_export_says_what_is_locked_where_and_what_to_do_first(tmp_path):
    from aigate import GateLocked

    path = mixed_cut(tmp_path)
    with without_aigate_hooks():
        cut = otio.adapters.read_from_file(str(path))
    out = tmp_path / "deliverables" / "cut_FINAL.otio"
    out.parent.mkdir()
    with pytest.raises(GateLocked) as refused:
        # read with aigate's hooks off, so the write names where the cut came from
        otio.adapters.write_to_file(cut, str(out), hook_function_argument_map={
            "aigate_stage": "final", "aigate_origin": str(path)})
    assert not out.exists()
    first, *details = str(refused.value).splitlines()
    assert first == ('aigate: export refused at stage final: 1 locked clip(s) in "cut"; '
                     "fix or get them approved, then export again (details below)")
    assert details[0] == "locked:"
    assert details[1].startswith('  cut: V1 "LOCKED" 01:00:02:00-01:00:04:00 (')
    assert "talent-consent" in details[1]
    todo = details[details.index("what to do:") + 1:]
    assert ("  talent-consent: Record the talent's consent for this use and production in "
            "the approvals registry.") in todo
