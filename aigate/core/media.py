"""Finding a clip's media the way a conform relinks it, and deciding whether it may be read.

A media reference may be a file:// URL, a path relative to the timeline, or an absolute path
from another machine; ``media.remap`` in aigate.yaml rewrites prefixes (as a relink does) and
only files under ``media.roots`` are read (by default: the timeline's folder and the config's
folder). Symlinks are resolved before that check; a loop is reported, never followed.

Every URL is read the way the player opens it: ``file:`` in any letter case, ``.``/``..``
and repeated separators as the OS resolves them, a ``//``-prefixed path as the local path
it names when there is one (POSIX reads ``//x`` as ``/x``), a backslash in a POSIX name as
the literal character when such a file exists (as ffmpeg and melt open it), else as a
separator. :func:`normalise_path` is the one spelling every path decision compares (path
patterns, approval scopes, ledger entries, the packed-media rule), beside the real path.
An image sequence (:class:`aigate.model.FrameSequence`) is expanded here, frame by frame,
up to :data:`MAX_SEQUENCE_FRAMES` a clip.
"""

from __future__ import annotations

import errno
import hashlib
import os
import posixpath
import re
import stat as stat_module
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import unquote, urlparse

from aigate.config.settings import Remap
from aigate.model import FrameSequence

#: Whether a clip's media may be read: plain strings in reports, checked by mypy in code.
MediaState = Literal["ok", "none", "missing", "outside-roots", "unreadable", "not-read"]
OK: Final = "ok"
NONE: Final = "none"
MISSING: Final = "missing"
OUTSIDE: Final = "outside-roots"
UNREADABLE: Final = "unreadable"
#: not looked for: the check was asked not to read media
NOT_READ: Final = "not-read"


#: the longest media URL the gate resolves (characters): four times the longest path a
#: POSIX system opens (PATH_MAX 4096), room for a file:// URL's percent-escapes. A longer
#: one names no file a player can open: it is unreadable (at final, a finding), and no
#: work on it grows with its length
MAX_MEDIA_URL = 16384


@dataclass(frozen=True, slots=True)
class Media:
    """A clip's media file: where it is and whether the gate may read it."""

    url: str | None
    state: MediaState
    path: Path | None = None
    detail: str = ""
    size: int = 0
    mtime_ns: int = 0
    #: what os.utime cannot put back (with size and mtime, the provenance cache's key)
    inode: int = 0
    ctime_ns: int = 0

    @property
    def readable(self) -> bool:
        return self.state == OK


_NO_MEDIA = Media(None, NONE)

#: the most frames of one image sequence a clip may use: past it the frames are not read,
#: and the clip's media count as unread (``media-missing``: a lock at final)
MAX_SEQUENCE_FRAMES: Final = 50_000

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_PLACEHOLDER = re.compile(r"%(0?)(\d*)d")


def _is_file_url(url: str) -> bool:
    return url[:5].lower() == "file:"


def _is_remote(url: str) -> bool:
    """A URL of another scheme than file: (http://, s3://...), never a local file. A
    one-letter scheme is a Windows drive."""
    found = _SCHEME.match(url)
    return bool(found and len(found.group(1)) > 1 and not _is_file_url(url)
                and url[found.end():found.end() + 2] == "//")


def media_key(media: Media) -> str | None:
    """The one spelling of a media file a waiver's path scope is matched against: the real
    path the player opens (links resolved) where the gate found the file, else its URL
    normalised (:func:`normalise_path`). A scope never matches a spelling, only a file."""
    if media.path is not None:
        return str(media.path)
    return normalise_path(media.url) if media.url else None


def media_spellings(media: Media) -> tuple[str, ...]:
    """Every spelling of a media file a flagging path rule (a path pattern, a ledger path
    entry) is tried on: as written, normalised, and its real path; any match flags, so no
    spelling hides a file."""
    if not media.url:
        return ()
    found = dict.fromkeys((media.url, normalise_path(media.url)))
    if media.path is not None:
        found[str(media.path)] = None
    return tuple(found)


def normalise_path(url_or_path: str) -> str:
    """``url_or_path`` spelled the one way path decisions compare: a ``file:`` URL (any
    letter case) as its path, backslashes as ``/``, repeated separators collapsed (a
    leading ``//``, a UNC share, kept), ``.`` and ``..`` resolved lexically. A remote URL
    is returned as it is."""
    if not url_or_path or _is_remote(url_or_path):
        return url_or_path
    return posixpath.normpath(_local_text(url_or_path))




