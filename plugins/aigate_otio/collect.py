"""OTIO timelines into items: the hot path of a long cut."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import opentimelineio as otio

from aigate.api import (
    MAX_RATE,
    MAX_SECONDS,
    Collected,
    FrameSequence,
    InputError,
    Item,
    frame_url,
    items_timing_problem,
    timing_problem,
)
from aigate_otio import sequence, unknown

from . import HOST
from .rates import DEFAULT_RATE, DROP_FRAME, DROP_RATES, cut_rate

NAMESPACE = "aigate"


def timelines(subject: Any) -> list[otio.schema.Timeline] | None:
    """The timelines in a subject (a timeline, or a collection of them), or None if the
    subject is not OTIO."""
    if isinstance(subject, otio.schema.Timeline):
        return [subject]
    if isinstance(subject, otio.schema.SerializableCollection):
        found: list[otio.schema.Timeline] = []
        for child in subject:
            found.extend(timelines(child) or ())
        return found
    return None


def bin_clips(subject: Any) -> list[otio.schema.Clip]:
    """The clips of a collection that holds no timeline (an FCPXML event, library or bin,
    a SerializableCollection of clips), outside any timeline, in the collection's order."""
    found: list[otio.schema.Clip] = []
    if isinstance(subject, otio.schema.Clip):
        found.append(subject)
    elif isinstance(subject, otio.schema.SerializableCollection | otio.core.Composition):
        for child in subject:
            found.extend(bin_clips(child))
    return found


def collect_bin(name: str, clips: list[otio.schema.Clip]) -> Collected:
    """A bin as a subject: the media an editor is about to cut with. A bin has no record
    time: each item's record in/out is the clip's own in/out (what the bin shows). Its
    stage is what the path rules give, like any file's (a subject may raise its stage,
    never lower it: ``--stage import`` asks for an import check)."""
    items = []
    for index, clip in enumerate(clips):
        rate = DEFAULT_RATE
        try:
            shown = clip.trimmed_range()
            rate = shown.duration.rate
            start = shown.start_time.value_rescaled_to(rate)
        except Exception as exc:  # no source range and no available range
            raise InputError(f"clip {clip.name!r} has no duration: {first_line(exc)}") from exc
        items.append(_item(clip, "bin", "Video", index, rate, start))
    return Collected(name=f"{name} (bin)", items=items, host=HOST, native=None,
                     handles=clips)


def timeline_rate(timeline: otio.schema.Timeline) -> float:
    """The record rate: global_start_time's rate, else the cut's own (:func:`cut_rate`)."""
    if timeline.global_start_time is not None:
        return timeline.global_start_time.rate
    return cut_rate(_clip_rates(timeline.tracks, video=True),
                    _clip_rates(timeline.tracks, video=False))


def _clip_rates(composition: Any, video: bool) -> Iterator[float]:
    """The source-range rates of the clips under ``composition``, depth first; with
    ``video`` only under its picture tracks (a clip straight in the stack counts as one)."""
    for child in composition[:]:
        if isinstance(child, otio.schema.Clip):
            if child.source_range is not None:
                yield child.source_range.duration.rate
        elif isinstance(child, otio.core.Composition):
            if video and isinstance(child, otio.schema.Track) \
                    and child.kind != otio.schema.TrackKind.Video:
                continue
            yield from _clip_rates(child, False if isinstance(child, otio.schema.Track)
                                   else video)


def collect_timeline(timeline: otio.schema.Timeline, declared_only: bool = False) -> Collected:
    """Every clip of the timeline, in track order, with its record times (``declared_only``:
    only the clips that declare something, see the aigate_collect hookspec)."""
    if declared_only:
        try:
            return _collect(timeline, True)
        except _Unusual:
            pass  # a clip left out would make the whole collection fail: collect them all
    return _collect(timeline, False)


class _Unusual(Exception):
    """A clip a declared-only collection leaves out whose item the full collection would
    refuse (a bad rate, a time that is not usable, a negative duration): only the full
    collection gives the answer then."""


