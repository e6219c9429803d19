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

from aigate.api import InputError, Shade
from aigate_otio.collect import plain, timeline_rate

from .build import ClipSpec, ProfileSpec, TrackSpec, build
from .present import PREFIX, Flag, Flagged, show
from .probe import probe
from .project import GENERATORS, Placement, Project, prop, tracks
from .walk import collect

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
    elif service in GENERATORS:  # a title, a counter, noise: made by the player, no media
        reference = otio.schema.GeneratorReference(generator_kind=service)
    elif item.media_url:
        reference = otio.schema.ExternalReference(target_url=item.media_url)
    else:  # plays media no file names: unknown, as the project's own check says
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
    (Kdenlive's ruler starts at 0). A clip's in-point counts from its media's first frame:
    the media's start timecode (from the file as melt reads it, else the reference's
    ``available_range``) is an offset on the source clock, and each entry must lie inside
    the media's real duration. Relative media paths are read from ``root``. Nested
    compositions and speed changes are refused, naming the clip (a conversion never drops
    a clip or plays it at another speed)."""
    rate = timeline_rate(timeline)
    fraction = Fraction(rate).limit_denominator(1001)
    specs = []
    flags: dict[tuple[str, int], Flag] = {}
    kinds = {"V": 0, "A": 0}
    for number, track in enumerate(timeline.tracks, start=1):
        if not isinstance(track, otio.schema.Track):
            raise InputError(f"track {number} ({track.name!r}) is not a track: nested "
                             "stacks are not converted")
        clips = []
        position = 0.0
        where = track.name or str(number)
        audio = track.kind == otio.schema.TrackKind.Audio
        kinds["A" if audio else "V"] += 1
        label = f"{'A' if audio else 'V'}{kinds['A' if audio else 'V']}"
        for child in track:
            if isinstance(child, otio.schema.Transition):
                continue
            duration = child.duration().value_rescaled_to(rate)
            if isinstance(child, otio.schema.Clip):
                clips.append(_spec(child, rate, round(position), root, where))
                flag = _flag(child, round(position))
                if flag is not None:
                    flags[(label, round(position))] = flag
            elif not isinstance(child, otio.schema.Gap):
                raise InputError(f"track {where}: {type(child).__name__} "
                                 f"{child.name!r} is nested: not converted")
            position += duration
        specs.append(TrackSpec(clips, audio=audio, name=_track_name(track.name)))
    settings = plain(timeline.metadata[NAMESPACE]) if NAMESPACE in timeline.metadata else None
    project = build(specs, profile=ProfileSpec(width, height, fraction.numerator,
                                               fraction.denominator),
                    name=name or timeline.name or "project", root=root,
                    settings=settings if isinstance(settings, dict) else None)
    if flags:  # the verdicts aigate wrote on the OTIO clips, shown as Kdenlive shows them
        collected = collect(project)
        show(project, [Flagged(placement.clip, placement.source_in,
                               flags[(item.track, round(item.record_start))])
                       for item, placement in zip(collected.items, collected.handles,
                                                  strict=True)
                       if (item.track, round(item.record_start)) in flags])
    return project


def _flag(clip: otio.schema.Clip, start: int) -> Flag | None:
    """The verdict aigate's OTIO annotation left on ``clip`` (its ``AIGATE <SHADE> <rule>``
    marker, with the reason and findings in the marker's metadata), or None."""
    for marker in clip.markers:
        words = marker.name.split()
        if len(words) < 3 or words[0].upper() != PREFIX or \
                words[1].lower() not in {s.value for s in Shade}:
            continue
        metadata = plain(marker.metadata)
        comment = metadata.get("fcp_xml", {}) if isinstance(metadata, dict) else {}
        reason = comment.get("comment", "") if isinstance(comment, dict) else ""
        found = metadata.get(NAMESPACE, {}) if isinstance(metadata, dict) else {}
        rules = {f.get("rule") for f in found.get("findings", []) if isinstance(f, dict)} \
            if isinstance(found, dict) else set()
        also = tuple(sorted(str(r) for r in rules if r and r != words[2]))
        return Flag(Shade(words[1].lower()), words[2], str(reason), also, clip.name, start)
    return None


def _spec(clip: otio.schema.Clip, rate: float, start: int, root: Path | None,
          track: str) -> ClipSpec:
    source = clip.trimmed_range()
    reference = clip.media_reference
    where = f"track {track}, clip {clip.name!r}"
    for effect in clip.effects:
        scalar = getattr(effect, "time_scalar", 1.0)
        if isinstance(effect, otio.schema.FreezeFrame) or scalar != 1.0:
            raise InputError(f"{where}: a speed change ({type(effect).__name__}, "
                             f"{scalar:g}x) is not converted to Kdenlive")
    resource = color = None
    media_start, media_frames = 0, None
    length = max(round(source.duration.value_rescaled_to(rate)), 1)
    if isinstance(reference, otio.schema.GeneratorReference) and \
            reference.generator_kind == SOLID:
        color = str(reference.parameters.get("color", PLACEHOLDER))
    elif isinstance(reference, otio.schema.ExternalReference) and reference.target_url:
        resource = reference.target_url.removeprefix("file://")
        media_start, media_frames = _media_bounds(reference, resource, rate, root)
    else:
        color = PLACEHOLDER
    source_in = round(source.start_time.value_rescaled_to(rate)) - media_start
    if resource is not None and (source_in < 0 or (
            media_frames is not None and source_in + length > media_frames)):
        held = f"frames 0-{media_frames - 1}" if media_frames is not None else "its frames"
        raise InputError(f"{where}: uses source frames {source_in}-{source_in + length - 1} "
                         f"of {resource}, which holds {held} at {rate:g} fps (its start "
                         f"timecode is frame {media_start} of the source clock): not "
                         "converted, Kdenlive would play other pictures")
    own = plain(clip.metadata[NAMESPACE]) if NAMESPACE in clip.metadata else None
    source_meta = plain(reference.metadata[NAMESPACE]) if reference is not None and \
        NAMESPACE in reference.metadata else None
    return ClipSpec(name=clip.name, length=length, resource=resource, color=color,
                    source_in=source_in, start=start, aigate=source_meta,
                    entry_aigate=own, media_length=media_frames)


def _media_bounds(reference: otio.schema.ExternalReference, resource: str, rate: float,
                  root: Path | None) -> tuple[int, int | None]:
    """Where the media's first frame sits on the source clock, and how many frames it
    holds, at ``rate``: from the file as melt opens it when it can, else from the
    reference's ``available_range``; (0, None) when neither says."""
    path = Path(resource)
    if not path.is_absolute() and root is not None:
        path = root / path
    facts = probe(path)
    available = reference.available_range
    start, frames = 0, None
    if facts is not None:
        frames = int(facts.seconds * rate + 1e-6)
        if facts.timecode:
            try:
                start = round(otio.opentime.from_timecode(
                    facts.timecode, round(facts.rate)).value_rescaled_to(rate))
            except ValueError:
                start = 0
        elif available is not None:
            start = round(available.start_time.value_rescaled_to(rate))
    elif available is not None:
        start = round(available.start_time.value_rescaled_to(rate))
        frames = round(available.duration.value_rescaled_to(rate))
    return start, frames


def _track_name(name: str) -> str:
    """An OTIO track name worth keeping as Kdenlive's track name (not V1, A2...)."""
    return "" if re.fullmatch(r"[VA]\d+", name or "") else name or ""

