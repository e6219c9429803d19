"""The images of a sequence a clip shows, as melt may play it.

melt plays a ``%0Nd`` or ``.all.EXT`` resource with one of two producers, and which one
depends on the machine, not the document: ``qimage`` (or ``pixbuf``) holds each image
``ttl`` frames (one when the document gives none) from the number a ``?begin=N`` query
names (Kdenlive writes sequences so; a ``begin`` property is not read), else from the
first image there; where Qt cannot start (no display: a render node) MLT opens the same
``qimage`` producer with ``avformat`` instead, which ignores ``ttl``, starts at the first
image numbered 0 to 4, shows the images at 25 a second whatever the profile's rate, and
opens no name with a query. The gate reads the images either one shows. Any other
producer (a speed change: ``timewarp``, ``framebuffer``; ``hold``, which freezes the
image its ``frame`` names), a chain's links (``timeremap``) or a ``freeze`` filter can
show any image of the sequence, so all of them are read.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from aigate.api import MAX_SEQUENCE_FRAMES, FrameSequence, frame_url

from .project import prop

#: the rate avformat's image2 reader shows a sequence at unless told another
IMAGE2_RATE = 25.0
#: image2 starts at the first image numbered 0 to 4 (its ``start_number_range``)
IMAGE2_START = range(5)
#: the producers whose images the clip's frames show as above; any other (a speed change,
#: ``hold``) may show any image
IMAGE_READERS = ("qimage", "pixbuf", "avformat", "avformat-novalidate")
#: filters that show another frame of the producer than the one playing
RETIMING_FILTERS = ("freeze",)


def sequence(producer: ET.Element, media: str | None, source_in: int, source_out: int,
             rate: float, folder: Path, attached: Sequence[ET.Element] = ()
             ) -> FrameSequence | None:
    """The images the clip's source frames ``source_in`` to ``source_out`` (exclusive) may
    show at the profile's ``rate`` (a relative ``media`` is in ``folder``); None when the
    clip plays no sequence."""
    if not media or not (re.search(r"%0?\d*d", media) or
                         Path(media).name.startswith(".all.")):
        return None
    last_frame = max(source_out - 1, source_in)
    ttl = max(_int(prop(producer, "ttl"), 1), 1)
    held = last_frame // ttl
    service = prop(producer, "mlt_service") or ""
    retimed = service not in IMAGE_READERS or any(c.tag == "link" for c in producer) or \
        any(prop(e, "mlt_service") in RETIMING_FILTERS for e in attached)
    whole = max(_int(prop(producer, "length"), 0), last_frame + 1)
    if Path(media).name.startswith(".all."):  # qimage or pixbuf only: image2 cannot
        if retimed:
            return FrameSequence(media, 0, whole - 1)
        return FrameSequence(media, source_in // ttl, held)
    pattern, _, query = media.partition("?")
    begin = re.search(r"(?:^|&)begin=(\d+)", query)
    if begin:  # qimage and pixbuf only (avformat opens no name with a query)
        first = int(begin.group(1))
        last = first + (whole - 1 if retimed else held)
    else:  # from the first image there, and avformat's images at its rate
        stream = _stream_rate(producer) or IMAGE2_RATE
        timed = math.ceil((last_frame + 1) * stream / rate)
        start = next((n for n in IMAGE2_START
                      if (folder / frame_url(pattern, n)).is_file()), 0)
        first = 0
        last = whole - 1 if retimed else max(held, start + timed)
    return FrameSequence(pattern, first, min(last, first + MAX_SEQUENCE_FRAMES),
                         skips_gaps=True)


def _stream_rate(producer: ET.Element) -> float | None:
    """The frame rate MLT read for the sequence's picture (when avformat opened it)."""
    for child in producer.findall("property"):
        if re.fullmatch(r"meta\.media\.\d+\.stream\.frame_rate", child.get("name", "")):
            try:
                value = float(child.text or "")
            except ValueError:
                continue
            if math.isfinite(value) and value > 0:
                return value
    return None


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default