def _collect(timeline: otio.schema.Timeline, declared_only: bool) -> Collected:
    rate = timeline_rate(timeline)
    start = timeline.global_start_time
    offset = start.value_rescaled_to(rate) if start is not None else 0.0
    items: list[Item] = []
    clips: list[otio.schema.Clip] = []
    counts: dict[str, int] = {}
    for track in timeline.tracks[:]:
        kind = str(track.kind) if isinstance(track, otio.schema.Track) else "Video"
        counts[kind] = counts.get(kind, 0) + 1
        if isinstance(track, otio.core.Composition):
            name = track.name or f"{kind[:1].upper()}{counts[kind]}"
            # an EDL read by OTIO keeps its first record TC as a negative track trim
            _walk(track, name, kind, offset - _trim(track, rate), rate, items, clips,
                  declared_only)
        elif isinstance(track, otio.schema.Clip):
            # a clip straight in the stack of tracks plays (find_clips() and editors show
            # it) from the timeline's start, as every child of a stack: a track of its own,
            # named by its place; gaps and transitions there hold nothing
            if declared_only and not _kept(track):
                _passed_over(track, rate, offset)
                continue
            items.append(_item(track, f"{kind[:1]}{counts[kind]}", kind, 0, rate, offset))
            clips.append(track)
    if (problem := items_timing_problem(rate, items)) is not None:
        raise InputError(f"timeline {timeline.name!r}: {problem}")
    if rate in DROP_RATES and getattr(timeline, DROP_FRAME, None) is False:
        items = [replace(item, drop_frame=False) for item in items]  # a non-drop-frame EDL
    metadata = _lookup(timeline.metadata, NAMESPACE)
    return Collected(name=timeline.name or "(unnamed timeline)", items=items, host=HOST,
                     metadata=metadata if isinstance(metadata, dict) else {}, native=timeline,
                     handles=clips)


def _walk(composition: Any, track: str, kind: str, offset: float, rate: float,
          items: list[Item], clips: list[otio.schema.Clip], declared_only: bool) -> None:
    """Items of a track (or a nested stack), with record times offset by ``offset`` frames.

    This loop is the gate's hot path on a long cut. Positions are the running sum of the
    children's durations, skipping transitions: exactly what OTIO's
    Track.range_of_all_children() computes (tests compare the two), without building
    its dict of wrappers: 1.7 instead of 5.5 microseconds a clip. Children come by
    slice (iterating a composition is ten times slower); metadata is probed only when
    non-empty. With ``declared_only`` a clip that declares nothing only moves the position.
    """
    if isinstance(composition, otio.schema.Stack):
        for index, child in enumerate(composition[:]):
            if isinstance(child, otio.core.Composition):
                _walk(child, track, kind, offset - _trim(child, rate), rate, items, clips,
                      declared_only)
            elif isinstance(child, otio.schema.Clip):
                if declared_only and not _kept(child):
                    _passed_over(child, rate, offset)
                    continue
                items.append(_item(child, track, kind, index, rate, offset))
                clips.append(child)
        return
    position = offset
    for index, child in enumerate(composition[:]):
        if isinstance(child, otio.schema.Clip):
            if declared_only and not _kept(child):
                position = _passed_over(child, rate, position)
                continue
            item = _item(child, track, kind, index, rate, position)
            items.append(item)
            clips.append(child)
            position = item.record_end
        elif isinstance(child, otio.schema.Transition):
            continue  # overlaps its neighbours; takes no time in the track
        elif isinstance(child, otio.core.Composition):
            label = f"{track}/{child.name}" if child.name else track
            _walk(child, label, kind, position - _trim(child, rate), rate, items, clips,
                  declared_only)
            position += child.duration().value_rescaled_to(rate)
        else:  # gaps and anything else that takes time
            position += child.duration().value_rescaled_to(rate)


def _trim(composition: Any, rate: float) -> float:
    """Where a composition's visible range starts in its own time (0 when untrimmed)."""
    trimmed = composition.source_range
    return trimmed.start_time.value_rescaled_to(rate) if trimmed is not None else 0.0


def _kept(clip: otio.schema.Clip) -> bool:
    """Whether a declared-only collection makes the clip's item: the clip or any of its
    media references holds ``aigate`` metadata, or a reference is an image sequence (its
    frames are counted as the item is made, which can fail the whole collection). One
    loop, no generator: a long cut asks it of every clip."""
    metadata = clip.metadata
    if len(metadata) and NAMESPACE in _keys(metadata):
        return True
    for reference in clip.media_references().values():
        metadata = reference.metadata
        if (len(metadata) and NAMESPACE in _keys(metadata)) \
                or isinstance(reference, otio.schema.ImageSequenceReference):
            return True
    return False


def _span(clip: otio.schema.Clip, rate: float) -> tuple[float | None, float]:
    """The clip's source in (None without a source range) and duration, in frames at
    ``rate``."""
    source = clip.source_range
    if source is not None:
        start, duration = source.start_time, source.duration  # each read makes an object
        if not (0 < start.rate <= MAX_RATE and 0 < duration.rate <= MAX_RATE):
            bad = start.rate if not 0 < start.rate <= MAX_RATE else duration.rate
            raise InputError(f"clip {clip.name!r}: {timing_problem(bad, ())}")
        return start.value_rescaled_to(rate), duration.value_rescaled_to(rate)
    try:
        return None, clip.duration().value_rescaled_to(rate)
    except Exception as exc:  # no source range and no available range
        raise InputError(f"clip {clip.name!r} has no duration: {first_line(exc)}") from exc


