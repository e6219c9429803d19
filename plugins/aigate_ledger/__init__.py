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
from dataclasses import replace
from typing import TYPE_CHECKING

from aigate.api import (
    CheckContext,
    Claim,
    InputError,
    Item,
    Media,
    Trust,
    from_other_media,
    glob_match,
    hookimpl,
    media_spellings,
)

if TYPE_CHECKING:
    from .ledger import Entry, Ledger


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
    from .ledger import load

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
