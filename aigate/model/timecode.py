"""Timecode: frames at a rate shown the way editors read them, and the bounds a timeline's
times must keep."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any


def timecode(frames: float, rate: float, drop_frame: bool | None = None) -> str:
    """SMPTE timecode (drop-frame where the rate implies it, unless ``drop_frame`` is False:
    a non-drop-frame EDL at 29.97 counts every frame); ``<frames>f@<rate>`` for rates SMPTE
    cannot express; ``invalid`` for times no timeline can hold (hosts refuse those first:
    see :func:`timing_problem`).

    OTIO's ``opentime.to_timecode``, ported step by step for the usual case (a JSON report
    formats four timecodes a clip: 1.3 us each through the bindings, ~0.5 us here); any
    other case (negative, huge or non-finite frames, a rate off the SMPTE list, drop frame
    forced on) still goes to OTIO. tests/test_timecode.py compares the two."""
    if drop_frame is None:
        plans = _TIMECODE_PLANS
    elif drop_frame is False:
        plans = _NON_DROP_PLANS
    else:
        return otio_timecode(frames, rate, True)
    plan = plans.get(rate, _UNPLANNED)
    if plan is _UNPLANNED:
        plan = _timecode_plan(rate, drop_frame is None)
        if rate == rate:  # never a NaN key: each would be a new entry
            plans[rate] = plan
    if plan is None or not 0.0 <= frames < plan[-1]:
        return otio_timecode(frames, rate, drop_frame)
    drop, dropframes, divider, per_day, per_ten_minutes, per_minute, nominal, _ = plan
    value = frames % per_day  # frames >= 0: exactly C's fmod
    if drop:
        chunks = math.floor(value / per_ten_minutes)
        over = int(value % per_ten_minutes)
        # one addition, as opentime does it (two could round differently)
        value += dropframes * 9 * chunks + (
            dropframes * ((over - dropframes) // per_minute) if over > dropframes else 0)
    seconds = math.floor(value / nominal)  # not value // nominal: C floors the quotient
    minutes = seconds // 60
    return (_TWO_DIGITS[math.floor(minutes / 60)] + ":" + _TWO_DIGITS[minutes % 60] + ":"
            + _TWO_DIGITS[seconds % 60] + divider + _TWO_DIGITS[int(value % nominal)])


def otio_timecode(frames: float, rate: float, drop_frame: bool | None = None) -> str:
    """:func:`timecode` through OTIO's own ``opentime.to_timecode``."""
    from opentimelineio import opentime

    if timing_problem(rate, (frames,)) is not None:
        return "invalid"
    if drop_frame is False and _nearest(rate) in _DROP_FRAME:
        # opentime wraps a non-drop count at 29.97 at the drop-frame day (2,589,408 frames:
        # 23:58:33:18), so an NDF EDL's last 86 seconds of the day read 00:00:...; a
        # non-drop count is the whole rate's count of the same frames (as it does at 23.976)
        rate = float(round(_nearest(rate)))
    try:
        return opentime.to_timecode(opentime.RationalTime(frames, rate), rate, drop_frame)
    except (ValueError, TypeError):
        shown = round(frames) if math.isfinite(frames) else frames  # never a traceback
        return f"{shown}f@{rate:g}"


# opentime's SMPTE and drop-frame rates (opentime/rationalTime.cpp), in its order
_SMPTE_RATES = (24000 / 1001, 24.0, 25.0, 30000 / 1001, 30.0, 48000 / 1001, 48.0, 50.0,
                60000 / 1001, 60.0)
_DROP_FRAME = {30000 / 1001: 2, 60000 / 1001: 4}
_UNPLANNED: Any = object()
_TWO_DIGITS = [f"{n:02d}" for n in range(100)]  # hours < 24, frames < 60 after the day wrap
_TIMECODE_PLANS: dict[float, tuple[Any, ...] | None] = {}
_NON_DROP_PLANS: dict[float, tuple[Any, ...] | None] = {}


def _round(x: float) -> float:
    """C's round() for x >= 0: halves away from zero (Python's round() goes to even)."""
    whole = math.floor(x)
    return whole + 1.0 if x - whole >= 0.5 else whole


def _nearest(rate: float) -> float:
    """The SMPTE rate opentime takes ``rate`` for (the nearest; 0 for none)."""
    nearest, least = 0.0, sys.float_info.max
    for smpte in _SMPTE_RATES:
        if smpte == rate:
            return rate
        if abs(rate - smpte) < least:
            nearest, least = smpte, abs(rate - smpte)
    return nearest


def _timecode_plan(rate: float, infer_drop: bool = True) -> tuple[Any, ...] | None:
    """to_timecode's constants for a rate (``infer_drop`` False: non-drop frame whatever
    the rate), or None where :func:`timecode` defers to OTIO."""
    if not 0.0 < rate < math.inf:
        return None
    given = rate
    nearest = _nearest(rate)
    if not abs(nearest - rate) < 0.1:  # opentime's own bound is looser there: ask it
        return None
    rate = nearest
    drop = infer_drop and rate in _DROP_FRAME
    dropframes = _DROP_FRAME[rate] if drop else 0
    if not drop and (_round(rate) == 24 or rate in _DROP_FRAME):
        rate = _round(rate)  # a non-drop count: every frame, a day of 24 whole-rate hours
    per_day = int(_round(rate * 60 * 60)) * 24
    per_ten_minutes = int(_round(rate * 60 * 10))
    per_minute = int(_round(rate) * 60 - dropframes)
    # past MAX_SECONDS a time is "invalid" (otio_timecode says so); C's int bound before that
    limit = min(2147483648.0, MAX_SECONDS * given)
    return (drop, dropframes, ";" if drop else ":", per_day, per_ten_minutes, per_minute,
            math.ceil(rate), limit)


#: the highest rate a timeline or clip may have (audio sample rates included)
MAX_RATE = 1_000_000.0
#: the longest time a timeline position may be from zero: 10,000 hours
MAX_SECONDS = 10_000 * 3600.0


def timing_problem(rate: float, frames: Sequence[float | None]) -> str | None:
    """Why ``rate`` and times in ``frames`` (at that rate) cannot be shown as timecode
    (a rate of 0, negative, NaN or infinite; a time not finite or absurdly far), or None."""
    if not (isinstance(rate, int | float) and math.isfinite(rate) and 0 < rate <= MAX_RATE):
        return f"rate {rate!r} is not a frame rate (must be above 0 and at most {MAX_RATE:g})"
    limit = MAX_SECONDS * rate
    for value in frames:
        if value is not None and not (math.isfinite(value) and -limit <= value <= limit):
            return (f"time {value!r} frames at {rate:g} fps is not a usable time "
                    f"(more than {MAX_SECONDS / 3600:g} hours, or not a number)")
    return None
