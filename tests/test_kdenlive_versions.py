"""Kdenlive as editors run it (issue 26), on projects real Kdenlive versions saved
(tests/corpus/kdenlive: one saved by Kdenlive 22.12.3, one from Kdenlive's own tests saved by
23.07) and on the converter from OTIO, all rendered by the real melt:

- a render is the cut, not Kdenlive's black-track padding, and says what happened;
- guides go where the saving version reads them, coloured from the project's categories,
  one per frame, replaced (never duplicated) on re-annotating, also after Replace Clip;
- ``aigate annotate cut.otio out.kdenlive`` writes a project whose entries lie inside their
  media (a start timecode is an offset), with no time-remap, that melt plays as the cut."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import opentimelineio as otio
import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentimelineio.opentime import RationalTime, TimeRange

from aigate.api import Shade
from aigate_kdenlive import render as renders
from aigate_kdenlive.present import GUIDE_LABEL, Flag, guide_label
from aigate_kdenlive.project import prop, set_prop, timeline
from aigate_kdenlive.reading import read
from aigate_kdenlive.walk import collect
from helpers import ai
from helpers import write as write_otio
from mediakit import sound, video

pytestmark = pytest.mark.skipif(shutil.which("melt") is None,
                                reason="needs MLT's melt (Debian: apt-get install melt)")

CORPUS = Path(__file__).resolve().parent / "corpus" / "kdenlive"
SAVED_22_12 = CORPUS / "aigate__ep101_saved_by_kdenlive_22.12.3.kdenlive"
SAVED_23_07 = CORPUS / "kdenlive__test-missing.kdenlive"
DEAGE = ai(purpose="temp", talent=[{"name": "Ray Holt", "use": "likeness"}])


@pytest.fixture
def show(tmp_path: Path) -> Path:
    (tmp_path / "approvals").mkdir()
    (tmp_path / "approvals" / "poster.yaml").write_text(
        "id: APR-K1\ngrants: [final-deliverable-use]\nscope: {clips: [POSTER*]}\n"
        "approver: Dana Ruiz\n")
    (tmp_path / "pack.yaml").write_text(
        "extends: netflix-genai\nvetted_tools: [{name: Firefly, vendor: Adobe, "
        "enterprise: true}]\n")
    (tmp_path / "aigate.yaml").write_text("policy: pack.yaml\napprovals: approvals/\n")
    return tmp_path


def saved_22_12(show: Path) -> Path:
    """The project Kdenlive 22.12.3 saved (aigate's annotation of the 22.12 fixture opened
    and saved by Kdenlive), its folders put back under ``show``, with its media."""
    video(show / "media" / "cam.mp4", seconds=1, size="128x72")
    sound(show / "media" / "vo.wav", seconds=0.5)
    (show / "edit").mkdir(exist_ok=True)
    path = show / "edit" / "ep101.kdenlive"
    path.write_text(SAVED_22_12.read_text().replace("@ROOT@", str(show / "edit"))
                    .replace("@SHOW@", str(show)))
    return path


def frames_of(path: Path) -> int:
    return imageio_ffmpeg.count_frames_and_secs(str(path))[0]


def guides_at(project: Path, element_id: str, name: str) -> list[dict[str, Any]]:
    loaded = read(project)
    element = next(e for e in loaded.root.iter() if e.get("id") == element_id)
    return json.loads(prop(element, name) or "[]")


def markers_of(project: Path, element_id: str) -> list[dict[str, Any]]:
    return guides_at(project, element_id, "kdenlive:markers")


# -- render ---------------------------------------------------------------------------------

def test_a_render_is_the_cut_not_kdenlives_black_track_padding(show, cli):
    project = saved_22_12(show)
    main = timeline(read(project))
    assert main.get("out") == "00:20:02.880"  # Kdenlive 22.12 pads twenty minutes
    out = show / "renders" / "ep101.mp4"
    run = cli("render", project, out, "--stage", "edit", "--", "vcodec=mpeg4", "an=1")
    assert run.code == 0, run.err
    assert frames_of(out) == 72  # the last clip ends at frame 72 (V1's GREEN_SLUG)
    assert run.out.strip().splitlines()[-1] == (
        f"rendered {out} at stage edit (preview); 2 clips would block a final render")
    assert "rendering" not in run.err  # no terminal watches: no progress lines


def test_render_progress_goes_to_stderr_and_ends_at_the_cut(show, capsys):
    project = saved_22_12(show)
    out = show / "p.mp4"
    renders.render(project, out, ["vcodec=mpeg4", "an=1"],
                   frames=renders.cut_frames(read(project)), progress=True)
    err = capsys.readouterr().err
    assert "rendering p.mp4:" in err and "of 72)" in err
    assert frames_of(out) == 72


def test_a_render_of_a_sequence_project_is_its_cut(show, cli):
    """Kdenlive 23.04+: the project tractor plays the main sequence, whose black track is
    padded too; the cut ends at the colour clip's end (frame 405)."""
    project = show / "seq.kdenlive"
    shutil.copy(SAVED_23_07, project)
    assert renders.cut_frames(read(project)) == 405
    out = show / "seq.mp4"
    run = cli("render", project, out, "--stage", "edit", "--", "vcodec=mpeg4", "an=1",
              "width=128", "height=72")
    assert run.code == 0, run.err
    assert frames_of(out) == 405
    # the colour clip's LUT filter names a file this machine lacks (Kdenlive's own test of a
    # missing file): a colour table is data the filter reads, not media, so it blocks
    # nothing (a LUT that is there no source could read, and every clip graded with one
    # locked at final)
    assert run.out.strip().splitlines()[-1].endswith("no clip would block a final render")


