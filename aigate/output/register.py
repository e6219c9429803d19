"""The disclosure register (AI usage register) production legal sends the studio: one row
per AI clip, with where it is, what made it, why, under which approvals and consents, its
verdict at the stage and the rules and reasons behind it. Non-AI clips are not listed.

The columns are a declared list (:data:`COLUMNS`): each names what it shows and how to
work it out from an :class:`Entry` (a clip with what the gate knew of it), so a column is
added in one place. The formats that write a :class:`Register` (csv, json, html, or a
plugin's) are :class:`~aigate.output.report.RegisterFormat` objects from the
``aigate_report_formats`` hook, like ``check``'s report formats.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

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
                                          e.clip.item.rate)),
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


def entries(result: SubjectResult, gate: Gate) -> list[Entry]:
    """An entry per AI clip of one checked timeline, in record order."""
    config, policy = gate.config, gate.policy.for_show(gate.config.show)
    out = []
    for item_result in sorted(result.items, key=lambda r: r.item.record_start):
        if not item_result.ai:
            continue
        prov = item_result.provenance
        talent, described = [], []
        for use in prov.talent:
            consent = gate.registry.consent_for(use, config.show, gate.as_of)
            talent.append((use, consent.id if consent else None))
            if consent and consent.description:
                described.append(f"{use.name}: {consent.description}")
        out.append(Entry(result=result, clip=item_result, show=config.show or "",
                         episode=config.episode or "", vetted=policy.vetted(prov.tool),
                         talent=tuple(talent), consent_descriptions=tuple(described)))
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
