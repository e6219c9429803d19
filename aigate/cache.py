"""What each media file says about itself, cached by (path, size, mtime) so a conform re-run
does not read the media again.

SQLite in the user cache folder (``cache:`` in aigate.yaml moves it, ``cache: off`` turns it
off). Several processes may share it (WAL, a busy timeout); a cache that cannot be opened or
written is skipped, never a failed check.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .media import Media

if TYPE_CHECKING:
    import sqlite3

SCHEMA = 1
MISS = object()


def default_path() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "aigate" / "provenance.sqlite"


class ProvenanceCache:
    """Values per (source, media file), valid while the file's size and mtime hold."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._broken = False
        self._pending = 0

    def _connect(self) -> sqlite3.Connection | None:
        import sqlite3  # only when a source actually asks the cache

        if self._db is None and not self._broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=10)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("CREATE TABLE IF NOT EXISTS claims (source TEXT, path TEXT, "
                           "size INTEGER, mtime_ns INTEGER, value TEXT, "
                           "PRIMARY KEY (source, path))")
                db.execute(f"PRAGMA user_version={SCHEMA}")
                self._db = db
            except (sqlite3.Error, OSError):
                self._broken = True
        return self._db

    def get(self, source: str, media: Media) -> Any:
        """The cached value, or MISS."""
        db = self._connect()
        if db is None or media.path is None:
            return MISS
        try:
            row = db.execute("SELECT size, mtime_ns, value FROM claims WHERE source=? AND "
                             "path=?", (source, str(media.path))).fetchone()
        except self._errors():
            return MISS
        if row is None or row[0] != media.size or row[1] != media.mtime_ns:
            return MISS
        return json.loads(row[2])

    def get_many(self, source: str, media: list[Media]) -> dict[Path, Any]:
        """Cached values for many files in a few queries (a conform checks thousands)."""
        db = self._connect()
        found: dict[Path, Any] = {}
        if db is None:
            return found
        wanted = {str(m.path): m for m in media if m.path is not None}
        names = list(wanted)
        try:
            for start in range(0, len(names), 500):
                chunk = names[start:start + 500]
                rows = db.execute(
                    "SELECT path, size, mtime_ns, value FROM claims WHERE source=? AND path IN "
                    f"({','.join('?' * len(chunk))})", (source, *chunk)).fetchall()
                for path, size, mtime_ns, value in rows:
                    m = wanted[path]
                    if m.size == size and m.mtime_ns == mtime_ns:
                        found[m.path] = json.loads(value)
        except self._errors():
            return {}
        return found

    def put(self, source: str, media: Media, value: Any) -> None:
        db = self._connect()
        if db is None or media.path is None:
            return
        try:
            db.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?)",
                       (source, str(media.path), media.size, media.mtime_ns,
                        json.dumps(value)))
            self._pending += 1
            if self._pending >= 200:
                self.flush()
        except self._errors():
            pass

    @staticmethod
    def _errors() -> type[Exception]:
        import sqlite3

        return sqlite3.Error

    def flush(self) -> None:
        if self._db is not None and self._pending:
            try:
                self._db.commit()
            except self._errors():
                pass
            self._pending = 0