# -- guides and markers ---------------------------------------------------------------------

def with_declaration(source: Path, target: Path, element_id: str, contract: Any,
                     categories: list[dict[str, Any]] | None = None,
                     guides: list[dict[str, Any]] | None = None) -> Path:
    """A copy of ``source`` with contract v1 on one clip (and the editor's categories or
    sequence guides), written as Kdenlive writes properties."""
    loaded = read(source)
    element = next(e for e in loaded.root.iter() if e.get("id") == element_id)
    set_prop(element, "kdenlive:aigate", json.dumps(contract))
    main_bin = loaded.bin()
    assert main_bin is not None
    if categories is not None:
        set_prop(main_bin, "kdenlive:docproperties.guidesCategories", json.dumps(categories))
    if guides is not None:
        sequence = next(e for e in loaded.root.iter("tractor")
                        if prop(e, "kdenlive:uuid") is not None)
        set_prop(sequence, "kdenlive:sequenceproperties.guides", json.dumps(guides))
    target.write_text(ET.tostring(loaded.root, encoding="unicode"))
    return target


def test_a_sequence_project_gets_its_guides_on_the_sequence(show, cli):
    """Kdenlive 23.04+ reads guides per sequence: ours go on the sequence melt plays, beside
    the editor's (which holds the frame), none in the document's guides."""
    project = with_declaration(SAVED_23_07, show / "seq.kdenlive", "producer1", DEAGE,
                               guides=[{"comment": "Scene 2", "pos": 280, "type": 0}])
    out = show / "seq_gate.kdenlive"
    run = cli("annotate", project, out, "--stage", "final")
    assert run.code == 1, run.err
    guides = guides_at(out, "tractor4", "kdenlive:sequenceproperties.guides")
    assert guides == [{"comment": "Scene 2", "pos": 280, "type": 0},
                      {"comment": "AIGATE LOCK final-deliverab… Colour Clip", "pos": 281,
                       "type": 8}]
    assert prop(read(out).bin(), "kdenlive:docproperties.guides") is None
    ours = markers_of(out, "producer1")
    assert len(ours) == 1 and ours[0]["pos"] == 0 and ours[0]["type"] == 8
    assert ours[0]["comment"].startswith("AIGATE LOCK final-deliverable-use: generated")
    # again: replaced, not duplicated
    again = show / "again.kdenlive"
    cli("annotate", out, again, "--stage", "final")
    assert guides_at(again, "tractor4", "kdenlive:sequenceproperties.guides") == guides
    assert markers_of(again, "producer1") == ours


