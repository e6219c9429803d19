"""Verdicts where a Kdenlive editor sees them, for every flagged clip (locked, warned,
approved, allowed by policy):

- a **guide** on the timeline ruler at the clip's record in, labelled in at most
  :data:`GUIDE_LABEL` characters (``AIGATE LOCK talent-consent cam.mp4``: verdict, rule,
  clip) so neighbouring labels stay readable;
- a **clip marker** on the clip, in its bin clip's ``kdenlive:markers`` (JSON
  ``[{"pos": source frame, "comment": ..., "type": category}]``; Kdenlive shows bin clip
  markers on every use of the clip in the timeline and in the Clip Monitor), at the frame
  the timeline uses first, whose comment carries the full reason
  (``AIGATE LOCK <rule>: <reason> (also: <rules>)``).

Where the guides go follows the Kdenlive version that saved the project: since 23.04 a
project holds sequences and Kdenlive reads the guides of each sequence from its tractor
(``kdenlive:sequenceproperties.guides``); before, the document's guides in main_bin
(``kdenlive:docproperties.guides``). A plain MLT file has neither: markers only.

Colours: a guide or marker names a category by index. Since 23.04 the project lists its
categories (``kdenlive:docproperties.guidesCategories``, each with a colour the editor may
change); the category nearest in colour to red (lock), yellow (warn), green (approved) and
blue (allowed) is used. Without that list, Kdenlive's fixed palette (22.x, and 23.04+'s
defaults) gives 8 red, 4 yellow, 2 green, 1 blue.

Markers and guides whose comment starts with ``AIGATE`` are aigate's: every run removes
them wherever they are (any clip, after Replace Clip too; document and sequence guides) and
writes them again, never duplicated; the editor's own are kept as they were.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aigate.api import Collected, ItemResult, Severity, Shade, SubjectResult

from .project import SERVICES, Project, prop, set_prop, timeline

PREFIX = "AIGATE"
MARKERS = "kdenlive:markers"
DOC_GUIDES = "kdenlive:docproperties.guides"
SEQUENCE_GUIDES = "kdenlive:sequenceproperties.guides"
CATEGORIES_PROPERTY = "kdenlive:docproperties.guidesCategories"
#: the longest guide label: Kdenlive draws it on the ruler, where a longer one runs into
#: the next guide
GUIDE_LABEL = 40
#: the least of the clip's name a shortened guide label keeps
CLIP_ROOM = 16
#: Kdenlive's default categories (22.x's fixed palette, 23.04+'s defaults): index -> colour
PALETTE = {0: "#9b59b6", 1: "#3daee9", 2: "#1abc9c", 3: "#1cdc9a", 4: "#c9ce3b",
           5: "#fdbc4b", 6: "#f39c1f", 7: "#f47750", 8: "#da4453"}
#: the colour each shade asks for (the palette's own red, yellow, green, blue)
WANTED = {Shade.LOCK: "#da4453", Shade.WARN: "#c9ce3b", Shade.APPROVED: "#1abc9c",
          Shade.ALLOWED: "#3daee9", Shade.NOTE: "#9b59b6"}
#: with the default palette
CATEGORIES = {Shade.LOCK: 8, Shade.WARN: 4, Shade.APPROVED: 2, Shade.ALLOWED: 1, Shade.NOTE: 0}
_COLOUR = re.compile(r"#([0-9a-fA-F]{6})(?:[0-9a-fA-F]{2})?")


@dataclass(frozen=True)
class GuideHome:
    """Where this project's Kdenlive reads guides: the element and property."""

    element: ET.Element
    name: str


@dataclass(frozen=True)
class Flag:
    """What an editor is shown about one flagged use of a clip: its shade, the headline
    rule and reason, the other rules, the clip's name and record in (frames)."""

    shade: Shade
    rule: str
    reason: str
    also: tuple[str, ...]
    clip: str
    record_start: int

    @classmethod
    def of(cls, result: ItemResult) -> Flag:
        headline = result.headline
        assert headline is not None, "only clips with findings are flagged"
        return cls(Shade.of(result), headline.rule, headline.reason,
                   tuple(sorted({f.rule for f in result.findings} - {headline.rule})),
                   result.item.clip, round(result.item.record_start))


