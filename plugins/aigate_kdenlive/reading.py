"""A Kdenlive or MLT project read from its file: parsed as hostile XML, refused where melt
would play something other than what the file says (a root read from melt's folder, an id
defined twice, a sequence playing itself, an entry naming nothing, a time that is no
time), and what melt plays named (:func:`.walk.name_documents`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from aigate.api import InputError

from . import normalised
from .project import (
    DOCUMENT_SERVICES,
    DOCUMENT_SUFFIXES,
    LOADED_DOCUMENTS,
    MAX_PLAYED,
    SERVICES,
    SPELT,
    Project,
    _time,
    prop,
)
from .walk import name_documents


def read(path: Path) -> Project:
    """The project at ``path``; any fault is an :class:`InputError` naming the file and the
    place (an id defined twice included)."""
    try:
        tree = SafeET.parse(str(path))
    except ET.ParseError as exc:
        raise InputError(f"{path}: cannot read as MLT XML: {exc}") from None
    except DefusedXmlException:
        # entities can grow a small file into gigabytes or read other files: no reader,
        # aigate's or MLT's, is given one
        raise InputError(f"{path}: refused: it declares XML entities (<!DOCTYPE ... "
                         "<!ENTITY>), which can expand without bound or pull in other files; "
                         "save the project again from Kdenlive or remove the DOCTYPE") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    root = tree.getroot()
    if root is None or root.tag != "mlt":
        tag = root.tag if root is not None else "nothing"
        raise InputError(f"{path}: not an MLT document (root element <{tag}>, expected <mlt>)")
    base = root.get("root")
    if base is not None and not Path(base).is_absolute():
        # MLT reads such a root from the folder melt runs in, not the project's: what
        # plays would depend on where the player is started
        raise InputError(f"{path}: <mlt root={base!r}> is not an absolute folder: melt "
                         "reads the project's media from the folder it is started in, so "
                         "what plays depends on where that is; give the folder in full or "
                         "remove root (media are then read beside the project)")
    project = Project(tree=tree, path=path, name=path.stem)
    project.services()  # refuses an id defined twice
    _refuse_loops(project)  # melt would recurse without end on them
    if normalised.available():
        project.played = name_documents(project, normalised.played(path, _documents(project)))
    return project


def _documents(project: Project) -> tuple[Path, ...]:
    """The files this document's producers play as MLT documents (melt writes them into
    the normalised document, so their content is part of its cache key; media is not)."""
    folder = Path(project.root.get("root") or (project.path.parent if project.path else "."))
    found = set()
    for element in project.root.iter():
        service = prop(element, "mlt_service") or element.get("mlt_service") or ""
        for name in (prop(element, "resource"), element.get("resource"),
                     prop(element, "src"), element.get("src")):
            text = (name or "").strip()
            file = Path(text.removeprefix("xml:").partition("?")[0])
            if text and len(text) < 4096 and (
                    text.startswith("xml:") or service in ("xml", "consumer", "melt_file")
                    or file.suffix.lower() in LOADED_DOCUMENTS):
                found.add(folder / file)
    return tuple(sorted(f for f in found if f.is_file()))


def _refuse_loops(project: Project) -> None:
    """A sequence that plays itself, or a producer playing the document it is in, is
    refused naming the place (melt recurses on them until it fails)."""
    services = project.services()
    folder = project.root.get("root") or str(project.path.parent if project.path else ".")
    own = project.path.resolve() if project.path else None
    for element in services.values():
        resource = (prop(element, "resource") or element.get("resource") or "").strip()
        service = prop(element, "mlt_service") or element.get("mlt_service") or ""
        if own is not None and element.tag in ("producer", "chain") and resource and (
                service in DOCUMENT_SERVICES or resource.startswith("xml:")
                or Path(resource).suffix.lower() in DOCUMENT_SUFFIXES):
            name = resource.removeprefix("xml:")
            if (Path(folder) / name).resolve() == own:
                raise InputError(f"{project.where()}: {project.place(element)}: "
                                 f"{element.get('id')!r} plays {name}, which plays this "
                                 "document: it would never end")
    done: dict[int, int] = {}

    def visit(element: ET.Element, path: tuple[ET.Element, ...]) -> int:
        """How many clips and sequences ``element`` plays (melt's loader copies nested
        documents that many times)."""
        if any(seen is element for seen in path):
            start = next(n for n, seen in enumerate(path) if seen is element)
            chain = " -> ".join(repr(e.get("id")) for e in (*path[start:], element))
            raise InputError(f"{project.where()}: {project.place(element)}: "
                             f"<{element.tag}> {element.get('id')!r} plays itself ({chain})")
        if id(element) in done:
            return done[id(element)]
        count = 1
        for child in element.iter():
            target = services.get(child.get("producer") or "") \
                if child.tag in ("entry", "track") else None
            if target is not None and target.tag in ("playlist", "tractor"):
                count += visit(target, (*path, element))
            elif target is not None:
                count += 1
            if count > MAX_PLAYED:
                raise InputError(f"{project.where()}: plays more than {MAX_PLAYED} clips and "
                                 "sequences (nested sequences used over and over): not "
                                 "checked")
        done[id(element)] = count
        return count

    main = next((el for el in reversed(project.root) if el.tag in SERVICES), None)
    for element in ([main] if main is not None else []) + list(services.values()):
        if element.tag in ("playlist", "tractor"):
            visit(element, ())
    _refuse_unreadable(project)


def _refuse_unreadable(project: Project) -> None:
    """An entry or track naming a service no element defines, or an in/out/length that is
    no time, is refused naming the place: MLT would skip the entry or read the time as
    some number, and the file is not what its author meant (an id given as a
    ``<property name="id">`` counts as defined, as MLT reads it)."""
    defining = (*SERVICES, *SPELT)
    known = {e.get("id") for e in project.root.iter() if e.tag in defining}
    known |= {prop(e, "id") for e in project.root.iter() if e.tag in defining}
    rate = project.rate()
    for parent in project.root.iter():
        if parent.tag not in ("playlist", "tractor", "multitrack", "seq", "smil"):
            continue
        for number, child in enumerate(parent, start=1):
            if child.tag not in ("entry", "track", "blank"):
                continue
            where = f"{parent.tag} {parent.get('id')!r} element {number}"
            name = child.get("producer")
            if child.tag != "blank" and name is not None and name not in known:
                raise InputError(f"{project.where()}: {where}: <{child.tag}> plays "
                                 f"{name!r}, which is not defined")
            for key in ("in", "out", "length"):
                if child.get(key) is not None:
                    _time(project, child.get(key) or "", rate, f"{where} {key}")
