"""The frame rate an EDL is read at. A CMX 3600 EDL does not state its rate: it comes from
``--rate``, else the config's ``edl: {rate: ...}``, else the EDL itself where it allows
(a drop-frame timecode or ``FCM: DROP FRAME``; frame numbers of 24 or more), else 24 (OTIO's
default). The rate used, and why, is said as a note.

Drop frame: OTIO reads a timecode as drop-frame only when its frame separator is ``;``.
An EDL marked ``FCM: DROP FRAME`` (or read at 29.97 DF) with ``:`` separators is read with
its event lines' separators made ``;`` (in the text handed to OTIO; the file is never
changed), so its frames count as an NTSC deck counts them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import opentimelineio as otio

from aigate.api import InputError, plural

from . import edlspeed
from .rates import DROP_FRAME, DROP_RATES, SPEEDS

NOTES = logging.getLogger("aigate.edl")
_NTSC = {"23.976": 24000 / 1001, "23.98": 24000 / 1001, "29.97": 30000 / 1001,
         "47.952": 48000 / 1001, "59.94": 60000 / 1001}
_WHOLE = {"24", "25", "30", "48", "50", "60"}
_EVENT = re.compile(r"^\s*\d+\s")
_TC = re.compile(r"\b(\d\d:\d\d:\d\d)([:;.,])(\d\d)\b")
_FCM = re.compile(r"^\s*FCM:", re.I)
_FCM_MODE = re.compile(r"^\s*FCM:\s*(DROP|NON-DROP)\s+FRAME", re.M | re.I)
#: the largest EDL read (a feature's EDL is well under a megabyte)
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class EdlRate:
    fps: float
    drop: bool = False

    @property
    def label(self) -> str:
        shown = next((k for k, v in _NTSC.items() if v == self.fps and len(k) == 5),
                     f"{self.fps:g}")
        if self.fps in DROP_RATES:
            return f"{shown} {'DF' if self.drop else 'NDF'}"
        return f"{shown} fps"


def parse(text: str, where: str, said: bool | None = None) -> EdlRate:
    """``25``, ``29.97``, ``29.97NDF``, ``29.97DF``, ``59.94``, ``30``...; :class:`InputError`
    naming ``where`` otherwise. At 29.97 and 59.94 without ``DF`` or ``NDF``, the EDL counts
    as it ``said`` (:func:`counting`), drop frame when it says nothing."""
    value = str(text).strip().upper().replace(" ", "")
    drop = None
    for suffix, is_drop in (("NDF", False), ("DF", True)):
        if value.endswith(suffix):
            value, drop = value[:-len(suffix)], is_drop
            break
    if value in _NTSC:
        fps = _NTSC[value]
    elif value in _WHOLE or value.removesuffix(".0") in _WHOLE:
        fps = float(value)
    else:
        raise InputError(f"{where}: {text!r} is not an EDL frame rate (23.976, 24, 25, "
                         "29.97, 29.97NDF, 30, 48, 50, 59.94, 59.94NDF, 60)")
    droppable = fps in DROP_RATES
    if drop and not droppable:
        raise InputError(f"{where}: {text!r}: only 29.97 and 59.94 have drop frame")
    if drop is None:
        drop = droppable and said is not False
    return EdlRate(fps, drop)


def counting(text: str) -> bool | None:
    """Whether the EDL says it counts drop frame (a ``;`` timecode in an event, ``FCM: DROP
    FRAME``), non-drop frame (``FCM: NON-DROP FRAME``), or nothing (None)."""
    if any(m.group(2) == ";" for line in text.splitlines() if _EVENT.match(line)
           for m in _TC.finditer(line)):
        return True
    modes = {m.group(1).upper() for m in _FCM_MODE.finditer(text)}
    if modes == {"DROP"}:
        return True
    return False if modes == {"NON-DROP"} else None


def detect(text: str) -> tuple[EdlRate, str]:
    """The rate the EDL's own lines allow, and why."""
    events = [line for line in text.splitlines() if _EVENT.match(line)]
    frames = [int(m.group(3)) for line in events for m in _TC.finditer(line)]
    top = max(frames, default=0)
    semicolon = any(m.group(2) == ";" for line in events for m in _TC.finditer(line))
    fcm_drop = re.search(r"^\s*FCM:\s*DROP\s+FRAME", text, re.M | re.I) is not None
    if semicolon or fcm_drop:
        why = "drop-frame timecodes" if semicolon else "FCM: DROP FRAME"
        if top >= 30:
            return EdlRate(60000 / 1001, True), f"{why}, frame numbers up to {top}"
        return EdlRate(30000 / 1001, True), why
    for limit, fps in ((24, 24.0), (25, 25.0), (30, 30000 / 1001), (50, 50.0)):
        if top < limit:
            if limit == 24:
                return EdlRate(24.0), "the default: nothing in the EDL says otherwise"
            return EdlRate(fps), f"frame numbers up to {top}"
    return EdlRate(60000 / 1001), f"frame numbers up to {top}"


