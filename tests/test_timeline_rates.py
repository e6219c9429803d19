"""A cut is shown at its own rate, read from wherever its clips sit, and an EDL (which
does not state its rate) is read at the rate the user, the config or the EDL itself gives,
and the rate used is said."""

from __future__ import annotations

import re
from pathlib import Path

import opentimelineio as otio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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


EDL_25 = """TITLE: EURO
FCM: NON-DROP FRAME

001  A012C003 V     C        10:00:00:00 10:00:02:24 01:00:00:00 01:00:02:24
* FROM CLIP NAME: A012C003
002  A012C004 V     C        10:00:10:00 10:00:11:00 01:00:02:24 01:00:03:24
* FROM CLIP NAME: A012C004
"""


def items_of(run) -> list[tuple[str, str, str]]:
    return [(i["clip"], i["record_in"], i["record_out"])
            for s in run.json["subjects"] for i in s["items"]]


def test_a_25_fps_edl_is_detected_and_the_rate_said(tmp_path, cli):
    edl = tmp_path / "euro.edl"
    edl.write_text(EDL_25)
    run = cli("check", edl, "--format", "json", "--jobs", "1")
    assert run.code == 0
    assert items_of(run) == [("A012C003", "01:00:00:00", "01:00:02:24"),
                             ("A012C004", "01:00:02:24", "01:00:03:24")]
    assert f"aigate: note: {edl}: read at 25 fps (frame numbers up to 24)" in run.err


NDF_SAID = ", non-drop frame as the EDL says"


@pytest.mark.parametrize("given, fcm, label, record_out", [
    ("25", True, "25 fps", "01:00:03:24"), ("30", True, "30 fps", "01:00:03:24"),
    ("50", True, "50 fps", "01:00:03:24"), ("29.97NDF", True, "29.97 NDF", "01:00:03:24"),
    # a rate without DF or NDF counts as the list says (its FCM line), drop frame if silent
    ("29.97", True, "29.97 NDF", "01:00:03:24"), ("59.94", True, "59.94 NDF", "01:00:03:24"),
    ("29.97", False, "29.97 DF", "01:00:03;24"), ("59.94", False, "59.94 DF", "01:00:03;24"),
    ("29.97DF", True, "29.97 DF", "01:00:03;24")])
def test_the_rate_from_the_command_line_or_the_config(tmp_path, cli, given, fcm, label,
                                                      record_out):
    edl = tmp_path / "euro.edl"
    edl.write_text(EDL_25 if fcm else EDL_25.replace("FCM: NON-DROP FRAME\n", ""))
    said = NDF_SAID if fcm and label.endswith(" NDF") and given[-3:] != "NDF" else ""
    run = cli("check", edl, "--format", "json", "--jobs", "1", "--rate", given)
    assert run.code == 0, run.err
    assert items_of(run)[-1][2] == record_out
    assert f"read at {label} (--rate{said})" in run.err
    config = tmp_path / "aigate.yaml"
    config.write_text(f"edl:\n  rate: '{given}'\n")
    run = cli("check", edl, "--format", "json", "--jobs", "1")
    assert items_of(run)[-1][2] == record_out
    assert f"read at {label} ({config}:2{said})" in run.err


def _tc(frames: int, per_second: int) -> str:
    seconds, frame = divmod(frames, per_second)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{frame:02d}"


# record starts (frames at 30) anywhere in a day that leaves room for the events, and often
# in the last 86 seconds before 24:00 (past the drop-frame day's 2,589,408 frames, where a
# non-drop count wrapped early)
_DAY = st.integers(0, 24 * 3600 * 30 - 18000)
_LATE = st.one_of(st.integers(0, 24 * 3600 * 30 - 1400),
                  st.integers(2589408 - 300, 24 * 3600 * 30 - 1400))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rate=st.sampled_from(["29.97NDF", "59.94NDF"]),
       starts=st.lists(_DAY, min_size=1, max_size=6),
       lengths=st.lists(st.integers(1, 3000), min_size=6, max_size=6))
