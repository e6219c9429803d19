"""The disclosure register (AI usage register) production legal sends the studio: one row
per AI clip, with where it is, what made it, why, under which approvals and consents, its
verdict at the stage and the rules and reasons behind it. Non-AI clips are not listed.

The columns are a declared list (:data:`COLUMNS`): each names what it shows and how to
work it out from an :class:`Entry` (a clip with what the gate knew of it), so a column is
added in one place. The formats that write a :class:`Register` (csv, json, html, or a
plugin's) are :class:`~aigate.core.formats.RegisterFormat` objects from the
``aigate_report_formats`` hook, like ``check``'s report formats.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from aigate.core.approvals import Approval, Consent
from aigate.core.gate import Gate
from aigate.core.policy import VettedTool
from aigate.model import ItemResult, Severity, SubjectResult, TalentUse, timecode
from aigate.output.report import Shade

REGISTER_SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class Entry:
    """One AI clip of one checked timeline, with what the gate knew of it: the material a
    register row is made of."""

    result: SubjectResult
    clip: ItemResult
    show: str = ""
    episode: str = ""
    #: the policy's entry for the clip's tool (None: not a vetted tool)
    vetted: VettedTool | None = None
    #: each talent use with the id of the consent on file for it (None: none)
    talent: tuple[tuple[TalentUse, str | None], ...] = ()
    #: the description of each talent use's consent, where it has one (SAG-AFTRA 2026)
    consent_descriptions: tuple[str, ...] = ()
    #: the file listed earlier in this register that holds the same cut (same timeline
    #: name) with this clip at the same place: the same cut exported in another format
    same_cut_as: str = ""
    #: the records that waived the clip's findings, and the key that signed each ('' unsigned)
    approvals: tuple[tuple[Approval, str], ...] = ()
    #: the consent records on file for the clip's talent uses
    consents: tuple[Consent, ...] = ()
    #: when the check ran (ISO 8601, UTC, to the second)
    checked_at: str = ""
    #: the policy and the sha256 of its pack files (see :func:`policy_sha256`)
    policy: str = ""
    policy_sha256: str = ""

    @property
    def shade(self) -> Shade:
        return Shade.of(self.clip)

    @property
    def deciding(self) -> list[str]:
        """The rules that set the clip's verdict (its findings at that severity)."""
        verdict = self.clip.verdict
        if verdict is Severity.PASS:
            return []
        return list(dict.fromkeys(f.rule for f in self.clip.findings
                                  if f.severity is verdict))


@dataclass(frozen=True, slots=True)
class Column:
    """One register column: its name (CSV header, JSON key, HTML heading with spaces) and
    how its cell is worked out. ``key`` columns stay in view in the HTML register."""

    name: str
    value: Callable[[Entry], str]
    key: bool = False

    @property
    def title(self) -> str:
        return self.name.replace("_", " ")


def _tool(part: str) -> Callable[[Entry], str]:
    def value(entry: Entry) -> str:
        tool = entry.clip.provenance.tool
        return (getattr(tool, part) or "") if tool else ""
    return value


def _enterprise(entry: Entry) -> str:
    if entry.vetted is None:
        return "unknown"  # not a vetted tool
    return "yes" if entry.vetted.enterprise else "no"


def _talent(entry: Entry) -> str:
    return "; ".join(f"{use.name} ({use.use.replace('_', ' ')}; consent "
                     f"{consent or 'none on file'})" for use, consent in entry.talent)


def _approvals(entry: Entry) -> str:
    ids = dict.fromkeys(f.approval for f in entry.clip.findings
                        if f.approval and f.rule != "talent-consent")
    return "; ".join(a for a in ids if a)


def _declared_text(entry: Entry, key: str) -> str:
    """A text the clip's own metadata declares under ``key`` (first found), or ''."""
    value = next((raw.get(key) for _, raw in entry.clip.item.declared
                  if isinstance(raw, dict) and raw.get(key)), None)
    return value if isinstance(value, str) else ""


def _reason(entry: Entry) -> str:
    """Why the verdict: each deciding rule's reason; at info, whether a record approved
    the clip or the policy allowed it."""
    clip, deciding = entry.clip, entry.deciding
    reasons = [f"{f.rule}: {f.reason}" for f in clip.findings
               if f.rule in deciding and f.severity is clip.verdict]
    if entry.shade is Shade.APPROVED:
        records = dict.fromkeys(f"{f.approval} ({f.approver})" for f in clip.findings
                                if f.waived)
        return f"approved: waived by {', '.join(records)}; " + "; ".join(reasons)
    if entry.shade is Shade.ALLOWED:
        return "allowed by policy (info; no approval): " + "; ".join(reasons)
    return "; ".join(reasons)