def test_colours_come_from_the_projects_categories(show, cli):
    """An editor who made category 3 red and category 0 yellow sees locks in 3."""
    categories = [{"color": "#ffd700", "comment": "Review", "index": 0},
                  {"color": "#2980b9", "comment": "Info", "index": 1},
                  {"color": "#27ae60", "comment": "Done", "index": 2},
                  {"color": "#e00000", "comment": "Blocker", "index": 3}]
    project = with_declaration(SAVED_23_07, show / "seq.kdenlive", "producer1", DEAGE,
                               categories=categories)
    out = show / "out.kdenlive"
    cli("annotate", project, out, "--stage", "final")
    assert [g["type"] for g in guides_at(out, "tractor4",
                                         "kdenlive:sequenceproperties.guides")] == [3]
    assert [m["type"] for m in markers_of(out, "producer1")] == [3]
    cli("annotate", project, out, "--stage", "edit")  # no consent: a lock at edit too
    assert [m["type"] for m in markers_of(out, "producer1")] == [3]


def test_reannotating_what_kdenlive_saved_replaces_ours_also_after_replace_clip(show, cli):
    """Kdenlive 22.12 rewrote aigate's JSON (indented) on saving; re-annotating finds its
    own entries there and replaces them, keeps the editor's marker, and after Replace Clip
    (the bin clip's media swapped, the declaration cleared) leaves nothing of the old
    verdict on the clip."""
    project = saved_22_12(show)
    before = markers_of(project, "chain0")
    assert {"comment": "focus buzz", "pos": 3, "type": 1} in before
    assert any(m["comment"].startswith("AIGATE LOCK") for m in before)
    out = show / "edit" / "again.kdenlive"
    assert cli("annotate", project, out, "--stage", "final").code == 1
    guides = guides_at(out, "main_bin", "kdenlive:docproperties.guides")
    assert [(g["pos"], g["type"]) for g in guides] == [(0, 8), (10, 8), (30, 2)]
    assert len({g["pos"] for g in guides}) == len(guides)
    cam = markers_of(out, "chain0")
    assert [m["comment"].split(":")[0] for m in cam] == [
        "AIGATE LOCK final-deliverable-use", "focus buzz"]
    # Replace Clip: the bin clip and its timeline copy now play clean media
    video(show / "media" / "clean.mp4", seconds=1, size="128x72")
    loaded = read(out)
    for element_id in ("chain0", "chain2"):
        element = next(e for e in loaded.root.iter() if e.get("id") == element_id)
        set_prop(element, "resource", str(show / "media" / "clean.mp4"))
        set_prop(element, "kdenlive:aigate", None)
    replaced = show / "edit" / "replaced.kdenlive"
    replaced.write_text(ET.tostring(loaded.root, encoding="unicode"))
    final = show / "edit" / "final.kdenlive"
    cli("annotate", replaced, final, "--stage", "final")
    assert markers_of(final, "chain0") == [{"comment": "focus buzz", "pos": 3, "type": 1}]
    assert [g["pos"] for g in guides_at(final, "main_bin",
                                        "kdenlive:docproperties.guides")] == [10, 30]


@given(st.sampled_from(list(Shade)[1:]), st.text(min_size=1, max_size=80),
       st.text(min_size=1, max_size=120), st.integers(0, 9))
def test_a_guide_label_fits_the_ruler_and_says_verdict_rule_clip(shade, rule, clip, more):
    rule, clip = rule.replace(" ", "-"), clip
    label = guide_label(Flag(shade, rule, "why", (), clip, 0), more)
    assert len(label) <= GUIDE_LABEL
    assert label.startswith(f"AIGATE {shade.value.upper()} ")
    if len(rule) <= 10 and len(" ".join(clip.split()) or "?") <= 10:
        assert rule in label and (" ".join(clip.split()) or "?") in label


