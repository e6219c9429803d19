"""Versioned JSON (schemas/report-v1.schema.json): every clip of every subject."""

from __future__ import annotations

import json
from typing import Any

import aigate
from aigate.model import Finding, ItemResult, SubjectResult
from aigate.report import JSON_SCHEMA_VERSION, Report, ReportOptions


def _subject(result: SubjectResult) -> dict[str, Any]:
    return {
        "path": str(result.path) if result.path else None,
        "name": result.name,
        "host": result.host,
        "stage": result.stage,
        "policy": result.policy,
        "config": result.config,
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
    return f'],"errors":{_dump(errors)},"summary":{_dump(report.summary.counts())}}}\n'


def _dump(value: Any) -> str:
    # compact: the C encoder, several times faster than indent= on a 10,000-clip report
    return json.dumps(value, separators=(",", ":"))
