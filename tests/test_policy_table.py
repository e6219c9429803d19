"""The built-in pack's default severities, row by row, on real .otio files (issue 2's table)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigate.model import STAGES
from helpers import ai, clip, timeline, write


def verdicts_at(cli, path: Path, clip_name: str) -> dict[str, tuple[str, dict[str, str]]]:
    out = {}
    for stage in STAGES:
        run = cli("check", path, "--stage", stage, "--format", "json")
        assert run.code in (0, 1), run.err
        out[stage] = (run.verdicts()[clip_name], run.findings(clip_name))
    return out


def one_clip(studio: Path, metadata: dict, name: str = "SH010") -> Path:
    return write(studio / "cut.otio", timeline([clip("CAM_A001", 2), clip(name, 2, metadata)]))


def test_vetted_tool_no_other_concern_is_warn_until_final_lock(cli, studio):
    result = verdicts_at(cli, one_clip(studio, ai(role="background")), "SH010")
    assert [result[s][0] for s in STAGES] == ["warn", "warn", "warn", "lock"]
    assert result["final"][1] == {"final-deliverable-use": "lock"}


def test_written_approval_for_final_use_waives_the_lock_and_stays_visible(cli, studio):
    (studio / "approvals" / "apr.yaml").write_text(
        "id: APR-1\ngrants: [final-deliverable-use]\nscope: {clips: [SH010]}\n"
        "approver: {name: Dana Ruiz, role: Legal}\nissued: 2026-01-01\n")
    path = one_clip(studio, ai(approvals=["APR-1"]))
    run = cli("check", path, "--stage", "final", "--format", "json")
    assert run.code == 0
    item = next(i for i in run.json["subjects"][0]["items"] if i["clip"] == "SH010")
    assert item["verdict"] == "info"
    [finding] = item["findings"]
    assert finding["approval"] == "APR-1" and finding["waived_from"] == "lock"
    assert "Dana Ruiz" in finding["approver"]
    text = cli("check", path, "--stage", "final")
    assert "1 clip approved (waived), 1 finding waived" in text.out


def test_made_up_approval_id_is_not_honoured_and_the_finding_says_so(cli, studio):
    path = one_clip(studio, ai(approvals=["APR-FORGED"]))
    run = cli("check", path, "--stage", "final", "--format", "json")
    assert run.code == 1
    item = next(i for i in run.json["subjects"][0]["items"] if i["clip"] == "SH010")
    [finding] = item["findings"]
    assert finding["severity"] == "lock"
    assert "APR-FORGED" in finding["message"] and "not honoured" in finding["message"]


def test_approval_whose_scope_does_not_cover_the_clip_is_not_honoured(cli, studio):
    (studio / "approvals" / "apr.yaml").write_text(
        "id: APR-2\ngrants: [final-deliverable-use]\nscope: {clips: [OTHER_*]}\n"
        "approver: Legal\n")
    run = cli("check", one_clip(studio, ai(approvals=["APR-2"])), "--stage", "final",
              "--format", "json")
    assert run.verdicts()["SH010"] == "lock"
    [finding] = [f for f in next(i for i in run.json["subjects"][0]["items"]
                                 if i["clip"] == "SH010")["findings"] if f["severity"] == "lock"]
    assert "APR-2" in finding["message"] and "does not cover this clip" in finding["message"]


@pytest.mark.parametrize("tool", [None, {"name": "DreamForge"}, {"name": "LeakyGen"}],
                         ids=["tool-missing", "not-vetted", "trains-on-inputs"])
def test_tool_missing_unvetted_or_training_is_warn_then_lock_from_review(cli, studio, tool):
    metadata = ai()
    if tool is None:
        del metadata["tool"]
    else:
        metadata["tool"] = tool
    result = verdicts_at(cli, one_clip(studio, metadata), "SH010")
    rule = "tool-data-use" if tool and tool["name"] == "LeakyGen" else "tool-unvetted"
    assert [result[s][1][rule] for s in STAGES] == ["warn", "warn", "lock", "lock"]
    assert [result[s][0] for s in STAGES] == ["warn", "warn", "lock", "lock"]


def test_tool_rule_cannot_be_waived_by_an_approval(cli, studio):
    (studio / "approvals" / "apr.yaml").write_text(
        "id: APR-3\ngrants: [tool-unvetted, final-deliverable-use]\nscope: {clips: [SH010]}\n"
        "approver: Legal\n")
    run = cli("check", one_clip(studio, ai(tool={"name": "DreamForge"})), "--stage", "final",
              "--format", "json")
    assert run.findings("SH010") == {"final-deliverable-use": "info", "tool-unvetted": "lock"}


@pytest.mark.parametrize("concern,rule", [
    ({"role": "key_character"}, "key-creative-element"),
    ({"role": "key_visual"}, "key-creative-element"),
    ({"role": "setting"}, "key-creative-element"),
    ({"inputs": ["proprietary"]}, "proprietary-data-input"),
    ({"inputs": ["personal_data"]}, "personal-data-input"),
    ({"inputs": ["copyrighted_reference"]}, "copyrighted-reference"),
    ({"inputs": ["public_figure"]}, "public-figure-reference"),
    ({"inputs": ["deceased_person"]}, "public-figure-reference"),
    ({"inputs": ["third_party_training"]}, "third-party-training"),
])
def test_concerns_needing_written_approval(cli, studio, concern, rule):
    path = one_clip(studio, ai(purpose="temp", **concern))
    result = verdicts_at(cli, path, "SH010")
    assert [result[s][1][rule] for s in STAGES] == ["warn", "warn", "lock", "lock"]
    assert [result[s][0] for s in STAGES] == ["warn", "warn", "lock", "lock"]
    # ... unless approved: a record granting the rule's category covers the clip
    category = {"key-creative-element": "creative", "copyrighted-reference": "rights",
                "public-figure-reference": "rights"}.get(rule, "data")
    (studio / "approvals" / "apr.yaml").write_text(
        f"id: APR-X\ngrants: [{category}]\nscope: {{clips: [SH010]}}\napprover: Legal\n")
    approved = verdicts_at(cli, path, "SH010")
    assert approved["review"][1][rule] == "info"
    assert approved["review"][0] == "warn"  # still generated material in the cut


def test_talent_without_consent_is_locked_at_every_stage(cli, studio):
    path = one_clip(studio, ai(purpose="temp",
                               talent=[{"name": "Ray Holt", "use": "likeness"}]))
    result = verdicts_at(cli, path, "SH010")
    assert [result[s][0] for s in STAGES] == ["lock"] * 4
    assert all(result[s][1]["talent-consent"] == "lock" for s in STAGES)


def test_consent_covering_talent_use_and_production_resolves_the_talent_lock(cli, studio):
    (studio / "approvals" / "consent.yaml").write_text(
        "id: CONSENT-RH\nkind: consent\ntalent: Ray Holt\nuses: [likeness]\n"
        "production: TESTSHOW\n")
    path = one_clip(studio, ai(purpose="temp",
                               talent=[{"name": "Ray Holt", "use": "likeness"}]))
    assert verdicts_at(cli, path, "SH010")["edit"][1]["talent-consent"] == "info"
    # consent for another production does not count, and the finding says why
    (studio / "approvals" / "consent.yaml").write_text(
        "id: CONSENT-RH\nkind: consent\ntalent: Ray Holt\nuses: [likeness]\n"
        "production: OTHER SHOW\n")
    run = cli("check", path, "--stage", "edit", "--format", "json")
    assert run.findings("SH010")["talent-consent"] == "lock"
    assert "covers production 'OTHER SHOW'" in run.out


def test_real_events_locked_at_every_stage_unless_approved(cli, studio):
    path = one_clip(studio, ai(purpose="temp", depicts_real_events=True))
    result = verdicts_at(cli, path, "SH010")
    assert [result[s][0] for s in STAGES] == ["lock"] * 4
    (studio / "approvals" / "apr.yaml").write_text(
        "id: APR-RE\ngrants: [real-events]\nscope: {clips: [SH010]}\napprover: Legal\n")
    approved = verdicts_at(cli, path, "SH010")
    assert [approved[s][0] for s in STAGES] == ["warn", "warn", "warn", "lock"]


def test_disclosure_incomplete_is_warn_at_every_stage(cli, studio):
    metadata = ai()
    del metadata["purpose"]
    result = verdicts_at(cli, one_clip(studio, metadata), "SH010")
    assert [result[s][1]["disclosure-incomplete"] for s in STAGES] == ["warn"] * 4


@pytest.mark.parametrize("metadata", [
    None,
    {"v": 1, "generated": False},
    {"v": 1, "generated": False,
     "digital_source_type": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"},
], ids=["no-claim", "generated-false", "non-genai-source-type"])
def test_not_ai_passes_at_every_stage(cli, studio, metadata):
    result = verdicts_at(cli, one_clip(studio, metadata), "SH010")
    assert [result[s][0] for s in STAGES] == ["pass"] * 4


def test_genai_source_type_alone_marks_ai_and_https_is_normalised(cli, studio):
    metadata = {"digital_source_type":
                "https://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
                "tool": {"name": "Firefly", "vendor": "Adobe"}, "purpose": "final"}
    run = cli("check", one_clip(studio, metadata), "--stage", "final", "--format", "json")
    item = run.json["subjects"][0]["items"][1]
    assert item["ai"] is True and item["verdict"] == "lock"


def test_verdict_is_the_worst_finding(cli, studio):
    path = one_clip(studio, ai(role="key_character", depicts_real_events=True))
    run = cli("check", path, "--stage", "edit", "--format", "json")
    findings = run.findings("SH010")
    assert findings["key-creative-element"] == "warn" and findings["real-events"] == "lock"
    assert run.verdicts()["SH010"] == "lock"
