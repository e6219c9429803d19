"""The branches of the approvals, signatures and media checks an attacker aims at, each built
and shown to hold (issue 12): a record for another show or episode, another asset or media
path, consents that do not fit, malformed registries and keys, forged signature blocks,
media that escapes the media roots by symlink or ``../``."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from helpers import ai, clip, movie_bytes, timeline, write

APPROVAL = """\
id: APR-1
grants: [final-deliverable-use]
scope: {scope}
approver: {{name: Dana Ruiz, role: Production Legal}}
issued: 2026-01-01
expires: 2026-12-31
"""
CONSENT = """\
id: CON-1
kind: consent
talent: {talent}
uses: [{use}]
production: {production}
issued: 2026-01-01
expires: 2026-12-31
"""
PACK = ("extends: netflix-genai\nvetted_tools: [{name: Firefly, vendor: Adobe, "
        "enterprise: true}]\n")


class Show:
    """A production (show TESTSHOW, episode 101) with an unsigned-records policy, a registry
    and a cut whose AI clip SH1 (media media/SH1.mov, asset ASSET-7 by the studio ledger:
    an asset id the clip only claims is no identity) names APR-1."""

    def __init__(self, root: Path, cli, config: str = "show: TESTSHOW\nepisode: '101'\n",
                 **clip_fields: object) -> None:
        self.root, self.cli = root, cli
        (root / "approvals").mkdir()
        (root / "media").mkdir()
        (root / "media" / "SH1.mov").write_bytes(movie_bytes(b"approved pixels"))
        (root / "pack.yaml").write_text(PACK)
        (root / "ledger.yaml").write_text(
            "aigate_ledger: 1\nassets:\n  - {asset_id: ASSET-7, media: '**/SH1.mov'}\n")
        (root / "aigate.yaml").write_text(config + "policy: pack.yaml\napprovals: approvals/\n"
                                          "ledger: ledger.yaml\n")
        fields = {"approvals": ["APR-1"], "asset_id": "ASSET-7", **clip_fields}
        self.cut = write(root / "cut.otio", timeline([
            clip("CAM1"), clip("SH1", 2, ai(**fields), url="media/SH1.mov")]))

    def record(self, name: str, text: str) -> Path:
        path = self.root / "approvals" / f"{name}.yaml"
        path.write_text(text)
        return path

    def check(self, *args: str):
        return self.cli("check", self.cut, "--stage", "final", "--format", "json",
                        "--as-of", "2026-06-01", *args)

    def sh1(self) -> dict:
        run = self.check()
        return next(i for i in run.json["subjects"][0]["items"] if i["clip"] == "SH1")


def lock_messages(item: dict) -> list[str]:
    return [f["message"] for f in item["findings"] if f["severity"] == "lock"]


# approval scopes: show, episode, asset id, media path


@pytest.mark.parametrize("scope, reason", [
    ("{clips: [SH1], show: OTHERSHOW}", "approval 'APR-1' is for show 'OTHERSHOW', not "
                                        "'TESTSHOW'"),
    ("{clips: [SH1], episodes: ['102', '103']}", "approval 'APR-1' is for episode(s) 102, "
                                                 "103, not '101'"),
    ("{asset_ids: [ASSET-9], clips: [SH1]}", "approval 'APR-1' covers other assets, not "
                                             "'ASSET-7'"),
    ("{media: ['other/*.mov'], clips: [SH1]}", "approval 'APR-1' covers other media paths"),
], ids=["another-show", "another-episode", "another-asset", "another-media-path"])
def test_an_approval_scoped_elsewhere_waives_nothing_and_says_why(tmp_path, cli, scope,
                                                                   reason):
    show = Show(tmp_path, cli)
    show.record("APR-1", APPROVAL.format(scope=scope))
    item = show.sh1()
    assert item["verdict"] == "lock"
    assert any(reason in message for message in lock_messages(item)), lock_messages(item)


def test_the_same_approval_scoped_here_does_waive(tmp_path, cli):
    """The control for the cases above: only the scope differs."""
    show = Show(tmp_path, cli)
    show.record("APR-1", APPROVAL.format(
        scope="{asset_ids: [ASSET-7], show: TESTSHOW, episodes: ['101']}"))
    item = show.sh1()
    assert item["verdict"] == "info"
    assert [f["approval"] for f in item["findings"] if f["waived_from"]] == ["APR-1"]


# talent consents


TALENT = {"approvals": [], "purpose": "final",
          "talent": [{"name": "Ray Holt", "use": "likeness"}]}


@pytest.mark.parametrize("talent, use, production, reason", [
    ("Jo Park", "likeness", "TESTSHOW", None),
    ("Ray Holt", "voice", "TESTSHOW", "consent 'CON-1' does not cover use 'likeness'"),
    ("Ray Holt", "likeness", "OTHERSHOW", "consent 'CON-1' covers production 'OTHERSHOW', "
                                          "not 'TESTSHOW'"),
], ids=["another-talent", "another-use", "another-production"])
def test_a_consent_that_does_not_fit_is_named_with_the_reason(tmp_path, cli, talent, use,
                                                              production, reason):
    show = Show(tmp_path, cli, **TALENT)
    show.record("CON-1", CONSENT.format(talent=talent, use=use, production=production))
    consent = [f for f in show.sh1()["findings"] if f["rule"] == "talent-consent"]
    assert [f["severity"] for f in consent] == ["lock"]
    if reason:
        assert reason in consent[0]["message"]
    else:  # a consent for someone else is not this talent's consent
        assert "CON-1" not in consent[0]["message"]


def test_a_consent_named_in_the_timeline_but_absent_is_not_honoured(tmp_path, cli):
    show = Show(tmp_path, cli, **{**TALENT, "talent": [
        {"name": "Ray Holt", "use": "likeness", "consent": "CON-404"}]})
    [consent] = [f for f in show.sh1()["findings"] if f["rule"] == "talent-consent"]
    assert consent["severity"] == "lock"
    assert "consent 'CON-404' named in the timeline is not in the approvals registry" in \
        consent["message"]


def test_without_a_show_no_consent_applies(tmp_path, cli):
    show = Show(tmp_path, cli, config="", **TALENT)
    show.record("CON-1", CONSENT.format(talent="Ray Holt", use="likeness",
                                        production="TESTSHOW"))
    [consent] = [f for f in show.sh1()["findings"] if f["rule"] == "talent-consent"]
    assert consent["severity"] == "lock"
    assert "no production is configured ('show' in aigate.yaml)" in consent["message"]


def test_a_fitting_consent_lifts_the_talent_finding(tmp_path, cli):
    """The control for the consent cases: talent, use and production all fit."""
    show = Show(tmp_path, cli, **TALENT)
    show.record("CON-1", CONSENT.format(talent="Ray Holt", use="likeness",
                                        production="TESTSHOW"))
    consent = [f for f in show.sh1()["findings"] if f["rule"] == "talent-consent"]
    assert all(f["severity"] != "lock" for f in consent)


# registry schema errors: one line naming file, line and key; nothing is checked


@pytest.mark.parametrize("text, message", [
    ("grants: [x]\nscope: {clips: [SH1]}\napprover: Dana\n", ":1: a record needs an 'id'"),
    ("id: A\ngrants: [x]\nscope: {clips: [SH1]}\napprover: Dana\nsigned_by: me\n",
     ":5: unknown key 'signed_by'"),
    ("id: A\ngrants: [x]\napprover: Dana\n", ":1: approval 'A' has no 'scope'"),
    ("id: A\ngrants: []\nscope: {clips: [SH1]}\napprover: Dana\n", ":1: approval 'A' grants "
     "nothing"),
    ("id: A\ngrants: [x]\nscope: {clips: [SH1]}\napprover: Dana\nexpires: soon\n",
     ":5: expires: 'soon' is not a date (YYYY-MM-DD)"),
    ("id: A\ngrants: [x]\nscope: {clips: [SH1], everything: true}\napprover: Dana\n",
     ":3: unknown key 'scope.everything'"),
    ("id: C\nkind: consent\ntalent: Ray\nuses: [soul]\nproduction: TESTSHOW\n",
     ":4: uses: 'soul' is not one of"),
    ("id: C\nkind: consent\ntalent: Ray\nuses: [voice]\n", ":1: consent 'C' needs 'talent', "
     "'uses' and 'production'"),
    ("- 1\n- 2\n", ":1: record[0]: expected a mapping, got int 1"),
], ids=["no-id", "unknown-key", "no-scope", "grants-nothing", "bad-date", "scope-key",
        "bad-use", "consent-incomplete", "not-a-mapping"])
def test_a_malformed_record_is_one_line_naming_file_and_line(tmp_path, cli, text, message):
    show = Show(tmp_path, cli)
    path = show.record("bad", text)
    run = show.check()
    assert run.code == 2 and run.out.count('"subjects":[]') == 1
    assert f"{path}{message}" in run.err, run.err
    assert "Traceback" not in run.err


def test_one_id_defined_twice_differently_is_refused(tmp_path, cli):
    show = Show(tmp_path, cli)
    show.record("a", APPROVAL.format(scope="{clips: [SH1]}"))
    second = show.record("b", APPROVAL.format(scope="{clips: ['*']}"))
    run = show.check()
    assert run.code == 2
    assert (f"{second}:1: approval id 'APR-1' is also defined, differently, in "
            f"{tmp_path / 'approvals' / 'a.yaml'}") in run.err


# trusted keys in the config


def public_text() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return base64.b64encode(key.public_bytes(serialization.Encoding.Raw,
                                             serialization.PublicFormat.Raw)).decode()


@pytest.mark.parametrize("entry, message", [
    ("{approver: Dana Ruiz, key: 'not base64!'}", ":4: not a base64 Ed25519 public key"),
    ("{approver: Dana Ruiz, key: " + base64.b64encode(b"short").decode() + "}",
     ":4: an Ed25519 public key is 32 bytes, this is 5"),
    ("{key: KEY}", ":4: trusted_keys[0]: needs 'approver' (whose key this is)"),
    ("{approver: Dana Ruiz}", ":4: trusted_keys[0]: needs 'key' (base64) or 'file'"),
    ("{approver: Dana Ruiz, file: keys/missing.pub}",
     ":4: trusted_keys[0].file: cannot read"),
], ids=["not-base64", "wrong-length", "no-approver", "no-key", "missing-file"])
def test_a_bad_trusted_key_is_a_config_error(tmp_path, cli, entry, message):
    entry = entry.replace("KEY", public_text())
    show = Show(tmp_path, cli, config=f"show: TESTSHOW\nepisode: '101'\ntrusted_keys:\n"
                                      f"  - {entry}\n")
    run = show.check()
    assert run.code == 2
    assert f"{tmp_path / 'aigate.yaml'}{message}" in run.err, run.err


# keys: keygen never overwrites; only Ed25519 keys sign


def test_keygen_refuses_to_overwrite_a_key(tmp_path, cli):
    assert cli("approvals", "keygen", "dana", "--out", tmp_path).code == 0
    before = (tmp_path / "dana.key").read_bytes()
    run = cli("approvals", "keygen", "dana", "--out", tmp_path)
    assert run.code == 2
    assert f"{tmp_path / 'dana.key'}: already exists; not overwriting a key" in run.err
    assert (tmp_path / "dana.key").read_bytes() == before
    (tmp_path / "dana.key").unlink()  # a lone public key is not overwritten either
    assert cli("approvals", "keygen", "dana", "--out", tmp_path).code == 2
    assert not (tmp_path / "dana.key").exists()


@pytest.mark.parametrize("make, message", [
    (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
     "not an Ed25519 key"),
    (lambda: ec.generate_private_key(ec.SECP256R1()), "not an Ed25519 key"),
    (None, "not an unencrypted PEM private key"),
], ids=["rsa", "ecdsa", "garbage"])
def test_only_an_ed25519_key_signs(tmp_path, cli, make, message):
    key_path = tmp_path / "approver.key"
    if make is None:
        key_path.write_text("-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----\n")
    else:
        key_path.write_bytes(make().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
    key_path.chmod(0o600)
    show = Show(tmp_path, cli)
    record = show.record("APR-1", APPROVAL.format(scope="{clips: [SH1]}"))
    before = record.read_text()
    run = cli("approvals", "sign", record, "--key", key_path)
    assert run.code == 2 and f"{key_path}: {message}" in run.err
    assert record.read_text() == before


# signature blocks


def signed_show(tmp_path: Path, cli) -> tuple[Show, str]:
    """A production requiring signatures, trusting Dana's key; her fingerprint."""
    assert cli("approvals", "keygen", "dana", "--out", tmp_path / "keys").code == 0
    show = Show(tmp_path, cli, config="show: TESTSHOW\nepisode: '101'\ntrusted_keys:\n"
                "  - {approver: Dana Ruiz, file: keys/dana.pub}\n")
    (tmp_path / "pack.yaml").write_text(PACK + "require_signed_approvals: true\n")
    run = cli("approvals", "sign", show.record("APR-1", APPROVAL.format(
        scope="{clips: [SH1], show: TESTSHOW}")),
              "--key", tmp_path / "keys" / "dana.key")
    assert run.code == 0, run.err
    fingerprint = run.out.split("(")[1].rstrip(")\n")
    return show, fingerprint


