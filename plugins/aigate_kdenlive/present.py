"""Verdicts where a Kdenlive editor sees them:

- a **clip marker** on each flagged clip, in its bin clip's ``kdenlive:markers`` (JSON
  ``[{"pos": source frame, "comment": ..., "type": category}]``; Kdenlive shows bin clip
  markers on every use of the clip in the timeline and in the clip monitor), at the frame
  the timeline uses first, named ``AIGATE LOCK <rule>: <reason>``;
- a **project guide** at each locked clip's record in, in main_bin's
  ``kdenlive:docproperties.guides`` (Kdenlive 22.12 keeps guides there, same JSON).

Categories are Kdenlive 22.12's defaults, coloured like the other hosts: 8 red (lock),
4 yellow (warn), 2 green (AI, approved: a record waived it), 1 blue (AI, allowed by policy:
info by the pack's severity, no approval). Markers and guides whose comment starts with
``AIGATE`` are aigate's: they are removed and written again on every run, never duplicated;
the editor's own are kept as they were.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from aigate.api import Collected, ItemResult, Severity, SubjectResult
from aigate.output.report import Shade

from .project import Placement, Project, prop, set_prop

PREFIX = "AIGATE"
MARKERS = "kdenlive:markers"
GUIDES = "kdenlive:docproperties.guides"
#: Kdenlive's default marker/guide categories: 1 #3daee9 blue, 2 #1abc9c green,
#: 4 #c9ce3b yellow, 8 #da4453 red
CATEGORIES = {Shade.LOCK: 8, Shade.WARN: 4, Shade.APPROVED: 2, Shade.ALLOWED: 1}


def present(collected: Collected, result: SubjectResult) -> None:
    project: Project = collected.native
    for element in project.root.iter():
        if element.tag in ("producer", "chain") and prop(element, MARKERS) is not None:
            _store(element, MARKERS, _ours_removed(prop(element, MARKERS)))
    guides: list[dict[str, Any]] = []
    for placement, item_result in zip(collected.handles, result.items, strict=True):
        if item_result.verdict is Severity.PASS:
            continue
        _mark(placement, item_result)
        if item_result.verdict is Severity.LOCK:
            guides.append(guide(item_result))
    bin_playlist = project.bin()
    if bin_playlist is not None:
        kept = _ours_removed(prop(bin_playlist, GUIDES))
        if kept is None:  # the editor's guides are unreadable: leave them, add none
            return
        _store(bin_playlist, GUIDES, sorted(kept + guides, key=lambda g: g.get("pos", 0)),
               keep_empty=True)


def marker_comment(result: ItemResult) -> str:
    headline = result.headline
    assert headline is not None
    others = sorted({f.rule for f in result.findings} - {headline.rule})
    more = f" (also: {', '.join(others)})" if others else ""
    return (f"{PREFIX} {Shade.of(result).value.upper()} {headline.rule}: "
            f"{headline.reason}{more}")


def guide(result: ItemResult) -> dict[str, Any]:
    item, headline = result.item, result.headline
    assert headline is not None
    return {"comment": f'{PREFIX} LOCK {headline.rule} {item.track} "{item.clip}"',
            "pos": round(item.record_start), "type": CATEGORIES[Shade.LOCK]}


def _mark(placement: Placement, result: ItemResult) -> None:
    element = placement.clip
    markers = _ours_removed(prop(element, MARKERS))
    if markers is None:
        return
    marker = {"comment": marker_comment(result), "pos": placement.source_in,
              "type": CATEGORIES[Shade.of(result)]}
    if marker not in markers:  # the same clip used twice with the same verdict
        markers.append(marker)
    _store(element, MARKERS, sorted(markers, key=lambda m: m.get("pos", 0)))


def _ours_removed(text: str | None) -> list[dict[str, Any]] | None:
    """The list without aigate's entries; None when the property is not a JSON list (it is
    the editor's and left alone)."""
    if text is None or not text.strip():
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    return [m for m in value if not (isinstance(m, dict)
                                     and str(m.get("comment", "")).startswith(PREFIX))]


def _store(element: ET.Element, name: str, value: list[dict[str, Any]] | None,
           keep_empty: bool = False) -> None:
    if value is None:
        return
    set_prop(element, name, json.dumps(value) if value or keep_empty else None)
