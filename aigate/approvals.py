"""The approvals registry: written approvals and talent consents kept outside the timeline.

A timeline may *name* an approval, but only a record in this registry waives anything, and
only when it grants the rule (or its category), its scope covers the clip, and it is valid
on the evaluation date.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import globs
from .errors import InputError
from .model import Item, TalentUse
from .provenance import TALENT_USES
from .yamlfile import Section, load

RECORD_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class Scope:
    """What a written approval covers. Empty means nothing: coverage is always explicit."""

    clips: tuple[str, ...] = ()
    media: tuple[str, ...] = ()
    asset_ids: tuple[str, ...] = ()
    show: str | None = None
    episodes: tuple[str, ...] = ()

    def covers(self, item: Item, show: str | None) -> bool:
        if self.show and self.show != show:
            return False
        if any(fnmatch.fnmatchcase(item.clip, pattern) for pattern in self.clips):
            return True
        return bool(item.media_url) and any(globs.match(item.media_url, p) for p in self.media)


@dataclass(frozen=True, slots=True)
class Validity:
    issued: dt.date | None = None
    expires: dt.date | None = None

    def problem(self, as_of: dt.date) -> str | None:
        if self.issued and as_of < self.issued:
            return f"not valid before {self.issued.isoformat()}"
        if self.expires and as_of > self.expires:
            return f"expired on {self.expires.isoformat()}"
        return None


@dataclass(frozen=True)
class Approval:
    """A written approval: which rules or categories it grants, for which clips, by whom."""

    id: str
    grants: frozenset[str]
    scope: Scope
    approver: str
    validity: Validity
    source: Path
    notes: str = ""

    def grants_rule(self, rule: str, category: str) -> bool:
        return rule in self.grants or category in self.grants


@dataclass(frozen=True)
class Consent:
    """A talent's documented consent for some uses, in one production."""

    id: str
    talent: str
    uses: frozenset[str]
    production: str
    validity: Validity
    source: Path
    guild_ref: str | None = None

    def covers(self, talent: TalentUse, production: str | None) -> bool:
        return (self.talent.casefold() == talent.name.casefold() and talent.use in self.uses
                and self.production == production)


@dataclass
class Registry:
    """All records, by id. Build with :func:`load_registry`."""

    approvals: dict[str, Approval] = field(default_factory=dict)
    consents: dict[str, Consent] = field(default_factory=dict)
    origin: str | None = None

    def approval_for(self, rule: str, category: str, item: Item, show: str | None,
                     as_of: dt.date) -> Approval | None:
        for record in self.approvals.values():
            if (record.grants_rule(rule, category) and record.validity.problem(as_of) is None
                    and record.scope.covers(item, show)):
                return record
        return None

    def consent_for(self, talent: TalentUse, production: str | None,
                    as_of: dt.date) -> Consent | None:
        for record in self.consents.values():
            if record.covers(talent, production) and record.validity.problem(as_of) is None:
                return record
        return None

    def why_not_consent(self, talent: TalentUse, production: str | None,
                        as_of: dt.date) -> str | None:
        """Why no consent covers this talent use: the named or nearest record's mismatch."""
        if production is None:
            return "no production is configured ('show' in aigate.yaml), so no consent applies"
        named = self.consents.get(talent.consent) if talent.consent else None
        if talent.consent and named is None:
            return (f"consent {talent.consent!r} named in the timeline is not in the approvals "
                    "registry: not honoured")
        candidates = [named] if named else [
            c for c in self.consents.values() if c.talent.casefold() == talent.name.casefold()]
        for record in candidates:
            if record.talent.casefold() != talent.name.casefold():
                return f"consent {record.id!r} is for {record.talent}, not {talent.name}"
            if talent.use not in record.uses:
                return f"consent {record.id!r} does not cover use {talent.use!r}"
            if record.production != production:
                return (f"consent {record.id!r} covers production {record.production!r}, "
                        f"not {production!r}")
            problem = record.validity.problem(as_of)
            if problem:
                return f"consent {record.id!r} {problem}"
        return None

    def why_not(self, record_id: str, rule: str, category: str, item: Item, show: str | None,
                as_of: dt.date) -> str | None:
        """Why a record named in the timeline does not waive this finding (None: it would)."""
        record = self.approvals.get(record_id) or self.consents.get(record_id)
        if record is None:
            return f"approval {record_id!r} named in the timeline is not in the approvals " \
                   "registry: not honoured"
        problem = record.validity.problem(as_of)
        if problem:
            return f"approval {record_id!r} {problem}"
        if isinstance(record, Consent):
            return f"{record_id!r} is a talent consent, not a written approval for {rule}"
        if not record.grants_rule(rule, category):
            return f"approval {record_id!r} does not grant {rule}"
        if not record.scope.covers(item, show):
            return f"approval {record_id!r} does not cover this clip"
        return None