def test_a_non_drop_frame_edl_is_shown_at_its_own_timecodes(tmp_path, cli, rate, starts,
                                                              lengths):
    # At 29.97 and 59.94 OTIO infers drop frame from the rate; an NDF EDL counts every frame,
    # and an editor looks a clip up by the timecodes in the list: every record and source
    # timecode the report shows is the one the EDL's event line gives
    per_second = 30 if rate.startswith("29") else 60
    record = sorted(starts)[0] * per_second // 30
    lines, wanted = ["TITLE: NDF", "FCM: NON-DROP FRAME", ""], []
    for n, length in enumerate(lengths[:len(starts)], 1):
        source = 3600 * per_second + n * 7
        event = (_tc(source, per_second), _tc(source + length, per_second),
                 _tc(record, per_second), _tc(record + length, per_second))
        lines += [f"{n:03d}  R{n:03d}     V     C        {' '.join(event)}",
                  f"* FROM CLIP NAME: shot{n}"]
        wanted.append((f"shot{n}", event[2], event[3], event[0], event[1]))
        record += length
    edl = tmp_path / "ndf.edl"
    edl.write_text("\n".join(lines) + "\n")
    (tmp_path / "aigate.yaml").write_text("patterns: ['shot*']\n")  # every clip flagged
    run = cli("check", edl, "--format", "json", "--jobs", "1", "--rate", rate)
    assert [(i["clip"], i["record_in"], i["record_out"], i["source_in"], i["source_out"])
            for s in run.json["subjects"] for i in s["items"]] == wanted
    text = cli("check", edl, "--jobs", "1", "--rate", rate)  # where an editor reads them
    assert all(f'"{w[0]}" {w[1]}-{w[2]}' in text.out for w in wanted), text.out


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rate=st.sampled_from(["29.97NDF", "59.94NDF"]),
       starts=st.lists(_LATE, min_size=1, max_size=4))
def test_an_annotated_non_drop_frame_edl_keeps_its_timecodes(tmp_path, cli, rate, starts):
    # OTIO's CMX writer writes drop frame at 29.97 and 59.94: the annotated copy of an NDF
    # list must keep the editor's timecodes (the same frames, counted the same way)
    per_second = 30 if rate.startswith("29") else 60
    events, record = [], sorted(starts)[0] * per_second // 30
    for n in range(1, len(starts) + 1):
        length = 40 * n + 7
        events.append((f"R{n:03d}", _tc(3600 * per_second, per_second),
                       _tc(3600 * per_second + length, per_second), _tc(record, per_second),
                       _tc(record + length, per_second)))
        record += length
    edl = tmp_path / "ndf.edl"
    edl.write_text("TITLE: NDF\nFCM: NON-DROP FRAME\n\n" + "".join(
        f"{n:03d}  {e[0]}     V     C        {' '.join(e[1:])}\n* FROM CLIP NAME: shot{n}\n"
        for n, e in enumerate(events, 1)))
    (tmp_path / "aigate.yaml").write_text("patterns: ['shot1']\n")  # one verdict to carry
    out = tmp_path / "out.edl"
    out.unlink(missing_ok=True)
    run = cli("annotate", edl, out, "--rate", rate, "--stage", "review")
    assert run.code in (0, 1) and out.exists(), run.out + run.err
    written = out.read_text()
    assert "FCM: NON-DROP FRAME" in written
    lines = [line.split() for line in written.splitlines() if line[:3].isdigit()]
    assert [(line[1], *line[4:8]) for line in lines] == events
    assert "AIGATE" in written and not re.search(r"\d\d;\d\d", written)  # no DF timecode


@pytest.mark.parametrize("rate, last", [("29.97NDF", "29"), ("59.94NDF", "59")])
def test_a_non_drop_frame_edl_near_midnight_keeps_its_timecodes(tmp_path, cli, rate, last):
    # the last 86 seconds of a non-drop day (time-of-day source timecode, a record near
    # 24:00) are past the drop-frame day's length, where OTIO's timecode wraps: they were
    # shown, and an annotated list was written, at 00:00:.. (the conform pulls the wrong
    # frames); with a dissolve, a speed effect (M2) and a locator on the way
    lines = ["TITLE: NIGHT", "FCM: NON-DROP FRAME", "",
             "001  R001     V     C        23:59:00:00 23:59:05:00 23:58:30:00 23:58:35:00",
             "* FROM CLIP NAME: shot1",
             "002  R002     V     C        12:00:00:00 12:00:00:00 23:58:35:00 23:58:35:00",
             f"002  R003     V     D    030 23:59:40:00 23:59:50:{last} "
             f"23:58:35:00 23:58:45:{last}",
             "* FROM CLIP NAME: shot2", "* TO CLIP NAME: gen3",
             f"003  R004     V     C        23:59:50:00 23:59:55:00 23:58:45:{last} "
             f"23:58:55:{last}",
             f"M2   R004       {'014.9' if last == '29' else '029.9'}                23:59:50:00",
             "* FROM CLIP NAME: gen4", "* LOC: 23:59:52:00 RED     NOTE"]
    edl = tmp_path / "night.edl"
    edl.write_text("\n".join(lines) + "\n")
    (tmp_path / "aigate.yaml").write_text("patterns: ['shot*', 'gen*']\n")

    def shown(path: Path) -> list[tuple[str, ...]]:
        run = cli("check", path, "--format", "json", "--jobs", "1", "--rate", rate)
        return [(i["clip"], i["record_in"], i["record_out"], i["source_in"])
                for s in run.json["subjects"] for i in s["items"]]

    wanted = [("shot1", "23:58:30:00", "23:58:35:00", "23:59:00:00"),
              ("gen3", "23:58:35:00", f"23:58:45:{last}", "23:59:40:00"),
              ("gen4", f"23:58:45:{last}", f"23:58:55:{last}", "23:59:50:00")]
    assert shown(edl) == wanted
    out = tmp_path / "out.edl"
    run = cli("annotate", edl, out, "--rate", rate, "--stage", "review")
    assert run.code == 1 and out.exists(), run.out + run.err  # locked, and written
    written = out.read_text()
    assert "001  R001     V     C        23:59:00:00 23:59:05:00 23:58:30:00 23:58:35:00" \
        in written
    # the speed change as the list has it: its reel, and the source out it gives
    assert re.search(r"^M2 +R004\s+[0-9.]+\s+23:59:50:00$", written, re.M), written
    assert re.search(r"^\d+ +R004 +V +C +23:59:50:00 23:59:55:00 ", written, re.M), written
    assert "* LOC: 23:59:52:00" in written and "FCM: NON-DROP FRAME" in written
    assert not re.search(r"\d;\d", written), written
    assert shown(out) == wanted  # the annotated list checks at the same places


