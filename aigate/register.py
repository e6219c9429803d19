"""The disclosure register (AI usage register) production legal sends the studio: one row
per AI clip, with where it is, what made it, why, under which approvals and consents, and
its verdict at the stage. Non-AI clips are not listed."""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from typing import Any, TextIO

from . import __version__
from .gate import Gate
from .model import SubjectResult, timecode

REGISTER_SCHEMA_VERSION = 1
FORMATS = ("csv", "json", "html")


@dataclass(frozen=True, slots=True)
class RegisterRow:
    show: str
    episode: str
    timeline: str
    path: str
    track: str
    clip: str
    record_in: str
    record_out: str
    duration: str
    media: str
    tool: str
    tool_version: str
    tool_vendor: str
    enterprise_secured: str  # yes / no / unknown (not a vetted tool)
    purpose: str
    role: str
    inputs: str
    talent: str
    approvals: str
    verdict: str
    stage: str
    sources: str
    # dated packs (EU AI Act Art. 50, SAG-AFTRA 2026): the clip's declared disclosure label,
    # the consent descriptions of its talent uses, and whether it is a synthetic performer
    disclosure_label: str = ""
    consent_description: str = ""
    synthetic_performer: str = ""


COLUMNS = tuple(f.name for f in dataclasses.fields(RegisterRow))


def rows(result: SubjectResult, gate: Gate) -> list[RegisterRow]:
    """A row per AI clip of one checked timeline, in record order."""
    config, policy = gate.config, gate.policy.for_show(gate.config.show)
    out = []
    for item_result in sorted(result.items, key=lambda r: r.item.record_start):
        if not item_result.ai:
            continue
        item, prov = item_result.item, item_result.provenance
        tool = prov.tool
        vetted = policy.vetted(tool)
        talent, described = [], []
        for use in prov.talent:
            consent = gate.registry.consent_for(use, config.show, gate.as_of)
            talent.append(f"{use.name} ({use.use.replace('_', ' ')}; consent "
                          f"{consent.id if consent else 'none on file'})")
            if consent and consent.description:
                described.append(f"{use.name}: {consent.description}")
        label = next((raw.get("disclosure_label") for _, raw in item.declared
                      if isinstance(raw, dict) and raw.get("disclosure_label")), None)
        synthetic = any(isinstance(raw, dict) and raw.get("synthetic_performer") is True
                        for _, raw in item.declared)
        approvals = dict.fromkeys(f.approval for f in item_result.findings
                                  if f.approval and f.rule != "talent-consent")
        out.append(RegisterRow(
            show=config.show or "", episode=config.episode or "", timeline=result.name,
            path=str(result.path or ""), track=item.track, clip=item.clip,
            record_in=item.record_in, record_out=item.record_out,
            duration=timecode(item.record_end - item.record_start, item.rate),
            media=item.media_url or "", tool=(tool.name or "") if tool else "",
            tool_version=(tool.version or "") if tool else "",
            tool_vendor=(tool.vendor or "") if tool else "",
            enterprise_secured=("yes" if vetted.enterprise else "no") if vetted else "unknown",
            purpose=prov.purpose or "", role=prov.role or "", inputs="; ".join(prov.inputs),
            talent="; ".join(talent), approvals="; ".join(a for a in approvals if a),
            verdict=item_result.verdict.label, stage=result.stage,
            sources="; ".join(prov.evidence),
            disclosure_label=label if isinstance(label, str) else "",
            consent_description="; ".join(described),
            synthetic_performer="yes" if synthetic else "no"))
    return out


def write_csv(register: Iterable[RegisterRow], out: TextIO) -> None:
    """CSV for a spreadsheet: every cell is quoted, and a cell a spreadsheet would run as a
    formula (starting with =, +, -, @, tab or CR) gets a leading apostrophe (OWASP's
    CSV injection advice): clip names and metadata come from the files checked."""
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(COLUMNS)
    for row in register:
        writer.writerow([inert(value) for value in dataclasses.astuple(row)])


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def inert(value: str) -> str:
    """A cell value a spreadsheet shows as text, never evaluates."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def write_json(register: Iterable[RegisterRow], out: TextIO, stage: str | None) -> None:
    document: dict[str, Any] = {
        "aigate_version": __version__, "schema": REGISTER_SCHEMA_VERSION,
        "kind": "disclosure-register", "stage": stage,
        "rows": [dataclasses.asdict(r) for r in register]}
    json.dump(document, out, indent=1)
    out.write("\n")


def write_html(register: list[RegisterRow], out: TextIO, stage: str | None) -> None:
    out.write('<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
              "<title>GenAI disclosure register</title><style>"
              "body{font:13px/1.4 system-ui,sans-serif;margin:24px}"
              "table{border-collapse:collapse;width:100%}"
              "th,td{border:1px solid #d8dbe0;padding:3px 6px;text-align:left;"
              "vertical-align:top}th{background:#eef0f3}"
              "td.lock{color:#c62828;font-weight:600}td.warn{color:#a56a00}"
              "@media print{*{print-color-adjust:exact}}</style></head><body>"
              f"<h1>GenAI disclosure register</h1><p>{len(register)} AI clip(s) · stage "
              f"{escape(stage or 'per timeline')} · aigate {escape(__version__)}</p><table>"
              "<thead><tr>" + "".join(f"<th>{escape(c.replace('_', ' '))}</th>"
                                       for c in COLUMNS) + "</tr></thead><tbody>")
    for row in register:
        out.write("<tr>" + "".join(
            f'<td class="{escape(row.verdict) if c == "verdict" else c}">'
            f"{escape(str(getattr(row, c)))}</td>" for c in COLUMNS) + "</tr>")
    out.write("</tbody></table></body></html>\n")
