"""Why a format cannot hold a cut, said in the cut's terms: the track, the clips, the
transition, the record timecode, and what the format cannot express. Checked before the
adapter writes (:func:`unwritable`); an adapter that still fails is described by the object
it was writing (:func:`failure`), never by a bare ``IndexError``."""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any

import opentimelineio as otio

from aigate.api import timecode

from .collect import first_line
from .crash import adapter_frames

FORMATS = {"edl": "CMX 3600", "aaf": "AAF", "xml": "FCP7 XML", "fcpxml": "FCPXML"}
#: what the AAF writer needs on a transition: the operation it was read with
_AAF_TRANSITION = ("PointList", "OperationGroup", "CutPoint")


def _kind(transition: Any) -> str:
    kind = str(transition.transition_type or "")
    return {"SMPTE_Dissolve": "dissolve", "SMPTE_Wipe": "wipe"}.get(
        kind, f"transition {kind}".strip() if kind and kind != "Custom" else "transition")


def _name(clip: Any) -> str:
    return (clip.name if clip is not None and clip.name else "(unnamed clip)") \
        if isinstance(clip, otio.schema.Clip) else "nothing"


def _placed(timeline: Any, rate: float) -> Iterator[tuple[str, Any, Any, Any, float]]:
    """(track name, previous item, item, next item, record frame where it sits) for every
    child of every top-level track (the copy written is flat)."""
    start = timeline.global_start_time
    origin = start.value_rescaled_to(rate) if start is not None else 0.0
    counts: dict[str, int] = {}
    for track in timeline.tracks[:]:
        kind = str(getattr(track, "kind", "Video"))
        counts[kind] = counts.get(kind, 0) + 1
        name = track.name or f"{kind[:1].upper()}{counts[kind]}"
        if not isinstance(track, otio.schema.Track):
            continue
        trim = track.source_range
        position = origin - (trim.start_time.value_rescaled_to(rate) if trim else 0.0)
        children = track[:]
        for index, child in enumerate(children):
            before = children[index - 1] if index else None
            after = children[index + 1] if index + 1 < len(children) else None
            yield name, before, child, after, position
            if not isinstance(child, otio.schema.Transition):
                position += child.duration().value_rescaled_to(rate)


def kind_of(timeline: Any, name: str) -> str:
    """The kind of the top-level track ``name`` (as :func:`_placed` names them)."""
    counts: dict[str, int] = {}
    for track in timeline.tracks[:]:
        kind = str(getattr(track, "kind", "Video"))
        counts[kind] = counts.get(kind, 0) + 1
        if (track.name or f"{kind[:1].upper()}{counts[kind]}") == name:
            return kind
    return "Video"


def carried_over(timeline: Any, clip_name: str, record_in: float, rate: float,
                 drop_frame: bool | None = None) -> str | None:
    """When a clip read back carries a verdict it was not given, and it is the incoming clip
    of a transition: OTIO's CMX writer repeats the outgoing clip's comments on the
    transition's event, which readers give the incoming clip. Said in the cut's terms."""
    for name, before, child, after, at in _placed(timeline, rate):
        if (isinstance(child, otio.schema.Transition) and isinstance(after, otio.schema.Clip)
                and after.name == clip_name and abs(at - record_in) <= 1):
            return (f"{_transition(name, before, child, after, at, rate, drop_frame)}: "
                    "CMX 3600 puts "
                    f"{_name(before)}'s verdict on the {_kind(child)}'s event, which is "
                    f"{_name(after)}'s; it cannot express a verdict on {_name(before)} alone "
                    "there")
    return None


def _transition(name: str, before: Any, child: Any, after: Any, at: float,
                rate: float, drop_frame: bool | None = None) -> str:
    return (f"{name}: the {_kind(child)} between {_name(before)} and {_name(after)} at "
            f"{timecode(at, rate, drop_frame)}")


