"""What is installed, remembered between runs: a check of a small cut must not pay for
scanning every installed distribution (importlib.metadata) or loading OpenTimelineIO's plugin
manifest when neither changed since the last run.

:func:`fingerprint` names the installed distributions as they stand (every ``*.dist-info``
and ``*.egg-info`` on ``sys.path`` with its modification time, and the path itself), cheaply:
a listing and a stat per distribution, no file read. A :func:`snapshot` is kept under that key
in the user's cache folder (a file per key) and recomputed whenever the key changes; one the
user could not have written alone (see :func:`private`) is never trusted.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: bumped when what a snapshot holds changes shape
SCHEMA = 1


def fingerprint(*extra: str) -> str:
    """A key that changes whenever a distribution is installed, removed or reinstalled on
    ``sys.path`` (its ``*.dist-info``/``*.egg-info`` entry is made anew), a ``.pth`` file
    changes, the interpreter or the path changes, or any of ``extra`` does."""
    digest = hashlib.sha256()
    for part in (str(SCHEMA), sys.version, sys.executable, *extra):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    for entry in sys.path:
        digest.update(b"\1" + entry.encode("utf-8", "surrogateescape"))
        try:
            with os.scandir(entry or ".") as listing:
                names = sorted((e.name, e.stat().st_mtime_ns) for e in listing
                               if e.name.endswith((".dist-info", ".egg-info", ".pth",
                                                   ".egg-link")))
            # the folder's own time would change with any file made in it (the current
            # folder is on the path with -m): a distribution is its *-info entry
            digest.update(repr(names).encode())
        except OSError:
            continue  # a missing folder or a zip on the path: its name is in the key
    return digest.hexdigest()


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


def cache_folder() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "aigate"


def snapshot(name: str, key: str, compute: Callable[[], Any],
             valid: Callable[[Any], bool] = lambda value: True) -> Any:
    """The JSON value ``compute()`` gave when ``key`` was last seen (kept in the cache folder
    as ``name``), or ``compute()`` now, remembered for the next run. ``valid`` may refuse a
    remembered value (a file it was made from has changed). Any trouble with the cache means
    ``compute()``: a snapshot saves time, it never decides an answer."""
    # one file per key: environments sharing a home (virtualenvs, test runs) do not take
    # turns overwriting one snapshot
    path = cache_folder() / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
    try:
        if private(path):
            kept = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(kept, dict) and kept.get("key") == key and valid(kept.get("value")):
                return kept["value"]
    except (OSError, ValueError):
        pass
    value = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"key": key, "value": value}), encoding="utf-8")
        os.replace(temporary, path)
    except (OSError, TypeError, ValueError):
        pass  # a read-only home, say: the next run computes it again
    return value


@dataclass(frozen=True, slots=True)
class EntryPoint:
    """One entry point as ``importlib.metadata`` lists it: ``value`` is ``module:attr``."""

    name: str
    value: str
    group: str
    dist: str | None

    @property
    def module(self) -> str:
        return self.value.partition(":")[0].strip()

    def load(self) -> Any:
        module, _, attrs = self.value.partition(":")
        found: Any = importlib.import_module(module.strip())
        for attr in attrs.partition("[")[0].strip().split(".") if attrs.strip() else ():
            found = getattr(found, attr)
        return found


def entry_points(group: str) -> list[EntryPoint]:
    """The group's entry points, as importlib.metadata finds them, remembered per
    :func:`fingerprint` (the scan reads every installed distribution's metadata)."""
    def scan() -> list[list[str | None]]:
        from importlib import metadata

        return [[ep.name, ep.value, ep.dist.name if ep.dist else None]
                for ep in metadata.entry_points(group=group)]

    def well_formed(value: Any) -> bool:
        return isinstance(value, list) and all(
            isinstance(row, list) and len(row) == 3 and all(
                isinstance(v, str) or (i == 2 and v is None) for i, v in enumerate(row))
            for row in value)

    rows = snapshot(f"entry-points-{group}", fingerprint(group), scan, well_formed)
    return [EntryPoint(name, value, group, dist) for name, value, dist in rows]
