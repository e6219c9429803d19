"""Provenance from the media itself and the studio's ledger (issue 4), on real media signed
with real c2pa-python, made offline by the tests."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from aigate.model import STAGES
from aigate_c2pa import READER
from aigate_c2pa.store import claim_from_store
from helpers import ai, bytes_read, clip, timeline, write
from mediakit import CAPTURE, TRAINED, sign, signing_kit, sound, still, tamper, video, xmp_packet


@pytest.fixture(scope="module")
def kit():
    return signing_kit()


@pytest.fixture(scope="module")
def movies(tmp_path_factory, kit):
    """An unsigned movie, a signed GenAI one, a signed camera one, a tampered one."""
    root = tmp_path_factory.mktemp("movies")
    plain = video(root / "plain.mp4")
    return {"plain": plain,
            "genai": sign(plain, root / "genai.mp4", kit),
            "camera": sign(plain, root / "camera.mp4", kit, source_type=CAPTURE, tool="CamApp"),
            "tampered": tamper(sign(plain, root / "src.mp4", kit), root / "tampered.mp4")}


def show(tmp_path: Path, *media: Path, config: str = "", names: tuple[str, ...] = ()) -> Path:
    """A timeline without any aigate metadata whose clips point at ``media`` (copied in)."""
    (tmp_path / "media").mkdir(exist_ok=True)
    clips = []
    for i, source in enumerate(media):
        target = tmp_path / "media" / source.name
        if not target.exists():
            target.write_bytes(source.read_bytes())
        name = names[i] if i < len(names) else f"SH{i + 1:03d}"
        clips.append(clip(name, 2, url=f"media/{source.name}"))
    (tmp_path / "aigate.yaml").write_text(config or "show: TEST\n")
    return write(tmp_path / "cut.otio", timeline(clips))


def item(run, name: str) -> dict:
    return next(i for s in run.json["subjects"] for i in s["items"] if i["clip"] == name)


def test_signed_genai_mp4_without_metadata_is_ai_with_c2pa_evidence_and_locked(
        cli, tmp_path, movies):
    path = show(tmp_path, movies["plain"], movies["genai"])
    run = cli("check", path, "--stage", "final", "--format", "json")
    assert run.code == 1
    sh2 = item(run, "SH002")
    assert sh2["ai"] is True and sh2["verdict"] == "lock"
    assert sh2["evidence"] == ["c2pa (valid): Valid (signingCredential.untrusted)"]
    rules = {f["rule"]: f["severity"] for f in sh2["findings"]}
    assert rules["undeclared-ai"] == "lock" and rules["final-deliverable-use"] == "lock"
    assert "generated according to c2pa (valid)" in next(
        f["message"] for f in sh2["findings"] if f["rule"] == "undeclared-ai")
    assert rules["tool-unvetted"] == "lock"  # the tool comes from the manifest: GenTool 3.1
    assert "GenTool 3.1" in str(sh2["findings"])
    assert item(run, "SH001")["verdict"] == "pass"  # the unsigned camera file
    edit = cli("check", path, "--stage", "edit", "--format", "json")
    assert {f["rule"]: f["severity"] for f in item(edit, "SH002")["findings"]}[
        "undeclared-ai"] == "warn"


def test_trust_anchor_from_config_makes_the_signer_trusted(cli, tmp_path, movies, kit):
    kit.write_anchor(tmp_path / "anchors.pem")
    path = show(tmp_path, movies["genai"], config="c2pa: {trust_anchors: anchors.pem}\n")
    run = cli("check", path, "--format", "json")
    assert item(run, "SH001")["evidence"] == ["c2pa (trusted): Trusted"]


def test_tampered_copy_is_an_invalid_manifest_finding(cli, tmp_path, movies):
    path = show(tmp_path, movies["tampered"])
    got = {}
    for stage in STAGES:
        run = cli("check", path, "--stage", stage, "--format", "json")
        sh = item(run, "SH001")
        got[stage] = {f["rule"]: f["severity"] for f in sh["findings"]}["manifest-invalid"]
    assert got == {"import": "warn", "edit": "warn", "review": "lock", "final": "lock"}
    assert sh["evidence"][0].startswith("c2pa (invalid): Invalid (")
    assert "assertion.bmffHash.mismatch" in sh["evidence"][0]


def test_signed_camera_capture_is_not_ai(cli, tmp_path, movies):
    run = cli("check", show(tmp_path, movies["camera"]), "--stage", "final", "--format", "json")
    sh = item(run, "SH001")
    assert (sh["ai"], sh["verdict"]) == (False, "pass")
    assert sh["evidence"] == ["c2pa (valid): Valid (signingCredential.untrusted)"]


@pytest.mark.parametrize("make,suffix", [(still, ".jpg"), (still, ".png"), (sound, ".wav"),
                                         (video, ".mov")])
def test_other_media_kinds(cli, tmp_path, kit, make, suffix):
    source = make(tmp_path / "src" / f"plain{suffix}")
    signed = sign(source, tmp_path / "src" / f"gen{suffix}", kit)
    run = cli("check", show(tmp_path, signed), "--format", "json")
    assert item(run, "SH001")["ai"] is True


@pytest.mark.parametrize("form", ["attribute", "text", "resource"])
def test_xmp_sidecar_declares_genai(cli, tmp_path, movies, form):
    path = show(tmp_path, movies["plain"])
    (tmp_path / "media" / "plain.xmp").write_text(xmp_packet(TRAINED, form, "Midjourney"))
    run = cli("check", path, "--stage", "final", "--format", "json")
    sh = item(run, "SH001")
    assert sh["ai"] is True and sh["evidence"] == ["xmp sidecar (claimed): XMP sidecar plain.xmp"]
    assert "Midjourney" in str(sh["findings"])


def test_xmp_embedded_in_a_jpeg(cli, tmp_path):
    plain = still(tmp_path / "src" / "still.jpg").read_bytes()
    packet = b"http://ns.adobe.com/xap/1.0/\x00" + xmp_packet(
        "https://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
    ).encode()
    segment = b"\xff\xe1" + (len(packet) + 2).to_bytes(2, "big") + packet
    (tmp_path / "src" / "xmp.jpg").write_bytes(plain[:2] + segment + plain[2:])
    run = cli("check", show(tmp_path, tmp_path / "src" / "xmp.jpg"), "--format", "json")
    sh = item(run, "SH001")
    assert sh["ai"] is True and sh["evidence"] == ["xmp embedded (claimed): embedded XMP"]


def test_xmp_entity_bomb_is_a_finding_and_the_rest_is_checked(cli, tmp_path, movies):
    path = show(tmp_path, movies["plain"], movies["genai"])
    (tmp_path / "media" / "plain.xmp").write_text(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
        '"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        "&lol2;</x:xmpmeta>")
    run = cli("check", path, "--stage", "final", "--format", "json")
    malformed = item(run, "SH001")["findings"]
    assert malformed[0]["rule"] == "provenance-malformed"
    assert "entity declarations refused (possible entity bomb)" in malformed[0]["message"]
    assert item(run, "SH002")["ai"] is True


LEDGER_YAML = """\
aigate_ledger: 1
assets:
  - {{asset_id: NF-0042, generated: true, tool: {{name: Stable Audio}}, purpose: temp}}
  - {{media: "**/plain.mp4", generated: true, tool: {{name: Firefly, vendor: Adobe}},
     purpose: final}}
  - {{sha256: {digest}, generated: true, purpose: previz}}