def unwritable(timeline: Any, target: str, rate: float,
               drop_frame: bool | None = None) -> str | None:
    """What in ``timeline`` the ``target`` format cannot express, in one line, or None
    (at the timecodes the cut counts: ``drop_frame`` False for a non-drop-frame EDL's)."""
    fmt = FORMATS.get(target)
    if fmt is None:
        return None
    placed = list(_placed(timeline, rate))
    if target == "fcpxml" and not any(
            isinstance(c, otio.schema.Clip) and kind_of(timeline, n) == "Video"
            for n, _, c, _, _ in placed):
        sound = next(((n, c, at) for n, _, c, _, at in placed
                      if isinstance(c, otio.schema.Clip)), None)
        if sound is not None:
            name, clip, at = sound
            return (f'{name}: "{_name(clip)}" at {timecode(at, rate, drop_frame)} is sound with no '
                    f"picture in the cut; {fmt} hangs audio on a picture storyline, and "
                    "OTIO's FCPX writer cannot write an audio-only cut")
    for name, before, child, after, at in placed:
        if isinstance(child, otio.schema.Transition):
            between = _transition(name, before, child, after, at, rate, drop_frame)
            if target == "edl" and isinstance(after, otio.schema.Clip) \
                    and after.source_range is not None:
                source = after.source_range.start_time
                handle = child.in_offset.value_rescaled_to(source.rate)
                if source.value - handle < 0:
                    return (f"{between} needs "
                            f"{round(handle - source.value):g} frame"
                            f"{'s' * (round(handle - source.value) != 1)} of handle before "
                            f"source {timecode(0, source.rate)}; {fmt} cannot express it")
            if target == "aaf":
                aaf = child.metadata.get("AAF") if "AAF" in child.metadata.keys() else None
                if aaf is None or not all(k in aaf.keys() for k in _AAF_TRANSITION):
                    return (f"{between} was not "
                            "read from an AAF; OTIO's AAF writer only writes a transition "
                            f"with its AAF operation, so {fmt} cannot express it here")
        elif isinstance(child, otio.schema.Clip) and target == "edl" \
                and child.source_range is not None and child.source_range.start_time.value < 0:
            source = child.source_range.start_time
            return (f'{name}: "{_name(child)}" at {timecode(at, rate, drop_frame)} starts '
                    f"{round(-source.value):g} frames before source "
                    f"{timecode(0, source.rate)}; {fmt} cannot express it")
    return None


def failure(exc: BaseException, timeline: Any, target: str, rate: float,
            drop_frame: bool | None = None) -> str:
    """The adapter's failure described by the cut object it was writing (from the failing
    frames), then what the adapter said."""
    said = first_line(exc)
    if said.strip() in ("", type(exc).__name__) or isinstance(
            exc, AttributeError | TypeError | KeyError | IndexError):
        said = f"{type(exc).__name__}: {said}"
    fmt = FORMATS.get(target, target.upper())
    thing = _writing(exc.__traceback__)
    if thing is not None:
        for name, before, child, after, at in _placed(timeline, rate):
            if child is thing or (isinstance(thing, otio.schema.Clip | otio.schema.Transition)
                                  and _same(child, thing)):
                where = (_transition(name, before, child, after, at, rate, drop_frame)
                         if isinstance(child, otio.schema.Transition)
                         else f'{name}: "{_name(child)}" at {timecode(at, rate, drop_frame)}')
                return f"{where}: OTIO's {fmt} writer cannot write it ({said})"
    return f"OTIO's {fmt} writer failed ({said})"


def _same(a: Any, b: Any) -> bool:
    """The writer may work on its own copy: the same kind, name and ranges."""
    try:
        return (type(a) is type(b) and a.name == b.name
                and a.duration() == b.duration())
    except Exception:  # an object without a duration: not the one
        return False


def _writing(tb: TracebackType | None) -> Any:
    """The innermost transition or clip an adapter frame was handling."""
    for frame in adapter_frames(tb):
        values = list(frame.f_locals.values())
        for wanted in (otio.schema.Transition, otio.schema.Clip):
            for value in values:
                if isinstance(value, wanted):
                    return value
    return None
