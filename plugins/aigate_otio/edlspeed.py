"""Speed changes in an EDL (``M2`` lines) as OTIO's CMX 3600 adapter reads and writes them,
and what aigate does where that is not what the list says.

Measured on the adapter OTIO 0.18 installs:

- its reader parses an M2 line only when the line's timecode has ``:`` separators (a
  drop-frame ``01:00:00;00`` fails the whole read), and uses only its speed: the
  separators are made ``:`` in the text handed to it (:func:`readable`);
- it applies the speed only to an event whose source and record durations differ; where
  they agree (as some lists write a speed change) the clip plays at normal speed and the
  speed is gone from anything written from it (:attr:`Speeds.ignored`): annotate says
  so, and writes it only with ``--allow-loss``;
- its writer gives the event's source out as source in plus the record duration *divided*
  by the speed, and the clip's name where the M2 line's reel goes: both are written back as
  the list has them, source in plus record duration times the speed and the event's reel
  (:func:`as_listed`), and its M2 timecode with ``:`` so that the list reads back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import opentimelineio as otio

_EVENT = re.compile(r"^\s*(\d+)\s+(\S+)")
_TC = re.compile(r"\b\d\d:\d\d:\d\d[:;.,]\d\d\b")
_M2 = re.compile(r"^(\s*M2\s+)(.*?)(\s+)(-?[0-9.]+)(\s+)(\d\d:\d\d:\d\d)([:;.,])(\d\d)(\s*)$")


def readable(line: str) -> str:
    """An M2 line as OTIO's reader can parse it (its timecode's separator ``:``)."""
    return _M2.sub(r"\1\2\3\4\5\6:\8\9", line)


def _events(lines: list[str]) -> Iterator[tuple[int, list[str], int | None]]:
    """(index of an event line, its last four timecodes, index of its M2 line or None)."""
    for at, line in enumerate(lines):
        if not _EVENT.match(line):
            continue
        codes = _TC.findall(line)
        if len(codes) < 4:
            continue
        m2 = None
        for later in range(at + 1, len(lines)):
            if _EVENT.match(lines[later]):
                break
            if _M2.match(lines[later]):
                m2 = later
                break
        yield at, codes[-4:], m2


def _frames(code: str, rate: float) -> int:
    """A timecode's frame count as OTIO's reader counts it (drop frame with ``;``)."""
    return round(otio.opentime.from_timecode(code, rate).value)


@dataclass(frozen=True, slots=True)
class Speeds:
    """The speed changes of an EDL as OTIO's reader takes them."""

    #: those it does not apply, each as the list says it (``event 001 (reel A001): M2 048.0``)
    ignored: tuple[str, ...] = ()
    #: the source out the list gives each one it applies, by (reel, record in), in frames
    source_outs: dict[tuple[str, int], int] = field(default_factory=dict)


def read(text: str, rate: float) -> Speeds:
    """The speed changes of ``text`` (as handed to OTIO's reader at ``rate``)."""
    lines = text.splitlines()
    ignored, source_outs = [], {}
    for at, codes, m2 in _events(lines):
        event, speed = _EVENT.match(lines[at]), _M2.match(lines[m2]) if m2 is not None else None
        if event is None or speed is None:
            continue
        try:
            start, out, record_in, record_out = (_frames(code, rate) for code in codes)
        except ValueError:  # OTIO's reader refuses such a timecode with its own message
            continue
        if out - start == record_out - record_in:
            ignored.append(f"event {event.group(1)} (reel {event.group(2)}): M2 "
                           f"{speed.group(4)}")
        else:
            source_outs[(event.group(2), record_in)] = out
    return Speeds(tuple(ignored), source_outs)


def as_listed(text: str, list_rate: float, rate: float, drop: bool,
              speeds: Speeds | None = None) -> str:
    """An EDL OTIO's writer wrote (timecodes at ``rate``, drop frame if ``drop``) with each
    speed change's source out and M2 reel as the list has them: the source out the list
    read gave (``speeds``), else source in plus the record duration times the speed (frames
    per second of the list, ``list_rate``); a reverse or zero speed keeps the source out
    written. Every M2 line is written as OTIO's reader can read it back (:func:`readable`)."""
    listed = speeds.source_outs if speeds is not None else {}
    lines = [readable(line) for line in text.splitlines()]
    for at, codes, m2 in _events(lines):
        if m2 is None:
            continue
        event, speed = _EVENT.match(lines[at]), _M2.match(lines[m2])
        if event is None or speed is None:
            continue
        lines[m2] = speed.group(1) + event.group(2) + lines[m2][speed.end(2):]
        try:
            scalar = float(speed.group(4)) / list_rate
            start = _frames(codes[0], rate)
            record = _frames(codes[3], rate) - _frames(codes[2], rate)
        except ValueError:
            continue
        if not scalar > 0:
            continue
        end = listed.get((event.group(2), _frames(codes[2], rate)))
        if end is None:
            used = round(record * scalar)
            if used == record and scalar != 1:  # a speed OTIO's reader would then ignore
                used += 1 if scalar > 1 else -1
            end = start + used
        out = otio.opentime.to_timecode(otio.opentime.RationalTime(end, rate), rate, drop)
        line = lines[at]
        where = list(_TC.finditer(line))[-3]  # the source out
        lines[at] = line[:where.start()] + out + line[where.end():]
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")
