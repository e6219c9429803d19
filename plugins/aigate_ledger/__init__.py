"""Provenance from the studio's asset ledger (``ledger:`` in aigate.yaml): a YAML or CSV
register of assets keyed by media sha256, asset id, or media path glob, carrying the
metadata contract v1 fields. The studio keeps it, so an entry found by the media's sha256
or path is ``trusted`` and its asset id is the clip's identity for approval scopes; an entry
found only by the asset id the clip's own metadata claims is no more than that claim.

YAML::

    aigate_ledger: 1
    assets:
      - {asset_id: NF-0042, media: "**/TEMP_MUSIC_*.wav", generated: true,
         tool: {name: Stable Audio, vendor: Stability AI}, purpose: temp}

CSV: a header row with asset_id, media, sha256 and any of generated, digital_source_type,
tool, tool_vendor, tool_version, purpose, role, inputs (``;``-separated), notes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from aigate.api import (
    CheckContext,
    Claim,
    InputError,
    Item,
    Media,
    Section,
    Trust,
    from_other_media,
    glob_match,
    hookimpl,
    media_spellings,
    parse_contract,
)

KEYS = ("asset_id", "media", "sha256")
CONTRACT = ("generated", "digital_source_type", "tool", "purpose", "role", "inputs", "talent",
            "depicts_real_events", "approvals", "notes", "v")


@dataclass(frozen=True, slots=True)
class Entry:
    asset_id: str | None
    media: str | None
    sha256: str | None
    claim: Claim


@dataclass(frozen=True, slots=True)
class Ledger:
    """The ledger's entries, indexed by the keys clips are matched by."""

    entries: tuple[Entry, ...]
    by_sha256: dict[str, Entry]
    by_asset_id: dict[str, Entry]
    globbed: tuple[Entry, ...]

    @classmethod
    def of(cls, entries: tuple[Entry, ...]) -> Ledger:
        by_sha256: dict[str, Entry] = {}
        by_asset_id: dict[str, Entry] = {}
        for entry in entries:  # the first entry of a key wins, as it is listed
            if entry.sha256:
                by_sha256.setdefault(entry.sha256, entry)
            if entry.asset_id:
                by_asset_id.setdefault(entry.asset_id, entry)
        return cls(entries, by_sha256, by_asset_id, tuple(e for e in entries if e.media))


@hookimpl
def aigate_claims(items: Sequence[Item], context: CheckContext) -> Iterator[tuple[int, Claim]]:
    """The entries that describe each clip. Found by the media file's sha256 or its path,
    an entry is the studio's trusted word, and its asset id is the clip's identity. Found
    only by the asset id the clip's own metadata claims, it is no more than that claim: it
    may add concerns (the merge is monotone) but its asset id is not an identity, and a
    clip whose media is not that entry's file (sha256 differs) is a provenance problem."""
    path = context.config.ledger
    if path is None:
        return
    try:
        stat = path.stat()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the ledger: {exc.strerror or exc}") from None
    # the whole stat keys the parsed ledger: a same-size edit with its mtime put back
    # still changes the inode's ctime
    ledger = load(path, stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns)
    for index, item in enumerate(items):
        media = context.media(item)
        digest = context.sha256(media) if ledger.by_sha256 else None
        found = []
        if digest and digest in ledger.by_sha256:
            found.append(ledger.by_sha256[digest])
        if item.media_url:
            spellings = media_spellings(media)
            by_path = next((e for e in ledger.globbed
                            if any(glob_match(s, e.media or "") for s in spellings)), None)
            if by_path is not None and by_path not in found:
                found.append(by_path)
        for entry in found:
            by_digest = entry is ledger.by_sha256.get(digest or "")
            if not by_digest and entry.sha256 and digest != entry.sha256:
                # found by path, but the entry pins a file and this is not it (or cannot be
                # hashed): a swapped or unreadable file gets no identity from the ledger
                why = ("its media cannot be hashed" if digest is None
                       else "its media is not that file (sha256 differs from the ledger's)")
                yield index, replace(entry.claim, asset_id=None, problems=(
                    *entry.claim.problems,
                    f"the ledger's entry for {entry.media!r} pins a sha256, but {why}"))
                continue
            # a path names an asset only where the file is: a reference to media that
            # cannot be read is no more than the timeline's word
            named = by_digest or media.readable
            yield index, replace(entry.claim, asset_id=entry.asset_id if named else None)
        claimed = _claimed_asset_id(item)
        by_claim = ledger.by_asset_id.get(claimed) if claimed else None
        if claimed and by_claim is not None and by_claim not in found:
            yield index, _by_claim(by_claim, claimed, digest)
        if item.other_media or item.sequence:  # other media and frames: their entries add concerns
            for other in context.other_media(item):
                for entry in _entries(ledger, other, context):
                    if entry not in found:
                        yield index, from_other_media(entry.claim, other.url)


