"""A cut is shown at its own rate, read from wherever its clips sit, and an EDL (which
does not state its rate) is read at the rate the user, the config or the EDL itself gives,
and the rate used is said."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest
from opentimelineio.opentime import RationalTime, TimeRange

from aigate_otio.collect import collect_timeline, timelines
from aigate_otio.files import without_aigate_hooks
from helpers import ai, write

CORPUS = Path(__file__).resolve().parent / "corpus"


def at(rate: float, name: str, start: float = 0, frames: float = 48) -> otio.schema.Clip:
    return otio.schema.Clip(name=name, source_range=TimeRange(
        RationalTime(start, rate), RationalTime(frames, rate)))


def test_a_multichannel_pro_tools_aaf_is_shown_at_its_30_fps(cli):
    # Pro Tools writes no record start; its clips sit in a stack per channel group after a
    # leading gap: 30 fps, never the 24 fps a reader falls back to
    run = cli("check", CORPUS / "LibAAF__PT_Multichannel_5.1_multi_source.aaf",
              "--format", "json", "--jobs", "1")
    items = [i for s in run.json["subjects"] for i in s["items"]]
    assert len(items) == 12
    with without_aigate_hooks():
        tl = otio.adapters.read_from_file(
            str(CORPUS / "LibAAF__PT_Multichannel_5.1_multi_source.aaf"))
    [cut] = timelines(tl)
    ends = sorted({otio.opentime.to_timecode(c.range_in_parent().end_time_exclusive()
                                             + c.parent().parent().range_in_parent().start_time,
                                             30) for c in cut.find_clips()})
    assert sorted({i["record_out"] for i in items}) == ends


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*")
                                        if p.suffix in (".aaf", ".otio", ".fcpxml", ".xml")))
def test_a_cut_without_a_stated_rate_is_shown_at_a_rate_its_clips_have(name):
    try:
        with without_aigate_hooks():
            read = otio.adapters.read_from_file(str(CORPUS / name))
    except Exception:
        pytest.skip("OTIO cannot read it (test_corpus checks the one-line error)")
    for tl in timelines(read) or []:
        rates = {c.source_range.duration.rate for c in tl.find_clips() if c.source_range}
        if tl.global_start_time is not None or not rates:
            continue
        items = collect_timeline(tl).items
        assert {i.rate for i in items} <= rates, (name, rates)


def test_a_nested_audio_only_cut_after_a_gap_reads_and_annotates_at_its_rate(tmp_path, cli):
    cut = otio.schema.Timeline(name="mix")
    gap = otio.schema.Gap(source_range=TimeRange(RationalTime(0, 30), RationalTime(9209, 30)))
    cut.tracks.append(otio.schema.Track(name="A1", kind="Audio", children=[
        gap, otio.schema.Stack(children=[
            otio.schema.Track(kind="Audio", children=[at(30, "voice L")]),
            otio.schema.Track(kind="Audio", children=[at(30, "voice R")])])]))
    cut.find_clips()[0].metadata["aigate"] = ai()
    cut.find_clips()[1].metadata["aigate"] = ai()
    src = write(tmp_path / "mix.otio", cut)
    run = cli("check", src, "--format", "json")
    items = [i for s in run.json["subjects"] for i in s["items"]]
    # 9209 frames at 30 fps: 00:05:06:29 (at 24 fps it would read 00:06:23:17)
    assert {i["record_in"] for i in items} == {"00:05:06:29"}
    out = tmp_path / "mix_gate.otio"
    assert cli("annotate", src, out).code in (0, 1)
    with without_aigate_hooks():
        back = otio.adapters.read_from_file(str(out))
    for clip in back.find_clips():
        [marker] = [m for m in clip.markers if m.name.startswith("AIGATE")]
        assert marker.marked_range.start_time.rate == 30
