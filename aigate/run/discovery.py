"""Which files a run checks: files named, folders searched, globs expanded; what is never
opened (FIFOs, devices). Whether a file found is a subject at all is the host plugins' call
(hook ``aigate_not_a_subject``)."""

from __future__ import annotations

import contextlib
import errno
import glob
import io
import logging
import os
import stat
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from aigate.errors import InputError
from aigate.model import InputProblem


def regular(path: Path) -> None:
    """Refuse what must never be opened: FIFOs, devices and sockets (opening one can block
    forever), and symlink loops. Folders pass (a bundle such as .otiod is one)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{path}: symlink loop: not followed") from None
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return
    kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file")
    raise InputError(f"{path}: {kind}, not a regular file: skipped, never opened")


class _Notes(logging.Handler):
    """Log records of warning level and above, kept as their messages."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.messages.append(record.getMessage())
        except Exception:  # a record whose arguments do not format: its template says it
            self.messages.append(str(record.msg))


@contextlib.contextmanager
def quiet_stdout(path: Path) -> Iterator[None]:
    """Keep stdout for the report while a file is read and checked: what adapters print
    (the AAF adapter's "Unable find slot_id..."), log (pyaaf2's and the AAF writer's
    warnings, which Python would print as bare ``WARNING:root:...`` lines) and the warnings
    they raise are sent to stderr as ``aigate: note: FILE: ...`` lines."""
    printed = io.StringIO()
    logged = _Notes()
    root = logging.getLogger()
    root.addHandler(logged)  # with a handler there, logging.warning() adds no stderr one
    try:
        with warnings.catch_warnings(record=True) as caught, \
                contextlib.redirect_stdout(printed):
            warnings.simplefilter("always")
            yield
    finally:
        root.removeHandler(logged)
        notes = [line for line in printed.getvalue().splitlines() if line.strip()]
        notes += [line for message in logged.messages for line in message.splitlines()
                  if line.strip()]
        notes += [f"{w.category.__name__}: {w.message}" for w in caught]
        for note in dict.fromkeys(notes):
            print(f"aigate: note: {path}: {note}", file=sys.stderr)


def expand(paths: Iterable[str], suffixes: set[str],
           excluded: Callable[[Path], bool] | None = None,
           skipped: Callable[[Path, str], None] | None = None,
           not_a_subject: Callable[[Path], str | None] | None = None,
           ) -> tuple[list[Path], list[InputProblem]]:
    """Files named, folders searched recursively for timeline files, globs expanded.
    What a folder or glob finds is left out when ``excluded`` says so, or when
    ``not_a_subject`` gives a reason (the host plugins' look at the file, e.g. an XML file
    without a timeline root element; told to ``skipped``); a file named is always
    checked."""
    files: list[Path] = []
    problems: list[InputProblem] = []

    def found(candidates: Iterable[Path]) -> list[Path]:
        kept = []
        for candidate in candidates:
            if excluded is not None and excluded(candidate):
                continue
            why = not_a_subject(candidate) if not_a_subject is not None else None
            if why:
                if skipped is not None:
                    skipped(candidate, why)
                continue
            kept.append(candidate)
        return kept

    for text in paths:
        path = Path(text)
        if path.is_dir() and not _is_timeline(path, suffixes):
            files.extend(walked := found(_walk(path, suffixes)))
            if not walked:
                problems.append(InputProblem(text, "no timeline file in this folder "
                                             f"(searched recursively for {_listed(suffixes)})"))
        elif path.exists() or path.is_symlink():  # a loop or dangling link: reported later
            files.append(path)
        elif glob.has_magic(text):
            matches = sorted(Path(p) for p in glob.glob(text, recursive=True))
            chosen = [p for p in matches
                      if p.is_file() or (p.is_dir() and _is_timeline(p, suffixes))]
            if not matches:
                problems.append(InputProblem(text, "no file matches this pattern"))
            elif not chosen:
                problems.append(InputProblem(text, f"the pattern matches {len(matches)} "
                                             "folder(s) or other entries but no timeline file"))
            files.extend(found(chosen))
        else:
            problems.append(InputProblem(text, "no such file or folder"))
    return list(dict.fromkeys(files)), problems


def _listed(suffixes: set[str]) -> str:
    return ", ".join(f".{s}" for s in sorted(suffixes)) or "no suffix: no host plugin loaded"


def _is_timeline(path: Path, suffixes: set[str]) -> bool:
    # a hidden timeline is still a timeline; "._name" is macOS's AppleDouble companion file
    return path.suffix.lower().lstrip(".") in suffixes and not path.name.startswith("._")


def _walk(folder: Path, suffixes: set[str]) -> list[Path]:
    """Timeline files below ``folder``; a bundle folder (.otiod) is one timeline, not a
    folder to search. Symlinked folders are followed (a delivery often links its reels in),
    each real folder once, so a link loop ends."""
    found = []
    seen = {os.path.realpath(folder)}
    for root, dirs, names in os.walk(folder, followlinks=True):
        here = Path(root)
        for name in list(dirs):
            if _is_timeline(here / name, suffixes):
                found.append(here / name)
                dirs.remove(name)
                continue
            real = os.path.realpath(here / name)
            if real in seen:
                dirs.remove(name)
            else:
                seen.add(real)
        found.extend(here / n for n in names if _is_timeline(here / n, suffixes))
    return sorted(found)
