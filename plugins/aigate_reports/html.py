"""One self-contained HTML page (inline CSS and SVG, nothing loaded from anywhere): for each
timeline a picture of the tracks to scale with every clip coloured by verdict, and a table
of the findings with record timecodes. Prints on paper as it shows on screen."""

from __future__ import annotations

import datetime as dt
import io
from html import escape
from typing import TextIO

import aigate
from aigate.model import ItemResult, Severity, SubjectResult, timecode
from aigate.report import Report, ReportOptions

WIDTH = 1200  # SVG user units for the time axis
LABEL = 70  # room for track names
ROW = 26
RULER = 22

STYLE = """
:root { --pass: #b8bcc2; --info: #2e9b4f; --warn: #f2a516; --lock: #d3302b; --ink: #1d1f23; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
       margin: 24px auto; max-width: 1280px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 4px; }
.meta { color: #555; margin: 0 0 10px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff;
         font-size: 12px; font-weight: 600; vertical-align: middle; }
.badge.pass { background: #7d8288; } .badge.info { background: var(--info); }
.badge.warn { background: #c98500; } .badge.lock { background: var(--lock); }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px;
            vertical-align: -1px; border-radius: 2px; }
svg.cut { width: 100%; height: auto; background: #f7f8fa; border: 1px solid #dde0e4;
          border-radius: 4px; }
svg.cut .clip { stroke: #fff; stroke-width: 0.5; }
svg.cut .pass { fill: var(--pass); } svg.cut .info { fill: var(--info); }
svg.cut .warn { fill: var(--warn); } svg.cut .lock { fill: var(--lock); }
svg.cut text { font: 11px system-ui, sans-serif; fill: #444; }
svg.cut .tick { stroke: #c9cdd2; stroke-width: 0.5; }
table { border-collapse: collapse; width: 100%; margin-top: 12px; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e3e5e8;
         vertical-align: top; }
th { background: #eef0f3; position: sticky; top: 0; }
td.tc { font-variant-numeric: tabular-nums; white-space: nowrap; }
td.rule { white-space: nowrap; }
tr.lock td.sev { color: var(--lock); font-weight: 600; }
tr.warn td.sev { color: #b07400; font-weight: 600; }
tr.info td.sev { color: var(--info); }
.fix { color: #555; }
.errors li { color: var(--lock); }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section { break-inside: avoid-page; }
  th { position: static; }
}
"""


def head(report: Report, options: ReportOptions) -> str:
    stage = report.stage or "per timeline"
    policy = report.policy or "from each show's config"
    legend = "".join(f'<span><i style="background:var(--{s})"></i>{label}</span>'
                     for s, label in (("pass", "pass"), ("info", "AI, approved"),
                                      ("warn", "warn"), ("lock", "lock")))
    return ('<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>aigate report</title><style>{STYLE}</style></head><body>\n"
            f'<header><h1>aigate report</h1><p class="meta">stage <b>{escape(stage)}</b> · '
            f"policy <b>{escape(policy)}</b> · aigate {escape(aigate.__version__)} · "
            f"{dt.datetime.now().strftime('%Y-%m-%d %H:%M')}</p>"
            f'<p class="legend">{legend}</p></header>\n')


def subject(result: SubjectResult, options: ReportOptions) -> str:
    out = io.StringIO()
    _subject(result, out)
    return out.getvalue()


def tail(report: Report, options: ReportOptions) -> str:
    stage = report.stage or "per timeline"
    policy = report.policy or "from each show's config"
    text = ""
    if report.errors:
        text += '<h2>Files that could not be checked</h2><ul class="errors">'
        text += "".join(f"<li>{escape(str(p))}</li>" for p in report.errors) + "</ul>"
    summary = report.summary
    return (text + f'<footer><h2>Summary</h2><p class="meta" id="summary">stage '
            f"<b>{escape(stage)}</b> · policy "
            f"<b>{escape(', '.join(summary.policies) or policy)}</b> · "
            f"{escape(summary.line())}</p></footer></body></html>\n")


