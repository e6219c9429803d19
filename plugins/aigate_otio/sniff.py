"""What the OTIO host knows about a file without reading it as a timeline: whether an .xml
file a search found is a timeline at all (its root element), and which media an .otioz
bundle packs (the gate does not read inside it)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

#: root elements of the XML timeline formats (FCP7 XML, FCPX XML)
TIMELINE_ROOTS = frozenset({"xmeml", "fcpxml"})
_ROOT = re.compile(rb"<(?![?!])([A-Za-z_][\w.:-]*)")
_PROLOGUE = re.compile(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", re.S)


def not_a_timeline(path: Path) -> str | None:
    """Why an .xml file found in a folder is not a timeline (its root element is something
    else, e.g. a stray settings.xml), or None (a timeline, or undecided: the adapter says)."""
    if path.suffix.lower() != ".xml":
        return None
    try:
        with path.open("rb") as handle:
            head = _PROLOGUE.sub(b"", handle.read(65536))
    except OSError:
        return None
    root = _ROOT.search(head)
    if root is None:
        return None
    tag = root.group(1).decode("ascii", "replace").rsplit(":", 1)[-1]
    return None if tag in TIMELINE_ROOTS else f"not a timeline (root element <{tag}>)"


def bundled_media(path: Path) -> frozenset[str] | None:
    """The media an .otioz bundle packs (its members besides content.otio, e.g.
    ``media/shot.mov``), or None for a file that is not an .otioz. An archive that cannot
    be listed packs nothing the gate could name (reading it fails on its own)."""
    if path.suffix.lower() != ".otioz":
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            return frozenset(n for n in archive.namelist() if n != "content.otio")
    except (OSError, zipfile.BadZipFile):
        return frozenset()
