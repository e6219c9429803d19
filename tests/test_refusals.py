"""Annotate keeps every edit point and the record start, or refuses in the cut's terms:
the track, the clips, the transition, the timecode and what the format cannot express."""

from __future__ import annotations

import struct
from pathlib import Path

import opentimelineio as otio
import pytest
from opentimelineio.opentime import RationalTime, TimeRange

from aigate_otio.collect import collect_timeline, timelines
from aigate_otio.files import without_aigate_hooks
from helpers import ai, clip, timeline, write

CORPUS = Path(__file__).resolve().parent / "corpus"


def read(path: Path):
    with without_aigate_hooks():
        return otio.adapters.read_from_file(str(path))


def dissolve_cut() -> otio.schema.Timeline:
    a, b = clip("A012C003", aigate=ai()), clip("A012C004")
    a.source_range = TimeRange(RationalTime(100, 24), RationalTime(513, 24))
    b.source_range = TimeRange(RationalTime(0, 24), RationalTime(96, 24))
    dissolve = otio.schema.Transition(
        transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
        in_offset=RationalTime(6, 24), out_offset=RationalTime(6, 24))
    return timeline([a, dissolve, b])


@pytest.mark.parametrize("suffix, said", [
    ("edl", "V1: the dissolve between A012C003 and A012C004 at 01:00:21:09 needs 6 frames "
            "of handle before source 00:00:00:00; CMX 3600 cannot express it"),
    ("aaf", "V1: the dissolve between A012C003 and A012C004 at 01:00:21:09 was not read "
            "from an AAF; OTIO's AAF writer only writes a transition with its AAF "
            "operation, so AAF cannot express it here")])
def test_a_transition_the_format_cannot_express_is_named(tmp_path, cli, suffix, said):
    src = write(tmp_path / "cut.otio", dissolve_cut())
    out = tmp_path / f"out.{suffix}"
    run = cli("annotate", src, out)
    assert run.code == 2
    assert run.err.strip() == f"aigate: {out}: not written: {said}"
    assert list(tmp_path.glob("out*")) == []


def test_an_audio_only_cut_to_fcpxml_is_refused_naming_the_clip(tmp_path, cli):
    cut = otio.schema.Timeline(name="mix")
    cut.tracks.append(otio.schema.Track(name="A1", kind="Audio", children=[
        clip("dialogue", aigate=ai())]))
    src = write(tmp_path / "mix.otio", cut)
    run = cli("annotate", src, tmp_path / "mix.fcpxml")
    assert run.code == 2
    assert 'A1: "dialogue" at 00:00:00:00 is sound with no picture in the cut' in run.err
    assert "NoneType" not in run.err


@pytest.mark.parametrize("suffix", ["xml", "fcpxml", "aaf", "edl"])
@pytest.mark.parametrize("name", ["OpenTimeline__avid_example.edl",
                                  "OpenTimeline__nucoda_example.edl",
                                  "OpenTimeline__premiere_example.edl"])
def test_edl_born_cuts_annotate_with_their_record_start(tmp_path, cli, suffix, name):
    # clips whose media has no available range (every EDL-born cut) at their record start
    tl = read(CORPUS / name)
    for c in tl.find_clips()[::2]:
        c.metadata["aigate"] = ai(purpose="temp")
    src = write(tmp_path / "cut.otio", tl)
    expected = [(i.clip, i.record_in, i.record_out) for i in collect_timeline(tl).items]
    out = tmp_path / f"out.{suffix}"
    run = cli("annotate", src, out, "--allow-loss")
    assert run.code in (0, 1), run.err
    assert "NoneType" not in run.err
    back = read(out) if suffix != "edl" else otio.adapters.read_from_file(str(out), rate=24)
    [cut] = timelines(back)
    got = [(i.clip, i.record_in, i.record_out) for i in collect_timeline(cut).items]
    assert got == expected  # the record start (00:59:53:11...) and every edit point kept


@pytest.mark.parametrize("suffix", ["fcpxml", "aaf", "xml"])
def test_annotated_files_keep_the_record_start(tmp_path, cli, suffix):
    tl = timeline([clip("A012C003", 3, aigate=ai()), clip("A012C004", 2)])
    src = write(tmp_path / "cut.otio", tl)
    out = tmp_path / f"cut.{suffix}"
    assert cli("annotate", src, out).code in (0, 1)
    [cut] = timelines(read(out))
    items = collect_timeline(cut).items
    assert [(i.record_in, i.record_out) for i in items] == [
        ("01:00:00:00", "01:00:03:00"), ("01:00:03:00", "01:00:05:00")]
    if suffix == "fcpxml":  # as FCP writes it: the sequence's tcStart
        assert 'tcStart="3600s"' in out.read_text()


def test_a_moved_edit_point_is_refused_naming_the_clip(tmp_path, cli, monkeypatch):
    # an adapter whose reader rounds an edit point (OTIO's FCPX reader reads a 904-frame
    # clip as 903 at some rates): nothing is written, and the clip and the frames are named
    from aigate_otio import export

    real = export._read_back

    def rounding(tmp, final, rate):
        back = real(tmp, final, rate)
        for c in back.find_clips():
            if c.name == "A012C004":
                r = c.source_range
                c.source_range = TimeRange(r.start_time, r.duration - RationalTime(1, 24))
        return back
    monkeypatch.setattr(export, "_read_back", rounding)
    src = write(tmp_path / "cut.otio", timeline([clip("A012C003", aigate=ai()),
                                                  clip("A012C004", 904 / 24)]))
    run = cli("annotate", src, tmp_path / "cut.xml")
    assert run.code == 2
    assert ('V1 "A012C004" 01:00:02:00-01:00:39:16 read back at 01:00:02:00-01:00:39:15 '
            "(out -1 frame): the format's adapter moves this edit point") in run.err
    assert not (tmp_path / "cut.xml").exists()


def test_adapter_logging_becomes_note_lines(tmp_path, cli):
    # pyaaf2 logs through the root logger: Python would print a bare "WARNING:root:" line
    data = bytearray((CORPUS / "aaf__one_audio_clip.aaf").read_bytes())
    struct.pack_into("<I", data, 0x2C, struct.unpack_from("<I", data, 0x2C)[0] + 1)
    odd = tmp_path / "odd.aaf"
    odd.write_bytes(bytes(data))
    run = cli("check", odd, "--jobs", "1")
    assert run.code == 0
    assert f"aigate: note: {odd}: fat sector count missmatch" in run.err
    assert "WARNING" not in run.err