def _subject(result: SubjectResult, out: TextIO) -> None:
    items = result.items
    counts = {s: sum(r.verdict is s for r in items) for s in Severity}
    ai = sum(r.ai for r in items)
    waived = sum(f.waived for r in items for f in r.findings)
    verdict = result.verdict.label
    out.write(f'<section class="subject" data-verdict="{verdict}" '
              f'data-path="{escape(str(result.path or ""))}"><h2>'
              f'{escape(result.name)} <span class="badge {verdict}">{verdict.upper()}</span>'
              f'</h2><p class="meta">{escape(str(result.path or ""))} · stage '
              f"<b>{escape(result.stage)}</b> · policy {escape(result.policy)} · "
              f"config {escape(result.config or 'none (built-in defaults)')} · "
              f"{len(items)} clips, {ai} AI, {counts[Severity.WARN]} warn, "
              f"{counts[Severity.LOCK]} lock, {waived} waived</p>\n")
    _picture(result, out)
    _table(result, out)
    out.write("</section>\n")


def _picture(result: SubjectResult, out: TextIO) -> None:
    tracks: dict[str, list[ItemResult]] = {}
    for r in result.items:
        tracks.setdefault(r.item.track, []).append(r)
    if not tracks:
        out.write('<p class="meta">no clips</p>')
        return
    start = min(r.item.record_start for r in result.items)
    end = max(r.item.record_end for r in result.items)
    scale = (WIDTH - LABEL) / max(end - start, 1)
    height = RULER + ROW * len(tracks) + 4
    out.write(f'<svg class="cut" viewBox="0 0 {WIDTH} {height}" role="img" '
              f'aria-label="the cut, clips coloured by verdict">')
    rate = result.items[0].item.rate
    step = _tick_step((end - start) / rate) * rate
    tick = start - start % step + (step if start % step else 0)
    while tick <= end:
        x = LABEL + (tick - start) * scale
        label = timecode(tick, rate)
        out.write(f'<line class="tick" x1="{x:.1f}" y1="{RULER - 4}" x2="{x:.1f}" '
                  f'y2="{height}"/><text x="{x + 2:.1f}" y="{RULER - 8}">{label}</text>')
        tick += step
    for row, (track, clips) in enumerate(tracks.items()):
        y = RULER + row * ROW
        out.write(f'<text x="4" y="{y + ROW / 2 + 4:.0f}">{escape(track)}</text>')
        for r in clips:
            item = r.item
            x = LABEL + (item.record_start - start) * scale
            w = max((item.record_end - item.record_start) * scale, 1.0)
            tip = f"{item.clip} {item.record_in}-{item.record_out}: {r.verdict.label}"
            tip += "".join(f"\n{f.severity.label} {f.rule}: {f.reason}" for f in r.findings)
            out.write(f'<rect class="clip {r.verdict.label}" data-verdict="{r.verdict.label}"'
                      f' data-clip="{escape(item.clip)}" x="{x:.2f}" y="{y + 3}" '
                      f'width="{w:.2f}" height="{ROW - 6}"><title>{escape(tip)}</title>'
                      "</rect>")
    out.write("</svg>\n")


def _tick_step(seconds: float) -> float:
    """A round ruler step giving about ten ticks."""
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if seconds / step <= 12:
            return step
    return 7200


def _table(result: SubjectResult, out: TextIO) -> None:
    flagged = [r for r in result.items if r.findings]
    if not flagged:
        out.write('<p class="meta">no findings: every clip passes</p>')
        return
    out.write('<table class="findings"><thead><tr><th>track</th><th>clip</th>'
              "<th>record in</th><th>record out</th><th>severity</th><th>rule</th>"
              "<th>why</th><th>what to do</th></tr></thead><tbody>")
    for r in flagged:
        item = r.item
        for f in r.findings:
            action = (f"waived by {escape(f.approval or '')} ({escape(f.approver or '')})"
                      if f.waived else escape(f.remediation))
            out.write(f'<tr class="{f.severity.label}"><td>{escape(item.track)}</td>'
                      f"<td>{escape(item.clip)}</td><td class='tc'>{item.record_in}</td>"
                      f"<td class='tc'>{item.record_out}</td>"
                      f'<td class="sev">{f.severity.label}</td>'
                      f'<td class="rule">{escape(f.rule)}</td>'
                      f"<td>{escape(f.reason)}</td><td class='fix'>{action}</td></tr>")
    out.write("</tbody></table>\n")