def _passed_over(clip: otio.schema.Clip, rate: float, record_in: float) -> float:
    """Where a clip left out of a declared-only collection ends in its track. Its times are
    checked as its item's would be (:func:`_span`, then ``items_timing_problem``), inline
    (a long cut passes over most of its clips): where the item would fail the whole
    collection, :class:`_Unusual` says to collect every clip, so the answer is the full
    collection's."""
    source = clip.source_range
    if source is None:  # its media's available range: rare, checked as the item would be
        try:
            source_in, duration = _span(clip, rate)
        except InputError:
            raise _Unusual from None
        if source_in is None:
            source_in = 0.0
    else:
        start, length = source.start_time, source.duration  # each read makes an object
        if not (0 < start.rate <= MAX_RATE and 0 < length.rate <= MAX_RATE):
            raise _Unusual
        source_in, duration = start.value_rescaled_to(rate), length.value_rescaled_to(rate)
    record_out = record_in + duration
    limit = MAX_SECONDS * rate
    # with a duration of 0 or more these bound all four times; NaN fails every comparison
    if not (0 <= duration and -limit <= record_in and record_out <= limit
            and -limit <= source_in and source_in + duration <= limit):
        raise _Unusual
    return record_out


def _speed(clip: otio.schema.Clip) -> float | None:
    """How fast the clip plays its media: the product of its LinearTimeWarp scalars (a
    FreezeFrame's is 0; an EDL's M2 speed is one), 1 without; None where another time
    effect (a speed curve) makes which media it plays unknown."""
    speed: float | None = 1.0
    effects = clip.effects
    for at in range(len(effects)):  # bounded: the end of an iteration costs ~9 us (below)
        effect = effects[at]
        if isinstance(effect, otio.schema.LinearTimeWarp):
            speed = None if speed is None else speed * effect.time_scalar
        elif isinstance(effect, otio.schema.TimeEffect):
            speed = None
    return speed


def _played(start: float, duration: float, speed: float) -> tuple[float, float]:
    """The media a clip's source range plays at ``speed`` (start and length): ``duration``
    of the cut is ``duration`` times ``speed`` of media (a freeze, the frame at ``start``);
    in reverse, the media before ``start`` as well as the range itself (both are read)."""
    if speed >= 0:
        return start, duration * speed
    return start - duration * -speed, duration * (1 - speed)


def _item(clip: otio.schema.Clip, track: str, kind: str, index: int, rate: float,
          record_in: float) -> Item:
    source_in, duration = _span(clip, rate)
    speed = _speed(clip)
    declared = []
    value = _lookup(clip.metadata, NAMESPACE)
    if value is not None:
        declared.append(("clip", value))
    reference = clip.media_reference
    media_url = None
    frames = None
    if reference is None:  # no reference under the active key
        why = unknown.NO_REFERENCE
    else:
        media_url = _url(reference)
        why = "" if media_url else _names_nothing(reference)
        if isinstance(reference, otio.schema.ImageSequenceReference):
            frames = _frames(clip, reference, speed)
            media_url = frame_url(frames.pattern, frames.first)
        value = _lookup(reference.metadata, NAMESPACE)
        if value is not None:
            declared.append(("media_reference", value))
    other_media: tuple[str, ...] = ()
    references = clip.media_references()
    if len(references) > (reference is not None):
        other_media, other_why = _other_media(clip, references, media_url, declared, speed)
        why = why or other_why
    if why:
        why = unknown.with_reel(why, _edl(clip))
    # the source out as a list gives it: the end of what the clip plays (a freeze, one frame)
    source_out = None if source_in is None else source_in + (
        duration if speed is None or speed < 0 else duration * speed if speed else 1.0)
    # positional: keyword arguments cost measurably on a 100,000-clip cut
    return Item(track, kind, clip.name or "(unnamed clip)", index, rate, record_in,
                record_in + duration, source_in, source_out, media_url or None,
                tuple(declared), other_media, frames, None, why)


def _names_nothing(reference: Any) -> str:
    """Why a reference that gives no URL names no media the gate can look at ("" for a
    generator, which plays none): :mod:`.unknown`."""
    if isinstance(reference, otio.schema.GeneratorReference):
        return ""
    if isinstance(reference, otio.schema.MissingReference):
        return unknown.NO_REFERENCE
    return unknown.NO_FILE