def _each_approval(entry: Entry, value: Callable[[Approval, str], str]) -> str:
    """One value per waiving record, in the order of the ``approvals`` column."""
    return "; ".join(value(a, key) for a, key in entry.approvals)


def _consents(entry: Entry) -> str:
    return "; ".join(
        f"{c.talent}: {c.id} ({', '.join(u.replace('_', ' ') for u in sorted(c.uses))}; "
        f"{'expires ' + str(c.validity.expires) if c.validity.expires else 'no expiry'})"
        for c in entry.consents)


#: the register's columns in CSV/JSON order (new columns go at the end, so a
#: spreadsheet reading columns by position keeps working)
COLUMNS: tuple[Column, ...] = (
    Column("show", lambda e: e.show),
    Column("episode", lambda e: e.episode),
    Column("timeline", lambda e: e.result.name),
    Column("path", lambda e: str(e.result.path or "")),
    Column("track", lambda e: e.clip.item.track),
    Column("clip", lambda e: e.clip.item.clip, key=True),
    Column("record_in", lambda e: e.clip.item.record_in),
    Column("record_out", lambda e: e.clip.item.record_out),
    Column("duration", lambda e: timecode(e.clip.item.record_end - e.clip.item.record_start,
                                          e.clip.item.rate, e.clip.item.drop_frame)),
    Column("media", lambda e: e.clip.item.media_url or ""),
    Column("tool", _tool("name")),
    Column("tool_version", _tool("version")),
    Column("tool_vendor", _tool("vendor")),
    Column("enterprise_secured", _enterprise),  # yes / no / unknown (not a vetted tool)
    Column("purpose", lambda e: e.clip.provenance.purpose or ""),
    Column("role", lambda e: e.clip.provenance.role or ""),
    Column("inputs", lambda e: "; ".join(e.clip.provenance.inputs)),
    Column("talent", _talent, key=True),
    Column("approvals", _approvals, key=True),
    Column("verdict", lambda e: e.clip.verdict.label, key=True),
    Column("stage", lambda e: e.result.stage),
    Column("sources", lambda e: "; ".join(e.clip.provenance.evidence)),
    Column("rules", lambda e: "; ".join(e.deciding)),
    Column("reason", _reason, key=True),
    Column("depicts_real_events",
           lambda e: "yes" if e.clip.provenance.depicts_real_events else "no"),
    Column("same_cut_as", lambda e: e.same_cut_as),
    # dated packs (EU AI Act Art. 50, SAG-AFTRA 2026): the disclosure label the clip
    # declares, its talent's consent descriptions, whether it is a synthetic performer
    Column("disclosure_label", lambda e: _declared_text(e, "disclosure_label")),
    Column("consent_description", lambda e: "; ".join(e.consent_descriptions)),
    Column("synthetic_performer", lambda e: "yes" if any(
        isinstance(raw, dict) and raw.get("synthetic_performer") is True
        for _, raw in e.clip.item.declared) else "no"),
    # what legal signs off: who approved, when, on what terms, signed by which key; the
    # consents on file; when and under which policy the check ran
    Column("approver", lambda e: _each_approval(e, lambda a, _: a.approver)),
    Column("approval_issued", lambda e: _each_approval(
        e, lambda a, _: str(a.validity.issued or "not stated"))),
    Column("approval_expires", lambda e: _each_approval(
        e, lambda a, _: str(a.validity.expires or "no expiry"))),
    Column("approval_conditions", lambda e: _each_approval(e, lambda a, _: a.notes or "none")),
    Column("signed_by", lambda e: _each_approval(e, lambda _, key: key or "unsigned")),
    Column("consents", _consents),
    Column("checked_at", lambda e: e.checked_at),
    Column("policy", lambda e: e.policy),
    Column("policy_sha256", lambda e: e.policy_sha256),
    # media: {required: false}: the show's provenance came from the timeline alone
    Column("provenance_basis", lambda e: e.result.provenance_basis),
)


