"""Attestations that verify outside the studio and say when they were made: files named
relative to the show root (verified at another path with the same files), built-in packs by
name, version and hash, DSSE's keyid only a hint and either base64 alphabet accepted, the
signing time recorded and shown, the keygen snippet accepted as printed; a past --as-of
never signs a pass today's rules would lock unless --backdate, which the record shows; and
a timeline swapped in while it is checked is refused."""

from __future__ import annotations

import base64
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

import mediakit
from helpers import ROOT, ai, clip, timeline, write

CUTS = ("ep101_cut_v12.otio", "ep102_picture_v3.otio")


@pytest.fixture
def show(tmp_path: Path, cli) -> Path:
    target = tmp_path / "site-a" / "show"
    shutil.copytree(ROOT / "sample_timelines", target)
    assert cli("approvals", "keygen", "conform", "--out", tmp_path / "keys").code == 0
    return target


def _attest(cli, show: Path, out: Path, *extra: str | Path):
    return cli("attest", *(show / c for c in CUTS), "--stage", "final", "--allow-lock",
               "--key", out.parent / "keys" / "conform.key", "--output", out, *extra)


def _verify(cli, envelope: Path, *extra: str | Path):
    return cli("attest", "verify", envelope, "--trusted-keys",
               envelope.parent / "keys" / "conform.pub", "--accept-lock", *extra)


