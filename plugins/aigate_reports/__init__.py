"""The built-in report formats: for ``check`` text, JSON, JUnit XML and a self-contained
HTML report; for ``register`` (the disclosure register) CSV, JSON and HTML."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from aigate.api import RegisterFormat, ReportFormat, hookimpl


def _later(module: str, name: str) -> Callable[..., Any]:
    """``module.name``, imported on first call: a run imports only the formats it writes."""
    def call(*args: Any) -> Any:
        return getattr(importlib.import_module(f"{__name__}.{module}"), name)(*args)
    call.__name__ = call.__qualname__ = name
    call.__module__ = f"{__name__}.{module}"
    return call


@hookimpl
def aigate_report_formats() -> list[ReportFormat | RegisterFormat]:
    return [
        ReportFormat("text", "human-readable, grouped by file", _later("text", "head"),
                     _later("text", "subject"), _later("text", "tail"),
                     problem=_later("text", "problem")),
        ReportFormat("json", "versioned JSON (schema 1) listing every clip",
                     _later("json_report", "head"), _later("json_report", "subject"),
                     _later("json_report", "tail"), separator=","),
        ReportFormat("junit", "JUnit XML for CI: a testsuite per timeline, a testcase per "
                     "flagged clip", _later("junit", "head"), _later("junit", "subject"),
                     _later("junit", "tail")),
        ReportFormat("html", "one self-contained page: the cut drawn by verdict, findings",
                     _later("html", "head"), _later("html", "subject"), _later("html", "tail"),
                     needs_output=True),
        RegisterFormat("csv", "the disclosure register for a spreadsheet (formula-safe)",
                       _later("register_formats", "write_csv")),
        RegisterFormat("json", "the disclosure register as JSON (schema 1)",
                       _later("register_formats", "write_json")),
        RegisterFormat("html", "the disclosure register as one page, key columns in view",
                       _later("register_formats", "write_html")),
    ]
