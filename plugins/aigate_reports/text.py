"""Human text: grouped by file, every non-pass clip named the way editors name it."""

from __future__ import annotations

from typing import TextIO

from aigate.model import Finding, InputProblem, Severity
from aigate.report import Report, ReportOptions

COLOURS = {Severity.LOCK: "\033[1;31m", Severity.WARN: "\033[33m", Severity.INFO: "\033[32m",
           Severity.PASS: "\033[2m"}
RESET = "\033[0m"


def render_text(report: Report, out: TextIO, options: ReportOptions) -> None:
    def paint(severity: Severity, text: str) -> str:
        return f"{COLOURS[severity]}{text}{RESET}" if options.color else text

    shown = Severity.LOCK if options.quiet else Severity.INFO
    for result in report:
        if isinstance(result, InputProblem):
            out.write(f"{paint(Severity.LOCK, 'error:')} {result}\n")
            continue
        flagged = [r for r in result.items if r.verdict >= shown]
        if options.quiet and not flagged:
            continue
        where = f"{result.path}: " if result.path else ""
        out.write(f"{where}{result.name} [stage {result.stage}, policy {result.policy}] "
                  f"{paint(result.verdict, result.verdict.label.upper())}\n")
        for item_result in flagged:
            item = item_result.item
            verdict = item_result.verdict
            out.write(f"  {paint(verdict, f'{verdict.label.upper():<4}')} {item.track} "
                      f"\"{item.clip}\" {item.record_in}-{item.record_out}\n")
            for finding in item_result.findings:
                if options.quiet and finding.severity < Severity.LOCK:
                    continue
                out.write(f"       {paint(finding.severity, finding.severity.label)} "
                          f"{finding.rule}{_waiver(finding)}: {finding.reason}\n")
                if finding.severity > Severity.INFO:
                    out.write(f"            fix: {finding.remediation}\n")
    out.write(f"summary: {report.summary.line()}\n")


def _waiver(finding: Finding) -> str:
    if not finding.waived:
        return ""
    return (f" ({finding.waived_from.label}, waived by {finding.approval}, "
            f"{finding.approver})")
