"""What the gate makes of items: findings, verdicts, counts, and what checking a file gave."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .items import Item, Provenance, Severity, Stage


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



@dataclass(slots=True)
class RuleCounts:
    """One rule's findings over timelines, by what became of them (a unit of findings)."""

    lock: int = 0
    warn: int = 0
    #: waived by an approval or consent record
    waived: int = 0
    #: at info by the policy's severity (allowed by policy, not approved)
    allowed: int = 0
    #: how to resolve the rule's findings (said once per run, not once per clip)
    remediation: str = ""

    def add(self, other: RuleCounts) -> None:
        self.lock += other.lock
        self.warn += other.warn
        self.waived += other.waived
        self.allowed += other.allowed
        self.remediation = self.remediation or other.remediation


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
            counted = self.rules[finding.rule] = RuleCounts(remediation=finding.remediation)
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
    #: the episode the timeline's own metadata names (``aigate.episode``; untrusted: it
    #: labels the register, never widens an approval's episode scope)
    episode: str | None = None
    #: why the show's media are not required (``media: {required: false, reason}``): the
    #: provenance of any clip whose media could not be read came from the timeline alone,
    #: and every report says so ("" when media are required at final, the default)
    timeline_only: str = ""

    @property
    def provenance_basis(self) -> str:
        """What every report says when media are not required ("" otherwise)."""
        return (f"provenance from the timeline alone where media could not be read "
                f"(media not required: {self.timeline_only})" if self.timeline_only else "")

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
                if r.verdict is Severity.INFO and r.provenance.ai:
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
        """What a report's summary needs of this timeline: its policy, verdict and counts,
        and what a season's index shows of it."""
        return Tally(self.policy, self.verdict, self.counts, self.name,
                     str(self.path) if self.path else "", self.episode or "")



@dataclass(frozen=True, slots=True)
class InputProblem:
    """A file that could not be checked, with one line saying why and where."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True, slots=True)
class Tally:
    """What a report's summary needs of one timeline (its policy, verdict and counts) and
    what a season's index lists (its name, file and the episode its metadata names): small,
    so a worker that rendered the timeline sends this back instead of the result."""

    policy: str
    verdict: Severity
    counts: Counts
    name: str = ""
    path: str = ""
    episode: str = ""

    @property
    def anchor(self) -> str:
        """The id of the timeline's section in a page (the same wherever it is rendered)."""
        return "t-" + hashlib.sha1(f"{self.path}\0{self.name}".encode(),
                                   usedforsecurity=False).hexdigest()[:12]


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
