"""Issue 28, approvals, keys and config: a signed record is bound to its show; what the gate
trusts cannot be rewritten by anyone on the machine at final; keygen never writes through
a link; impossible dates, exclude patterns and extends cycles are said, never silent."""

from __future__ import annotations

import os
from pathlib import Path

from helpers import ai, clip, timeline, write

APPROVAL = """\
id: APR-1
grants: [final-deliverable-use]
scope: {scope}
approver: {{name: Dana Ruiz, role: Production Legal}}
issued: 2026-01-01
"""


def production(root: Path, cli, show: str = "TESTSHOW") -> Path:
    """A show trusting Dana's key, requiring signatures; its cut with SH1 naming APR-1."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "approvals").mkdir()
    if not (root.parent / "keys" / "dana.key").exists():
        assert cli("approvals", "keygen", "dana", "--out", root.parent / "keys").code == 0
    (root / "pack.yaml").write_text("extends: netflix-genai\nrequire_signed_approvals: true\n"
                                    "vetted_tools: [{name: Firefly, vendor: Adobe, "
                                    "enterprise: true}]\n")
    (root / "aigate.yaml").write_text(
        f"show: {show}\npolicy: pack.yaml\napprovals: approvals/\n"
        "trusted_keys:\n  - {approver: Dana Ruiz, file: ../keys/dana.pub}\n")
    return write(root / "cut.otio", timeline([clip("SH1", 2, ai(approvals=["APR-1"]))]))


def sh1(cli, cut: Path) -> tuple[str, str, object]:
    run = cli("check", cut, "--stage", "final", "--format", "json", "--as-of", "2026-06-01")
    item = run.json["subjects"][0]["items"][0] if run.json and run.json["subjects"] else None
    return (item["verdict"] if item else "", " ".join(f["message"] for f in item["findings"])
            if item else "", run)


def signed(cli, path: Path, scope: str, key: Path) -> Path:
    path.write_text(APPROVAL.format(scope=scope))
    assert cli("approvals", "sign", path, "--key", key).code == 0
    return path


def test_a_signed_record_is_bound_to_its_show(tmp_path, cli):
    ours = production(tmp_path / "ours", cli, "OURS")
    theirs = production(tmp_path / "theirs", cli, "THEIRS")
    key = tmp_path / "keys" / "dana.key"
    record = signed(cli, ours.parent / "approvals" / "apr.yaml",
                    "{clips: [SH1], show: OURS}", key)
    assert sh1(cli, ours)[0] == "info"
    # copied into another show's registry that trusts the same signer: not honoured there
    (theirs.parent / "approvals" / "apr.yaml").write_bytes(record.read_bytes())
    verdict, messages, _ = sh1(cli, theirs)
    assert verdict == "lock" and "is for show 'OURS', not 'THEIRS'" in messages
    # and a signed record that names no show is honoured nowhere
    signed(cli, record, "{clips: [SH1]}", key)
    verdict, messages, _ = sh1(cli, ours)
    assert verdict == "lock" and "a signed approval must name its show" in messages
    verify = cli("approvals", "verify", record)
    assert verify.code == 1 and "must name its show" in verify.out


def test_a_registry_or_key_file_others_can_write_warns_and_is_refused_at_final(tmp_path,
                                                                              cli):
    cut = production(tmp_path / "show", cli)
    signed(cli, cut.parent / "approvals" / "apr.yaml", "{clips: [SH1], show: TESTSHOW}",
           tmp_path / "keys" / "dana.key")
    assert sh1(cli, cut)[0] == "info"
    for exposed in (cut.parent / "approvals", tmp_path / "keys" / "dana.pub"):
        os.chmod(exposed, os.stat(exposed).st_mode | 0o002)
        try:
            edit = cli("check", cut, "--stage", "edit")
            assert edit.code == 0 and f"{exposed}: " in edit.err
            assert "writable by others" in edit.err
            final = cli("check", cut, "--stage", "final")
            assert final.code == 2
            assert f"{exposed}: refused at stage final:" in final.out + final.err
            doctor = cli("doctor", cut)
            assert "trusted files" in doctor.out and "writable by others" in doctor.out
        finally:
            os.chmod(exposed, os.stat(exposed).st_mode & ~0o002)


def test_keygen_never_writes_through_a_symlink(tmp_path, cli):
    keys = tmp_path / "keys"
    keys.mkdir()
    target = tmp_path / "elsewhere.pub"
    (keys / "dana.pub").symlink_to(target)  # dangling: exists() says no
    run = cli("approvals", "keygen", "dana", "--out", keys)
    assert run.code == 2 and "already exists (a symbolic link)" in run.err
    assert not target.exists() and not (keys / "dana.key").exists()
    (keys / "dana.pub").unlink()
    identity_target = tmp_path / "identity.yaml"
    (keys / "dana.identity.yaml").symlink_to(identity_target)
    run = cli("approvals", "keygen", "dana", "--out", keys, "--approver", "Dana Ruiz")
    assert run.code == 2 and not identity_target.exists()


def test_an_impossible_date_is_one_line_naming_file_and_line(tmp_path, cli):
    cut = production(tmp_path / "show", cli)
    record = cut.parent / "approvals" / "apr.yaml"
    record.write_text(APPROVAL.format(scope="{clips: [SH1], show: TESTSHOW}")
                      + "expires: 2026-02-30\n")
    run = cli("check", cut, "--stage", "final")
    assert run.code == 2 and "internal error" not in run.err
    assert f"{record}:6: '2026-02-30' is not a real date" in run.out + run.err


def test_a_symlinked_config_is_trusted_only_where_its_target_lies(tmp_path, cli,
                                                                  monkeypatch):
    trusted, delivery = tmp_path / "trusted", tmp_path / "trusted" / "delivery"
    other = tmp_path / "other_show"
    production(other, cli)
    delivery.mkdir(parents=True)
    cut = write(delivery / "cut.otio", timeline([clip("SH1", 2, ai(approvals=["APR-1"]))]))
    # the link lies inside the trusted root, its target does not
    (delivery / "aigate.yaml").symlink_to(other / "aigate.yaml")
    monkeypatch.setenv("AIGATE_TRUSTED_ROOTS", str(trusted))
    run = cli("check", cut)
    assert run.code == 2 and "config refused: it lies outside the trusted roots" in \
        run.out + run.err


def test_excluded_files_are_listed_and_counted(tmp_path, cli):
    for name in ("cut.otio", "old/cut_v1.otio"):
        write(tmp_path / "show" / name, timeline([clip("A", 2)]))
    run = cli("check", tmp_path / "show", "--exclude", "**/old/**", "--format", "json",
              "--debug")
    assert run.json["summary"]["excluded"] == 1 and run.json["summary"]["files"] == 1
    assert run.json["excluded"] == [{"path": str(tmp_path / "show" / "old" / "cut_v1.otio"),
                                     "pattern": "**/old/**"}]
    assert f"aigate: excluded: {tmp_path / 'show' / 'old' / 'cut_v1.otio'}" in run.err
    text = cli("check", tmp_path / "show", "--exclude", "**/old/**")
    assert "1 excluded by pattern" in text.out.splitlines()[-1]


def test_an_extends_cycle_is_found_through_any_spelling(tmp_path, cli):
    (tmp_path / "packs").mkdir()
    (tmp_path / "packs" / "a.yaml").write_text("extends: ../packs/./b.yaml\n")
    (tmp_path / "packs" / "b.yaml").write_text("extends: ./../packs/a.yaml\n")
    (tmp_path / "aigate.yaml").write_text("policy: packs/a.yaml\n")
    cut = write(tmp_path / "cut.otio", timeline([clip("A", 2)]))
    run = cli("check", cut)
    assert run.code == 2 and "'extends' makes a cycle" in run.out + run.err
    assert "internal error" not in run.err and "Recursion" not in run.out + run.err
