"""Does a file *look* like it carries Content Credentials, and does it point at a remote
manifest? Answered without the SDK, from the container's own structure (JPEG segments, PNG
chunks, ISO BMFF and RIFF top-level boxes: headers only, seeking past the data) and from a
bounded read of the file's ends for the JUMBF C2PA signature and an XMP
``dcterms:provenance`` reference.

This is what lets the gate tell "no Content Credentials" from "Content Credentials the SDK
could not read": the second is a finding, never a pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from aigate.api import read_bounded

#: the JUMBF description box type and the C2PA manifest store UUID ("c2pa" + ISO suffix)
JUMBF_C2PA = b"jumd" + bytes.fromhex("6332706100110010800000aa00389b71")
#: ISO BMFF ``uuid`` box user types
BMFF_C2PA = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
ENDS = 256 * 1024  # bytes read at each end for the signature and XMP scan
MAX_BOXES = 100_000  # a hostile file may hold millions of empty boxes: stop walking
#: an XMP reference to a remote manifest (a URL: dcterms:provenance may also be prose)
PROVENANCE = re.compile(rb"dcterms:provenance\s*(?:=\s*[\"'](https?://[^\"'<>\s]{1,2048})[\"']"
                        rb"|>\s*(https?://[^<>\s]{1,2048})\s*<)", re.I)


@dataclass(frozen=True, slots=True)
class Markers:
    """What the file's structure says about Content Credentials."""

    #: where a manifest store sits (e.g. "JPEG APP11 JUMBF"), None if none was seen
    carrier: str | None = None
    #: the remote manifest URL named in the file's XMP (dcterms:provenance), if any
    remote_url: str | None = None


def sniff(path: Path) -> Markers:
    """The C2PA carrier and remote manifest reference found in ``path`` (bounded work)."""
    try:
        with path.open("rb") as handle:
            carrier = _walk(handle)
        ends = read_bounded(path, ENDS, ENDS)
    except OSError:
        return Markers()
    if carrier is None and JUMBF_C2PA in ends:
        carrier = "JUMBF C2PA manifest store"
    match = PROVENANCE.search(ends)
    remote = (match.group(1) or match.group(2)).decode("utf-8", "replace") if match else None
    return Markers(carrier, remote)


def host_of(url: str) -> str:
    """The host (and port) a URL names, for evidence; the URL itself when it has none."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return url[:200]
    if not host:
        return url[:200]
    return f"{host}:{port}" if port else host


def _walk(handle: BinaryIO) -> str | None:
    head = handle.read(12)
    if head[:2] == b"\xff\xd8":
        return _jpeg(handle)
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return _png(handle)
    if head[4:8] == b"ftyp":
        return _bmff(handle)
    if head[:4] == b"RIFF":
        return _riff(handle)
    return None


def _jpeg(handle: BinaryIO) -> str | None:
    pos = 2
    for _ in range(MAX_BOXES):
        handle.seek(pos)
        header = handle.read(4)
        if len(header) < 4 or header[0] != 0xFF:
            return None
        marker = header[1]
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no more metadata
            return None
        if marker == 0x01 or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            pos += 1 if marker == 0xFF else 2
            continue
        length = int.from_bytes(header[2:4], "big")
        if marker == 0xEB:  # APP11: JPEG XT boxes; C2PA's has a "c2pa" JUMBF description
            start = handle.read(min(max(length - 2, 0), 64))
            if b"jumb" in start and b"c2pa" in start:
                return "JPEG APP11 C2PA JUMBF"
        pos += 2 + length
    return None


def _png(handle: BinaryIO) -> str | None:
    pos = 8
    for _ in range(MAX_BOXES):
        handle.seek(pos)
        header = handle.read(8)
        if len(header) < 8:
            return None
        kind = header[4:8]
        if kind == b"caBX":
            return "PNG caBX chunk"
        if kind == b"IEND":
            return None
        pos += 12 + int.from_bytes(header[:4], "big")
    return None


def _bmff(handle: BinaryIO) -> str | None:
    end = handle.seek(0, 2)
    pos = 0
    for _ in range(MAX_BOXES):
        if pos + 8 > end:
            return None
        handle.seek(pos)
        header = handle.read(8)
        size, kind = int.from_bytes(header[:4], "big"), header[4:8]
        start = 8
        if size == 1:
            size, start = int.from_bytes(handle.read(8), "big"), 16
        elif size == 0:
            size = end - pos
        if kind == b"uuid" and handle.read(16) == BMFF_C2PA:
            return "ISO BMFF C2PA uuid box"
        if kind in (b"c2pa", b"jumb"):
            return f"ISO BMFF {kind.decode()} box"
        if size < start:
            return None
        pos += size
    return None


def _riff(handle: BinaryIO) -> str | None:
    end = handle.seek(0, 2)
    pos = 12
    for _ in range(MAX_BOXES):
        if pos + 8 > end:
            return None
        handle.seek(pos)
        header = handle.read(8)
        if header[:4] == b"C2PA":
            return "RIFF C2PA chunk"
        size = int.from_bytes(header[4:8], "little")
        pos += 8 + size + (size & 1)
    return None
