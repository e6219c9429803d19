"""Where the audience is told a deep fake is generated: a title card the config names
(``plugin_settings: {aigate_guidance: {disclosure_cards: [GLOB...]}}``, clip names) that the
cut shows at or before the clip, so at the latest at the first exposure (EU AI Act Art.
50(5)). A ``disclosure_label`` string in the clip's own metadata is untrusted text, not a
disclosure anyone sees: it is listed in the register, but it clears nothing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from aigate.api import CheckContext, Claim, InputError, Item, Trust

NAME = "aigate_guidance"
SOURCE = "disclosure-card"


def validate(settings: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    unknown = sorted(set(settings) - {"disclosure_cards"})
    if unknown:
        raise InputError(f"{where}: {NAME}: unknown setting {unknown[0]!r} (known: "
                         "disclosure_cards)")
    cards = settings.get("disclosure_cards", ())
    if isinstance(cards, str):
        cards = [cards]
    if not isinstance(cards, (list, tuple)) or not all(isinstance(c, str) and c.strip()
                                                       for c in cards):
        raise InputError(f"{where}: {NAME}.disclosure_cards: a list of clip names or globs "
                         "(the title cards that disclose AI content)")
    return {"disclosure_cards": tuple(cards)}


def cards_shown(items: Sequence[Item], context: CheckContext
                ) -> Iterator[tuple[int, Claim]]:
    """A claim on every clip that starts at or after the first config-named title card."""
    cards = context.settings.get(NAME, {}).get("disclosure_cards", ())
    if not cards:
        return
    shown = [item for item in items if any(fnmatchcase(item.clip, g) for g in cards)]
    if not shown:
        return
    card = min(shown, key=lambda i: i.record_start)
    claim = Claim(SOURCE, Trust.TRUSTED, detail=f'title card "{card.clip}" at '
                  f"{card.record_in} ({card.track})")
    for index, item in enumerate(items):
        if item.record_start >= card.record_start and item not in shown:
            yield index, claim
