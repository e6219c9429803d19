"""`aigate credentials`: Content Credentials on a rendered deliverable, signed offline with a
CA and leaf made here, read back with c2pa-python's Reader; and `aigate check` finding the
AI disclosure when the deliverable is media in a later timeline."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import mediakit
from helpers import ROOT, ai, clip, timeline, write

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


@pytest.fixture
def cut(studio: Path) -> Path:
    """A cut that passes at final: one approved AI clip whose media carries its generator's
    own Content Credentials, and a camera plate."""
    vendor = mediakit.signing_kit("vendor")
    mediakit.sign(mediakit.video(studio / "raw" / "gen.mp4"), studio / "media" / "GEN.mp4",
                  vendor, tool="Firefly", version="3")
    mediakit.video(studio / "media" / "PLATE.mp4")
    (studio / "approvals" / "a1.yaml").write_text(
        "id: APR-1\ngrants: [final-deliverable-use]\nscope: {clips: [GEN]}\n"
        "approver: Dana Ruiz\n")
    return write(studio / "cut.otio", timeline([
        clip("PLATE", url="media/PLATE.mp4"),
        clip("GEN", aigate=ai(), url="media/GEN.mp4")]))


def _read(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    import c2pa

    with c2pa.Reader(str(path)) as reader:
        store = json.loads(reader.json())
    return store, store["manifests"][store["active_manifest"]]


def _assertion(manifest: dict[str, Any], label: str) -> Any:
    return next(a["data"] for a in manifest["assertions"] if a["label"] == label)


@pytest.mark.parametrize("suffix", [".mp4", ".jpg"])
def test_deliverable_carries_credentials_with_the_chain_kept(cli, cut: Path, kit, tmp_path: Path,
                                                              suffix: str) -> None:
    keys = tmp_path / "keys"
    assert cli("approvals", "keygen", "conform", "--out", keys).code == 0
    envelope = tmp_path / "cut.intoto.json"
    assert cli("attest", cut, "--stage", "final", "--key", keys / "conform.key",
               "--output", envelope).code == 0
    rendered = (mediakit.video(tmp_path / f"render{suffix}") if suffix == ".mp4"
                else mediakit.still(tmp_path / f"render{suffix}"))
    before = rendered.read_bytes()
    run = cli("credentials", rendered, "--from", cut, "--cert", kit["cert"], "--key",
              kit["key"], "--attestation", envelope, "--trusted-keys", keys / "conform.pub",
              "--output", tmp_path / f"out{suffix}")
    assert run.code == 0, run.err
    assert rendered.read_bytes() == before  # the input is never changed
    store, manifest = _read(tmp_path / f"out{suffix}")
    assert store["validation_state"] in ("Valid", "Trusted")
    assert not [s for s in store.get("validation_status", ())
                if s["code"] != "signingCredential.untrusted"]  # only: our CA not anchored
    actions = _assertion(manifest, "c2pa.actions.v2")["actions"]
    assert actions[0]["action"] == "c2pa.created"
    assert actions[0]["digitalSourceType"] == IPTC + "compositeWithTrainedAlgorithmicMedia"
    (ingredient,) = manifest["ingredients"]
    # by default the public file names no internal file: "AI clip 1", not GEN.mp4
    assert ingredient["title"] == "AI clip 1.mp4"
    assert ingredient["relationship"] == "componentOf"
    own = store["manifests"][ingredient["active_manifest"]]  # the generator's manifest, kept
    generator = _assertion(own, "c2pa.actions.v2")["actions"][0]
    assert generator["digitalSourceType"] == IPTC + "trainedAlgorithmicMedia"
    # the full attestation stays a sidecar: the record carries its digest
    assert not [a for a in manifest["assertions"] if a["label"] == "com.aigate.attestation"]
    verdict = _assertion(manifest, "com.aigate.verdict")
    assert verdict["attestation_sha256"] == hashlib.sha256(envelope.read_bytes()).hexdigest()
    assert verdict["verdict"] == "info" and verdict["stage"] == "final"
    assert verdict["counts"]["ai"] == 1 and verdict["policy"]["name"]
    assert "timelines" not in verdict


def test_a_cut_without_ai_is_human_edits(cli, studio: Path, kit, tmp_path: Path) -> None:
    mediakit.video(studio / "media" / "PLATE.mp4")
    plain = write(studio / "plain.otio", timeline([clip("PLATE", url="media/PLATE.mp4")]))
    rendered = mediakit.video(tmp_path / "render.mp4")
    run = cli("credentials", rendered, "--from", plain, "--cert", kit["cert"], "--key",
              kit["key"])
    assert run.code == 0, run.err
    _, manifest = _read(tmp_path / "render.c2pa.mp4")
    actions = _assertion(manifest, "c2pa.actions.v2")["actions"]
    assert actions[0]["digitalSourceType"] == IPTC + "humanEdits"
    assert not manifest.get("ingredients")


def test_a_locked_cut_gets_no_credentials(cli, kit, tmp_path: Path) -> None:
    show = tmp_path / "show"
    shutil.copytree(ROOT / "sample_timelines", show)
    rendered = mediakit.video(tmp_path / "ep101.mp4")
    run = cli("credentials", rendered, "--from", show / "ep101_cut_v12.otio", "--cert",
              kit["cert"], "--key", kit["key"])
    assert run.code == 1
    assert "locked at stage final" in run.err
    assert not (tmp_path / "ep101.c2pa.mp4").exists()


def test_check_finds_the_ai_disclosure_in_the_deliverable(cli, cut: Path, kit,
                                                          tmp_path: Path) -> None:
    rendered = mediakit.video(tmp_path / "render.mp4")
    signed = cut.parent / "media" / "EP101_MASTER.mp4"
    assert cli("credentials", rendered, "--from", cut, "--cert", kit["cert"], "--key",
               kit["key"], "--output", signed).code == 0
    # a later timeline uses the deliverable as plain media: it declares nothing
    later = write(cut.parent / "trailer.otio", timeline([
        clip("EP101_MASTER", url="media/EP101_MASTER.mp4")]))
    run = cli("check", later, "--stage", "final", "--format", "json")
    findings = run.findings("EP101_MASTER")
    assert findings["undeclared-ai"] == "lock"
    assert run.code == 1
    item = next(i for s in run.json["subjects"] for i in s["items"])
    assert item["ai"] and item["evidence"][0].startswith("c2pa (valid)")
    # the tool is the generator's, from the ingredient's own manifest, not aigate
    assert "Firefly 3" in json.dumps(item["findings"])


def test_a_key_that_is_not_a_key_is_one_line(cli, cut: Path, kit, tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    rendered = mediakit.video(tmp_path / "render.mp4")
    run = cli("credentials", rendered, "--from", cut, "--cert", kit["cert"], "--key", bad)
    assert run.code == 2 and "bad.key" in run.err and "Traceback" not in run.err


# --- second round: the attacks a review built


def _attested(cli, cut: Path, tmp_path: Path, name: str = "conform") -> Path:
    keys = tmp_path / "keys"
    assert cli("approvals", "keygen", name, "--out", keys).code == 0
    envelope = tmp_path / f"{name}.intoto.json"
    assert cli("attest", cut, "--stage", "final", "--key", keys / f"{name}.key",
               "--output", envelope).code == 0
    return envelope


def test_a_forged_attestation_is_not_embedded(cli, cut: Path, kit, tmp_path: Path) -> None:
    """Signed by a key nobody trusts: refused, nothing written."""
    forged = _attested(cli, cut, tmp_path, "forger")
    assert cli("approvals", "keygen", "conform", "--out", tmp_path / "keys").code == 0
    rendered = mediakit.video(tmp_path / "render.mp4")
    run = cli("credentials", rendered, "--from", cut, "--cert", kit["cert"], "--key",
              kit["key"], "--attestation", forged, "--trusted-keys",
              tmp_path / "keys" / "conform.pub")
    assert run.code == 2 and "forger.intoto.json: not embedded" in run.err
    assert "not a trusted key" in run.err
    assert not (tmp_path / "render.c2pa.mp4").exists()
    untrusted = cli("credentials", rendered, "--from", cut, "--cert", kit["cert"], "--key",
                    kit["key"], "--attestation", forged)  # no attestation key at all
    assert untrusted.code == 2 and "no attestation keys" in untrusted.err
    assert not (tmp_path / "render.c2pa.mp4").exists()


def test_an_attestation_of_the_cut_before_an_edit_is_not_embedded(cli, cut: Path, kit,
                                                                   tmp_path: Path) -> None:
    envelope = _attested(cli, cut, tmp_path)
    cut.write_text(cut.read_text().replace('"PLATE"', '"PLATE_B"', 1))
    rendered = mediakit.video(tmp_path / "render.mp4")
    run = cli("credentials", rendered, "--from", cut, "--cert", kit["cert"], "--key",
              kit["key"], "--attestation", envelope, "--trusted-keys",
              tmp_path / "keys" / "conform.pub")
    assert run.code == 2 and "does not attest" in run.err and "cut.otio" in run.err
    assert not (tmp_path / "render.c2pa.mp4").exists()


def test_a_lower_stage_does_not_sign_a_cut_locked_at_final(cli, kit, tmp_path: Path) -> None:
    show = tmp_path / "show"
    shutil.copytree(ROOT / "sample_timelines", show)
    (show / "deliverables").mkdir()
    rendered = mediakit.video(tmp_path / "ep101.mp4")
    output = show / "deliverables" / "EP101.mp4"
    run = cli("credentials", rendered, "--from", show / "ep101_cut_v12.otio", "--cert",
              kit["cert"], "--key", kit["key"], "--stage", "edit", "--output", output)
    assert run.code == 2 and "--stage edit" in run.err and "stage final" in run.err
    assert not output.exists()


@pytest.mark.parametrize("target", ["timeline", "key", "cert", "attestation", "link"])
def test_the_output_is_never_an_input(cli, cut: Path, kit, tmp_path: Path,
                                      target: str) -> None:
    envelope = _attested(cli, cut, tmp_path)
    link = tmp_path / "link.mp4"
    link.symlink_to(cut)  # a link to the timeline is the timeline
    output = {"timeline": cut, "key": kit["key"], "cert": kit["cert"],
              "attestation": envelope, "link": link}[target]
    before = {p: p.read_bytes() for p in (cut, kit["key"], kit["cert"], envelope)}
    rendered = mediakit.video(tmp_path / "render.mp4")
    run = cli("credentials", rendered, "--from", cut, "--cert", kit["cert"], "--key",
              kit["key"], "--attestation", envelope, "--trusted-keys",
              tmp_path / "keys" / "conform.pub", "--output", output)
    assert run.code == 2 and "is one of the inputs" in run.err
    assert {p: p.read_bytes() for p in before} == before


def test_a_timeline_suffix_is_refused_as_output(cli, cut: Path, kit, tmp_path: Path) -> None:
    rendered = mediakit.video(tmp_path / "render.mp4")
    output = cut.parent / "cut_v2.otio"
    run = cli("credentials", rendered, "--from", cut, "--cert", kit["cert"], "--key",
              kit["key"], "--output", output)
    assert run.code == 2 and "a timeline's suffix" in run.err
    assert not output.exists()


def test_renamed_media_is_signed_and_carried_as_what_its_bytes_are(cli, studio: Path, kit,
                                                                    tmp_path: Path) -> None:
    # the AI clip's signed movie under a name that says nothing, the render under a lying
    # one: the SDK is told what each file is by its bytes, and the chain is still carried
    vendor = mediakit.signing_kit("vendor")
    mediakit.sign(mediakit.video(studio / "raw" / "gen.mp4"), studio / "media" / "GEN.dat",
                  vendor, tool="Firefly", version="3")
    (studio / "approvals" / "a1.yaml").write_text(
        "id: APR-1\ngrants: [final-deliverable-use]\nscope: {clips: [GEN]}\n"
        "approver: Dana Ruiz\n")
    cut = write(studio / "cut.otio", timeline([clip("GEN", aigate=ai(), url="media/GEN.dat")]))
    rendered = mediakit.video(tmp_path / "render.mp4").rename(tmp_path / "render.mxf")
    run = cli("credentials", rendered, "--from", cut, "--cert", kit["cert"], "--key",
              kit["key"], "--output", tmp_path / "out.qt")
    assert run.code == 0, run.err
    store, manifest = _read_as(tmp_path / "out.qt", "video/mp4")
    (ingredient,) = manifest["ingredients"]
    assert ingredient["relationship"] == "componentOf"
    own = store["manifests"][ingredient["active_manifest"]]
    assert _assertion(own, "c2pa.actions.v2")["actions"][0]["digitalSourceType"] == \
        IPTC + "trainedAlgorithmicMedia"


def _read_as(path: Path, mime: str) -> tuple[dict[str, Any], dict[str, Any]]:
    import c2pa

    with path.open("rb") as stream, c2pa.Reader(mime, stream) as reader:
        store = json.loads(reader.json())
    return store, store["manifests"][store["active_manifest"]]