"""


def test_ledger_by_media_glob_asset_id_and_sha256(cli, tmp_path, movies):
    import hashlib

    still_path = still(tmp_path / "src" / "frame.png")
    digest = hashlib.sha256(still_path.read_bytes()).hexdigest()
    (tmp_path / "ledger.yaml").write_text(LEDGER_YAML.format(digest=digest))
    show(tmp_path, movies["plain"], still_path, config="ledger: ledger.yaml\n")
    tl = timeline([clip("SH001", 2, url="media/plain.mp4"),
                   clip("SH002", 2, url="media/frame.png"),
                   clip("SH003", 2, {"asset_id": "NF-0042"}, url="media/missing.wav")])
    path = write(tmp_path / "cut.otio", tl)
    run = cli("check", path, "--format", "json")
    assert [item(run, n)["evidence"] for n in ("SH001", "SH002", "SH003")] == [
        ["ledger (trusted): ledger.yaml:4"], ["ledger (trusted): ledger.yaml:6"],
        # found only by the asset id the clip claims: no more trusted than that claim
        ["clip metadata (claimed)",
         "ledger (claimed): ledger.yaml:3, found only by the asset id 'NF-0042' the clip claims",
         f"media (hint): not found: {tmp_path / 'media' / 'missing.wav'}"]]
    assert all(item(run, n)["ai"] for n in ("SH001", "SH002", "SH003"))
    # the ledger is the studio's word, so undeclared-ai fires where the timeline is silent
    assert "undeclared-ai" in str(item(run, "SH001")["findings"])


def test_ledger_csv(cli, tmp_path, movies):
    (tmp_path / "ledger.csv").write_text(
        "asset_id,media,sha256,generated,tool,tool_vendor,purpose,inputs\n"
        ",**/plain.mp4,,yes,Firefly,Adobe,final,proprietary;personal_data\n")
    run = cli("check", show(tmp_path, movies["plain"], config="ledger: ledger.csv\n"),
              "--stage", "review", "--format", "json")
    sh = item(run, "SH001")
    assert sh["evidence"] == ["ledger (trusted): ledger.csv:2"]
    rules = {f["rule"] for f in sh["findings"]}
    assert {"proprietary-data-input", "personal-data-input", "undeclared-ai"} <= rules


def test_path_patterns_are_a_hint(cli, tmp_path, movies):
    (tmp_path / "media" / "genai").mkdir(parents=True)
    (tmp_path / "media" / "genai" / "x.mp4").write_bytes(movies["plain"].read_bytes())
    (tmp_path / "aigate.yaml").write_text("patterns: ['**/genai/**', '*_gen_v*']\n")
    path = write(tmp_path / "cut.otio", timeline([
        clip("SH001", 2, url="media/genai/x.mp4"), clip("SKY_gen_v2", 2, url="elsewhere.mov"),
        clip("SH003", 2, url="media/other.mov")]))
    run = cli("check", path, "--format", "json")
    assert item(run, "SH001")["evidence"] == ["path pattern (hint): matches **/genai/**"]
    assert item(run, "SKY_gen_v2")["evidence"] == [
        "path pattern (hint): matches *_gen_v*",
        f"media (hint): not found: {tmp_path / 'elsewhere.mov'}"]
    assert item(run, "SH003")["ai"] is False


def test_media_resolution_file_urls_remaps_and_roots(cli, tmp_path, movies):
    media = tmp_path / "mnt" / "show" / "media"
    media.mkdir(parents=True)
    (media / "genai.mp4").write_bytes(movies["genai"].read_bytes())
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "genai.mp4").write_bytes(movies["genai"].read_bytes())
    project = tmp_path / "project"
    (project / "aigate.yaml").parent.mkdir()
    (project / "aigate.yaml").write_text(
        f"media:\n  roots: [{tmp_path / 'mnt'}]\n"
        f"  remap: [{{from: /Volumes/SHOW, to: {tmp_path / 'mnt' / 'show'}}}]\n")
    path = write(project / "cut.otio", timeline([
        clip("URL", 2, url=(media / "genai.mp4").as_uri()),
        clip("REMAP", 2, url="/Volumes/SHOW/media/genai.mp4"),
        clip("OUTSIDE", 2, url=str(outside / "genai.mp4")),
        clip("MISSING", 2, url="/Volumes/SHOW/media/gone.mp4")]))
    run = cli("check", path, "--format", "json")
    assert item(run, "URL")["ai"] and item(run, "REMAP")["ai"]
    assert item(run, "OUTSIDE")["ai"] is False
    assert item(run, "OUTSIDE")["media_note"].startswith("outside the media roots, not read")
    assert item(run, "MISSING")["media_note"] == (
        f"not found: {tmp_path / 'mnt' / 'show' / 'media' / 'gone.mp4'}")
    assert "2 clips without readable media" in cli("check", path).out


def test_require_media_turns_missing_media_into_a_finding(cli, tmp_path, movies):
    show(tmp_path, movies["plain"])
    path = write(tmp_path / "cut.otio", timeline([clip("OK", 2, url="media/plain.mp4"),
                                                  clip("GONE", 2, url="media/gone.mp4")]))
    # at final, media the gate cannot find lock without any option
    run = cli("check", path, "--stage", "final", "--format", "json")
    assert run.code == 1 and item(run, "GONE")["media_note"].startswith("not found")
    assert item(run, "GONE")["findings"][0]["rule"] == "media-missing"
    # below final --require-media is what makes it more than a note
    assert cli("check", path, "--stage", "edit").code == 0
    run = cli("check", path, "--stage", "review", "--format", "json", "--require-media")
    assert run.code == 1
    assert item(run, "GONE")["findings"][0]["rule"] == "media-required"
    assert item(run, "OK")["verdict"] == "pass"


@pytest.mark.parametrize("kind", ["truncated", "not-media", "symlink-loop", "huge"])
def test_hostile_media_is_a_note_or_finding_never_a_crash(cli, tmp_path, movies, kind):
    media = tmp_path / "media"
    media.mkdir()
    target = media / "bad.mp4"
    if kind == "truncated":
        target.write_bytes(movies["genai"].read_bytes()[:3000])
    elif kind == "not-media":
        target.write_text("this is a text file")
    elif kind == "symlink-loop":
        os.symlink(media / "loop.mp4", target)
        os.symlink(target, media / "loop.mp4")
    else:
        with target.open("wb") as handle:  # sparse: 3 GiB on paper, nothing on disk
            handle.truncate(3 * 1024**3)
    (tmp_path / "aigate.yaml").write_text("show: T\n")
    path = write(tmp_path / "cut.otio", timeline([clip("BAD", 2, url="media/bad.mp4"),
                                                  clip("GOOD", 2, ai())]))
    read_before = bytes_read()
    run = cli("check", path, "--format", "json")
    assert run.code == 0 and "Traceback" not in run.err, run.err  # GOOD is vetted: info
    if kind == "huge" and read_before is not None:  # bounded reads: not read to the end
        assert bytes_read() - read_before < 1024**3
    bad = item(run, "BAD")
    assert bad["ai"] is False
    if kind == "symlink-loop":
        assert bad["media_note"].startswith("symlink loop")
    elif kind == "truncated":  # the manifest store is still there: it cannot be verified
        assert bad["evidence"][0].startswith(
            "c2pa (unverifiable): ISO BMFF C2PA uuid box present but unreadable:")
        assert bad["findings"][0]["rule"] == "manifest-unverifiable"
    else:  # no media format has these bytes: what the file holds cannot be checked
        assert bad["evidence"][0].startswith("c2pa (unverifiable): container not identified")
        assert bad["findings"][0]["rule"] == "manifest-unverifiable"
        assert bad["verdict"] == "warn"
    assert item(run, "GOOD")["ai"] is True



def test_unexpected_manifest_json_is_handled():
    assert claim_from_store([]).problems == ("manifest store JSON has no manifests",)
    assert claim_from_store({"manifests": {}}).problems == (
        "manifest store has no active manifest",)
    loop = {"assertions": "nope", "ingredients": [{"active_manifest": "a"}, 7]}
    store = {"manifests": {"a": loop}, "active_manifest": "a", "validation_state": 5,
             "validation_status": [None, {"code": 3}]}
    claim = claim_from_store(store)
    assert claim.generated is False and claim.validation == "Invalid"
    weird = {"manifests": {"m": {"assertions": [{"label": "c2pa.actions", "data": {
        "actions": [{"digitalSourceType": TRAINED, "softwareAgent": 12}, "x"]}}]}},
        "active_manifest": "m", "validation_state": "Valid"}
    assert claim_from_store(weird).generated is True


def test_cache_serves_a_rerun_and_notices_a_changed_file(cli, tmp_path, movies):
    path = show(tmp_path, movies["genai"])
    media = tmp_path / "media" / "genai.mp4"
    assert item(cli("check", path, "--format", "json"), "SH001")["ai"] is True
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "aigate" / "provenance.sqlite"
    rows = sqlite3.connect(cache).execute(
        "SELECT source FROM claims WHERE path=?", (str(media),)).fetchall()
    assert (f"c2pa/{READER}:none",) in rows
    assert item(cli("check", path, "--format", "json"), "SH001")["ai"] is True  # a hit
    # same size, other content, its mtime put back: the ctime changed, so it is read again
    stat = media.stat()
    media.write_bytes(movies["plain"].read_bytes().ljust(stat.st_size, b"\x00")[:stat.st_size])
    os.utime(media, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert item(cli("check", path, "--format", "json"), "SH001")["ai"] is False
    (tmp_path / "aigate.yaml").write_text("cache: off\n")
    assert item(cli("check", path, "--format", "json"), "SH001")["ai"] is False
