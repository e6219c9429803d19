"""The files a clip plays and names, as melt uses them: the ``resource`` a producer renders,
the other files it and its bin clip name (a proxy's original, a speed change's source),
the files its filters, transitions and links bring into the picture or sound (a
watermark, a luma, a background image: any of their properties naming a file that is
there), what Qt draws for it (:mod:`.titles`), and what of that the gate cannot follow.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from pathlib import Path

from . import titles
from .project import (
    DOCUMENT_SUFFIXES,
    GENERATORS,
    LOADED_DOCUMENTS,
    STRING_SERVICES,
    Project,
    _path,
    prop,
)

#: a producer's properties naming a file: what melt renders (``resource``), and what
#: Kdenlive swaps in or keeps beside it (the original of a proxy, a speed change's source)
PRODUCER_PATHS = ("resource", "warp_resource", "kdenlive:originalurl", "kdenlive:proxy")
#: the last part of a filter's, transition's or link's property naming a file it brings
#: into the picture or sound: ``resource`` (watermark, luma, shape), ``filter.resource``,
#: ``luma``, ``composite.luma``, ``av.file`` (lut3d), ``av.filename`` (movie, subtitles)
ATTACHED_PATHS = frozenset({"resource", "luma", "file", "filename", "url"})
#: files a filter reads as data, never as a picture or sound: subtitles (which libass
#: draws as text; Kdenlive lays its subtitle track over every clip), colour tables, a
#: GPS track, a stabiliser's motion data. No source reads such a file, and a file no
#: source reads is a lock at final
DATA_FILES = frozenset({
    ("avfilter.subtitles", "av.filename"), ("avfilter.ass", "av.filename"),
    ("avfilter.lut3d", "av.file"), ("avfilter.lut1d", "av.file"),
    ("gpsgraphic", "resource"), ("gpstext", "resource"), ("vidstab", "filename"),
})


def played_media(producer: ET.Element, root_folder: str | None) -> str | None:
    """The media file melt renders for this timeline producer (its ``resource``; a proxy
    when the project is proxied), relative paths resolved against the document's
    ``root``."""
    service = prop(producer, "mlt_service") or ""
    if _renders_no_file(service):
        return None
    return _path(prop(producer, "resource"), service, root_folder)


def _renders_no_file(service: str) -> bool:
    """A producer whose ``resource`` is no file: a generator, or a document given as text."""
    return service in GENERATORS or service in STRING_SERVICES


def named_media(producer: ET.Element, clip: ET.Element, attached: Sequence[ET.Element],
                root_folder: str | None, clip_root: str | None,
                folder: Path | None = None) -> Iterator[str]:
    """Every file the clip names besides: the producer's and its bin clip's paths (the
    original behind a proxy...; the bin clip's against ``clip_root``), and the files its
    filters, transitions and links bring in (a watermark; with ``folder``, where relative
    names are, any property naming a file that is there)."""
    for element, root in dict.fromkeys(((producer, root_folder), (clip, clip_root))):
        service = prop(element, "mlt_service") or ""
        for name in PRODUCER_PATHS:
            if name == "resource" and _renders_no_file(service):
                continue
            path = _path(prop(element, name), service, root)
            if path:
                yield path
    for element in attached:
        yield from attached_media(element, root_folder, folder)


def attached_media(element: ET.Element, root_folder: str | None,
                   folder: Path | None = None) -> Iterator[str]:
    """The files a filter, transition or link names: its properties for a file (a
    watermark's image, a luma) and, with ``folder`` (where relative names are), any other
    property naming a file that is there (a GPS graphic's ``bg_img_path``: filters name
    their files as they like)."""
    service = prop(element, "mlt_service") or ""
    base = Path(root_folder) if root_folder else folder
    for child in element.findall("property"):
        name = child.get("name", "")
        text = (child.text or "").strip()
        if (service, name) in DATA_FILES:
            continue
        if name.rpartition(".")[2] in ATTACHED_PATHS:
            path = _path(child.text, service, root_folder)
            if path:
                yield path
        elif base is not None and _names_file(text, base):
            yield str(base / text)


def _names_file(text: str, base: Path) -> bool:
    """Whether a property's value names a file that is there (absolute, or in ``base``)."""
    if not text or len(text) > 4096 or "\n" in text or "\0" in text:
        return False
    try:
        return (base / text).is_file()
    except (OSError, ValueError):
        return False


def unloaded(project: Project, folder: Path) -> list[tuple[ET.Element, tuple[str, ...], str]]:
    """The filters, transitions and links of the project file that melt could not load here
    (left out of what it says it plays) and that draw a picture: on a machine that loads
    them (Qt's need a display) they play. Each with the project file's element it is
    attached to, the files it draws and why some cannot be read."""
    if project.played is None or not project.played.unloaded:
        return []
    parents = {id(c): p for p in project.root.iter() for c in p}
    out = []
    for element in project.root.iter():
        if element.tag not in ("filter", "transition", "link") or \
                (prop(element, "mlt_service") or element.get("mlt_service") or "") \
                not in project.played.unloaded:
            continue
        named = tuple(attached_media(element, str(folder), folder))
        drawn, why = titles.rich_text_pictures(element, folder)
        if named or drawn or why:
            out.append((parents[id(element)], (*named, *drawn), why))
    return out


def document_named(producer: ET.Element) -> str | None:
    """An MLT document a producer plays other than as :class:`_Walk` follows it (through
    ``timewarp``, say), else None."""
    service = prop(producer, "mlt_service") or ""
    for name in ("resource", "warp_resource"):
        path = _path(prop(producer, name), service, None)
        if path and Path(path.removeprefix("xml:")).suffix.lower() in (*DOCUMENT_SUFFIXES,
                                                                      ".melt"):
            return path
    return None


def drawn(producer: ET.Element, attached: Sequence[ET.Element], here: Path
           ) -> tuple[tuple[str, ...], str]:
    """The files Qt draws into the clip (a title's images, a filter's rich text), and why
    some picture cannot be read ("" when all can)."""
    drawn, why = titles.pictures(producer, here)
    reasons = [why]
    for element in attached:
        written, unread = titles.rich_text_pictures(element, here)
        drawn, reasons = (*drawn, *written), [*reasons, unread, _plays_producer(element)]
    return tuple(dict.fromkeys(drawn)), "; ".join(w for w in reasons if w)


def _plays_producer(element: ET.Element) -> str:
    """Why a filter's, transition's or link's file cannot be read as a picture: MLT loads
    it as a producer, so an MLT document (its clips) or a name with a service prefix
    (``timewarp:``, ``xml:``...) plays what aigate does not follow ("" for a file)."""
    for path in attached_media(element, None):
        name = path.strip()
        prefixed = re.match(r"[A-Za-z][\w.+-]+:(?!//)", name) is not None
        if prefixed or Path(name).suffix.lower() in LOADED_DOCUMENTS:
            label = element.get("id") or prop(element, "mlt_service") or element.tag
            return (f"{element.tag} {label!r} plays {name} as a producer (an MLT document "
                    "or a service), whose pictures aigate does not follow")
    return ""
