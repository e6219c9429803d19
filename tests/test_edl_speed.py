"""Speed changes: an EDL's M2 lines, and an OTIO clip's LinearTimeWarp. The gate reads the
media a clip plays at its speed, an EDL with speed changes reads whatever its counting, and
an annotated list carries each speed change as the list has it (its reel, its source out),
read back by OTIO's own reader as it read the original. Real OTIO readers and writers."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentimelineio.opentime import RationalTime, TimeRange

from aigate_otio.edlspeed import readable
from helpers import clip, timeline, write
from mediakit import TRAINED, still, xmp_packet

OFFLINE = "media:\n  required: false\n  reason: the lab holds the media\n"
RATES = {"24": (24.0, False), "25": (25.0, False), "29.97NDF": (30000 / 1001, False),
         "29.97DF": (30000 / 1001, True), "59.94NDF": (60000 / 1001, False)}


def tc(frames: int, rate: float, drop: bool) -> str:
    if rate in (30000 / 1001, 60000 / 1001) and not drop:  # counted at the whole rate
        per = round(rate)
        seconds, frame = divmod(frames, per)
        return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{frame:02d}"
    return otio.opentime.to_timecode(RationalTime(frames, rate), rate, drop)


def otio_read(text: str, rate: float) -> list[tuple[float, float, list[float]]]:
    """OTIO's own read of a list (its M2 lines as its reader can parse them): each clip's
    source start and duration and its speed scalars."""
    read = otio.adapters.read_from_string("\n".join(map(readable, text.splitlines())),
                                          "cmx_3600", rate=rate)
    return [(c.source_range.start_time.value_rescaled_to(rate),
             c.source_range.duration.value_rescaled_to(rate),
             [round(e.time_scalar, 9) for e in c.effects]) for c in read.find_clips()]


def events(text: str) -> list[tuple[str, ...]]:
    """Each event's reel and four timecodes, and the M2 line after it (reel, speed, tc)."""
    out, lines = [], text.splitlines()
    for at, line in enumerate(lines):
        fields = line.split()
        if fields and fields[0].isdigit() and fields[1] != "BL":
            m2 = next((lines[j].split()[1:] for j in range(at + 1, len(lines))
                       if lines[j].startswith("M2")
                       and not any(lines[k].split()[:1] and lines[k].split()[0].isdigit()
                                   for k in range(at + 1, j))), [])
            out.append((fields[1], *fields[-4:], *m2[:1], *(f"{float(v):g}" for v in m2[1:2])))
    return out


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rate=st.sampled_from(sorted(RATES)), data=st.data())
def test_an_annotated_list_keeps_every_speed_change_as_the_list_has_it(tmp_path, cli, rate,
                                                                        data):
    fps, drop = RATES[rate]
    per = round(fps)
    record = 3600 * per
    lines = ["TITLE: SPEED", "FCM: DROP FRAME" if drop else "FCM: NON-DROP FRAME", ""]
    for n in range(1, data.draw(st.integers(1, 5)) + 1):
        length = data.draw(st.integers(2, 400))
        source = 10 * 3600 * per + data.draw(st.integers(0, 5000))
        speed = data.draw(st.sampled_from([None, 0.5, 1.5, 2.0, 0.25, 3.0, 0.0]))
        used = length if speed is None else 1 if speed == 0 else round(length * speed)
        if speed and used == length:
            used += 1
        lines.append(f"{n:03d}  R{n:03d}     V     C        {tc(source, fps, drop)} "
                     f"{tc(source + used, fps, drop)} {tc(record, fps, drop)} "
                     f"{tc(record + length, fps, drop)}")
        if speed:
            lines.append(f"M2   R{n:03d}       {speed * fps:05.1f}                "
                         f"{tc(source, fps, drop)}")
        lines.append(f"* FROM CLIP NAME: shot{n}")
        if speed == 0:  # a freeze: OTIO writes it back as an M2 of speed 0 as well
            lines.append("* FREEZE FRAME")
        record += length
    text = "\n".join(lines) + "\n"
    edl = tmp_path / "speed.edl"
    edl.write_text(text)
    (tmp_path / "aigate.yaml").write_text(OFFLINE + "patterns: ['shot1']\n")
    out = tmp_path / "out.edl"
    out.unlink(missing_ok=True)
    run = cli("annotate", edl, out, "--rate", rate, "--stage", "review")
    assert run.code in (0, 1) and out.exists(), run.err
    written = out.read_text()
    # every event's reel and timecodes, and each M2's reel and speed, as the list has them
    # (an M2 timecode is written with ':' so OTIO's reader reads the list back)
    assert [e[:5] for e in events(written)] == [e[:5] for e in events(text)]
    assert all(e[5] == e[0] for e in events(written) if len(e) > 5)  # an M2's reel: its event's
    assert [e[5:] for e in events(written) if e[5:] and e[6] != "0"] == \
        [e[5:] for e in events(text) if e[5:]]
    assert otio_read(written, fps) == otio_read(text, fps)