def _entries(ledger: Ledger, media: Media, context: CheckContext) -> list[Entry]:
    """The entries a media file matches, by its sha256 and by its path."""
    digest = context.sha256(media) if ledger.by_sha256 else None
    found = [ledger.by_sha256[digest]] if digest and digest in ledger.by_sha256 else []
    if media.url:
        spellings = media_spellings(media)
        by_path = next((e for e in ledger.globbed
                        if any(glob_match(s, e.media or "") for s in spellings)), None)
        if by_path is not None and by_path not in found:
            found.append(by_path)
    return found


def _claimed_asset_id(item: Item) -> str | None:
    # the clip's and its playing media's word: another reference's names other media
    return next((raw["asset_id"] for where, raw in item.declared
                 if isinstance(raw, dict) and isinstance(raw.get("asset_id"), str)
                 and raw["asset_id"] and not where.startswith("media_reference:")), None)


def _by_claim(entry: Entry, claimed: str, digest: str | None) -> Claim:
    """An entry reached only through the asset id the clip claims: claimed trust, no
    identity, and a problem when the clip's media is provably not that asset's file."""
    problems = entry.claim.problems
    if entry.sha256 and digest is not None and digest != entry.sha256:
        problems = (*problems, f"the clip claims asset id {claimed!r}, but its media is not "
                               "that asset's file (sha256 differs from the ledger's)")
    return replace(entry.claim, trust=Trust.CLAIMED, asset_id=None, problems=problems,
                   detail=f"{entry.claim.detail}, found only by the asset id {claimed!r} "
                          "the clip claims")


@lru_cache(maxsize=4)
def load(path: Path, size: int, mtime_ns: int, inode: int = 0, ctime_ns: int = 0) -> Ledger:
    """The ledger's entries (re-read when the file changes: its stat is the key)."""
    if path.suffix.lower() == ".csv":
        return Ledger.of(tuple(_csv(path)))
    doc = Section.from_file(path)
    doc.only("aigate_ledger", "assets")
    entries = []
    for entry in doc.sections("assets"):
        entry.only(*KEYS, *CONTRACT)
        keys = {k: entry.text(k) for k in KEYS}
        if not any(keys.values()):
            entry.fail(f"{entry.where}: needs asset_id, media or sha256 to match clips by")
        contract = {k: entry.data[k] for k in CONTRACT if k in entry.data}
        entries.append(_entry(keys, contract, f"{path.name}:{entry.line()}"))
    return Ledger.of(tuple(entries))


def _csv(path: Path) -> Iterator[Entry]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the ledger: {exc}") from None
    import csv  # only a CSV ledger needs it

    reader = csv.DictReader(text.splitlines())
    for row in reader:
        line = reader.line_num
        keys = {k: (row.get(k) or "").strip() or None for k in KEYS}
        if not any(keys.values()):
            raise InputError(f"{path}:{line}: needs asset_id, media or sha256")
        contract: dict[str, Any] = {}
        for key in ("digital_source_type", "purpose", "role", "notes"):
            if row.get(key):
                contract[key] = row[key].strip()
        if row.get("generated"):
            contract["generated"] = row["generated"].strip().lower() in ("true", "yes", "1")
        if row.get("inputs"):
            contract["inputs"] = [x.strip() for x in row["inputs"].split(";") if x.strip()]
        if row.get("tool"):
            contract["tool"] = {"name": row["tool"].strip(),
                                "vendor": (row.get("tool_vendor") or "").strip() or None,
                                "version": (row.get("tool_version") or "").strip() or None}
        yield _entry(keys, contract, f"{path.name}:{line}")


def _entry(keys: dict[str, str | None], contract: dict[str, Any], where: str) -> Entry:
    claim = parse_contract(contract, source="ledger", trust=Trust.TRUSTED)
    return Entry(keys["asset_id"], keys["media"],
                 keys["sha256"].lower() if keys["sha256"] else None,
                 replace(claim, detail=where))
