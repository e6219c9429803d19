"""The built-in report formats: text, JSON, JUnit XML and a self-contained HTML report."""

from __future__ import annotations

from aigate.hookspecs import hookimpl
from aigate.report import ReportFormat

from .html import render_html
from .json_report import render_json
from .junit import render_junit
from .text import render_text


@hookimpl
def aigate_report_formats() -> list[ReportFormat]:
    return [
        ReportFormat("text", "human-readable, grouped by file", render_text),
        ReportFormat("json", "versioned JSON (schema 1) listing every clip", render_json),
        ReportFormat("junit", "JUnit XML for CI: a testsuite per timeline, a testcase per "
                     "flagged clip", render_junit),
        ReportFormat("html", "one self-contained page: the cut drawn by verdict, findings",
                     render_html, needs_output=True),
    ]
