"""Kdenlive projects (``.kdenlive``) and plain MLT XML (``.mlt``): the model a project is
read into (:mod:`.reading`, with defusedxml) and its timeline walked as items
(:mod:`.walk`): each track (a Kdenlive track is a tractor of two sub-playlists, a plain MLT
track a playlist), its entries and blanks, the producer or chain each entry plays, and the
bin clip behind it (Kdenlive's ``main_bin`` playlist, matched by ``kdenlive:id``).

What is read is what melt plays, since a gate that reads a project differently from its
renderer can be walked around:

- the timeline is the document's last top-level service (MLT's XML producer takes that one);
- an entry playing a tractor or playlist (a nested sequence), or a producer playing another
  MLT document (``xml``, ``xml-string``, a ``.mlt``/``.kdenlive`` resource), contributes the
  clips inside, trimmed and placed as melt plays them, on a track labelled ``V1/<id>``; a
  sequence or document that plays itself is refused;
- an id defined twice is refused (melt and a reader need not pick the same definition);
- an entry with ``repeat`` plays that many times, one after another;
- a relative or empty ``root`` on the document is refused: melt reads it from the folder
  it is started in, so what plays would depend on where that is;
- an item's ``media_url`` is the ``resource`` melt renders; every other file the clip names
  (``kdenlive:originalurl`` behind a proxy, ``warp_resource``, ``kdenlive:proxy``, its bin
  clip's) or that a filter, transition or link over it brings in (a watermark's
  ``resource``, a luma) is in ``other_media``, which provenance sources read as well, and
  so are the files a Kdenlive title or a filter's rich text draws (:mod:`.titles`); an
  image sequence's images are those either of melt's readers may show
  (:mod:`.sequences`);
- a filter, transition or link melt could not load where the check runs (Qt's need a
  display), which it leaves out of what it says it plays, is read from the project file
  for the pictures it would draw on a machine that loads it.

Times follow MLT: an ``in``/``out``/``length`` is frames (``"124"``), a clock
(``"00:00:04.960"``, what Kdenlive writes) or SMPTE (``"00:00:04:24"``); ``out`` is
inclusive. Record times count from the start of the timeline at the profile's frame rate,
as Kdenlive's ruler shows them (it starts at 00:00:00:00).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from aigate.api import InputError

from .names import HOST, SUFFIXES  # one definition: the package answers without this module
from .normalised import Played

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
#: other names MLT's loader gives a producer (``<video>``) or a playlist (SMIL's ``<seq>``)
SPELT = ("video", "seq", "smil")
#: a bound on the clips and sequences a project expands to: nested sequences each used
#: many times multiply
MAX_PLAYED = 200_000
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
    #: the document as melt itself loaded it (:mod:`.normalised`), where MLT is installed:
    #: what is checked; None where aigate's own reader reads the file
    played: Played | None = field(default=None, repr=False)
    #: for the view of melt's document: the project file, whose lines messages name
    origin: Project | None = field(default=None, repr=False)

    @property
    def reader(self) -> str:
        """Which reader decides what this project plays: ``MLT`` or ``aigate``."""
        return "aigate" if self.played is None else "MLT"

    def view(self) -> Project:
        """The document the timeline is read from: melt's normalised one when there is one
        (a copy without a path: its lines are not the file's), else this one."""
        if self.played is None:
            return self
        return Project(tree=ET.ElementTree(self.played.root), path=None, name=self.where(),
                       origin=self)

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
        if self.origin is not None:  # the same service in the project file, by id
            own = next((e for e in self.origin.root.iter() if e.tag == element.tag
                        and e.get("id") and e.get("id") == element.get("id")), None)
            if own is not None:
                return self.origin.place(own)
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


#: suffixes MLT's loader opens as another MLT document or command file (loader.dict)
LOADED_DOCUMENTS = (".mlt", ".westley", ".kdenlive", ".graphics", ".jfx", ".jef", ".kino",
                    ".story", ".xml", ".melt", ".inigo")


def prop(element: ET.Element, name: str) -> str | None:
    """A property's text; given twice, the last (as MLT keeps it)."""
    found = None
    for child in element.findall("property"):
        if child.get("name") == name:
            found = child.text or ""
    return found


def set_prop(element: ET.Element, name: str, value: str | None) -> None:
    """Set (or with None remove) a property, keeping properties before other children."""
    found = [c for c in element.findall("property") if c.get("name") == name]
    if value is None:
        for child in found:
            element.remove(child)
        return
    if found:  # one left, the value MLT reads
        for child in found[:-1]:
            element.remove(child)
        found[-1].text = value
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
    project = project.view()
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


#: MLT's producers of another MLT document: a file, or the XML text itself
DOCUMENT_SERVICES = ("xml", "xml-nogl")
STRING_SERVICES = ("xml-string", "xmlstring")
DOCUMENT_SUFFIXES = (".mlt", ".kdenlive", ".xml")


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
    from aigate.api import atomic_text

    root = project.root
    if project.path is not None and not root.get("root") and \
            path.resolve().parent != project.path.resolve().parent:
        root.set("root", str(project.path.resolve().parent))
    with atomic_text(path) as handle:
        handle.write("<?xml version='1.0' encoding='utf-8'?>\n")
        handle.write(ET.tostring(root, encoding="unicode"))
        handle.write("\n")

__all__ = ["BIN", "BLACK_TRACK", "CONTRACT", "DOC_SETTINGS", "GENERATORS", "HOST",
           "MAX_PLAYED", "SUFFIXES", "Placement", "Project", "Track", "clock", "frames", "prop",
           "set_prop", "timeline", "tracks", "write"]