def test_a_drop_frame_list_with_a_speed_change_is_read_and_annotated(tmp_path, cli):
    # OTIO's reader refused the whole list: its M2 timecode pattern has no ';'
    edl = tmp_path / "df.edl"
    edl.write_text("TITLE: DF\n\n"
                   "001  A001     V     C        01:00:00;00 01:00:04;00 01:00:00;00 "
                   "01:00:02;00\n"
                   "M2   A001       059.9                01:00:00;00\n"
                   "* FROM CLIP NAME: gen1\n")
    (tmp_path / "aigate.yaml").write_text(OFFLINE + "patterns: ['gen*']\n")
    run = cli("check", edl, "--format", "json", "--stage", "review")
    assert run.code == 1, run.err  # read, and the flagged clip locks at review
    [item] = run.json["subjects"][0]["items"]
    # the media it plays: 2 s of the cut at 59.9 fps of a 29.97 list, to within a frame
    assert (item["source_in"], item["record_out"]) == ("01:00:00;00", "01:00:02;00")
    assert item["source_out"] in ("01:00:03;29", "01:00:04;00")
    out = tmp_path / "out.edl"
    assert cli("annotate", edl, out, "--stage", "review").code == 1
    assert events(out.read_text())[0][:7] == (
        "A001", "01:00:00;00", "01:00:04;00", "01:00:00;00", "01:00:02;00", "A001", "59.9")


def test_a_speed_change_otios_reader_ignores_is_said_and_never_dropped_silently(tmp_path,
                                                                                cli):
    # source and record durations agree: OTIO's reader plays the clip at normal speed, and
    # anything written from its read has no speed change
    edl = tmp_path / "eq.edl"
    edl.write_text("TITLE: EQ\nFCM: NON-DROP FRAME\n\n"
                   "001  A001     V     C        01:00:00:00 01:00:02:00 01:00:00:00 "
                   "01:00:02:00\n"
                   "M2   A001       048.0                01:00:00:00\n"
                   "* FROM CLIP NAME: shot1\n")
    (tmp_path / "aigate.yaml").write_text(OFFLINE)
    said = "event 001 (reel A001): M2 048.0"
    run = cli("check", edl, "--rate", "24")
    assert run.code == 0 and said in run.err and "OTIO's reader does not apply" in run.err
    for suffix in (".edl", ".otio"):
        out = tmp_path / f"out{suffix}"
        run = cli("annotate", edl, out, "--rate", "24")
        assert run.code == 2 and not out.exists()
        assert "not written: 1 speed change lost" in run.err and said in run.err
        assert "--allow-loss" in run.err
        run = cli("annotate", edl, out, "--rate", "24", "--allow-loss")
        assert run.code == 0 and out.exists() and said in run.err


def plates(tmp_path: Path, frames: int, effect: otio.schema.Effect) -> Path:
    """A cut whose one clip plays 48 frames of a sequence of ``frames`` plates (all there,
    clean) under ``effect``."""
    for frame in range(1, frames + 1):
        still(tmp_path / "frames" / f"plate.{frame:04d}.png")
    made = clip("SH010")
    made.media_reference = otio.schema.ImageSequenceReference(
        target_url_base="frames/", name_prefix="plate.", name_suffix=".png", start_frame=1,
        frame_zero_padding=4, rate=24,
        available_range=TimeRange(RationalTime(0, 24), RationalTime(frames, 24)))
    made.source_range = TimeRange(RationalTime(0, 24), RationalTime(48, 24))
    made.effects.append(effect)
    return write(tmp_path / "cut.otio", timeline([made]))


