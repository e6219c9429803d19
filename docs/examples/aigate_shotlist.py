"""A complete host plugin in one file: the model for a TD adding a new host.

It teaches aigate a made-up host, a plain-text shot list ("*.shots"), one shot a line:

    SH010 4
    SH020 3 ai Firefly final

Register it without pip: AIGATE_PLUGINS=aigate_shotlist (the module on PYTHONPATH), or
``plugins: [aigate_shotlist]`` in aigate.yaml, or an ``aigate`` entry point in a package.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aigate.errors import InputError
from aigate.hookspecs import hookimpl
from aigate.model import Collected, Item

RATE = 24.0


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
    shots = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        words = line.split()
        if not words:
            continue
        try:
            name, seconds = words[0], float(words[1])
        except (IndexError, ValueError):
            message = "expected 'NAME SECONDS [ai TOOL PURPOSE]'"
            raise InputError(f"{path}:{number}: {message}") from None
        declared = None
        if words[2:3] == ["ai"]:
            # the same contract v1 keys a timeline carries; aigate_metadata parses them
            declared = {"v": 1, "generated": True, "tool": {"name": words[3]},
                        "purpose": words[4]}
        shots.append((name, seconds, declared))
    return ShotList(path.stem, shots)


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
