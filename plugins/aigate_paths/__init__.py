"""What paths say: media or clip names matching ``patterns`` in aigate.yaml (e.g.
``**/genai/**``, ``*_gen_v*.mov``) are generated (a hint, the weakest trust); and a clip
whose media the gate could not read (missing, outside the media roots, unreadable, packed in
a bundle, a frame of its image sequence gone, a sequence past the bound), or that plays
media its host cannot name (:attr:`aigate.api.Item.media_unknown`: a missing media
reference, an EDL event whose source is only a reel) gets a ``media`` claim, which the
``media-missing`` rule turns into a finding at the pack's severity for the stage, never
below the rule's fail-closed floor (info at import and edit, warn at review, lock at final;
a pack without the rule gets the floor): a deliverable's provenance is never cleared by not
looking. A clip that plays no media (a generator: colour, bars, a title) gets none.

With ``--require-media`` (``media: {required: true}``) the claim is ``media (required)``
instead, which the ``media-required`` rule judges (warn below review, lock from review on),
and a clip without any media reference counts too. With ``media: {required: false,
reason: ...}`` no such claim is made: the show declared it has no media access, and every
report says its provenance came from the timeline alone. Where the check reads no media at
all (the OTIO import hook without a config) no such claim is made either."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from aigate.api import MEDIA_NOT_READ as NOT_READ
from aigate.api import CheckContext, Claim, Item, Trust, glob_match, hookimpl, media_spellings

MEDIA_SOURCE = "media"
#: the claim's source when the config (or --require-media) requires media at every stage
REQUIRED_SOURCE = "media (required)"


@hookimpl
def aigate_claims(items: Sequence[Item], context: CheckContext) -> Iterator[tuple[int, Claim]]:
    patterns = context.config.patterns
    media_settings = context.config.media
    require = media_settings.require
    judge_media = not media_settings.timeline_only
    for index, item in enumerate(items):
        if patterns:
            claim = _pattern_claim(item, patterns, context)
            if claim is not None:
                yield index, claim
        if not judge_media or (not require and not item.media_url and not item.other_media
                               and item.sequence is None and not item.media_unknown):
            continue
        unread = _unread(item, context, require)
        if unread:
            yield index, Claim(REQUIRED_SOURCE if require else MEDIA_SOURCE, Trust.HINT,
                               detail=unread)


def _pattern_claim(item: Item, patterns: Sequence[str], context: CheckContext) -> Claim | None:
    """A path pattern's claim: tried on the clip name, on each media URL as written and as
    the player opens it (normalised, its links resolved), so no spelling slips past."""
    for pattern in patterns:
        if glob_match(item.clip, pattern):
            return Claim("path pattern", Trust.HINT, generated=True, detail=f"matches {pattern}")
    spellings: list[tuple[str, str]] = []
    if item.media_url:
        spellings += [(s, "") for s in media_spellings(context.media(item))]
    for media in context.other_media(item):
        spellings += [(s, "other media ") for s in media_spellings(media)]
    for pattern in patterns:
        for text, label in spellings:
            if glob_match(text, pattern):
                return Claim("path pattern", Trust.HINT, generated=True,
                             detail=f"{label}{text} matches {pattern}" if label
                             else f"matches {pattern}")
    return None


def _unread(item: Item, context: CheckContext, require: bool) -> str:
    """Why some media of the clip could not be read ("" when all of it was)."""
    problem = context.sequence_problem(item)
    if problem:  # said first: it explains why the frames were not looked at
        return problem
    if item.media_url:
        media = context.media(item)
        if not media.readable and media.state != NOT_READ:
            return media.detail or f"cannot be read: {media.url}"
    if item.media_unknown and context.resolver.reads:
        return f"{item.media_unknown}: the clip's media are unknown"
    if require and not item.media_url:
        return "no media reference"
    for other in context.other_media(item):
        if not other.readable and other.state != NOT_READ:
            return f"other media: {other.detail or other.url}"
    return ""
