"""`aigate attest`: a signed in-toto statement of the gate's decision on the sample show, and
`attest verify` naming every file that changed since (timeline, pack, approval, envelope)."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

from helpers import ROOT

SHOW = ROOT / "sample_timelines"
CUTS = ("ep101_cut_v12.otio", "ep102_picture_v3.otio")


@pytest.fixture
def show(tmp_path: Path, cli) -> Path:
    """A copy of the sample show (never the repository's own files), with a conform key."""
    target = tmp_path / "show"
    shutil.copytree(SHOW, target)
    assert cli("approvals", "keygen", "conform", "--out", tmp_path / "keys").code == 0
    return target


def _attest(cli, show: Path, *extra: str | Path):
    keys = show.parent / "keys"
    return cli("attest", *(show / c for c in CUTS), "--stage", "final",
               "--key", keys / "conform.key", "--output", show.parent / "cut.intoto.json",
               *extra)


def _verify(cli, show: Path, *extra: str | Path, accept_lock: bool = True):
    """Verify the sample show's attestation; its verdict is lock, accepted unless asked
    not to (so a failure is the change under test, not the lock)."""
    return cli("attest", "verify", show.parent / "cut.intoto.json",
               "--trusted-keys", show.parent / "keys" / "conform.pub",
               *(("--accept-lock",) if accept_lock else ()), *extra)


def _statement(path: Path) -> dict:
    return json.loads(base64.b64decode(json.loads(path.read_text())["payload"]))


def _flip(path: Path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))


def test_a_locked_cut_is_not_attested_without_allow_lock(cli, show: Path) -> None:
    run = _attest(cli, show)
    assert run.code == 1
    assert "not written: the verdict is lock" in run.err
    assert not (show.parent / "cut.intoto.json").exists()


def test_attestation_of_the_sample_show_records_the_decision(cli, show: Path) -> None:
    run = _attest(cli, show, "--allow-lock")
    assert run.code == 0, run.err
    envelope = json.loads((show.parent / "cut.intoto.json").read_text())
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    assert envelope["signatures"][0]["keyid"].startswith("ed25519:")
    doc = _statement(show.parent / "cut.intoto.json")
    assert doc["_type"] == "https://in-toto.io/Statement/v1"
    assert {s["name"] for s in doc["subject"]} == set(CUTS)
    import hashlib

    for subject in doc["subject"]:
        assert subject["digest"]["sha256"] == hashlib.sha256(
            (show / subject["name"]).read_bytes()).hexdigest()
    predicate = doc["predicate"]
    assert predicate["stage"] == "final" and predicate["verdict"] == "lock"
    assert predicate["lock_allowed"] is True
    packs = [f.get("builtin") or f["path"] for f in predicate["policy"]["files"]]
    # the whole extends chain: the built-in by name (and hash), the show's by its path
    # relative to the show root
    assert packs == ["netflix-genai", "policy/nightfall.yaml"]
    assert all(len(f["sha256"]) == 64 for f in predicate["policy"]["files"])
    assert "final-deliverable-use" in predicate["policy"]["rules_in_force"]
    assert [c["path"] for c in predicate["config"]] == ["aigate.yaml"]
    assert str(show) not in json.dumps({k: v for k, v in predicate.items() if k != "root"})
    (approval,) = predicate["approvals"]
    assert approval["id"] == "APR-NF101-007" and approval["signer"].startswith("ed25519:")
    clips = {c["clip"]: c for t in predicate["timelines"] for c in t["clips"]}
    assert len(clips) == predicate["summary"]["ai"] == 7
    assert clips["VFX_030_creature_v5"]["verdict"] == "lock"
    assert "tool-unvetted" in {f["rule"] for f in clips["VFX_030_creature_v5"]["findings"]}
    assert clips["VFX_010_sky_v3"]["media_sha256"] == hashlib.sha256(
        (show / "media" / "VFX_010_sky_v3.mov").read_bytes()).hexdigest()


def test_verify_passes_on_untouched_files(cli, show: Path) -> None:
    assert _attest(cli, show, "--allow-lock").code == 0
    run = _verify(cli, show, "--media")
    assert run.code == 0, run.out + run.err
    assert "signature ok" in run.out and ", 0 changed" in run.out


