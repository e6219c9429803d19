"""The exit codes of ``aigate`` (and of every host script that follows it), one place.

Modelled on pytest's ``ExitCode``: an :class:`~enum.IntEnum`, so ``sys.exit(code)`` works
and scripts may compare against plain numbers. Documented in the README ("Exit codes").
"""

from __future__ import annotations

from enum import IntEnum

from aigate.model import Severity


class ExitCode(IntEnum):
    """What a run of ``aigate`` ended with."""

    #: nothing at or above ``--fail-on`` (and every file could be checked)
    OK = 0
    #: a lock, or a verdict at or above ``--fail-on``; for ``doctor`` a check that fails
    #: open, for ``approvals`` a record not honoured or not used
    GATE = 1
    #: a usage or input error: a bad option, a file that could not be checked
    USAGE = 2
    #: stopped by Ctrl-C (128 + SIGINT)
    INTERRUPTED = 130
    #: stopped by SIGTERM (128 + SIGTERM); other signals give 128 + their number
    TERMINATED = 143

    #: a file that could not be read is an input error: the same code as a usage error
    INPUT = 2


#: ``--fail-on`` choices, and the lowest verdict each one fails on
FAIL_ON: dict[str, Severity] = {"warn": Severity.WARN, "lock": Severity.LOCK}


def fail_on_severity(name: str) -> Severity:
    """The lowest verdict that fails a run for ``--fail-on name`` (``warn`` or ``lock``)."""
    try:
        return FAIL_ON[name]
    except KeyError:
        raise ValueError(f"--fail-on: {name!r} is not one of {', '.join(FAIL_ON)}") from None


def gate_exit(worst: Severity, fail_on: str) -> ExitCode:
    """:attr:`ExitCode.GATE` when the worst verdict reaches ``--fail-on``, else OK."""
    return ExitCode.GATE if worst >= fail_on_severity(fail_on) else ExitCode.OK
