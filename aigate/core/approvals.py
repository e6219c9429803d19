"""The approvals registry: written approvals and talent consents kept outside the timeline.

A timeline may *name* an approval, but only a record in this registry waives anything, and
only when it is honoured (signed by a trusted key where the policy requires signatures; its
scope explicit), grants the rule or its category, is valid on the evaluation date and its
scope covers the clip. Coverage is decided by the strongest identity the record names
(media sha256, then asset id, then media path, then clip name) alone: when the clip's value
for it is unknown, the record does not cover the clip (never a fallback to a weaker one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigate.config import globs
from aigate.config.yamlfile import Section, load
from aigate.core.media import Media, media_key
from aigate.core.provenance import TALENT_USES
from aigate.errors import InputError
from aigate.model import Claim, TalentUse, Trust
from aigate.trust import signing

RECORD_SUFFIXES = (".yaml", ".yml")


@dataclass(slots=True)
class ClipIdentity:
    """What an approval scope can match a clip by, strongest first.

    Only what the gate can vouch for is an identity: the media file's sha256 (worked out by
    the gate), asset ids stated by trusted sources (the ledger found by sha256 or path, a
    trusted C2PA manifest), the media reference and the clip name. An asset id typed into the
    clip's metadata is kept in ``claimed_asset_id`` to be named in findings, never matched.
    """

    clip: str
    media: str | None = None
    #: asset ids from trusted sources (every one must be in a scope that pins asset ids)
    asset_ids: tuple[str, ...] = ()
    #: an asset id only the clip's own (untrusted) metadata states
    claimed_asset_id: str | None = None
    #: the media file's sha256, worked out only if a record asks (None: cannot be read)
    hasher: Callable[[], str | None] = lambda: None
    #: why the media cannot be hashed, when it cannot (missing, outside the roots, remote)
    media_note: str = ""
    _sha256: str | None = field(default=None, repr=False)
    _hashed: bool = field(default=False, repr=False)

    def sha256(self) -> str | None:
        if not self._hashed:
            self._sha256, self._hashed = self.hasher(), True
        return self._sha256

    def unhashable(self) -> str:
        """Why the media's sha256 is unknown, for the finding."""
        if self.media_note:
            return self.media_note
        return "no media reference" if not self.media else "the media cannot be read"


@dataclass(frozen=True, slots=True)
class Scope:
    """What a written approval covers. Empty covers nothing: coverage is always explicit.

    The strongest identity the scope names decides alone: a scope that pins media sha256
    does not cover a clip whose media cannot be hashed, whatever its name; a scope that pins
    asset ids does not cover a clip no trusted source gives an asset id. Weaker identities
    in the same scope are never a fallback.
    """

    clips: tuple[str, ...] = ()
    media: tuple[str, ...] = ()
    asset_ids: tuple[str, ...] = ()
    media_sha256: tuple[str, ...] = ()
    show: str | None = None
    episodes: tuple[str, ...] = ()
    all_clips: bool = False

    def match(self, clip: ClipIdentity, show: str | None,
              episode: str | None) -> tuple[bool, str]:
        """(covered, by what or why not)."""
        if self.show and self.show != show:
            return False, f"is for show {self.show!r}, not {show!r}"
        if not self.applies(show, episode):
            return False, f"is for episode(s) {', '.join(self.episodes)}, not {episode!r}"
        if self.all_clips:
            return True, "every clip (blanket approval)"
        if self.media_sha256:
            digest = clip.sha256()
            if digest is None:
                return False, (f"pins media sha256 and the clip's media cannot be hashed "
                               f"({clip.unhashable()}), so it does not cover the clip")
            if digest in self.media_sha256:
                return True, "media sha256"
            return False, "covers other media (the clip's media sha256 differs)"
        if self.asset_ids:
            if not clip.asset_ids:
                claimed = (f"; the asset id {clip.claimed_asset_id!r} in the clip's metadata "
                           "is a claim, not an identity" if clip.claimed_asset_id else "")
                return False, ("pins asset ids and no trusted source (the ledger by sha256 or "
                               "path, trusted Content Credentials) gives the clip one, so it "
                               f"does not cover the clip{claimed}")
            if all(a in self.asset_ids for a in clip.asset_ids):
                return True, "asset id"
            return False, f"covers other assets, not {', '.join(map(repr, clip.asset_ids))}"
        if self.media:
            if not clip.media:
                return False, "pins media paths and the clip has no media reference"
            if any(globs.match(clip.media, p) for p in self.media):
                return True, "media path"
            return False, "covers other media paths"
        if any(globs.match_name(clip.clip, p) for p in self.clips):
            return True, "clip name"
        return False, "does not cover this clip"

    def applies(self, show: str | None, episode: str | None) -> bool:
        """True when the show and episode the scope narrows to are this check's."""
        return (not self.show or self.show == show) and (
            not self.episodes or episode in self.episodes)

    def blankets(self) -> list[str]:
        """The scope's globs that cover every clip or every path (see :func:`globs.blanket`);
        a record with any is honoured only with ``all_clips: true``."""
        return [*(p for p in self.clips if globs.blanket(p, globs.CLIPS)),
                *(p for p in self.media if globs.blanket(p, globs.MEDIA))]

    def weaker_match(self, clip: ClipIdentity) -> str | None:
        """The weaker identity this scope also names that the clip has (so a reader can see
        why a record that seems to fit does not), or None."""
        if self.asset_ids and clip.claimed_asset_id in self.asset_ids:
            return "the asset id its metadata claims"
        if self.media and clip.media and any(globs.match(clip.media, p) for p in self.media):
            return "media path"
        if any(globs.match_name(clip.clip, p) for p in self.clips):
            return "clip name"
        return None


