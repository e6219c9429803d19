"""Ways around the gate an outside review found after the first trust pass, each built and
shown to fail: a symlinked aigate.yaml that borrows a trusted file but a vendor's folder, a
symlinked or differently-cased deliverables folder, media left unread at final, a swapped
file behind a ledger entry, a cache another user can write, timelines a folder search
skipped."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import opentimelineio as otio
import pytest

from aigate.core.gate import GateLocked
from aigate_otio_hooks import pre_adapter_write
from helpers import ai, clip, timeline, write
from mediakit import TRAINED, still, xmp_packet

LENIENT = """\
extends: netflix-genai
rules:
  final-deliverable-use: {enabled: false}
  tool-unvetted: {enabled: false}
  undeclared-ai: {enabled: false}
"""


def final_verdict(cli, path: Path, *args: str | Path) -> tuple[int, dict[str, str]]:
    run = cli("check", path, "--stage", "final", "--format", "json", *args)
    return run.code, run.verdicts()


def test_a_symlinked_config_is_read_from_where_it_lives(cli, tmp_path, monkeypatch):
    """The vendor links the show's trusted aigate.yaml into its own folder, beside a lenient
    policy of the same relative name: the show's policy must still govern."""
    show, vendor = tmp_path / "show", tmp_path / "vendor"
    (show / "policy").mkdir(parents=True)
    (show / "policy" / "studio.yaml").write_text("extends: netflix-genai\n")
    (show / "aigate.yaml").write_text("show: S\npolicy: policy/studio.yaml\n")
    (vendor / "policy").mkdir(parents=True)
    (vendor / "policy" / "studio.yaml").write_text(LENIENT)
    (vendor / "aigate.yaml").symlink_to(show / "aigate.yaml")
    cut = write(vendor / "cut.otio", timeline([clip("GEN", 2, ai())]))
    monkeypatch.setenv("AIGATE_TRUSTED_ROOTS", str(show))
    code, verdicts = final_verdict(cli, cut)
    assert (code, verdicts) == (1, {"GEN": "lock"})
    run = cli("check", cut, "--stage", "final")
    assert f"config {show / 'aigate.yaml'}" in run.out


@pytest.mark.parametrize("how", ["symlinked folder", "capitalised folder"])
def test_a_deliverables_folder_is_final_however_it_is_reached(tmp_path, how):
    (tmp_path / "aigate.yaml").write_text("show: S\n")
    if how == "symlinked folder":
        (tmp_path / "san").mkdir()
        (tmp_path / "deliverables").symlink_to(tmp_path / "san")
        output = tmp_path / "deliverables" / "cut.edl"
    else:
        output = tmp_path / "Deliverables" / "cut.edl"
        output.parent.mkdir()
    cut = timeline([clip("GEN", 2, ai())])
    with pytest.raises(GateLocked):
        pre_adapter_write(cut, {"_filepath": str(output)})
    assert not output.exists()


def test_media_found_but_not_read_is_a_finding_at_final(cli, tmp_path):
    """An export written outside the show: its media now lie outside the media roots, so
    their AI sidecar is not read. At final that is a lock, not "no provenance"."""
    media = tmp_path / "show" / "media"
    media.mkdir(parents=True)
    still(media / "gen.png")
    (media / "gen.xmp").write_text(xmp_packet(TRAINED))
    cut = timeline([clip("GEN", 2, url=(media / "gen.png").as_uri())])
    inside = write(tmp_path / "show" / "cut.otio", cut)
    outside = write(tmp_path / "elsewhere" / "cut.otio", cut)
    assert final_verdict(cli, inside)[1] == {"GEN": "lock"}  # the sidecar says AI
    run = cli("check", outside, "--stage", "final", "--format", "json")
    assert run.code == 1 and run.findings("GEN") == {"media-missing": "lock"}
    # before final it is a note (an info finding), as the pack's table says
    edit = cli("check", outside, "--stage", "edit", "--format", "json")
    assert edit.code == 0 and edit.findings("GEN") == {"media-missing": "info"}


