"""The cut's record start (01:00:00:00, say), kept in every format written.

OTIO holds a record start two ways: the timeline's ``global_start_time``, or (a cut read
from an EDL) a negative trim on each track, minus its first record timecode. The writers
keep only some of it (verified on OTIO 0.18 and its adapters): FCP7 XML and AAF write
``global_start_time`` (a sequence timecode, a timecode track); no writer but OTIO's own
keeps a track's trim; the FCPX writer keeps neither, though FCPX itself holds the start in
the sequence's ``tcStart``, its spine counting from there. So the copy written gets the
start as ``global_start_time`` (:func:`as_global_start`), and an FCPXML file gets
``tcStart`` and its spine moved to it after OTIO wrote it (:func:`fcpx_record_start`),
which is how FCP writes it and how OTIO's FCPX reader reads it back (a leading gap).
An FCP7 sequence's timecode also says how it counts at 29.97 (:func:`fcp7_counting`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

_TIME = re.compile(r"^(-?\d+)(?:/(\d+))?s$")


def as_global_start(timeline: Any, rate: float) -> None:
    """Move each top-level track's negative trim (an EDL's record start) into the
    timeline's ``global_start_time``; a track starting later than the earliest gets a
    leading gap of the difference. Positive trims (a track really trimmed) stay."""
    start = timeline.global_start_time
    base = start.value_rescaled_to(rate) if start is not None else 0.0
    shifted = []
    for track in timeline.tracks[:]:
        trim = track.source_range
        if (isinstance(track, otio.schema.Track) and trim is not None
                and trim.start_time.value < 0):
            shifted.append((track, base - trim.start_time.value_rescaled_to(rate)))
    if not shifted:
        return
    origin = min(begin for _, begin in shifted)
    if any(t.source_range is None or t.source_range.start_time.value >= 0
           for t in timeline.tracks[:] if isinstance(t, otio.schema.Track)):
        origin = min(origin, base)
    for track, begin in shifted:
        # the trim also bounded the track's end: keep its duration, starting at 0
        duration = track.source_range.duration
        track.source_range = None
        if begin > origin:
            track.insert(0, otio.schema.Gap(source_range=TimeRange(
                RationalTime(0, rate), RationalTime(begin - origin, rate))))
        visible = RationalTime(begin - origin, rate) + duration
        if track.duration() > visible:
            track.source_range = TimeRange(RationalTime(0, rate), visible)
    for track in timeline.tracks[:]:
        if track not in [t for t, _ in shifted] and origin < base:
            track.insert(0, otio.schema.Gap(source_range=TimeRange(
                RationalTime(0, rate), RationalTime(base - origin, rate))))
    timeline.global_start_time = RationalTime(origin, rate) if origin else None


def _seconds(rate: float) -> Fraction:
    """Seconds a frame lasts at ``rate`` (30000/1001 exactly for 29.97)."""
    return 1 / Fraction(rate).limit_denominator(1001)


def _fcpx_time(text: str) -> Fraction | None:
    found = _TIME.match(text or "")
    if found is None:
        return None
    return Fraction(int(found.group(1)), int(found.group(2) or 1))


def _fcpx_text(value: Fraction) -> str:
    return f"{value.numerator}s" if value.denominator == 1 else \
        f"{value.numerator}/{value.denominator}s"


def fcpx_record_start(path: Path, start: RationalTime | None) -> None:
    """Give the FCPXML file OTIO wrote at ``path`` the record start ``start``: the
    project sequence's ``tcStart``, and the spine's items placed from there."""
    if start is None or start.value == 0:
        return
    # whole frames at an exact rational rate (30000/1001 for 29.97): FCP's own arithmetic
    shift = Fraction(round(start.value)) * _seconds(start.rate)
    text = path.read_text(encoding="utf-8")
    head, _, _ = text.partition("<fcpxml")
    root = ET.fromstring(text.encode("utf-8"))
    for sequence in root.iterfind(".//project/sequence"):
        sequence.set("tcStart", _fcpx_text(shift))
        for spine in sequence.iterfind("spine"):
            for item in spine:
                offset = _fcpx_time(item.get("offset", "0s"))
                if offset is not None:
                    item.set("offset", _fcpx_text(offset + shift))
    path.write_text(head + ET.tostring(root, encoding="unicode"), encoding="utf-8")


def fcp7_counting(timeline: Any, drop_frame: bool) -> None:
    """Say in the copy written as FCP7 XML how the cut counts timecode at 29.97 or 59.94
    (``displayformat``): OTIO's FCP7 writer writes NDF unless the metadata says DF, so a
    drop-frame cut's XML counted otherwise in the NLE (01:00:00;00 shown 00:59:56:12). Set
    on the sequence and on media of that rate, where the file read said nothing."""
    shown = "DF" if drop_frame else "NDF"
    rate = timeline.duration().rate
    holders = [timeline, *(c.media_reference for c in timeline.find_clips()
                           if c.media_reference is not None
                           and c.media_reference.available_range is not None
                           and c.media_reference.available_range.start_time.rate == rate)]
    for holder in holders:
        fcp = holder.metadata.get("fcp_xml")
        fcp = dict(fcp) if isinstance(fcp, Mapping) else {}
        code = fcp.get("timecode")
        code = dict(code) if isinstance(code, Mapping) else {}
        if "displayformat" not in code:  # set whole: OTIO's metadata hands out copies
            fcp["timecode"] = {**code, "displayformat": shown}
            holder.metadata["fcp_xml"] = fcp