@pytest.mark.parametrize(("kind", "relative", "old", "new"), [
    ("timeline", "ep101_cut_v12.otio", b"NIGHTFALL 101", b"NIGHTFALL 1O1"),
    ("pack", "policy/nightfall.yaml", b"season 1", b"season 2"),
    ("approval", "approvals/APR-NF101-007.yaml", b"APR-NF101-007", b"APR-NF101-008"),
])
def test_verify_names_the_file_that_changed(cli, show: Path, kind: str, relative: str,
                                            old: bytes, new: bytes) -> None:
    assert _attest(cli, show, "--allow-lock").code == 0
    _flip(show / relative, old, new)
    run = _verify(cli, show)
    assert run.code == 1
    changed = [line for line in run.out.splitlines() if "CHANGED" in line]
    assert len(changed) == 1, run.out
    assert f"CHANGED {kind} " in changed[0] and Path(relative).name in changed[0]


def test_verify_names_changed_media_with_media_flag(cli, show: Path) -> None:
    assert _attest(cli, show, "--allow-lock").code == 0
    media = show / "media" / "VFX_010_sky_v3.mov"
    media.write_bytes(media.read_bytes() + b"\0")
    assert _verify(cli, show).code == 0  # media is rehashed only when asked
    run = _verify(cli, show, "--media")
    assert run.code == 1 and "CHANGED media" in run.out and "VFX_010_sky_v3.mov" in run.out


def test_verify_detects_an_edited_envelope(cli, show: Path) -> None:
    assert _attest(cli, show, "--allow-lock").code == 0
    path = show.parent / "cut.intoto.json"
    envelope = json.loads(path.read_text())
    payload = base64.b64decode(envelope["payload"])
    envelope["payload"] = base64.b64encode(
        payload.replace(b'"verdict":"lock"', b'"verdict":"pass"', 1)).decode()
    path.write_text(json.dumps(envelope))
    run = _verify(cli, show)
    assert run.code == 1
    assert "NOT VERIFIED" in run.out and "changed after signing" in run.out


def test_verify_detects_one_byte_of_the_envelope_file(cli, show: Path) -> None:
    assert _attest(cli, show, "--allow-lock").code == 0
    path = show.parent / "cut.intoto.json"
    data = bytearray(path.read_bytes())
    start = data.index(b'"payload": "') + len(b'"payload": "') + 40
    data[start] = ord("A") if data[start] != ord("A") else ord("B")
    path.write_bytes(bytes(data))
    run = _verify(cli, show)
    assert run.code == 1 and "NOT VERIFIED" in run.out


def test_verify_refuses_a_key_it_does_not_trust(cli, show: Path, tmp_path: Path) -> None:
    assert _attest(cli, show, "--allow-lock").code == 0
    assert cli("approvals", "keygen", "other", "--out", tmp_path / "other").code == 0
    run = cli("attest", "verify", show.parent / "cut.intoto.json", "--trusted-keys",
              tmp_path / "other" / "other.pub", "--accept-lock")
    assert run.code == 1 and "not a trusted key" in run.out


def test_verify_without_trusted_keys_is_a_usage_error(cli, show: Path) -> None:
    assert _attest(cli, show, "--allow-lock").code == 0
    run = cli("attest", "verify", show.parent / "cut.intoto.json")
    assert run.code == 2 and "no trusted keys" in run.err


def test_a_damaged_envelope_is_one_line_naming_it(cli, show: Path) -> None:
    path = show.parent / "cut.intoto.json"
    path.write_text('{"payload": "x", ')
    run = cli("attest", "verify", path, "--trusted-keys", show.parent / "keys" / "conform.pub")
    assert run.code == 2 and "cut.intoto.json" in run.err and "not valid JSON" in run.err
    assert "Traceback" not in run.err


def test_verify_checks_timelines_moved_elsewhere(cli, show: Path, tmp_path: Path) -> None:
    assert _attest(cli, show, "--allow-lock").code == 0
    moved = tmp_path / "delivery"
    moved.mkdir()
    for cut in CUTS:
        shutil.copy(show / cut, moved / cut)
    _flip(moved / CUTS[1], b"NIGHTFALL 102", b"NIGHTFALL 1O2")
    run = _verify(cli, show, "--timeline", *(moved / c for c in CUTS))
    assert run.code == 1
    assert f"CHANGED timeline {moved / CUTS[1]}" in run.out
    assert str(moved / CUTS[0]) not in run.out


