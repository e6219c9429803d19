"""What each media file says about itself, cached so a conform re-run does not read the
media again.

A value is valid while the file's size, mtime, inode and ctime hold: a same-size rewrite
with its mtime put back (``os.utime``) still changes the ctime, which a user cannot set.
SQLite in the user cache folder (``cache:`` in aigate.yaml moves it, ``cache: off`` turns it
off). Several processes may share it (WAL, a busy timeout); a cache that cannot be opened or
written is skipped, and a row that does not read back as what was stored (corrupt JSON,
wrong types, a garbage database) is a miss: never a failed check.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigate.config.remembered import private
from aigate.core.media import Media

if TYPE_CHECKING:
    import sqlite3

SCHEMA = 2
MISS = object()
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")


def checked(value: Any) -> Any:
    """The default check of a cached value: null, a sha256, or a claim that reads back."""
    from aigate.core.provenance import claim_from_dict

    if value is None or (isinstance(value, str) and _SHA256.match(value)):
        return value
    if isinstance(value, dict):
        claim_from_dict(value)  # raises on anything that is not a stored claim
        return value
    raise ValueError(f"unexpected cached value {type(value).__name__}")


def sha256_value(value: Any) -> str:
    """A cached sha256 (a miss unless it is 64 lowercase hex digits)."""
    if isinstance(value, str) and _SHA256.match(value):
        return value
    raise ValueError("not a sha256")


class ProvenanceCache:
    """Values per (source, media file), valid while the file's size, mtime, inode and ctime
    hold."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._broken = False
        self._pending = 0

    def _connect(self) -> sqlite3.Connection | None:
        import sqlite3  # only when a source actually asks the cache

        if self._db is None and not self._broken:
            db = None
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if not private(self.path):
                    raise OSError("another user could write this cache: its answers could be "
                                  "forged")
                db = sqlite3.connect(self.path, timeout=10)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
                    db.execute("DROP TABLE IF EXISTS claims")  # an older key: start over
                db.execute("CREATE TABLE IF NOT EXISTS claims (source TEXT, path TEXT, "
                           "size INTEGER, mtime_ns INTEGER, inode INTEGER, ctime_ns INTEGER, "
                           "value TEXT, PRIMARY KEY (source, path))")
                db.execute(f"PRAGMA user_version={SCHEMA}")
                db.commit()
                self._db = db
            except (sqlite3.Error, OSError):
                if db is not None:
                    db.close()
                self._broken = True
        return self._db

    @staticmethod
    def _stamp(media: Media) -> tuple[int, int, int, int]:
        return media.size, media.mtime_ns, media.inode, media.ctime_ns

    def get(self, source: str, media: Media,
            decode: Callable[[Any], Any] = checked) -> Any:
        """The cached value (``decode`` applied), or MISS."""
        db = self._connect()
        if db is None or media.path is None:
            return MISS
        try:
            row = db.execute("SELECT size, mtime_ns, inode, ctime_ns, value FROM claims "
                             "WHERE source=? AND path=?", (source, str(media.path))).fetchone()
        except self._errors():
            return MISS
        if row is None or tuple(row[:4]) != self._stamp(media):
            return MISS
        return self._decode(row[4], decode)

    def get_many(self, source: str, media: list[Media],
                 decode: Callable[[Any], Any] = checked) -> dict[Path, Any]:
        """Cached values for many files in a few queries (a conform checks thousands)."""
        found: dict[Path, Any] = {}
        wanted = {str(m.path): m for m in media if m.path is not None}
        if not wanted:  # nothing to ask: the database is not even opened
            return found
        db = self._connect()
        if db is None:
            return found
        names = list(wanted)
        try:
            for start in range(0, len(names), 500):
                chunk = names[start:start + 500]
                rows = db.execute(
                    "SELECT path, size, mtime_ns, inode, ctime_ns, value FROM claims WHERE "
                    f"source=? AND path IN ({','.join('?' * len(chunk))})",
                    (source, *chunk)).fetchall()
                for path, *stamp, value in rows:
                    m = wanted.get(path) if isinstance(path, str) else None
                    if m is None or m.path is None or tuple(stamp) != self._stamp(m):
                        continue
                    decoded = self._decode(value, decode)
                    if decoded is not MISS:
                        found[m.path] = decoded
        except self._errors():
            return {}
        return found

    @staticmethod
    def _decode(text: Any, decode: Callable[[Any], Any]) -> Any:
        """A stored value, or MISS when it does not read back as what was stored."""
        try:
            return decode(json.loads(text))
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return MISS

    def put(self, source: str, media: Media, value: Any) -> None:
        db = self._connect()
        if db is None or media.path is None:
            return
        try:
            db.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (source, str(media.path), *self._stamp(media), json.dumps(value)))
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
