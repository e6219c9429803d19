"""Reports: a run's results streamed to a format, and the counts every format shows.

A :class:`Report` is iterated once, in input order, by the format that writes it: a
10,000-file conform never holds every timeline in memory. Counts accumulate as results pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TextIO

# the format declarations live in the core (the plugin manager checks what plugins
# contribute); they are re-exported here, where a report is built
from aigate.core.formats import (
    AnyFormat,
    FormatKind,
    RegisterFormat,
    ReportFormat,
    ReportOptions,
    Shade,
    Summary,
    counts_in_words,
    plural,
    printable,
)
from aigate.core.gcpause import paused_gc
from aigate.model import (
    CheckedFile,
    FailedFile,
    FileOutcome,
    InputProblem,
    RenderedFile,
    SubjectResult,
)

__all__ = ["JSON_SCHEMA_VERSION", "AnyFormat", "FormatKind", "RegisterFormat", "Report",
           "ReportFormat", "ReportOptions", "Shade", "Summary", "counts_in_words", "plural",
           "printable", "rendered"]

JSON_SCHEMA_VERSION = 1


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

    def write(self, report_format: ReportFormat[Any], out: TextIO, options: ReportOptions) -> None:
        """Write the whole report in ``report_format``, streaming: each timeline as it comes
        (already rendered by a worker, or rendered here), then errors and the summary."""
        self.write_many([(report_format, out, options)])

    def write_many(self, writers: Sequence[tuple[ReportFormat[Any], TextIO, ReportOptions]],
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


def rendered(report_format: ReportFormat[Any], outcome: FileOutcome,
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
