"""Kdenlive as a host (issue 17), on real MLT: projects in Kdenlive 22.12's format rendered by
the real melt, checked, annotated with clip markers and guides (re-annotated without
duplicates), a final render refused while locked and rendered when approved (its pixels
decoded with ffmpeg), and the round trip through OpenTimelineIO."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import imageio_ffmpeg
import opentimelineio as otio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aigate_kdenlive.build import ClipSpec, ProfileSpec, TrackSpec, build
from aigate_kdenlive.otio_io import from_otio, to_otio
from aigate_kdenlive.project import clock, frames, prop, write
from aigate_kdenlive.reading import read
from aigate_kdenlive.walk import collect
from helpers import ai, run_process
from helpers import write as write_otio
from mediakit import sound, video

pytestmark = pytest.mark.skipif(shutil.which("melt") is None,
                                reason="needs MLT's melt (Debian: apt-get install melt)")

DEAGE = ai(purpose="temp", talent=[{"name": "Ray Holt", "use": "likeness"}])
POSTER = ai(role="incidental")
VOICE = ai(purpose="temp")
RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
SIZE = (128, 72)


@pytest.fixture
def production(tmp_path: Path) -> Path:
    """A show folder: vetted Firefly, an approval for POSTER* clips at final, media."""
    (tmp_path / "approvals").mkdir()
    (tmp_path / "approvals" / "poster.yaml").write_text(
        "id: APR-K1\ngrants: [final-deliverable-use]\nscope: {clips: [POSTER*]}\n"
        "approver: Dana Ruiz\n")
    (tmp_path / "pack.yaml").write_text(
        "extends: netflix-genai\nvetted_tools: [{name: Firefly, vendor: Adobe, "
        "enterprise: true}]\n")
    (tmp_path / "aigate.yaml").write_text("policy: pack.yaml\napprovals: approvals/\n")
    video(tmp_path / "media" / "cam.mp4", seconds=1, size="128x72")
    sound(tmp_path / "media" / "vo.wav", seconds=0.5)
    return tmp_path


def _json(value: Any) -> str:
    return escape(json.dumps(value))


def kdenlive_22_12(root: Path) -> str:
    """A project as Kdenlive 22.12 saves it: clock times, bin clips in main_bin and their
    timeline copies sharing kdenlive:id, relative media under ``root``, a track tractor of
    two sub-playlists (the second holding a clip), two audio tracks listed bottom-up, the
    black track, the compositing transitions, and an editor's own guide."""
    return f"""<?xml version='1.0' encoding='utf-8'?>
<mlt LC_NUMERIC="C" producer="main_bin" version="7.12.0" root="{root}">
 <profile description="tiny 25 fps" width="128" height="72" progressive="1"
  sample_aspect_num="1" sample_aspect_den="1" display_aspect_num="16" display_aspect_den="9"
  frame_rate_num="25" frame_rate_den="1" colorspace="709"/>
 <chain id="chain0" out="00:00:00.960">
  <property name="length">25</property>
  <property name="eof">pause</property>
  <property name="resource">media/cam.mp4</property>
  <property name="mlt_service">avformat-novalidate</property>
  <property name="seekable">1</property>
  <property name="kdenlive:clipname"/>
  <property name="kdenlive:folderid">-1</property>
  <property name="kdenlive:id">2</property>
  <property name="kdenlive:markers">[{{"comment": "focus buzz", "pos": 3, "type": 1}}]</property>
  <property name="kdenlive:aigate">{_json(DEAGE)}</property>
 </chain>
 <producer id="producer0" in="00:00:00.000" out="00:00:01.960">
  <property name="length">50</property>
  <property name="eof">pause</property>
  <property name="resource">0xff0000ff</property>
  <property name="mlt_service">color</property>
  <property name="kdenlive:clipname">POSTER_BG</property>
  <property name="kdenlive:clip_type">2</property>
  <property name="kdenlive:folderid">-1</property>
  <property name="kdenlive:id">3</property>
  <property name="kdenlive:aigate">{_json(POSTER)}</property>
 </producer>
 <producer id="producer1" in="00:00:00.000" out="00:00:00.960">
  <property name="length">25</property>
  <property name="resource">0x00ff00ff</property>
  <property name="mlt_service">color</property>
  <property name="kdenlive:clipname">GREEN_SLUG</property>
  <property name="kdenlive:id">4</property>
 </producer>
 <chain id="chain1" out="00:00:00.480">
  <property name="length">13</property>
  <property name="resource">media/vo.wav</property>
  <property name="mlt_service">avformat-novalidate</property>
  <property name="kdenlive:clipname">VO_TEMP</property>
  <property name="kdenlive:id">5</property>
  <property name="kdenlive:aigate">{_json(VOICE)}</property>
 </chain>
 <playlist id="main_bin">
  <property name="kdenlive:docproperties.activeTrack">2</property>
  <property name="kdenlive:docproperties.kdenliveversion">22.12.3</property>
  <property name="kdenlive:docproperties.version">1.04</property>
  <property name="kdenlive:docproperties.guides"
   >[{{"comment": "Act 2", "pos": 10, "type": 0}}]</property>
  <property name="xml_retain">1</property>
  <entry producer="chain0" in="00:00:00.000" out="00:00:00.960"/>
  <entry producer="producer0" in="00:00:00.000" out="00:00:01.960"/>
  <entry producer="producer1" in="00:00:00.000" out="00:00:00.960"/>
  <entry producer="chain1" in="00:00:00.000" out="00:00:00.480"/>
 </playlist>
 <producer id="black_track" in="00:00:00.000" out="00:00:02.840">
  <property name="length">2147483647</property>
  <property name="eof">continue</property>
  <property name="resource">black</property>
  <property name="mlt_service">color</property>
  <property name="set.test_audio">0</property>
 </producer>
 <chain id="chain2" out="00:00:00.960">
  <property name="length">25</property>
  <property name="resource">media/cam.mp4</property>
  <property name="mlt_service">avformat-novalidate</property>
  <property name="kdenlive:id">2</property>
 </chain>
 <producer id="producer2" in="00:00:00.000" out="00:00:01.960">
  <property name="length">50</property>
  <property name="resource">0xff0000ff</property>
  <property name="mlt_service">color</property>
  <property name="kdenlive:id">3</property>
  <property name="kdenlive:aigate">{_json(POSTER)}</property>
 </producer>
 <producer id="producer3" in="00:00:00.000" out="00:00:00.960">
  <property name="length">25</property>
  <property name="resource">0x00ff00ff</property>
  <property name="mlt_service">color</property>
  <property name="kdenlive:id">4</property>
 </producer>
 <chain id="chain3" out="00:00:00.480">
  <property name="length">13</property>
  <property name="resource">media/vo.wav</property>
  <property name="mlt_service">avformat-novalidate</property>
  <property name="kdenlive:id">5</property>
 </chain>
 <playlist id="playlist0"><property name="kdenlive:audio_track">1</property></playlist>
 <playlist id="playlist1"><property name="kdenlive:audio_track">1</property></playlist>
 <tractor id="tractor0" in="00:00:00.000" out="00:00:00.000">
  <property name="kdenlive:audio_track">1</property>
  <property name="kdenlive:trackheight">69</property>
  <track hide="video" producer="playlist0"/>
  <track hide="video" producer="playlist1"/>
 </tractor>
 <playlist id="playlist2">
  <property name="kdenlive:audio_track">1</property>
  <blank length="00:00:00.400"/>
  <entry producer="chain3" in="00:00:00.000" out="00:00:00.440"/>
 </playlist>
 <playlist id="playlist3"><property name="kdenlive:audio_track">1</property></playlist>
 <tractor id="tractor1" in="00:00:00.000" out="00:00:00.840">
  <property name="kdenlive:audio_track">1</property>
  <property name="kdenlive:trackheight">69</property>
  <track hide="video" producer="playlist2"/>
  <track hide="video" producer="playlist3"/>
 </tractor>
 <playlist id="playlist4">
  <entry producer="chain2" in="00:00:00.000" out="00:00:00.960"/>
  <blank length="00:00:00.200"/>
  <entry producer="producer2" in="00:00:00.200" out="00:00:01.160"/>
 </playlist>
 <playlist id="playlist5">
  <blank length="00:00:02.400"/>
  <entry producer="producer3" in="00:00:00.000" out="00:00:00.440"/>
 </playlist>
 <tractor id="tractor2" in="00:00:00.000" out="00:00:02.840">
  <property name="kdenlive:trackheight">69</property>
  <property name="kdenlive:track_name">Picture</property>
  <track hide="audio" producer="playlist4"/>
  <track hide="audio" producer="playlist5"/>
 </tractor>
 <tractor id="maintractor" in="00:00:00.000" out="00:00:02.840">
  <track producer="black_track"/>
  <track producer="tractor0"/>
  <track producer="tractor1"/>
  <track producer="tractor2"/>
  <transition id="transition0">
   <property name="a_track">0</property><property name="b_track">1</property>
   <property name="mlt_service">mix</property><property name="always_active">1</property>
   <property name="sum">1</property><property name="internal_added">237</property>
  </transition>
  <transition id="transition1">
   <property name="a_track">0</property><property name="b_track">2</property>
   <property name="mlt_service">mix</property><property name="always_active">1</property>
   <property name="sum">1</property><property name="internal_added">237</property>
  </transition>
  <transition id="transition2">
   <property name="a_track">0</property><property name="b_track">3</property>
   <property name="mlt_service">qtblend</property><property name="always_active">1</property>
   <property name="compositing">0</property><property name="internal_added">237</property>
  </transition>
 </tractor>
</mlt>
"""


