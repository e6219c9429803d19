"""Kdenlive projects (``.kdenlive``) and plain MLT XML (``.mlt``) read with defusedxml, and
their timeline as items: each track (a Kdenlive track is a tractor of two sub-playlists, a
plain MLT track a playlist), its entries and blanks, the producer or chain each entry plays,
and the bin clip behind it (Kdenlive's ``main_bin`` playlist, matched by ``kdenlive:id``).

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

    @property
    def root(self) -> ET.Element:
        root = self.tree.getroot()
        assert root is not None
        return root

    def services(self) -> dict[str, ET.Element]:
        """Every producer, chain, playlist and tractor by id (nested ones too)."""
        return {el.get("id", ""): el for el in self.root.iter() if el.tag in SERVICES
                and el.get("id")}

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


def read(path: Path) -> Project:
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
    return Project(tree=tree, path=path, name=path.stem)


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
    """The service melt plays: Kdenlive's main tractor, else the last top-level service (as
    MLT's XML producer does)."""
    top = [el for el in project.root if el.tag in SERVICES]
    main = next((el for el in top if el.tag == "tractor"
                 and el.get("id") == "maintractor"), None)
    if main is None:
        main = next((el for el in reversed(top) if el.get("id") != BIN), None)
    if main is None or main.tag not in ("tractor", "playlist"):
        raise InputError(f"{project.where()}: no timeline (no <tractor> or <playlist> to play)")
    return main


def tracks(project: Project) -> list[Track]:
    """The timeline's tracks, numbered as Kdenlive shows them (video V1 upwards in MLT
    order; audio A1 nearest the video tracks, as MLT lists audio tracks bottom-up first),
    video first."""
    services = project.services()
    main = timeline(project)
    if main.tag == "playlist":
        return [Track("V1", "Video", [main])]
    refs = main.findall("track") + main.findall("multitrack/track")
    found: list[tuple[str, list[ET.Element], str]] = []
    for number, ref in enumerate(refs, start=1):
        target = services.get(ref.get("producer", ""))
        if target is None:
            raise InputError(f"{project.where()}: track {number} of tractor "
                             f"{main.get('id')!r} plays {ref.get('producer')!r}, which is "
                             "not defined")
        if target.get("id") == BLACK_TRACK or prop(target, "kdenlive:playlistid") == BLACK_TRACK:
            continue  # Kdenlive's black background, not an editor's track
        audio = (prop(target, "kdenlive:audio_track") == "1" or ref.get("hide") == "video")
        if target.tag == "tractor":  # a Kdenlive track: two sub-playlists
            playlists = []
            for sub in target.findall("track"):
                element = services.get(sub.get("producer", ""))
                if element is None:
                    raise InputError(f"{project.where()}: track tractor {target.get('id')!r} "
                                     f"plays {sub.get('producer')!r}, which is not defined")
                playlists.append(element)
        else:
            playlists = [target]
        found.append(("Audio" if audio else "Video", playlists,
                      prop(target, "kdenlive:track_name") or ""))
    audio_count = sum(kind == "Audio" for kind, _, _ in found)
    out, video, audio_seen = [], 0, 0
    for kind, playlists, _name in found:
        if kind == "Audio":
            audio_seen += 1
            label = f"A{audio_count - audio_seen + 1}"
        else:
            video += 1
            label = f"V{video}"
        out.append(Track(label, kind, playlists))
    # as an editor lists them: V1, V2..., then A1, A2...
    return sorted(out, key=lambda t: (t.kind == "Audio", int(t.label[1:])))


