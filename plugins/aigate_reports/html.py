"""One self-contained HTML page (inline CSS and SVG, no script, nothing loaded from
anywhere): at the top the run's summary and the findings per rule, and a "locked clips
only" filter (a checkbox, CSS only); then for each timeline a picture of the tracks to
scale, every clip coloured by verdict (AI approved and AI allowed by policy apart) and
named where its name fits, and the findings grouped per clip with record timecodes and
what to do, once per clip. Prints on paper as it shows on screen."""

from __future__ import annotations

import datetime as dt
import io
from html import escape
from typing import TextIO

import aigate
from aigate.api import (
    ItemResult,
    Report,
    ReportOptions,
    RuleCounts,
    Severity,
    Shade,
    SubjectResult,
    Tally,
    counts_in_words,
    timecode,
)

WIDTH = 1200  # SVG user units for the time axis
LABEL = 70  # room for track names
ROW = 26
RULER = 22
PAD = 4  # a clip name's margin inside its clip
CHAR = 6.6  # the widest a character of the 11 px name font is, on average, in SVG units

STYLE = """
:root { --pass: #b8bcc2; --approved: #2e9b4f; --allowed: #3b7dc4; --warn: #f2a516;
        --lock: #d3302b; --ink: #1d1f23; }
* { box-sizing: border-box; }
/* the overview is written last (its counts are complete only then) and shown first */
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
       margin: 24px auto; max-width: 1280px; padding: 0 16px; display: flex;
       flex-direction: column; }
header { order: 0; } .overview { order: 1; } .index { order: 2; } .errors { order: 3; }
.subject { order: 4; }
/* a season is hundreds of sections: the browser lays out only those near the screen */
.subject { content-visibility: auto; contain-intrinsic-size: auto 900px; }
.subject > details > summary { cursor: pointer; list-style-position: outside; }
.subject > details > summary h2 { display: inline; }
table.index td.n { text-align: right; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 4px; }
.meta { color: #555; margin: 0 0 10px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff;
         font-size: 12px; font-weight: 600; vertical-align: middle; white-space: nowrap; }
.badge.pass { background: #7d8288; } .badge.approved { background: var(--approved); }
.badge.allowed { background: var(--allowed); } .badge.note { background: #7d8288; }
.badge.info { background: var(--approved); }
.badge.warn { background: #c98500; } .badge.lock { background: var(--lock); }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px;
            vertical-align: -1px; border-radius: 2px; }
.swatch.pass { background: var(--pass); } .swatch.approved { background: var(--approved); }
.swatch.allowed { background: var(--allowed); }
.swatch.note { background: var(--pass); } .swatch.warn { background: var(--warn); }
.swatch.lock { background: var(--lock); }
.filter { margin: 6px 0 0; font-weight: 600; }
body:has(#lock-only:checked) .subject:not([data-verdict="lock"]),
body:has(#lock-only:checked) tbody.clip:not([data-verdict="lock"]) { display: none; }
svg.cut { width: 100%; height: auto; background: #f7f8fa; border: 1px solid #dde0e4;
          border-radius: 4px; }
svg.cut .clip { stroke: #fff; stroke-width: 0.5; }
svg.cut .clip.pass, svg.cut .clip.note { fill: var(--pass); }
svg.cut .clip.approved { fill: var(--approved); }
svg.cut .clip.allowed { fill: var(--allowed); }
svg.cut .clip.warn { fill: var(--warn); } svg.cut .clip.lock { fill: var(--lock); }
svg.cut text { font: 11px system-ui, sans-serif; fill: #444; }
svg.cut text.name { fill: #fff; pointer-events: none; }
svg.cut text.name.pass, svg.cut text.name.warn { fill: #1d1f23; }
svg.cut .tick { stroke: #c9cdd2; stroke-width: 0.5; }
table { border-collapse: collapse; width: 100%; margin-top: 12px; font-size: 13px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e3e5e8;
         vertical-align: top; }
thead th { background: #eef0f3; position: sticky; top: 0; }
table.rules { width: auto; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
td.n.lock { color: var(--lock); } td.n.warn { color: #b07400; }
td.n.approved { color: var(--approved); } td.n.allowed { color: var(--allowed); }
tbody.clip { border-top: 2px solid #c9cdd2; }
th.where { font-weight: normal; min-width: 180px; }
.tc { font-variant-numeric: tabular-nums; white-space: nowrap; }
td.rule, span.rule { white-space: nowrap; }
tr.lock td.sev { color: var(--lock); font-weight: 600; }
tr.warn td.sev { color: #b07400; font-weight: 600; }
tr.info td.sev { color: var(--approved); }
.waiver { color: #555; font-style: italic; }
.fix { color: #555; } .fix ul { margin: 0; padding-left: 16px; }
.errors li { color: var(--lock); }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section { break-inside: avoid-page; }
  .subject { content-visibility: visible; }
  thead th { position: static; }
  .filter { display: none; }
}
"""


