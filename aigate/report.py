"""Reports: a run's results streamed to a format, and the counts every format shows.

A :class:`Report` is iterated once, in input order, by the format that writes it: a
10,000-file conform never holds every timeline in memory. Counts accumulate as results pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from .gcpause import paused_gc
from .model import FileOutcome, InputProblem, Severity, SubjectResult

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
    """Counts over a run. ``files`` given = checked + failed + not checked (interrupted)."""

    files: int = 0
    checked: int = 0
    failed: int = 0
    timelines: int = 0
    clips: int = 0
    ai: int = 0
    warn: int = 0
    lock: int = 0
    waived: int = 0
    no_media: int = 0
    worst: Severity = Severity.PASS
    policies: list[str] = field(default_factory=list)

    @property
    def not_checked(self) -> int:
        return self.files - self.checked - self.failed

    def add(self, result: SubjectResult) -> None:
        self.add_counts(tally(result))

    def add_counts(self, counted: Tally) -> None:
        policy, verdict, counts = counted
        self.timelines += 1
        if policy not in self.policies:
            self.policies.append(policy)
        self.worst = max(self.worst, verdict)
        for name, count in counts.items():
            setattr(self, name, getattr(self, name) + count)

    def counts(self) -> dict[str, int]:
        names = ("files", "checked", "failed", "not_checked", "timelines", "clips", "ai",
                 "warn", "lock", "waived", "no_media")
        return {name: getattr(self, name) for name in names} | {"errors": self.failed}

    def line(self) -> str:
        files = f"{self.files} file(s) ({self.checked} checked, {self.failed} failed"
        files += f", {self.not_checked} not checked: interrupted)" if self.not_checked else ")"
        text = (f"{files}, {self.timelines} timeline(s), {self.clips} clips, {self.ai} AI, "
                f"{self.warn} warn, {self.lock} lock, {self.waived} waived")
        if self.no_media:
            text += f", {self.no_media} without readable media"
        return text


#: what the summary needs of one timeline: its policy, verdict and counts
Tally = tuple[str, Severity, Mapping[str, int]]


def tally(result: SubjectResult) -> Tally:
    return result.policy, result.verdict, result.counts


class Report:
    """A run's results, streamed: iterate once (a format does); the summary fills as it goes.

    Yields each :class:`SubjectResult` and each :class:`InputProblem` in input order.
    """

    def __init__(self, outcomes: Iterable[FileOutcome], *, stage: str | None = None,
                 policy: str | None = None, files: int = 0) -> None:
        self.stage = stage
        self.policy = policy
        self.summary = Summary(files=files)
        self.errors: list[InputProblem] = []
        #: set when the run was stopped (Ctrl-C) before every file was checked
        self.interrupted = False
        self._outcomes = outcomes

    def __iter__(self) -> Iterator[SubjectResult | InputProblem]:
        """Results and problems in input order (results rendered elsewhere are skipped)."""
        for outcome in self._outcomes_counted():
            if outcome.error is not None:
                yield outcome.error
            else:
                yield from outcome.results

    def results(self) -> Iterator[SubjectResult]:
        """Only the results (errors still counted)."""
        return (r for r in self if isinstance(r, SubjectResult))

    def write(self, report_format: ReportFormat, out: TextIO, options: ReportOptions) -> None:
        """Write the whole report in ``report_format``, streaming: each timeline as it comes
        (already rendered by a worker, or rendered here), then errors and the summary."""
        out.write(report_format.head(self, options))
        first = True
        for outcome in self._outcomes_counted(lambda o: rendered(report_format, o, options)):
            if outcome.error is not None:
                out.write(report_format.problem(outcome.error, options))
                continue
            for chunk in outcome.rendered or ():
                if chunk:
                    out.write(chunk if first else report_format.separator + chunk)
                    first = False
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
            if outcome.error is not None:
                self.summary.failed += 1
                self.errors.append(outcome.error)
            else:
                self.summary.checked += 1
                for counted in outcome.tallies or [tally(r) for r in outcome.results]:
                    self.summary.add_counts(counted)
            yield outcome


def rendered(report_format: ReportFormat, outcome: FileOutcome,
             options: ReportOptions) -> FileOutcome:
    """``outcome`` with its timelines rendered (unless a worker did it); a timeline the
    format cannot render makes the file's error, never a broken report."""
    if outcome.error is not None or outcome.rendered is not None:
        return outcome
    try:
        with paused_gc():  # a dict or line per clip and no cycle
            outcome.rendered = [report_format.subject(r, options) for r in outcome.results]
    except Exception as exc:  # one file never breaks the report
        from .errors import describe

        return FileOutcome(outcome.path, error=InputProblem(
            outcome.path, f"cannot render in {report_format.name}: {describe(exc)}"))
    return outcome


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
