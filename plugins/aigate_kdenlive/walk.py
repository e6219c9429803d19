"""The timeline as items: what a service plays, walked as melt plays it, into nested
tractors and playlists and into other MLT documents a producer plays (see
:mod:`.project` for what is read and how times count).

Where MLT is installed the walk reads the document melt itself normalised
(:mod:`.normalised`), and each item's handle points back into the project file (its bin
clip, else its producer), where markers are written; elsewhere it reads the project file
as aigate's own reader parses it, which only serves below review (:func:`reader_refusal`).
"""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from aigate.api import Collected, InputError, Item

from . import files, sequences
from .normalised import Played
from .project import (
    CONTRACT,
    DOC_SETTINGS,
    DOCUMENT_SERVICES,
    DOCUMENT_SUFFIXES,
    GENERATORS,
    HOST,
    MAX_PLAYED,
    SERVICES,
    STRING_SERVICES,
    Placement,
    Project,
    _filters,
    _range,
    _time,
    _track_refs,
    _transitions,
    prop,
    timeline,
    tracks,
)


def collect(project: Project) -> Collected:
    """Every clip melt plays, in track order then record order: each entry of each track,
    and each clip inside a tractor or playlist an entry plays (a nested sequence), on the
    outer track's timeline (its track labelled ``V1/<nested id>``)."""
    source = project.view()
    rate = source.rate()
    services = source.services()
    bins = _bin_clips(project, project.services())
    originals = project.services() if source is not project else {}
    root_folder = source.root.get("root") or None
    # the bin clips are the project file's own: their relative paths are melt's from that
    # file's root, not from the normalised document's
    bin_root = project.root.get("root") or None
    # where melt reads relative paths of a document naming no root: the project's folder
    folder = str(project.path.resolve().parent) if project.path else "."
    items: list[Item] = []
    handles: list[Placement] = []
    walk = _Walk(source, services, rate, root_folder,
                 documents=(project.path.resolve(),) if project.path else ())
    cut = project.played.cut if project.played is not None else None
    window: tuple[int, int | None] = (cut[0], cut[1]) if cut and cut[1] >= cut[0] else (0, None)
    for track in tracks(project):
        placed: dict[str, list[tuple[float, Item, Placement]]] = {}
        for playlist, ref in zip(track.playlists, track.refs or [None] * len(track.playlists),
                                 strict=True):
            for play in walk.play_track(ref, playlist, track.label, window, 0, (),
                                        track.attached):
                producer = play.producer
                clip_el = bins.get(prop(producer, "kdenlive:id") or "", producer) \
                    if play.native else producer
                declared = _declared(play.entry, producer, clip_el, play.carried)
                media = files.played_media(producer, play.root)
                here = Path(play.root or folder)
                other = tuple(dict.fromkeys(
                    path for path in files.named_media(
                        producer, clip_el, play.attached, play.root,
                        bin_root if clip_el is not producer and source is not project
                        else play.root, here) if path != media))
                frames = sequences.sequence(producer, media, play.source_in,
                                            play.source_in + play.end - play.start, rate,
                                            here, play.attached)
                drawn, unknown = files.drawn(producer, play.attached, here)
                other = (*other, *(p for p in drawn if p not in other))
                item = Item(play.label, track.kind, _clip_name(producer, clip_el), 0, rate,
                            float(play.start), float(play.end), float(play.source_in),
                            float(play.source_in + play.end - play.start), media, declared,
                            other, frames, media_unknown=unknown)
                # the handle is the project file's own element, where a marker is written
                own = _original(originals, producer) if play.native else producer
                placed.setdefault(play.label, []).append(
                    (play.start, item, Placement(play.entry, own,
                                                 clip_el if clip_el is not producer else own,
                                                 play.source_in)))
        for label in sorted(placed, key=lambda name: (name != track.label, name)):
            ordered = sorted(placed[label], key=lambda p: p[0])
            for index, (_, item, placement) in enumerate(ordered):
                item.index = index
                items.append(item)
                handles.append(placement)
    for parent, drawn, why in files.unloaded(project, Path(project.root.get("root") or folder)):
        for item, placement in zip(items, handles, strict=True):
            if parent.tag in ("producer", "chain") and \
                    all(parent is not e for e in (placement.producer, placement.clip)):
                continue  # on another clip
            item.other_media = (*item.other_media,
                                *(p for p in drawn if p not in item.other_media))
            item.media_unknown = "; ".join(w for w in (item.media_unknown, why) if w)
    return Collected(name=project.name, items=items if project.played is not None
                     else ReadByAigate(items), host=HOST, metadata=_settings(project),
                     native=project, handles=handles)


class ReadByAigate(list[Item]):
    """Items of a project aigate's own reader read (MLT is not installed): good below
    review only (:func:`reader_refusal`)."""


def reader_refusal(items: Sequence[Item], stage: str, where: str) -> str | None:
    """Why these items cannot be judged at ``stage``, or None: at review and final a
    Kdenlive/MLT project is checked as MLT itself loads it, never as aigate's own reader
    reads it (a loader written twice reads some documents two ways)."""
    if not isinstance(items, ReadByAigate) or stage not in ("review", "final"):
        return None
    return (f"{where}: not checked at stage {stage}: a Kdenlive/MLT project is judged at "
            "review and final as MLT loads it, and MLT is not installed here (melt not "
            "found; Debian: apt-get install melt)")


