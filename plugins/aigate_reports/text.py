"""Human text: grouped by file, every non-pass clip named the way editors name it. Names
and messages come from the files checked: their control characters are shown as escapes,
so a clip name cannot clear the screen, recolour the output or forge a summary line."""

from __future__ import annotations

from aigate.api import (
    Finding,
    InputProblem,
    ItemResult,
    Report,
    ReportOptions,
    Severity,
    SubjectResult,
    approved,
)
from aigate.api import printable as _p

COLOURS = {Severity.LOCK: "\033[1;31m", Severity.WARN: "\033[33m", Severity.INFO: "\033[32m",
           Severity.PASS: "\033[2m"}
RESET = "\033[0m"


def _paint(options: ReportOptions, severity: Severity, text: str) -> str:
    return f"{COLOURS[severity]}{text}{RESET}" if options.color else text


def head(report: Report, options: ReportOptions) -> str:
    return ""


def subject(result: SubjectResult, options: ReportOptions) -> str:
    shown = Severity.LOCK if options.quiet else Severity.INFO
    flagged = [r for r in result.items if r.verdict >= shown]
    if options.quiet and not flagged:
        return ""
    where = f"{_p(str(result.path))}: " if result.path else ""
    config = f"config {_p(result.config)}" if result.config else "no aigate.yaml"
    if result.as_of is not None:  # what the gate said on another day: said up front
        config += f", as of {result.as_of}"
    lines = [f"{where}{_p(result.name)} [stage {_p(result.stage)}, policy {_p(result.policy)}, "
             f"{config}] "
             f"{_paint(options, result.verdict, result.verdict.label.upper())}"]
    if result.timeline_only:  # said up front too: the gate did not vouch for the media
        lines.append(f"  NOTE {_p(result.provenance_basis)}")
    for tracks, item_result in _linked(flagged):
        item, verdict = item_result.item, item_result.verdict
        lines.append(f"  {_paint(options, verdict, f'{verdict.label.upper():<4}')} "
                     f"{_p(tracks)} \"{_p(item.clip)}\" {item.record_in}-{item.record_out}"
                     f"{_info_kind(item_result)}")
        for finding in item_result.findings:
            if options.quiet and finding.severity < Severity.LOCK:
                continue
            lines.append(f"       {_paint(options, finding.severity, finding.severity.label)} "
                         f"{finding.rule}{_waiver(finding)}: {_p(finding.reason)}")
    return "\n".join(lines) + "\n"


def _linked(flagged: list[ItemResult]) -> list[tuple[str, ItemResult]]:
    """The clips to list, each once: the linked picture and sound of one clip (same name,
    media, record in and out, and the same findings) are one entry naming both tracks."""
    entries: dict[tuple[object, ...], tuple[list[str], ItemResult]] = {}
    for r in flagged:
        item = r.item
        key = (item.clip, item.media_url, item.record_start, item.record_end, item.rate,
               r.verdict, tuple((f.rule, f.severity, f.reason, f.approval)
                                for f in r.findings))
        if key in entries and item.media_url is not None:
            entries[key][0].append(item.track)
        else:
            entries[key if item.media_url is not None else (id(r),)] = ([item.track], r)
    return [(", ".join(dict.fromkeys(tracks)), r) for tracks, r in entries.values()]


def problem(error: InputProblem, options: ReportOptions) -> str:
    return f"{_paint(options, Severity.LOCK, 'error:')} {_p(str(error))}\n"


def tail(report: Report, options: ReportOptions) -> str:
    """Each fired rule's fix once (locks only with -q), then the summary."""
    shown = [(rule, counted) for rule, counted in report.summary.totals.rules.items()
             if counted.remediation and (counted.lock or (counted.warn and not options.quiet))]
    fixes = "".join(f"  {_paint(options, Severity.LOCK if c.lock else Severity.WARN, rule)}: "
                    f"{_p(c.remediation)}\n" for rule, c in shown)
    return (f"fix:\n{fixes}" if fixes else "") + f"summary: {report.summary.line()}\n"


def _info_kind(result: ItemResult) -> str:
    """An info clip says whether a record approved it or the policy allowed it."""
    if result.verdict is not Severity.INFO:
        return ""
    if not result.ai:  # a note (media not read while cutting): nothing AI was allowed
        return " (note, not AI)"
    return " (AI, approved)" if approved(result) else " (AI, allowed by policy)"


def _waiver(finding: Finding) -> str:
    if finding.waived_from is None:
        return ""
    return (f" ({finding.waived_from.label}, waived by {_p(finding.approval or '')}, "
            f"{_p(finding.approver or '')})")