def collect(project: Project) -> Collected:
    """Every entry of every track, in track order then record order."""
    rate = project.rate()
    services = project.services()
    bins = _bin_clips(project, services)
    root_folder = project.root.get("root") or None
    items: list[Item] = []
    handles: list[Placement] = []
    for track in tracks(project):
        placed: list[tuple[float, Item, Placement]] = []
        for playlist in track.playlists:
            for start, end, entry, producer, source_in in _entries(project, playlist, services,
                                                                    rate, track.label):
                clip_el = bins.get(prop(producer, "kdenlive:id") or "", producer)
                declared = _declared(entry, producer, clip_el)
                item = Item(track.label, track.kind, _clip_name(producer, clip_el), 0, rate,
                            float(start), float(end), float(source_in),
                            float(source_in + end - start),
                            _media(producer, clip_el, root_folder), declared)
                placed.append((start, item, Placement(entry, producer, clip_el, source_in)))
        placed.sort(key=lambda p: p[0])
        for index, (_, item, placement) in enumerate(placed):
            item.index = index
            items.append(item)
            handles.append(placement)
    return Collected(name=project.name, items=items, host=HOST,
                     metadata=_settings(project), native=project, handles=handles)


def _entries(project: Project, playlist: ET.Element, services: dict[str, ET.Element],
             rate: float, label: str) -> list[tuple[int, int, ET.Element, ET.Element, int]]:
    """(record start, record end, entry, producer, source in) for each entry of a playlist
    (or a producer used directly as a track)."""
    if playlist.tag != "playlist":
        first, last = _range(project, playlist, playlist, rate, label)
        return [(0, last - first + 1, playlist, playlist, first)]
    out = []
    position = 0
    for number, child in enumerate(playlist, start=1):
        where = f"track {label}, playlist {playlist.get('id')!r} element {number}"
        if child.tag == "blank":
            position += _time(project, child.get("length", "0"), rate, f"{where} <blank>")
        elif child.tag == "entry":
            producer = services.get(child.get("producer", "")) if child.get("producer") else \
                next((c for c in child if c.tag in SERVICES), None)
            if producer is None:
                raise InputError(f"{project.where()}: {where}: <entry> plays "
                                 f"{child.get('producer')!r}, which is not defined")
            first, last = _range(project, child, producer, rate, where)
            length = last - first + 1
            if length > 0:
                out.append((position, position + length, child, producer, first))
                position += length
        elif child.tag in SERVICES:  # a producer written inline in the playlist
            first, last = _range(project, child, child, rate, where)
            out.append((position, position + last - first + 1, child, child, first))
            position += last - first + 1
    return out


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


def _declared(entry: ET.Element, producer: ET.Element, clip: ET.Element) -> tuple[
        tuple[str, Any], ...]:
    """Contract v1 from the entry, the timeline producer and the bin clip; the same text
    twice (Kdenlive copies bin properties onto timeline producers) counts once."""
    out: list[tuple[str, Any]] = []
    seen: set[str] = set()
    sources = [("entry", entry), ("clip", producer), ("bin clip", clip)]
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


def _media(producer: ET.Element, clip: ET.Element, root_folder: str | None) -> str | None:
    """The media file as Kdenlive shows it in the clip's properties: the original of a proxy,
    relative paths resolved against the document's ``root``."""
    service = prop(clip, "mlt_service") or prop(producer, "mlt_service") or ""
    if service in GENERATORS or service in ("xml-string", "xmlstring"):
        return None
    path = (prop(clip, "kdenlive:originalurl") or prop(producer, "kdenlive:originalurl")
            or prop(clip, "warp_resource") or prop(clip, "resource")
            or prop(producer, "resource"))
    if not path or path.startswith("<"):  # "<producer>", "<tractor>": nested, no file
        return None
    if service == "timewarp" and ":" in path:
        speed, _, rest = path.partition(":")
        if re.fullmatch(r"-?[\d.]+", speed):
            path = rest
    if root_folder and not Path(path).is_absolute() and "://" not in path:
        return str(Path(root_folder) / path)
    return path


def write(project: Project, path: Path) -> None:
    """Write the document atomically (a reader never sees half a project). A copy written
    into another folder keeps its relative media paths working: ``root`` is set to the
    original's folder when the document names none."""
    from aigate.files import atomic_text

    root = project.root
    if project.path is not None and not root.get("root") and \
            path.resolve().parent != project.path.resolve().parent:
        root.set("root", str(project.path.resolve().parent))
    with atomic_text(path) as handle:
        handle.write("<?xml version='1.0' encoding='utf-8'?>\n")
        handle.write(ET.tostring(root, encoding="unicode"))
        handle.write("\n")
