"""The data that flows through the gate: items, claims, provenance, findings, verdicts.

One direction only: a host plugin turns a subject into :class:`Item` objects, provenance
sources add :class:`Claim` objects, the gate merges them into :class:`Provenance`, rules turn
that into :class:`Finding` objects, and the worst finding is the item's verdict.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from operator import sub
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from .cache import ProvenanceCache
    from .config import Config
    from .media import Media, MediaResolver

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

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # positional: results cross process boundaries by the thousand (--jobs, Dask)
        return Item, (self.track, self.track_kind, self.clip, self.index, self.rate,
                      self.record_start, self.record_end, self.source_start, self.source_end,
                      self.media_url, self.declared, self.other_media)

    @property
    def record_in(self) -> str:
        return timecode(self.record_start, self.rate)

    @property
    def record_out(self) -> str:
        """Exclusive, as in an EDL: the first frame after the clip."""
        return timecode(self.record_end, self.rate)

    @property
    def source_in(self) -> str | None:
        return None if self.source_start is None else timecode(self.source_start, self.rate)

    @property
    def source_out(self) -> str | None:
        return None if self.source_end is None else timecode(self.source_end, self.rate)


def timecode(frames: float, rate: float) -> str:
    """SMPTE timecode (drop-frame where the rate implies it); ``<frames>f@<rate>`` for rates
    SMPTE cannot express; ``invalid`` for times no timeline can hold (hosts refuse those
    first: see :func:`timing_problem`).

    OTIO's ``opentime.to_timecode``, ported step by step for the usual case (a JSON report
    formats four timecodes a clip: 1.3 us each through the bindings, ~0.5 us here); any
    other case (negative, huge or non-finite frames, a rate off the SMPTE list) still goes
    to OTIO. tests/test_timecode.py compares the two."""
    plan = _TIMECODE_PLANS.get(rate, _UNPLANNED)
    if plan is _UNPLANNED:
        plan = _timecode_plan(rate)
        if rate == rate:  # never a NaN key: each would be a new entry
            _TIMECODE_PLANS[rate] = plan
    if plan is None or not 0.0 <= frames < plan[-1]:
        return otio_timecode(frames, rate)
    drop, dropframes, divider, per_day, per_ten_minutes, per_minute, nominal, _ = plan
    value = frames % per_day  # frames >= 0: exactly C's fmod
    if drop:
        chunks = math.floor(value / per_ten_minutes)
        over = int(value % per_ten_minutes)
        # one addition, as opentime does it (two could round differently)
        value += dropframes * 9 * chunks + (
            dropframes * ((over - dropframes) // per_minute) if over > dropframes else 0)
    seconds = math.floor(value / nominal)  # not value // nominal: C floors the quotient
    minutes = seconds // 60
    return (_TWO_DIGITS[math.floor(minutes / 60)] + ":" + _TWO_DIGITS[minutes % 60] + ":"
            + _TWO_DIGITS[seconds % 60] + divider + _TWO_DIGITS[int(value % nominal)])


def otio_timecode(frames: float, rate: float) -> str:
    """:func:`timecode` through OTIO's own ``opentime.to_timecode``."""
    from opentimelineio import opentime

    if timing_problem(rate, (frames,)) is not None:
        return "invalid"
    try:
        return opentime.to_timecode(opentime.RationalTime(frames, rate), rate)
    except (ValueError, TypeError):
        shown = round(frames) if math.isfinite(frames) else frames  # never a traceback
        return f"{shown}f@{rate:g}"


# opentime's SMPTE and drop-frame rates (opentime/rationalTime.cpp), in its order
_SMPTE_RATES = (24000 / 1001, 24.0, 25.0, 30000 / 1001, 30.0, 48000 / 1001, 48.0, 50.0,
                60000 / 1001, 60.0)
_DROP_FRAME = {30000 / 1001: 2, 60000 / 1001: 4}
_UNPLANNED: Any = object()
_TWO_DIGITS = [f"{n:02d}" for n in range(100)]  # hours < 24, frames < 60 after the day wrap
_TIMECODE_PLANS: dict[float, tuple[Any, ...] | None] = {}


