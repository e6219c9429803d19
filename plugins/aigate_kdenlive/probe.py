"""What a media file holds, as MLT (and so Kdenlive) opens it: its duration and its start
timecode, asked of ``melt`` with the XML consumer, which writes the producer's properties
without playing anything. A conversion from OTIO needs both: the timecode is where the
media's frame 0 sits on the source clock (an offset, not an in-point), the duration where
an entry must end."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from .render import melt_path

_TIMECODE = re.compile(r"meta\.attr\.(?:\d+\.stream\.)?timecode\.markup")


@dataclass(frozen=True)
class MediaFacts:
    """A media file's frames at its own rate, and its start timecode if it has one."""

    frames: int
    rate: float
    timecode: str | None

    @property
    def seconds(self) -> float:
        return self.frames / self.rate


def probe(path: Path) -> MediaFacts | None:
    """The facts melt gives for ``path``, or None when melt is missing or cannot open it
    (the caller then goes by what the timeline says)."""
    melt = melt_path()
    if melt is None or not path.is_file():
        return None
    try:
        # avformat: names the producer, so a file name is never read as a service
        proc = subprocess.run([melt, f"avformat:{path.resolve()}", "-consumer", "xml"],
                              capture_output=True, text=True, errors="replace", timeout=120,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    try:
        root = SafeET.fromstring(proc.stdout)
    except (ET.ParseError, DefusedXmlException):
        return None
    profile, producer = root.find("profile"), root.find("producer")
    if profile is None or producer is None:
        return None
    values = {p.get("name", ""): p.text or "" for p in producer.findall("property")}
    try:
        rate = float(profile.get("frame_rate_num", "")) / float(
            profile.get("frame_rate_den", "1"))
        frames = int(values.get("length", ""))
    except (ValueError, ZeroDivisionError):
        return None
    timecode = next((v.strip() for k, v in sorted(values.items())
                     if _TIMECODE.fullmatch(k) and v.strip()), None)
    return MediaFacts(frames, rate, timecode) if frames > 0 and rate > 0 else None