def test_a_refusal_names_a_non_drop_frame_clip_at_its_own_timecode(tmp_path, cli):
    # what annotate refuses is said in the cut's terms: a non-drop-frame EDL's clip at the
    # timecode on its event line, not drop frame's 01:10:04;06 (an editor looks there)
    edl = tmp_path / "sound.edl"
    edl.write_text("TITLE: SOUND\nFCM: NON-DROP FRAME\n\n"
                   "001  R001     A     C        01:00:00:00 01:00:10:00 01:10:00:00 "
                   "01:10:10:00\n* FROM CLIP NAME: gen1\n")
    (tmp_path / "aigate.yaml").write_text("patterns: ['gen*']\n")
    out = tmp_path / "sound.fcpxml"
    run = cli("annotate", edl, out, "--rate", "29.97NDF", "--stage", "review")
    assert run.code == 2 and not out.exists()
    assert 'A1: "gen1" at 01:10:00:00 is sound with no picture' in run.err, run.err


@pytest.mark.parametrize("rate, separator, shown", [("29.97NDF", ":", "NDF"),
                                                   ("29.97", ";", "DF")])
def test_an_ntsc_edl_annotated_to_fcp7_xml_counts_as_the_edl(tmp_path, cli, rate,
                                                            separator, shown):
    # FCP7 XML says how its sequence counts (displayformat): OTIO's writer wrote NDF for a
    # drop-frame cut, and the gate showed every 29.97 XML in drop frame, so a Premiere NDF
    # sequence (and an NDF EDL annotated to XML) was reported minutes off what the NLE shows
    def tc(text: str) -> str:
        return text[:8] + separator + text[9:]

    edl = tmp_path / "cut.edl"
    edl.write_text("TITLE: CUT\n\n"
                   f"001  R001     V     C        {tc('00:10:00:00')} {tc('00:10:05:00')} "
                   f"{tc('01:10:00:00')} {tc('01:10:05:00')}\n* FROM CLIP NAME: gen1\n")
    (tmp_path / "aigate.yaml").write_text("patterns: ['gen*']\n")
    xml = tmp_path / "cut.xml"
    assert cli("annotate", edl, xml, "--rate", rate, "--stage", "review").code == 1
    assert set(re.findall(r"<displayformat>(\w+)<", xml.read_text())) == {shown}
    run = cli("check", xml, "--format", "json", "--jobs", "1")
    assert [(i["record_in"], i["record_out"], i["source_in"])
            for s in run.json["subjects"] for i in s["items"]] == [
        (tc("01:10:00:00"), tc("01:10:05:00"), tc("00:10:00:00"))]
    back = tmp_path / "back.edl"  # and the XML annotated to an EDL is the same list
    assert cli("annotate", xml, back, "--stage", "review").code == 1
    assert (f"{tc('00:10:00:00')} {tc('00:10:05:00')} {tc('01:10:00:00')} "
            f"{tc('01:10:05:00')}") in back.read_text()


def test_drop_frame_is_detected_and_a_wrong_rate_is_refused_naming_it(tmp_path, cli):
    edl = tmp_path / "ntsc.edl"
    edl.write_text("TITLE: NTSC\nFCM: DROP FRAME\n\n"
                   "001  A012C003 V     C        00:00:10:00 00:00:10:02 "
                   "01:00:59:28 01:01:00:02\n")
    run = cli("check", edl, "--format", "json", "--jobs", "1")
    # 01:00:59;28 + 2 frames is 01:01:00;02 in drop frame (;00 and ;01 do not exist)
    assert [i[1:] for i in items_of(run)] == [("01:00:59;28", "01:01:00;02")]
    assert "read at 29.97 DF (FCM: DROP FRAME)" in run.err
    run = cli("check", edl, "--jobs", "1", "--rate", "24")
    assert run.code == 2 and "(read at 24 fps, --rate;" in run.out
    bad = cli("check", edl, "--jobs", "1", "--rate", "31")
    assert bad.code == 2 and "'31' is not an EDL frame rate" in bad.out + bad.err