def _round(x: float) -> float:
    """C's round() for x >= 0: halves away from zero (Python's round() goes to even)."""
    whole = math.floor(x)
    return whole + 1.0 if x - whole >= 0.5 else whole


def _timecode_plan(rate: float) -> tuple[Any, ...] | None:
    """to_timecode's constants for a rate, or None where :func:`timecode` defers to OTIO."""
    if not 0.0 < rate < math.inf:
        return None
    given = rate
    nearest, least = 0.0, sys.float_info.max
    for smpte in _SMPTE_RATES:
        if smpte == rate:
            nearest = rate
            break
        if abs(rate - smpte) < least:
            nearest, least = smpte, abs(rate - smpte)
    if not abs(nearest - rate) < 0.1:  # opentime's own bound is looser there: ask it
        return None
    rate = nearest
    dropframes = _DROP_FRAME.get(rate, 0)
    drop = rate in _DROP_FRAME
    if not drop and _round(rate) == 24:
        rate = 24.0
    per_day = int(_round(rate * 60 * 60)) * 24
    per_ten_minutes = int(_round(rate * 60 * 10))
    per_minute = int(_round(rate) * 60 - dropframes)
    # past MAX_SECONDS a time is "invalid" (otio_timecode says so); C's int bound before that
    limit = min(2147483648.0, MAX_SECONDS * given)
    return (drop, dropframes, ";" if drop else ":", per_day, per_ten_minutes, per_minute,
            math.ceil(rate), limit)


#: the highest rate a timeline or clip may have (audio sample rates included)
MAX_RATE = 1_000_000.0
#: the longest time a timeline position may be from zero: 10,000 hours
MAX_SECONDS = 10_000 * 3600.0


def timing_problem(rate: float, frames: Sequence[float | None]) -> str | None:
    """Why ``rate`` and times in ``frames`` (at that rate) cannot be shown as timecode
    (a rate of 0, negative, NaN or infinite; a time not finite or absurdly far), or None."""
    if not (isinstance(rate, int | float) and math.isfinite(rate) and 0 < rate <= MAX_RATE):
        return f"rate {rate!r} is not a frame rate (must be above 0 and at most {MAX_RATE:g})"
    limit = MAX_SECONDS * rate
    for value in frames:
        if value is not None and not (math.isfinite(value) and -limit <= value <= limit):
            return (f"time {value!r} frames at {rate:g} fps is not a usable time "
                    f"(more than {MAX_SECONDS / 3600:g} hours, or not a number)")
    return None


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


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule's outcome for an item. A waived finding keeps its original severity in
    ``waived_from`` and drops to INFO; it stays visible."""

    rule: str
    severity: Severity
    where: str
    reason: str
    remediation: str = ""
    evidence: tuple[str, ...] = ()
    approval: str | None = None
    approver: str | None = None
    waived_from: Severity | None = None

    @property
    def waived(self) -> bool:
        return self.waived_from is not None

    @property
    def message(self) -> str:
        """The reason, naming the clip the way editors do (track, name, record TC)."""
        return f"{self.where}: {self.reason}"


@dataclass(slots=True)  # not frozen, for the same reason as Item; treat as immutable
class ItemResult:
    item: Item
    provenance: Provenance
    findings: tuple[Finding, ...] = ()
    #: the worst finding's severity (computed from ``findings`` when not given)
    verdict: Severity = Severity.PASS
    #: why the clip's media could not be read (information, not a finding)
    media_note: str | None = None

    def __post_init__(self) -> None:
        if self.findings:
            self.verdict = max(f.severity for f in self.findings)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        if not self.provenance.claims:  # most clips: nothing but the item itself
            return _unclaimed, (self.item, self.media_note)
        return ItemResult, (self.item, self.provenance, self.findings, self.verdict,
                            self.media_note)

    @property
    def ai(self) -> bool:
        return self.provenance.ai

    @property
    def headline(self) -> Finding | None:
        """The finding that names the verdict (a marker's name, a JUnit failure): the most
        severe, and of equals the first in the policy's rule order (the order findings are
        made in); at info, a waived finding first: a clip a record approved is named by
        that approval, not by a rule the policy merely allows."""
        if not self.findings:
            return None
        return min(self.findings, key=lambda f: (-f.severity, not f.waived))


NO_PROVENANCE = Provenance()


def _unclaimed(item: Item, media_note: str | None) -> ItemResult:
    return ItemResult(item, NO_PROVENANCE, (), Severity.PASS, media_note)


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


@dataclass(slots=True)
class RuleCounts:
    """One rule's findings over timelines, by what became of them (a unit of findings)."""

    lock: int = 0
    warn: int = 0
    #: waived by an approval or consent record
    waived: int = 0
    #: at info by the policy's severity (allowed by policy, not approved)
    allowed: int = 0

    def add(self, other: RuleCounts) -> None:
        self.lock += other.lock
        self.warn += other.warn
        self.waived += other.waived
        self.allowed += other.allowed


