"""Report formats: what a format plugin provides, and the counts every format shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from .model import Report, Severity

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


@dataclass(frozen=True, slots=True)
class ReportFormat:
    """An output format for ``aigate check --format NAME``; ``render`` writes the report."""

    name: str
    description: str
    render: Callable[[Report, TextIO, ReportOptions], None]
    #: True when the format is a whole document that must go to --output (html)
    needs_output: bool = False


@dataclass(frozen=True, slots=True)
class Summary:
    files: int
    timelines: int
    clips: int
    ai: int
    warn: int
    lock: int
    waived: int
    errors: int
    no_media: int = 0

    @classmethod
    def of(cls, report: Report) -> Summary:
        items = [r for s in report.results for r in s.items]
        return cls(
            files=report.files,
            timelines=len(report.results),
            clips=len(items),
            ai=sum(r.ai for r in items),
            warn=sum(r.verdict is Severity.WARN for r in items),
            lock=sum(r.verdict is Severity.LOCK for r in items),
            waived=sum(f.waived for r in items for f in r.findings),
            errors=len(report.errors),
            no_media=sum(r.media_note is not None for r in items),
        )

    def line(self) -> str:
        text = (f"{self.files} file(s), {self.timelines} timeline(s), {self.clips} clips, "
                f"{self.ai} AI, {self.warn} warn, {self.lock} lock, {self.waived} waived")
        if self.no_media:
            text += f", {self.no_media} without readable media"
        return text + (f", {self.errors} error(s)" if self.errors else "")