@dataclass(frozen=True)
class Flagged:
    """A flag and where its marker goes: the (bin) clip element and the source frame."""

    clip: ET.Element
    source_in: int
    flag: Flag


def present(collected: Collected, result: SubjectResult) -> None:
    show(collected.native, [Flagged(p.clip, p.source_in, Flag.of(r)) for p, r in zip(
        collected.handles, result.items, strict=True) if r.verdict is not Severity.PASS])


def show(project: Project, flagged: list[Flagged]) -> None:
    """Replace aigate's markers and guides in ``project`` with these (see the module)."""
    categories = categories_of(project)
    for element in project.root.iter():  # ours, on any clip or sequence: after Replace Clip
        if element.tag in SERVICES and prop(element, MARKERS) is not None:
            _store(element, MARKERS, _ours_removed(prop(element, MARKERS)))
    by_clip: dict[int, tuple[ET.Element, list[tuple[int, Flag]]]] = {}
    for one in flagged:
        by_clip.setdefault(id(one.clip), (one.clip, []))[1].append((one.source_in, one.flag))
    for element, marks in by_clip.values():
        _mark(element, marks, categories)
    home = guide_home(project)
    for element, name in _guide_properties(project):
        if home is not None and (element, name) == (home.element, home.name):
            continue
        kept = _ours_removed(prop(element, name))
        if kept is not None:  # ours left elsewhere (a project saved by another version)
            _store(element, name, kept, keep_empty=True)
    if home is None:
        return
    kept = _ours_removed(prop(home.element, home.name))
    if kept is None:  # the editor's guides are unreadable: leave them, add none
        return
    guides = _placed(kept, [(one.flag.record_start, one.flag) for one in flagged],
                     guide_label, categories)
    _store(home.element, home.name, sorted(kept + guides, key=lambda g: g.get("pos", 0)),
           keep_empty=True)


def _placed(kept: list[dict[str, Any]], wanted: list[tuple[int, Flag]],
            text: Callable[[Flag, int], str], categories: dict[Shade, int]
            ) -> list[dict[str, Any]]:
    """One entry per frame, as Kdenlive keeps guides and a clip's markers (one per frame:
    a second at the same frame is dropped when Kdenlive saves): the flagged clips at one
    frame share an entry naming the most severe; an entry of the editor's at that frame
    keeps it, and aigate's moves to the next free frame."""
    at: dict[int, list[Flag]] = {}
    for pos, flag in wanted:
        at.setdefault(pos, []).append(flag)
    taken = {g.get("pos") for g in kept}
    placed = []
    for pos in sorted(at):
        flags = sorted(at[pos], key=lambda f: (_ORDER.index(f.shade), f.record_start))
        worst = flags[0]
        free = pos
        while free in taken:
            free += 1
        taken.add(free)
        placed.append({"comment": text(worst, len(flags) - 1), "pos": free,
                       "type": categories[worst.shade]})
    return placed


_ORDER = (Shade.LOCK, Shade.WARN, Shade.APPROVED, Shade.ALLOWED)


def guide_home(project: Project) -> GuideHome | None:
    """The sequence tractor melt plays when the project has sequences (Kdenlive 23.04+),
    else main_bin's document guides (22.x), else None (plain MLT: no guides)."""
    sequence = sequence_of(project)
    if sequence is not None:
        return GuideHome(sequence, SEQUENCE_GUIDES)
    bin_playlist = project.bin()
    return GuideHome(bin_playlist, DOC_GUIDES) if bin_playlist is not None else None


def sequence_of(project: Project) -> ET.Element | None:
    """The Kdenlive sequence the timeline plays: the main tractor, or what its one-track
    project tractors wrap, that carries a ``kdenlive:uuid`` or sequence properties."""
    services = project.services()
    service: ET.Element | None = timeline(project)
    seen: list[ET.Element] = []
    while service is not None and service.tag == "tractor" and service not in seen:
        if _is_sequence(service):
            return service
        seen.append(service)
        refs = service.findall("track") + service.findall("multitrack/track")
        if len(refs) != 1:
            return None
        service = services.get(refs[0].get("producer", ""))
    return None