@pytest.mark.parametrize("block, reason", [
    ("signature: ed25519-trust-me\n", "signature block is malformed (needs key and value)"),
    ("signature: {key: FP}\n", "signature block is malformed (needs key and value)"),
    ("signature: {key: FP, value: '!!not base64!!'}\n",
     "signature does not match the record (changed after signing)"),
    ("signature: {key: FP, value: " + base64.b64encode(b"x" * 64).decode() + "}\n",
     "signature does not match the record (changed after signing)"),
    ("signature: {key: 'ed25519:0000000000000000', value: AAAA}\n",
     "signed by key ed25519:0000000000000000, which is not a trusted key"),
], ids=["not-a-mapping", "no-value", "value-not-base64", "forged-value", "unknown-key"])
def test_a_forged_or_malformed_signature_block_is_not_honoured(tmp_path, cli, block, reason):
    show, fingerprint = signed_show(tmp_path, cli)
    assert show.sh1()["verdict"] == "info"  # the genuine signature holds
    record = tmp_path / "approvals" / "APR-1.yaml"
    text = record.read_text()
    record.write_text(text[:text.index("signature:")] + block.replace("FP", fingerprint))
    item = show.sh1()
    assert item["verdict"] == "lock"
    assert any(f"approval 'APR-1' is not honoured: {reason}" in m
               for m in lock_messages(item)), lock_messages(item)


