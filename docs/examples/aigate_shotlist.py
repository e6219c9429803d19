"""A complete host plugin in one file: the model for a TD adding a new host.

It teaches aigate a made-up host, a plain-text shot list ("*.shots"), one shot a line:

    SH010 4
    SH020 3 ai Firefly final

Register it without pip: AIGATE_PLUGINS=aigate_shotlist (the module on PYTHONPATH), or
``plugins: [aigate_shotlist]`` in aigate.yaml, or an ``aigate`` entry point in a package.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

# the public API: everything a plugin needs, in one place
from aigate.api import HOOK_API_VERSION, Collected, InputError, Item, hookimpl

if HOOK_API_VERSION < (1, 0):  # a plugin needing a later hook says so, instead of being ignored
    raise ImportError("aigate_shotlist needs aigate hook API 1.0 or later")

RATE = 24.0
USAGE = "expected 'NAME SECONDS' or 'NAME SECONDS ai TOOL PURPOSE'"
#: a shot longer than a day is a typo, not a shot
MAX_SECONDS = 24 * 3600


@dataclass
class ShotList:
    """The host's own subject type."""

    name: str
    shots: list[tuple[str, float, dict | None]]


@hookimpl
def aigate_subject_suffixes() -> list[str]:
    return ["shots"]


@hookimpl
def aigate_load_subject(path: Path) -> ShotList | None:
    if path.suffix != ".shots":
        return None  # not ours: another host plugin may read it
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    shots = []
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        shots.append(_shot(words, f"{path}:{number}"))
    return ShotList(path.stem, shots)


def _shot(words: list[str], where: str) -> tuple[str, float, dict | None]:
    """One line, checked: bad input is one line naming the file and the line (InputError),
    never a traceback and never a shot the gate would misread."""

    def bad(detail: str) -> InputError:
        return InputError(f"{where}: {USAGE}: {detail}")

    if len(words) not in (2, 5):
        raise bad(f"got {len(words)} word(s)")
    name = words[0]
    try:
        seconds = float(words[1])
    except ValueError:
        raise bad(f"SECONDS {words[1]!r} is not a number") from None
    if not math.isfinite(seconds) or not 0 < seconds <= MAX_SECONDS:
        raise bad(f"SECONDS {words[1]!r} must be above 0 and at most {MAX_SECONDS}")
    if len(words) == 2:
        return name, seconds, None
    if words[2] != "ai":
        raise bad(f"third word {words[2]!r} must be 'ai'")
    # the same contract v1 keys a timeline carries; aigate_metadata parses them
    return name, seconds, {"v": 1, "generated": True, "tool": {"name": words[3]},
                           "purpose": words[4]}


@hookimpl
def aigate_collect(subject: object) -> list[Collected] | None:
    if not isinstance(subject, ShotList):
        return None
    items, start = [], 0.0
    for index, (name, seconds, declared) in enumerate(subject.shots):
        end = start + seconds * RATE
        items.append(Item(track="V1", track_kind="Video", clip=name, index=index, rate=RATE,
                          record_start=start, record_end=end,
                          declared=(("clip", declared),) if declared else ()))
        start = end
    return [Collected(name=subject.name, items=items, host="shotlist", native=subject)]
