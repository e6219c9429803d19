"""At final, "could not look" is never "clean": each test builds AI media the gate cannot
find or would read differently from the player, and asserts the lock (or the refusal)
a user notices. Media missing, unreadable or unresolvable lock at final on every path;
an export resolves media where the timeline came from; image sequences are read frame by
frame; every spelling of a path is one file."""

from __future__ import annotations

import base64
import json
import os
import shutil
import zipfile
from pathlib import Path

import opentimelineio as otio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentimelineio.opentime import RationalTime, TimeRange

from aigate.core.gate import GateLocked
from aigate.core.media import MAX_SEQUENCE_FRAMES
from aigate_otio_hooks import ORIGIN, pre_adapter_write
from helpers import RATE, ai, clip, timeline, write
from mediakit import TRAINED, still, xmp_packet

LENIENT = """\
extends: netflix-genai
rules:
  final-deliverable-use: {enabled: false}
  tool-unvetted: {enabled: false}
"""


def final(cli, path: Path, *args: str | Path):
    return cli("check", path, "--stage", "final", "--format", "json", *args)


def ai_still(path: Path) -> Path:
    """A still whose XMP sidecar says it was generated (the AI the gate must find)."""
    still(path)
    path.with_suffix(".xmp").write_text(xmp_packet(TRAINED))
    return path