def test_verify_lists_a_malformed_signature_as_not_honoured(tmp_path, cli):
    signed_show(tmp_path, cli)
    record = tmp_path / "approvals" / "APR-1.yaml"
    text = record.read_text()
    record.write_text(text[:text.index("signature:")] + "signature: [1, 2]\n")
    run = cli("approvals", "verify", tmp_path / "approvals")
    assert run.code == 1
    assert f"{record}: APR-1: NOT HONOURED: signature block is malformed" in run.out


# media that escapes the media roots


@pytest.mark.parametrize("how", ["symlink", "dot-dot", "symlinked-folder"])
def test_media_outside_the_roots_is_never_read(tmp_path, cli, how):
    production = tmp_path / "show"
    production.mkdir()
    (production / "aigate.yaml").write_text("show: TESTSHOW\n")
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "SH1.mov").write_bytes(movie_bytes(b"not this production's media"))
    (production / "media").mkdir()
    if how == "symlink":
        (production / "media" / "SH1.mov").symlink_to(secret / "SH1.mov")
        url = "media/SH1.mov"
    elif how == "dot-dot":
        url = "media/../../secret/SH1.mov"
    else:
        (production / "media" / "linked").symlink_to(secret)
        url = "media/linked/SH1.mov"
    path = write(production / "cut.otio", timeline([clip("SH1", 2, url=url)]))
    run = cli("check", path, "--format", "json")
    [item] = run.json["subjects"][0]["items"]
    assert item["media_note"] == f"outside the media roots, not read: {secret / 'SH1.mov'}"
    # nothing was read from it: the one claim says it was not
    assert item["evidence"] == [
        f"media (hint): outside the media roots, not read: {secret / 'SH1.mov'}"]