def test_a_swapped_file_behind_a_ledger_path_gets_no_identity(cli, tmp_path):
    media = tmp_path / "genai"
    media.mkdir()
    original = still(media / "poster.png")
    digest = hashlib.sha256(original.read_bytes()).hexdigest()
    (tmp_path / "ledger.yaml").write_text(
        "aigate_ledger: 1\nassets:\n  - {asset_id: A-42, media: '**/genai/poster.png', "
        f"sha256: {digest}, generated: true, tool: {{name: Firefly, vendor: Adobe}}, "
        "purpose: final}\n")
    (tmp_path / "pack.yaml").write_text(
        "extends: netflix-genai\nvetted_tools: [{name: Firefly, vendor: Adobe, "
        "enterprise: true}]\n")
    (tmp_path / "approvals").mkdir()
    (tmp_path / "approvals" / "APR-1.yaml").write_text(
        "id: APR-1\ngrants: [final-deliverable-use]\nscope: {asset_ids: [A-42]}\n"
        "approver: {name: Dana Ruiz, role: Production Legal}\nissued: 2026-01-01\n")
    (tmp_path / "aigate.yaml").write_text(
        "show: S\npolicy: pack.yaml\napprovals: approvals/\nledger: ledger.yaml\n")
    cut = write(tmp_path / "cut.otio", timeline([clip("POSTER", 2, ai(), url="genai/poster.png")]))
    assert final_verdict(cli, cut, "--as-of", "2026-06-01") == (0, {"POSTER": "info"})
    with original.open("ab") as handle:  # the file behind the ledger entry is swapped
        handle.write(b"\x00 other pixels")
    run = cli("check", cut, "--stage", "final", "--format", "json", "--as-of", "2026-06-01")
    assert run.code == 1 and run.verdicts() == {"POSTER": "lock"}
    findings = run.findings("POSTER")
    assert findings["final-deliverable-use"] == "lock"
    assert findings["provenance-malformed"] == "lock"