def read(path: Path, given: str | None, source: str) -> Any:
    """The EDL at ``path`` read by OTIO at the rate ``given`` (from ``source``: --rate or the
    config), else the one :func:`detect` finds; a note says which."""
    try:
        size = path.stat().st_size  # refused before a byte is read
        if size > MAX_BYTES:
            raise InputError(f"{path}: file is {size} bytes, over the {MAX_BYTES}-byte "
                             "limit for an EDL")
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:  # grew while it was read
        raise InputError(f"{path}: over the {MAX_BYTES}-byte limit for an EDL")
    text = data.decode("utf-8", errors="replace")
    if given:
        said = counting(text)
        rate, why = parse(given, source, said), source
        if (said is not None and rate.fps in DROP_RATES and rate.drop == said
                and not given.upper().endswith("DF")):
            why += f", {'drop' if said else 'non-drop'} frame as the EDL says"
    else:
        rate, why = detect(text)
    from .files import without_aigate_hooks

    try:
        given_text = prepared(text, rate)
        with without_aigate_hooks():
            read = otio.adapters.read_from_string(given_text, "cmx_3600", rate=rate.fps)
        setattr(read, DROP_FRAME, rate.drop)
        speeds = edlspeed.read(given_text, rate.fps)
        setattr(read, SPEEDS, speeds)
        NOTES.warning(f"read at {rate.label} ({why})")  # a failure's one line says it
        if ignored := speeds.ignored:
            NOTES.warning(f"{plural(len(ignored), 'speed change')} OTIO's reader does not "
                          "apply (the event's source and record durations agree), its "
                          f"source times counted at normal speed: {'; '.join(ignored[:3])}"
                          + (f" and {len(ignored) - 3} more" if len(ignored) > 3 else ""))
        return read
    except Exception as exc:  # the adapter's message, where it stopped, and the rate used
        from .crash import describe

        raise InputError(f"{path}: {describe(exc, path)} (read at {rate.label}, {why}; "
                         "--rate or the config's edl: {rate: ...} gives another)") from exc


def prepared(text: str, rate: EdlRate) -> str:
    """The EDL's text as OTIO must see it to count frames at ``rate``: event timecodes with
    the separator that says drop frame (``;``) or not (``:``) at an NTSC rate, and speed
    changes its reader can parse (:func:`.edlspeed.readable`)."""
    if rate.fps not in DROP_RATES:
        return "\n".join(map(edlspeed.readable, text.splitlines()))
    separator = r"\1;\3" if rate.drop else r"\1:\3"
    return "\n".join(_TC.sub(separator, line) if _EVENT.match(line) else edlspeed.readable(line)
                     for line in text.splitlines())


def mark_counting(timeline: Any, path: Path) -> None:
    """Say on a timeline OTIO read from the EDL at ``path`` (an OTIO tool's read, which the
    import hook checks) how its timecodes count, as OTIO's reader counted them: drop frame
    only where a timecode's separator is ``;``. A timeline this module read says it
    already; an EDL that mixes the two, or cannot be read again, is left to the rate."""
    if hasattr(timeline, DROP_FRAME):
        return
    try:
        with open(path, "rb") as handle:
            text = handle.read(MAX_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return
    separators = {m.group(2) for line in text.splitlines() if _EVENT.match(line)
                  for m in _TC.finditer(line)}
    if separators and ";" not in separators:
        setattr(timeline, DROP_FRAME, False)
    elif separators == {";"}:
        setattr(timeline, DROP_FRAME, True)


def at_whole_rate(timeline: Any, rate: float) -> Any:
    """A copy of ``timeline`` (one export writes as an EDL at 29.97 or 59.94 NDF) with
    every time the same count of frames at the whole rate (30, 60): OTIO's CMX writer counts
    drop frame at 29.97 and 59.94, and wraps the day at the drop-frame day's length, which
    no rewrite of its text can undo (a non-drop 23:59:00:00 came out 00:00:26:12); at the
    whole rate it writes the non-drop count itself, and the copy reads back at ``rate``
    with the same frames. Speeds (M2) are kept: the writer multiplies by the rate."""
    whole = float(round(rate))

    def at(time: Any) -> Any:
        return otio.opentime.RationalTime(time.value_rescaled_to(rate), whole)

    def span(range_: Any) -> Any:
        return None if range_ is None else otio.opentime.TimeRange(
            at(range_.start_time), at(range_.duration))

    copy = timeline.deepcopy()
    if copy.global_start_time is not None:
        copy.global_start_time = at(copy.global_start_time)
    for child in copy.find_children():
        if isinstance(child, otio.schema.Transition):
            child.in_offset, child.out_offset = at(child.in_offset), at(child.out_offset)
            continue
        child.source_range = span(child.source_range)
        for marker in child.markers:
            marker.marked_range = span(marker.marked_range)
        for effect in child.effects:
            if isinstance(effect, otio.schema.LinearTimeWarp):
                effect.time_scalar *= rate / whole
        if isinstance(child, otio.schema.Clip) and child.media_reference is not None:
            child.media_reference.available_range = span(
                child.media_reference.available_range)
    return copy


def said_non_drop(text: str) -> str:
    """An EDL OTIO wrote from :func:`at_whole_rate`'s copy with ``FCM: NON-DROP FRAME``
    said, in the place of any FCM line: what an editor's non-drop-frame list was."""
    lines = [line for line in text.splitlines() if not _FCM.match(line)]
    at = 1 if lines and lines[0].startswith("TITLE:") else 0
    return "\n".join([*lines[:at], "FCM: NON-DROP FRAME", *lines[at:]]) + "\n"
