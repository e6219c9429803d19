"""Versioned JSON (schemas/report-v1.schema.json): every clip of every subject."""

from __future__ import annotations

import json
import re
from typing import Any

import aigate
from aigate.api import (
    JSON_SCHEMA_VERSION,
    Finding,
    ItemResult,
    Report,
    ReportOptions,
    SubjectResult,
)


def _subject(result: SubjectResult) -> dict[str, Any]:
    return {
        "path": str(result.path) if result.path else None,
        "name": result.name,
        "host": result.host,
        "stage": result.stage,
        "policy": result.policy,
        "config": result.config,
        "as_of": result.as_of.isoformat() if result.as_of else None,
        # null: media required at final; else why not (provenance from the timeline alone)
        "media_not_required": result.timeline_only or None,
        "provenance_basis": result.provenance_basis or None,
        "verdict": result.verdict.label,
        "items": [_item(r) for r in result.items],
    }


def _item(result: ItemResult) -> dict[str, Any]:
    item = result.item
    return {
        "track": item.track,
        "track_kind": item.track_kind,
        "clip": item.clip,
        "index": item.index,
        "record_in": item.record_in,
        "record_out": item.record_out,
        "source_in": item.source_in,
        "source_out": item.source_out,
        "media": item.media_url,
        "ai": result.ai,
        "verdict": result.verdict.label,
        "evidence": list(result.provenance.evidence),
        "media_note": result.media_note,
        "findings": [_finding(f) for f in result.findings],
    }


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": finding.severity.label,
        "message": finding.message,
        "remediation": finding.remediation,
        "approval": finding.approval,
        "approver": finding.approver,
        "waived_from": finding.waived_from.label if finding.waived_from else None,
    }


def head(report: Report, options: ReportOptions) -> str:
    return (f'{{"aigate_version":{_dump(aigate.__version__)},'
            f'"schema":{JSON_SCHEMA_VERSION},"stage":{_dump(report.stage)},'
            f'"policy":{_dump(report.policy)},"subjects":[')


def subject(result: SubjectResult, options: ReportOptions) -> str:
    return _dump(_subject(result))


def tail(report: Report, options: ReportOptions) -> str:
    errors = [{"path": e.path, "message": e.message} for e in report.errors]
    pinned = f',"pinned":{_dump(report.pinned())}' if report.pinned else ""
    if report.excluded:
        pinned += ',"excluded":' + _dump([{"path": p, "pattern": g}
                                          for p, g in report.excluded.items()])
    return (f'],"errors":{_dump(errors)}{pinned},'
            f'"summary":{_dump(report.summary.counts())}}}\n')


def _dump(value: Any) -> str:
    """``json.dumps(value, separators=(",", ":"))``, byte for byte, about ten times faster:
    orjson encodes, then DEL and anything past ASCII is escaped as the standard library escapes it
    (\\uXXXX, lower-case hex, surrogate pairs past the BMP). What orjson refuses (a lone
    surrogate from an undecodable file name, a key that is not text, an integer past 64
    bits, a dataclass or date it would write and the standard library refuses) goes to
    the standard library. The report's numbers are integers (the schema has
    no other kind), which both write alike."""
    import orjson  # here, not at load: a text report never pays for it

    try:
        # what the standard library refuses, orjson must not quietly write
        encoded = orjson.dumps(value, option=orjson.OPT_PASSTHROUGH_DATACLASS
                               | orjson.OPT_PASSTHROUGH_DATETIME)
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value, separators=(",", ":"))
    if encoded.isascii() and b"\x7f" not in encoded:
        return encoded.decode("ascii")
    return _NON_ASCII.sub(_escape, encoded.decode("utf-8"))


#: what the standard library escapes besides what orjson does: DEL and past ASCII
_NON_ASCII = re.compile(r"[^\x00-\x7e]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xd800 | (code >> 10):04x}\\u{0xdc00 | (code & 0x3ff):04x}"