def show(root: Path, config: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pack.yaml").write_text(LENIENT)
    (root / "aigate.yaml").write_text(f"show: S\npolicy: pack.yaml\n{config}")
    return root


# --- 1. unreadable media lock at final, on every path --------------------------------------

def test_media_the_gate_cannot_find_is_a_note_then_a_warning_then_a_lock(cli, tmp_path):
    root = show(tmp_path / "show")
    cut = write(root / "cut.otio", timeline([clip("GEN", 2, url="media/gone_gen.png")]))
    severities = {}
    for stage in ("import", "edit", "review", "final"):
        run = cli("check", cut, "--stage", stage, "--format", "json")
        severities[stage] = (run.code, run.findings("GEN").get("media-missing"))
    assert severities == {"import": (0, "info"), "edit": (0, "info"),
                          "review": (0, "warn"), "final": (1, "lock")}
    # --require-media only matters below final
    run = cli("check", cut, "--stage", "edit", "--format", "json", "--require-media")
    assert run.code == 0 and run.findings("GEN") == {"media-required": "warn"}
    assert cli("check", cut, "--stage", "review", "--require-media").code == 1


@pytest.mark.parametrize("spelling", ["http://cdn.example/gen.png", "media/dir_not_file",
                                      "S:\\show\\gen.png", "//fileserver/show/gen.png"])
def test_every_kind_of_unreadable_media_locks_at_final(cli, tmp_path, spelling):
    root = show(tmp_path / "show")
    (root / "media" / "dir_not_file").mkdir(parents=True)
    cut = write(root / "cut.otio", timeline([clip("GEN", 2, url=spelling)]))
    run = final(cli, cut)
    assert run.code == 1 and run.findings("GEN") == {"media-missing": "lock"}, run.out


def test_unreadable_other_media_locks_at_final(cli, tmp_path):
    """The proxy plays, the full resolution (the one delivered) cannot be read."""
    root = show(tmp_path / "show")
    still(root / "media" / "proxy.png")
    shot = clip("SHOT", 2, url="media/proxy.png")
    shot.set_media_references({
        "DEFAULT_MEDIA": otio.schema.ExternalReference(target_url="media/proxy.png"),
        "high": otio.schema.ExternalReference(target_url="media/hires_gone.exr")},
        "DEFAULT_MEDIA")
    cut = write(root / "cut.otio", timeline([shot]))
    run = final(cli, cut)
    assert run.code == 1 and run.findings("SHOT") == {"media-missing": "lock"}


def test_every_final_path_refuses_a_cut_whose_media_cannot_be_read(cli, tmp_path):
    root = show(tmp_path / "show")
    tl = timeline([clip("GEN", 2, url="media/gone_gen.png")])
    cut = write(root / "cut.otio", tl)
    # check
    assert final(cli, cut).code == 1
    # annotate into a final location writes nothing
    out = root / "deliverables" / "cut.otio"
    assert cli("annotate", cut, out).code == 1 and not out.exists()
    # the OTIO export hook (through OTIO's own writer)
    read = otio.adapters.read_from_file(str(cut))
    with pytest.raises(GateLocked, match="media-missing"):
        otio.adapters.write_to_file(read, str(out))
    assert not out.exists()
    # attest signs no pass
    keys = tmp_path / "keys"
    assert cli("approvals", "keygen", "conform", "--out", keys).code == 0
    envelope = tmp_path / "att.json"
    run = cli("attest", cut, "--stage", "final", "--key", keys / "conform.key", "--output",
              envelope)
    assert run.code == 1 and not envelope.exists()


def test_a_show_without_media_access_says_so_in_every_report(cli, tmp_path):
    root = show(tmp_path / "show", "media: {required: false, reason: 'vendor cut, no media "
                                   "access'}\n")
    cut = write(root / "cut.otio", timeline([clip("GEN", 2, ai(), url="media/gone.png"),
                                             clip("CAM", 2, url="media/cam_gone.mov")]))
    basis = ("provenance from the timeline alone where media could not be read "
             "(media not required: vendor cut, no media access)")
    run = final(cli, cut)
    assert run.code == 0, run.out
    assert run.json["subjects"][0]["provenance_basis"] == basis
    assert run.findings("CAM") == {}
    assert basis in cli("check", cut, "--stage", "final").out
    junit = cli("check", cut, "--stage", "final", "--format", "junit").out
    assert f'name="provenance basis" value="{basis}"' in junit
    html = tmp_path / "report.html"
    cli("check", cut, "--stage", "final", "--format", "html", "--output", html)
    assert basis in html.read_text()
    register = cli("register", "--stage", "final", "--format", "csv", cut)
    assert register.code == 0 and "provenance_basis" in register.out.splitlines()[0]
    assert basis in register.out
    keys = tmp_path / "keys"
    assert cli("approvals", "keygen", "conform", "--out", keys).code == 0
    envelope = tmp_path / "att.json"
    assert cli("attest", cut, "--stage", "final", "--key", keys / "conform.key",
               "--output", envelope).code == 0
    payload = json.loads(base64.b64decode(json.loads(envelope.read_text())["payload"]))
    assert basis in json.dumps(payload)


def test_media_not_required_needs_a_reason(cli, tmp_path):
    root = show(tmp_path / "show", "media: {required: false}\n")
    cut = write(root / "cut.otio", timeline([clip("A", 2)]))
    run = cli("check", cut)
    said = run.out + run.err
    assert run.code == 2 and "'required: false' needs a 'reason'" in said
    assert "Traceback" not in said


# --- 2. an export resolves media where the timeline came from ------------------------------

def decoy_export(tmp_path: Path) -> tuple[Path, Path]:
    """The cut's relative media is AI; beside the export's output sits a clean file of the
    same relative name (the decoy a resolution against the output's folder would read)."""
    root = show(tmp_path / "show")
    ai_still(root / "media" / "shot.png")
    cut = write(root / "cut.otio", timeline([clip("SHOT", 2, url="media/shot.png")]))
    elsewhere = tmp_path / "elsewhere" / "deliverables"
    still(elsewhere / "media" / "shot.png")  # clean, no sidecar
    return cut, elsewhere / "cut.otio"


def test_an_export_from_another_folder_gets_checks_verdict(cli, tmp_path):
    cut, out = decoy_export(tmp_path)
    assert final(cli, cut).verdicts() == {"SHOT": "lock"}
    # the OTIO write hook: the timeline read from cut.otio, written elsewhere
    read = otio.adapters.read_from_file(str(cut))
    assert getattr(read, ORIGIN) == str(cut.absolute())
    with pytest.raises(GateLocked, match="undeclared-ai"):
        otio.adapters.write_to_file(read, str(out))
    assert not out.exists()
    # a caller naming the origin of a copy (no attribute) gets the same
    with pytest.raises(GateLocked, match="undeclared-ai"):
        pre_adapter_write(read.deepcopy(), {"_filepath": str(out),
                                            "aigate_origin": str(cut)})
    # without any origin relative media resolve against nothing: never the decoy
    with pytest.raises(GateLocked, match="media-missing"):
        pre_adapter_write(read.deepcopy(), {"_filepath": str(out)})
    # the Python API
    from aigate.run.session import Session

    gate = Session().gate(out)
    with pytest.raises(GateLocked, match="undeclared-ai"):
        gate.guard_export(read, output=out, origin=cut)


def test_aigate_annotate_and_check_agree_wherever_the_output_goes(cli, tmp_path):
    cut, out = decoy_export(tmp_path)
    run = cli("annotate", cut, out)
    assert run.code == 1 and not out.exists()


# --- 4. image sequences are media, frame by frame -------------------------------------------

def sequence_cut(root: Path, start: int = 1001, frames: int = 48, used: tuple[int, int] = (
        10, 20), ai_frame: int | None = None, missing: int | None = None) -> Path:
    folder = root / "plates"
    for n in range(start, start + frames):
        if n == missing:
            continue
        if n == ai_frame:
            ai_still(folder / f"sh010.{n:04d}.png")
        else:
            still(folder / f"sh010.{n:04d}.png")
    reference = otio.schema.ImageSequenceReference(
        target_url_base="plates/", name_prefix="sh010.", name_suffix=".png",
        start_frame=start, frame_zero_padding=4, rate=RATE,
        available_range=TimeRange(RationalTime(0, RATE), RationalTime(frames, RATE)))
    shot = otio.schema.Clip(name="SH010", media_reference=reference, source_range=TimeRange(
        RationalTime(used[0], RATE), RationalTime(used[1] - used[0], RATE)))
    return write(root / "cut.otio", timeline([shot]))


def test_an_ai_frame_inside_a_sequence_is_found(cli, tmp_path):
    root = show(tmp_path / "show")
    cut = sequence_cut(root, ai_frame=1001 + 15)
    run = final(cli, cut)
    assert run.code == 1 and "undeclared-ai" in run.findings("SH010"), run.out
    [item] = run.json["subjects"][0]["items"]
    assert item["ai"] and any("sh010.1016" in e for e in item["evidence"])


def test_a_frame_outside_the_range_the_clip_uses_is_not_its_media(cli, tmp_path):
    root = show(tmp_path / "show")
    cut = sequence_cut(root, ai_frame=1001 + 40)
    assert final(cli, cut).verdicts() == {"SH010": "pass"}


def test_a_missing_frame_in_the_range_locks_at_final(cli, tmp_path):
    root = show(tmp_path / "show")
    cut = sequence_cut(root, missing=1001 + 12)
    run = final(cli, cut)
    assert run.code == 1 and run.findings("SH010") == {"media-missing": "lock"}
    assert "sh010.1013.png" in run.out


def test_a_sequence_past_the_bound_is_a_clear_lock_at_final(cli, tmp_path):
    root = show(tmp_path / "show")
    reference = otio.schema.ImageSequenceReference(
        target_url_base="plates/", name_prefix="long.", name_suffix=".exr",
        start_frame=1, frame_zero_padding=6, rate=RATE)
    count = MAX_SEQUENCE_FRAMES + 10
    shot = otio.schema.Clip(name="LONG", media_reference=reference, source_range=TimeRange(
        RationalTime(0, RATE), RationalTime(count, RATE)))
    cut = write(root / "cut.otio", timeline([shot]))
    run = final(cli, cut)
    assert run.code == 1 and run.findings("LONG") == {"media-missing": "lock"}
    assert f"uses {count} frames, more than the {MAX_SEQUENCE_FRAMES}" in run.out


# --- 5. one file, however it is spelled ------------------------------------------------------

def spelled_show(tmp_path: Path) -> Path:
    root = show(tmp_path / "show")
    ai_still(root / "genai" / "gen.png")
    (root / "approved").mkdir()
    os.symlink("../genai/gen.png", root / "approved" / "link.png")
    os.symlink("genai", root / "alias")
    return root


def spellings(root: Path) -> list[str]:
    real = root / "genai" / "gen.png"
    return ["genai/gen.png", "./genai/gen.png", "genai//gen.png", "genai/./gen.png",
            "approved/../genai/gen.png", "alias/gen.png", "approved/link.png", str(real),
            real.as_uri(), "FILE://" + real.as_uri()[len("file://"):],
            "File:" + real.as_uri()[len("file:"):], "/" + str(real), "genai\\gen.png"]


def test_approvals_paths_are_matched_against_the_file_not_its_spelling(cli, tmp_path):
    """An approval for what sits in approved/ must not waive AI media reached through it
    (a symlink, a ``..``); the ledger and path patterns flag however it is spelled."""
    root = spelled_show(tmp_path)
    (root / "approvals").mkdir()
    (root / "approvals" / "a.yaml").write_text(
        "id: APR-1\ngrants: [undeclared-ai]\nscope: {media: ['**/approved/**']}\n"
        "approver: Legal\n")
    (root / "aigate.yaml").write_text("show: S\npolicy: pack.yaml\napprovals: approvals/\n"
                                      "patterns: ['**/genai/**']\n")
    clips = [clip(f"C{i}", 1, url=url) for i, url in enumerate(spellings(root))]
    cut = write(root / "cut.otio", timeline(clips))
    run = final(cli, cut)
    verdicts = run.verdicts()
    assert set(verdicts.values()) == {"lock"}, verdicts
    for name in verdicts:
        assert "undeclared-ai" in run.findings(name), (name, run.out)


def test_the_packed_media_rule_holds_for_any_spelling(cli, tmp_path):
    media = tmp_path / "media"
    still(media / "gen.png")
    (tmp_path / "aigate.yaml").write_text("show: S\n")
    bundle = tmp_path / "shot.otioz"
    write(bundle, timeline([clip("GEN", 2, url=str(media / "gen.png"))]), "otioz")
    shutil.rmtree(media)
    respelled = tmp_path / "respelled.otioz"
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(respelled, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "content.otio":
                data = data.replace(b'"media/', b'"./media/./')
                assert b"./media/./" in data
            target.writestr(name, data)
    run = final(cli, respelled)
    [item] = run.json["subjects"][0]["items"]
    assert run.code == 1 and item["media_note"].startswith("inside the bundle"), item


@pytest.fixture(scope="module")
def spelled(tmp_path_factory) -> Path:
    return spelled_show(tmp_path_factory.mktemp("spelled"))


@st.composite
def respelled(draw: st.DrawFn, root: Path) -> str:
    """A spelling of root/genai/gen.png as a timeline may write it."""
    parts = draw(st.sampled_from([["genai", "gen.png"], ["alias", "gen.png"],
                                  ["approved", "link.png"]]))
    noise: list[str] = []
    for depth, part in enumerate(parts):
        # a detour through a folder that exists there, "." or an empty part (a "//")
        detours = [".", "approved/..", "genai/.."] if depth == 0 else [".", ""]
        for _ in range(draw(st.integers(0, 2))):
            noise.append(draw(st.sampled_from(detours)))
        noise.append(part)
    text = "/".join(noise)
    form = draw(st.sampled_from(["relative", "absolute", "uri", "UPPER", "double"]))
    if form == "relative":
        return text
    absolute = f"{root}/{text}"
    if form == "absolute":
        return absolute
    if form == "double":
        return "/" + absolute
    uri = "file://" + absolute
    return uri if form == "uri" else "FILE://" + absolute


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_spelling_of_one_file_gets_one_verdict(spelled, data):
    from aigate.run.session import Session

    url = data.draw(respelled(spelled))
    tl = timeline([clip("GEN", 1, url=url)])
    gate = Session().gate(spelled / "cut.otio")
    [result] = gate.check(tl, stage="final", path=spelled / "cut.otio")
    [item] = result.items
    assert item.ai and item.verdict.label == "lock", (url, item.findings, item.media_note)
    assert {f.rule for f in item.findings} >= {"undeclared-ai"}, (url, item.findings)


# --- hosts: Kdenlive/MLT image sequences, and aigate render ---------------------------------

def kdenlive_sequence(root: Path, resource: str, ai_frame: int) -> Path:
    from aigate_kdenlive.build import ClipSpec, TrackSpec, build
    from aigate_kdenlive.project import prop, set_prop
    from aigate_kdenlive.project import write as write_project

    for n in range(1, 21):
        frame = root / "plates" / f"sh.{n:04d}.png"
        ai_still(frame) if n == ai_frame else still(frame)
    project = build([TrackSpec([ClipSpec("PLATE", 10, resource=resource)])], root=root)
    for element in project.root.iter():
        if element.tag in ("chain", "producer") and prop(element, "resource") == resource:
            set_prop(element, "ttl", "1")  # one image a frame, as Kdenlive writes sequences
            set_prop(element, "begin", "1")
    path = root / "edit.kdenlive"
    write_project(project, path)
    return path


@pytest.mark.parametrize("pattern", ["plates/sh.%04d.png", "plates/.all.png"])
def test_an_ai_frame_of_an_mlt_sequence_locks_and_is_not_rendered(cli, tmp_path, pattern):
    root = show(tmp_path / "show")
    project = kdenlive_sequence(root, pattern, ai_frame=5)
    run = final(cli, project)
    assert run.code == 1 and "undeclared-ai" in run.findings("PLATE"), run.out
    out = root / "deliverables" / "ep.mp4"
    assert cli("render", project, out).code == 1 and not out.exists()
    # a frame past the clip's ten is not its media
    clean = kdenlive_sequence(show(tmp_path / "other"), pattern, ai_frame=15)
    assert final(cli, clean).verdicts() == {"PLATE": "pass"}


def test_aigate_render_refuses_a_project_whose_media_is_missing(cli, tmp_path):
    root = show(tmp_path / "show")
    project = kdenlive_sequence(root, "plates/gone.%04d.png", ai_frame=0)
    out = root / "deliverables" / "ep.mp4"
    run = cli("render", project, out)
    assert run.code == 1 and "media-missing" in run.err and not out.exists()


def test_a_backslash_in_a_posix_name_is_read_as_the_player_opens_it(cli, tmp_path):
    """On POSIX a player opens ``genai\\gen.png`` as one file name with a backslash in it:
    the gate reads that file (AI), not the clean ``genai/gen.png`` a separator would name."""
    if os.name == "nt":
        pytest.skip("a backslash is a separator on Windows")
    root = show(tmp_path / "show")
    still(root / "genai" / "gen.png")  # clean decoy
    ai_still(root / "genai\\gen.png")  # what the player opens
    cut = write(root / "cut.otio", timeline([clip("GEN", 2, url="genai\\gen.png")]))
    run = final(cli, cut)
    assert run.code == 1 and "undeclared-ai" in run.findings("GEN"), run.out
