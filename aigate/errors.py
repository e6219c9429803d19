"""Errors the gate raises on purpose. Each carries one line a user can act on."""

from __future__ import annotations


class AigateError(Exception):
    """Base class: the message is one line naming the file and the place."""


class UsageError(AigateError):
    """The command line or API call was wrong (exit code 2)."""


class InputError(AigateError):
    """A timeline, policy, config or approvals file could not be used (exit code 2)."""


class PluginError(AigateError):
    """A plugin failed to load or misbehaved while --strict-plugins is on."""


class Terminated(BaseException):
    """A termination signal (SIGTERM, SIGHUP) turned into an exception, so that temporary
    outputs are removed on the way out (BaseException: no ``except Exception`` swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


def one_line(exc: BaseException) -> str:
    """``Type: first line of the message`` (the type alone when there is no message, or
    when the message itself cannot be produced)."""
    try:
        lines = str(exc).strip().splitlines()
    except Exception:  # an exception whose __str__ fails: its type says enough
        lines = []
    if isinstance(exc, RecursionError):
        lines = ["nested too deeply to read"]
    elif isinstance(exc, MemoryError) and not lines:
        lines = ["out of memory"]
    return f"{type(exc).__name__}: {lines[0][:300]}" if lines else type(exc).__name__


def describe(exc: BaseException) -> str:
    """One line for an exception nobody raised on purpose: :func:`one_line` and where it
    was raised (the innermost frame), so a user can tell a plugin's bug from a bad file."""
    import traceback
    from pathlib import Path

    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return one_line(exc)
    frame = frames[-1]
    where = "/".join(Path(frame.filename).parts[-2:])
    return f"{one_line(exc)} at {where}:{frame.lineno} ({frame.name})"


#: C0 and C1 control characters, DEL, and lone surrogates (undecodable bytes of a file
#: name), shown as escapes: a name must not move the cursor, clear the screen or forge lines
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7f, 0xa0))}
_CONTROLS |= {c: f"\\x{c - 0xdc00:02x}" for c in range(0xdc80, 0xdd00)}
_CONTROLS |= {c: f"\\u{c:04x}" for c in (*range(0xd800, 0xdc80), *range(0xdd00, 0xe000),
                                           0x2028, 0x2029, 0x202e, 0x2066, 0x2067, 0x2068,
                                           0x2069, 0x202a, 0x202b, 0x202c, 0x202d)}


def printable(text: str) -> str:
    """``text`` safe to print on a terminal or put in a one-line message: control
    characters (newlines included), bidi overrides and undecodable bytes become escapes."""
    return text.translate(_CONTROLS) if not text.isprintable() else text
