"""Approval requests drafted from findings (``aigate approvals request``): one unsigned
record per finding a written approval could waive, its scope pinned to the clip's media by
sha256 (and named by clip), its evidence the finding as the gate reported it. Legal edits
the approver, dates and conditions, then signs it (``aigate approvals sign``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from aigate.core.gate import Gate
from aigate.core.media import file_sha256
from aigate.model import Severity, SubjectResult


@dataclass(frozen=True, slots=True)
class Draft:
    """One requested approval: what it would grant, for which clip, and why it is asked."""

    id: str
    rule: str
    show: str | None
    clip: str
    track: str
    record_in: str
    record_out: str
    timeline: str
    path: str
    finding: str
    severity: str
    media: str | None
    media_sha256: str | None
    #: why the media could not be hashed (then the scope names the clip only)
    unhashed: str = ""

    def text(self) -> str:
        """The record as YAML, with comments saying what to do with it."""
        scope: dict[str, object] = {"show": self.show} if self.show else {}
        scope["clips"] = [self.clip]
        if self.media_sha256:
            scope["media_sha256"] = [self.media_sha256]
        record = {
            "id": self.id, "kind": "approval", "grants": [self.rule], "scope": scope,
            "approver": {"name": "", "role": ""}, "issued": None, "expires": None,
            "conditions": "",
            "evidence": {"timeline": self.timeline, "path": self.path, "track": self.track,
                         "clip": self.clip, "record_in": self.record_in,
                         "record_out": self.record_out, "media": self.media,
                         "finding": f"{self.severity} {self.rule}: {self.finding}"}}
        pinned = ("the scope is pinned to the clip's media by sha256: it covers this "
                  "media and nothing else, whatever the clip is called"
                  if self.media_sha256 else
                  f"the media could not be hashed ({self.unhashed}): the scope names the "
                  "clip only; pin it (media_sha256) before signing if you can")
        return ("# DRAFT approval requested by aigate from a finding: not honoured until an\n"
                "# approver fills in approver, issued, expires and conditions and signs it:\n"
                f"#   aigate approvals sign {self.id}.yaml --key APPROVER.key\n"
                f"# {pinned}\n"
                + yaml.safe_dump(record, sort_keys=False, allow_unicode=True, width=88))


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def drafts(result: SubjectResult, gate: Gate) -> list[Draft]:
    """A draft per unwaived finding of ``result`` that a written approval could waive
    (consent findings need a consent record instead; unwaivable rules need a fix)."""
    path = result.path or Path(result.name)
    resolver = gate.media_resolver(path.parent)
    policy = gate.policy.for_show(gate.config.show)
    out = []
    for clip in result.items:
        for finding in clip.findings:
            rule, setting = gate.rules.get(finding.rule), policy.rules.get(finding.rule)
            if finding.waived or finding.severity < Severity.WARN or rule is None \
                    or setting is None or not setting.waivable \
                    or rule.waived_by != "approval":
                continue
            media = resolver.resolve(clip.item.media_url) if clip.item.media_url else None
            digest = file_sha256(media.path) if media and media.readable and media.path \
                else None
            why = "" if digest else (media.detail or media.state if media else "no media")
            name = _UNSAFE.sub("-", f"REQ-{clip.item.clip}-{finding.rule}").strip("-")
            out.append(Draft(
                id=name, rule=finding.rule, show=gate.config.show, clip=clip.item.clip,
                track=clip.item.track, record_in=clip.item.record_in,
                record_out=clip.item.record_out, timeline=result.name, path=str(path),
                finding=finding.reason, severity=finding.severity.label,
                media=clip.item.media_url, media_sha256=digest, unhashed=why))
    return out
