"""What is installed, remembered between runs: a check of a small cut must not pay for
scanning every installed distribution (importlib.metadata) or loading OpenTimelineIO's plugin
manifest when neither changed since the last run.

:func:`fingerprint` names the installed distributions as they stand (every ``*.dist-info``
and ``*.egg-info`` on ``sys.path`` with its modification time, and the path itself), cheaply:
a listing and a stat per distribution, no file read. A :func:`snapshot` is kept under that key
in the user's cache folder (:mod:`aigate.config.remembered`) and recomputed whenever the key
changes.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aigate.config.remembered import recall, remember

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


def snapshot(name: str, key: str, compute: Callable[[], Any],
             valid: Callable[[Any], bool] = lambda value: True) -> Any:
    """The JSON value ``compute()`` gave when ``key`` was last seen (kept in the cache folder
    as ``name``), or ``compute()`` now, remembered for the next run. ``valid`` may refuse a
    remembered value (a file it was made from has changed). Any trouble with the cache means
    ``compute()``: a snapshot saves time, it never decides an answer."""
    kept = recall(name, key)
    if kept is not None and valid(kept):
        return kept
    value = compute()
    remember(name, key, value)
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
