"""The built-in report formats: for ``check`` text, JSON, JUnit XML and a self-contained
HTML report; for ``register`` (the disclosure register) CSV, JSON and HTML."""

from __future__ import annotations

from aigate.api import RegisterFormat, ReportFormat, hookimpl

from . import html, json_report, junit, register_formats, text


@hookimpl
def aigate_report_formats() -> list[ReportFormat | RegisterFormat]:
    return [
        ReportFormat("text", "human-readable, grouped by file", text.head, text.subject,
                     text.tail, problem=text.problem),
        ReportFormat("json", "versioned JSON (schema 1) listing every clip", json_report.head,
                     json_report.subject, json_report.tail, separator=","),
        ReportFormat("junit", "JUnit XML for CI: a testsuite per timeline, a testcase per "
                     "flagged clip", junit.head, junit.subject, junit.tail),
        ReportFormat("html", "one self-contained page: the cut drawn by verdict, findings",
                     html.head, html.subject, html.tail, needs_output=True),
        RegisterFormat("csv", "the disclosure register for a spreadsheet (formula-safe)",
                       register_formats.write_csv),
        RegisterFormat("json", "the disclosure register as JSON (schema 1)",
                       register_formats.write_json),
        RegisterFormat("html", "the disclosure register as one page, key columns in view",
                       register_formats.write_html),
    ]