def load_registry(path: Path | None) -> Registry:
    """Read a registry from a YAML file or a folder of them (recursively)."""
    registry = Registry(origin=str(path) if path else None)
    if path is None:
        return registry
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in RECORD_SUFFIXES)
    elif path.is_file():
        files = [path]
    else:
        raise InputError(f"{path}: approvals registry not found")
    seen: dict[str, tuple[Path, Any]] = {}
    for file in files:
        data = load(file)
        entries = data if isinstance(data, list) else [data]
        for i, entry in enumerate(entries):
            line = data.item_lines[i] if isinstance(data, list) else 1
            record = Section(file, entry, f"record[{i}]" if isinstance(data, list) else "", line)
            _add(registry, _record(record), record, seen)
    return registry


def _add(registry: Registry, record: Approval | Consent, section: Section,
         seen: dict[str, tuple[Path, Any]]) -> None:
    previous = seen.get(record.id)
    if previous is not None:
        if previous[1] != section.data:
            section.fail(f"approval id {record.id!r} is also defined, differently, in "
                         f"{previous[0]}", "id")
        return
    seen[record.id] = (section.path, section.data)
    if isinstance(record, Approval):
        registry.approvals[record.id] = record
    else:
        registry.consents[record.id] = record


def _record(doc: Section) -> Approval | Consent:
    kind = doc.str("kind", "approval", choices=("approval", "consent"))
    record_id = doc.str("id")
    if not record_id:
        doc.fail("a record needs an 'id'")
    validity = Validity(_date(doc, "issued"), _date(doc, "expires"))
    if kind == "consent":
        doc.only("id", "kind", "talent", "uses", "production", "issued", "expires", "guild_ref",
                 "notes")
        uses = doc.strs("uses")
        for use in uses:
            if use not in TALENT_USES:
                doc.fail(f"uses: {use!r} is not one of {', '.join(TALENT_USES)}", "uses")
        talent, production = doc.str("talent"), doc.str("production")
        if not talent or not production or not uses:
            doc.fail(f"consent {record_id!r} needs 'talent', 'uses' and 'production'")
        return Consent(id=record_id, talent=talent, uses=frozenset(uses), production=production,
                       validity=validity, source=doc.path, guild_ref=doc.str("guild_ref"))
    doc.only("id", "kind", "grants", "scope", "approver", "issued", "expires", "notes")
    grants = doc.strs("grants")
    if not grants:
        doc.fail(f"approval {record_id!r} grants nothing (list rule ids or categories)")
    return Approval(id=record_id, grants=frozenset(grants), scope=_scope(doc),
                    approver=_approver(doc), validity=validity, source=doc.path,
                    notes=doc.str("notes") or "")


def _scope(doc: Section) -> Scope:
    section = doc.section("scope")
    if section is None:
        doc.fail(f"approval {doc.str('id')!r} has no 'scope': say which clips it covers")
    section.only("clips", "media", "asset_ids", "show", "episodes")
    return Scope(clips=section.strs("clips"), media=section.strs("media"),
                 asset_ids=section.strs("asset_ids"), show=section.str("show"),
                 episodes=tuple(str(e) for e in section.get("episodes", list, [])))


def _approver(doc: Section) -> str:
    value = doc.get("approver", (str, dict))
    if isinstance(value, Mapping):
        section = doc.section("approver")
        assert section is not None
        section.only("name", "role")
        name, role = section.str("name"), section.str("role")
        return f"{name} ({role})" if role else (name or "")
    if not value:
        doc.fail(f"approval {doc.str('id')!r} has no 'approver'")
    return value


def _date(doc: Section, key: str) -> dt.date | None:
    value = doc.get(key, (dt.date, str))
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        doc.fail(f"{key}: {value!r} is not a date (YYYY-MM-DD)", key)
