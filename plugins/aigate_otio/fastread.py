"""A checked fast path for .otio and .otioz: the gate's items straight from the JSON.

Reading a long cut through OTIO builds a C++ object for everything in the file and then
reads each clip back through the Python bindings; the gate needs a few fields per clip. This
module decodes the document itself (:mod:`aigate_otio.otiojson`, which reproduces OTIO's own
JSON reading) into small tuples, checking every schema object as OTIO's reader checks it, and
walks the tracks computing record times with OTIO's arithmetic, so its items equal
:func:`aigate_otio.collect.collect_timeline`'s field by field (tests/test_fastread.py
compares the two on generated and real timelines).

It declines (:class:`~aigate_otio.otiojson.Unsupported`, and the caller reads the file with
OTIO) on anything outside a whitelist of schemas and versions, on any value OTIO would refuse
or could read differently, and when OTIO itself would not read the file plainly (a media
linker or another plugin's read hook configured, another adapter for the suffix). So the
gate's answer never depends on which path read the file; ``AIGATE_FAST=0`` forces OTIO's.

Only metadata under the ``aigate`` key is kept (as plain values, keys in OTIO's order); the
rest of the document is dropped as it is decoded, so memory stays below OTIO's own read.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigate.api import (
    MAX_RATE,
    Collected,
    FrameSequence,
    InputError,
    Item,
    frame_url,
    items_timing_problem,
)

# past the loading limits the fast path declines: OTIO's side refuses with the usual line
from . import HOST, sequence, unknown
from .manifest import ADAPTERS, answers
from .otiojson import MAX_BYTES, MAX_RATIO, RepeatedKey, Unsupported, loads, paused_gc, read_text
from .rates import cut_rate

#: the file suffixes this path reads (OTIO's otio_json and otioz adapters)
SUFFIXES = ("otio", "otioz")
OTIOZ_CONTENT = "content.otio"

NAMESPACE = "aigate"
DEFAULT_RATE = 24.0

# Decoded schema objects are tuples whose first element is one of these tags (a JSON array
# decodes to a list, never a tuple, so a tuple is always one of ours):
#   (RT, value, rate)                       RationalTime, both floats, rate > 0
#   (TR, start RT, duration RT)             TimeRange
#   (CLIP, name, source TR|None, reference|None, aigate value|None, others, unknown)
#       others: ((key, reference), ...) of the references besides the active one, by key
#       unknown: why the clip plays media its references do not name (:mod:`.unknown`)
#   (REF, media url|None, aigate value|None, available TR|None, unknown[, frames])
#       any media reference; unknown: why it names nothing to look at ("": it does, or it
#       is a generator); an image sequence adds the frames of its pattern
#   (GAP, source TR)   (TRANSITION, in RT, out RT)
#   (TRACK, name, kind, source TR|None, children)   (STACK, name, source TR|None, children)
#   (TIMELINE, name, global start RT|None, tracks STACK, aigate value|None)
#   (COLLECTION, children)   (MARKER,)   (EFFECT,)   (COLOR,)
RT, TR, CLIP, REF, GAP, TRANSITION = "RT", "TR", "CLIP", "REF", "GAP", "TRANSITION"
TRACK, STACK, TIMELINE, COLLECTION = "TRACK", "STACK", "TIMELINE", "COLLECTION"
MARKER, EFFECT, COLOR = "MARKER", "EFFECT", "COLOR"
COMPOSABLE = frozenset((CLIP, GAP, TRANSITION, TRACK, STACK))
COMPOSITION = frozenset((TRACK, STACK))
# SerializableObjects (what a collection holds); RationalTime, TimeRange, Color are values
SERIALIZABLE = frozenset((CLIP, REF, GAP, TRANSITION, TRACK, STACK, TIMELINE, COLLECTION,
                          MARKER, EFFECT))
_NUMBER = (int, float)
_ABSENT: Any = object()
_EMPTY: dict[str, Any] = {}
# a Gap read without "source_range" keeps its constructor's: TimeRange() (0 at rate 1)
_GAP_DEFAULT = (TR, (RT, 0.0, 1.0), (RT, 0.0, 1.0))
# what OTIO makes of a Clip.1 without a reference
_MISSING_REF = (REF, None, None, None, unknown.NO_REFERENCE)


def enabled(suffix: str) -> bool:
    """Whether the fast path may read a file with this suffix here: not switched off
    (``AIGATE_FAST=0``) and OTIO would read it plainly (its own adapter, no media linker,
    no read hook besides aigate's own)."""
    if suffix not in ADAPTERS or os.environ.get("AIGATE_FAST", "").strip() == "0":
        return False
    if os.environ.get("OTIO_DEFAULT_MEDIA_LINKER"):
        return False
    # OTIO's manifest as last seen: OTIO is not imported when nothing changed since
    return suffix in answers().plain


@dataclass(eq=False)
class FastSubject:
    """An .otio or .otioz file read by the fast path: its timelines, collected.

    ``otio`` is the same file read by OTIO, filled in only when something needs OTIO's
    objects (annotate writes verdicts onto the clips and saves them)."""

    path: Path
    collected: list[Collected] = field(default_factory=list)
    otio: Any = None


@dataclass(frozen=True, slots=True)
class FastTimeline:
    """``Collected.native`` of a fast-path timeline: which timeline of which subject."""

    subject: FastSubject
    index: int


def read(path: Path) -> FastSubject:
    """The file's timelines, collected; :class:`Unsupported` when OTIO's reader must read
    the file (it then gives whatever answer or error it always gives)."""
    suffix = path.suffix.lower().lstrip(".")
    try:
        if suffix == "otioz":
            if not zipfile.is_zipfile(path):
                raise Unsupported("not a zip file")
            with zipfile.ZipFile(path) as bundle:
                info = bundle.getinfo(OTIOZ_CONTENT)
                if (info.file_size > MAX_BYTES
                        or info.file_size > MAX_RATIO * max(info.compress_size, 1)):
                    raise Unsupported("large or highly compressed")
                with bundle.open(info) as stream:
                    text = read_text(stream, info.file_size)
        else:
            with path.open("rb") as stream:
                if os.fstat(stream.fileno()).st_size > MAX_BYTES:  # refused unread there
                    raise Unsupported("over the size limit")
                text = read_text(stream, MAX_BYTES)
    except (OSError, KeyError, EOFError, zipfile.BadZipFile, RuntimeError, ValueError) as exc:
        if isinstance(exc, Unsupported):
            raise
        raise Unsupported(f"cannot read: {exc}") from exc
    # no GC pass until the decoded document is gone: it is a million containers and no
    # cycle, and a pass over it right after decoding costs a third of the decoding
    with paused_gc():
        try:
            document = loads(text, _BUILDERS)
        except RepeatedKey as exc:  # OTIO's reader could crash on it: refused, not declined
            raise InputError(f"{path}: {exc}") from None
        del text
        found = _timelines(document)
        if not found:
            raise Unsupported("no timeline")  # OTIO's reader gives the usual message
        subject = FastSubject(path)
        try:
            subject.collected = [_collect_timeline(subject, index, timeline)
                                 for index, timeline in enumerate(found)]
        except RecursionError as exc:  # compositions nested thousands deep
            raise Unsupported("nesting too deep") from exc
        del document, found
    return subject


def _timelines(document: Any) -> list[tuple[Any, ...]]:
    if type(document) is not tuple:
        raise Unsupported("not an OTIO timeline or collection")
    if document[0] == TIMELINE:
        return [document]
    if document[0] == COLLECTION:
        found = []
        for child in document[1]:
            if child[0] in (TIMELINE, COLLECTION):
                found.extend(_timelines(child))
        return found
    raise Unsupported(f"top-level {document[0]}")


# --- decoding: one builder per whitelisted schema, called innermost first -----------------
# Each builder checks its object's fields as OTIO's reader does (required keys, types, null
# where OTIO allows it) and raises Unsupported wherever OTIO would fail or differ. Clip,
# RationalTime, TimeRange and ExternalReference are the bulk of a cut: they are inlined.

def _is(value: Any, tag: str) -> bool:
    return type(value) is tuple and value[0] is tag


def _string(d: dict[str, Any], key: str, default: Any = _ABSENT) -> str:
    """A string field as OTIO reads it: null reads as ""; required unless ``default``."""
    value = d.get(key, default)
    if type(value) is str:
        return value
    if value is None:
        return ""
    raise Unsupported(f"{key}: not a string")


def _common(d: dict[str, Any]) -> tuple[str, Any]:
    """SerializableObjectWithMetadata: the name and the plain ``aigate`` metadata value."""
    metadata = d.get("metadata", _EMPTY)
    if type(metadata) is not dict:
        raise Unsupported("metadata is not a mapping")
    value = metadata.get(NAMESPACE)
    name = d.get("name", "")
    if type(name) is not str:
        name = _string(d, "name")
    return name, None if value is None else _plain(value)


def _plain(value: Any) -> Any:
    """Metadata as OTIO's plain() gives it: mappings with their keys in std::map order
    (UTF-8 byte order, which is code point order); any schema object inside declines."""
    kind = type(value)
    if kind is dict:
        return {key: _plain(value[key]) for key in sorted(value)}
    if kind is list:
        return [_plain(v) for v in value]
    if kind is tuple:
        raise Unsupported("an OTIO object inside aigate metadata")
    return value


def _optional(d: dict[str, Any], key: str, tag: str, default: Any = None) -> Any:
    value = d.get(key, default)
    if value is not None and not (type(value) is tuple and value[0] is tag):
        raise Unsupported(f"{key}: not a {tag}")
    return value


_NONE: list[Any] = []  # an absent list field


def _item(d: dict[str, Any], default_range: Any = None) -> Any:
    """Item's fields, checked as OTIO reads them; returns the source range."""
    effects, markers = d.get("effects", _NONE), d.get("markers", _NONE)
    if (type(effects) is not list or type(markers) is not list
            or (effects and not all(_is(v, EFFECT) for v in effects))
            or (markers and not all(_is(v, MARKER) for v in markers))):
        raise Unsupported("effects or markers")
    enabled = d.get("enabled", True)
    if enabled is not True and enabled is not False:
        raise Unsupported("enabled: not a bool")
    color = d.get("color")
    if color is not None and not (type(color) is tuple and color[0] is COLOR):
        raise Unsupported("color")
    source = d.get("source_range", default_range)
    if source is not None and not (type(source) is tuple and source[0] is TR):
        raise Unsupported("source_range")
    return source


def _children(d: dict[str, Any]) -> list[Any]:
    children = d.get("children")
    if type(children) is not list or not all(
            type(c) is tuple and c[0] in COMPOSABLE for c in children):
        raise Unsupported("children")
    return children


def _rational_time(d: dict[str, Any]) -> tuple[Any, ...]:
    rate, value = d.get("rate"), d.get("value")
    if type(rate) is not float:
        if type(rate) is not int:
            raise Unsupported("RationalTime rate")
        rate = float(rate)
    if type(value) is not float:
        if type(value) is not int:
            raise Unsupported("RationalTime value")
        value = float(value)
    if not rate > 0.0:  # OTIO divides by it; Python would raise where C++ gives inf
        raise Unsupported("RationalTime rate")
    return (RT, value, rate)


def _time_range(d: dict[str, Any]) -> tuple[Any, ...]:
    start, duration = d.get("start_time"), d.get("duration")
    if (type(start) is not tuple or start[0] is not RT or type(duration) is not tuple
            or duration[0] is not RT):
        raise Unsupported("TimeRange fields")
    return (TR, start, duration)


def _color(d: dict[str, Any]) -> tuple[Any, ...]:
    if type(d.get("name")) is not str or any(type(d.get(k)) not in _NUMBER for k in "rgba"):
        raise Unsupported("Color fields")
    return (COLOR,)


def _marker(d: dict[str, Any]) -> tuple[Any, ...]:
    _common(d)
    _string(d, "color", "")
    _string(d, "comment", "")
    if not _is(d.get("marked_range"), TR):
        raise Unsupported("Marker range")
    return (MARKER,)


def _effect(d: dict[str, Any]) -> tuple[Any, ...]:
    _common(d)
    _string(d, "effect_name")
    enabled = d.get("enabled", True)
    if enabled is not True and enabled is not False:
        raise Unsupported("enabled: not a bool")
    return (EFFECT,)


def _reference(d: dict[str, Any], url: str | None, why: str) -> tuple[Any, ...]:
    _, aigate = _common(d)
    if d.get("available_image_bounds") is not None:
        raise Unsupported("available_image_bounds")
    return (REF, url, aigate, _optional(d, "available_range", TR), why)


def _external(d: dict[str, Any]) -> tuple[Any, ...]:
    url = d.get("target_url", _ABSENT)
    if type(url) is not str:
        url = _string(d, "target_url")
    metadata = d.get("metadata", _EMPTY)
    available = d.get("available_range")
    if (type(metadata) is not dict or type(d.get("name", "")) is not str
            or d.get("available_image_bounds") is not None
            or (available is not None and not (type(available) is tuple
                                               and available[0] is TR))):
        return _reference(d, url, "" if url else unknown.NO_FILE)  # the checks say why
    value = metadata.get(NAMESPACE)
    return (REF, url, None if value is None else _plain(value), available,
            "" if url else unknown.NO_FILE)


def _missing(d: dict[str, Any]) -> tuple[Any, ...]:
    return _reference(d, None, unknown.NO_REFERENCE)


def _generator(d: dict[str, Any]) -> tuple[Any, ...]:
    _string(d, "generator_kind")
    if type(d.get("parameters")) is not dict:
        raise Unsupported("GeneratorReference parameters")
    return _reference(d, None, "")  # plays no media: nothing to name


def _image_sequence(d: dict[str, Any]) -> tuple[Any, ...]:
    base, prefix, suffix = (_string(d, k) for k in
                            ("target_url_base", "name_prefix", "name_suffix"))
    if any(type(d.get(k)) is not int for k in ("start_frame", "frame_step",
                                                "frame_zero_padding")):
        raise Unsupported("ImageSequenceReference frame fields")
    if type(d.get("rate")) not in _NUMBER:
        raise Unsupported("ImageSequenceReference rate")
    if d.get("missing_frame_policy") not in ("error", "black", "hold"):
        raise Unsupported("missing_frame_policy")
    # what collect gets from OTIO's ImageSequenceReference.abstract_target_url("#"), and
    # what it needs to work out the frames a clip uses (sequence.py)
    frames = (sequence.pattern(base, prefix, suffix, d["frame_zero_padding"]),
              d["start_frame"], d["frame_step"], float(d["rate"]))
    return (*_reference(d, f"{base if base.endswith('/') else base + '/'}{prefix}#{suffix}",
                        ""), frames)


def _clip(d: dict[str, Any]) -> tuple[Any, ...]:
    name, aigate = _common(d)
    source = _item(d)
    if d["OTIO_SCHEMA"] == "Clip.1":
        # OTIO's upgrade: the one reference becomes DEFAULT_MEDIA; anything that is not an
        # OTIO object (null, absent, a plain value) becomes a MissingReference
        reference = d.get("media_reference")
        if type(reference) is tuple:
            if reference[0] is not REF:
                raise Unsupported("media_reference: not a media reference")
        else:
            reference = _MISSING_REF
        others: tuple[tuple[str, Any], ...] = ()
    else:
        references = d.get("media_references")
        if type(references) is not dict:
            raise Unsupported("media_references")
        for value in references.values():
            if type(value) is not tuple or value[0] is not REF:
                raise Unsupported("media_references")
        key = d.get("active_media_reference_key", _ABSENT)
        if type(key) is not str:
            key = _string(d, "active_media_reference_key")
        reference = references.get(key)
        others = () if len(references) <= (reference is not None) else tuple(
            sorted(((k, v) for k, v in references.items() if k != key),
                   key=lambda pair: pair[0]))  # OTIO's key order: std::map's
    # collect._item's: the active reference first, then the others in key order
    why = unknown.NO_REFERENCE if reference is None else reference[4]
    if not why and others:
        why = next((unknown.other(k, r[4]) for k, r in others if r[4] and not r[1]), "")
    if why:
        metadata = d.get("metadata", _EMPTY)  # a mapping: _common checked it
        why = unknown.with_reel(why, _plain_edl(metadata.get(unknown.EDL_KEY)))
    return (CLIP, name, source, reference, aigate, others, why)


def _plain_edl(value: Any) -> Any:
    """The ``cmx_3600`` metadata as collect reads it (only its ``reel`` string is used)."""
    return value if type(value) is dict else None


def _gap(d: dict[str, Any]) -> tuple[Any, ...]:
    _common(d)
    source = _item(d, _GAP_DEFAULT)
    if source is None:
        raise Unsupported("Gap without a source range")
    return (GAP, source)


def _transition(d: dict[str, Any]) -> tuple[Any, ...]:
    _common(d)
    _string(d, "transition_type")
    in_offset, out_offset = d.get("in_offset"), d.get("out_offset")
    if not (_is(in_offset, RT) and _is(out_offset, RT)):
        raise Unsupported("Transition offsets")
    return (TRANSITION, in_offset, out_offset)


def _track(d: dict[str, Any]) -> tuple[Any, ...]:
    name, _ = _common(d)
    kind = _string(d, "kind")
    return (TRACK, name, kind, _item(d), _children(d))


def _stack(d: dict[str, Any]) -> tuple[Any, ...]:
    name, _ = _common(d)
    return (STACK, name, _item(d), _children(d))


def _timeline(d: dict[str, Any]) -> tuple[Any, ...]:
    name, aigate = _common(d)
    tracks = d.get("tracks")
    if not _is(tracks, STACK):
        raise Unsupported("Timeline tracks")
    return (TIMELINE, name, _optional(d, "global_start_time", RT), tracks, aigate)


def _collection(d: dict[str, Any]) -> tuple[Any, ...]:
    _common(d)
    children = d.get("children")
    if type(children) is not list or not all(
            type(c) is tuple and c[0] in SERIALIZABLE for c in children):
        raise Unsupported("SerializableCollection children")
    return (COLLECTION, children)


_BUILDERS = {
    "RationalTime.1": _rational_time, "TimeRange.1": _time_range, "Color.1": _color,
    "Marker.2": _marker, "Effect.1": _effect,
    "ExternalReference.1": _external, "MissingReference.1": _missing,
    "GeneratorReference.1": _generator, "ImageSequenceReference.1": _image_sequence,
    "Clip.1": _clip, "Clip.2": _clip, "Gap.1": _gap, "Transition.1": _transition,
    "Track.1": _track, "Stack.1": _stack, "Timeline.1": _timeline,
    "SerializableCollection.1": _collection,
}


# --- OTIO's time arithmetic (opentime/rationalTime.h), on (value, rate) pairs -------------

def _rescaled(time: tuple[Any, ...], rate: float) -> float:
    """RationalTime.value_rescaled_to(rate)."""
    value, own = time[1], time[2]
    return value if rate == own else (value * rate) / own


def _add(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
    """RationalTime operator+ (the result takes the higher rate)."""
    if a[2] < b[2]:
        return (RT, _rescaled(a, b[2]) + b[1], b[2])
    return (RT, _rescaled(b, a[2]) + a[1], a[2])


_ZERO = (RT, 0.0, 1.0)


def _duration(node: tuple[Any, ...]) -> tuple[Any, ...]:
    """Composable.duration() as OTIO computes it (trimmed range, else available range)."""
    tag = node[0]
    if tag == TRANSITION:
        return _add(node[1], node[2])
    if tag == GAP:
        return node[1][2]
    if tag == CLIP:
        if node[2] is not None:
            return node[2][2]
        reference = node[3]
        if reference is None or reference[3] is None:
            raise Unsupported("a clip without a duration")  # OTIO's reader says so
        return reference[3][2]
    source = node[3] if tag == TRACK else node[2]
    if source is not None:
        return source[2]
    children = node[4] if tag == TRACK else node[3]
    if tag == TRACK:  # Track::available_range: items in sequence, plus edge transitions
        total = _ZERO
        for child in children:
            if child[0] != TRANSITION:
                total = _add(total, _duration(child))
        if children and children[0][0] == TRANSITION:
            total = _add(total, children[0][1])
        if children and children[-1][0] == TRANSITION:
            total = _add(total, children[-1][2])
        return total
    if not children:  # Stack::available_range: the longest child (std::max, first kept)
        return _ZERO
    longest = _duration(children[0])
    for child in children[1:]:
        other = _duration(child)
        if not (longest[1] / longest[2]) >= (other[1] / other[2]):
            longest = other
    return longest


# --- the walk: collect.collect_timeline's, on the decoded tuples ----------------------------

def _timeline_rate(timeline: tuple[Any, ...]) -> float:
    """collect.timeline_rate's, on the decoded tuples (the same rule: collect.cut_rate)."""
    start = timeline[2]
    if start is not None:
        return float(start[2])
    return cut_rate(_clip_rates(timeline[3], True), _clip_rates(timeline[3], False))


def _clip_rates(composition: tuple[Any, ...], video: bool) -> Iterator[float]:
    """collect._clip_rates's, on the decoded tuples."""
    for child in composition[4] if composition[0] == TRACK else composition[3]:
        tag = child[0]
        if tag == CLIP:
            if child[2] is not None:
                yield float(child[2][2][2])
        elif tag in COMPOSITION:
            if video and tag == TRACK and child[2] != "Video":
                continue
            yield from _clip_rates(child, False if tag == TRACK else video)


def _collect_timeline(subject: FastSubject, index: int,
                      timeline: tuple[Any, ...]) -> Collected:
    rate = _timeline_rate(timeline)
    start = timeline[2]
    offset = _rescaled(start, rate) if start is not None else 0.0
    items: list[Item] = []
    counts: dict[str, int] = {}
    for track in timeline[3][3]:
        tag = track[0]
        kind = track[2] if tag == TRACK else "Video"
        counts[kind] = counts.get(kind, 0) + 1
        if tag in COMPOSITION:
            name = track[1] or f"{kind[:1].upper()}{counts[kind]}"
            _walk(track, name, kind, offset - _trim(track, rate), rate, items)
        elif tag == CLIP:  # a clip straight in the stack: a track of its own (see collect)
            items.append(_item_of(track, f"{kind[:1]}{counts[kind]}", kind, 0, rate, offset))
    if items_timing_problem(rate, items) is not None:
        raise Unsupported("times OTIO's side refuses, naming the clip")
    metadata = timeline[4]
    return Collected(name=timeline[1] or "(unnamed timeline)", items=items, host=HOST,
                     metadata=metadata if isinstance(metadata, dict) else {},
                     native=FastTimeline(subject, index))


def _trim(composition: tuple[Any, ...], rate: float) -> float:
    source = composition[3] if composition[0] == TRACK else composition[2]
    return _rescaled(source[1], rate) if source is not None else 0.0


def _walk(composition: tuple[Any, ...], track: str, kind: str, offset: float, rate: float,
          items: list[Item]) -> None:
    if composition[0] == STACK:
        for index, child in enumerate(composition[3]):
            tag = child[0]
            if tag in COMPOSITION:
                _walk(child, track, kind, offset - _trim(child, rate), rate, items)
            elif tag == CLIP:
                items.append(_item_of(child, track, kind, index, rate, offset))
        return
    position = offset
    append = items.append
    for index, child in enumerate(composition[4]):
        tag = child[0]
        if tag == CLIP:
            item = _item_of(child, track, kind, index, rate, position)
            append(item)
            position = item.record_end
        elif tag == TRANSITION:
            continue  # overlaps its neighbours; takes no time in the track
        elif tag in COMPOSITION:
            label = f"{track}/{child[1]}" if child[1] else track
            _walk(child, label, kind, position - _trim(child, rate), rate, items)
            position += _rescaled(_duration(child), rate)
        else:
            position += _rescaled(_duration(child), rate)


def _item_of(clip: tuple[Any, ...], track: str, kind: str, index: int, rate: float,
             record_in: float) -> Item:
    source = clip[2]
    if source is not None:
        start, span = source[1], source[2]
        if start[2] > MAX_RATE or span[2] > MAX_RATE:
            raise Unsupported("source rate OTIO's side refuses")
        source_in = start[1] if rate == start[2] else (start[1] * rate) / start[2]
        duration = span[1] if rate == span[2] else (span[1] * rate) / span[2]
    else:
        source_in = None
        duration = _rescaled(_duration(clip), rate)
    declared: tuple[tuple[str, Any], ...] = ()
    if clip[4] is not None:
        declared = (("clip", clip[4]),)
    reference = clip[3]
    media_url = None
    frames = None
    if reference is not None:
        media_url = reference[1]
        if reference[2] is not None:
            declared = (*declared, ("media_reference", reference[2]))
        if len(reference) > 5:  # an image sequence: the frames the clip uses
            frames = _frames(clip[2], reference)
            media_url = frame_url(frames.pattern, frames.first)
    other_media: tuple[str, ...] = ()
    if clip[5]:
        urls: list[str] = []
        for key, other in clip[5]:  # collect._other_media's, on the decoded references
            if len(other) > 5:  # an image sequence: its frames
                urls.extend(sequence.frame_files(_frames(clip[2], other)))
            elif other[1]:
                urls.append(other[1])
            if other[2] is not None:
                declared = (*declared, (f"media_reference:{key}", other[2]))
        other_media = tuple(url for url in dict.fromkeys(urls) if url != media_url)
    return Item(track, kind, clip[1] or "(unnamed clip)", index, rate, record_in,
                record_in + duration, source_in,
                None if source_in is None else source_in + duration, media_url or None,
                declared, other_media, frames, None, clip[6])


def _seconds(time: tuple[Any, ...]) -> float:
    return time[1] / time[2]


def _frames(source: tuple[Any, ...] | None, reference: tuple[Any, ...]) -> FrameSequence:
    """collect._frames on the decoded reference (the same numbers, the same items)."""
    available = reference[3]
    used = source or available
    frame_pattern, start_frame, step, rate = reference[5]
    return sequence.frames_used(
        frame_pattern, start_frame, step, rate,
        _seconds(available[1]) if available is not None else 0.0,
        _seconds(used[1]) if used is not None else 0.0,
        _seconds(used[2]) if used is not None else 0.0)