@dataclass(frozen=True, slots=True)
class Register:
    """The register of a run: its entries in order (by timeline, then file, then record
    order), the stage asked for, and the columns to write."""

    entries: list[Entry]
    stage: str | None = None
    columns: tuple[Column, ...] = field(default=COLUMNS)

    def rows(self) -> Iterator[tuple[str, ...]]:
        """Each entry's cells, in column order."""
        for entry in self.entries:
            yield tuple(column.value(entry) for column in self.columns)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


#: an episode number in a file or timeline name: ep101, EP_101, e101, 101_ (three or four
#: digits standing alone), as productions name cuts
EPISODE_IN_NAME = re.compile(r"(?i)(?:^|[^a-z0-9])(?:ep|e)[ _.-]?(\d{1,4})(?![0-9])"
                             r"|(?:^|[^a-z0-9])(\d{3,4})(?=[ _.-])")


def episode(result: SubjectResult, configured: str | None) -> str:
    """The episode of a checked timeline: aigate.yaml's ``episode``, else the timeline's
    metadata ``aigate.episode``, else a number in the timeline's or file's name
    (:data:`EPISODE_IN_NAME`); when none says, the cell says so."""
    if configured:
        return configured
    if result.episode:
        return f"{result.episode} (timeline metadata)"
    for name in (result.path.name if result.path else "", result.name):
        found = EPISODE_IN_NAME.search(name)
        if found:
            return f"{found.group(1) or found.group(2)} (from the name)"
    return "unknown: no episode in aigate.yaml, timeline metadata or name"


def policy_sha256(files: Iterable[str]) -> str:
    """sha256 over the policy's pack files, base first: each file's sha256 and a newline.
    A pack whose file cannot be read gives its path's hash line as ``unreadable``."""
    digest = hashlib.sha256()
    for name in files:
        try:
            part = hashlib.sha256(Path(name).read_bytes()).hexdigest()
        except OSError:
            part = "unreadable"
        digest.update(f"{part}\n".encode())
    return digest.hexdigest()


def entries(result: SubjectResult, gate: Gate, checked_at: dt.datetime | None = None
            ) -> list[Entry]:
    """An entry per AI clip of one checked timeline, in record order. ``checked_at``: when
    the check ran (default: now)."""
    config, policy = gate.config, gate.policy.for_show(gate.config.show)
    when = (checked_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    common = {"show": config.show or "", "episode": episode(result, config.episode),
              "checked_at": when.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
              "policy": policy.name, "policy_sha256": policy_sha256(policy.files)}
    out = []
    for item_result in sorted(result.items, key=lambda r: r.item.record_start):
        if not item_result.ai:
            continue
        prov = item_result.provenance
        talent, described, consents = [], [], []
        for use in prov.talent:
            consent = gate.registry.consent_for(use, config.show, gate.as_of)
            talent.append((use, consent.id if consent else None))
            if consent:
                consents.append(consent)
            if consent and consent.description:
                described.append(f"{use.name}: {consent.description}")
        waived_by = dict.fromkeys(f.approval for f in item_result.findings
                                  if f.approval and f.rule != "talent-consent")
        approvals = tuple((gate.registry.approvals[a], gate.registry.signers.get(a, ""))
                          for a in waived_by if a in gate.registry.approvals)
        out.append(Entry(result=result, clip=item_result, vetted=policy.vetted(prov.tool),
                         talent=tuple(talent), consent_descriptions=tuple(described),
                         approvals=approvals, consents=tuple(dict.fromkeys(consents)),
                         **common))
    return out


def register(found: Iterable[Entry], stage: str | None) -> Register:
    """The entries sorted by timeline and file (record order kept within each), with the
    rows of a cut exported in several formats marked: a clip of a timeline already listed
    under the same name, at the same place, from another file says which file."""
    ordered = sorted(found, key=lambda e: (e.result.name, str(e.result.path or "")))
    first: dict[tuple[str, str, float, float], str] = {}
    origins: dict[int, float] = {}
    marked = []
    for entry in ordered:
        item, path = entry.clip.item, str(entry.result.path or "")
        # from the cut's first frame: an EDL restarts record time at 0 (CMX keeps no start)
        origin = origins.get(id(entry.result))
        if origin is None:
            origin = origins[id(entry.result)] = min(
                r.item.record_start for r in entry.result.items)
        where = (entry.result.name, item.clip, round((item.record_start - origin) / item.rate, 3),
                 round((item.record_end - origin) / item.rate, 3))
        seen = first.setdefault(where, path)
        marked.append(replace(entry, same_cut_as=seen) if seen != path else entry)
    return Register(marked, stage)