def generated(path: Path) -> None:
    """Make ``path`` a PNG whose XMP says it was generated."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp_packet(TRAINED))
    Image.new("RGB", (64, 36)).save(path, pnginfo=info)


@pytest.mark.parametrize("fast", ["1", "0"])
def test_an_image_sequence_played_at_double_speed_is_read_to_its_last_frame(tmp_path, cli,
                                                                            monkeypatch,
                                                                            fast):
    """A clip of 48 frames at twice the speed plays frames 1 to 96 of its sequence: the
    gate read only 1 to 48, so a generated frame past them passed."""
    monkeypatch.setenv("AIGATE_FAST", fast)
    cut = plates(tmp_path, 96, otio.schema.LinearTimeWarp(time_scalar=2.0))
    run = cli("check", cut, "--stage", "final", "--format", "json")
    [item] = run.json["subjects"][0]["items"]
    assert (run.code, item["verdict"], item["ai"]) == (0, "pass", False), run.out
    assert item["source_out"] == "00:00:04:00"  # 48 frames of the cut, 96 of the media
    generated(tmp_path / "frames" / "plate.0090.png")
    run = cli("check", cut, "--stage", "final", "--format", "json")
    [item] = run.json["subjects"][0]["items"]
    assert item["ai"] is True and run.code == 1
    (tmp_path / "frames" / "plate.0090.png").unlink()  # gone: the gate cannot look
    run = cli("check", cut, "--stage", "final", "--format", "json")
    [item] = run.json["subjects"][0]["items"]
    assert item["verdict"] == "lock" and any("plate.0090.png" in f["message"]
                                             for f in item["findings"])


def test_a_speed_curve_reads_every_frame_the_clip_could_play(tmp_path, cli):
    """A time effect other than a linear speed (a speed curve: OTIO's TimeEffect) plays
    media the timeline does not pin down: every frame of the sequence's available range is
    read."""
    cut = plates(tmp_path, 120, otio.schema.TimeEffect(name="ramp", effect_name="SpeedRamp"))
    assert cli("check", cut, "--stage", "final").code == 0
    generated(tmp_path / "frames" / "plate.0117.png")
    run = cli("check", cut, "--stage", "final", "--format", "json")
    [item] = run.json["subjects"][0]["items"]
    assert item["ai"] is True and run.code == 1


def test_only_an_m2_lines_timecode_is_made_readable():
    assert readable("M2   A001       059.9                01:00:00;12") == \
        "M2   A001       059.9                01:00:00:12"
    assert readable("M2   R1\t\t-24.0\t\t\t00:00:01;00") == "M2   R1\t\t-24.0\t\t\t00:00:01:00"
    for other in ("* FROM CLIP NAME: M2 01:00:00;12",
                  "001  A001     V     C        01:00:00;00 01:00:04;00 01:00:00;00 01:00:02;00"):
        assert readable(other) == other


_TC = st.from_regex(r"\A\d\d:\d\d:\d\d[:;.,]\d\d\Z")
_LINES = st.lists(st.one_of(
    st.builds(lambda n, reel, *codes: f"{n:03d}  {reel}  V  C  {' '.join(codes)}",
              st.integers(0, 999), st.sampled_from(["A001", "R1", "BL"]), _TC, _TC, _TC, _TC),
    st.builds(lambda reel, speed, code: f"M2   {reel}  {speed}  {code}",
              st.sampled_from(["A001", "R1", "", "a b"]),
              st.sampled_from(["048.0", ".", "-24", "0", "1e5", "..", "99999999999"]), _TC),
    st.text(max_size=30)), max_size=12)


@settings(max_examples=300, deadline=None)
@given(lines=_LINES, rate=st.sampled_from([24.0, 25.0, 30000 / 1001, 60000 / 1001]))
def test_speed_changes_of_any_list_are_read_and_written_without_an_error(lines, rate):
    # hostile lists (timecodes past the day, speeds that are no number, M2 lines with no
    # event): reading their speed changes, and writing them back, never raise
    from aigate_otio import edlspeed

    text = "\n".join(lines)
    speeds = edlspeed.read(text, rate)
    for whole, drop in ((rate, rate != round(rate)), (float(round(rate)), False)):
        edlspeed.as_listed(text, rate, whole, drop, speeds)
