"""Kdenlive projects (``.kdenlive``) and plain MLT XML (``.mlt``) read with defusedxml, and
their timeline as items: each track (a Kdenlive track is a tractor of two sub-playlists, a
plain MLT track a playlist), its entries and blanks, the producer or chain each entry plays,
and the bin clip behind it (Kdenlive's ``main_bin`` playlist, matched by ``kdenlive:id``).

What is read is what melt plays, since a gate that reads a project differently from its
renderer can be walked around:

- the timeline is the document's last top-level service (MLT's XML producer takes that one);
- an entry playing a tractor or playlist (a nested sequence), or a producer playing another
  MLT document (``xml``, ``xml-string``, a ``.mlt``/``.kdenlive`` resource), contributes the
  clips inside, trimmed and placed as melt plays them, on a track labelled ``V1/<id>``; a
  sequence or document that plays itself is refused;
- an id defined twice is refused (melt and a reader need not pick the same definition);
- an item's ``media_url`` is the ``resource`` melt renders; every other file the clip names
  (``kdenlive:originalurl`` behind a proxy, ``warp_resource``, ``kdenlive:proxy``, its bin
  clip's) or that a filter, transition or link over it brings in (a watermark's
  ``resource``, a luma) is in ``other_media``, which provenance sources read as well.

Times follow MLT: an ``in``/``out``/``length`` is frames (``"124"``), a clock
(``"00:00:04.960"``, what Kdenlive writes) or SMPTE (``"00:00:04:24"``); ``out`` is
inclusive. Record times count from the start of the timeline at the profile's frame rate,
as Kdenlive's ruler shows them (it starts at 00:00:00:00).
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from aigate.api import Collected, InputError, Item

HOST = "kdenlive"
SUFFIXES = ("kdenlive", "mlt")
#: contract v1 on a clip: JSON in this property of the bin clip, the timeline producer or
#: chain, or the playlist entry
CONTRACT = "kdenlive:aigate"
#: the project's own aigate settings (e.g. {"stage": "review"}): JSON on main_bin
DOC_SETTINGS = "kdenlive:docproperties.aigate"
BIN = "main_bin"
BLACK_TRACK = "black_track"
#: MLT's default profile (dv_pal) when a plain MLT file names none
DEFAULT_RATE = 25.0
SERVICES = ("producer", "chain", "playlist", "tractor")
#: producers that make their picture or sound themselves: no media file behind them
GENERATORS = {"color", "colour", "kdenlivetitle", "qtext", "count", "noise", "tone",
              "blipflash", "glaxnimate-generator", "frei0r.test_pat_B"}


@dataclass
class Project:
    """A parsed MLT document, kept whole so it can be written back unchanged but for what
    aigate adds."""

    tree: ET.ElementTree
    path: Path | None = None
    name: str = "(unnamed project)"
    #: the line each element was read from (by ``id()``), for messages naming the place;
    #: found when a message needs it (noting lines while parsing costs a third more time)
    lines: dict[int, int] | None = field(default=None, repr=False)

    @property
    def root(self) -> ET.Element:
        root = self.tree.getroot()
        assert root is not None
        return root

    def services(self) -> dict[str, ET.Element]:
        """Every producer, chain, playlist and tractor by id (nested ones too). An id
        defined twice is refused: melt and a reader need not pick the same definition."""
        found: dict[str, ET.Element] = {}
        for el in self.root.iter():
            key = el.get("id")
            if el.tag not in SERVICES or not key:
                continue
            first = found.setdefault(key, el)
            if first is not el:
                raise InputError(f"{self.where()}: {self.place(el)}: <{el.tag}> id {key!r} "
                                 f"is already defined ({self.place(first)}): melt plays one "
                                 "definition, so an id is defined once")
        return found

    def place(self, element: ET.Element) -> str:
        """``line N`` where the element was read, else its tag and id."""
        if self.lines is None:
            self.lines = _lines(self)
        line = self.lines.get(id(element))
        return f"line {line}" if line else f"<{element.tag} id={element.get('id')!r}>"

    def bin(self) -> ET.Element | None:
        """Kdenlive's project bin (``main_bin``), absent from plain MLT files."""
        return next((el for el in self.root if el.tag == "playlist" and el.get("id") == BIN),
                    None)

    def rate(self) -> float:
        profile = self.root.find("profile")
        if profile is None:
            return DEFAULT_RATE
        try:
            num = float(profile.get("frame_rate_num", ""))
            den = float(profile.get("frame_rate_den", "1"))
            rate = num / den
        except (ValueError, ZeroDivisionError):
            raise InputError(f"{self.where()}: <profile> has no usable frame rate "
                             f"(frame_rate_num={profile.get('frame_rate_num')!r}, "
                             f"frame_rate_den={profile.get('frame_rate_den')!r})") from None
        if not math.isfinite(rate) or rate <= 0:
            raise InputError(f"{self.where()}: <profile> frame rate {rate:g} is not positive")
        return rate

    def where(self) -> str:
        return str(self.path) if self.path else self.name


