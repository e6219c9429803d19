"""Approvals and consents that cannot be forged from inside a timeline (issue 5)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from helpers import SAMPLES, ai, clip, movie_bytes, run_process, timeline, write

DEAGE = ai(purpose="temp", talent=[{"name": "Ray Holt", "use": "likeness"}])
APPROVAL = """\
id: {id}
grants: [final-deliverable-use]
scope: {scope}
approver: {{name: {approver}, role: Production Legal}}
issued: 2026-01-01
expires: 2026-12-31
"""


class Legal:
    """A production with a signing approver (Dana Ruiz), a registry and a cut."""

    def __init__(self, root: Path, cli, require_signed: bool = True) -> None:
        self.root, self.cli = root, cli
        self.registry = root / "approvals"
        self.registry.mkdir()
        assert cli("approvals", "keygen", "dana", "--out", root / "keys").code == 0
        (root / "pack.yaml").write_text(
            "extends: netflix-genai\nvetted_tools: [{name: Firefly, vendor: Adobe, "
            f"enterprise: true}}]\nrequire_signed_approvals: {str(require_signed).lower()}\n")
        (root / "aigate.yaml").write_text(
            "show: TESTSHOW\npolicy: pack.yaml\napprovals: approvals/\n"
            "trusted_keys:\n  - {approver: Dana Ruiz, file: keys/dana.pub}\n")
        (root / "media").mkdir()
        (root / "media" / "SH1.mov").write_bytes(movie_bytes(b"approved pixels"))
        self.cut = write(root / "cut.otio", timeline([
            clip("CAM1"), clip("SH1", 2, ai(approvals=["APR-1"], asset_id="ASSET-7"),
                               url="media/SH1.mov")]))

    def record(self, name: str, text: str, sign: bool = True, key: str = "dana") -> Path:
        path = self.registry / f"{name}.yaml"
        path.write_text(text)
        if sign:
            run = self.cli("approvals", "sign", path, "--key", self.root / "keys" / f"{key}.key")
            assert run.code == 0, run.err
        return path

    def approval(self, record_id: str = "APR-1", scope: str = "{clips: [SH1]}",
                 approver: str = "Dana Ruiz", **kw: bool) -> Path:
        if "show:" not in scope:  # a signed approval is bound to its show
            scope = scope[:-1] + ", show: TESTSHOW}"
        return self.record(record_id, APPROVAL.format(id=record_id, scope=scope,
                                                      approver=approver), **kw)

    def sh1(self, *args: str) -> tuple[dict, object]:
        run = self.cli("check", self.cut, "--stage", "final", "--format", "json",
                       "--as-of", "2026-06-01", *args)
        item = next(i for i in run.json["subjects"][0]["items"] if i["clip"] == "SH1")
        return item["findings"][0], run


@pytest.fixture
def legal(tmp_path, cli) -> Legal:
    return Legal(tmp_path, cli)


def test_signed_in_scope_record_is_waived_at_final_and_listed(legal, cli):
    legal.approval()
    finding, run = legal.sh1()
    assert run.code == 0
    assert (finding["severity"], finding["approval"], finding["waived_from"]) == \
        ("info", "APR-1", "lock")
    assert finding["approver"] == "Dana Ruiz (Production Legal)"
    text = cli("check", legal.cut, "--stage", "final", "--as-of", "2026-06-01")
    assert "waived by APR-1, Dana Ruiz (Production Legal)" in text.out
    assert "1 clip approved (waived), 1 finding waived" in text.out.splitlines()[-1]


def test_forged_id_in_the_timeline_is_not_honoured(legal):
    finding, run = legal.sh1()  # the clip names APR-1; the registry has no such record
    assert run.code == 1 and finding["severity"] == "lock"
    assert "'APR-1' named in the timeline is not in the approvals registry" in \
        finding["message"]


def test_record_edited_after_signing_is_not_honoured_with_the_reason(legal, cli):
    path = legal.approval()
    path.write_text(path.read_text().replace("expires: 2026-12-31", "expires: 2030-12-31"))
    finding, run = legal.sh1()
    assert finding["severity"] == "lock"
    assert "'APR-1' is not honoured: signature does not match the record (changed after " \
        "signing)" in finding["message"]
    assert "not honoured" in run.err  # and it is said once, loudly, on stderr
    verify = cli("approvals", "verify", legal.registry)
    assert verify.code == 1 and "APR-1: NOT HONOURED: signature does not match" in verify.out


def test_unsigned_and_untrusted_records_are_not_honoured_when_signatures_are_required(
        legal, cli):
    legal.approval(sign=False)
    finding, _ = legal.sh1()
    assert "'APR-1' is not honoured: unsigned" in finding["message"]
    assert cli("approvals", "keygen", "mallory", "--out", legal.root / "keys").code == 0
    legal.approval(key="mallory")
    finding, _ = legal.sh1()
    assert "is not a trusted key" in finding["message"]


def test_signature_by_another_approvers_key(legal):
    legal.approval(approver="Sam Producer")
    finding, _ = legal.sh1()
    assert "signed with Dana Ruiz's key but names approver 'Sam Producer'" in finding["message"]


def test_unsigned_records_count_when_the_policy_does_not_require_signatures(tmp_path, cli):
    legal = Legal(tmp_path, cli, require_signed=False)
    legal.approval(sign=False)
    finding, _ = legal.sh1()
    assert finding["approval"] == "APR-1"
    # ...but a signed record that was tampered with never counts
    path = legal.approval()
    path.write_text(path.read_text().replace("SH1", "SH*"))
    finding, _ = legal.sh1()
    assert finding["severity"] == "lock" and "changed after signing" in finding["message"]


@pytest.mark.parametrize("as_of,expected", [
    ("2025-12-31", "'APR-1' is not valid before 2026-01-01"),
    ("2027-01-01", "'APR-1' expired on 2026-12-31"),
])
def test_expired_or_not_yet_valid_says_the_date_and_as_of_replays_history(
        legal, as_of, expected):
    legal.approval()
    finding, _ = legal.sh1("--as-of", as_of)
    assert finding["severity"] == "lock" and expected in finding["message"]
    finding, _ = legal.sh1("--as-of", "2026-12-31")  # the last valid day
    assert finding["approval"] == "APR-1"


def test_strongest_identity_decides_media_sha256_over_clip_name(legal):
    digest = hashlib.sha256(movie_bytes(b"approved pixels")).hexdigest()
    legal.approval(scope=f"{{media_sha256: [{digest}], clips: [SH1]}}")
    finding, _ = legal.sh1()
    assert finding["approval"] == "APR-1" and "[matched by media sha256]" in finding["message"]
    # media replaced
    (legal.root / "media" / "SH1.mov").write_bytes(movie_bytes(b"different pixels"))
    finding, _ = legal.sh1()
    assert finding["severity"] == "lock"
    assert "'APR-1' covers other media (the clip's media sha256 differs)" in finding["message"]


def test_asset_id_and_media_path_scopes(legal):
    legal.approval(scope="{asset_ids: [ASSET-7]}")
    finding, _ = legal.sh1()  # the clip's metadata claims ASSET-7: a claim, not an identity
    assert finding["severity"] == "lock"
    assert "the asset id 'ASSET-7' in the clip's metadata is a claim, not an identity" in \
        finding["message"]
    # the studio's ledger knows the file by its path: its asset id is the clip's identity
    (legal.root / "ledger.yaml").write_text(
        "aigate_ledger: 1\nassets:\n  - {asset_id: ASSET-7, media: '**/media/SH1.mov'}\n")
    with (legal.root / "aigate.yaml").open("a") as config:
        config.write("ledger: ledger.yaml\n")
    finding, _ = legal.sh1()
    assert "[matched by asset id]" in finding["message"]
    legal.approval(scope="{media: ['**/media/SH*.mov']}")
    finding, _ = legal.sh1()
    assert "[matched by media path]" in finding["message"]


def test_blanket_scope_needs_all_clips_and_is_announced_loudly(legal):
    legal.approval(scope="{clips: ['**']}")
    finding, run = legal.sh1()
    assert finding["severity"] == "lock"
    assert "scope '**' covers every clip; a blanket approval must say all_clips: true" in \
        finding["message"]
    legal.approval(scope="{all_clips: true, show: TESTSHOW}")
    finding, run = legal.sh1()
    assert finding["approval"] == "APR-1"
    assert "approval 'APR-1' is a BLANKET approval: it covers every clip of show TESTSHOW" \
        in run.err


def test_consent_for_another_production_is_not_honoured(legal):
    cut = write(legal.root / "deage.otio", timeline([clip("SH9", 2, DEAGE)]))
    legal.record("consent", "id: C-1\nkind: consent\ntalent: Ray Holt\nuses: [likeness]\n"
                            "production: OTHER\n")
    run = legal.cli("check", cut, "--format", "json")
    assert run.findings("SH9")["talent-consent"] == "lock"
    assert "consent 'C-1' covers production 'OTHER', not 'TESTSHOW'" in run.out
    legal.record("consent", "id: C-1\nkind: consent\ntalent: Ray Holt\nuses: [likeness]\n"
                            "production: TESTSHOW\n")
    run = legal.cli("check", cut, "--format", "json")
    assert run.findings("SH9")["talent-consent"] == "info"


def test_unused_approvals_are_listed(legal, cli):
    legal.approval()
    legal.approval("APR-OLD", scope="{clips: [SH0*]}")
    legal.record("consent", "id: C-2\nkind: consent\ntalent: Nobody\nuses: [voice]\n"
                            "production: TESTSHOW\n")
    run = cli("approvals", "unused", legal.registry, "--against", legal.cut,
              "--as-of", "2026-06-01")
    assert run.code == 1  # stale records: a CI step fails on them
    assert [line.split("\t")[0] for line in run.out.splitlines()] == ["APR-OLD", "C-2"]
    assert "2 of 3 record(s) waived nothing in 1 timeline(s)" in run.err


def test_duplicate_ids_with_different_content_name_both_files(legal, cli):
    first = legal.approval(sign=False)
    second = legal.record("copy", first.read_text().replace("SH1", "SH2"), sign=False)
    run = cli("check", legal.cut)
    assert run.code == 2
    assert f"{second}:1: approval id 'APR-1' is also defined, differently, in {first}" in run.out


@pytest.mark.parametrize("content,expected", [
    (b"a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", ":2: YAML aliases are not allowed"),
    (b"id: APR-1\nnotes: caf\xe9\n", "not UTF-8 text (byte 20)"),
    (b"id: APR-1\nnotes: " + b"x" * (5 * 1024 * 1024) + b"\n", "over the 4194304-byte limit"),
], ids=["alias-bomb", "not-utf8", "huge"])
def test_hostile_registry_files_are_one_line_errors(legal, cli, content, expected):
    bad = legal.registry / "bad.yaml"
    bad.write_bytes(content)
    run = cli("check", legal.cut)
    assert run.code == 2
    assert f"{bad}" in run.out and expected in run.out and "Traceback" not in run.out


def test_private_key_with_loose_permissions_warns(legal, cli):
    key = legal.root / "keys" / "dana.key"
    assert (os.stat(key).st_mode & 0o777) == 0o600
    key.chmod(0o644)
    path = legal.approval()
    run = cli("approvals", "sign", path, "--key", key)
    assert run.code == 0 and "private key is readable by others (mode 644)" in run.err


def test_signing_keeps_comments_and_replaces_an_earlier_signature(legal):
    path = legal.approval(sign=False)
    path.write_text("# approved in the 3 March call\n" + path.read_text())
    for _ in range(2):
        legal.cli("approvals", "sign", path, "--key", legal.root / "keys" / "dana.key")
    text = path.read_text()
    assert text.startswith("# approved in the 3 March call\n") and text.count("signature:") == 1
    finding, _ = legal.sh1()
    assert finding["approval"] == "APR-1"


def test_sample_registry_verifies_with_the_sample_config():
    run = run_process("approvals", "verify", SAMPLES / "approvals")
    assert run.code == 0, run.out
    assert "APR-NF101-007: ok" in run.out and "signatures required by policy nightfall" in run.out