def head(report: Report, options: ReportOptions) -> str:
    stage = report.stage or "per timeline"
    policy = report.policy or "from each show's config"
    legend = "".join(f'<span><i class="swatch {shade.value}"></i>{shade.legend}</span>'
                     for shade in Shade)
    return ('<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>aigate report</title><style>{STYLE}</style></head><body>\n"
            f'<header><h1>aigate report</h1><p class="meta">stage <b>{escape(stage)}</b> · '
            f"policy <b>{escape(policy)}</b> · aigate {escape(aigate.__version__)} · "
            f"{dt.datetime.now().strftime('%Y-%m-%d %H:%M')}</p>"
            f'<p class="legend">{legend}</p>'
            '<p class="filter"><label><input type="checkbox" id="lock-only"> '
            "show locked clips only</label></p></header>\n")


def subject(result: SubjectResult, options: ReportOptions) -> str:
    out = io.StringIO()
    _subject(result, out)
    return out.getvalue()


def tail(report: Report, options: ReportOptions) -> str:
    """The errors, then the overview: written last (the counts are complete only then),
    shown first (CSS order), so the page still streams."""
    stage = report.stage or "per timeline"
    policy = report.policy or "from each show's config"
    text = ""
    if report.errors:
        text += '<section class="errors"><h2>Files that could not be checked</h2><ul>'
        text += "".join(f"<li>{escape(str(p))}</li>" for p in report.errors) + "</ul></section>"
    summary = report.summary
    text += (f'<section class="overview"><h2>Summary</h2><p class="meta" id="summary">stage '
             f"<b>{escape(stage)}</b> · policy "
             f"<b>{escape(', '.join(summary.policies) or policy)}</b> · "
             f"{escape(summary.line())}</p>")
    text += _rule_table(summary.totals.rules) + "</section>"
    if len(summary.tallies) > 1:
        text += _index(summary.tallies)
    return text + "</body></html>\n"


def _index(tallies: list[Tally]) -> str:
    """A season's table of contents: one row per timeline, linking to its section."""
    rows = "".join(
        f'<tr data-verdict="{t.verdict.label}"><td>{escape(t.episode)}</td>'
        f'<td><a href="#{t.anchor}">{escape(t.name)}</a><br><span class="meta">'
        f'{escape(t.path)}</span></td><td><span class="badge {t.verdict.label}">'
        f"{t.verdict.label.upper()}</span></td>"
        f'<td class="n">{t.counts.clips}</td><td class="n">{t.counts.ai}</td>'
        f'<td class="n">{t.counts.locked}</td><td class="n">{t.counts.warned}</td>'
        f'<td class="n">{t.counts.approved}</td><td class="n">{t.counts.allowed}</td></tr>'
        for t in tallies)
    return ('<section class="index"><h2>Timelines</h2><table class="index"><thead><tr>'
            "<th>episode</th><th>timeline</th><th>verdict</th><th>clips</th><th>AI</th>"
            "<th>locked</th><th>warned</th><th>approved</th><th>allowed by policy</th>"
            f"</tr></thead><tbody>{rows}</tbody></table></section>")


def _rule_table(rules: dict[str, RuleCounts]) -> str:
    if not rules:
        return '<p class="meta">no rule fired</p>'
    rows = "".join(
        f'<tr><td class="rule">{escape(rule)}</td><td class="n lock">{c.lock}</td>'
        f'<td class="n warn">{c.warn}</td><td class="n approved">{c.waived}</td>'
        f'<td class="n allowed">{c.allowed}</td></tr>'
        for rule, c in sorted(rules.items(), key=lambda kv: (-kv[1].lock, -kv[1].warn,
                                                              kv[0])))
    return ('<table class="rules"><caption>findings per rule</caption><thead><tr>'
            "<th>rule</th><th>findings locked</th><th>findings warned</th>"
            "<th>findings waived (approved)</th><th>findings allowed by policy</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>")


