"""Finding a clip's media the way a conform relinks it, and deciding whether it may be read.

A media reference may be a file:// URL, a path relative to the timeline, or an absolute path
from another machine; ``media.remap`` in aigate.yaml rewrites prefixes (as a relink does) and
only files under ``media.roots`` are read (by default: the timeline's folder and the config's
folder). Symlinks are resolved before that check; a loop is reported, never followed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import globs

OK, NONE, MISSING, OUTSIDE, UNREADABLE = "ok", "none", "missing", "outside-roots", "unreadable"


@dataclass(frozen=True, slots=True)
class Media:
    """A clip's media file: where it is and whether the gate may read it."""

    url: str | None
    state: str
    path: Path | None = None
    detail: str = ""
    size: int = 0
    mtime_ns: int = 0

    @property
    def readable(self) -> bool:
        return self.state == OK


@dataclass(frozen=True, slots=True)
class Remap:
    source: str
    target: str


class MediaResolver:
    """Resolves media URLs for one subject; each URL once."""

    def __init__(self, base: Path | None, roots: tuple[Path, ...],
                 remaps: tuple[Remap, ...] = ()) -> None:
        self.base = base
        self.roots = tuple(str(r.resolve()) for r in roots)
        self.remaps = remaps
        self._seen: dict[str, Media] = {}

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

    def _resolve(self, url: str) -> Media:
        if "://" in url and not url.startswith("file:"):
            return Media(url, MISSING, detail="not a local file")
        text = globs.as_path(url)
        for remap in self.remaps:
            if text.startswith(remap.source):
                text = remap.target + text[len(remap.source):]
                break
        path = Path(text)
        if not path.is_absolute() and self.base is not None:
            path = self.base / path
        try:
            real = path.resolve(strict=True)
            stat = real.stat()
        except FileNotFoundError:
            return Media(url, MISSING, path, f"not found: {path}")
        except RuntimeError:  # Python 3.11 reports a symlink loop this way
            return Media(url, UNREADABLE, path, f"symlink loop: {path}")
        except OSError as exc:
            return Media(url, UNREADABLE, path, f"{exc.strerror or exc}: {path}")
        if not any(str(real) == root or str(real).startswith(root + os.sep)
                   for root in self.roots):
            return Media(url, OUTSIDE, real, f"outside the media roots, not read: {real}")
        if not real.is_file():
            return Media(url, UNREADABLE, real, f"not a regular file: {real}")
        if not os.access(real, os.R_OK):
            return Media(url, UNREADABLE, real, f"permission denied: {real}")
        return Media(url, OK, real, size=stat.st_size, mtime_ns=stat.st_mtime_ns)


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
