"""Timecodes as OTIO formats them: aigate's port of opentime.to_timecode against OTIO's own,
on every SMPTE and near-SMPTE rate, drop frame included, and whatever it hands back to OTIO."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from aigate.model import otio_timecode, timecode

# hypothesis keeps its example database and caches out of the repository
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "aigate-hypothesis")
SMPTE = [24000 / 1001, 24.0, 25.0, 30000 / 1001, 30.0, 48000 / 1001, 48.0, 50.0,
         60000 / 1001, 60.0]
NEAR = [23.976, 23.98, 29.97, 59.94, 47.95, 24.05, 24.5, 23.5, 25.09, 29.9, 12.0, 120.0]
frames = st.one_of(
    st.integers(0, 24 * 3600 * 60 * 3).map(float),
    st.floats(0, 2.2e7, allow_nan=False),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, -1.0, 0.5, 1799.0, 1800.0, 17982.0, 17983.9, 107892.0,
                     2147483647.0, 2147483648.0, 1e300]))
rates = st.one_of(st.sampled_from(SMPTE + NEAR), st.floats(0.1, 240),
                  st.floats(allow_nan=True, allow_infinity=True))


# None: as the rate implies (drop frame at 29.97 and 59.94); False: a non-drop-frame count
# (an NDF EDL); True: drop frame forced
drop_frames = st.sampled_from([None, False, True])


@settings(max_examples=3000, deadline=None)
@given(frames, rates, drop_frames)
def test_timecode_is_opentimes(value, rate, drop_frame):
    assert timecode(value, rate, drop_frame) == otio_timecode(value, rate, drop_frame)


@pytest.mark.parametrize("drop_frame", [None, False])
@pytest.mark.parametrize("rate", SMPTE + NEAR)
def test_every_frame_of_the_first_and_24th_hour(rate, drop_frame):
    # drop-frame minute and ten-minute boundaries, day roll-over, fractional frames
    for start in (0, int(rate * 3600 * 23.9)):
        for f in range(start, start + 20000, 7):
            for value in (float(f), f + 0.5):
                assert timecode(value, rate, drop_frame) == otio_timecode(
                    value, rate, drop_frame), (value, rate)


def test_non_drop_frame_counts_every_frame_at_29_97():
    # 108,000 frames: 01:00:00:00 counted without dropping any, 01:00:03;18 in drop frame
    assert timecode(108000.0, 30000 / 1001, False) == "01:00:00:00"
    assert timecode(108000.0, 30000 / 1001) == "01:00:03;18"


@settings(max_examples=1000, deadline=None)
@given(st.sampled_from([30, 60]), st.one_of(st.floats(0, 1), st.floats(0.998, 1)))
def test_a_non_drop_frame_timecode_reads_back_as_written(per_second, part_of_day):
    # an NDF EDL's timecode, counted by OTIO's reader, is shown as the EDL wrote it: the
    # last 86 seconds of the day too (opentime wraps a non-drop count at 29.97 at the
    # drop-frame day, so 23:59:00:00 came back as 00:00:26:12)
    from opentimelineio import opentime

    count = min(int(part_of_day * 86400 * per_second), 86400 * per_second - 1)
    seconds, frame = divmod(count, per_second)
    text = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{frame:02d}"
    rate = per_second * 1000 / 1001
    frames = opentime.from_timecode(text, rate).value
    assert timecode(frames, rate, False) == otio_timecode(frames, rate, False) == text
