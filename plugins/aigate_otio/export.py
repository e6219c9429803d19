"""Writing an annotated timeline, verified: what is written is read back with the same
adapter and compared with what was annotated before anything is left at OUT.

Each format holds less than OTIO does (verified on OTIO 0.18 and its adapters):

- CMX 3600 EDL holds one track and no nest, and OTIO's writer drops the record start
  (``global_start_time``): a cut becomes one EDL per track (``cut_V1.edl``, ``cut_A1.edl``,
  like Avid's and Resolve's per-track EDL exports) or the one ``--track`` names; nested
  stacks are flattened (the topmost clip is what the picture shows); the record start is
  put back as a leading gap; reel names are made of the characters an EDL reader accepts;
- AAF drops markers (the verdict travels as a user comment instead);
- FCP7 XML and FCPX keep markers; FCPX drops the record start (positions are compared
  from the start of the cut);
- no format but OTIO's own gives nested stacks back where they were (their clips come
  back moved, or not at all): nests are flattened for all of them.

A clip the written file lost, a verdict that did not arrive on its clip (or arrived on
another), or a marker of the input the format dropped is a loss: the run fails and nothing
is written, unless ``allow_loss`` accepts the losses of unflagged clips and of the input's
own markers. A flagged clip's verdict is never allowed to be lost.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from aigate.api import InputError, output_mode

from . import edlrate, edlspeed, files, refusals
from .collect import collect_timeline, plain, timelines
from .rates import DROP_FRAME, DROP_RATES, SPEEDS
from .recordstart import as_global_start, fcp7_counting, fcpx_record_start

PREFIX = "AIGATE"
#: formats that keep everything OTIO holds (no transformation, still verified)
NATIVE = {"otio", "otioz", "otiod"}
#: formats that do not keep nests: nested stacks and tracks are flattened before writing
FLAT = {"edl", "aaf", "xml", "fcpxml"}
#: a record time read back is the one written: equal but for float noise (a rate of
#: 30000/1001 rescaled and back), never a frame off
TOLERANCE = 1e-6
#: how far a moved edit point is looked for, to name it in the refusal
MOVED = 2
#: characters an EDL reel may hold (a space splits the event line's fields)
REEL_LENGTH = 8
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SHOWN = 8  # losses named in the message; the rest are counted


@dataclass(frozen=True, slots=True)
class Expected:
    """A clip as it should come back: where it sits and what verdict it carries."""

    track: str
    clip: str
    start: float
    end: float
    origin: float
    verdict: str | None
    markers: int

    def where(self, rate: float, drop_frame: bool | None = None) -> str:
        from aigate.api import timecode

        return (f'{self.track} "{self.clip}" {timecode(self.start, rate, drop_frame)}-'
                f"{timecode(self.end, rate, drop_frame)}")


@dataclass(slots=True)
class Plan:
    """One file to write: the timeline as the format will hold it and what must come back."""

    path: Path
    timeline: Any
    expected: list[Expected] = field(default_factory=list)
    rate: float = 24.0
    #: the rate the file is written at, where the format does not say (EDL)
    written_rate: float | None = None
    #: how the cut counts timecode (False: a non-drop-frame EDL's), for what is written
    #: (an EDL at 29.97 or 59.94) and said
    drop_frame: bool | None = None
    #: the speed changes of the EDL the cut was read from, for an EDL
    speeds: edlspeed.Speeds | None = None


@dataclass(slots=True)
class Losses:
    """What writing would lose, in words."""

    clips: list[str] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    #: speed changes of the EDL read that OTIO's reader did not apply (Speeds.ignored)
    speeds: list[str] = field(default_factory=list)

    def fatal(self, allow_loss: bool) -> bool:
        return bool(self.verdicts) or (not allow_loss and bool(self.clips or self.markers
                                                                or self.speeds))

    def lines(self) -> list[str]:
        out = []
        for what, found in (("verdict not carried", self.verdicts),
                            ("clip lost", self.clips), ("marker lost", self.markers),
                            ("speed change lost (OTIO's EDL reader does not apply it where "
                             "the source and record durations agree)", self.speeds)):
            if found:
                shown = "; ".join(found[:_SHOWN])
                more = f" and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
                out.append(f"{len(found)} {what}: {shown}{more}")
        return out


def save(subject: Any, path: Path, track: str | None = None, allow_loss: bool = False,
         protected: tuple[Path, ...] = ()) -> tuple[list[Path], list[str]]:
    """Write the annotated ``subject`` to ``path`` (several files for a multi-track EDL),
    each read back and verified. Returns the files written and the losses accepted
    (``allow_loss``); raises :class:`InputError` with nothing left at ``path`` otherwise.
    No file written may be one of ``protected`` (the input)."""
    target = path.suffix.lower().lstrip(".")
    if target not in files.suffixes():
        raise InputError(f"{path}: no OTIO adapter writes .{target or '(no suffix)'} files "
                         f"(known: {', '.join(sorted(files.suffixes()))})")
    found = timelines(subject) or []
    if target in NATIVE and track is None:
        plans = [Plan(path, subject, [e for t in found for e in _expected(t)],
                      drop_frame=_counting(found))]
    else:
        if len(found) != 1:
            raise InputError(f"{path}: the subject holds {len(found)} timelines; "
                             f"{target.upper()} holds one (write .otio to keep them all)")
        plans = _plans(found[0], path, target, track)
    kept = {p.resolve() for p in protected}
    for plan in plans:
        if plan.path.resolve() in kept:
            raise InputError(f"{path}: not written: {plan.path} is the input, which is never "
                             "changed: choose another OUT")
    before = [e for t in found for e in _expected(t, track)]
    temporary: list[tuple[str, Path]] = []
    for plan in plans:  # what the format cannot express, in the cut's terms
        problem = refusals.unwritable(plan.timeline, target, plan.rate, plan.drop_frame)
        if problem is not None:
            raise InputError(f"{path}: not written: {problem}")
    try:
        losses = Losses(speeds=[s for t in found
                                for s in getattr(getattr(t, SPEEDS, None), "ignored", ())])
        for plan in plans:
            tmp = _write_temporary(plan)
            temporary.append((tmp, plan.path))
            _verify(plan, _read_back(Path(tmp), plan.path, plan.written_rate or plan.rate),
                    target, losses)
        _lost_in_transform(before, plans, losses)
        if losses.fatal(allow_loss):
            raise InputError(_refusal(path, target, losses, track, found[0] if found else None,
                                      allow_loss))
        for tmp, final in temporary:  # the mode a plain open() gives, or the replaced file's
            os.chmod(tmp, output_mode(final))
            os.replace(tmp, final)
        temporary = []
    finally:
        for tmp, _ in temporary:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    return [p.path for p in plans], losses.lines()


def _refusal(path: Path, target: str, losses: Losses, track: str | None,
             timeline: Any, allow_loss: bool) -> str:
    how = [] if losses.speeds else ["write .otio to keep everything"]  # .otio loses them too
    if target == "edl" and track is None and timeline is not None and not losses.speeds:
        how.append("or --track NAME for one track")
    if not losses.verdicts and not allow_loss:
        how.append("or --allow-loss to write it anyway" if how else "--allow-loss writes it")
    what = "" if losses.speeds else f"{target.upper()} cannot hold this cut: "
    return f"{path}: not written: {what}{' | '.join(losses.lines())} ({', '.join(how)})"


def _write_temporary(plan: Plan) -> str:
    suffix = plan.path.suffix.lower()
    plan.path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{plan.path.stem}.", suffix=suffix,
                               dir=plan.path.parent)
    os.close(fd)
    try:
        rate = plan.written_rate or plan.rate
        if plan.drop_frame is False and plan.written_rate in DROP_RATES:
            # an NDF EDL: OTIO's CMX writer writes drop frame at 29.97 and 59.94
            files.write(edlrate.at_whole_rate(plan.timeline, rate), Path(tmp))
            text = edlspeed.as_listed(Path(tmp).read_text(encoding="utf-8"), rate,
                                      float(round(rate)), False, plan.speeds)
            Path(tmp).write_text(edlrate.said_non_drop(text), encoding="utf-8")
        else:
            files.write(plan.timeline, Path(tmp))
            if suffix == ".edl":  # speed changes as the list has them
                text = Path(tmp).read_text(encoding="utf-8")
                Path(tmp).write_text(edlspeed.as_listed(text, rate, rate, rate in DROP_RATES,
                                                        plan.speeds), encoding="utf-8")
        if suffix == ".fcpxml":  # OTIO's FCPX writer drops the record start
            fcpx_record_start(Path(tmp), getattr(plan.timeline, "global_start_time", None))
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, InputError):
            cause = exc.__cause__ if exc.__cause__ is not None else exc
            message = refusals.failure(cause, plan.timeline, suffix.lstrip("."), plan.rate,
                                       plan.drop_frame)
            raise InputError(f"{plan.path}: not written: {message}") from exc
        raise
    return tmp


# --- what each format gets ----------------------------------------------------------


def _plans(timeline: Any, path: Path, target: str, track: str | None) -> list[Plan]:
    tracks = _named_tracks(timeline)
    if track is not None:
        chosen = [(name, t) for name, t in tracks if name == track]
        if not chosen:
            names = ", ".join(n for n, _ in tracks) or "none"
            raise InputError(f"{path}: --track {track}: no such track (tracks: {names})")
        tracks = chosen
    rate = _rate(timeline)
    if target != "edl":
        copy = timeline.deepcopy()
        copy.tracks[:] = []
        for name, source in tracks:
            copy.tracks.append(_flat(source, name) if target in FLAT else source.deepcopy())
        if target in {"xml", "fcpxml"}:
            _sanitise_names(copy)
        if target in FLAT:  # no format but OTIO's keeps a track's trim
            as_global_start(copy, rate)
        _fill_ranges(copy, media=target in {"aaf", "xml", "fcpxml"})
        if target == "xml" and _smpte(rate) in DROP_RATES:
            fcp7_counting(copy, _counting([timeline]) is not False)
        return [Plan(path, copy, _expected(copy), rate, drop_frame=_counting([timeline]))]
    plans: list[Plan] = []
    start = timeline.global_start_time
    offset = start.value_rescaled_to(rate) if start is not None else 0.0
    several = len(tracks) > 1
    for name, source in tracks:
        flat = _flat(source, name)
        # the record start: OTIO's CMX writer starts every EDL at 00:00:00:00 and ignores
        # a track's own trim (an EDL read by OTIO starts its track at minus the first
        # record TC): both become a leading gap
        lead = offset - _trim(source, rate)
        if flat.source_range is not None:
            if _trim(source, rate) > 0:
                flat = otio.algorithms.track_trimmed_to_range(flat, flat.source_range)
                lead = offset
            flat.source_range = None
        one = otio.schema.Timeline(name=_line(timeline.name))
        _edl_ready(flat)
        expected_track = flat.deepcopy()
        if lead > 0:
            flat.insert(0, otio.schema.Gap(source_range=TimeRange(
                RationalTime(0, rate), RationalTime(lead, rate))))
        if flat.kind == otio.schema.TrackKind.Audio:
            # the writer writes the first track and wants one video track besides
            one.tracks.append(flat)
            one.tracks.append(otio.schema.Track(kind=otio.schema.TrackKind.Video))
        else:
            one.tracks.append(flat)
        shown = otio.schema.Timeline(name=timeline.name, global_start_time=RationalTime(
            lead, rate) if lead > 0 else None)
        shown.tracks.append(expected_track)
        out = path.with_name(f"{path.stem}_{_file_part(name)}{path.suffix}") if several \
            else path
        taken = {p.path for p in plans}
        for number in itertools.count(2):  # two tracks of one name: two files all the same
            if out not in taken:
                break
            out = path.with_name(f"{path.stem}_{_file_part(name)}_{number}{path.suffix}")
        _fill_ranges(one)
        written = _smpte(one.tracks[0].duration().rate)
        plans.append(Plan(out, one, _expected(shown), rate, written_rate=written,
                          drop_frame=_counting([timeline]),
                          speeds=getattr(timeline, SPEEDS, None)))
    return plans


def _counting(found: list[Any]) -> bool | None:
    """False where the cut counts every frame at 29.97 (a non-drop-frame EDL's)."""
    return False if found and all(getattr(t, DROP_FRAME, None) is False
                                  for t in found) else None


def _smpte(rate: float) -> float:
    """The NTSC rate a float like 23.976 stands for (OTIO's timecode parser wants it
    exactly), else the rate itself."""
    for ntsc in (24000 / 1001, 30000 / 1001, 48000 / 1001, 60000 / 1001):
        if abs(rate - ntsc) < 0.01:
            return ntsc
    return rate


def _named_tracks(timeline: Any) -> list[tuple[str, Any]]:
    """Tracks with the names the gate's findings use (V1, A2... when unnamed)."""
    counts: dict[str, int] = {}
    named = []
    for track in timeline.tracks[:]:
        kind = str(track.kind) if isinstance(track, otio.schema.Track) else "Video"
        counts[kind] = counts.get(kind, 0) + 1
        named.append((track.name or f"{kind[:1].upper()}{counts[kind]}", track))
    return named


def _file_part(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "track"


def _rate(timeline: Any) -> float:
    from .collect import timeline_rate

    return timeline_rate(timeline)


def _trim(composition: Any, rate: float) -> float:
    trimmed = composition.source_range
    return trimmed.start_time.value_rescaled_to(rate) if trimmed is not None else 0.0


def _flat(track: Any, name: str) -> Any:
    """The track with every nested stack and track replaced by what it shows."""
    kind = track.kind if isinstance(track, otio.schema.Track) else otio.schema.TrackKind.Video
    flat = otio.schema.Track(name=name, kind=kind, metadata=track.metadata,
                             source_range=track.source_range)
    if isinstance(track, otio.schema.Stack):
        track = _flatten_stack(track)
    for child in track[:]:
        if isinstance(child, otio.core.Composition):
            inner = child
            if isinstance(inner, otio.schema.Stack):
                inner = _flatten_stack(inner)
            if child.source_range is not None:
                inner = otio.algorithms.track_trimmed_to_range(inner, child.source_range)
            for grandchild in _flat(inner, name)[:]:
                flat.append(grandchild.deepcopy())
        else:
            flat.append(child.deepcopy())
    return flat


def _fill_ranges(timeline: Any, media: bool = False) -> None:
    """The writers of EDL, XML and AAF need every clip's source range (OTIO falls back to
    the media's available range); AAF, FCP7 XML and FCPX (``media``) the media's range too,
    which a cut read from an EDL never has: spell out what OTIO implies. A media file
    without a range gets the span its clips use (one <file> in FCP7 XML serves them all)."""
    for nested in timeline.find_children(descended_from_type=otio.core.Composition):
        # a nest's own range: FCP XML and FCPX writers read it (top-level tracks need none)
        if nested.source_range is None and nested.parent() is not timeline.tracks:
            with contextlib.suppress(Exception):
                nested.source_range = nested.trimmed_range()
    used: dict[str, TimeRange] = {}
    unranged: list[tuple[str, Any]] = []
    for clip in timeline.find_clips():
        if clip.source_range is None:
            with contextlib.suppress(Exception):  # no range at all: the writer says so
                clip.source_range = clip.trimmed_range()
        reference = clip.media_reference
        if (media and isinstance(reference, otio.schema.ExternalReference
                                 | otio.schema.MissingReference)
                and reference.available_range is None and clip.source_range is not None):
            key = getattr(reference, "target_url", None) or f"#{id(reference)}"
            span = clip.source_range
            if key in used:
                span = used[key].extended_by(TimeRange(
                    span.start_time.rescaled_to(used[key].start_time),
                    span.duration.rescaled_to(used[key].start_time)))
            used[key] = span
            unranged.append((key, reference))
    for key, reference in unranged:
        reference.available_range = used[key]


def _flatten_stack(stack: Any) -> Any:
    """What a stack shows, as one track (a clip straight in a stack is a track of its own)."""
    layers = []
    for child in stack[:]:
        if isinstance(child, otio.schema.Track):
            layers.append(child.deepcopy())
        else:
            layer = otio.schema.Track()
            layer.append(child.deepcopy())
            layers.append(layer)
    return otio.algorithms.flatten_stack(layers)


def _edl_ready(track: Any) -> None:
    """Reels and names a CMX reader accepts; the original stays in a comment."""
    for clip in track.find_clips():
        metadata = clip.metadata
        cmx = _section(metadata, "cmx_3600")
        explicit = str(cmx.get("reel") or "").strip()
        original = explicit or _derived_reel(clip)
        cleaned = re.sub(r"[^A-Za-z0-9_]", "_", original)
        reel = cleaned[:REEL_LENGTH] or "AX"
        # an EDL is lines: a line break in a comment or name would start a bogus event
        comments = [_line(str(c)) for c in cmx.get("comments", [])
                    if not str(c).startswith(f"{PREFIX} ORIGINAL")]
        # a reel derived from a long clip name is cut short by every EDL writer: only a
        # real reel name, or characters replaced, is worth a comment
        if (explicit and reel != explicit) or cleaned != original:
            comments.append(f"{PREFIX} ORIGINAL REEL: {_line(original)}")
        for marker in clip.markers:
            marker.name = _line(marker.name)
        if getattr(clip.media_reference, "target_url", None):
            clip.media_reference.target_url = _line(clip.media_reference.target_url)
        name = _line(clip.name)
        if name != clip.name:
            comments.append(f"{PREFIX} ORIGINAL NAME: {clip.name!r}")
            clip.name = name
        cmx["reel"] = reel
        cmx["comments"] = comments
        metadata["cmx_3600"] = cmx


def _derived_reel(clip: Any) -> str:
    reference = clip.media_reference
    text = getattr(reference, "name", "") or getattr(reference, "target_url", "") or \
        clip.name or "AX"
    return re.sub(r"[.][A-Za-z]+$", "", os.path.basename(text.replace("\\", "/"))) or "AX"


def _name_key(name: str) -> str:
    """A name as every format keeps it: control characters (line breaks too) as spaces."""
    return re.sub(r"[\x00-\x1f\x7f]", " ", name).strip()


def _line(text: str) -> str:
    """Text on one line: every control character, line breaks included, as a space."""
    return re.sub(r"[\x00-\x1f\x7f]", " ", text)


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", text)


def _sanitise_names(timeline: Any) -> None:
    """XML cannot hold control characters: in names, media URLs, markers and metadata they
    become spaces."""
    timeline.name = _clean(timeline.name)
    for thing in [*timeline.tracks[:], *timeline.find_children()]:
        thing.name = _clean(thing.name)
        _clean_metadata(thing.metadata)
        for marker in getattr(thing, "markers", ()):
            marker.name = _clean(marker.name)
            _clean_metadata(marker.metadata)
        reference = getattr(thing, "media_reference", None)
        if reference is not None:
            reference.name = _clean(reference.name or "")
            _clean_metadata(reference.metadata)
            if getattr(reference, "target_url", None):
                reference.target_url = _clean(reference.target_url)


def _clean_metadata(metadata: Any) -> None:
    for key in list(metadata.keys()):
        value = plain(metadata[key])
        cleaned = _clean_value(value)
        if cleaned != value:
            metadata[key] = cleaned


def _clean_value(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        return {_clean(str(k)): _clean_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_value(v) for v in value]
    return value


# --- what came back -----------------------------------------------------------------


def _expected(timeline: Any, track: str | None = None) -> list[Expected]:
    collected = collect_timeline(timeline)
    base = _origin(timeline, _rate(timeline))
    out = []
    for item, clip in zip(collected.items, collected.handles, strict=True):
        if track is not None and item.track.split("/")[0] != track:
            continue
        out.append(Expected(item.track, item.clip, item.record_start, item.record_end, base,
                            _verdict(clip), _own_markers(clip)))
    return out


def _origin(timeline: Any, rate: float) -> float:
    """Where the cut starts on the record side: its global start, less the first track's
    own trim (an EDL read by OTIO starts its track at minus the first record TC)."""
    start = timeline.global_start_time
    origin = start.value_rescaled_to(rate) if start is not None else 0.0
    tracks = timeline.tracks[:]
    return origin - _trim(tracks[0], rate) if tracks else origin


def _verdict(clip: Any) -> str | None:
    """The verdict aigate put on the clip (its marker), or None."""
    for marker in clip.markers:
        words = marker.name.upper().split()
        if len(words) >= 2 and words[0] == PREFIX:
            return words[1]
    return None


def _own_markers(clip: Any) -> int:
    return sum(not m.name.upper().startswith(PREFIX + " ") for m in clip.markers)


#: the words a verdict is written with, most severe first (see annotate.Shade)
WORDS = ("LOCK", "WARN", "APPROVED", "ALLOWED", "NOTE")


def _carried(clip: Any, target: str) -> str | None:
    """The verdict the written file carries on ``clip``, in the channel ``target`` keeps."""
    if target == "aaf":
        comments = _section(clip.metadata, "AAF").get("UserComments")
        text = comments.get(PREFIX) if isinstance(comments, dict) else None
        # "WARN rule: reason; LOCK rule: reason": the verdict is the worst of them
        words = [part.split()[0].upper() for part in str(text or "").split("; ")
                 if part.split()]
        ranked = [w for w in WORDS if w in words]
        return ranked[0] if ranked else None
    marked = _verdict(clip)
    if marked is None and target == "edl":
        # OTIO's EDL reader skips a LOC line with a drop-frame timecode; the verdict is
        # still in the event's "* AIGATE LOCK rule: ..." comment lines the editor sees
        comments = _section(clip.metadata, "cmx_3600").get("comments", [])
        words = [str(c).split()[1].upper() for c in comments
                 if str(c).startswith(PREFIX + " ") and len(str(c).split()) > 1]
        ranked = [w for w in WORDS if w in words]
        return ranked[0] if ranked else None
    return marked


def _gate_markers(clip: Any) -> set[tuple[str, float]]:
    return {(m.name.upper(), m.marked_range.start_time.to_seconds()) for m in clip.markers
            if m.name.upper().startswith(PREFIX + " ")}


def _verify(plan: Plan, read_back: Any, target: str, losses: Losses) -> None:
    found = timelines(read_back) or []
    back: list[tuple[Any, Any, float]] = []
    for timeline in found:
        if plan.drop_frame is False:  # the read-back clips said as the cut counts
            setattr(timeline, DROP_FRAME, False)
        collected = collect_timeline(timeline)
        base = _origin(timeline, plan.rate)
        back.extend((item, clip, base) for item, clip in zip(collected.items,
                                                              collected.handles, strict=True))
    used = [False] * len(back)
    flagged: set[int] = set()
    name = plan.path.name
    by_frame = _Index(back)
    for expected in plan.expected:
        match = _match(expected, back, used, by_frame)
        where = f"{name}: {expected.where(plan.rate, plan.drop_frame)}"
        if match is None:
            moved = _moved(expected, back, used, by_frame, plan.rate, plan.drop_frame)
            if moved is not None:
                where = f"{where} {moved}"
            (losses.verdicts if expected.verdict else losses.clips).append(where)
            continue
        used[match] = True
        if expected.verdict:
            flagged.add(match)
        clip = back[match][1]
        if expected.verdict and _carried(clip, target) != expected.verdict:
            losses.verdicts.append(f"{where} (no {PREFIX} {expected.verdict} on it)")
        kept = _own_markers(clip)
        if kept < expected.markers:
            losses.markers.append(f"{where}: {expected.markers - kept} of "
                                  f"{expected.markers}")
    # OTIO's FCPX reader also hangs a connected clip's markers on the spine clip it is
    # connected to (the file has them on the right clip): those copies are not strays
    carried = set().union(*(_gate_markers(back[i][1]) for i in flagged)) \
        if target == "fcpxml" and flagged else set()
    for position, (item, clip, _) in enumerate(back):
        if position in flagged or not _carried(clip, target):
            continue
        if not _gate_markers(clip) <= carried:
            why = refusals.carried_over(plan.timeline, item.clip, item.record_start,
                                        plan.rate, plan.drop_frame) if target == "edl" else None
            losses.verdicts.append(f"{name}: {why}" if why else
                                   f'{name}: a verdict on {item.track} "{item.clip}" '
                                   f"{item.record_in}, a clip that was not flagged")


class _Index:
    """Read-back clips by whole frame of their record start, so a long cut is verified in
    linear time."""

    def __init__(self, back: list[tuple[Any, Any, float]]) -> None:
        self.absolute: dict[int, list[int]] = {}
        for position, (item, _clip, _base) in enumerate(back):
            self.absolute.setdefault(round(item.record_start), []).append(position)

    def near(self, expected: Expected, reach: int = 1) -> list[int]:
        found: set[int] = set()
        start = round(expected.start)
        for delta in range(-reach, reach + 1):
            found.update(self.absolute.get(start + delta, ()))
        return sorted(found)


def _match(expected: Expected, back: list[tuple[Any, Any, float]], used: list[bool],
           index: _Index) -> int | None:
    """The read-back clip at exactly the expected record range (the record start
    included: every format written keeps it), the same name preferred."""
    best = None
    for position in index.near(expected):
        if used[position]:
            continue
        item = back[position][0]
        if not (abs(item.record_start - expected.start) <= TOLERANCE
                and abs(item.record_end - expected.end) <= TOLERANCE):
            continue
        if _name_key(item.clip) == _name_key(expected.clip):
            return position
        if best is None:
            best = position
    return best


def _moved(expected: Expected, back: list[tuple[Any, Any, float]], used: list[bool],
           index: _Index, rate: float, drop_frame: bool | None = None) -> str | None:
    """Where the adapter put a clip it did not keep in place (its reader rounds an edit
    point, say), in words, or None."""
    from aigate.api import timecode

    for position in index.near(expected, MOVED):
        item = back[position][0]
        if used[position] or _name_key(item.clip) != _name_key(expected.clip):
            continue
        if (abs(item.record_start - expected.start) <= MOVED
                and abs(item.record_end - expected.end) <= MOVED):
            shift = []
            for edge, was, now in (("in", expected.start, item.record_start),
                                   ("out", expected.end, item.record_end)):
                frames = round(now - was)
                if frames:
                    shift.append(f"{edge} {frames:+d} frame{'s' * (abs(frames) != 1)}")
            return (f"read back at {timecode(item.record_start, rate, drop_frame)}-"
                    f"{timecode(item.record_end, rate, drop_frame)} ({', '.join(shift)}): "
                    "the format's adapter moves this edit point")
    return None


def _lost_in_transform(before: list[Expected], plans: list[Plan], losses: Losses) -> None:
    """Clips of the input that no written file was meant to hold (hidden under a nest)."""
    planned: dict[tuple[str, int], list[Expected]] = {}
    for candidate in (e for p in plans for e in p.expected):
        planned.setdefault((_name_key(candidate.clip), round(candidate.start)),
                           []).append(candidate)
    for expected in before:
        key = _name_key(expected.clip)
        for delta in (0, -1, 1):
            near = planned.get((key, round(expected.start) + delta), [])
            match = next((i for i, c in enumerate(near)
                          if abs(c.start - expected.start) <= TOLERANCE), None)
            if match is not None:
                del near[match]
                break
        else:
            rate = plans[0].rate if plans else 24.0
            where = f"{expected.where(rate)} (under another clip in a nest)"
            (losses.verdicts if expected.verdict else losses.clips).append(where)


def _section(metadata: Any, key: str) -> dict[str, Any]:
    value = plain(metadata[key]) if key in metadata.keys() else {}
    return value if isinstance(value, dict) else {}


def _read_back(tmp: Path, final: Path, rate: float) -> Any:
    try:
        if tmp.suffix.lower() != ".edl":
            return files.read(tmp)
        # an EDL does not say its rate: read it at the rate it was written at
        with files.without_aigate_hooks():
            return otio.adapters.read_from_file(str(tmp), rate=rate)
    except Exception as exc:
        message = str(exc).removeprefix(f"{tmp}: ")
        raise InputError(f"{final}: not written: the file the adapter wrote does not read "
                         f"back: {message}") from exc
