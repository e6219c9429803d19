"""An OTIO ImageSequenceReference as the frames a clip plays: one computation for OTIO's
reader (collect.py) and the fast path (fastread.py), so both give the same items."""

from __future__ import annotations

import math

from aigate.api import MAX_SEQUENCE_FRAMES, FrameSequence, InputError, frame_url


def pattern(base: str, prefix: str, suffix: str, padding: int) -> str:
    """The printf pattern of the frame files, as OTIO's target_url_for_image_number names
    them (``%`` in the names escaped)."""
    folder = base if not base or base.endswith("/") else base + "/"
    width = f"0{padding}" if padding > 0 else ""
    return (f"{folder}{prefix}".replace("%", "%%") + f"%{width}d"
            + suffix.replace("%", "%%"))


def frames_used(frame_pattern: str, start_frame: int, step: int, rate: float,
                available_start: float, clip_start: float, duration: float) -> FrameSequence:
    """The frames a clip uses: its source range (seconds, in the reference's time) over the
    sequence whose first image is at ``available_start`` seconds, as OTIO's
    frame_for_time counts images; every frame touched by the range counts."""
    step = step if step > 0 else 1
    if not (rate > 0 and math.isfinite(rate)):
        return FrameSequence(frame_pattern, start_frame, start_frame, step)
    offset, frames = (clip_start - available_start) * rate, duration * rate
    if not (math.isfinite(offset) and math.isfinite(frames)):
        # NaN or infinite times name no frame: the clip's media cannot be known
        raise InputError(f"image sequence {frame_pattern}: the clip's range (start "
                         f"{clip_start!r} s, duration {duration!r} s, sequence from "
                         f"{available_start!r} s) names no frame")
    first_image = math.floor(offset + 1e-9)
    count = max(1, math.ceil(frames - 1e-9))
    return FrameSequence(frame_pattern, start_frame + first_image * step,
                         start_frame + (first_image + count - 1) * step, step)


def frame_files(frames: FrameSequence) -> tuple[str, ...]:
    """Each frame file of ``frames``: how a clip's inactive image sequence (a reference it
    plays once switched to) is named among its other media. Past the gate's bound for one
    clip, the pattern itself, which names no file: the gate cannot look, and says so."""
    if frames.count > MAX_SEQUENCE_FRAMES:
        return (frames.pattern,)
    return tuple(frame_url(frames.pattern, number)
                 for number in range(frames.first, frames.last + 1, max(frames.step, 1)))