@dataclass(frozen=True, slots=True)
class Validity:
    issued: dt.date | None = None
    expires: dt.date | None = None

    def problem(self, as_of: dt.date) -> str | None:
        if self.issued and as_of < self.issued:
            return f"is not valid before {self.issued.isoformat()}"
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
    approver_name: str
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
    #: what the talent consented to, described specifically (SAG-AFTRA: a reasonably
    #: specific description of each digital replica use)
    description: str = ""

    def covers(self, talent: TalentUse, production: str | None) -> bool:
        return (self.talent.casefold() == talent.name.casefold() and talent.use in self.uses
                and self.production == production)


Record = Approval | Consent


@dataclass
class Registry:
    """Records by id: honoured ones, and rejected ones with the reason (so findings can say
    exactly why a record did not count). Build with :func:`load_registry`."""

    approvals: dict[str, Approval] = field(default_factory=dict)
    consents: dict[str, Consent] = field(default_factory=dict)
    rejected: dict[str, tuple[Record, str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    origin: str | None = None
    #: why a folder or record of the registry can be rewritten by anyone (warned; refused
    #: at final)
    exposures: list[str] = field(default_factory=list)
    #: ids that waived at least one finding in this run (for `aigate approvals unused`)
    used: set[str] = field(default_factory=set)
    #: the fingerprint of the trusted key that signed each honoured signed record, by id
    signers: dict[str, str] = field(default_factory=dict)

    def records(self) -> list[Record]:
        return [*self.approvals.values(), *self.consents.values(),
                *(r for r, _ in self.rejected.values())]

    def approval_for(self, rule: str, category: str, clip: ClipIdentity, show: str | None,
                     episode: str | None, as_of: dt.date) -> tuple[Approval, str] | None:
        """The honoured record that waives this finding, and by which identity."""
        for record in self.approvals.values():
            if record.grants_rule(rule, category) and record.validity.problem(as_of) is None:
                covered, by = record.scope.match(clip, show, episode)
                if covered:
                    self.used.add(record.id)
                    return record, by
        return None

    def consent_for(self, talent: TalentUse, production: str | None,
                    as_of: dt.date) -> Consent | None:
        for record in self.consents.values():
            if record.covers(talent, production) and record.validity.problem(as_of) is None:
                self.used.add(record.id)
                return record
        return None

    def why_not(self, rule: str, category: str, clip: ClipIdentity, show: str | None,
                episode: str | None, as_of: dt.date, named: Iterable[str]) -> str | None:
        """Why no record waived this finding: the ids the timeline named, and any record
        that grants the rule and names this clip but does not count."""
        reasons = []
        for record_id in dict.fromkeys(named):
            record = self.approvals.get(record_id) or self.consents.get(record_id)
            if record is None and record_id in self.rejected:
                record, why = self.rejected[record_id]
                reasons.append(f"approval {record_id!r} is not honoured: {why}")
            elif record is None:
                reasons.append(f"approval {record_id!r} named in the timeline is not in the "
                               "approvals registry: not honoured")
            elif isinstance(record, Consent):
                reasons.append(f"{record_id!r} is a talent consent, not a written approval "
                               f"for {rule}")
            elif not record.grants_rule(rule, category):
                reasons.append(f"approval {record_id!r} does not grant {rule}")
            else:
                reasons.append(self._mismatch(record, clip, show, episode, as_of))
        for record, why in self.rejected.values():
            if (isinstance(record, Approval) and record.id not in named
                    and record.grants_rule(rule, category)
                    and record.scope.match(clip, show, episode)[0]):
                reasons.append(f"approval {record.id!r} is not honoured: {why}")
        for record in self.approvals.values():
            if record.id not in named and record.grants_rule(rule, category):
                problem = record.validity.problem(as_of)
                covered, why = record.scope.match(clip, show, episode)
                if problem and covered:
                    reasons.append(f"approval {record.id!r} {problem}")
                elif (not problem and not covered and record.scope.applies(show, episode)
                      and record.scope.weaker_match(clip)):
                    # it names this clip by a weaker identity: say why that does not count
                    reasons.append(f"approval {record.id!r} {why}")
        return "; ".join(r for r in reasons if r) or None

    def _mismatch(self, record: Approval, clip: ClipIdentity, show: str | None,
                  episode: str | None, as_of: dt.date) -> str:
        problem = record.validity.problem(as_of)
        if problem:
            return f"approval {record.id!r} {problem}"
        covered, why = record.scope.match(clip, show, episode)
        return "" if covered else f"approval {record.id!r} {why}"

    def why_not_consent(self, talent: TalentUse, production: str | None,
                        as_of: dt.date) -> str | None:
        """Why no consent covers this talent use: the named or nearest record's mismatch."""
        if production is None:
            return "no production is configured ('show' in aigate.yaml), so no consent applies"
        if talent.consent and talent.consent in self.rejected:
            return f"consent {talent.consent!r} is not honoured: {self.rejected[talent.consent][1]}"
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
        for rejected, why in self.rejected.values():
            if isinstance(rejected, Consent) and rejected.covers(talent, production):
                return f"consent {rejected.id!r} is not honoured: {why}"
        return None


def load_registry(path: Path | None, trusted: Iterable[signing.TrustedKey] = (),
                  require_signed: bool = False) -> Registry:
    """Read a registry from a YAML file or a folder of them (recursively).

    Records that are unsigned where signatures are required, signed by an untrusted key,
    changed after signing, signed by another approver's key, or with a blanket scope glob
    (one that matches every clip or path, whatever its spelling) without ``all_clips: true``
    are kept as rejected, with the reason. Honoured blankets are announced in ``warnings``.
    """
    registry = Registry(origin=str(path) if path else None)
    if path is None:
        return registry
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in RECORD_SUFFIXES)
    elif path.is_file():
        files = [path]
    else:
        raise InputError(f"{path}: approvals registry not found")
    for part in [path, *(f for f in files), *(p for p in path.rglob("*") if p.is_dir())] \
            if path.is_dir() else [path]:
        said = signing.exposure(part, "the approvals registry")
        if said and said not in registry.exposures:
            registry.exposures.append(said)
    registry.warnings += registry.exposures
    keys = {k.fingerprint: k for k in trusted}
    seen: dict[str, tuple[Path, Any]] = {}
    for file in files:
        data = load(file)
        entries = data if isinstance(data, list) else [data]
        for i, entry in enumerate(entries):
            line = getattr(data, "item_lines", [1] * len(entries))[i] \
                if isinstance(data, list) else 1
            section = Section(file, entry, f"record[{i}]" if isinstance(data, list) else "",
                              line)
            record = parse_record(section)
            previous = seen.get(record.id)
            if previous is not None:
                if previous[1] != section.data:
                    section.fail(f"approval id {record.id!r} is also defined, differently, "
                                 f"in {previous[0]}", "id")
                continue
            seen[record.id] = (file, section.data)
            _admit(registry, record, section.data, keys, require_signed)
    return registry


def _admit(registry: Registry, record: Record, data: dict[str, Any],
           keys: dict[str, signing.TrustedKey], require_signed: bool) -> None:
    reason = None
    signer = None
    if signing.SIGNATURE_KEY in data or require_signed:
        signer, reason = signing.check(data, keys)
        if signer is not None and isinstance(record, Approval) and \
                signer.identity.casefold() != record.approver_name.casefold():
            reason = (f"signed with {signer.identity}'s key but names approver "
                      f"{record.approver_name!r}")
        elif signer is not None and isinstance(record, Approval) and not record.scope.show:
            # the signature covers the record; without a show in it, a copy in another
            # show's registry that trusts the same signer would count there too
            reason = ("a signed approval must name its show (scope: {show: ...}): the "
                      "signature binds the record to that production")
    if reason is None and isinstance(record, Approval):
        blanket = record.scope.blankets()
        if blanket and not record.scope.all_clips:
            reason = (f"scope {blanket[0]!r} covers every clip; a blanket approval must say "
                      "all_clips: true")
        elif record.scope.all_clips or blanket:
            registry.warnings.append(
                f"{record.source}: approval {record.id!r} is a BLANKET approval: it covers "
                f"every clip{' of show ' + record.scope.show if record.scope.show else ''} "
                f"for {', '.join(sorted(record.grants))}")
    if reason is not None:
        registry.rejected[record.id] = (record, reason)
        registry.warnings.append(not_honoured(record, reason))
    elif isinstance(record, Approval):
        registry.approvals[record.id] = record
    else:
        registry.consents[record.id] = record
    if reason is None and signer is not None:
        registry.signers[record.id] = signer.fingerprint


def not_honoured(record: Record, reason: str) -> str:
    """The warning a rejected record gives (once: ``approvals verify`` lists it instead)."""
    return f"{record.source}: {record.id!r} is not honoured: {reason}"


@dataclass(frozen=True, slots=True)
class RecordStatus:
    """One record as ``aigate approvals verify`` reports it: None for ``problem`` when the
    record is honoured."""

    record: Record
    problem: str | None


def verify_registry(registry: Registry) -> tuple[list[RecordStatus], list[str]]:
    """Every record with why it is not honoured (None when it is), in file order, and the
    registry's other warnings (blanket approvals): a rejection is said once, in its status."""
    statuses = [RecordStatus(r, registry.rejected[r.id][1] if r.id in registry.rejected
                             else None)
                for r in sorted(registry.records(), key=lambda r: (str(r.source), r.id))]
    told = {not_honoured(r, reason) for r, reason in registry.rejected.values()}
    return statuses, [w for w in registry.warnings if w not in told]


#: what ``aigate approvals list`` says of a record
RECORD_STATUSES = ("valid", "expired", "not_yet_valid", "unsigned", "bad_signature",
                   "rejected", "unused")


def record_status(registry: Registry, record: Record, as_of: dt.date) -> str:
    """One of :data:`RECORD_STATUSES` but ``unused`` (which needs a run): a rejected record
    by why (no signature where one is required, a signature that does not hold, or another
    reason such as a blanket scope), an honoured one by its dates."""
    rejected = registry.rejected.get(record.id)
    if rejected is not None:
        reason = rejected[1]
        if reason == "unsigned":
            return "unsigned"
        return "bad_signature" if "sign" in reason else "rejected"
    if record.validity.expires and as_of > record.validity.expires:
        return "expired"
    if record.validity.issued and as_of < record.validity.issued:
        return "not_yet_valid"
    return "valid"


def scope_summary(record: Record) -> str:
    """A record's coverage in one line: the show, episodes and what identifies the clips."""
    if isinstance(record, Consent):
        return (f"{record.talent}: {', '.join(sorted(record.uses))} in {record.production}")
    scope = record.scope
    parts = [f"show {scope.show}" if scope.show else "any show"]
    if scope.episodes:
        parts.append(f"episodes {', '.join(scope.episodes)}")
    if scope.all_clips:
        parts.append("every clip (blanket)")
    for name, values in (("media_sha256", [v[:12] for v in scope.media_sha256]),
                         ("asset_ids", scope.asset_ids), ("media", scope.media),
                         ("clips", scope.clips)):
        if values:
            parts.append(f"{name} {', '.join(values)}")
    return "; ".join(parts)


def unused_records(registries: Iterable[Registry]) -> tuple[list[Record], int]:
    """Records that waived nothing in the run the ``registries`` served (their ``used``
    is filled while checking), by id, and how many records there were in all."""
    registries = list(registries)
    used = set().union(*(r.used for r in registries))
    records = {r.id: r for registry in registries for r in registry.records()}
    return [records[i] for i in sorted(records) if i not in used], len(records)


def parse_record(doc: Section) -> Record:
    """One approval or consent record; schema errors name file, line and key."""
    kind = doc.text("kind", "approval", choices=("approval", "consent"))
    record_id = doc.text("id")
    if not record_id:
        doc.fail("a record needs an 'id'")
    validity = Validity(_date(doc, "issued"), _date(doc, "expires"))
    if kind == "consent":
        doc.only("id", "kind", "talent", "uses", "production", "issued", "expires", "guild_ref",
                 "notes", "description", signing.SIGNATURE_KEY)
        uses = doc.strs("uses")
        for use in uses:
            if use not in TALENT_USES:
                doc.fail(f"uses: {use!r} is not one of {', '.join(TALENT_USES)}", "uses")
        talent, production = doc.text("talent"), doc.text("production")
        if not talent or not production or not uses:
            doc.fail(f"consent {record_id!r} needs 'talent', 'uses' and 'production'")
        return Consent(id=record_id, talent=talent, uses=frozenset(uses), production=production,
                       validity=validity, source=doc.path, guild_ref=doc.text("guild_ref"),
                       description=doc.text("description") or "")
    doc.only("id", "kind", "grants", "scope", "approver", "issued", "expires", "notes",
             "conditions", "evidence", signing.SIGNATURE_KEY)
    grants = doc.strs("grants")
    if not grants:
        doc.fail(f"approval {record_id!r} grants nothing (list rule ids or categories)")
    name, approver = _approver(doc, record_id)
    return Approval(id=record_id, grants=frozenset(grants), scope=_scope(doc, record_id),
                    approver=approver, approver_name=name, validity=validity,
                    source=doc.path, notes=doc.text("notes") or doc.text("conditions") or "")


def _scope(doc: Section, record_id: str) -> Scope:
    section = doc.section("scope")
    if section is None:
        doc.fail(f"approval {record_id!r} has no 'scope': say which clips it covers")
    section.only("clips", "media", "asset_ids", "media_sha256", "show", "episodes",
                 "all_clips")
    episodes = section.get("episodes", (list, str, int), [])
    episodes = episodes if isinstance(episodes, list) else [episodes]
    return Scope(clips=section.strs("clips"), media=section.strs("media"),
                 asset_ids=section.strs("asset_ids"),
                 media_sha256=tuple(s.lower() for s in section.strs("media_sha256")),
                 show=section.text("show"), episodes=tuple(str(e) for e in episodes),
                 all_clips=section.flag("all_clips", False))


def _approver(doc: Section, record_id: str) -> tuple[str, str]:
    """(name, display form)."""
    value = doc.get("approver", (str, dict))
    if isinstance(value, dict):
        section = doc.section("approver")
        assert section is not None
        section.only("name", "role")
        name, role = section.text("name"), section.text("role")
        if not name:
            section.fail(f"approval {record_id!r}: approver needs a 'name'")
        return name, f"{name} ({role})" if role else name
    if not value:
        doc.fail(f"approval {record_id!r} has no 'approver'")
    return value, value


def _date(doc: Section, key: str) -> dt.date | None:
    value = doc.get(key, (dt.date, str))
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        doc.fail(f"{key}: {value!r} is not a date (YYYY-MM-DD)", key)


def identity(clip: str, media: Media, claims: Iterable[Claim],
             hasher: Callable[[Media], str | None]) -> ClipIdentity:
    """A clip's identity for scope matching (its media hashed only when the gate may read
    it, and only if a record asks). Asset ids count only from trusted claims."""
    claims = tuple(claims)
    trusted = tuple(dict.fromkeys(c.asset_id for c in claims
                                  if c.asset_id and c.trust is Trust.TRUSTED))
    claimed = next((c.asset_id for c in claims
                    if c.asset_id and c.trust is not Trust.TRUSTED), None)
    return ClipIdentity(clip=clip, media=media_key(media), asset_ids=trusted,
                        claimed_asset_id=claimed, hasher=lambda: hasher(media),
                        media_note=media.detail)