def _original(originals: dict[str, ET.Element], producer: ET.Element) -> ET.Element:
    """The project file's element for a producer of melt's normalised document: the one of
    the same id naming the same file (melt renames an id another service took first), else
    the normalised one (a marker on it is written nowhere)."""
    if not originals:
        return producer
    own = originals.get(producer.get("id") or "")
    if own is None or own.tag not in ("producer", "chain"):
        return producer
    def name(element: ET.Element) -> str:
        return Path((prop(element, "resource") or "").strip()).name
    return own if name(own) == name(producer) else producer




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
            producer = self._plays(child)
            if producer is None:
                if child.tag == "entry":
                    raise InputError(f"{self.project.where()}: {where}: <entry> plays "
                                     f"{child.get('producer')!r}, which is not defined")
                continue
            first, last = self._range_of(child, producer, where, path)
            for _ in range(_repeat(child) if last - first + 1 > 0 else 0):
                self._spend()  # a repeat of millions is refused at the bound, not walked
                out += self._place(child, producer, position, first, last, label, window,
                                   offset, path, (*attached, *_filters(child)), carried)
                position += last - first + 1
        return out

    def _plays(self, child: ET.Element) -> ET.Element | None:
        """What a playlist element plays: an ``<entry>``'s producer (named, or written
        inside it), a producer written inline in the playlist; None for anything else and
        for an entry whose producer is not defined."""
        if child.tag == "entry":
            named = child.get("producer")
            return (self.services.get(named) if named
                    else next((c for c in child if c.tag in SERVICES), None))
        return child if child.tag in SERVICES else None

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
        hidden = files.document_named(producer)
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
            # read as the top document is (reading names what it plays with this module)
            from .reading import read

            inner = read(file).view()  # as melt loads it, where MLT is installed
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
                producer = self._plays(child)
                if producer is None:
                    continue
                if producer.tag in ("tractor", "playlist"):
                    first, last = self._nested_range(child, producer, here, path)
                else:
                    first, last = self._range_of(child, producer, here, path)
                total += max(last - first + 1, 0) * _repeat(child)
        else:
            first, last = self._range_of(service, service, where, path)
            total = max(last - first + 1, 0)
        self.lengths[id(service)] = total
        return total


def _repeat(child: ET.Element) -> int:
    """How many times melt plays a playlist entry one after another: its ``repeat``, read
    as MLT reads it (the leading digits; below 1, once)."""
    found = re.match(r"\s*([+-]?\d+)", child.get("repeat") or "") if child.tag == "entry" \
        else None
    return max(int(found.group(1)), 1) if found else 1


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


def name_documents(project: Project, played: Played) -> Played:
    """melt's XML writer cannot name an MLT document whose timeline is a playlist when a
    producer plays it (it writes the entry or track with ``producer=""``): each such place
    gets the project file's producer back, naming its document by absolute path, which the
    walk then reads as melt loads it. A place that cannot be matched is refused."""
    if not any(c.tag in ("entry", "track") and not c.get("producer")
               for c in played.root.iter()):
        return played
    root = copy.deepcopy(played.root)
    own_services = project.services()
    taken = {e.get("id") for e in root.iter() if e.get("id")}
    folder = Path(project.root.get("root") or (project.path.parent if project.path else "."))
    for parent in list(root.iter()):
        kids = [c for c in parent if c.tag in ("entry", "track")]
        if not any(not c.get("producer") for c in kids):
            continue
        own = own_services.get(parent.get("id") or "")
        theirs: list[ET.Element] = []
        if own is not None and own.tag == parent.tag == "playlist":
            theirs = [c for c in own if c.tag == "entry" or c.tag in SERVICES]
        elif own is not None and own.tag == parent.tag == "tractor":
            theirs = _track_refs(own)
        where = f"{project.where()}: {project.place(own) if own is not None else parent.tag}"
        if len(theirs) != len(kids):
            raise InputError(f"{where}: melt plays an MLT document in <{parent.tag}> "
                             f"{parent.get('id')!r} that its XML writer does not name: not "
                             "checked")
        for mine, their in zip(kids, theirs, strict=True):
            if mine.get("producer"):
                continue
            producer = their if their.tag in SERVICES else \
                own_services.get(their.get("producer") or "") or \
                next((c for c in their if c.tag in SERVICES), None)
            resource = (_value(producer, "resource") or "").strip() if producer is not None \
                else ""
            service = (_value(producer, "mlt_service") or "") if producer is not None else ""
            if producer is None or not resource or service in STRING_SERVICES:
                raise InputError(f"{where}: melt plays an MLT document there that its XML "
                                 "writer does not name: not checked")
            copied = copy.deepcopy(producer)
            name = producer.get("id") or "document"
            while name in taken:
                name += "_"
            taken.add(name)
            copied.set("id", name)
            for key in ("in", "out", "resource", "mlt_service"):
                copied.attrib.pop(key, None)
            for child in [c for c in copied if c.tag == "property"
                          and c.get("name") in ("resource", "mlt_service")]:
                copied.remove(child)
            file = Path(resource.removeprefix("xml:"))
            if not (folder / file).exists():  # "inner.mlt?query": MLT's loader drops it
                file = Path(str(file).partition("?")[0])
            _set(copied, "resource", str(file if file.is_absolute() else folder / file))
            _set(copied, "mlt_service", "xml")
            root.insert(1, copied)
            mine.set("producer", name)
    return Played(root, played.cut, played.unloaded)


def _value(element: ET.Element, name: str) -> str | None:
    """A value as MLT's loader reads it: the last ``<property>``, else the attribute."""
    found = prop(element, name)
    return element.get(name) if found is None else found


def _set(element: ET.Element, name: str, value: str) -> None:
    child = ET.Element("property", name=name)
    child.text = value
    element.insert(0, child)
