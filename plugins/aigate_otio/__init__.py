"""Host plugin for OpenTimelineIO: timelines from any file OTIO reads (.otio, .otioz, .edl,
FCP7 .xml, .fcpxml, .aaf) become items, located by track, clip and record timecode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import opentimelineio as otio
from opentimelineio.opentime import RationalTime

from aigate.errors import InputError
from aigate.hookspecs import hookimpl
from aigate.model import Collected, Item

HOST = "otio"
NAMESPACE = "aigate"
DEFAULT_RATE = 24.0


@hookimpl
def aigate_subject_suffixes() -> list[str]:
    return sorted(otio.adapters.suffixes_with_defined_adapters(read=True))


@hookimpl
def aigate_load_subject(path: Path) -> Any | None:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in otio.adapters.suffixes_with_defined_adapters(read=True):
        return None
    try:
        return otio.adapters.read_from_file(str(path))
    except Exception as exc:  # adapters raise anything from ValueError to KeyError
        raise InputError(f"{path}: cannot read as {suffix.upper()}: {_first_line(exc)}") from exc


@hookimpl
def aigate_collect(subject: Any, path: Path | None) -> list[Collected] | None:
    if isinstance(subject, otio.schema.Timeline):
        return [collect_timeline(subject)]
    if isinstance(subject, otio.schema.SerializableCollection):
        timelines = list(_timelines(subject))
        if not timelines:
            raise InputError(f"{path or subject.name}: the collection holds no timeline")
        return [collect_timeline(t) for t in timelines]
    return None


def _timelines(collection: otio.schema.SerializableCollection) -> Any:
    for child in collection:
        if isinstance(child, otio.schema.Timeline):
            yield child
        elif isinstance(child, otio.schema.SerializableCollection):
            yield from _timelines(child)


def timeline_rate(timeline: otio.schema.Timeline) -> float:
    """The record rate: global_start_time's rate, else the first clip's."""
    if timeline.global_start_time is not None:
        return timeline.global_start_time.rate
    for clip in timeline.find_clips():
        if clip.source_range is not None:
            return clip.source_range.duration.rate
    return DEFAULT_RATE


def collect_timeline(timeline: otio.schema.Timeline) -> Collected:
    rate = timeline_rate(timeline)
    start = timeline.global_start_time
    offset = start.rescaled_to(rate) if start is not None else RationalTime(0, rate)
    items: list[Item] = []
    counts: dict[str, int] = {}
    for track in timeline.tracks:
        kind = str(track.kind) if isinstance(track, otio.schema.Track) else "Video"
        counts[kind] = counts.get(kind, 0) + 1
        name = track.name or f"{kind[:1].upper()}{counts[kind]}"
        if isinstance(track, otio.core.Composition):
            _walk(track, name, kind, offset, rate, items)
    metadata = timeline.metadata.get(NAMESPACE)
    return Collected(name=timeline.name or "(unnamed timeline)", items=items, host=HOST,
                     metadata=metadata if hasattr(metadata, "get") else {}, native=timeline)


def _walk(composition: Any, track: str, kind: str, offset: RationalTime, rate: float,
          items: list[Item]) -> None:
    # one range_of_all_children() per composition: range_in_parent() per clip is quadratic
    ranges = composition.range_of_all_children()
    for index, child in enumerate(composition):
        if isinstance(child, otio.schema.Clip):
            placed = ranges[child]
            record_in = offset + placed.start_time
            items.append(_item(child, track, kind, index, record_in,
                               record_in + placed.duration, rate))
        elif isinstance(child, otio.core.Composition):
            placed = ranges[child]
            trim = child.source_range.start_time if child.source_range else RationalTime(0, rate)
            inner = offset + placed.start_time - trim
            label = f"{track}/{child.name}" if child.name else track
            _walk(child, label, kind, inner, rate, items)


def _item(clip: otio.schema.Clip, track: str, kind: str, index: int, record_in: RationalTime,
          record_out: RationalTime, rate: float) -> Item:
    declared = []
    metadata = clip.metadata
    if NAMESPACE in metadata:
        declared.append(("clip", metadata[NAMESPACE]))
    reference = clip.media_reference
    media_url = None
    if reference is not None:
        media_url = getattr(reference, "target_url", None) or None
        if isinstance(reference, otio.schema.ImageSequenceReference):
            media_url = reference.abstract_target_url("#")
        if NAMESPACE in reference.metadata:
            declared.append(("media_reference", reference.metadata[NAMESPACE]))
    source = clip.source_range
    return Item(
        track=track,
        track_kind=kind,
        clip=clip.name or "(unnamed clip)",
        index=index,
        record_in=timecode(record_in, rate),
        record_out=timecode(record_out, rate),
        source_in=timecode(source.start_time) if source else None,
        source_out=timecode(source.end_time_exclusive()) if source else None,
        media_url=media_url,
        declared=tuple(declared),
    )


def timecode(time: RationalTime, rate: float | None = None) -> str:
    """SMPTE timecode at ``rate``; a frame count where the rate has no SMPTE form."""
    rate = rate or time.rate
    try:
        return otio.opentime.to_timecode(time, rate)
    except (ValueError, TypeError):
        return f"{round(time.rescaled_to(rate).value)}f@{rate:g}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line[:300]