def test_a_missing_approval_is_named(cli, show: Path) -> None:
    assert _attest(cli, show, "--allow-lock").code == 0
    (show / "approvals" / "APR-NF101-007.yaml").unlink()
    run = _verify(cli, show)
    assert run.code == 1
    assert "CHANGED approval" in run.out and "APR-NF101-007.yaml: missing" in run.out


def test_the_register_is_written_as_the_companion(cli, show: Path) -> None:
    register = show.parent / "register.csv"
    assert _attest(cli, show, "--allow-lock", "--register", register).code == 0
    import csv

    rows = list(csv.DictReader(register.open()))
    doc = _statement(show.parent / "cut.intoto.json")
    attested = {c["clip"] for t in doc["predicate"]["timelines"] for c in t["clips"]}
    assert {r["clip"] for r in rows} == attested
    assert {"disclosure_label", "consent_description", "synthetic_performer"} <= set(rows[0])


def test_a_trusted_signature_over_something_else_is_not_verified(cli, show: Path) -> None:
    from aigate.output.attest import envelope
    from aigate.trust.signing import load_private_key

    key, _ = load_private_key(show.parent / "keys" / "conform.key")
    path = show.parent / "cut.intoto.json"
    path.write_text(json.dumps(envelope({"_type": "other", "predicate": {}}, key)))
    run = _verify(cli, show)
    assert run.code == 1 and "not an aigate attestation" in run.out


# --- second round: the attacks a review built


def test_two_timelines_sharing_a_file_name_are_each_rehashed(cli, show: Path) -> None:
    """ep1/cut.otio and ep2/cut.otio: each is re-hashed where it was attested, so an edit
    to the first is seen (looking subjects up by name re-read only one of them)."""
    for episode, cut in (("ep1", CUTS[0]), ("ep2", CUTS[1])):
        (show / episode).mkdir()
        shutil.copy(show / cut, show / episode / "cut.otio")
    keys = show.parent / "keys"
    envelope = show.parent / "cut.intoto.json"
    assert cli("attest", show / "ep1" / "cut.otio", show / "ep2" / "cut.otio", "--stage",
               "final", "--key", keys / "conform.key", "--output", envelope,
               "--allow-lock").code == 0
    assert _verify(cli, show).code == 0
    _flip(show / "ep1" / "cut.otio", b"NIGHTFALL 101", b"NIGHTFALL 1O1")
    run = _verify(cli, show)
    assert run.code == 1
    assert f"CHANGED timeline {(show / 'ep1' / 'cut.otio').resolve()}" in run.out
    assert "ep2" not in "".join(line for line in run.out.splitlines() if "CHANGED" in line)


def test_a_timeline_name_two_subjects_share_is_refused(cli, show: Path) -> None:
    for episode, cut in (("ep1", CUTS[0]), ("ep2", CUTS[1])):
        (show / episode).mkdir()
        shutil.copy(show / cut, show / episode / "cut.otio")
    keys = show.parent / "keys"
    assert cli("attest", show / "ep1" / "cut.otio", show / "ep2" / "cut.otio", "--stage",
               "final", "--key", keys / "conform.key", "--output",
               show.parent / "cut.intoto.json", "--allow-lock").code == 0
    run = _verify(cli, show, "--timeline", show / "ep2" / "cut.otio")
    assert run.code == 2 and "2 timelines named cut.otio" in run.err
    assert "ambiguous" in run.err and "signature ok" not in run.out


def test_a_timeline_name_given_twice_is_refused(cli, show: Path, tmp_path: Path) -> None:
    assert _attest(cli, show, "--allow-lock").code == 0
    other = tmp_path / "elsewhere"
    other.mkdir()
    shutil.copy(show / CUTS[0], other / CUTS[0])
    _flip(other / CUTS[0], b"NIGHTFALL 101", b"NIGHTFALL 1O1")
    # the changed copy second: silently dropping either one is what this refuses
    run = _verify(cli, show, "--timeline", show / CUTS[0], other / CUTS[0])
    assert run.code == 2 and f"{CUTS[0]} is given twice" in run.err