# -- OTIO to Kdenlive -----------------------------------------------------------------------

COLOURS = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255),
           "yellow": (255, 255, 0), "white": (255, 255, 255)}


def bands(path: Path, colours: list[str], seconds_each: float, timecode: str | None) -> Path:
    """A 24 fps movie of solid colour bands, one per second (red, then green...), with a
    start timecode as a camera writes it."""
    parts = "".join(f"color=c=0x{bytes(COLOURS[c]).hex()}:size=64x36:rate=24:"
                    f"d={seconds_each}[v{i}];" for i, c in enumerate(colours))
    joined = "".join(f"[v{i}]" for i in range(len(colours)))
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi",
               "-i", "nullsrc", "-filter_complex",
               f"{parts}{joined}concat=n={len(colours)}:v=1:a=0[out]", "-map", "[out]",
               "-pix_fmt", "yuv420p"]
    if timecode:
        command += ["-timecode", timecode]
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([*command, str(path)], check=True)
    return path


def tc(text: str) -> RationalTime:
    return otio.opentime.from_timecode(text, 24)


def sub_clip(name: str, url: str, start: str, frames: int,
             available: TimeRange | None = None, aigate: Any = None) -> otio.schema.Clip:
    reference = otio.schema.ExternalReference(target_url=url, available_range=available)
    made = otio.schema.Clip(name=name, media_reference=reference,
                            source_range=TimeRange(tc(start), RationalTime(frames, 24)))
    if aigate is not None:
        made.metadata["aigate"] = aigate
    return made