@dataclass(slots=True)
class Counts:
    """What a report counts over timelines, each number in the unit its name says: clips,
    except ``waived``, which counts findings. A clip at ``info`` is ``approved`` when a
    record (approval or consent) waived one of its findings, and ``allowed`` when the
    policy alone set its rules to info: allowed is not approved."""

    #: clips checked
    clips: int = 0
    #: clips any source says are generated
    ai: int = 0
    #: clips whose verdict is lock
    locked: int = 0
    #: clips whose verdict is warn
    warned: int = 0
    #: clips at info because a record waived a finding (AI, approved)
    approved: int = 0
    #: clips at info by the policy's severity alone (AI, allowed by policy)
    allowed: int = 0
    #: findings waived by a record
    waived: int = 0
    #: clips whose media could not be read
    no_media: int = 0
    #: findings per rule id, in the order rules first fired
    rules: dict[str, RuleCounts] = field(default_factory=dict)

    def add(self, other: Counts) -> None:
        """Add ``other``'s counts to these (a run's summary, timeline by timeline)."""
        self.clips += other.clips
        self.ai += other.ai
        self.locked += other.locked
        self.warned += other.warned
        self.approved += other.approved
        self.allowed += other.allowed
        self.waived += other.waived
        self.no_media += other.no_media
        for rule, counted in other.rules.items():
            self.rules.setdefault(rule, RuleCounts()).add(counted)

    def count_finding(self, finding: Finding) -> None:
        """Count ``finding`` under its rule."""
        counted = self.rules.get(finding.rule)
        if counted is None:
            counted = self.rules[finding.rule] = RuleCounts()
        if finding.waived:
            counted.waived += 1
        elif finding.severity is Severity.LOCK:
            counted.lock += 1
        elif finding.severity is Severity.WARN:
            counted.warn += 1
        elif finding.severity is Severity.INFO:
            counted.allowed += 1


def approved(result: ItemResult) -> bool:
    """An info clip a record approved (a finding waived), as opposed to one the policy
    allowed (its rules at info): only the first is an approval."""
    return result.verdict is Severity.INFO and any(f.waived for f in result.findings)


@dataclass(frozen=True, slots=True)
class SubjectResult:
    """The gate's answer for one subject (one timeline) at one stage."""

    name: str
    path: Path | None
    stage: Stage
    policy: str
    host: str
    items: tuple[ItemResult, ...]
    verdict: Severity = Severity.PASS
    #: counts over the items, worked out once where the check ran (not where it is reported)
    counts: Counts = field(default_factory=Counts)
    #: the aigate.yaml that governed this check (None: no config, built-in defaults)
    config: str | None = None
    #: the date the check was made as of, when it is not the day it ran (``--as-of``:
    #: what the gate said then); None for today
    as_of: dt.date | None = None

    def __post_init__(self) -> None:
        verdict, counts = Severity.PASS, Counts(clips=len(self.items))
        for r in self.items:
            if r.verdict > verdict:
                verdict = r.verdict
            if r.provenance.claims:
                counts.ai += r.provenance.ai
                waived = 0
                for finding in r.findings:
                    waived += finding.waived
                    counts.count_finding(finding)
                counts.waived += waived
                if r.verdict is Severity.INFO:
                    if waived:
                        counts.approved += 1
                    else:
                        counts.allowed += 1
            counts.warned += r.verdict is Severity.WARN
            counts.locked += r.verdict is Severity.LOCK
            counts.no_media += r.media_note is not None
        object.__setattr__(self, "verdict", verdict)
        object.__setattr__(self, "counts", counts)

    def locked(self) -> list[ItemResult]:
        return [r for r in self.items if r.verdict is Severity.LOCK]

    def tally(self) -> Tally:
        """What a report's summary needs of this timeline: its policy, verdict and counts."""
        return self.policy, self.verdict, self.counts



