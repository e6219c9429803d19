"""One line for an adapter that could not read a file: which adapter, and where in the file
it stopped, instead of a bare ``'NoneType' object has no attribute 'tag'``.

OTIO's XML adapters walk ElementTree elements, which keep no line numbers; the element
being read when the adapter failed is found in the failing frames' locals, and its line by
looking for its opening tag in the file. The EDL adapter holds the event line it parses.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import opentimelineio as otio

from .collect import first_line

#: errors that are a bug in the adapter meeting unexpected input, not a message to the user
CRASHES = (AttributeError, TypeError, KeyError, IndexError, UnboundLocalError)
_SHOWN_ATTRIBUTES = ("name", "id", "ref", "offset")


def describe(exc: BaseException, path: Path) -> str:
    """``cannot read as FCPXML (adapter fcpx_xml): ...`` naming the element or line."""
    suffix = path.suffix.lower().lstrip(".").upper() or "(no suffix)"
    adapter = _adapter(path)
    by = f" (adapter {adapter})" if adapter else ""
    where = _where(exc.__traceback__, path)
    if isinstance(exc, CRASHES):
        detail = f"the adapter failed{where}: {type(exc).__name__}: {first_line(exc)}"
    else:
        detail = first_line(exc) + where
    return f"cannot read as {suffix}{by}: {detail}"


def _adapter(path: Path) -> str | None:
    try:
        return str(otio.adapters.from_filepath(str(path)).name)
    except Exception:  # no adapter for the suffix: the message says the rest
        return None


def adapter_frames(tb: TracebackType | None) -> Iterator[FrameType]:
    """The frames of an adapter's code in a traceback, innermost first."""
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        module = frame.f_globals.get("__name__", "")
        if module.startswith("otio_") or "adapters" in module:
            yield frame


def _where(tb: TracebackType | None, path: Path) -> str:
    """`` at <element ...> (line N)`` or `` at line: ...``, from the innermost frame of the
    adapter that holds an element or an EDL line; empty when none does."""
    for frame in adapter_frames(tb):
        for value in frame.f_locals.values():
            if isinstance(value, ET.Element):
                return f" at {_element(value)}{_line_of(value, path)}"
        line = frame.f_locals.get("line")
        if isinstance(line, str) and line.strip():
            return f" at line{_number_of(line, path)}: {line.strip()[:100]!r}"
    return ""


def _element(element: ET.Element) -> str:
    shown = " ".join(f'{k}="{element.get(k)}"' for k in _SHOWN_ATTRIBUTES
                     if element.get(k) is not None)
    return f"<{element.tag}{' ' + shown if shown else ''}>"


def _line_of(element: ET.Element, path: Path) -> str:
    """The line of the first opening tag in the file that matches the element's tag and
    shown attributes (ElementTree keeps no line numbers)."""
    attributes = [(k, element.get(k)) for k in _SHOWN_ATTRIBUTES if element.get(k) is not None]
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    tag = re.escape(str(element.tag))
    for number, line in enumerate(text.splitlines(), start=1):
        if re.search(rf"<{tag}[\s>/]", line) and all(
                f'{k}="{_escaped(v)}"' in line or f"{k}='{_escaped(v)}'" in line
                for k, v in attributes):
            return f" (line {number})"
    return ""


def _number_of(line: str, path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    wanted = line.strip()
    return next((f" {n}" for n, text in enumerate(lines, start=1) if text.strip() == wanted),
                "")


def _escaped(value: Any) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
