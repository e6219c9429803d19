"""The OTIO host plugin on real files written by OTIO's real adapters."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest
from opentimelineio.opentime import RationalTime, TimeRange

from aigate.run.session import Session
from helpers import RATE, ai, clip, timeline, write


def items_of(path: Path) -> list[dict]:
    [result] = Session().check_file(path)
    return [{"track": r.item.track, "clip": r.item.clip, "in": r.item.record_in,
             "out": r.item.record_out} for r in result.items]


@pytest.mark.parametrize("suffix,adapter", [
    ("otio", None), ("edl", "cmx_3600"), ("xml", "fcp_xml"), ("fcpxml", "fcpx_xml"),
])
def test_every_editorial_format_gives_the_same_clips_and_times(tmp_path, suffix, adapter):
    tl = timeline([clip("SH010", 2), clip("SH020", 3), clip("SH030", 1)])
    path = write(tmp_path / f"cut.{suffix}", tl, adapter)
    got = items_of(path)
    assert [i["clip"] for i in got] == ["SH010", "SH020", "SH030"]
    # OTIO's EDL and FCPX writers do not keep the timeline start; the others do
    hour = "00" if suffix in ("edl", "fcpxml") else "01"
    assert [(i["in"], i["out"]) for i in got] == [
        (f"{hour}:00:00:00", f"{hour}:00:02:00"), (f"{hour}:00:02:00", f"{hour}:00:05:00"),
        (f"{hour}:00:05:00", f"{hour}:00:06:00")]


def test_edl_record_timecodes_come_from_the_edl(tmp_path):
    path = tmp_path / "reel1.edl"
    path.write_text(
        "TITLE: REEL 1\nFCM: NON-DROP FRAME\n\n"
        "001  A001     V     C        10:00:00:00 10:00:02:00 01:00:10:00 01:00:12:00\n"
        "* FROM CLIP NAME:  SH010\n"
        "002  A002     V     C        11:00:00:00 11:00:03:00 01:00:15:00 01:00:18:00\n"
        "* FROM CLIP NAME:  SH020\n")
    assert items_of(path) == [
        {"track": "V", "clip": "SH010", "in": "01:00:10:00", "out": "01:00:12:00"},
        {"track": "V", "clip": "SH020", "in": "01:00:15:00", "out": "01:00:18:00"}]


def test_otioz_bundle_with_its_media(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    (media / "SH010.mov").write_bytes(b"\x00" * 32)
    tl = timeline([clip("SH010", 2, ai(), url=str(media / "SH010.mov"))])
    path = write(tmp_path / "cut.otioz", tl)
    [result] = Session().check_file(path)
    assert [r.item.clip for r in result.items] == ["SH010"]
    assert result.items[0].ai  # metadata survives the bundle


def test_aaf_written_by_the_real_adapter_is_read_back(tmp_path):
    tl = timeline([clip("SH010", 2), clip("SH020", 3)])
    for c in tl.find_clips():  # clips that did not come from an AAF need empty mob ids
        c.media_reference = otio.schema.MissingReference(
            available_range=c.media_reference.available_range)
    path = tmp_path / "cut.aaf"
    otio.adapters.write_to_file(tl, str(path), use_empty_mob_ids=True)
    got = items_of(path)
    assert [i["clip"] for i in got] == ["SH010", "SH020"]
    assert got[1]["out"].endswith("00:05:00")


def test_gaps_transitions_and_nested_stacks_match_otio_own_ranges(tmp_path):
    track = otio.schema.Track(name="V1")
    track.append(clip("A", 2))
    track.append(otio.schema.Gap(source_range=TimeRange(RationalTime(0, RATE),
                                                        RationalTime(12, RATE))))
    track.append(clip("B", 2))
    track.append(otio.schema.Transition(in_offset=RationalTime(6, RATE),
                                        out_offset=RationalTime(6, RATE)))
    track.append(clip("C", 2))
    nested = otio.schema.Stack(name="precomp", source_range=TimeRange(
        RationalTime(24, RATE), RationalTime(48, RATE)))
    inner = otio.schema.Track(name="inner")
    inner.extend([clip("N1", 2), clip("N2", 2)])
    nested.append(inner)
    track.append(nested)
    track.append(clip("D", 1))
    tl = otio.schema.Timeline(name="nest", global_start_time=RationalTime(86400, RATE))
    tl.tracks.append(track)
    path = write(tmp_path / "nest.otio", tl)
    [result] = Session().check_file(path)
    got = {r.item.clip: (r.item.record_start, r.item.record_end, r.item.track)
           for r in result.items}
    # OTIO's own (slow) answer for the top-level clips
    for c in track.find_clips(shallow_search=True):
        placed = c.range_in_parent()
        start = 86400 + placed.start_time.value
        assert got[c.name][:2] == (start, start + placed.duration.value)
    # the nested stack starts at 8.5 s (A 2 s, gap 0.5 s, B 2 s, C 2 s) and shows 1 s..3 s
    # of its content: N1 (0..2 s) is visible from its second 1, N2 from content time 2 s
    assert got["N1"][2] == "V1/precomp"
    assert got["N1"][0] == 86400 + (6.5 * RATE) - RATE
    assert got["N2"][0] == 86400 + (6.5 * RATE) + RATE
    assert got["D"][0] == 86400 + (6.5 + 2) * RATE


def test_collection_of_timelines_checks_each(tmp_path, cli):
    coll = otio.schema.SerializableCollection(name="reels")
    coll.append(timeline([clip("R1_SH1", 2, ai())], name="reel 1"))
    coll.append(timeline([clip("R2_SH1", 2)], name="reel 2"))
    path = write(tmp_path / "reels.otio", coll)
    run = cli("check", path, "--stage", "final", "--format", "json")
    assert [(s["name"], s["verdict"]) for s in run.json["subjects"]] == [
        ("reel 1", "lock"), ("reel 2", "pass")]


def test_clip_without_media_reference_and_unnamed_tracks(tmp_path):
    tl = otio.schema.Timeline(name="bare")
    for kind in (otio.schema.TrackKind.Video, otio.schema.TrackKind.Audio):
        track = otio.schema.Track(kind=kind)
        track.append(otio.schema.Clip(name="X", source_range=TimeRange(
            RationalTime(0, 25), RationalTime(25, 25))))
        tl.tracks.append(track)
    path = write(tmp_path / "bare.otio", tl)
    [result] = Session().check_file(path)
    assert [(r.item.track, r.item.media_url, r.item.record_out) for r in result.items] == [
        ("V1", None, "00:00:01:00"), ("A1", None, "00:00:01:00")]


def test_non_smpte_rate_falls_back_to_frames(tmp_path):
    tl = otio.schema.Timeline(name="odd", global_start_time=RationalTime(0, 17))
    track = otio.schema.Track()
    track.append(otio.schema.Clip(name="X", source_range=TimeRange(
        RationalTime(0, 17), RationalTime(34, 17))))
    tl.tracks.append(track)
    [result] = Session().check_file(write(tmp_path / "odd.otio", tl))
    assert result.items[0].item.record_out == "34f@17"


def test_otiod_bundle_folder_is_one_timeline(tmp_path, cli):
    media = tmp_path / "media"
    media.mkdir()
    (media / "SH010.mov").write_bytes(b"\x00" * 32)
    tl = timeline([clip("SH010", 2, ai(), url=str(media / "SH010.mov"))])
    write(tmp_path / "shows" / "cut.otiod", tl)
    run = cli("check", tmp_path / "shows", "--format", "json")
    assert [Path(s["path"]).name for s in run.json["subjects"]] == ["cut.otiod"]
    assert run.json["errors"] == []


def test_a_collection_of_clips_without_a_timeline_is_checked_as_a_bin(cli, tmp_path):
    """An FCPXML event or a bin holds clips an editor is about to cut with: they are
    checked (at the stage the path gives, edit by default), not refused."""
    bin_ = otio.schema.SerializableCollection(name="Dailies")
    bin_.append(clip("A001C003", 3))
    bin_.append(clip("GEN_sky_v1", 2, ai(purpose="final", tool={"name": "Unvetted"})))
    path = tmp_path / "dailies.otio"
    otio.adapters.write_to_file(bin_, str(path))
    run = cli("check", path, "--format", "json")
    assert run.code in (0, 1), run.err
    [subject] = run.json["subjects"]
    assert subject["name"] == "Dailies (bin)" and subject["stage"] == "edit"
    assert [(i["track"], i["clip"], i["ai"]) for i in subject["items"]] == [
        ("bin", "A001C003", False), ("bin", "GEN_sky_v1", True)]
    assert subject["items"][1]["verdict"] != "pass"


def test_an_fcpxml_event_from_a_public_repository_is_a_bin(cli):
    path = Path(__file__).parent / "corpus" / "OpenTimeline__fcpx_clips.fcpxml"
    run = cli("check", path, "--format", "json")
    assert run.code == 0, run.err
    [subject] = run.json["subjects"]
    assert subject["stage"] == "edit" and len(subject["items"]) == 8


@pytest.mark.parametrize("name,expected", [
    ("OpenFCPXMLKi__ClipMetadata.fcpxml",
     "cannot read as FCPXML (adapter fcpx_xml): the adapter failed at "
     '<video name="Clouds" ref="r2" offset="3600s"> (line 34): AttributeError: '),
    ("cmx3600__dissolve_test_fail.edl",
     "cannot read as EDL (adapter cmx_3600): the adapter failed at line 3: '001  TST V"),
])
def test_an_adapter_crash_names_the_adapter_and_the_place(cli, name, expected):
    path = Path(__file__).parent / "corpus" / name
    run = cli("check", path, "--format", "json")
    assert run.code == 2
    [line] = run.err.splitlines()
    assert f"{path}: {expected}" in line


@pytest.mark.parametrize("url", ["S:\\show\\media\\SH1.mov", "file:///S:/show/media/SH1.mov",
                                 "\\\\fileserver\\show\\media\\SH1.mov",
                                 "file://fileserver/show/media/SH1.mov"])
def test_media_paths_from_another_os_are_remapped_never_joined_on(cli, tmp_path, url):
    """A Windows drive or UNC path is not a relative path: joined onto the timeline's
    folder it could read a planted file (here: one under a folder named like the drive)."""
    for planted in (tmp_path / "S:" / "show" / "media", tmp_path / "fileserver" / "show"
                    / "media", tmp_path / "show" / "media"):
        planted.mkdir(parents=True)
        (planted / "SH1.mov").write_bytes(b"not a movie")
    cut = write(tmp_path / "cut.otio", timeline([clip("SH1", 2, url=url)]))
    run = cli("check", cut, "--format", "json")
    [item] = run.json["subjects"][0]["items"]
    kind = "UNC" if "fileserver" in url else "Windows drive"
    assert item["media_note"] == (f"a {kind} path from another machine, not found here "
                                  f"(media.remap in aigate.yaml maps it): {url}")
    source = "//FileServer/show" if kind == "UNC" else "s:\\SHOW"  # any case, either slash
    (tmp_path / "aigate.yaml").write_text(
        f"media:\n  remap:\n    - {{from: '{source}', to: '{tmp_path / 'show'}'}}\n")
    run = cli("check", cut, "--format", "json")
    [item] = run.json["subjects"][0]["items"]
    assert item["media_note"] is None, item
