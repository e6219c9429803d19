"""The document melt plays, as MLT itself resolved it.

aigate's own reader (:mod:`.project`) re-implements MLT's XML loader, and a loader written
twice reads some documents two ways: a value given as an attribute or a ``<property>``, a
property given twice, ``<video>`` or SMIL spellings, namespaced elements, playlists written
inline, negative or reversed in/out, a producer with no out (melt gives it its default
length), documents under other suffixes, command files... So where MLT is installed, melt
loads the project and its XML consumer writes what it loaded back out: every producer,
chain, playlist and tractor with in/out and lengths as MLT resolved them, each property
once, nested documents inlined (``MLT_XML_DEEP``). The walk of :mod:`.project` then reads
that document, which is plain and canonical.

melt is run on the file itself (named ``xml:/absolute/path``, so no file name reads as an
option or a service), with a time-out, writing only into a temporary folder; the consumer
is ``xml``, which serialises the service network and processes no frame. Documents that
declare XML entities are refused before melt sees them (:func:`aigate_kdenlive.reading.read`).
Results are kept per file content for the run.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from aigate.api import InputError

MELT = "melt"
#: melt loads a project in well under a second; one that takes this long is refused, not
#: waited on
TIMEOUT = 60
#: the XML consumer writes a playlist's, tractor's or entry's properties only under this
#: prefix (a producer's are all written): Kdenlive's, which holds ``kdenlive:aigate``
STORE = "kdenlive:"


@dataclass(frozen=True)
class Played:
    """What melt made of a file: the normalised document (melt's own wrapper removed, the
    timeline last), and the frames of the timeline it plays (first, last inclusive)."""

    root: ET.Element
    cut: tuple[int, int] | None
    #: filters, transitions and links melt left out because it could not load them here
    #: (Qt's need a display): on another machine they play
    unloaded: frozenset[str] = frozenset()


_cache: dict[tuple[str, str], Played] = {}  # for the run: a few per project


def melt_path() -> str | None:
    return shutil.which(MELT)


def available() -> bool:
    return melt_path() is not None


def played(path: Path, documents: tuple[Path, ...] = ()) -> Played:
    """The normalised document of the MLT file at ``path``, cached by its content and the
    content of the ``documents`` it names (melt inlines them).

    :raises aigate.api.InputError: one line naming the file, when melt cannot load it,
        does not answer in time, or is not installed."""
    digest = hashlib.sha256(path.read_bytes())
    for document in documents:
        try:
            digest.update(document.read_bytes())
        except OSError:
            digest.update(b"\0missing")
    key = (str(path.resolve()), digest.hexdigest())
    known = _cache.get(key)
    if known is None:
        known = _cache[key] = _load(path)
    return known


def _load(path: Path) -> Played:
    melt = melt_path()
    if melt is None:
        raise InputError(f"{path}: MLT is not installed (melt not found): what melt plays "
                         "cannot be asked")
    with tempfile.TemporaryDirectory(prefix="aigate-mlt-") as folder:
        out = Path(folder) / "played.mlt"
        # MLT_XML_DEEP: nested documents are written inline, not as a reference to a file;
        # run from the project's folder, which the consumer writes paths relative to (as
        # the document's ``root``)
        env = {**os.environ, "MLT_XML_DEEP": "1"}
        command = [melt, f"xml:{path.resolve()}", "-consumer", f"xml:{out}",
                   f"store={STORE}", "no_meta=1"]
        try:
            proc = subprocess.run(command, capture_output=True, text=True, env=env,
                                  cwd=path.resolve().parent, stdin=subprocess.DEVNULL,
                                  timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise InputError(f"{path}: melt did not load it within {TIMEOUT} s: not "
                             "checked") from None
        except OSError as exc:
            raise InputError(f"{path}: melt could not be run: {exc.strerror or exc}") from None
        text = out.read_text(encoding="utf-8", errors="replace") if out.exists() else ""
    if proc.returncode != 0 or not text.strip():
        lines = [line.strip() for line in proc.stderr.splitlines()
                 if line.strip() and "LADSPA" not in line]
        why = lines[-1] if lines else f"exit code {proc.returncode}"
        raise InputError(f"{path}: melt cannot load it: {why}")
    try:
        root = SafeET.fromstring(text)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise InputError(f"{path}: melt's normalised document cannot be read: {exc}") from None
    return Played(root, _unwrap(root), frozenset(_UNLOADED.findall(proc.stderr)))


#: how MLT's XML loader says it dropped a service it could not create
_UNLOADED = re.compile(r'failed to load (?:filter|transition|link) "([^"]+)"')


def _unwrap(root: ET.Element) -> tuple[int, int] | None:
    """Remove the tractor and playlist melt wraps every file it is given in (written last:
    a tractor of one track playing a playlist of one entry, the document's timeline), and
    put that timeline last; its cut is what melt plays of it."""
    children = list(root)
    if len(children) < 2 or children[-1].tag != "tractor":
        return None
    wrapper = children[-1]
    tracks = wrapper.findall("track")
    playlist = next((c for c in children if c.tag == "playlist"
                     and tracks and c.get("id") == tracks[0].get("producer")), None)
    entries = playlist.findall("entry") if playlist is not None else []
    if len(tracks) != 1 or playlist is None or len(entries) != 1 or len(playlist) != 1:
        return None
    entry = entries[0]
    timeline = next((c for c in children if c.get("id") == entry.get("producer")
                     and c is not playlist and c is not wrapper), None)
    root.remove(wrapper)
    root.remove(playlist)
    if timeline is None:
        return None
    root.remove(timeline)
    root.append(timeline)
    try:
        return int(entry.get("in", "0")), int(entry.get("out", "-1"))
    except ValueError:
        return None


def detached(played_root: ET.Element) -> ET.Element:
    """A copy to change (the cached document is shared)."""
    return copy.deepcopy(played_root)