def colour_runs(path: Path) -> list[tuple[str, int]]:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    offset = ((height // 2) * width + width // 2) * 3
    runs: list[tuple[str, int]] = []
    for frame in reader:
        pixel = tuple(frame[offset:offset + 3])
        name = next((n for n, c in COLOURS.items()
                     if all(abs(a - b) < 70 for a, b in zip(pixel, c, strict=True))), "other")
        if runs and runs[-1][0] == name:
            runs[-1] = (name, runs[-1][1] + 1)
        else:
            runs.append((name, 1))
    return runs


def test_an_otio_cut_becomes_a_kdenlive_project_melt_plays_as_the_cut(show, cli):
    """Camera media with start timecodes (one the reference states, one only the file
    knows), a gap, a second video track and an AI clip: the converted project's entries
    lie inside their media, nothing is time-remapped, and melt plays the OTIO cut's clips
    in order with their lengths and their source frames."""
    bands(show / "media" / "A001.mov", ["red", "green", "blue"], 1, "14:02:10:00")
    bands(show / "media" / "A002.mov", ["yellow", "white"], 1, "09:00:00:00")
    bands(show / "media" / "GEN.mov", ["blue"], 2, None)
    cut = otio.schema.Timeline(name="conform", global_start_time=RationalTime(86400, 24))
    v1 = otio.schema.Track(name="V1")
    v1.extend([
        # frames 24-47 of A001: green, starting one second into the camera's clock
        sub_clip("A001", "media/A001.mov", "14:02:11:00", 24,
                 TimeRange(tc("14:02:10:00"), RationalTime(72, 24))),
        otio.schema.Gap(source_range=TimeRange(RationalTime(0, 24), RationalTime(12, 24))),
        # A002's timecode only the file knows: white is its second second
        sub_clip("A002", "media/A002.mov", "09:00:01:06", 12),
        sub_clip("A001 again", "media/A001.mov", "14:02:10:00", 12,
                 TimeRange(tc("14:02:10:00"), RationalTime(72, 24))),
    ])
    v2 = otio.schema.Track(name="V2")
    v2.extend([otio.schema.Gap(source_range=TimeRange(RationalTime(0, 24),
                                                      RationalTime(70, 24))),
               sub_clip("GEN_sky", "media/GEN.mov", "00:00:00:00", 10,
                        aigate=ai(role="background"))])
    cut.tracks.extend([v1, v2])
    path = write_otio(show / "conform.otio", cut)
    out = show / "conform.kdenlive"
    run = cli("annotate", path, out, "--stage", "edit")
    assert run.code in (0, 1), run.err
    project = read(out)
    text = out.read_text()
    assert "timewarp" not in text and "timeremap" not in text and "<chain" not in text
    items = collect(project).items
    assert [(i.track, i.clip, i.record_start, i.record_end, i.source_start)
            for i in items] == [
        ("V1", "A001", 0, 24, 24), ("V1", "A002", 36, 48, 30),
        ("V1", "A001 again", 48, 60, 0), ("V2", "GEN_sky", 70, 80, 0)]
    services = project.services()
    for bin_entry in project.bin().findall("entry"):  # each bin clip as long as its media
        clip = services[bin_entry.get("producer", "")]
        assert prop(clip, "length") == {"media/A001.mov": "72", "media/A002.mov": "48",
                                        "media/GEN.mov": "48"}[prop(clip, "resource")]
    # the AI clip carries its verdict where Kdenlive shows it
    guides = json.loads(prop(project.bin(), "kdenlive:docproperties.guides") or "[]")
    assert [(g["pos"], g["comment"].split()[1]) for g in guides] == [(70, "WARN")]
    rendered = show / "conform.mp4"
    subprocess.run(["melt", str(out), "-consumer", f"avformat:{rendered}", "real_time=-1",
                    "an=1"], check=True, capture_output=True, stdin=subprocess.DEVNULL)
    runs = colour_runs(rendered)
    assert runs[:5] == [("green", 24), ("other", 12), ("white", 12), ("red", 12),
                        ("other", 10)]
    assert runs[5] == ("blue", 10)


def test_a_conversion_that_would_play_other_pictures_is_refused(show, cli):
    bands(show / "media" / "A001.mov", ["red"], 1, "14:02:10:00")
    cut = otio.schema.Timeline(name="long")
    track = otio.schema.Track(name="V1")
    track.append(sub_clip("A001", "media/A001.mov", "14:02:10:12", 24))  # past the end
    cut.tracks.append(track)
    path = write_otio(show / "long.otio", cut)
    run = cli("annotate", path, show / "long.kdenlive", "--stage", "edit")
    assert run.code == 2
    assert "track V1, clip 'A001': uses source frames 12-35 of media/A001.mov, which " \
        "holds frames 0-23" in run.err
    assert "Traceback" not in run.err and not (show / "long.kdenlive").exists()
    speed = otio.schema.Timeline(name="speed")
    track = otio.schema.Track(name="V1")
    fast = sub_clip("A001", "media/A001.mov", "14:02:10:00", 6)
    fast.effects.append(otio.schema.LinearTimeWarp(time_scalar=2.0))
    track.append(fast)
    speed.tracks.append(track)
    run = cli("annotate", write_otio(show / "speed.otio", speed), show / "speed.kdenlive",
              "--stage", "edit")
    assert run.code == 2 and "a speed change (LinearTimeWarp, 2x)" in run.err


def test_the_sample_show_has_a_kdenlive_project_with_the_otio_cuts_verdicts(cli):
    samples = Path(__file__).resolve().parent.parent / "sample_timelines"
    kdenlive = cli("check", samples / "ep101_cut_v12.kdenlive", "--format", "json")
    cut = cli("check", samples / "ep101_cut_v12.otio", "--format", "json")
    assert kdenlive.verdicts() == cut.verdicts()
    assert "root=" not in (samples / "ep101_cut_v12.kdenlive").read_text()[:400]
    project = read(samples / "ep101_cut_v12.kdenlive")
    for item in collect(project).items:  # media beside it, as melt and Kdenlive find them
        assert item.media_url is not None and (samples / item.media_url).is_file()
    assert renders.cut_frames(project) == 28 * 24