SIDECAR = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
           b'02/22-rdf-syntax-ns#"><rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/'
           b'Iptc4xmpExt/2008-02-29/" Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/'
           b'newscodes/digitalsourcetype/trainedAlgorithmicMedia"/></rdf:RDF></x:xmpmeta>')


def test_a_sidecar_added_beside_a_camera_clip_is_named(cli, show: Path) -> None:
    """A camera clip's media is hashed too, and an XMP sidecar added beside it since (which
    makes the clip AI for the gate) is a change."""
    assert _attest(cli, show, "--allow-lock").code == 0
    doc = _statement(show.parent / "cut.intoto.json")
    assert any(Path(m["path"]).name == "A001C003.mov" and m["sha256"]
               for m in doc["predicate"]["media"])
    assert _verify(cli, show, "--media").code == 0
    (show / "media" / "A001C003.xmp").write_bytes(SIDECAR)
    assert "generated" in json.dumps(
        cli("check", show / CUTS[0], "--stage", "final", "--format", "json").json)
    run = _verify(cli, show, "--media")
    assert run.code == 1
    assert "CHANGED sidecar" in run.out and "A001C003.xmp: added since" in run.out


def test_an_edited_sidecar_and_camera_media_are_named(cli, show: Path) -> None:
    assert _attest(cli, show, "--allow-lock").code == 0
    _flip(show / "media" / "GFX_poster_bg_v2.xmp", b"trainedAlgorithmicMedia",
          b"digitalCapture")
    camera = show / "media" / "A003C007.mov"
    camera.write_bytes(camera.read_bytes() + b"\0")
    run = _verify(cli, show, "--media")
    assert run.code == 1
    changed = [line for line in run.out.splitlines() if "CHANGED" in line]
    assert any("CHANGED sidecar" in line and "GFX_poster_bg_v2.xmp" in line
               for line in changed)
    assert any("CHANGED media" in line and "A003C007.mov" in line for line in changed)


@pytest.mark.parametrize(("kind", "relative"), [
    ("ledger", "ledger.yaml"),
    ("approver-key", "keys/dana-ruiz.pub"),
    ("trust-anchors", "keys/c2pa-anchors.pem"),
])
def test_a_file_the_config_names_is_named_when_it_changes(cli, show: Path, kind: str,
                                                          relative: str) -> None:
    assert _attest(cli, show, "--allow-lock").code == 0
    with (show / relative).open("ab") as handle:
        handle.write(b"\n")
    run = _verify(cli, show)
    assert run.code == 1
    (changed,) = [line for line in run.out.splitlines() if "CHANGED" in line]
    assert f"CHANGED {kind} " in changed and Path(relative).name in changed


def test_a_locked_attestation_is_not_accepted_without_accept_lock(cli, show: Path) -> None:
    assert _attest(cli, show, "--allow-lock").code == 0
    run = _verify(cli, show, accept_lock=False)
    assert run.code == 1
    assert "verdict lock, stage final" in run.out and "lock_allowed true" in run.out
    assert "NOT ACCEPTED: the attested verdict is lock" in run.out
    accepted = _verify(cli, show)
    assert accepted.code == 0 and "lock verdict accepted (--accept-lock)" in accepted.out


def test_an_attestation_below_the_required_stage_is_not_accepted(cli, show: Path) -> None:
    keys = show.parent / "keys"
    assert cli("attest", show / CUTS[0], "--stage", "edit", "--key", keys / "conform.key",
               "--output", show.parent / "cut.intoto.json", "--allow-lock").code == 0
    run = _verify(cli, show)
    assert run.code == 1 and "stage edit" in run.out
    assert "NOT ACCEPTED: attested at stage edit, below final" in run.out
    assert _verify(cli, show, "--require-stage", "edit").code == 0