def _subject(result: SubjectResult, out: TextIO) -> None:
    """A timeline's section, collapsible; open when something in it needs attention."""
    verdict = result.verdict.label
    opened = " open" if result.verdict >= Severity.WARN else ""
    out.write(f'<section class="subject" id="{result.tally().anchor}" '
              f'data-verdict="{verdict}" data-path="{escape(str(result.path or ""))}">'
              f"<details{opened}><summary><h2>"
              f'{escape(result.name)} <span class="badge {verdict}">{verdict.upper()}</span>'
              f'</h2></summary><p class="meta">{escape(str(result.path or ""))} · stage '
              f"<b>{escape(result.stage)}</b> · policy {escape(result.policy)} · "
              f"config {escape(result.config or 'none (built-in defaults)')} · "
              f"{escape(counts_in_words(result.counts, always_allowed=True))}</p>\n")
    if result.timeline_only:  # the gate did not vouch for the media: said up front
        out.write(f'<p class="meta basis"><b>{escape(result.provenance_basis)}</b></p>\n')
    _picture(result, out)
    _table(result, out)
    out.write("</details></section>\n")


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
    rate, drop_frame = result.items[0].item.rate, result.items[0].item.drop_frame
    step = _tick_step((end - start) / rate) * rate
    tick = start - start % step + (step if start % step else 0)
    while tick <= end:
        x = LABEL + (tick - start) * scale
        label = timecode(tick, rate, drop_frame)
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
            shade = Shade.of(r)
            tip = f"{item.clip} {item.record_in}-{item.record_out}: {shade.legend}"
            tip += "".join(f"\n{f.severity.label} {f.rule}: {f.reason}" for f in r.findings)
            out.write(f'<rect class="clip {shade.value}" data-verdict="{r.verdict.label}"'
                      f' data-clip="{escape(item.clip)}" x="{x:.2f}" y="{y + 3}" '
                      f'width="{w:.2f}" height="{ROW - 6}"><title>{escape(tip)}</title>'
                      "</rect>")
            name = fitted(item.clip, w - 2 * PAD)
            if name:
                out.write(f'<text class="name {shade.value}" x="{x + PAD:.2f}" '
                          f'y="{y + ROW / 2 + 4:.0f}">{escape(name)}</text>')
    out.write("</svg>\n")


def fitted(name: str, room: float) -> str:
    """``name`` as much as fits in ``room`` SVG units (cut with an ellipsis), or "" when
    fewer than three characters would show: a clip too short keeps only its tooltip."""
    fits = int(room / CHAR)
    if fits >= len(name):
        return name
    return name[:fits - 1] + "\u2026" if fits >= 4 else ""


def _tick_step(seconds: float) -> float:
    """A round ruler step giving about ten ticks."""
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if seconds / step <= 12:
            return step
    return 7200


def _table(result: SubjectResult, out: TextIO) -> None:
    """The findings, grouped per clip: the clip (track, name, record in and out, verdict)
    and what to do once, then a row per finding."""
    flagged = [r for r in result.items if r.findings]
    if not flagged:
        out.write('<p class="meta">no findings: every clip passes</p>')
        return
    out.write('<table class="findings"><thead><tr><th>clip</th><th>severity</th>'
              "<th>rule</th><th>why</th><th>what to do</th></tr></thead>")
    for r in flagged:
        item, shade = r.item, Shade.of(r)
        span = len(r.findings)
        out.write(f'<tbody class="clip {shade.value}" data-verdict="{r.verdict.label}">')
        for n, f in enumerate(r.findings):
            why = escape(f.reason)
            if f.waived:
                why += (f' <span class="waiver">waived by {escape(f.approval or "")} '
                        f"({escape(f.approver or '')})</span>")
            elif f.severity is Severity.INFO and r.ai:
                why += ' <span class="waiver">allowed by policy</span>'
            row = f'<tr class="{f.severity.label}">'
            if n == 0:
                row += (f'<th scope="rowgroup" rowspan="{span}" class="where">'
                        f'<span class="badge {shade.value}">{shade.legend}</span> '
                        f'<b>{escape(item.clip)}</b><br>{escape(item.track)} '
                        f'<span class="tc">{item.record_in}-{item.record_out}</span></th>')
            row += (f'<td class="sev">{f.severity.label}</td>'
                    f'<td class="rule">{escape(f.rule)}</td><td>{why}</td>')
            if n == 0:
                row += f'<td rowspan="{span}" class="fix">{_remedies(r, shade)}</td>'
            out.write(row + "</tr>")
        out.write("</tbody>")
    out.write("</table>\n")


def _remedies(result: ItemResult, shade: Shade) -> str:
    """What to do about the clip, each remediation once (several rules may share one)."""
    open_findings = [f for f in result.findings if f.severity > Severity.INFO]
    if not open_findings:
        return "nothing: " + {Shade.APPROVED: "approved", Shade.NOTE: "a note"}.get(
            shade, "allowed by policy")
    remedies: dict[str, list[str]] = {}
    for f in open_findings:
        if f.remediation:
            remedies.setdefault(f.remediation, []).append(f.rule)
    return "<ul>" + "".join(f"<li>{escape(text)} <span class=\"rule\">"
                            f"({escape(', '.join(rules))})</span></li>"
                            for text, rules in remedies.items()) + "</ul>"