def test_a_cache_another_user_can_write_is_not_used(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    media = tmp_path / "media"
    media.mkdir()
    still(media / "gen.png")
    (media / "gen.xmp").write_text(xmp_packet(TRAINED))
    (tmp_path / "aigate.yaml").write_text("show: S\n")
    cut = write(tmp_path / "cut.otio", timeline([clip("GEN", 2, url="media/gen.png")]))
    assert final_verdict(cli, cut)[1] == {"GEN": "lock"}
    database = tmp_path / "cache" / "aigate" / "provenance.sqlite"
    with sqlite3.connect(database) as db:  # someone rewrites the answer: "nothing here"
        assert db.execute("UPDATE claims SET value='null'").rowcount > 0
    os.chmod(database, 0o666)
    assert final_verdict(cli, cut)[1] == {"GEN": "lock"}  # read again, not believed
    os.chmod(database, 0o644)
    os.chmod(database.parent, 0o777)
    assert final_verdict(cli, cut)[1] == {"GEN": "lock"}


def test_a_folder_search_follows_linked_folders_and_hidden_files(cli, tmp_path):
    delivery, mount = tmp_path / "delivery", tmp_path / "vendor_mount"
    delivery.mkdir()
    mount.mkdir()
    write(delivery / "clean.otio", timeline([clip("CAM", 2)], name="clean"))
    write(mount / "reel2.otio", timeline([clip("GEN2", 2, ai())], name="reel2"))
    write(delivery / ".reel3.otio", timeline([clip("GEN3", 2, ai())], name="reel3"))
    (delivery / "reel2").symlink_to(mount)
    (mount / "loop").symlink_to(delivery)  # a link loop ends
    (delivery / "._clean.otio").write_bytes(b"\x00\x05\x16\x07AppleDouble")
    run = cli("check", delivery, "--stage", "final", "--format", "json")
    assert run.code == 1, run.err
    names = sorted(s["name"] for s in run.json["subjects"])
    assert names == ["clean", "reel2", "reel3"]
    assert run.json["errors"] == []


def test_otio_reads_what_the_export_hook_gates(tmp_path):
    """The hook refuses a locked cut written into deliverables through a symlinked path;
    nothing is written, as through OTIO's own write_to_file."""
    (tmp_path / "real").mkdir()
    (tmp_path / "deliverables").symlink_to(tmp_path / "real")
    out = tmp_path / "deliverables" / "cut.otio"
    with pytest.raises(GateLocked):
        otio.adapters.write_to_file(timeline([clip("GEN", 2, ai())]), str(out))
    assert list((tmp_path / "real").iterdir()) == []


@pytest.mark.parametrize("how", ["decoy packet first", "capture declared first"])
def test_every_xmp_packet_and_source_type_counts(cli, tmp_path, how):
    media = tmp_path / "media"
    media.mkdir()
    plain = still(media / "plain.jpg").read_bytes()
    capture = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
    if how == "decoy packet first":
        packets = [xmp_packet(capture), xmp_packet(TRAINED)]
    else:  # one packet naming a capture, then a trained model
        packets = [xmp_packet(capture).replace(
            "</rdf:RDF>", xmp_packet(TRAINED).split("<rdf:RDF", 1)[1].split(">", 1)[1]
            .removesuffix("</x:xmpmeta>"))]
    segments = b"".join(
        b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body
        for body in (b"http://ns.adobe.com/xap/1.0/\x00" + p.encode() for p in packets))
    (media / "gen.jpg").write_bytes(plain[:2] + segments + plain[2:])
    (tmp_path / "aigate.yaml").write_text("show: S\n")
    cut = write(tmp_path / "cut.otio", timeline([clip("GEN", 2, url="media/gen.jpg")]))
    run = cli("check", cut, "--stage", "final", "--format", "json")
    assert run.verdicts() == {"GEN": "lock"}, run.out
    assert run.findings("GEN")["undeclared-ai"] == "lock"


def approved_show(root: Path) -> Path:
    """A show whose one AI clip is approved for final use until 2026-01-01 (expired now)."""
    (root / "approvals").mkdir(parents=True)
    (root / "pack.yaml").write_text(
        "extends: netflix-genai\nvetted_tools: [{name: Firefly, vendor: Adobe, "
        "enterprise: true}]\n")
    (root / "approvals" / "APR-1.yaml").write_text(
        "id: APR-1\ngrants: [final-deliverable-use]\nscope: {clips: [GEN]}\n"
        "approver: {name: Dana Ruiz, role: Production Legal}\nissued: 2025-01-01\n"
        "expires: 2026-01-01\n")
    (root / "aigate.yaml").write_text("show: S\npolicy: pack.yaml\napprovals: approvals/\n")
    return write(root / "cut.otio", timeline([clip("GEN", 2, ai())]))


def test_as_of_replays_history_but_writes_no_deliverable(cli, tmp_path):
    """--as-of answers what the gate said on a date (and says so); an export at final is
    judged today: an expired approval cannot be brought back to write a deliverable."""
    cut = approved_show(tmp_path)
    assert final_verdict(cli, cut) == (1, {"GEN": "lock"})  # expired today
    then = cli("check", cut, "--stage", "final", "--as-of", "2025-12-01")
    assert then.code == 0 and "as of 2025-12-01" in then.out
    out = tmp_path / "deliverables" / "cut.otio"
    run = cli("annotate", cut, out, "--as-of", "2025-12-01")
    assert run.code == 2 and "judged as of today" in run.err
    assert not out.exists()


def test_annotate_into_deliverables_is_an_export(cli, tmp_path):
    """An annotated copy written into deliverables/ is a deliverable: a locked cut is
    refused and nothing is written, and a lower --stage cannot talk it down."""
    cut = approved_show(tmp_path)
    out = tmp_path / "deliverables" / "cut.edl"
    run = cli("annotate", cut, out)
    assert run.code == 1 and "export refused" in run.err and f"{out}: not written" in run.err
    lowered = cli("annotate", cut, out, "--stage", "edit")
    assert lowered.code == 2 and "deliverables" in lowered.err
    assert not out.parent.exists() or list(out.parent.iterdir()) == []
    review = tmp_path / "review" / "cut.otio"  # a review copy elsewhere is written
    assert cli("annotate", cut, review, "--stage", "final").code == 1 and review.exists()


def test_media_packed_in_an_otioz_bundle_is_never_no_provenance(cli, tmp_path):
    """OTIO's .otioz writer packs the media into the archive; the gate does not read inside
    it, so at final a packed clip is a lock (media-missing), never a pass."""
    media = tmp_path / "media"
    media.mkdir()
    still(media / "gen.png")
    (tmp_path / "aigate.yaml").write_text("show: S\n")
    cut = timeline([clip("GEN", 2, url=str(media / "gen.png"))])
    bundle = tmp_path / "shot.otioz"
    write(bundle, cut, "otioz")
    (media / "gen.png").unlink()  # only the bundle is delivered
    run = cli("check", bundle, "--stage", "final", "--format", "json")
    assert run.code == 1 and run.findings("GEN") == {"media-missing": "lock"}, run.out
    edit = cli("check", bundle, "--stage", "edit", "--format", "json")
    assert edit.code == 0 and "inside the bundle" in edit.json["subjects"][0]["items"][0][
        "media_note"]
