"""The rate of a cut that states none: one rule for every reader, importable without
OpenTimelineIO (the fast path uses it)."""

from __future__ import annotations

from collections.abc import Iterator

DEFAULT_RATE = 24.0
#: the rates a timecode may count drop frame at (29.97 and 59.94)
DROP_RATES = (30000 / 1001, 60000 / 1001)
#: set (as an attribute) on a timeline read from an EDL at one of those rates: False where
#: its timecodes count every frame, which the rate alone does not say (OTIO infers drop
#: frame from it), so its clips are shown at the EDL's own timecodes; True for drop frame
DROP_FRAME = "aigate_drop_frame"
#: set on a timeline read from an EDL: its speed changes as OTIO's reader took them
#: (edlspeed.Speeds), for what is written from it
SPEEDS = "aigate_speeds"


def cut_rate(video: Iterator[float], anywhere: Iterator[float]) -> float:
    """The rate of a cut that does not state one: its first picture clip's (depth first,
    wherever it sits: nested per channel group, after a leading gap), else its first clip's
    of any kind (an audio-only cut), else 24. One rule for every reader (OTIO's objects
    here, the fast path's tuples, annotate's writer): each gives the rates of its clips
    with a source range, in track order, first the picture tracks' then all."""
    for rate in video:
        return rate
    for rate in anywhere:
        return rate
    return DEFAULT_RATE
