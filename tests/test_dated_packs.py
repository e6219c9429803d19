"""Rules with dates: `effective`/`until` decide with --as-of whether a rule applies; the
dated packs eu-ai-act-art50 and sag-aftra-2026 over netflix-genai; the register's columns."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from helpers import ai, clip, timeline, write

EU_PACK = "aigate_policy: 1\nname: studio-eu\nextends: eu-ai-act-art50\nvetted_tools:\n" \
    "  - {name: Firefly, vendor: Adobe, enterprise: true}\n"
SAG_PACK = EU_PACK.replace("studio-eu", "studio-sag").replace("eu-ai-act-art50",
                                                              "sag-aftra-2026")


def _studio(root: Path, pack: str) -> Path:
    (root / "approvals").mkdir(parents=True, exist_ok=True)
    (root / "pack.yaml").write_text(pack)
    (root / "aigate.yaml").write_text("show: TESTSHOW\npolicy: pack.yaml\napprovals: approvals/\n")
    return root


def _deepfake_cut(root: Path, label: str | None = None) -> Path:
    fields = {"depicts_real_events": True}
    if label is not None:
        fields["disclosure_label"] = label
    return write(root / "cut.otio", timeline([clip("NEWS", aigate=ai(**fields)),
                                              clip("PLATE")]))


def test_deepfake_disclosure_applies_only_from_its_effective_date(cli, tmp_path: Path) -> None:
    cut = _deepfake_cut(_studio(tmp_path, EU_PACK))
    before = cli("check", cut, "--stage", "edit", "--format", "json", "--as-of", "2026-08-01")
    assert "deepfake-disclosure" not in before.findings("NEWS")
    after = cli("check", cut, "--stage", "edit", "--format", "json", "--as-of", "2026-08-02")
    assert after.findings("NEWS")["deepfake-disclosure"] == "warn"


def test_deepfake_without_label_locks_at_final_and_a_label_clears_it(cli,
                                                                     tmp_path: Path) -> None:
    root = _studio(tmp_path, EU_PACK)
    cut = _deepfake_cut(root)
    run = cli("check", cut, "--stage", "final", "--format", "json", "--as-of", "2026-09-01")
    assert run.code == 1 and run.findings("NEWS")["deepfake-disclosure"] == "lock"
    # a string in the clip's own metadata is untrusted: nobody sees it
    labelled = _deepfake_cut(root, "end credits: AI-generated newscast")
    run = cli("check", labelled, "--stage", "final", "--format", "json",
              "--as-of", "2026-09-01")
    assert run.findings("NEWS")["deepfake-disclosure"] == "lock"
    assert "untrusted" in run.out


def _with_cards(root: Path, cards: str) -> None:
    (root / "aigate.yaml").write_text(
        "show: TESTSHOW\npolicy: pack.yaml\napprovals: approvals/\n"
        f"plugin_settings:\n  aigate_guidance: {{disclosure_cards: {cards}}}\n")


def test_a_title_card_the_config_names_before_the_clip_is_the_disclosure(
        cli, tmp_path: Path) -> None:
    root = _studio(tmp_path, EU_PACK)
    _with_cards(root, "['AI_NOTICE*']")
    before = write(root / "before.otio", timeline([
        clip("AI_NOTICE_CARD"), clip("NEWS", aigate=ai(depicts_real_events=True))]))
    run = cli("check", before, "--stage", "final", "--format", "json", "--as-of", "2026-09-01")
    assert "deepfake-disclosure" not in run.findings("NEWS")
    # shown only after the clip (end credits): too late for the first exposure
    after = write(root / "after.otio", timeline([
        clip("NEWS", aigate=ai(depicts_real_events=True)), clip("AI_NOTICE_CARD")]))
    run = cli("check", after, "--stage", "final", "--format", "json", "--as-of", "2026-09-01")
    assert run.findings("NEWS")["deepfake-disclosure"] == "lock"
    # a card the config does not name is not one
    other = write(root / "other.otio", timeline([
        clip("DISCLAIMER"), clip("NEWS", aigate=ai(depicts_real_events=True))]))
    run = cli("check", other, "--stage", "final", "--format", "json", "--as-of", "2026-09-01")
    assert run.findings("NEWS")["deepfake-disclosure"] == "lock"


def test_a_bad_disclosure_cards_setting_is_one_line(cli, tmp_path: Path) -> None:
    root = _studio(tmp_path, EU_PACK)
    _with_cards(root, "[1, 2]")
    run = cli("check", _deepfake_cut(root), "--jobs", "1")
    assert run.code == 2 and "disclosure_cards" in run.out + run.err
    assert "Traceback" not in run.out + run.err


def test_likeness_counts_as_a_deepfake(cli, tmp_path: Path) -> None:
    cut = write(_studio(tmp_path, EU_PACK) / "cut.otio", timeline([clip("FACE", aigate=ai(
        talent=[{"name": "Ray Holt", "use": "likeness"}]))]))
    run = cli("check", cut, "--stage", "review", "--format", "json", "--as-of", "2026-09-01")
    assert run.findings("FACE")["deepfake-disclosure"] == "warn"


def _replica(root: Path, synthetic: bool = False) -> Path:
    fields: dict = {"talent": [{"name": "Ray Holt", "use": "digital_replica"}]}
    if synthetic:
        fields = {"synthetic_performer": True}
    return write(root / ("synth.otio" if synthetic else "cut.otio"),
                 timeline([clip("REPLICA" if not synthetic else "SYNTH", aigate=ai(**fields))]))


def _consent(root: Path, description: str | None) -> None:
    text = ("id: C-RH\nkind: consent\ntalent: Ray Holt\nuses: [digital_replica]\n"
            "production: TESTSHOW\n")
    if description is not None:
        text += f"description: {description}\n"
    (root / "approvals" / "c-rh.yaml").write_text(text)


def test_replica_consent_needs_a_description(cli, tmp_path: Path) -> None:
    root = _studio(tmp_path, SAG_PACK)
    cut = _replica(root)
    _consent(root, None)
    run = cli("check", cut, "--stage", "review", "--format", "json", "--as-of", "2026-07-15")
    findings = run.findings("REPLICA")
    assert findings["talent-consent"] == "info"  # the netflix consent holds
    assert findings["replica-consent-description"] == "lock"
    assert "consent 'C-RH' has no 'description' of the use" in run.out
    _consent(root, "de-aged replica in the ep101 flashback, scene 12, no dialogue changes")
    run = cli("check", cut, "--stage", "review", "--format", "json", "--as-of", "2026-07-15")
    assert run.findings("REPLICA")["replica-consent-description"] == "info"


@pytest.mark.parametrize(("as_of", "applies"), [("2026-06-30", False), ("2026-07-01", True),
                                                ("2030-06-30", True), ("2030-07-01", False)])
def test_sag_aftra_rules_apply_within_the_agreement_term(cli, tmp_path: Path, as_of: str,
                                                         applies: bool) -> None:
    cut = _replica(_studio(tmp_path, SAG_PACK), synthetic=True)
    run = cli("check", cut, "--stage", "final", "--format", "json", "--as-of", as_of)
    assert ("synthetic-performer" in run.findings("SYNTH")) is applies
    listed = cli("rules", "--policy", tmp_path / "pack.yaml", "--as-of", as_of).out
    line = next(x for x in listed.splitlines() if x.startswith("synthetic-performer"))
    assert ("not in force" in line) is not applies


def test_synthetic_performer_notice_is_an_approval(cli, tmp_path: Path) -> None:
    root = _studio(tmp_path, SAG_PACK)
    cut = _replica(root, synthetic=True)
    run = cli("check", cut, "--stage", "final", "--format", "json", "--as-of", "2026-09-01")
    assert run.code == 1 and run.findings("SYNTH")["synthetic-performer"] == "lock"
    (root / "approvals" / "notice.yaml").write_text(
        "id: N-1\ngrants: [synthetic-performer, final-deliverable-use]\n"
        "scope: {clips: [SYNTH]}\napprover: Dana Ruiz\n")
    run = cli("check", cut, "--stage", "final", "--format", "json", "--as-of", "2026-09-01")
    assert run.code == 0 and run.findings("SYNTH")["synthetic-performer"] == "info"


def test_register_lists_label_consent_description_and_synthetic_performer(
        cli, tmp_path: Path) -> None:
    root = _studio(tmp_path, SAG_PACK)
    _consent(root, "replica in the flashback")
    write(root / "cut.otio", timeline([
        clip("REPLICA", aigate=ai(talent=[{"name": "Ray Holt", "use": "digital_replica"}],
                                  disclosure_label="credits")),
        clip("SYNTH", aigate=ai(synthetic_performer=True))]))
    run = cli("register", root / "cut.otio", "--as-of", "2026-09-01", "--jobs", "1")
    rows = {r["clip"]: r for r in csv.DictReader(io.StringIO(run.out))}
    assert rows["REPLICA"]["disclosure_label"] == "credits"
    assert rows["REPLICA"]["consent_description"] == "Ray Holt: replica in the flashback"
    assert rows["REPLICA"]["synthetic_performer"] == "no"
    assert rows["SYNTH"]["synthetic_performer"] == "yes"


def test_explain_cites_each_dated_rule_source(cli) -> None:
    for rule, source, pack, start in (
            ("deepfake-disclosure", "Article 50(4)", "eu-ai-act-art50", "2026-08-02"),
            ("replica-consent-description", "2023 (ratified 2023-12-05)", "sag-aftra-2026",
             "2023-12-05"),
            ("synthetic-performer", "SAG-AFTRA", "sag-aftra-2026", "2026-07-01")):
        run = cli("explain", rule, "--policy", pack)
        assert run.code == 0
        assert source in run.out and "not legal advice" in run.out
        assert f"in force:    from {start}" in run.out


def test_the_deepfake_rule_cites_art_50_5_and_the_commissions_texts(cli) -> None:
    text = " ".join(cli("explain", "deepfake-disclosure", "--policy",
                        "eu-ai-act-art50").out.split())
    assert "Art. 3(60)" in text and "Art. 50(5)" in text and "first exposure" in text
    assert "not in the end credits alone" in text
    assert "Code of Practice on marking and labelling of AI-generated content" in text
    assert "guidelines on Article 50" in text


@pytest.mark.parametrize("fields", [
    {"talent": [{"name": "Ray Holt", "use": "performance_alteration"}]},
    {"depicts_real": ["places"]}, {"depicts_real": "objects"},
    {"depicts_real": ["persons"]}, {"depicts_real": ["events"]}])
def test_real_performances_places_and_objects_are_deep_fakes(cli, tmp_path: Path,
                                                             fields: dict) -> None:
    root = _studio(tmp_path, EU_PACK)
    cut = write(root / "cut.otio", timeline([clip("ALTERED", aigate=ai(**fields))]))
    run = cli("check", cut, "--stage", "final", "--format", "json", "--as-of", "2026-09-01")
    assert run.findings("ALTERED")["deepfake-disclosure"] == "lock"


def test_a_depiction_of_nothing_real_is_no_deep_fake(cli, tmp_path: Path) -> None:
    root = _studio(tmp_path, EU_PACK)
    cut = write(root / "cut.otio", timeline([
        clip("DRAGON", aigate=ai(depicts_real=["dragons"]))]))
    run = cli("check", cut, "--stage", "final", "--format", "json", "--as-of", "2026-09-01")
    assert "deepfake-disclosure" not in run.findings("DRAGON")


@pytest.mark.parametrize(("as_of", "applies"), [("2023-12-04", False), ("2023-12-05", True),
                                                ("2025-03-01", True)])
def test_replica_consent_description_applies_since_the_2023_agreement(
        cli, tmp_path: Path, as_of: str, applies: bool) -> None:
    root = _studio(tmp_path, SAG_PACK)
    cut = _replica(root)
    _consent(root, None)
    run = cli("check", cut, "--stage", "review", "--format", "json", "--as-of", as_of)
    assert ("replica-consent-description" in run.findings("REPLICA")) is applies


@pytest.mark.parametrize(("setting", "message"), [
    ("effective: someday", "'someday' is not a date"),
    ("effective: 2026-08-02\n    until: 2026-01-01", "'until' 2026-01-01 is before"),
])
def test_bad_dates_in_a_pack_are_one_line(cli, tmp_path: Path, setting: str,
                                          message: str) -> None:
    pack = EU_PACK + f"rules:\n  deepfake-disclosure:\n    {setting}\n"
    cut = _deepfake_cut(_studio(tmp_path, pack))
    run = cli("check", cut, "--jobs", "1")
    assert run.code == 2 and message in run.out and "pack.yaml" in run.out
    assert "Traceback" not in run.out + run.err


def test_a_rule_no_parent_configures_can_be_switched_off(cli, tmp_path: Path) -> None:
    pack = EU_PACK.replace("eu-ai-act-art50", "netflix-genai") + \
        "rules:\n  synthetic-performer: {enabled: false}\n"
    cut = _replica(_studio(tmp_path, pack), synthetic=True)
    run = cli("check", cut, "--stage", "edit", "--format", "json", "--as-of", "2026-09-01")
    assert run.code == 0 and "synthetic-performer" not in run.findings("SYNTH")
    pack = pack.replace("{enabled: false}", "{enabled: true}")
    (tmp_path / "pack.yaml").write_text(pack)
    run = cli("check", cut, "--jobs", "1")
    assert run.code == 2 and "no severity for stage(s)" in run.out