@dataclass(frozen=True, slots=True)
class SaveOutcome:
    """What :func:`~aigate.hookspecs.aigate_save_subject` wrote: the files, and the losses
    it was allowed."""

    written: tuple[Path, ...]
    accepted_losses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Stamped:
    """Content Credentials written on a deliverable (hook ``aigate_stamp_credentials``):
    the signed copy, its digital source type, how many AI media went in as ingredients, and
    whether the attestation is embedded."""

    path: Path
    source_type: str
    ingredients: int
    attested: bool


@dataclass(frozen=True, slots=True)
class InputProblem:
    """A file that could not be checked, with one line saying why and where."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


#: what a report's summary needs of one timeline: its policy, verdict and counts
Tally = tuple[str, Severity, Counts]


@dataclass(frozen=True, slots=True)
class CheckedFile:
    """A file checked: its timelines' results."""

    path: str
    results: Sequence[SubjectResult]

    def tallies(self) -> list[Tally]:
        return [r.tally() for r in self.results]


@dataclass(frozen=True, slots=True)
class RenderedFile:
    """A file checked and already rendered in the report's format (by a worker: far less to
    send back than the results), with what the summary needs of each timeline."""

    path: str
    chunks: Sequence[str]
    counted: Sequence[Tally]

    def tallies(self) -> list[Tally]:
        return list(self.counted)


@dataclass(frozen=True, slots=True)
class FailedFile:
    """A file that could not be checked (or rendered), and why."""

    path: str
    error: InputProblem


#: What checking one file gave: exactly one of these
FileOutcome = CheckedFile | RenderedFile | FailedFile


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What provenance sources may need besides the items: where the subject lives, the
    config (ledger, patterns, trust anchors), the stage, the media resolver and the
    provenance cache."""

    subject: str
    path: Path | None
    config: Config
    stage: Stage
    resolver: MediaResolver
    cache: ProvenanceCache | None = None
    #: sha256 worked out from the file in this check (each file read at most once)
    _hashed: dict[Path, str | None] = field(default_factory=dict, repr=False, compare=False)

    @property
    def settings(self) -> Mapping[str, Mapping[str, Any]]:
        """Each plugin's validated ``plugin_settings:`` section, by plugin name (a plugin
        reads its own: ``context.settings.get("my_plugin", {})``)."""
        return {s.name: s.values for s in self.config.plugin_settings}

    def media(self, item: Item) -> Media:
        """The item's media file, resolved once per subject (shared by every source)."""
        return self.resolver.resolve(item.media_url)

    def other_media(self, item: Item) -> list[Media]:
        """The item's other media files (:attr:`Item.other_media`), resolved the same way:
        a media source reads them too (a claim about one is a claim about the clip)."""
        return [self.resolver.resolve(url) for url in item.other_media]

    def sha256(self, media: Media) -> str | None:
        """The media file's sha256; None when the gate may not read it.

        Decisions rest on it (a pinned approval, a ledger entry), so at the final stage it is
        worked out from the file itself, whatever the provenance cache holds; at other
        stages the cache answers when it knows the file (size, mtime, inode and ctime)."""
        from .cache import MISS, sha256_value
        from .media import file_sha256

        if not media.readable or media.path is None:
            return None
        if media.path in self._hashed:
            return self._hashed[media.path]
        final = self.stage == STAGES[-1]
        cached = self.cache.get("sha256", media, sha256_value) \
            if self.cache and not final else MISS
        if cached is not MISS:
            return str(cached)
        value = self._hashed[media.path] = file_sha256(media.path)
        if self.cache and value is not None:
            self.cache.put("sha256", media, value)
        return value


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One line of ``aigate doctor``: is this part of the gate live here?"""

    name: str
    ok: bool
    detail: str
    #: when not ok, material could pass unchecked (doctor exits non-zero)
    fails_open: bool = True
