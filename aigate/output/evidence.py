"""How a signed record names the files it rests on, so it verifies on another machine: by
path relative to the show root (the config's folder), built-in policy packs by name,
version and content hash; and the timeline read once, its verdict bound to the bytes that
were hashed. Also DSSE's base64, which may be standard or URL-safe."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigate.errors import InputError
from aigate.version import version


def b64decode(text: str) -> bytes:
    """Standard or URL-safe base64, padded or not (DSSE allows either); anything else is a
    ValueError."""
    if not isinstance(text, str):
        raise ValueError("not text")
    body = text.strip().replace("-", "+").replace("_", "/")
    if not body:
        raise ValueError("empty")
    body += "=" * (-len(body) % 4)
    try:
        return base64.b64decode(body, validate=True)
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class Root:
    """The folder a record's relative paths are relative to: the show root."""

    folder: Path

    def name(self, path: str | Path | None) -> str | None:
        """``path`` as the record names it: relative (POSIX) when it is under the root,
        else absolute (not portable: outside the show)."""
        if path is None:
            return None
        absolute = Path(os.path.abspath(path))
        for base, target in ((self.folder.absolute(), absolute),
                             (self.folder.resolve(), absolute.resolve())):
            try:
                return target.relative_to(base).as_posix()
            except ValueError:
                continue
        return str(absolute)

    def path(self, named: str | None) -> Path | None:
        """Where a named file is here."""
        if named is None:
            return None
        path = Path(named)
        return path if path.is_absolute() else self.folder / path


def pack_entry(pack: str, builtins: Mapping[str, Path], root: Root,
               sha: str | None) -> dict[str, Any]:
    """A policy pack file: a built-in by name, version and hash (it lives wherever aigate
    is installed); a studio pack by its path under the show root and hash."""
    resolved = Path(pack).resolve()
    for name, path in builtins.items():
        if path.resolve() == resolved:
            return {"builtin": name, "version": version(), "path": None, "sha256": sha,
                    "kind": "pack"}
    return {"path": root.name(pack), "sha256": sha, "kind": "pack"}


@dataclass(frozen=True, slots=True)
class ReadOnce:
    """A timeline's sha256, from the one read of its bytes, and the file's identity then."""

    digest: str
    identity: tuple[int, ...]


def _identity(path: Path) -> tuple[int, ...]:
    st = os.stat(path)
    # ctime cannot be set by a user: any rename, link or write between the two stats shows
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def read_once(path: Path) -> ReadOnce:
    """Hash ``path`` in one pass and note its identity (see :func:`unchanged`)."""
    try:
        before = _identity(path)
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the timeline to hash it: "
                         f"{exc.strerror or exc}") from None
    return ReadOnce(digest.hexdigest(), before)


def unchanged(path: Path, read: ReadOnce) -> None:
    """Refuse when ``path`` is not the same file, with the same bytes, as when it was hashed:
    a timeline swapped in while the gate read it must not inherit the verdict."""
    try:
        now = _identity(path)
    except OSError as exc:
        raise InputError(f"{path}: gone while it was checked ({exc.strerror or exc}): "
                         "not attested") from None
    if now != read.identity:
        raise InputError(f"{path}: changed or replaced while it was checked: not attested "
                         "(the verdict would not be about the bytes hashed); run again")
