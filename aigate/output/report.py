"""Reports: a run's results streamed to a format, and the counts every format shows.

A :class:`Report` is iterated once, in input order, by the format that writes it: a
10,000-file conform never holds every timeline in memory. Counts accumulate as results pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, TextIO, TypeVar

from aigate.core.gcpause import paused_gc
from aigate.model import (
    CheckedFile,
    Counts,
    FailedFile,
    FileOutcome,
    InputProblem,
    ItemResult,
    RenderedFile,
    Severity,
    SubjectResult,
    Tally,
    approved,
)

if TYPE_CHECKING:
    from aigate.output.register import Register

JSON_SCHEMA_VERSION = 1


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


class Report:
    """A run's results, streamed: iterate once (a format does); the summary fills as it goes.

    Yields each :class:`SubjectResult` and each :class:`InputProblem` in input order.
    """

    def __init__(self, outcomes: Iterable[FileOutcome], *, stage: str | None = None,
                 policy: str | None = None, files: int = 0,
                 pinned: Callable[[], list[str]] | None = None) -> None:
        self.stage = stage
        self.policy = policy
        #: the run's pinned inputs, as lines (asked for once every file is in)
        self.pinned = pinned
        #: files left out by an exclude pattern, with the pattern
        self.excluded: dict[str, str] = {}
        self.summary = Summary(files=files)
        self.errors: list[InputProblem] = []
        #: set when the run was stopped (Ctrl-C) before every file was checked
        self.interrupted = False
        self._outcomes = outcomes

    def __iter__(self) -> Iterator[SubjectResult | InputProblem]:
        """Results and problems in input order (results rendered elsewhere are skipped)."""
        for outcome in self._outcomes_counted():
            if isinstance(outcome, FailedFile):
                yield outcome.error
            elif isinstance(outcome, CheckedFile):
                yield from outcome.results

    def results(self) -> Iterator[SubjectResult]:
        """Only the results (errors still counted)."""
        return (r for r in self if isinstance(r, SubjectResult))

    def write(self, report_format: ReportFormat, out: TextIO, options: ReportOptions) -> None:
        """Write the whole report in ``report_format``, streaming: each timeline as it comes
        (already rendered by a worker, or rendered here), then errors and the summary."""
        self.write_many([(report_format, out, options)])

    def write_many(self, writers: Sequence[tuple[ReportFormat, TextIO, ReportOptions]],
                   each: Callable[[SubjectResult], None] | None = None) -> None:
        """Write the report in several formats at once from one pass over the run (each
        timeline rendered once per format, as it comes); ``each`` sees every result too
        (the register's rows are gathered so). With several writers or ``each``, workers
        must return results, not renderings."""
        for report_format, out, options in writers:
            out.write(report_format.head(self, options))
        first = [True] * len(writers)
        prepare = ((lambda o: rendered(writers[0][0], o, writers[0][2]))
                   if len(writers) == 1 and each is None else None)
        for outcome in self._outcomes_counted(prepare):
            if isinstance(outcome, FailedFile):
                for report_format, out, options in writers:
                    out.write(report_format.problem(outcome.error, options))
                continue
            if isinstance(outcome, CheckedFile) and each is not None:
                for result in outcome.results:
                    each(result)
            for i, (report_format, out, options) in enumerate(writers):
                done = outcome if isinstance(outcome, RenderedFile) else rendered(
                    report_format, outcome, options)
                if isinstance(done, FailedFile):  # this format could not render it
                    out.write(report_format.problem(done.error, options))
                    continue
                assert isinstance(done, RenderedFile)
                for chunk in done.chunks:
                    if chunk:
                        out.write(chunk if first[i] else report_format.separator + chunk)
                        first[i] = False
        for report_format, out, options in writers:
            out.write(report_format.tail(self, options))

    def _outcomes_counted(self, prepare: Callable[[FileOutcome], FileOutcome] | None = None
                          ) -> Iterator[FileOutcome]:
        outcomes = iter(self._outcomes)
        while True:
            try:
                outcome = next(outcomes)
            except StopIteration:
                return
            except KeyboardInterrupt:  # Ctrl-C: what was checked is still reported
                self.interrupted = True
                return
            if prepare is not None:
                outcome = prepare(outcome)
            if isinstance(outcome, FailedFile):
                self.summary.failed += 1
                self.errors.append(outcome.error)
            else:
                self.summary.checked += 1
                for counted in outcome.tallies():
                    self.summary.add_tally(counted)
            yield outcome


def rendered(report_format: ReportFormat, outcome: FileOutcome,
             options: ReportOptions) -> FileOutcome:
    """``outcome`` with its timelines rendered (unless a worker did it); a timeline the
    format cannot render makes the file's error, never a broken report."""
    if not isinstance(outcome, CheckedFile):
        return outcome
    try:
        with paused_gc():  # a dict or line per clip and no cycle
            chunks = [report_format.subject(r, options) for r in outcome.results]
    except Exception as exc:  # one file never breaks the report
        from aigate.errors import describe

        return FailedFile(outcome.path, InputProblem(
            outcome.path, f"cannot render in {report_format.name}: {describe(exc)}"))
    return RenderedFile(outcome.path, chunks, outcome.tallies())


#: C0 and C1 control characters, DEL, and lone surrogates (undecodable bytes of a file
#: name), shown as escapes: a name must not move the cursor, clear the screen or forge lines
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7f, 0xa0))}
_CONTROLS |= {c: f"\\x{c - 0xdc00:02x}" for c in range(0xdc80, 0xdd00)}
_CONTROLS |= {c: f"\\u{c:04x}" for c in (*range(0xd800, 0xdc80), *range(0xdd00, 0xe000),
                                           0x2028, 0x2029, 0x202e, 0x2066, 0x2067, 0x2068,
                                           0x2069, 0x202a, 0x202b, 0x202c, 0x202d)}