class MediaResolver:
    """Resolves media URLs for one subject; each URL once. With ``reads=False`` no file
    is looked at: every URL resolves as :data:`NOT_READ` (no path, no note)."""

    def __init__(self, base: Path | None, roots: tuple[Path, ...],
                 remaps: tuple[Remap, ...] = (), *, reads: bool = True,
                 bundled: frozenset[str] = frozenset()) -> None:
        self.reads = reads
        #: media packed inside the subject's own bundle (an .otioz), which is not read
        self.bundled = frozenset(normalise_path(n) for n in bundled)
        self.base = base
        self.roots = tuple(os.path.realpath(r) for r in roots)
        self.remaps = remaps
        self._seen: dict[str, Media] = {}
        self._folders: dict[str, tuple[str, frozenset[str]] | None] = {}
        self._real: dict[str, str] = {}
        self._url_folders: dict[tuple[str, bool], str | None] = {}
        self._items: tuple[Sequence[Any], list[Media]] | None = None
        self._frames: dict[FrameSequence, tuple[tuple[str, ...], str]] = {}

    def for_items(self, items: Sequence[Any]) -> list[Media]:
        """Every item's media (by ``media_url``), in item order: worked out once per subject
        and shared by every source that asks, rather than looked up per clip per source."""
        if self._items is not None and self._items[0] is items:
            return self._items[1]
        seen, resolve = self._seen, self.resolve
        media = [seen.get(url) or resolve(url) if url else _NO_MEDIA
                 for url in (item.media_url for item in items)]
        self._items = (items, media)
        return media

    def known_for(self, items: Sequence[Any]) -> Sequence[Media | None]:
        """:meth:`known` for every item, in item order."""
        if self._items is not None and self._items[0] is items:
            return self._items[1]  # every URL was resolved
        seen = self._seen
        return [seen.get(url) if url else None for url in (i.media_url for i in items)]

    def known(self, url: str | None) -> Media | None:
        """The media already resolved for ``url`` by some source, without resolving it."""
        return self._seen.get(url) if url else None

    def resolve(self, url: str | None) -> Media:
        if not url:
            return Media(url, NONE)
        media = self._seen.get(url)
        if media is None:
            media = self._seen[url] = self._resolve(url)
        return media

    def frames(self, sequence: FrameSequence) -> tuple[tuple[str, ...], str]:
        """The URL of every frame file ``sequence`` uses, in order, and what keeps them from
        being read ("" when nothing does): a range past :data:`MAX_SEQUENCE_FRAMES`, a
        pattern without one frame-number placeholder, a ``.all.`` folder with no frames."""
        known = self._frames.get(sequence)
        if known is None:
            known = self._frames[sequence] = self._expand(sequence)
        return known

    def _expand(self, sequence: FrameSequence) -> tuple[tuple[str, ...], str]:
        count, step = sequence.count, max(sequence.step, 1)
        name = sequence.pattern or (sequence.files[0] if sequence.files else "")
        if count > MAX_SEQUENCE_FRAMES:
            return (), (f"image sequence {name}: the clip uses {count} frames, more than "
                        f"the {MAX_SEQUENCE_FRAMES} the gate reads for one clip: not read")
        if sequence.files:
            used = sequence.files[max(sequence.first, 0):sequence.last + 1:step]
            return tuple(used), "" if used else f"image sequence {name}: no frames in range"
        head, _, base = sequence.pattern.replace("\\", "/").rpartition("/")
        if base.startswith(".all."):  # MLT: every file of the folder with that suffix
            folder = self._folder_text(head)
            if folder is not None and self.base is None and not os.path.isabs(folder or "."):
                folder = None  # relative, and where the timeline came from is unknown
            listing = self._folder(folder or ".") if folder is not None else None
            if listing is None:
                return (), f"image sequence {sequence.pattern}: folder not found"
            suffix = base[len(".all"):]
            names = sorted(n for n in listing[1] if n.endswith(suffix) and n != base)
            if len(names) > MAX_SEQUENCE_FRAMES:
                return (), (f"image sequence {sequence.pattern}: {len(names)} frames, more "
                            f"than the {MAX_SEQUENCE_FRAMES} the gate reads for one clip: "
                            "not read")
            prefix = f"{head}/" if head else ""
            # the clip's range indexes the folder's frames; a range past them reads them all
            in_folder = names[max(sequence.first, 0):sequence.last + 1:step] or names
            if not in_folder:
                return (), f"image sequence {sequence.pattern}: no {suffix} frames in its folder"
            return tuple(prefix + n for n in in_folder), ""
        placeholders = _PLACEHOLDER.findall(sequence.pattern.replace("%%", ""))
        if len(placeholders) != 1:
            return (), (f"image sequence {sequence.pattern}: not one frame-number "
                        "placeholder (%d or %0Nd)")
        if sequence.skips_gaps:
            return self._existing_frames(sequence), ""
        return tuple(frame_url(sequence.pattern, n)
                     for n in range(sequence.first, sequence.last + 1, step)), ""

    def _existing_frames(self, sequence: FrameSequence) -> tuple[str, ...]:
        """The frame files melt shows: those that exist from ``first`` on, missing numbers
        skipped (at most 100 in a row), up to the last one the clip uses. None found: the
        first number's file, which then is missing (never "no media")."""
        wanted = sequence.count
        found: list[str] = []
        number, misses = sequence.first, 0
        while len(found) < wanted and misses < 100:
            url = frame_url(sequence.pattern, number)
            if self.resolve(url).state != MISSING:
                found.append(url)
                misses = 0
            else:
                misses += 1
            number += 1
        return tuple(found) or (frame_url(sequence.pattern, sequence.first),)

    def beside(self, media: Media, names: tuple[str, ...]) -> list[Media]:
        """Readable files named ``names`` in ``media``'s folder (sidecars), found with one
        listing per folder rather than a stat per clip."""
        if media.path is None:
            return []
        folder = self._folder(str(media.path.parent))
        if folder is None:
            return []
        return [self.resolve(os.path.join(folder[0], n)) for n in names if n in folder[1]]

    def _folder(self, folder: str) -> tuple[str, frozenset[str]] | None:
        if folder not in self._folders:
            try:
                self._folders[folder] = (folder, frozenset(os.listdir(folder)))
            except OSError:
                self._folders[folder] = None
        return self._folders[folder]

    def _resolve(self, url: str) -> Media:
        if not self.reads:
            return Media(url, NOT_READ)
        if len(url) > MAX_MEDIA_URL:
            return Media(url, UNREADABLE, detail=f"media URL of {len(url)} characters, over "
                         f"the limit of {MAX_MEDIA_URL}: not resolved ({url[:60]}...)")
        if _is_remote(url) or ("://" in url and not _is_file_url(url)
                               and not _DRIVE.match(url.replace("\\", "/"))):
            return Media(url, MISSING, detail="not a local file")
        if "\\" in url and os.name != "nt" and not _is_file_url(url):
            # a POSIX player opens a backslash as part of the name: that file, if it exists
            literal = self._resolve_text(url, literal=True)
            if literal.state != MISSING:
                return literal
        return self._resolve_text(url)

    def _resolve_text(self, url: str, literal: bool = False) -> Media:
        # the folder part is worked out once per folder (a cut has thousands of clips in a
        # few folders); whether the file is there comes from that folder's listing
        head, _, name = (url if literal else url.replace("\\", "/")).rpartition("/")
        if _is_file_url(url):
            name = unquote(name)
        key = (head, literal)
        if key not in self._url_folders:
            self._url_folders[key] = self._folder_text(head, literal)
        folder = self._url_folders[key]
        if folder is None:
            kind = foreign_kind(_local_text(head + "/"))
            return Media(url, MISSING, detail=f"a {kind} path from another machine, not "
                         f"found here (media.remap in aigate.yaml maps it): {url}")
        if self.base is None and not os.path.isabs(folder or "."):
            return Media(url, MISSING, detail="a relative path, and where the timeline was "
                         f"read from is not known (an export passes its origin): {url}")
        listing = self._folder(folder or ".")
        text = f"{folder}/{name}" if folder else name
        if listing is None or name not in listing[1]:
            if self.bundled and normalise_path(url) in self.bundled:  # packed: not "no media"
                return Media(url, UNREADABLE, None, f"inside the bundle, not read: {url}")
            return Media(url, MISSING, None, f"not found: {text}")
        try:
            stat = os.stat(text)  # follows links; a loop raises ELOOP
        except FileNotFoundError:
            return Media(url, MISSING, None, f"not found: {text}")
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return Media(url, UNREADABLE, Path(text), f"symlink loop: {text}")
            return Media(url, UNREADABLE, Path(text), f"{exc.strerror or exc}: {text}")
        # the real place decides the roots check; one realpath per folder, not per file
        real = os.path.realpath(text) if os.path.islink(text) else os.path.join(
            self._real_folder(folder or "."), name)
        if not any(real == root or real.startswith(root + os.sep) for root in self.roots):
            return Media(url, OUTSIDE, Path(real), f"outside the media roots, not read: {real}")
        if not stat_module.S_ISREG(stat.st_mode):
            return Media(url, UNREADABLE, Path(real), f"not a regular file: {real}")
        return Media(url, OK, Path(real), size=stat.st_size, mtime_ns=stat.st_mtime_ns,
                     inode=stat.st_ino, ctime_ns=stat.st_ctime_ns)

    def _folder_text(self, head: str, literal: bool = False) -> str | None:
        """A URL's folder part as a local folder: file:// stripped, remapped, made absolute;
        None for a path from another OS (a Windows drive or UNC share) no remap covers,
        which is never joined onto the timeline's folder. A ``//``-prefixed folder that
        exists here is that local folder, as a POSIX player opens it."""
        if literal:
            text = head
        else:
            text = _local_text(head + "/").rstrip("/") if head else ""
        kind = foreign_kind(text + "/")
        if kind == "UNC" and os.path.isdir("/" + text.lstrip("/")):
            kind, text = None, "/" + text.lstrip("/")
        for remap in self.remaps:
            source = remap.source.replace("\\", "/").rstrip("/")
            # Windows paths compare without case, as Windows does
            here, prefix = ((text + "/").casefold(), (source + "/").casefold()) if kind \
                else (text + "/", source + "/")
            if here.startswith(prefix):
                text = remap.target.rstrip("/") + text[len(source):]
                kind = None
                break
        if kind is not None:
            return None
        if not os.path.isabs(text) and self.base is not None:
            text = os.path.join(self.base, text) if text else str(self.base)
        return text

    def _real_folder(self, folder: str) -> str:
        real = self._real.get(folder)
        if real is None:
            real = self._real[folder] = os.path.realpath(folder)
        return real


