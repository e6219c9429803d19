"""What a report format is, declared in the core so the plugin manager and the hook
specifications can name it without the output layer: the format declarations plugins
contribute (:class:`ReportFormat`, :class:`RegisterFormat`), the options a report is asked
for with, the counts every format shows, and the shade a clip is shown in.

A format renders a document the output layer builds (:class:`aigate.output.report.Report`,
:class:`aigate.output.register.Register`); here it is typed by what it reads of that document
(:class:`RunReport`, :class:`DisclosureRegister`), so the core never imports the output layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Generic, Protocol, TextIO, TypeVar

from aigate.errors import printable
from aigate.model import Counts, InputProblem, ItemResult, Severity, SubjectResult, Tally, approved

__all__ = ["AnyFormat", "DisclosureRegister", "FormatKind", "RegisterFormat", "ReportFormat",
           "ReportOptions", "RunReport", "Shade", "Summary", "counts_in_words", "plural",
           "printable"]


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """How the user asked for the report."""

    #: the lowest verdict that fails the run (and a JUnit testcase)
    fail_on: Severity = Severity.LOCK
    #: ANSI colour (text on a terminal, unless NO_COLOR is set)
    color: bool = False
    #: only locks and the summary
    quiet: bool = False


@dataclass(slots=True)
class Summary:
    """Counts over a run. ``files`` given = checked + failed + not checked (interrupted);
    ``totals`` holds the timelines' counts added up (:class:`~aigate.model.Counts`)."""

    files: int = 0
    checked: int = 0
    failed: int = 0
    timelines: int = 0
    totals: Counts = field(default_factory=Counts)
    worst: Severity = Severity.PASS
    policies: list[str] = field(default_factory=list)
    #: each timeline's tally in input order (a season report's index)
    tallies: list[Tally] = field(default_factory=list)
    #: files a folder or glob found that an exclude pattern left out (not in ``files``)
    excluded: int = 0

    @property
    def not_checked(self) -> int:
        return self.files - self.checked - self.failed

    def add(self, result: SubjectResult) -> None:
        self.add_tally(result.tally())

    def add_tally(self, counted: Tally) -> None:
        """One timeline's policy, verdict and counts (see :meth:`SubjectResult.tally`)."""
        self.timelines += 1
        if counted.policy not in self.policies:
            self.policies.append(counted.policy)
        self.worst = max(self.worst, counted.verdict)
        self.totals.add(counted.counts)
        self.tallies.append(counted)

    def counts(self) -> dict[str, int]:
        """The JSON report's summary (schema 1: ``warn`` and ``lock`` count clips,
        ``waived`` findings)."""
        clips = self.totals
        return {"files": self.files, "checked": self.checked, "failed": self.failed,
                "not_checked": self.not_checked, "timelines": self.timelines,
                "clips": clips.clips, "ai": clips.ai, "warn": clips.warned,
                "lock": clips.locked, "approved": clips.approved, "allowed": clips.allowed,
                "waived": clips.waived, "no_media": clips.no_media, "errors": self.failed,
                **({"excluded": self.excluded} if self.excluded else {})}

    def line(self) -> str:
        files = f"{self.files} file(s) ({self.checked} checked, {self.failed} failed"
        files += f", {self.not_checked} not checked: interrupted)" if self.not_checked else ")"
        if self.excluded:
            files += f", {self.excluded} excluded by pattern"
        return f"{files}, {self.timelines} timeline(s), {counts_in_words(self.totals)}"


def plural(count: int, unit: str) -> str:
    """``1 clip``, ``2 clips``: a count said with its unit."""
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def counts_in_words(counts: Counts, *, always_allowed: bool = False) -> str:
    """The counts every report shows, each with its unit: clips locked, clips warned,
    clips approved (waived by a record), clips allowed by policy, findings waived."""
    text = (f"{plural(counts.clips, 'clip')}, {counts.ai} AI, "
            f"{plural(counts.locked, 'clip')} locked, {plural(counts.warned, 'clip')} "
            f"warned, {plural(counts.approved, 'clip')} approved (waived)")
    if counts.allowed or always_allowed:
        text += f", {plural(counts.allowed, 'clip')} allowed by policy"
    text += f", {plural(counts.waived, 'finding')} waived"
    if counts.no_media:
        text += f", {plural(counts.no_media, 'clip')} without readable media"
    return text