@pytest.fixture
def episode(production: Path) -> Path:
    path = production / "edit" / "ep101.kdenlive"
    path.parent.mkdir()
    path.write_text(kdenlive_22_12(production))
    return path


def render_frames(project: Path, out: Path) -> list[tuple[int, int, int]]:
    """Render with melt directly and return the centre pixel of every frame."""
    subprocess.run(["melt", str(project), "-consumer", f"avformat:{out}", "real_time=-1"],
                   check=True, capture_output=True, stdin=subprocess.DEVNULL)
    return centre_pixels(out)


def centre_pixels(path: Path) -> list[tuple[int, int, int]]:
    frames = imageio_ffmpeg.read_frames(str(path))
    meta = next(frames)
    width, height = meta["size"]
    offset = ((height // 2) * width + width // 2) * 3
    return [tuple(frame[offset:offset + 3]) for frame in frames]


def near(pixel: tuple[int, int, int], colour: tuple[int, int, int]) -> bool:
    """The colour, allowing for the encoder's YUV round trip (pure green comes back ~214)."""
    return all(a >= 170 if b else a <= 60 for a, b in zip(pixel, colour, strict=True))


def markers(project: Path, clip_id: str) -> list[dict[str, Any]]:
    """The markers of the bin clip with this kdenlive:id."""
    loaded = read(project)
    bin_playlist = loaded.bin()
    assert bin_playlist is not None
    services = loaded.services()
    for entry in bin_playlist.findall("entry"):
        element = services[entry.get("producer", "")]
        if prop(element, "kdenlive:id") == clip_id:
            return json.loads(prop(element, "kdenlive:markers") or "[]")
    raise AssertionError(f"no bin clip {clip_id}")


def guides(project: Path) -> list[dict[str, Any]]:
    bin_playlist = read(project).bin()
    assert bin_playlist is not None
    return json.loads(prop(bin_playlist, "kdenlive:docproperties.guides") or "[]")


def test_a_kdenlive_project_reads_as_kdenlive_shows_it(episode, production, tmp_path):
    """Tracks numbered V1 / A1 (nearest the video) / A2, clip names from the bin, record
    in/out on Kdenlive's ruler, media resolved against the project root, the sub-playlist's
    clip included; and melt renders what the items say."""
    items = collect(read(episode)).items
    seen = [(i.track, i.clip, i.record_in, i.record_out, i.source_in, i.media_url)
            for i in items]
    assert seen == [
        ("V1", "cam.mp4", "00:00:00:00", "00:00:01:00", "00:00:00:00",
         str(production / "media" / "cam.mp4")),
        ("V1", "POSTER_BG", "00:00:01:05", "00:00:02:05", "00:00:00:05", None),
        ("V1", "GREEN_SLUG", "00:00:02:10", "00:00:02:22", "00:00:00:00", None),
        ("A1", "VO_TEMP", "00:00:00:10", "00:00:00:22", "00:00:00:00",
         str(production / "media" / "vo.wav")),
    ]
    assert [i.track_kind for i in items] == ["Video", "Video", "Video", "Audio"]
    # the contract comes from the bin clip when the timeline copy carries none
    assert dict(items[0].declared) == {"bin clip": DEAGE}
    assert dict(items[1].declared) == {"clip": POSTER}
    pixels = render_frames(episode, tmp_path / "frames.mp4")
    assert len(pixels) == 72
    assert near(pixels[40], RED) and near(pixels[65], GREEN)
    assert not near(pixels[27], RED)  # the blank between the camera and the poster


def test_check_gives_every_clip_its_verdict(episode, cli):
    run = cli("check", episode, "--stage", "final", "--format", "json")
    assert run.code == 1
    assert run.verdicts() == {"cam.mp4": "lock", "POSTER_BG": "info", "GREEN_SLUG": "pass",
                              "VO_TEMP": "lock"}
    assert run.findings("cam.mp4")["talent-consent"] == "lock"
    poster = next(i for s in run.json["subjects"] for i in s["items"]
                  if i["clip"] == "POSTER_BG")
    assert poster["findings"][0]["approval"] == "APR-K1"
    assert poster["record_in"] == "00:00:01:05"
    # a folder of projects is searched for .kdenlive files, checked in worker processes
    folder = cli("check", episode.parent, "--stage", "final", "--format", "json", "--jobs", "2")
    assert folder.verdicts() == run.verdicts()
    text = cli("check", episode, "--stage", "edit")
    assert 'LOCK V1 "cam.mp4" 00:00:00:00-00:00:01:00' in text.out
    assert 'WARN A1 "VO_TEMP" 00:00:00:10-00:00:00:22' in text.out


def test_annotate_puts_markers_and_guides_where_kdenlive_shows_them(episode, cli, tmp_path):
    before = episode.read_bytes()
    out = tmp_path / "ep101_checked.kdenlive"
    run = cli("annotate", episode, out, "--stage", "final")
    assert run.code == 1, run.err
    assert episode.read_bytes() == before  # the input is never modified
    cam = markers(out, "2")
    assert {"comment": "focus buzz", "pos": 3, "type": 1} in cam  # the editor's own marker
    ours = [m for m in cam if m["comment"].startswith("AIGATE")]
    assert len(ours) == 1 and ours[0]["type"] == 8 and ours[0]["pos"] == 0
    # the headline: the most severe finding, then the first in the policy's rule order
    assert ours[0]["comment"].startswith("AIGATE LOCK final-deliverable-use: generated")
    assert ours[0]["comment"].endswith("(also: talent-consent)")
    poster = markers(out, "3")
    assert len(poster) == 1 and poster[0]["type"] == 2 and poster[0]["pos"] == 5
    assert markers(out, "4") == []  # a passing clip gets nothing
    # a guide at each flagged clip's record in, its label short enough for the ruler
    # (verdict, rule, clip); the editor's guide kept, and ours beside it: Kdenlive keeps
    # one guide per frame (22.12 dropped the editor's "Act 2" on saving when both were at
    # frame 10)
    assert sorted((g["pos"], g["type"], g["comment"]) for g in guides(out)) == [
        (0, 8, "AIGATE LOCK final-deliverable-u… cam.mp4"),
        (10, 0, "Act 2"),
        (11, 8, "AIGATE LOCK final-deliverable-u… VO_TEMP"),
        (30, 2, "AIGATE APPROVED final-deliver… POSTER_BG"),
    ]
    assert all(len(g["comment"]) <= 40 for g in guides(out))
    # the annotated project still renders, and the same picture
    pixels = render_frames(out, tmp_path / "annotated.mp4")
    assert near(pixels[40], RED) and near(pixels[65], GREEN)

    # annotating the annotated project at another stage replaces, never duplicates
    again = tmp_path / "again.kdenlive"
    assert cli("annotate", out, again, "--stage", "final").code == 1
    assert markers(again, "2") == cam and guides(again) == guides(out)
    edit = tmp_path / "edit.kdenlive"
    cli("annotate", again, edit, "--stage", "edit")
    assert [m["type"] for m in markers(edit, "5")] == [4]  # VO_TEMP now warns: yellow
    assert [m["type"] for m in markers(edit, "3")] == [2]
    # at edit only the consent locks: it heads the guide; the warned clip has its own
    assert [g["comment"] for g in guides(edit)] == [
        "AIGATE LOCK talent-consent cam.mp4", "Act 2",
        "AIGATE WARN final-deliverable-u… VO_TEMP", "AIGATE APPROVED final-deliver… POSTER_BG"]
    assert [g["type"] for g in guides(edit)] == [8, 0, 4, 2]
    # read back through the gate: the annotation is not mistaken for a declaration
    check = cli("check", edit, "--stage", "final", "--format", "json")
    assert check.verdicts() == cli("check", episode, "--stage", "final",
                                   "--format", "json").verdicts()


def test_a_final_render_of_a_locked_cut_is_refused_and_writes_nothing(episode, production,
                                                                        cli):
    # deliverables/ is final by the default path rules: the output decides the stage
    deliverables = production / "deliverables"
    run = cli("render", episode, deliverables / "ep101.mp4")
    assert run.code == 1
    assert "export refused at stage final" in run.err
    assert re.search(r'V1 "cam.mp4" 00:00:00:00-00:00:01:00 \(.*talent-consent', run.err)
    assert not deliverables.exists() or list(deliverables.iterdir()) == []
    other = production / "renders"
    other.mkdir()
    run = cli("render", episode, other / "ep101.mp4", "--stage", "final", "--",
              "vcodec=mpeg4")
    assert run.code == 1 and list(other.iterdir()) == []


def test_an_approved_cut_renders_at_final_and_the_picture_is_right(production, cli):
    project = production / "edit" / "approved.kdenlive"
    project.parent.mkdir()
    built = build([TrackSpec([ClipSpec("POSTER_BG", 25, color="0xff0000ff", aigate=POSTER),
                              ClipSpec("PLATE", 25, color="0x0000ffff")])],
                  profile=ProfileSpec(*SIZE))
    write(built, project)
    out = production / "deliverables" / "ep101_FINAL.mp4"
    run = cli("render", project, out, "--", "vcodec=mpeg4", "an=1")
    assert run.code == 0, run.err
    assert run.out.strip().splitlines()[-1] == (
        f"rendered {out} at stage final (deliverable); no clip locks, 1 AI clip approved "
        "or allowed")
    pixels = centre_pixels(out)
    assert len(pixels) == 50
    assert near(pixels[12], RED) and near(pixels[37], BLUE)
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary left


def test_render_of_a_subject_no_host_renders_is_a_usage_error(studio, cli):
    from helpers import clip, timeline

    cut = write_otio(studio / "cut.otio", timeline([clip("A")]))
    run = cli("render", cut, studio / "out.mp4", "--stage", "edit")
    assert run.code == 2 and "no host plugin renders" in run.err
    assert not (studio / "out.mp4").exists()


def test_otio_round_trip_keeps_the_cut_and_the_provenance(episode, production, cli,
                                                         tmp_path):
    timeline = to_otio(read(episode))
    cut = write_otio(production / "edit" / "ep101.otio", timeline)
    # the same conform gate on the OTIO file gives the same verdicts
    kdenlive = cli("check", episode, "--stage", "final", "--format", "json")
    otio_run = cli("check", cut, "--stage", "final", "--format", "json")
    assert otio_run.verdicts() == kdenlive.verdicts()
    assert [(i["track"], i["record_in"]) for s in otio_run.json["subjects"]
            for i in s["items"]] == [(i["track"], i["record_in"])
                                     for s in kdenlive.json["subjects"] for i in s["items"]]
    # and back to Kdenlive: same items, same declarations, still renders
    back = production / "edit" / "back.kdenlive"
    write(from_otio(otio.adapters.read_from_file(str(cut))), back)
    first, second = collect(read(episode)).items, collect(read(back)).items
    assert [(i.track, i.clip, i.record_start, i.record_end) for i in second] == \
        [(i.track, i.clip, i.record_start, i.record_end) for i in first]
    assert [[v for _, v in i.declared] for i in second] == \
        [[v for _, v in i.declared] for i in first]
    assert cli("check", back, "--stage", "final", "--format", "json").verdicts() == \
        kdenlive.verdicts()
    pixels = render_frames(back, tmp_path / "back.mp4")
    assert near(pixels[40], RED) and near(pixels[65], GREEN)


def test_a_declaration_on_the_timeline_entry_counts_and_survives_otio(production, cli):
    built = build([TrackSpec([ClipSpec("SKY", 10, color="0x0000ffff",
                                       entry_aigate=DEAGE)])], profile=ProfileSpec(*SIZE))
    project = production / "sky.kdenlive"
    write(built, project)
    assert cli("check", project, "--format", "json").verdicts() == {"SKY": "lock"}
    timeline = to_otio(read(project))
    clip_ = timeline.tracks[0][0]
    assert clip_.metadata["aigate"]["talent"][0]["name"] == "Ray Holt"
    back = collect(from_otio(timeline)).items[0]
    assert dict(back.declared) == {"entry": DEAGE}


def test_the_project_declares_its_stage(production, cli):
    built = build([TrackSpec([ClipSpec("SKY_X", 10, color="red", aigate=ai())])],
                  settings={"stage": "final"})
    project = production / "declared.kdenlive"
    write(built, project)
    run = cli("check", project, "--format", "json")
    assert run.json["subjects"][0]["stage"] == "final"
    assert run.verdicts() == {"SKY_X": "lock"}
    assert cli("render", project, production / "out.mp4").code == 1
    assert not (production / "out.mp4").exists()


def test_plain_mlt_with_frame_and_smpte_times(production, cli, tmp_path):
    """A hand-written MLT file: the played playlist is the track, markers go on the
    producer (there is no bin), and melt plays it."""
    path = production / "plain.mlt"
    path.write_text(f"""<mlt>
<profile width="128" height="72" frame_rate_num="24" frame_rate_den="1"
  sample_aspect_num="1" sample_aspect_den="1" progressive="1"/>
<producer id="red"><property name="resource">red</property>
 <property name="mlt_service">color</property><property name="length">100</property>
 <property name="kdenlive:aigate">{_json(DEAGE)}</property></producer>
<playlist id="main"><blank length="12"/><entry producer="red" in="0" out="00:00:01:00"/>
</playlist></mlt>""")
    run = cli("check", path, "--format", "json")
    assert run.verdicts() == {"red": "lock"}
    item = run.json["subjects"][0]["items"][0]
    assert (item["record_in"], item["record_out"]) == ("00:00:00:12", "00:00:01:13")
    out = tmp_path / "plain_checked.mlt"
    cli("annotate", path, out)
    loaded = read(out)
    marked = json.loads(prop(loaded.services()["red"], "kdenlive:markers") or "[]")
    assert [m["type"] for m in marked] == [8]
    pixels = render_frames(out, tmp_path / "plain.mp4")
    assert near(pixels[20], RED) and not near(pixels[5], RED)


@pytest.mark.parametrize("text, where", [
    ("<mlt><playlist id='p'><entry producer='ghost'/></playlist></mlt>",
     "playlist 'p' element 1: <entry> plays 'ghost', which is not defined"),
    ("<mlt><producer id='a'><property name='length'>5</property></producer>"
     "<playlist id='p'><entry producer='a' out='soon'/></playlist></mlt>",
     "playlist 'p' element 1 out: 'soon' is not a time"),
    ("<mlt><playlist id='p'>", "cannot read as MLT XML"),
    ("<timeline/>", "not an MLT document (root element <timeline>"),
    ('<!DOCTYPE mlt [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><mlt>&b;</mlt>',
     "refused: it declares XML entities"),
])
def test_bad_projects_are_one_line_naming_the_file_and_place(tmp_path, cli, text, where):
    path = tmp_path / "bad.kdenlive"
    path.write_text(text)
    run = cli("check", path)
    assert run.code == 2
    assert f"{path}: " in run.out + run.err and where in run.out + run.err
    assert "Traceback" not in run.err
    assert "EntitiesForbidden" not in run.out + run.err  # said in words, not a class name


def test_a_contract_that_is_not_json_is_a_finding_not_a_pass(production, cli):
    built = build([TrackSpec([ClipSpec("GEN", 10, color="red", aigate=None)])])
    built.root.find("producer").append(_raw_property("kdenlive:aigate", "generated: yes"))
    project = production / "typo.kdenlive"
    write(built, project)
    run = cli("check", project, "--format", "json")
    assert "provenance-malformed" in run.findings("GEN")


def _raw_property(name: str, text: str) -> Any:
    import xml.etree.ElementTree as ET

    element = ET.Element("property", name=name)
    element.text = text
    return element


def test_doctor_says_whether_melt_is_found_and_its_version(episode, tmp_path):
    run = run_process("doctor")
    line = next(line for line in run.out.splitlines() if " melt:" in line)
    assert re.match(r"ok\s+melt: melt \d+\.\d+", line), line
    # without melt on PATH: doctor says so (checking still works, so not a fail-open) and
    # a render is a clear error that writes nothing
    bare = {"PATH": str(tmp_path / "empty")}
    run = run_process("doctor", env=bare)
    assert "warn melt: not found" in run.out
    out = tmp_path / "ep101.mp4"
    run = run_process("render", episode, out, "--stage", "edit", env=bare)
    assert run.code == 2 and "melt is not installed" in run.err
    assert not out.exists() and list(tmp_path.glob(".ep101*")) == []


@given(st.integers(min_value=0, max_value=10_000_000),
       st.sampled_from([(24000, 1001), (24, 1), (25, 1), (30000, 1001), (50, 1),
                        (60000, 1001)]))
def test_clock_times_as_kdenlive_writes_them_read_back_to_the_same_frame(frame, rate):
    """Kdenlive writes in/out as clock strings (millisecond precision): every frame of a
    long project at the usual rates reads back as itself."""
    fps = rate[0] / rate[1]
    assert frames(clock(frame, fps), fps) == frame