def _edl(clip: otio.schema.Clip) -> Any:
    """The clip's ``cmx_3600`` metadata (an EDL event's reel), None where it cannot be
    read: it only names the reel in a message."""
    try:
        return _lookup(clip.metadata, unknown.EDL_KEY)
    except InputError:
        return None


def _frames(clip: otio.schema.Clip, reference: Any, speed: float | None = 1.0
            ) -> FrameSequence:
    """The frames of an image sequence the clip plays (every one is its media), at the
    clip's ``speed``; at a speed not known, every frame of the sequence's available range
    (the clip could play any of them)."""
    available = reference.available_range
    used = (available or clip.source_range) if speed is None else \
        (clip.source_range or available)
    start, length = _played(used.start_time.to_seconds(), used.duration.to_seconds(),
                            1.0 if speed is None else speed) if used is not None else (0.0, 0.0)
    try:
        return sequence.frames_used(
            sequence.pattern(reference.target_url_base, reference.name_prefix,
                             reference.name_suffix, reference.frame_zero_padding),
            reference.start_frame, reference.frame_step, reference.rate,
            available.start_time.to_seconds() if available is not None else 0.0,
            start, length)
    except InputError as exc:
        raise InputError(f"clip {clip.name!r}: {exc}") from None


def _url(reference: Any) -> str | None:
    url = getattr(reference, "target_url", None)
    if url is None and isinstance(reference, otio.schema.ImageSequenceReference):
        url = reference.abstract_target_url("#")
    return url


def _other_media(clip: otio.schema.Clip, references: dict[str, Any], media_url: str | None,
                 declared: list[tuple[str, Any]], speed: float | None = 1.0
                 ) -> tuple[tuple[str, ...], str]:
    """The media of a clip's references besides the active one (a proxy's full resolution,
    say), in key order: every one is the clip's media, so every one is checked; and why
    the first of them that names nothing the gate can look at does not ("" if none).
    Their declared metadata goes into ``declared`` as ``media_reference:<key>``."""
    active = clip.active_media_reference_key
    urls: list[str] = []
    why = ""
    for key, reference in references.items():
        if key == active:
            continue
        if isinstance(reference, otio.schema.ImageSequenceReference):
            # every frame the clip would play from it, not its pattern (no file)
            urls.extend(sequence.frame_files(_frames(clip, reference, speed)))
        elif url := _url(reference):
            urls.append(url)
        elif not why and (names := _names_nothing(reference)):
            why = unknown.other(key, names)
        value = _lookup(reference.metadata, NAMESPACE)
        if value is not None:
            declared.append((f"media_reference:{key}", value))
    return tuple(url for url in dict.fromkeys(urls) if url != media_url), why


# OTIO's AnyDictionary and AnyVector signal a missing key and the end of an iteration with
# a C++ exception that costs ~9 us in Python. Bounded by len(), neither happens: these
# helpers read a 5-key mapping in ~2 us instead of ~20.


def _keys(mapping: Any) -> list[str]:
    iterator = iter(mapping)
    return [next(iterator) for _ in range(len(mapping))]


def _has(metadata: Any, key: str) -> bool:
    return bool(len(metadata)) and key in _keys(metadata)


def mark_display_format(timeline: Any) -> None:
    """Say on a timeline OTIO read from FCP7 XML how its sequence counts timecode: the XML
    says it (``displayformat``: Premiere's NDF sequence at 29.97 counts every frame), OTIO's
    reader keeps it in metadata and infers drop frame from the rate."""
    fcp = _lookup(timeline.metadata, "fcp_xml")
    code = fcp.get("timecode") if isinstance(fcp, dict) else None
    shown = code.get("displayformat") if isinstance(code, dict) else None
    if not hasattr(timeline, DROP_FRAME) and shown in ("NDF", "DF"):
        setattr(timeline, DROP_FRAME, shown == "DF")


def _lookup(metadata: Any, key: str) -> Any:
    """``metadata[key]`` as plain Python values, or None when absent."""
    if not _has(metadata, key):
        return None
    try:
        return plain(metadata[key])
    except KeyError:  # listed but not found: a key OTIO's bindings cut at a NUL character
        raise InputError(f"metadata key {key!r} cannot be read: the file has a key that "
                         "OTIO cuts short (a NUL character in it)") from None


def plain(value: Any) -> Any:
    """OTIO metadata values as plain dicts and lists (cheap to read, and picklable)."""
    if isinstance(value, otio._otio.AnyDictionary):
        return {key: plain(value[key]) for key in _keys(value)}
    if isinstance(value, otio._otio.AnyVector):
        return [plain(value[i]) for i in range(len(value))]
    return value


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line[:300]
