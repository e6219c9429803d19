"""What the submitter of a spread run (``--jobs``, Dask) fixes for every worker, so no
worker decides an input of a verdict on its own:

- the stage, the config, the trusted roots and the plugin modules the submitter's
  environment names (AIGATE_STAGE, AIGATE_CONFIG, AIGATE_TRUSTED_ROOTS, AIGATE_PLUGINS),
  folded into the run's options; a worker runs each file with its own ``AIGATE_*``
  variables set aside;
- paths as absolute paths where they were typed (a relative ``--policy`` means the
  submitter's folder, not the worker's);
- the evaluation date: the submitter's date, in UTC (a worker's clock or time zone never
  moves an approval's expiry or a rule's start);
- the run: a worker that lives across runs keeps nothing of another run's gates;
- the inputs by content: for each config the submitter's gate used, the sha256 of every
  file the verdict rests on (the config, the policy pack files of its ``extends`` chain,
  the approval and consent records, the ledger, key files, trust anchors). A worker whose
  own copies differ refuses the file, naming the first file that differs;
- the plugin set: a worker missing one of the submitter's plugins (or with one more)
  refuses the file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aigate.core.media import file_sha256
from aigate.errors import InputError

if TYPE_CHECKING:
    from aigate.core.gate import Gate

#: what aigate reads from the environment: in a pinned run, the submitter's (a plugin's
#: own variables are the plugin's business)
VARIABLES = ("AIGATE_STAGE", "AIGATE_CONFIG", "AIGATE_TRUSTED_ROOTS", "AIGATE_PLUGINS",
             "AIGATE_DISABLE")


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@dataclass(frozen=True)
class Input:
    """One file a verdict rests on, by content."""

    kind: str
    path: str
    sha256: str | None

    def __str__(self) -> str:
        digest = self.sha256[:12] if self.sha256 else "unreadable"
        return f"{self.kind} {self.path} (sha256 {digest})"


def gate_inputs(gate: Gate) -> tuple[Input, ...]:
    """Every file the gate's verdicts rest on, with its content hash."""
    from aigate.output.attest import config_files

    named: list[tuple[str, Path]] = []
    if gate.config.path is not None:
        named.append(("config", gate.config.path))
        named += config_files(gate.config)
    named += [("pack", Path(p)) for p in gate.policy.files]
    named += sorted({("record", Path(r.source)) for r in gate.registry.records()})
    seen: dict[str, Input] = {}
    for kind, path in named:
        key = str(Path(path).absolute())
        seen.setdefault(key, Input(kind, key, file_sha256(Path(key))))
    return tuple(seen.values())


def compare(expected: tuple[Input, ...], found: tuple[Input, ...]) -> None:
    """Raise naming the first input the worker sees differently from the submitter."""
    mine = {i.path: i for i in found}
    theirs = {i.path: i for i in expected}
    for path, wanted in theirs.items():
        got = mine.get(path)
        if got is None:
            raise InputError(f"{path}: the submitter's {wanted.kind} is not an input of this "
                             "worker's check (another config or registry): not checked here")
        if got.sha256 != wanted.sha256:
            raise InputError(f"{path}: this worker's {wanted.kind} differs from the "
                             f"submitter's (sha256 {str(got.sha256)[:12]}, submitted "
                             f"{str(wanted.sha256)[:12]}): not checked here")
    for path, extra in mine.items():
        if path not in theirs:
            raise InputError(f"{path}: this worker's check reads a {extra.kind} the submitter's "
                             "did not: not checked here")


def compare_plugins(expected: tuple[str, ...], found: tuple[str, ...]) -> None:
    missing, extra = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
    if missing or extra:
        said = "; ".join(x for x in (f"missing {', '.join(missing)}" if missing else "",
                                      f"more: {', '.join(extra)}" if extra else "") if x)
        raise InputError(f"this worker's plugins differ from the submitter's ({said}): "
                         "not checked here")


@contextlib.contextmanager
def without_environment(pinned: bool = True) -> Iterator[None]:
    """The worker's own AIGATE_* variables set aside for one file of a pinned run: the
    submitter's are in the options already."""
    saved = {k: os.environ[k] for k in VARIABLES if k in os.environ} if pinned else {}
    for key in saved:
        del os.environ[key]
    try:
        yield
    finally:
        for key in VARIABLES if pinned else ():
            os.environ.pop(key, None)
        os.environ.update(saved)


def absolute(value: str | None) -> str | None:
    """A ``--policy`` that names a file, made absolute where it was typed (a pack name is
    kept)."""
    if value and Path(value).exists():
        return str(Path(value).absolute())
    return value


def describe(stage: str | None, today: dt.date, inputs: tuple[Input, ...],
             plugins: tuple[str, ...]) -> list[str]:
    """The pinned inputs as report lines."""
    return [f"stage {stage or 'resolved per file'}", f"evaluation date {today} (UTC)",
            *map(str, inputs), f"plugins: {', '.join(sorted(plugins))}"]


#: alarms (the first at the time-out, then every half second) before the time-out raises
PATIENCE = 10


class TimedOut(InputError):
    """A file that took longer than the run's per-file time-out."""


def timed_out(path: object, seconds: float) -> TimedOut:
    return TimedOut(f"{path}: not checked: it took longer than {seconds:g} s (--timeout); "
                    "a file that blocks (a FIFO, a stalled network mount) is one way")


@contextlib.contextmanager
def deadline(path: object, seconds: float | None) -> Iterator[None]:
    """Raise :class:`TimedOut` when the body runs past ``seconds``. An alarm interrupts a
    blocked system call too (a .blend whose linked library is a FIFO); a reader that
    swallows the interruption and carries on still has its file reported as timed out,
    never as checked. Only in a main thread (a Dask worker's threads have their executor's
    time-out instead)."""
    import signal  # here: its enums cost a run without --timeout a few milliseconds

    if not seconds or not hasattr(signal, "setitimer") or \
            threading.current_thread() is not threading.main_thread():
        yield
        return
    fired: list[bool] = []

    def alarm(signum: int, frame: object) -> None:
        # the first alarms only interrupt a blocked call (the reader sees it fail and
        # carries on); raising into a C extension's own work is the last resort
        fired.append(True)
        if len(fired) == PATIENCE:
            raise timed_out(path, seconds)

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)  # then every half second
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if fired:
        raise timed_out(path, seconds)