def test_an_approver_key_does_not_verify_an_attestation(cli, show: Path) -> None:
    """trusted_keys sign approval records; only attestation_keys sign attestations."""
    assert _attest(cli, show, "--allow-lock").code == 0
    config = show.parent / "verify.yaml"
    config.write_text("trusted_keys:\n  - {approver: Conform, file: keys/conform.pub}\n")
    envelope = show.parent / "cut.intoto.json"
    run = cli("attest", "verify", envelope, "--config", config, "--accept-lock")
    assert run.code == 2 and "no attestation_keys" in run.err and "signature ok" not in run.out
    config.write_text("attestation_keys:\n  - {signer: Conform, file: keys/conform.pub}\n")
    run = cli("attest", "verify", envelope, "--config", config, "--accept-lock")
    assert run.code == 0 and "signature ok" in run.out and "Conform" in run.out


def test_the_envelope_never_overwrites_the_signing_key(cli, show: Path) -> None:
    key = show.parent / "keys" / "conform.key"
    before = key.read_bytes()
    run = cli("attest", show / CUTS[0], "--stage", "final", "--key", key, "--output", key,
              "--allow-lock")
    assert run.code == 2 and "is one of the inputs" in run.err
    assert key.read_bytes() == before


SIDECAR_SOURCE = '''
from aigate.api import hookimpl


@hookimpl
def aigate_sidecar_names(media):
    return [f"{media.stem}.prov.json"]
'''


def test_a_sidecar_a_third_party_source_reads_is_attested_and_watched(
        cli, show: Path, monkeypatch) -> None:
    """Sidecar names come from the plugins that read them (hook aigate_sidecar_names), not
    from a list in the core: a studio source's own sidecar added beside a clip since the
    attestation is a change, as an XMP one is."""
    (show.parent / "studio_sidecars.py").write_text(SIDECAR_SOURCE)
    monkeypatch.syspath_prepend(str(show.parent))
    monkeypatch.setenv("AIGATE_PLUGINS", "studio_sidecars")
    (show / "media" / "A003C007.prov.json").write_text("{}")
    assert _attest(cli, show, "--allow-lock").code == 0
    media = _statement(show.parent / "cut.intoto.json")["predicate"]["media"]
    [camera] = [m for m in media if Path(m["path"]).name == "A003C007.mov"]
    assert [s["name"] for s in camera["sidecars"]] == ["A003C007.prov.json"]
    assert _verify(cli, show, "--media").code == 0
    (show / "media" / "A001C003.prov.json").write_text('{"generated": true}')
    (show / "media" / "A003C007.prov.json").write_text('{"generated": true}')
    run = _verify(cli, show, "--media")
    assert run.code == 1
    assert "A001C003.prov.json: added since" in run.out
    assert any("CHANGED sidecar" in line and "A003C007.prov.json" in line
               for line in run.out.splitlines())


EXTENSIONLESS_HOST = '''
from pathlib import Path

import opentimelineio as otio

from aigate.api import hookimpl


@hookimpl
def aigate_load_subject(path):
    if Path(path).suffix:
        return None
    return otio.core.deserialize_json_from_string(Path(path).read_text())
'''


def test_a_timeline_named_verify_is_attested(cli, tmp_path: Path, monkeypatch) -> None:
    """'verify' is the subcommand only as the first word after 'attest'; a timeline of that
    name is attested given as ./verify or after any other argument, and the envelope
    then verifies with 'aigate attest verify ENVELOPE' as users type it."""
    from helpers import clip, timeline, write

    (tmp_path / "extensionless_host.py").write_text(EXTENSIONLESS_HOST)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("AIGATE_PLUGINS", "extensionless_host")
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "cut.otio", timeline([clip("SH010")], name="verify cut")).rename(
        tmp_path / "verify")
    assert cli("approvals", "keygen", "conform", "--out", tmp_path / "keys").code == 0
    key, pub = tmp_path / "keys" / "conform.key", tmp_path / "keys" / "conform.pub"
    for given, output in ((["./verify"], "a.json"),
                          (["--stage", "final", "verify"], "b.json")):
        run = cli("attest", *given, "--stage", "final", "--key", key, "--output", output)
        assert run.code == 0, run.out + run.err
        assert _statement(tmp_path / output)["subject"][0]["name"] == "verify"
        checked = cli("attest", "verify", output, "--trusted-keys", pub)
        assert checked.code == 0, checked.out
        assert "signature ok" in checked.out
