"""Values remembered between runs in the user's cache folder (``$XDG_CACHE_HOME/aigate``,
else ``~/.cache/aigate``), one JSON file per key: what start-up would otherwise compute again
on every run (the installed plugins, OTIO's manifest, the parse of an unchanged YAML file).

A remembered value saves time and never decides an answer: any trouble with a file means
the value is computed again, and one the user could not have written alone (:func:`private`)
is never read.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any


def cache_folder() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "aigate"


def private(path: Path) -> bool:
    """True when only this user can change the cache at ``path``: the file (if it exists)
    and its folder are ours and writable by no one else. A cache another user can write
    could say "no provenance" for any file, so it is not used (the media are read)."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    for part in (path, path.parent):
        try:
            info = part.stat()
        except FileNotFoundError:
            continue
        if (uid is not None and info.st_uid != uid) or info.st_mode & 0o022:
            return False
    return True


def _file(name: str, key: str) -> Path:
    # one file per key: environments sharing a home (virtualenvs, test runs) do not take
    # turns overwriting one value
    return cache_folder() / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def recall(name: str, key: str) -> Any:
    """The value last remembered as ``name`` under ``key``, or None."""
    path = _file(name, key)
    try:
        if private(path):
            kept = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(kept, dict) and kept.get("key") == key:
                return kept.get("value")
    except (OSError, ValueError):
        pass
    return None


def remember(name: str, key: str, value: Any) -> None:
    """Keep ``value`` (JSON) as ``name`` under ``key``, atomically; silently not at all
    where the cache folder cannot be written (a read-only home, say)."""
    path = _file(name, key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # a folder another user can write is never written into: a link planted at the
        # temporary name would have this user overwrite a file of theirs
        if not private(path):
            return
        text = json.dumps({"key": key, "value": value}).encode("utf-8")
        # one writer per name: threads of one process (Dask's) too
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        temporary.unlink(missing_ok=True)  # one a killed run left (the folder is ours)
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                         | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(text)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except (OSError, TypeError, ValueError):
        pass
