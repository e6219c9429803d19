"""What paths say: media or clip names matching ``patterns`` in aigate.yaml (e.g.
``**/genai/**``, ``*_gen_v*.mov``) are generated (a hint, the weakest trust); and, with
``--require-media`` (``media.require``), a clip whose media cannot be read gets a ``media``
claim that the media-missing rule turns into a finding. At stage final that holds without
the option for media that is there but was not read (outside the media roots, unreadable):
a deliverable's provenance is never cleared by not looking."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from aigate.api import MEDIA_OUTSIDE as OUTSIDE
from aigate.api import MEDIA_UNREADABLE as UNREADABLE
from aigate.api import STAGES, CheckContext, Claim, Item, Trust, glob_match, hookimpl

MEDIA_SOURCE = "media"


#: media the gate found but did not read: at stage final that is never "no provenance"
FOUND_UNREAD = (OUTSIDE, UNREADABLE)


@hookimpl
def aigate_claims(items: Sequence[Item], context: CheckContext) -> Iterator[tuple[int, Claim]]:
    patterns = context.config.patterns
    require = context.config.media.require
    at_final = context.stage == STAGES[-1]
    if not patterns and not require and not at_final:
        return
    for index, item in enumerate(items):
        for pattern in patterns:
            if (item.media_url and glob_match(item.media_url, pattern)) or \
                    glob_match(item.clip, pattern):
                yield index, Claim("path pattern", Trust.HINT, generated=True,
                                   detail=f"matches {pattern}")
                break
            # every media of the clip counts (Item.other_media: a proxy's full resolution)
            other = next((u for u in item.other_media if glob_match(u, pattern)),
                         None) if item.other_media else None
            if other is not None:
                yield index, Claim("path pattern", Trust.HINT, generated=True,
                                   detail=f"other media {other} matches {pattern}")
                break
        if require or (at_final and item.media_url):
            media = context.media(item)
            if (require and not media.readable) or media.state in FOUND_UNREAD:
                yield index, Claim(MEDIA_SOURCE, Trust.HINT,
                                   detail=media.detail or "no media reference")
