"""A Kdenlive project to and from OpenTimelineIO, carrying contract v1, so a Kdenlive cut goes
through the same conform gate as any other.

The mapping keeps where the declaration was made: a ``kdenlive:aigate`` on the bin clip
(or its timeline producer) is about the source, so it becomes the media reference's
``metadata["aigate"]``; one on a playlist entry is about that use of the clip and becomes the
clip's ``metadata["aigate"]``; and back. The project's own settings (``stage``) become the
timeline's ``metadata["aigate"]``. Colour clips travel as OTIO ``SolidColor`` generator
references; each Kdenlive track is an OTIO track (V1, A1...), blanks are gaps.

(OTIO's Kdenlive adapter, ``otio-kdenlive-adapter`` 0.0.3, reads these projects with OTIO
0.18 but drops clip metadata and is deprecated by its authors, so aigate does not use it.)
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from aigate.api import InputError
from aigate_otio.collect import plain, timeline_rate

from .build import ClipSpec, ProfileSpec, TrackSpec, build
from .project import GENERATORS, Placement, Project, collect, prop, tracks

NAMESPACE = "aigate"
SOLID = "SolidColor"
PLACEHOLDER = "0x808080ff"  # a clip whose media OTIO does not know: grey, as long as it was


def to_otio(project: Project) -> otio.schema.Timeline:
    """One OTIO track per Kdenlive track, record times and source ranges kept."""
    collected = collect(project)
    rate = project.rate()
    timeline = otio.schema.Timeline(name=collected.name,
                                    global_start_time=RationalTime(0, rate))
    if collected.metadata:
        timeline.metadata[NAMESPACE] = dict(collected.metadata)
    by_track: dict[str, list[tuple[Any, Placement]]] = {}
    for item, placement in zip(collected.items, collected.handles, strict=True):
        # a nested sequence's clips (track "V1/inner") go on their outer track, flattened
        by_track.setdefault(item.track.partition("/")[0], []).append((item, placement))
    for placed in by_track.values():
        placed.sort(key=lambda pair: pair[0].record_start)
    for track in tracks(project):
        kind = otio.schema.TrackKind.Audio if track.kind == "Audio" else \
            otio.schema.TrackKind.Video
        lanes: list[otio.schema.Track] = []
        ends: list[float] = []
        for item, placement in by_track.get(track.label, []):
            # a same-track mix overlaps the previous clip: it goes to a lane of its own
            lane = next((i for i, end in enumerate(ends) if end <= item.record_start), None)
            if lane is None:
                name = track.label if not lanes else f"{track.label} mix {len(lanes)}"
                lanes.append(otio.schema.Track(name=name, kind=kind))
                ends.append(0.0)
                lane = len(lanes) - 1
            if item.record_start > ends[lane]:
                lanes[lane].append(otio.schema.Gap(source_range=TimeRange(
                    RationalTime(0, rate), RationalTime(item.record_start - ends[lane], rate))))
            lanes[lane].append(_clip(item, placement, rate))
            ends[lane] = item.record_end
        for lane_track in lanes or [otio.schema.Track(name=track.label, kind=kind)]:
            timeline.tracks.append(lane_track)
    return timeline


def _clip(item: Any, placement: Placement, rate: float) -> otio.schema.Clip:
    element = placement.clip
    service = prop(element, "mlt_service") or prop(placement.producer, "mlt_service") or ""
    length = RationalTime(item.record_end - item.record_start, rate)
    reference: otio.core.MediaReference
    if service in ("color", "colour"):
        reference = otio.schema.GeneratorReference(
            generator_kind=SOLID,
            parameters={"color": prop(element, "resource") or prop(placement.producer,
                                                                     "resource") or ""})
    elif item.media_url and service not in GENERATORS:
        reference = otio.schema.ExternalReference(target_url=item.media_url)
    else:
        reference = otio.schema.MissingReference()
    clip = otio.schema.Clip(name=item.clip, media_reference=reference, source_range=TimeRange(
        RationalTime(item.source_start or 0, rate), length))
    for where, value in item.declared:
        holder = clip if where == "entry" else reference
        if NAMESPACE not in holder.metadata:
            holder.metadata[NAMESPACE] = value
    return clip


def from_otio(timeline: otio.schema.Timeline, *, name: str | None = None,
              root: Path | None = None, width: int = 1920, height: int = 1080) -> Project:
    """A new Kdenlive 22.12 project with every clip of ``timeline`` on its track; write it
    with :func:`aigate_kdenlive.project.write`. Record times count from the timeline's start
    (Kdenlive's ruler starts at 0). Nested compositions are refused (a conversion never
    drops a clip)."""
    rate = timeline_rate(timeline)
    fraction = Fraction(rate).limit_denominator(1001)
    specs = []
    for number, track in enumerate(timeline.tracks, start=1):
        if not isinstance(track, otio.schema.Track):
            raise InputError(f"track {number} ({track.name!r}) is not a track: nested "
                             "stacks are not converted")
        clips = []
        position = 0.0
        for child in track:
            if isinstance(child, otio.schema.Transition):
                continue
            duration = child.duration().value_rescaled_to(rate)
            if isinstance(child, otio.schema.Clip):
                clips.append(_spec(child, rate, round(position)))
            elif not isinstance(child, otio.schema.Gap):
                raise InputError(f"track {track.name or number}: {type(child).__name__} "
                                 f"{child.name!r} is nested: not converted")
            position += duration
        audio = track.kind == otio.schema.TrackKind.Audio
        specs.append(TrackSpec(clips, audio=audio, name=_track_name(track.name)))
    settings = plain(timeline.metadata[NAMESPACE]) if NAMESPACE in timeline.metadata else None
    project = build(specs, profile=ProfileSpec(width, height, fraction.numerator,
                                               fraction.denominator),
                    name=name or timeline.name or "project", root=root,
                    settings=settings if isinstance(settings, dict) else None)
    return project


def _spec(clip: otio.schema.Clip, rate: float, start: int) -> ClipSpec:
    source = clip.trimmed_range()
    reference = clip.media_reference
    resource = color = None
    if isinstance(reference, otio.schema.GeneratorReference) and \
            reference.generator_kind == SOLID:
        color = str(reference.parameters.get("color", PLACEHOLDER))
    elif isinstance(reference, otio.schema.ExternalReference) and reference.target_url:
        resource = reference.target_url.removeprefix("file://")
    else:
        color = PLACEHOLDER
    own = plain(clip.metadata[NAMESPACE]) if NAMESPACE in clip.metadata else None
    source_meta = plain(reference.metadata[NAMESPACE]) if reference is not None and \
        NAMESPACE in reference.metadata else None
    return ClipSpec(name=clip.name, length=max(round(source.duration.value_rescaled_to(rate)),
                                               1),
                    resource=resource, color=color,
                    source_in=round(source.start_time.value_rescaled_to(rate)), start=start,
                    aigate=source_meta, entry_aigate=own)


def _track_name(name: str) -> str:
    """An OTIO track name worth keeping as Kdenlive's track name (not V1, A2...)."""
    return "" if re.fullmatch(r"[VA]\d+", name or "") else name or ""