def _is_sequence(element: ET.Element) -> bool:
    return prop(element, "kdenlive:uuid") is not None or any(
        (child.get("name") or "").startswith("kdenlive:sequenceproperties.")
        for child in element.findall("property"))


def _guide_properties(project: Project) -> list[tuple[ET.Element, str]]:
    found = []
    bin_playlist = project.bin()
    if bin_playlist is not None and prop(bin_playlist, DOC_GUIDES) is not None:
        found.append((bin_playlist, DOC_GUIDES))
    found += [(el, SEQUENCE_GUIDES) for el in project.root.iter("tractor")
              if prop(el, SEQUENCE_GUIDES) is not None]
    return found


def categories_of(project: Project) -> dict[Shade, int]:
    """The category index each shade uses: the project's category nearest in colour to the
    shade's, or the default palette's when the project lists none (or lists them
    unreadably)."""
    bin_playlist = project.bin()
    text = prop(bin_playlist, CATEGORIES_PROPERTY) if bin_playlist is not None else None
    palette: dict[int, tuple[int, int, int]] = {}
    try:
        listed = json.loads(text) if text else []
    except ValueError:
        listed = []
    for entry in listed if isinstance(listed, list) else []:
        if not isinstance(entry, dict):
            continue
        index, colour = entry.get("index"), _COLOUR.fullmatch(str(entry.get("color", "")))
        if isinstance(index, int) and not isinstance(index, bool) and colour:
            palette[index] = _rgb(colour.group(1))
    if not palette:
        return dict(CATEGORIES)
    chosen = {}
    for shade, wanted in WANTED.items():
        target = _rgb(wanted[1:])
        chosen[shade] = min(palette, key=lambda i: (_distance(palette[i], target), i))
    return chosen


def _rgb(hex6: str) -> tuple[int, int, int]:
    return int(hex6[0:2], 16), int(hex6[2:4], 16), int(hex6[4:6], 16)


def _distance(a: tuple[int, int, int], b: tuple[int, int, int]) -> int:
    return sum((x - y) ** 2 for x, y in zip(a, b, strict=True))


def marker_comment(flag: Flag, more: int = 0) -> str:
    also = f" (also: {', '.join(flag.also)})" if flag.also else ""
    uses = f" [+{more} other flagged use{'s' if more > 1 else ''} here]" if more else ""
    return f"{PREFIX} {flag.shade.value.upper()} {flag.rule}: {flag.reason}{also}{uses}"


def guide_label(flag: Flag, more: int = 0) -> str:
    """``AIGATE LOCK talent-consent cam.mp4`` in at most :data:`GUIDE_LABEL` characters
    (the clip marker has it all): when it is longer, the rule and the clip's name share the
    room, the clip keeping at least :data:`CLIP_ROOM` characters. ``more``: other flagged
    clips starting at the same frame (``+2``)."""
    head = f"{PREFIX} {flag.shade.value.upper()}"
    tail = f" +{more}" if more else ""
    rule, clip = flag.rule, " ".join(flag.clip.split()) or "?"
    room = GUIDE_LABEL - len(head) - len(tail) - 2  # two spaces
    if len(rule) + len(clip) > room:
        clip_room = max(min(len(clip), CLIP_ROOM), room - len(rule))
        clip = _cut(clip, clip_room)
        rule = _cut(rule, room - len(clip))
    return f"{head} {rule} {clip}{tail}"


def _cut(text: str, room: int) -> str:
    return text if len(text) <= room else text[:max(room - 1, 0)] + "…"


def _mark(element: ET.Element, marks: list[tuple[int, Flag]],
          categories: dict[Shade, int]) -> None:
    """The clip's markers: the editor's kept, one of aigate's at each source frame a
    flagged use starts at."""
    kept = _ours_removed(prop(element, MARKERS))
    if kept is None:
        return
    ours = _placed(kept, marks, marker_comment, categories)
    _store(element, MARKERS, sorted(kept + ours, key=lambda m: m.get("pos", 0)))


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
