"""The disclosure register's formats: CSV for a spreadsheet, JSON, and one HTML page whose
key columns (clip, verdict, talent, approvals, reason) stay in view on a laptop screen
while the rest scrolls sideways. Rows of a cut already listed from another file (the same
cut exported as .otio, .edl and .xml) say so in ``same_cut_as``, and in the HTML under the
clip's name."""

from __future__ import annotations

import csv
import json
from html import escape
from pathlib import PurePath
from typing import Any, TextIO

from aigate import __version__
from aigate.api import REGISTER_SCHEMA_VERSION, Column, Register


def write_csv(register: Register, out: TextIO) -> None:
    """CSV for a spreadsheet: every cell is quoted, and a cell a spreadsheet would run as a
    formula (starting with =, +, -, @, tab or CR) gets a leading apostrophe (OWASP's
    CSV injection advice): clip names and metadata come from the files checked."""
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(register.names)
    for row in register.rows():
        writer.writerow([inert(value) for value in row])


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def inert(value: str) -> str:
    """A cell value a spreadsheet shows as text, never evaluates."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def write_json(register: Register, out: TextIO) -> None:
    document: dict[str, Any] = {
        "aigate_version": __version__, "schema": REGISTER_SCHEMA_VERSION,
        "kind": "disclosure-register", "stage": register.stage,
        "rows": [dict(zip(register.names, row, strict=True)) for row in register.rows()]}
    json.dump(document, out, indent=1)
    out.write("\n")


#: widths of the key columns, in px: they stick to the left edge, one after another
KEY_WIDTHS = {"clip": 170, "verdict": 64, "talent": 190, "approvals": 130, "reason": 330}
STYLE = """
body { font: 13px/1.4 system-ui, sans-serif; margin: 24px; }
.scroll { overflow-x: auto; max-width: 100%; border: 1px solid #d8dbe0; }
table { border-collapse: separate; border-spacing: 0; }
th, td { border: 0 solid #d8dbe0; border-width: 0 1px 1px 0; padding: 3px 6px;
         text-align: left; vertical-align: top; background: #fff; }
td { min-width: 90px; } td.path, td.media, td.sources { min-width: 220px; }
th { background: #eef0f3; position: sticky; top: 0; z-index: 2; }
th.key, td.key { position: sticky; z-index: 1; }
th.key { z-index: 3; }
th.key.last, td.key.last { box-shadow: 3px 0 4px -2px rgba(0, 0, 0, .25); }
td.lock { color: #c62828; font-weight: 600; } td.warn { color: #a56a00; font-weight: 600; }
td.info { color: #2e9b4f; font-weight: 600; }
tr.same td.clip { border-left: 3px solid #9aa0a6; }
.note { color: #666; font-size: 12px; font-style: italic; }
@media print { * { print-color-adjust: exact; } .scroll { overflow: visible; } }
"""


def write_html(register: Register, out: TextIO) -> None:
    """One page: the key columns first and sticky on the left (at 1400 px they stay in view
    as the other columns scroll past), then the rest in the register's order."""
    keys = [c for c in register.columns if c.key]
    ordered = sorted(keys, key=lambda c: list(KEY_WIDTHS).index(c.name)
                     if c.name in KEY_WIDTHS else len(KEY_WIDTHS))
    ordered += [c for c in register.columns if not c.key]
    position = {c.name: i for i, c in enumerate(register.columns)}
    lefts: dict[str, int] = {}
    left = 0
    for column in ordered[:len(keys)]:
        lefts[column.name] = left
        left += KEY_WIDTHS.get(column.name, 120)
    repeated = sum(1 for e in register.entries if e.same_cut_as)
    note = (f" · {repeated} of them repeat a cut already listed from another file "
            "(same timeline, same clip, same place: see same cut as)" if repeated else "")
    shows = ", ".join(dict.fromkeys(e.show for e in register.entries if e.show)) or "no show"
    title = f"GenAI disclosure register: {escape(shows)}"
    out.write('<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
              f"<title>{title}</title><style>" + STYLE + "</style></head>"
              f"<body><h1>{title}</h1>{_header(register)}<p>{len(register.entries)} AI "
              f"clip(s){note} · aigate "
              f'{escape(__version__)}</p><div class="scroll"><table>'
              "<thead><tr>" + "".join(_cell("th", c, lefts, escape(c.title))
                                       for c in ordered) + "</tr></thead><tbody>")
    for entry, row in zip(register.entries, register.rows(), strict=True):
        texts = {c.name: escape(row[position[c.name]]) for c in ordered}
        if entry.same_cut_as and "clip" in texts:  # said where the eye is, not only at the end
            texts["clip"] += ('<br><span class="note">same cut as '
                              f"{escape(PurePath(entry.same_cut_as).name)}</span>")
        cells = "".join(_cell("td", c, lefts, texts[c.name], verdict=c.name == "verdict")
                        for c in ordered)
        same = " same" if entry.same_cut_as else ""
        out.write(f'<tr class="{entry.shade.value}{same}">{cells}</tr>')
    out.write("</tbody></table></div></body></html>\n")


def _header(register: Register) -> str:
    """Show, date, stage and policy: what a signed-off register must say on its face."""
    checked = sorted({e.checked_at for e in register.entries if e.checked_at})
    date = (checked[0][:10] if checked[0][:10] == checked[-1][:10]
            else f"{checked[0][:10]} to {checked[-1][:10]}") if checked else "no AI clips"
    policies = ", ".join(dict.fromkeys(
        f"{e.policy} (sha256 {e.policy_sha256[:12]})" for e in register.entries)) or "none"
    stages = register.stage or ", ".join(sorted({e.result.stage for e in register.entries}))
    return (f'<p class="meta">checked {escape(date)} · stage {escape(stages or "none")} · '
            f"policy {escape(policies)}</p>")


def _cell(tag: str, column: Column, lefts: dict[str, int], text: str, *,
          verdict: bool = False) -> str:
    classes = [column.name]
    style = ""
    if column.name in lefts:
        width = KEY_WIDTHS.get(column.name, 120)
        classes.append("key")
        if column.name == list(lefts)[-1]:  # the shadow where the scrolling part starts
            classes.append("last")
        style = (f' style="left:{lefts[column.name]}px;min-width:{width}px;'
                 f'max-width:{width}px"')
    if verdict and tag == "td":
        classes.append(text)  # lock / warn / info / pass: coloured like the check report
    return f'<{tag} class="{" ".join(classes)}"{style}>{text}</{tag}>'