@dataclass
class Placement:
    """Where an item lives in the document: the entry, the producer it plays, the bin clip
    (the producer itself in a plain MLT file), the source frame it starts at."""

    entry: ET.Element
    producer: ET.Element
    clip: ET.Element
    source_in: int


@dataclass
class Track:
    label: str  # V1, A1... as Kdenlive numbers them
    kind: str  # "Video" or "Audio"
    playlists: list[ET.Element] = field(default_factory=list)
    #: filters and transitions laid over the whole track (on the main tractor or the
    #: track's own tractor)
    attached: tuple[ET.Element, ...] = ()
    #: the ``<track>`` element playing each of ``playlists`` (its in/out cut it)
    refs: list[ET.Element | None] = field(default_factory=list)


class _LineBuilder(ET.TreeBuilder):
    """A tree builder noting the line each element starts on."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[int, int] = {}
        self.expat: Any = None

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        element = super().start(tag, attrs)
        if self.expat is not None:
            self.lines[id(element)] = self.expat.CurrentLineNumber
        return element


def _lines(project: Project) -> dict[int, int]:
    """The line of each element of the project as read: its file read again noting lines,
    matched element by element in document order (up to the first that differs)."""
    if project.path is None:
        return {}
    builder = _LineBuilder()
    parser = SafeET.DefusedXMLParser(target=builder)
    builder.expat = parser.parser
    try:
        again = SafeET.parse(str(project.path), parser=parser).getroot()
    except (ET.ParseError, DefusedXmlException, OSError):
        return {}
    lines: dict[int, int] = {}
    if again is None:
        return lines
    for element, twin in zip(project.root.iter(), again.iter(), strict=False):
        if element.tag != twin.tag or element.attrib != twin.attrib:
            break
        if id(twin) in builder.lines:
            lines[id(element)] = builder.lines[id(twin)]
    return lines


def read(path: Path) -> Project:
    """The project at ``path``; any fault is an :class:`InputError` naming the file and the
    place (an id defined twice included)."""
    try:
        tree = SafeET.parse(str(path))
    except ET.ParseError as exc:
        raise InputError(f"{path}: cannot read as MLT XML: {exc}") from None
    except DefusedXmlException as exc:
        raise InputError(f"{path}: refused: {type(exc).__name__} ({exc})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    root = tree.getroot()
    if root is None or root.tag != "mlt":
        tag = root.tag if root is not None else "nothing"
        raise InputError(f"{path}: not an MLT document (root element <{tag}>, expected <mlt>)")
    project = Project(tree=tree, path=path, name=path.stem)
    project.services()  # refuses an id defined twice
    return project


def prop(element: ET.Element, name: str) -> str | None:
    for child in element.findall("property"):
        if child.get("name") == name:
            return child.text or ""
    return None


def set_prop(element: ET.Element, name: str, value: str | None) -> None:
    """Set (or with None remove) a property, keeping properties before other children."""
    found = [c for c in element.findall("property") if c.get("name") == name]
    if value is None:
        for child in found:
            element.remove(child)
        return
    if found:
        found[0].text = value
        return
    child = ET.Element("property", name=name)
    child.text = value
    children = list(element)
    last = max((i for i, c in enumerate(children) if c.tag == "property"), default=-1)
    element.insert(last + 1, child)


_CLOCK = re.compile(r"(?:(\d+):)?(\d+):(\d+(?:[.,]\d*)?)")
_SMPTE = re.compile(r"(\d+):(\d+):(\d+)[:;](\d+)")


def frames(text: str, rate: float) -> int:
    """An MLT time as frames: plain frames, a clock ``HH:MM:SS.mmm`` or SMPTE
    ``HH:MM:SS:FF``. Raises ValueError for anything else."""
    value = text.strip()
    smpte = _SMPTE.fullmatch(value)
    if smpte:
        h, m, s, f = (int(g) for g in smpte.groups())
        return (h * 3600 + m * 60 + s) * round(rate) + f
    clock = _CLOCK.fullmatch(value)
    if clock:
        hours, minutes, secs = clock.groups()
        seconds = int(hours or 0) * 3600 + int(minutes) * 60 + float(secs.replace(",", "."))
        return round(seconds * rate)
    number = float(value)  # ValueError for text that is no time
    if not math.isfinite(number):
        raise ValueError(value)
    return int(number)


def clock(frame: int, rate: float) -> str:
    """Frames as the clock string Kdenlive writes (``00:00:04.960``)."""
    seconds = frame / rate
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"


def timeline(project: Project) -> ET.Element:
    """The service melt plays: the last top-level service, as MLT's XML producer takes it
    (Kdenlive writes its main tractor last; the root's ``producer`` attribute and the
    tractor's id do not choose it)."""
    main = next((el for el in reversed(project.root) if el.tag in SERVICES), None)
    if main is None:
        raise InputError(f"{project.where()}: no timeline (no <tractor>, <playlist> or "
                         "producer to play)")
    return main


def tracks(project: Project) -> list[Track]:
    """The timeline's tracks, numbered as Kdenlive shows them (video V1 upwards in MLT
    order; audio A1 nearest the video tracks, as MLT lists audio tracks bottom-up first),
    video first."""
    services = project.services()
    main = timeline(project)
    wrappers: list[ET.Element] = []
    # Kdenlive 23.04 and later play the main sequence through a project tractor of one
    # track: its tracks are the editor's (a wrapper that trims the sequence is kept)
    while main.tag == "tractor" and len(_track_refs(main)) == 1:
        ref = _track_refs(main)[0]
        inner = services.get(ref.get("producer", ""))
        if inner is None or inner.tag != "tractor" or inner in wrappers or \
                _time(project, ref.get("in") or "0", project.rate(), "track in") != 0:
            break
        wrappers.append(main)
        main = inner
    outer = tuple(f for wrapper in wrappers for f in (*_filters(wrapper),
                                                     *wrapper.findall("transition")))
    if main.tag != "tractor":  # a playlist or a single producer: one track
        return [Track("V1", "Video", [main], outer, [None])]
    refs = _track_refs(main)
    found: list[tuple[str, list[ET.Element], tuple[ET.Element, ...], list[ET.Element]]] = []
    for number, ref in enumerate(refs, start=1):
        target = services.get(ref.get("producer", ""))
        if target is None:
            raise InputError(f"{project.where()}: track {number} of tractor "
                             f"{main.get('id')!r} plays {ref.get('producer')!r}, which is "
                             "not defined")
        if _background(target):
            continue  # Kdenlive's black background, not an editor's track
        audio = (prop(target, "kdenlive:audio_track") == "1" or ref.get("hide") == "video")
        if target.tag == "tractor":  # a Kdenlive track: two sub-playlists
            playlists, cuts = [], []
            for sub in _track_refs(target):
                element = services.get(sub.get("producer", ""))
                if element is None:
                    raise InputError(f"{project.where()}: track tractor {target.get('id')!r} "
                                     f"plays {sub.get('producer')!r}, which is not defined")
                playlists.append(element)
                cuts.append(sub)
        else:
            playlists, cuts = [target], [ref]
        attached = (*outer, *_filters(main), *_transitions(main, number - 1))
        if target.tag == "tractor":
            attached += (*_filters(target), *target.findall("transition"))
        found.append(("Audio" if audio else "Video", playlists, attached, cuts))
    audio_count = sum(kind == "Audio" for kind, _, _, _ in found)
    out, video, audio_seen = [], 0, 0
    for kind, playlists, attached, cuts in found:
        if kind == "Audio":
            audio_seen += 1
            label = f"A{audio_count - audio_seen + 1}"
        else:
            video += 1
            label = f"V{video}"
        out.append(Track(label, kind, playlists, attached, list(cuts)))
    # as an editor lists them: V1, V2..., then A1, A2...
    return sorted(out, key=lambda t: (t.kind == "Audio", int(t.label[1:])))


def _background(target: ET.Element) -> bool:
    """Kdenlive's black background track: a plain colour producer named black_track (by
    name alone it could be any track, AI clips and all)."""
    named = target.get("id") == BLACK_TRACK or prop(target, "kdenlive:playlistid") == BLACK_TRACK
    return named and target.tag == "producer" and \
        (prop(target, "mlt_service") or "") in ("color", "colour") and not _filters(target)


def _track_refs(tractor: ET.Element) -> list[ET.Element]:
    """A tractor's ``<track>`` elements, written directly or inside ``<multitrack>``."""
    return tractor.findall("track") + tractor.findall("multitrack/track")


def collect(project: Project) -> Collected:
    """Every clip melt plays, in track order then record order: each entry of each track,
    and each clip inside a tractor or playlist an entry plays (a nested sequence), on the
    outer track's timeline (its track labelled ``V1/<nested id>``)."""
    rate = project.rate()
    services = project.services()
    bins = _bin_clips(project, services)
    root_folder = project.root.get("root") or None
    items: list[Item] = []
    handles: list[Placement] = []
    walk = _Walk(project, services, rate, root_folder,
                 documents=(project.path.resolve(),) if project.path else ())
    for track in tracks(project):
        placed: dict[str, list[tuple[float, Item, Placement]]] = {}
        for playlist, ref in zip(track.playlists, track.refs or [None] * len(track.playlists),
                                 strict=True):
            for play in walk.play_track(ref, playlist, track.label, (0, None), 0, (),
                                        track.attached):
                producer = play.producer
                clip_el = bins.get(prop(producer, "kdenlive:id") or "", producer) \
                    if play.native else producer
                declared = _declared(play.entry, producer, clip_el, play.carried)
                media = _media(producer, play.root)
                other = tuple(dict.fromkeys(
                    path for path in _named_media(producer, clip_el, play.attached,
                                                  play.root) if path != media))
                item = Item(play.label, track.kind, _clip_name(producer, clip_el), 0, rate,
                            float(play.start), float(play.end), float(play.source_in),
                            float(play.source_in + play.end - play.start), media, declared,
                            other)
                placed.setdefault(play.label, []).append(
                    (play.start, item, Placement(play.entry, producer, clip_el,
                                                 play.source_in)))
        for label in sorted(placed, key=lambda name: (name != track.label, name)):
            ordered = sorted(placed[label], key=lambda p: p[0])
            for index, (_, item, placement) in enumerate(ordered):
                item.index = index
                items.append(item)
                handles.append(placement)
    return Collected(name=project.name, items=items, host=HOST,
                     metadata=_settings(project), native=project, handles=handles)


#: a bound on the clips and sequences a project expands to: nested sequences each used
#: many times multiply
MAX_PLAYED = 200_000


@dataclass
class _Played:
    """A clip melt plays: its record frames on the outer track, the entry and producer, the
    source frame it starts at, and the filters and transitions laid over it."""

    start: int
    end: int
    entry: ET.Element
    producer: ET.Element
    source_in: int
    label: str
    attached: tuple[ET.Element, ...]
    #: the folder relative paths are read from, and whether the clip is the project's own
    #: (not one of a document it plays), so its bin clip applies
    root: str | None
    native: bool
    #: the entries, sequences and documents it is played through, whose declarations
    #: cover it too
    carried: tuple[ET.Element, ...] = ()


@dataclass
class _Budget:
    used: int = 0


#: MLT's producers of another MLT document: a file, or the XML text itself
DOCUMENT_SERVICES = ("xml", "xml-nogl")
STRING_SERVICES = ("xml-string", "xmlstring")
DOCUMENT_SUFFIXES = (".mlt", ".kdenlive", ".xml")


@dataclass
class _Walk:
    """Walks what a service plays, as melt does: into nested tractors and playlists, and
    into other MLT documents a producer plays."""

    project: Project
    services: dict[str, ET.Element]
    rate: float
    root: str | None = None
    native: bool = True
    documents: tuple[Path, ...] = ()
    budget: _Budget = field(default_factory=_Budget)
    lengths: dict[int, int] = field(default_factory=dict)
    subs: dict[int, _Walk | None] = field(default_factory=dict)

    def play(self, service: ET.Element, label: str, window: tuple[int, int | None],
             offset: int, path: tuple[ET.Element, ...], attached: tuple[ET.Element, ...],
             carried: tuple[ET.Element, ...] = ()) -> list[_Played]:
        """The clips ``service`` plays between its frames ``window`` (last inclusive; None:
        to its end), placed from record frame ``offset``; ``path`` is the nesting so far."""
        self._refuse_cycle(service, path)
        self._spend()
        path = (*path, service)
        attached = (*attached, *_filters(service))
        if service.tag == "tractor":
            out = []
            for number, ref in enumerate(_track_refs(service)):
                target = self.services.get(ref.get("producer", ""))
                if target is None:
                    raise InputError(f"{self.project.where()}: {self.project.place(ref)}: "
                                     f"tractor {service.get('id')!r} plays "
                                     f"{ref.get('producer')!r}, which is not defined")
                out += self.play_track(ref, target, label, window, offset, path,
                                       (*attached, *_transitions(service, number)), carried)
            return out
        if service.tag != "playlist":  # a producer used directly as a track
            first, last = self._range_of(service, service, label, path)
            return self._place(service, service, 0, first, last, label, window, offset, path,
                               attached, carried)
        out = []
        position = 0
        for number, child in enumerate(service, start=1):
            where = f"track {label}, playlist {service.get('id')!r} element {number}"
            if child.tag == "blank":
                position += _time(self.project, child.get("length", "0"), self.rate,
                                  f"{where} <blank>")
                continue
            if child.tag == "entry":
                producer = self.services.get(child.get("producer", "")) \
                    if child.get("producer") else \
                    next((c for c in child if c.tag in SERVICES), None)
                if producer is None:
                    raise InputError(f"{self.project.where()}: {where}: <entry> plays "
                                     f"{child.get('producer')!r}, which is not defined")
            elif child.tag in SERVICES:  # a producer written inline in the playlist
                producer = child
            else:
                continue
            first, last = self._range_of(child, producer, where, path)
            if last - first + 1 > 0:
                out += self._place(child, producer, position, first, last, label, window,
                                   offset, path, (*attached, *_filters(child)), carried)
                position += last - first + 1
        return out

    def play_track(self, ref: ET.Element | None, target: ET.Element, label: str,
                   window: tuple[int, int | None], offset: int, path: tuple[ET.Element, ...],
                   attached: tuple[ET.Element, ...], carried: tuple[ET.Element, ...] = ()
                   ) -> list[_Played]:
        """What a tractor's ``<track>`` plays: its target, from the frame its ``in`` names
        to its ``out`` (melt cuts the target so)."""
        if ref is None or (ref.get("in") is None and ref.get("out") is None):
            return self.play(target, label, window, offset, path, attached, carried)
        where = f"track {label}, {self.project.place(ref)}"
        first = _time(self.project, ref.get("in") or "0", self.rate, f"{where} in")
        out_text = ref.get("out")
        last = _time(self.project, out_text, self.rate, f"{where} out") \
            if out_text is not None else first + self.length(target, path) - 1
        begin, stop = window
        high = last if stop is None else min(last, first + stop)
        if first + begin > high:
            return []
        return self.play(target, label, (first + begin, high), offset, path, attached, carried)

    def _track_length(self, ref: ET.Element, target: ET.Element,
                      path: tuple[ET.Element, ...]) -> int:
        if ref.get("in") is None and ref.get("out") is None:
            return self.length(target, path)
        where = f"{self.project.place(ref)}"
        first = _time(self.project, ref.get("in") or "0", self.rate, f"{where} in")
        out_text = ref.get("out")
        last = _time(self.project, out_text, self.rate, f"{where} out") \
            if out_text is not None else self.length(target, path) - 1
        return max(last - first + 1, 0)

    def _place(self, entry: ET.Element, producer: ET.Element, position: int, first: int,
               last: int, label: str, window: tuple[int, int | None], offset: int,
               path: tuple[ET.Element, ...], attached: tuple[ET.Element, ...],
               carried: tuple[ET.Element, ...]) -> list[_Played]:
        """The part of an entry (at ``position``, playing ``first``..``last``) inside the
        window, as a clip, or as the clips of the sequence it plays."""
        begin, stop = window
        low = max(position, begin)
        high = position + last - first + 1
        if stop is not None:
            high = min(high, stop + 1)
        if high <= low:
            return []
        record = offset + low - begin
        source = first + low - position
        inside = (source, source + high - low - 1)
        through = (*carried, *dict.fromkeys((entry, producer)))
        if producer.tag in ("tractor", "playlist"):
            nested = f"{label}/{producer.get('id') or 'nested'}"
            return self.play(producer, nested, inside, record, path, attached, through)
        sub = self._sub(producer)
        if sub is not None:  # another MLT document: its clips, on this timeline
            nested = f"{label}/{producer.get('id') or sub.project.name}"
            return sub.play(timeline(sub.project), nested, inside, record, (),
                            (*attached, *_filters(producer)), through)
        hidden = _document_named(producer)
        if hidden is not None:
            service = prop(producer, "mlt_service") or "its loader"
            raise InputError(f"{self.project.where()}: {self.project.place(producer)}: "
                             f"{producer.get('id')!r} plays the MLT document {hidden} through "
                             f"{service}, which aigate does not follow: its clips cannot be "
                             "checked")
        self._spend()
        return [_Played(record, record + high - low, entry, producer, source, label,
                        (*attached, *_filters(producer)), self.root, self.native, carried)]

    def _range_of(self, entry: ET.Element, producer: ET.Element, where: str,
                  path: tuple[ET.Element, ...]) -> tuple[int, int]:
        """The frames of ``producer`` an entry plays (in, inclusive out)."""
        if producer.tag in ("tractor", "playlist"):
            return self._nested_range(entry, producer, where, path)
        sub = self._sub(producer)
        if sub is not None and not (entry.get("out") or producer.get("out")
                                    or prop(producer, "length")):
            first = _time(self.project, entry.get("in") or producer.get("in") or "0",
                          self.rate, f"{where} in")
            return first, sub.length(timeline(sub.project), ()) - 1
        return _range(self.project, entry, producer, self.rate, where)

    def _sub(self, producer: ET.Element) -> _Walk | None:
        """The walk of the MLT document ``producer`` plays (a file, or XML text), or None
        when it plays media. The document is read as the project is (defusedxml, an id
        defined twice refused); one that includes itself is refused."""
        if id(producer) in self.subs:
            return self.subs[id(producer)]
        service = prop(producer, "mlt_service") or ""
        resource = (prop(producer, "resource") or "").strip()
        place = f"{self.project.where()}: {self.project.place(producer)}"
        sub: _Walk | None = None
        if service in STRING_SERVICES:
            try:
                document = SafeET.fromstring(resource)
            except (ET.ParseError, DefusedXmlException) as exc:
                raise InputError(f"{place}: the MLT document in {producer.get('id')!r} "
                                 f"cannot be read: {exc}") from None
            if document.tag != "mlt":
                raise InputError(f"{place}: {producer.get('id')!r} holds no MLT document")
            inner = Project(tree=ET.ElementTree(document), path=None,
                            name=f"{place}: {service} {producer.get('id')!r}")
            sub = self._nested_walk(inner, self.root, self.documents)
        elif service in DOCUMENT_SERVICES or resource.startswith("xml:") or (
                not service and Path(resource).suffix.lower() in DOCUMENT_SUFFIXES):
            name = resource.removeprefix("xml:")
            file = Path(name)
            if not file.is_absolute():
                base = self.root or (str(self.project.path.parent) if self.project.path
                                     else ".")
                file = Path(base) / file
            file = file.resolve()
            if file in self.documents:
                raise InputError(f"{place}: {producer.get('id')!r} plays {name}, which "
                                 "plays this document: it would never end")
            inner = read(file)
            sub = self._nested_walk(inner, inner.root.get("root") or str(file.parent),
                                    (*self.documents, file))
        self.subs[id(producer)] = sub
        return sub

    def _nested_walk(self, project: Project, root: str | None,
                     documents: tuple[Path, ...]) -> _Walk:
        return _Walk(project, project.services(), self.rate, root, False, documents,
                     self.budget)

    def _spend(self) -> None:
        self.budget.used += 1
        if self.budget.used > MAX_PLAYED:
            raise InputError(f"{self.project.where()}: plays more than {MAX_PLAYED} clips and "
                             "sequences (nested sequences used over and over): not checked")

    def _refuse_cycle(self, service: ET.Element, path: tuple[ET.Element, ...]) -> None:
        """A sequence that plays itself (melt would recurse without end) is refused."""
        start = next((n for n, seen in enumerate(path) if seen is service), None)
        if start is None:
            return
        chain = " -> ".join(repr(e.get("id")) for e in (*path[start:], service))
        raise InputError(f"{self.project.where()}: {self.project.place(service)}: "
                         f"<{service.tag}> {service.get('id')!r} plays itself ({chain})")

    def _nested_range(self, entry: ET.Element, nested: ET.Element, where: str,
                      path: tuple[ET.Element, ...]) -> tuple[int, int]:
        """The frames of a nested tractor or playlist an entry plays. melt counts them
        from the sequence's start and, without in/out on the entry, plays it whole (the
        sequence's own in/out do not trim it)."""
        first = _time(self.project, entry.get("in") or "0", self.rate, f"{where} in")
        out_text = entry.get("out")
        if out_text is not None:
            return first, _time(self.project, out_text, self.rate, f"{where} out")
        return first, self.length(nested, path) - 1

    def length(self, service: ET.Element, path: tuple[ET.Element, ...]) -> int:
        """How many frames a service plays when nothing trims it (a playlist: its entries
        and blanks; a tractor: its longest track)."""
        known = self.lengths.get(id(service))
        if known is not None:
            return known
        self._refuse_cycle(service, path)
        path = (*path, service)
        where = f"{service.tag} {service.get('id')!r}"
        if service.tag == "tractor":
            total = 0
            for ref in _track_refs(service):
                target = self.services.get(ref.get("producer", ""))
                if target is not None:
                    total = max(total, self._track_length(ref, target, path))
        elif service.tag == "playlist":
            total = 0
            for number, child in enumerate(service, start=1):
                here = f"{where} element {number}"
                if child.tag == "blank":
                    total += _time(self.project, child.get("length", "0"), self.rate,
                                   f"{here} <blank>")
                    continue
                producer = (self.services.get(child.get("producer", ""))
                            if child.get("producer") else
                            next((c for c in child if c.tag in SERVICES), None)) \
                    if child.tag == "entry" else child if child.tag in SERVICES else None
                if producer is None:
                    continue
                if producer.tag in ("tractor", "playlist"):
                    first, last = self._nested_range(child, producer, here, path)
                else:
                    first, last = self._range_of(child, producer, here, path)
                total += max(last - first + 1, 0)
        else:
            first, last = self._range_of(service, service, where, path)
            total = max(last - first + 1, 0)
        self.lengths[id(service)] = total
        return total


def _range(project: Project, entry: ET.Element, producer: ET.Element, rate: float,
           where: str) -> tuple[int, int]:
    """An entry's in and (inclusive) out, defaulting to the producer's."""
    def pick(name: str) -> str | None:
        return entry.get(name) or producer.get(name)

    first = _time(project, pick("in") or "0", rate, f"{where} in")
    out_text = pick("out")
    if out_text is None:
        length = prop(producer, "length")
        if length is None:
            raise InputError(f"{project.where()}: {where}: no out point and no length for "
                             f"producer {producer.get('id')!r}")
        return first, _time(project, length, rate, f"{where} length") - 1
    return first, _time(project, out_text, rate, f"{where} out")


def _time(project: Project, text: str, rate: float, where: str) -> int:
    try:
        return frames(text, rate)
    except ValueError:
        raise InputError(f"{project.where()}: {where}: {text!r} is not a time (frames, "
                         "HH:MM:SS.mmm or HH:MM:SS:FF)") from None


def _bin_clips(project: Project, services: dict[str, ET.Element]) -> dict[str, ET.Element]:
    """The bin clip for each ``kdenlive:id``: the producers main_bin lists."""
    found: dict[str, ET.Element] = {}
    bin_playlist = project.bin()
    if bin_playlist is None:
        return found
    for entry in bin_playlist.findall("entry"):
        element = services.get(entry.get("producer", ""))
        key = prop(element, "kdenlive:id") if element is not None else None
        if element is not None and key:
            found.setdefault(key, element)
    return found


def _declared(entry: ET.Element, producer: ET.Element, clip: ET.Element,
              carried: Sequence[ET.Element] = ()) -> tuple[tuple[str, Any], ...]:
    """Contract v1 from the entry, the timeline producer and the bin clip, and from each
    sequence (and entry playing it) the clip is played through, which covers every clip
    inside; the same text twice (Kdenlive copies bin properties onto timeline producers)
    counts once."""
    out: list[tuple[str, Any]] = []
    seen: set[str] = set()
    sources = [("entry", entry), ("clip", producer), ("bin clip", clip)]
    sources += [(f"sequence {e.get('id')!r}" if e.tag in SERVICES else "sequence entry", e)
                for e in carried]
    for where, element in sources:
        if where == "entry" and element is producer:
            continue
        text = prop(element, CONTRACT)
        if text is None or text.strip() in seen:
            continue
        seen.add(text.strip())
        out.append((where, _json(text)))
    return tuple(out)


def _json(text: str) -> Any:
    """The property's JSON; text that is not JSON stays a string, which the contract parser
    reports as malformed (the gate never drops a declaration it cannot read)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _settings(project: Project) -> dict[str, Any]:
    bin_playlist = project.bin()
    text = prop(bin_playlist, DOC_SETTINGS) if bin_playlist is not None else None
    if text is None:
        text = prop(timeline(project), "aigate")  # plain MLT: on the played tractor
    value = _json(text) if text else None
    if text and not isinstance(value, dict):
        raise InputError(f"{project.where()}: project property {DOC_SETTINGS} is not a JSON "
                         "object")
    return value or {}


def _clip_name(producer: ET.Element, clip: ET.Element) -> str:
    for element in (producer, clip):
        name = prop(element, "kdenlive:clipname")
        if name:
            return name
    resource = prop(clip, "resource") or prop(producer, "resource")
    service = prop(clip, "mlt_service") or ""
    if resource and service not in GENERATORS:
        return Path(resource).name
    return clip.get("id") or producer.get("id") or "(unnamed clip)"


#: a producer's properties naming a file: what melt renders (``resource``), and what
#: Kdenlive swaps in or keeps beside it (the original of a proxy, a speed change's source)
PRODUCER_PATHS = ("resource", "warp_resource", "kdenlive:originalurl", "kdenlive:proxy")
#: the last part of a filter's, transition's or link's property naming a file it brings
#: into the picture or sound: ``resource`` (watermark, luma, shape), ``filter.resource``,
#: ``luma``, ``composite.luma``, ``av.file`` (lut3d), ``av.filename`` (movie, subtitles)
ATTACHED_PATHS = frozenset({"resource", "luma", "file", "filename", "url"})


def _media(producer: ET.Element, root_folder: str | None) -> str | None:
    """The media file melt renders for this timeline producer (its ``resource``; a proxy
    when the project is proxied), relative paths resolved against the document's
    ``root``."""
    service = prop(producer, "mlt_service") or ""
    if service in GENERATORS or service in ("xml-string", "xmlstring"):
        return None
    return _path(prop(producer, "resource"), service, root_folder)


def _named_media(producer: ET.Element, clip: ET.Element, attached: Sequence[ET.Element],
                 root_folder: str | None) -> Iterator[str]:
    """Every file the clip names besides: the producer's and its bin clip's paths (the
    original behind a proxy...), and the files its filters, transitions and links bring
    in (a watermark)."""
    for element in dict.fromkeys((producer, clip)):
        service = prop(element, "mlt_service") or ""
        for name in PRODUCER_PATHS:
            if name == "resource" and (service in GENERATORS
                                       or service in ("xml-string", "xmlstring")):
                continue
            path = _path(prop(element, name), service, root_folder)
            if path:
                yield path
    for element in attached:
        service = prop(element, "mlt_service") or ""
        for child in element.findall("property"):
            name = child.get("name", "")
            if name.rpartition(".")[2] in ATTACHED_PATHS:
                path = _path(child.text, service, root_folder)
                if path:
                    yield path


def _path(text: str | None, service: str, root_folder: str | None) -> str | None:
    path = (text or "").strip()
    if not path or path == "-" or path.startswith("<"):  # "<producer>": nested, no file
        return None
    if service == "timewarp" and ":" in path:
        speed, _, rest = path.partition(":")
        if re.fullmatch(r"-?[\d.]+", speed):
            path = rest
    if root_folder and not Path(path).is_absolute() and "://" not in path:
        return str(Path(root_folder) / path)
    return path


def _document_named(producer: ET.Element) -> str | None:
    """An MLT document a producer plays other than as :class:`_Walk` follows it (through
    ``timewarp``, say), else None."""
    service = prop(producer, "mlt_service") or ""
    for name in ("resource", "warp_resource"):
        path = _path(prop(producer, name), service, None)
        if path and Path(path.removeprefix("xml:")).suffix.lower() in (*DOCUMENT_SUFFIXES,
                                                                      ".melt"):
            return path
    return None


def _filters(element: ET.Element) -> tuple[ET.Element, ...]:
    """The filters (and a chain's links) attached to a service or entry."""
    return tuple(c for c in element if c.tag in ("filter", "link"))


def _transitions(tractor: ET.Element, track: int) -> tuple[ET.Element, ...]:
    """A tractor's transitions touching its track ``track`` (0-based; one whose tracks
    cannot be read touches every track)."""
    out = []
    for element in tractor.findall("transition"):
        ends = {prop(element, "a_track") or element.get("a_track"),
                prop(element, "b_track") or element.get("b_track")}
        if str(track) in ends or not all(e and e.strip().isdigit() for e in ends):
            out.append(element)
    return tuple(out)


def write(project: Project, path: Path) -> None:
    """Write the document atomically (a reader never sees half a project). A copy written
    into another folder keeps its relative media paths working: ``root`` is set to the
    original's folder when the document names none."""
    from aigate.output.files import atomic_text

    root = project.root
    if project.path is not None and not root.get("root") and \
            path.resolve().parent != project.path.resolve().parent:
        root.set("root", str(project.path.resolve().parent))
    with atomic_text(path) as handle:
        handle.write("<?xml version='1.0' encoding='utf-8'?>\n")
        handle.write(ET.tostring(root, encoding="unicode"))
        handle.write("\n")