def printable(text: str) -> str:
    """``text`` safe to print on a terminal or put in a one-line message: control
    characters (newlines included), bidi overrides and undecodable bytes become escapes."""
    return text.translate(_CONTROLS) if not text.isprintable() else text


def _nothing(*_: object) -> str:
    return ""


class FormatKind(StrEnum):
    """Which command a report format serves; format names are unique within a kind."""

    CHECK = "check"
    REGISTER = "register"


@dataclass(frozen=True, slots=True)
class ReportFormat:
    """An output format for ``aigate check --format NAME``, in three parts so it streams and
    so workers can render their own timelines: ``head(report, options)`` opens the document,
    ``subject(result, options)`` renders one timeline (in a worker process when --jobs > 1:
    it must not depend on anything else), ``tail(report, options)`` closes it once every
    file is done (``report.summary`` and ``report.errors`` are complete then).
    ``problem`` renders an unreadable file in place; ``separator`` goes between subjects."""

    name: str
    description: str
    head: Callable[[Report, ReportOptions], str]
    subject: Callable[[SubjectResult, ReportOptions], str]
    tail: Callable[[Report, ReportOptions], str]
    problem: Callable[[InputProblem, ReportOptions], str] = _nothing
    separator: str = ""
    #: True when the format is a whole document that must go to --output (html)
    needs_output: bool = False
    #: the command the format serves: a check report
    kind: ClassVar[FormatKind] = FormatKind.CHECK


@dataclass(frozen=True, slots=True)
class RegisterFormat:
    """An output format for ``aigate register --format NAME``: ``write(register, out)``
    writes the whole disclosure register (:class:`aigate.output.register.Register`: AI clips
    only, so it is small enough to hold, and it is sorted and cross-checked as a whole)."""

    name: str
    description: str
    write: Callable[[Register, TextIO], None]
    needs_output: bool = False
    #: the command the format serves: the disclosure register
    kind: ClassVar[FormatKind] = FormatKind.REGISTER


AnyFormat = TypeVar("AnyFormat", ReportFormat, RegisterFormat)