class Shade(StrEnum):
    """How a clip is shown to an editor (a marker's word, a colour): its verdict, with info
    split in two, since a policy setting a rule to info is not an approval."""

    PASS = "pass"
    #: AI, at info because an approval or consent record waived a finding
    APPROVED = "approved"
    #: AI, at info by the policy's severity alone: no record says anything
    ALLOWED = "allowed"
    #: not AI, a note at info (e.g. media the gate could not read, while cutting)
    NOTE = "note"
    WARN = "warn"
    LOCK = "lock"

    @classmethod
    def of(cls, result: ItemResult) -> Shade:
        if result.verdict is Severity.INFO:
            if not result.ai:  # a note (media not read while cutting), not an AI clip
                return cls.NOTE
            return cls.APPROVED if approved(result) else cls.ALLOWED
        return _SHADES[result.verdict]

    @property
    def legend(self) -> str:
        """The words a legend gives this shade."""
        return _LEGEND[self]


_SHADES = {Severity.PASS: Shade.PASS, Severity.WARN: Shade.WARN, Severity.LOCK: Shade.LOCK}
_LEGEND = {Shade.PASS: "pass", Shade.APPROVED: "AI, approved", Shade.ALLOWED:
           "AI, allowed by policy", Shade.NOTE: "note (not AI)", Shade.WARN: "warn",
           Shade.LOCK: "lock"}


class RunReport(Protocol):
    """What a check report format reads of a run (:class:`aigate.output.report.Report`)."""

    @property
    def stage(self) -> str | None: ...
    @property
    def policy(self) -> str | None: ...
    @property
    def summary(self) -> Summary: ...
    @property
    def errors(self) -> list[InputProblem]: ...
    @property
    def interrupted(self) -> bool: ...
    def __iter__(self) -> Iterator[SubjectResult | InputProblem]: ...
    def results(self) -> Iterator[SubjectResult]: ...


class DisclosureRegister(Protocol):
    """What a register format reads of a register (:class:`aigate.output.register.Register`):
    the stage asked for, the column names, each row's cells in column order."""

    @property
    def stage(self) -> str | None: ...
    @property
    def names(self) -> tuple[str, ...]: ...
    def rows(self) -> Iterator[tuple[str, ...]]: ...


def _nothing(*_: object) -> str:
    return ""


class FormatKind(StrEnum):
    """Which command a report format serves; format names are unique within a kind."""

    CHECK = "check"
    REGISTER = "register"


#: the report a format renders; a format's functions may ask for the output layer's class
R = TypeVar("R", bound=RunReport)
#: the register a format writes
G = TypeVar("G", bound=DisclosureRegister)


@dataclass(frozen=True, slots=True)
class ReportFormat(Generic[R]):
    """An output format for ``aigate check --format NAME``, in three parts so it streams and
    so workers can render their own timelines: ``head(report, options)`` opens the document,
    ``subject(result, options)`` renders one timeline (in a worker process when --jobs > 1:
    it must not depend on anything else), ``tail(report, options)`` closes it once every
    file is done (``report.summary`` and ``report.errors`` are complete then).
    ``problem`` renders an unreadable file in place; ``separator`` goes between subjects."""

    name: str
    description: str
    head: Callable[[R, ReportOptions], str]
    subject: Callable[[SubjectResult, ReportOptions], str]
    tail: Callable[[R, ReportOptions], str]
    problem: Callable[[InputProblem, ReportOptions], str] = _nothing
    separator: str = ""
    #: True when the format is a whole document that must go to --output (html)
    needs_output: bool = False
    #: the command the format serves: a check report
    kind: ClassVar[FormatKind] = FormatKind.CHECK


@dataclass(frozen=True, slots=True)
class RegisterFormat(Generic[G]):
    """An output format for ``aigate register --format NAME``: ``write(register, out)``
    writes the whole disclosure register (:class:`aigate.output.register.Register`: AI clips
    only, so it is small enough to hold, and it is sorted and cross-checked as a whole)."""

    name: str
    description: str
    write: Callable[[G, TextIO], None]
    needs_output: bool = False
    #: the command the format serves: the disclosure register
    kind: ClassVar[FormatKind] = FormatKind.REGISTER


AnyFormat = TypeVar("AnyFormat", ReportFormat[Any], RegisterFormat[Any])