def test_an_attestation_verifies_at_another_path_with_the_same_files(
        cli, show: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    envelope = tmp_path / "cut.intoto.json"
    assert _attest(cli, show, envelope).code == 0
    # another machine: the same files under another path; the original is gone
    moved = tmp_path / "site-b" / "projects" / "show"
    shutil.copytree(show, moved)
    shutil.rmtree(tmp_path / "site-a")
    run = _verify(cli, envelope, "--root", moved, "--media")
    assert run.code == 0, run.out
    assert " 0 changed" in run.out and "CHANGED" not in run.out
    monkeypatch.chdir(moved / "approvals")  # the show's aigate.yaml above: its root
    assert _verify(cli, envelope, "--media").code == 0
    # and a real change there is still named, by its path in the show
    (moved / "ledger.yaml").write_text((moved / "ledger.yaml").read_text() + "\n# edit\n")
    changed = _verify(cli, envelope, "--root", moved)
    assert changed.code == 1 and "CHANGED ledger" in changed.out


def test_the_statement_names_no_absolute_path_and_built_in_packs_by_hash(
        cli, show: Path, tmp_path: Path) -> None:
    envelope = tmp_path / "cut.intoto.json"
    assert _attest(cli, show, envelope).code == 0
    statement = json.loads(base64.b64decode(json.loads(envelope.read_text())["payload"]))
    predicate = statement["predicate"]
    named = json.dumps({**statement, "predicate": {k: v for k, v in predicate.items()
                                                   if k != "root"}})
    assert str(tmp_path) not in named
    (builtin,) = [f for f in predicate["policy"]["files"] if f.get("builtin")]
    assert builtin["builtin"] == "netflix-genai" and builtin["version"]
    assert len(builtin["sha256"]) == 64 and builtin["path"] is None


def test_a_changed_built_in_pack_is_named(cli, show: Path, tmp_path: Path) -> None:
    envelope = tmp_path / "cut.intoto.json"
    assert _attest(cli, show, envelope).code == 0
    data = json.loads(envelope.read_text())
    statement = json.loads(base64.b64decode(data["payload"]))
    # what a record attested with another aigate's pack looks like (re-signed: the key is
    # trusted; only the pack's hash differs from this installation's)
    for entry in statement["predicate"]["policy"]["files"]:
        if entry.get("builtin"):
            entry["sha256"] = "0" * 64
    forged = tmp_path / "other.intoto.json"
    forged.write_text(json.dumps(_resign(statement, tmp_path / "keys" / "conform.key")))
    run = _verify(cli, forged)
    assert run.code == 1 and "CHANGED pack built-in netflix-genai: differs here" in run.out


def _resign(statement: dict, key_path: Path) -> dict:
    from aigate.output.attest import envelope
    from aigate.trust.signing import load_private_key

    return envelope(statement, load_private_key(key_path)[0])


def test_the_keyid_is_only_a_hint_and_either_base64_alphabet_verifies(
        cli, show: Path, tmp_path: Path) -> None:
    envelope = tmp_path / "cut.intoto.json"
    assert _attest(cli, show, envelope).code == 0
    data = json.loads(envelope.read_text())
    signature = data["signatures"][0]
    signature["keyid"] = "some-kms-key-name"  # not our fingerprint: a hint that misses
    for field_of, key in ((data, "payload"), (signature, "sig")):
        raw = base64.b64decode(field_of[key])
        field_of[key] = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert "=" not in data["payload"]
    edited = tmp_path / "urlsafe.intoto.json"
    edited.write_text(json.dumps(data))
    run = _verify(cli, edited)
    assert run.code == 0, run.out
    assert "signature ok" in run.out
    # a key that is not trusted still does not verify, whatever the hint says
    assert cli("approvals", "keygen", "other", "--out", tmp_path / "other").code == 0
    untrusted = cli("attest", "verify", edited, "--trusted-keys",
                    tmp_path / "other" / "other.pub", "--accept-lock")
    assert untrusted.code == 1 and "NOT VERIFIED" in untrusted.out


def test_the_signing_time_is_recorded_and_shown(cli, show: Path, tmp_path: Path) -> None:
    envelope = tmp_path / "cut.intoto.json"
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    run = _attest(cli, show, envelope)
    after = dt.datetime.now(dt.UTC)
    assert run.code == 0 and "signed at 20" in run.out
    statement = json.loads(base64.b64decode(json.loads(envelope.read_text())["payload"]))
    signed = dt.datetime.fromisoformat(statement["predicate"]["signed_at"])
    assert before <= signed <= after and signed.tzinfo is not None
    shown = _verify(cli, envelope)
    assert f"signed at {statement['predicate']['signed_at']}" in shown.out


def test_the_snippet_keygen_prints_is_accepted_by_verify_config(cli, show: Path,
                                                                 tmp_path: Path) -> None:
    run = cli("approvals", "keygen", "legal", "--out", tmp_path / "signing")
    lines = run.out.splitlines()
    start = lines.index("attestation_keys:")
    config = tmp_path / "verify.yaml"
    config.write_text("\n".join(lines[start:start + 2]) + "\n")  # pasted as printed
    envelope = tmp_path / "legal.intoto.json"
    assert cli("attest", *(show / c for c in CUTS), "--stage", "final", "--allow-lock",
               "--key", tmp_path / "signing" / "legal.key", "--output", envelope).code == 0
    verified = cli("attest", "verify", envelope, "--config", config, "--accept-lock",
                   "--root", show)
    assert verified.code == 0, verified.out + verified.err
    assert "signature ok" in verified.out and "legal" in verified.out


EU_PACK = "aigate_policy: 1\nname: studio-eu\nextends: eu-ai-act-art50\nvetted_tools:\n" \
    "  - {name: Firefly, vendor: Adobe, enterprise: true}\n"


def _eu_show(root: Path, cli) -> Path:
    (root / "approvals").mkdir(parents=True)
    (root / "pack.yaml").write_text(EU_PACK)
    (root / "aigate.yaml").write_text("show: TESTSHOW\npolicy: pack.yaml\napprovals: approvals/\n")
    (root / "approvals" / "a1.yaml").write_text(
        "id: APR-1\ngrants: [final-deliverable-use, real-events]\nscope: {clips: [NEWS]}\n"
        "approver: Dana Ruiz\n")
    for name in ("NEWS", "PLATE"):
        mediakit.video(root / "media" / f"{name}.mp4")
    assert cli("approvals", "keygen", "conform", "--out", root.parent / "keys").code == 0
    # an approved deepfake of a real event, unlabelled: no rule against it before
    # 2026-08-02 (EU AI Act Art. 50), a lock at final since
    return write(root / "cut.otio", timeline([
        clip("NEWS", aigate=ai(depicts_real_events=True), url="media/NEWS.mp4"),
        clip("PLATE", url="media/PLATE.mp4")]))


def test_a_past_as_of_never_signs_a_pass_todays_rules_would_lock(cli, tmp_path: Path) -> None:
    cut = _eu_show(tmp_path / "show", cli)
    out = tmp_path / "cut.intoto.json"
    key = tmp_path / "keys" / "conform.key"
    if dt.date.today() < dt.date(2026, 8, 2):
        pytest.skip("the rule is not yet in force today")
    run = cli("attest", cut, "--stage", "final", "--as-of", "2026-08-01", "--key", key,
              "--output", out)
    assert run.code == 1 and not out.exists()
    assert "deepfake-disclosure" in run.err and "--backdate" in run.err
    backdated = cli("attest", cut, "--stage", "final", "--as-of", "2026-08-01", "--key", key,
                    "--output", out, "--backdate")
    assert backdated.code == 0, backdated.err
    assert "BACKDATED to 2026-08-01" in backdated.out
    statement = json.loads(base64.b64decode(json.loads(out.read_text())["payload"]))
    assert statement["predicate"]["backdated"]["as_of"] == "2026-08-01"
    assert "deepfake-disclosure" in statement["predicate"]["backdated"]["rules_that_differ"]
    shown = cli("attest", "verify", out, "--trusted-keys", tmp_path / "keys" / "conform.pub")
    assert "BACKDATED: checked as of 2026-08-01" in shown.out
    assert "deepfake-disclosure" in shown.out


def test_a_past_as_of_that_today_also_passes_is_signed_as_usual(cli, tmp_path: Path) -> None:
    root = tmp_path / "show"
    cut = _eu_show(root, cli)
    labelled = write(root / "plain.otio", timeline([clip("PLATE", url="media/PLATE.mp4")]))
    out = tmp_path / "cut.intoto.json"
    run = cli("attest", labelled, "--stage", "final", "--as-of", "2026-08-01", "--key",
              tmp_path / "keys" / "conform.key", "--output", out)
    assert run.code == 0, run.err
    assert json.loads(base64.b64decode(json.loads(out.read_text())["payload"]))[
        "predicate"]["backdated"] is None
    assert cut.exists()


def test_a_timeline_swapped_in_while_it_is_checked_is_refused(
        cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "show"
    locked = _eu_show(root, cli)  # the cut the deliverable really is: locked at final
    clean = write(tmp_path / "clean.otio", timeline([clip("PLATE")]))
    from aigate.run import session as session_module

    real = session_module.load_subject

    def swapped(plugins, path, *args):  # the gate reads the clean cut; the locked one back
        aside = path.with_name("aside.otio")
        path.rename(aside)
        shutil.copyfile(clean, path)
        try:
            return real(plugins, path, *args)
        finally:
            aside.replace(path)

    monkeypatch.setattr(session_module, "load_subject", swapped)
    out = tmp_path / "cut.intoto.json"
    run = cli("attest", locked, "--stage", "final", "--key", tmp_path / "keys" / "conform.key",
              "--output", out)
    assert run.code != 0 and not out.exists()
    assert "changed or replaced while it was checked" in run.err


def test_credentials_as_of_a_past_date_never_sign_what_today_locks(cli,
                                                                   tmp_path: Path) -> None:
    if dt.date.today() < dt.date(2026, 8, 2):
        pytest.skip("the rule is not yet in force today")
    cut = _eu_show(tmp_path / "show", cli)
    signing = mediakit.signing_kit("studio")
    (tmp_path / "chain.pem").write_bytes(signing.chain_pem)
    (tmp_path / "leaf.key").write_bytes(signing.key_pem)
    render = mediakit.video(tmp_path / "render.mp4")
    run = cli("credentials", render, "--from", cut, "--cert", tmp_path / "chain.pem",
              "--key", tmp_path / "leaf.key", "--as-of", "2026-08-01")
    assert run.code == 1 and "deepfake-disclosure" in run.err
    assert not (tmp_path / "render.c2pa.mp4").exists()
