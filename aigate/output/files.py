"""Writing outputs without ever leaving a half-written file behind.

An output appears whole or not at all: it is written to a temporary file beside its
destination, given the mode a plain ``open()`` would give it (the user's umask, or the mode
of the file it replaces), and renamed over the destination only once complete. The
temporary file is removed on any error, Ctrl-C or termination signal (the CLI turns
SIGTERM and SIGHUP into an exception so this cleanup runs).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


def umask() -> int:
    """The process umask (reading it means setting it: restored at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def output_mode(path: Path) -> int:
    """The mode ``path`` should get: that of the file it replaces, else 0666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~umask()


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` (same suffix, so writers that go by it still do) to
    write; it replaces ``path`` only if the block succeeds, and never outlives the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = output_mode(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix or ".tmp",
                                dir=path.parent)
    tmp = Path(name)
    try:
        os.close(fd)
        yield tmp
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_text(path: Path, errors: str = "strict") -> Iterator[TextIO]:
    """Open a temporary file beside ``path``; it replaces ``path`` only if the block succeeds."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="",
                                        errors=errors) as handle:
        yield handle
