"""Provenance source for metadata contract v1 written on the clip itself (and its media
reference), and the stage a subject declares in its own ``aigate`` metadata.

Any host plugin that puts the raw ``aigate`` value into ``Item.declared`` gets this for free.
Timeline metadata is untrusted: its claims carry trust ``claimed``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from aigate.api import (
    GATE_KEYS,
    CheckContext,
    Claim,
    Collected,
    Config,
    Item,
    Trust,
    hookimpl,
    parse_contract,
)


@hookimpl
def aigate_claims(items: Sequence[Item], context: CheckContext) -> Iterator[tuple[int, Claim]]:
    for index, item in enumerate(items):
        for where, raw in item.declared:
            if isinstance(raw, Mapping) and GATE_KEYS.issuperset(raw.keys()):
                continue
            yield index, parse_contract(raw, source=f"{where} metadata", trust=Trust.CLAIMED,
                                        declaration=True)


@hookimpl
def aigate_resolve_stage(collected: Collected, path: Path | None, config: Config) -> Any:
    stage = collected.metadata.get("stage") if collected.metadata else None
    return stage if stage else None
