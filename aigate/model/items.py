"""Items and what sources claim about them: the subject as a host collected it."""


from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from operator import sub
from typing import Any, Literal, get_args

from aigate.model.timecode import MAX_SECONDS, timecode, timing_problem

#: A pipeline stage; plain strings on the wire (JSON, YAML), checked by mypy in code.
Stage = Literal["import", "edit", "review", "final"]
#: Pipeline stages in order; ``final`` is picture lock, conform and deliverables.
STAGES: tuple[Stage, ...] = get_args(Stage)
DEFAULT_STAGE: Stage = "edit"


class Severity(IntEnum):
    """How bad a finding is; a verdict is the worst severity over findings."""

    PASS = 0
    INFO = 1
    WARN = 2
    LOCK = 3

    @property
    def label(self) -> str:
        return _SEVERITY_LABELS[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(
                f"unknown severity {text!r} (expected one of: pass, info, warn, lock)"
            ) from None


class Trust(IntEnum):
    """How far a provenance source is believed; higher wins when sources disagree on a detail."""

    HINT = 0  # a path or name pattern
    CLAIMED = 1  # unsigned metadata anyone could have written (timeline, XMP sidecar)
    VALID = 2  # signed, signer not on the trust list
    TRUSTED = 3  # the studio's own ledger, or a signature chaining to a configured anchor

    @property
    def label(self) -> str:
        return _TRUST_LABELS[self]


# Enum.name is a slow descriptor; labels are read for every finding and every report line
_SEVERITY_LABELS = {s: s.name.lower() for s in Severity}
_TRUST_LABELS = {t: t.name.lower() for t in Trust}
_TRUST_NAMES = frozenset(_TRUST_LABELS.values())


@dataclass(frozen=True, slots=True)
class FrameSequence:
    """An image sequence as a host names it, and the frames of it a clip uses.

    ``pattern`` holds one frame-number placeholder the way players write it: printf
    (``shot.%04d.exr``, ``%d``; ``%%`` is a literal ``%``), or MLT's ``.all.EXT`` (every
    ``*.EXT`` file of the folder, in name order; ``first``/``last`` then index that list).
    ``first`` and ``last`` are inclusive frame numbers, every ``step``-th one is used.
    ``files`` instead lists each frame's file (a Blender image strip's elements); ``first``
    and ``last`` then index it. ``skips_gaps``: the player shows the files that exist, in
    number order from ``first`` on, missing numbers skipped (melt's image producers, which
    stop after 100 missing in a row); ``last`` is then ``first`` plus the index of the last
    file shown.
    """

    pattern: str = ""
    first: int = 0
    last: int = 0
    step: int = 1
    files: tuple[str, ...] = ()
    skips_gaps: bool = False

    @property
    def count(self) -> int:
        """How many frames the clip uses (0 for an empty or reversed range)."""
        step = max(self.step, 1)
        return max(0, (self.last - self.first) // step + 1)


@dataclass(slots=True)  # not frozen: a frozen __init__ costs ~2 us a clip on a long cut
class Item:
    """One clip occurrence inside a subject, located the way an editor names it.

    Times are frames at ``rate`` (record times on the subject's timeline, source times in
    the media); the timecode properties format them on demand, since most clips of a long
    cut are never shown. ``declared`` holds the raw provenance the host found on the clip
    itself as ``(where, value)`` pairs (``where`` is e.g. ``"clip"`` or
    ``"media_reference"``); it is untrusted and unparsed: provenance sources interpret it.
    ``media_url`` is the media the host renders; ``other_media`` every other file the
    clip names or brings into the picture or sound (an original behind a proxy, a second
    media reference, a watermark a filter lays over it): the media sources
    read them too, and any of them saying generated makes the clip generated.
    ``media_unknown`` says why the clip plays media the host cannot name (a missing media
    reference, a reference naming no file, an EDL event whose source is only a reel), in
    the editor's words (e.g. ``"no media reference (reel A001)"``); "" when every media
    it plays is named, or when it plays none (a generator: colour, bars, a title). The gate
    could not look at such media: at final that is a lock, unless the show's config says
    provenance comes from the timeline alone.
    """

    track: str
    track_kind: str
    clip: str
    index: int
    rate: float
    record_start: float
    record_end: float
    source_start: float | None = None
    source_end: float | None = None
    media_url: str | None = None
    declared: tuple[tuple[str, Any], ...] = ()
    other_media: tuple[str, ...] = ()
    #: the image sequence the clip plays, as the host names it: every frame in the range
    #: the clip uses is media the sources read (expanded by the media resolver)
    sequence: FrameSequence | None = None
    drop_frame: bool | None = None
    #: why the clip plays media the host cannot name ("": named, or none played)
    media_unknown: str = ""

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # positional: results cross process boundaries by the thousand (--jobs, Dask)
        return Item, (self.track, self.track_kind, self.clip, self.index, self.rate,
                      self.record_start, self.record_end, self.source_start, self.source_end,
                      self.media_url, self.declared, self.other_media, self.sequence,
                      self.drop_frame, self.media_unknown)

    @property
    def record_in(self) -> str:
        return timecode(self.record_start, self.rate, self.drop_frame)

    @property
    def record_out(self) -> str:
        """Exclusive, as in an EDL: the first frame after the clip."""
        return timecode(self.record_end, self.rate, self.drop_frame)

    @property
    def source_in(self) -> str | None:
        return None if self.source_start is None else timecode(self.source_start, self.rate,
                                                                self.drop_frame)

    @property
    def source_out(self) -> str | None:
        return None if self.source_end is None else timecode(self.source_end, self.rate,
                                                              self.drop_frame)



@dataclass(frozen=True, slots=True)
class Tool:
    """The generator a claim names: ``name`` (e.g. "Gen-4"), its ``version`` and ``vendor``."""

    name: str | None = None
    version: str | None = None
    vendor: str | None = None

    def __str__(self) -> str:
        # "Runway Gen-4" by Runway reads as such, not "Runway Runway Gen-4"
        vendor = self.vendor
        if vendor and self.name:
            name, said = self.name.casefold(), vendor.casefold()
            if name == said or name.startswith(said + " "):
                vendor = None
        parts = [p for p in (vendor, self.name, self.version) if p]
        return " ".join(parts) if parts else "(unnamed tool)"


@dataclass(frozen=True, slots=True)
class TalentUse:
    """A real person's likeness, voice, replica or performance used by generated material."""

    name: str
    use: str
    consent: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """One source's statement about an item. ``problems`` lists what was malformed in it."""

    source: str
    trust: Trust
    generated: bool = False
    digital_source_type: str | None = None
    tool: Tool | None = None
    purpose: str | None = None
    role: str | None = None
    inputs: tuple[str, ...] = ()
    talent: tuple[TalentUse, ...] = ()
    depicts_real_events: bool = False
    approvals: tuple[str, ...] = ()
    notes: str | None = None
    #: the asset id this source gives the item; an identity for approval scopes only when
    #: the claim's trust is ``TRUSTED`` (the ledger by sha256 or path, a C2PA manifest
    #: chaining to a configured anchor), otherwise only a claim named in findings
    asset_id: str | None = None
    problems: tuple[str, ...] = ()
    detail: str | None = None
    #: a signed source's validation state (C2PA: Trusted, Valid or Invalid)
    validation: str | None = None
    #: the subject's own declaration (timeline metadata), as opposed to what the media,
    #: a ledger or a path says about it
    declaration: bool = False

    @property
    def evidence(self) -> str:
        # a signed source that failed validation, or could not be validated, is labelled by
        # that state ("c2pa (invalid)"), not by the trust it fell back to
        label = self.trust.label
        if self.validation and self.validation.lower() not in _TRUST_NAMES:
            label = self.validation.lower()
        text = f"{self.source} ({label})"
        return f"{text}: {self.detail}" if self.detail else text


@dataclass(frozen=True, slots=True)
class Provenance:
    """All claims about an item merged. Merging is monotone: any claim of AI makes it AI."""

    claims: tuple[Claim, ...] = ()
    ai: bool = False
    tool: Tool | None = None
    purpose: str | None = None
    role: str | None = None
    inputs: tuple[str, ...] = ()
    talent: tuple[TalentUse, ...] = ()
    depicts_real_events: bool = False
    approvals: tuple[str, ...] = ()
    asset_id: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def evidence(self) -> tuple[str, ...]:
        return tuple(c.evidence for c in self.claims)


def items_timing_problem(rate: float, items: Sequence[Item]) -> str | None:
    """The first item of ``items`` whose times cannot be shown (a clip rate of 0 gives
    infinite times), named the way editors name it, or None. Checked in C over a long cut:
    a sum is finite only when every term is."""
    if (problem := timing_problem(rate, ())) is not None:
        return problem
    limit = MAX_SECONDS * rate
    starts = [i.record_start for i in items]
    ends = [i.record_end for i in items]
    sources = [v for i in items for v in (i.source_start, i.source_end) if v is not None]
    if all(math.isfinite(sum(v)) and max(map(abs, v), default=0) <= limit
           for v in (starts, ends, sources)) and min(map(sub, ends, starts), default=0) >= 0:
        return None
    for item in items:
        found = timing_problem(item.rate, (item.record_start, item.record_end,
                                           item.source_start, item.source_end))
        if found is None and item.record_end < item.record_start:
            found = f"negative duration ({item.record_end - item.record_start:g} frames)"
        if found is not None:
            return f'{item.track} "{item.clip}" (clip {item.index + 1}): {found}'
    return None


@dataclass(frozen=True, slots=True)
class Collected:
    """What a host plugin made of a subject: its items and what the subject says about itself."""

    name: str
    items: Sequence[Item]
    host: str
    #: the subject's own aigate settings (e.g. a timeline's metadata["aigate"]["stage"])
    metadata: Mapping[str, Any] = field(default_factory=dict)
    #: the host object these items came from (a timeline, a scene), for present/enforce
    native: Any = None
    #: the host's object for each item, in the same order (OTIO clips, Blender strips)
    handles: Sequence[Any] = ()

