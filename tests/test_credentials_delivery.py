"""Content Credentials that hold up outside the studio and leak nothing private: the
render's own credentials kept as the parent, each AI ingredient placed, the gate's actions
and record attributed to the signer, an RFC 3161 time-stamp from a local authority, the
untrusted-chain warning, `credentials show`, and the public record (verdict, policy hash,
counts, AI disclosure, the sidecar attestation's digest). Everything is read back with
c2pa-python's Reader."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import tsa

import mediakit
from helpers import ai, clip, timeline, write

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


@pytest.fixture
def cut(studio: Path) -> Path:
    """A cut that passes at final: two approved AI clips (one a consented digital replica
    of a named performer), their media signed by the vendor, and a camera plate."""
    vendor = mediakit.signing_kit("vendor")
    (studio / "media").mkdir()
    for n, name in enumerate(("GEN", "HOLT_REPLICA")):
        # the vendor's manifest is carried verbatim (it is the chain): it names the file as
        # the vendor delivered it; the studio renamed it
        signed = mediakit.sign(mediakit.video(studio / "raw" / f"take{n}.mp4"),
                               studio / "vendor" / f"delivery_{n}.mp4", vendor,
                               tool="Firefly", version="3")
        shutil.copyfile(signed, studio / "media" / f"{name}.mp4")
    mediakit.video(studio / "media" / "PLATE.mp4")
    (studio / "approvals" / "a1.yaml").write_text(
        "id: APR-7731\ngrants: [final-deliverable-use]\nscope: {clips: [GEN, HOLT_REPLICA]}\n"
        "approver: Dana Ruiz\n")
    (studio / "approvals" / "c-rh.yaml").write_text(
        "id: CONSENT-4410\nkind: consent\ntalent: Ray Holt\nuses: [digital_replica]\n"
        "production: TESTSHOW\ndescription: de-ageing in scene 12\n")
    return write(studio / "ep101_secret_cut.otio", timeline([
        clip("PLATE", url="media/PLATE.mp4"),
        clip("GEN", aigate=ai(), url="media/GEN.mp4"),
        clip("HOLT_REPLICA", aigate=ai(talent=[{"name": "Ray Holt",
                                                "use": "digital_replica"}]),
             url="media/HOLT_REPLICA.mp4")]))


def _store(path: Path, detailed: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    import c2pa

    with c2pa.Reader(str(path)) as reader:
        store = json.loads(reader.detailed_json() if detailed else reader.json())
    return store, store["manifests"][store["active_manifest"]]


def _assertion(manifest: dict[str, Any], label: str) -> Any:
    return next(a["data"] for a in manifest["assertions"] if a["label"] == label)


def _sign(cli, deliverable: Path, cut: Path, kit, *extra: str | Path):
    return cli("credentials", deliverable, "--from", cut, "--cert", kit["cert"], "--key",
               kit["key"], *extra)


def _attested(cli, cut: Path, tmp_path: Path) -> tuple[Path, Path]:
    keys = tmp_path / "keys"
    assert cli("approvals", "keygen", "conform", "--out", keys).code == 0
    envelope = tmp_path / "conform.intoto.json"
    run = cli("attest", cut, "--stage", "final", "--key", keys / "conform.key", "--output",
              envelope)
    assert run.code == 0, run.err
    return envelope, keys / "conform.pub"


def test_credentials_already_on_the_render_are_kept_as_its_parent(cli, cut: Path, kit,
                                                                  tmp_path: Path) -> None:
    nle = mediakit.signing_kit("editorial")
    render = mediakit.sign(mediakit.video(tmp_path / "raw.mp4"), tmp_path / "export.mp4",
                           nle, source_type=IPTC + "humanEdits", tool="NLE", version="9")
    run = _sign(cli, render, cut, kit)
    assert run.code == 0, run.err
    assert "existing credentials kept as parent" in run.out
    store, manifest = _store(tmp_path / "export.c2pa.mp4")
    parents = [i for i in manifest["ingredients"] if i["relationship"] == "parentOf"]
    assert len(parents) == 1
    kept = store["manifests"][parents[0]["active_manifest"]]  # the NLE's own manifest
    assert kept["claim_generator_info"][0]["name"] == "NLE"
    actions = _assertion(manifest, "c2pa.actions.v2")["actions"]
    assert actions[0]["action"] == "c2pa.opened"
    assert len(actions[0]["parameters"]["ingredients"]) == 1
    assert [a["action"] for a in actions].count("c2pa.created") == 0


def test_each_ai_ingredient_has_a_placed_action_that_references_it(cli, cut: Path, kit,
                                                                  tmp_path: Path) -> None:
    render = mediakit.video(tmp_path / "render.mp4")
    assert _sign(cli, render, cut, kit).code == 0
    store, manifest = _store(tmp_path / "render.c2pa.mp4")
    components = [i for i in manifest["ingredients"] if i["relationship"] == "componentOf"]
    assert len(components) == 2
    placed = [a for a in _assertion(manifest, "c2pa.actions.v2")["actions"]
              if a["action"] == "c2pa.placed"]
    referenced = [ref["url"] for a in placed for ref in a["parameters"]["ingredients"]]
    assert len(placed) == 2 and len(set(referenced)) == 2
    assert not [s for s in store.get("validation_status", ())
                if s["code"] != "signingCredential.untrusted"]


def test_the_actions_and_the_verdict_are_created_assertions(cli, cut: Path, kit,
                                                            tmp_path: Path) -> None:
    render = mediakit.video(tmp_path / "render.mp4")
    assert _sign(cli, render, cut, kit).code == 0
    _, manifest = _store(tmp_path / "render.c2pa.mp4", detailed=True)
    created = " ".join(a["url"] for a in manifest["claim"]["created_assertions"])
    gathered = " ".join(a["url"] for a in manifest["claim"].get("gathered_assertions", ()))
    for label in ("c2pa.actions.v2", "com.aigate.verdict"):
        assert label in created and label not in gathered


def test_a_time_stamp_authority_countersigns_the_time(cli, cut: Path, kit, studio: Path,
                                                      tmp_path: Path) -> None:
    render = mediakit.video(tmp_path / "render.mp4")
    with tsa.authority() as (url, answered):
        (studio / "aigate.yaml").write_text(
            "show: TESTSHOW\npolicy: pack.yaml\napprovals: approvals/\n"
            f"c2pa: {{timestamp_url: '{url}', trust_anchors: certs/ca.pem}}\n")
        run = _sign(cli, render, cut, kit)
    assert run.code == 0, run.err
    assert answered, "the authority was never asked"
    assert "(time-stamped)" in run.out
    _, manifest = _store(tmp_path / "render.c2pa.mp4")
    assert manifest["signature_info"]["time"]  # the reader shows the proven time
    shown = cli("credentials", "show", tmp_path / "render.c2pa.mp4", "--config",
                studio / "aigate.yaml")
    assert shown.code == 0, shown.out
    assert "(time-stamped)" in shown.out and "Trusted" in shown.out


def test_an_authority_that_does_not_answer_is_one_line_and_nothing_is_written(
        cli, cut: Path, kit, studio: Path, tmp_path: Path) -> None:
    import socket

    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    (studio / "aigate.yaml").write_text(
        "show: TESTSHOW\npolicy: pack.yaml\napprovals: approvals/\n"
        f"c2pa: {{timestamp_url: 'http://127.0.0.1:{port}/'}}\n")
    render = mediakit.video(tmp_path / "render.mp4")
    run = _sign(cli, render, cut, kit)
    assert run.code != 0
    assert "Traceback" not in run.err and len(run.err.strip().splitlines()) == 1
    assert not (tmp_path / "render.c2pa.mp4").exists()


def test_an_untrusted_signing_chain_is_warned_and_a_trusted_one_is_not(
        cli, cut: Path, kit, studio: Path, tmp_path: Path) -> None:
    render = mediakit.video(tmp_path / "render.mp4")
    run = _sign(cli, render, cut, kit)
    assert run.code == 0
    assert "C2PA trust list" in run.err and "warning" in run.err
    (studio / "aigate.yaml").write_text(
        "show: TESTSHOW\npolicy: pack.yaml\napprovals: approvals/\n"
        f"c2pa: {{trust_anchors: '{kit['anchor']}'}}\n")
    again = _sign(cli, render, cut, kit, "--output", tmp_path / "trusted.mp4")
    assert again.code == 0 and "warning" not in again.err


def test_credentials_show_prints_signer_time_disclosure_verdict_and_ingredients(
        cli, cut: Path, kit, tmp_path: Path) -> None:
    render = mediakit.video(tmp_path / "render.mp4")
    assert _sign(cli, render, cut, kit).code == 0
    shown = cli("credentials", "show", tmp_path / "render.c2pa.mp4")
    assert shown.code == 0, shown.out + shown.err
    assert "signer: generator (issued by delivery studio)" in shown.out
    assert "signed: 20" in shown.out and "no time-stamp" in shown.out
    assert "AI disclosure: " + IPTC + "compositeWithTrainedAlgorithmicMedia" in shown.out
    assert "aigate verdict: info at stage final" in shown.out
    assert shown.out.count("ingredient: AI clip") == 2
    assert IPTC + "trainedAlgorithmicMedia" in shown.out  # the generator's own disclosure


def test_show_of_a_file_without_credentials_is_one_line(cli, tmp_path: Path) -> None:
    plain = mediakit.video(tmp_path / "plain.mp4")
    run = cli("credentials", "show", plain)
    assert run.code != 0
    assert str(plain) in run.err and "Traceback" not in run.err


def test_the_public_deliverable_holds_no_internal_path_name_or_record_id(
        cli, cut: Path, kit, studio: Path, tmp_path: Path) -> None:
    envelope, pub = _attested(cli, cut, tmp_path)
    sidecar = envelope.read_bytes()
    statement = base64.b64decode(json.loads(sidecar)["payload"])
    for secret in (b"APR-7731", b"CONSENT-4410", b"HOLT_REPLICA"):
        assert secret in statement  # the studio's record names them...
    render = mediakit.video(tmp_path / "render.mp4")
    run = _sign(cli, render, cut, kit, "--attestation", envelope, "--trusted-keys", pub)
    assert run.code == 0, run.err
    delivered = (tmp_path / "render.c2pa.mp4").read_bytes()
    for secret in (str(studio).encode(), str(tmp_path).encode(), b"APR-7731",
                   b"CONSENT-4410", b"Ray Holt", b"Dana Ruiz", b"ep101_secret_cut",
                   b"HOLT_REPLICA", b"approvals/"):
        assert secret not in delivered, secret  # ...the public file does not
    _, manifest = _store(tmp_path / "render.c2pa.mp4")
    record = _assertion(manifest, "com.aigate.verdict")
    assert set(record) == {"aigate_version", "stage", "verdict", "policy", "counts",
                           "ai_disclosure", "signed_at", "attestation_sha256"}
    assert record["attestation_sha256"] == hashlib.sha256(sidecar).hexdigest()
    # the sidecar verifies against the digest the deliverable carries
    verified = cli("attest", "verify", tmp_path / "render.c2pa.mp4", "--sidecar", envelope,
                   "--trusted-keys", pub)
    assert verified.code == 0, verified.out + verified.err
    assert "matches the deliverable's record" in verified.out
    other = tmp_path / "other.intoto.json"
    other.write_bytes(sidecar.replace(b'"payload"', b' "payload"', 1))
    mismatched = cli("attest", "verify", tmp_path / "render.c2pa.mp4", "--sidecar", other,
                     "--trusted-keys", pub)
    assert mismatched.code == 1 and "not the attestation" in mismatched.out


def test_disclose_full_is_a_documented_choice(cli, cut: Path, kit, studio: Path,
                                              tmp_path: Path) -> None:
    (studio / "aigate.yaml").write_text(
        "show: TESTSHOW\npolicy: pack.yaml\napprovals: approvals/\nc2pa: {disclose: full}\n")
    envelope, pub = _attested(cli, cut, tmp_path)
    render = mediakit.video(tmp_path / "render.mp4")
    run = _sign(cli, render, cut, kit, "--attestation", envelope, "--trusted-keys", pub)
    assert run.code == 0, run.err
    _, manifest = _store(tmp_path / "render.c2pa.mp4")
    assert _assertion(manifest, "com.aigate.attestation") == json.loads(envelope.read_text())
    assert _assertion(manifest, "com.aigate.verdict")["timelines"][0]["name"]
    assert {i["title"] for i in manifest["ingredients"]} == {"GEN.mp4", "HOLT_REPLICA.mp4"}
    # and the embedded attestation verifies from the deliverable alone
    verified = cli("attest", "verify", tmp_path / "render.c2pa.mp4", "--trusted-keys", pub)
    assert verified.code == 0, verified.out + verified.err
    assert "signature ok" in verified.out


def test_a_bad_disclose_value_is_one_line_naming_the_config(cli, cut: Path, kit,
                                                            studio: Path,
                                                            tmp_path: Path) -> None:
    (studio / "aigate.yaml").write_text(
        "show: TESTSHOW\npolicy: pack.yaml\napprovals: approvals/\nc2pa: {disclose: all}\n")
    run = _sign(cli, mediakit.video(tmp_path / "render.mp4"), cut, kit)
    assert run.code != 0 and "aigate.yaml" in run.err and "disclose" in run.err


@pytest.fixture
def expired_kit(tmp_path: Path) -> Path:
    """A CA and a leaf valid from 30 days ago until yesterday, in a folder."""
    signing = mediakit.signing_kit("lapsed studio", expired=True)
    folder = tmp_path / "expired"
    folder.mkdir()
    (folder / "ca.pem").write_bytes(signing.ca_pem)
    (folder / "chain.pem").write_bytes(signing.chain_pem)
    (folder / "leaf.key").write_bytes(signing.key_pem)
    return folder


def test_an_expired_certificate_without_a_time_stamp_is_said_as_exactly_that(
        cli, studio: Path, expired_kit: Path, tmp_path: Path) -> None:
    # signed ten days ago, while the certificate was valid; read today, after it expired
    signed = tsa.sign_in_the_past(10, expired_kit, mediakit.video(tmp_path / "raw.mp4"),
                                  studio / "media" / "OLD_GEN.mp4")
    shown = cli("credentials", "show", signed)
    assert shown.code == 1
    assert "expired and no time-stamp" in shown.out
    assert "changed" not in shown.out
    cut = write(studio / "cut.otio", timeline([clip("OLD_GEN", aigate=ai(),
                                                    url="media/OLD_GEN.mp4")]))
    run = cli("check", cut, "--stage", "final", "--format", "json")
    reasons = " ".join(f["message"] for s in run.json["subjects"] for i in s["items"]
                       for f in i["findings"] if f["rule"] == "manifest-invalid")
    assert "expired" in reasons and "no time-stamp" in reasons
    assert "changed after signing" not in reasons


def test_a_time_stamp_keeps_credentials_valid_after_the_certificate_expires(
        cli, studio: Path, expired_kit: Path, tmp_path: Path) -> None:
    with tsa.authority(days_ago=10, anchor=tmp_path / "tsa-ca.pem") as (url, answered):
        signed = tsa.sign_in_the_past(10, expired_kit, mediakit.video(tmp_path / "raw.mp4"),
                                      studio / "media" / "OLD_GEN.mp4", ta_url=url)
    assert answered
    # a reader that trusts the time-stamp authority (as readers trust the C2PA TSA list)
    anchors = studio / "anchors.pem"
    anchors.write_bytes((tmp_path / "tsa-ca.pem").read_bytes()
                        + (expired_kit / "ca.pem").read_bytes())
    (studio / "aigate.yaml").write_text(
        "show: TESTSHOW\npolicy: pack.yaml\napprovals: approvals/\n"
        "c2pa: {trust_anchors: anchors.pem}\n")
    shown = cli("credentials", "show", signed)
    assert "signingCredential.expired" not in shown.out, shown.out
    assert "(time-stamped)" in shown.out and "Valid" in shown.out