_DRIVE = re.compile(r"[A-Za-z]:/")


def frame_url(pattern: str, frame: int) -> str:
    """A printf frame pattern's file for ``frame`` (``%%`` is a literal ``%``)."""
    parts = pattern.split("%%")
    for i, part in enumerate(parts):
        found = _PLACEHOLDER.search(part)
        if found:
            width = int(found.group(2) or 0)
            number = f"{frame:0{width}d}" if found.group(1) else f"{frame:{width}d}"
            parts[i] = part[:found.start()] + number + part[found.end():]
            break
    return "%".join(parts)


def _local_text(url_or_path: str) -> str:
    """A media URL or path with ``/`` separators; a file:// URL's host kept as a UNC
    share (``file://server/share/x`` is ``//server/share/x``)."""
    if _is_file_url(url_or_path):
        parsed = urlparse("file:" + url_or_path[5:].replace("\\", "/"))
        path = unquote(parsed.path)
        if parsed.netloc and parsed.netloc.lower() != "localhost":
            return f"//{parsed.netloc}{path}"
        # file:///S:/x is the drive path S:/x
        return path[1:] if re.match(r"/[A-Za-z]:/", path) else path
    return url_or_path.replace("\\", "/")


def foreign_kind(text: str) -> str | None:
    """``"Windows drive"`` or ``"UNC"`` when ``text`` (``/`` separators) is a path of
    another OS than this one, else None."""
    if os.name == "nt":
        return None
    if _DRIVE.match(text):
        return "Windows drive"
    if text.startswith("//") and not text.startswith("///"):
        return "UNC"
    return None


def read_bounded(path: Path, head: int, tail: int = 0) -> bytes:
    """The first ``head`` and last ``tail`` bytes: enough to find metadata near either end
    of a file of any size without reading gigabytes."""
    with path.open("rb") as handle:
        start = handle.read(head)
        if not tail or len(start) < head:
            return start
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(size - tail, head))
        return start + handle.read(tail)


def file_sha256(path: Path) -> str | None:
    """The sha256 of a file's content (read in chunks), None if it cannot be read."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()
