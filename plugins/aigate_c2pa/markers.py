"""Does a file *look* like it carries Content Credentials, and does it point at a remote
manifest? Answered without the SDK, from the container's own structure (JPEG segments, PNG
chunks, ISO BMFF and RIFF top-level boxes: headers only, seeking past the data), from a
bounded read of the file's ends for the JUMBF C2PA signature, and from the XMP wherever the
container keeps it (and at the ends) for a ``dcterms:provenance`` reference.

This is what lets the gate tell "no Content Credentials" from "Content Credentials the SDK
could not read": the second is a finding, never a pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from aigate.api import Unreadable, parts, read_at, read_bounded, read_xmp, xmp_places

#: the JUMBF description box type and the C2PA manifest store UUID ("c2pa" + ISO suffix)
JUMBF_C2PA = b"jumd" + bytes.fromhex("6332706100110010800000aa00389b71")
#: ISO BMFF ``uuid`` box user types
BMFF_C2PA = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
ENDS = 256 * 1024  # bytes read at each end for the signature and XMP scan
MAX_XMP = 4 * 1024 * 1024  # bytes read of each XMP the container holds, wherever it lies
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
            xmp = []
            for place in xmp_places(handle):
                try:
                    xmp.append(read_xmp(handle, place, MAX_XMP))
                except Unreadable:  # the XMP source says so; a large plain one: its start
                    if not (place.encoding or place.pieces or place.unreadable):
                        xmp.append(read_at(handle, place.start, place.end, MAX_XMP))
        ends = read_bounded(path, ENDS, ENDS)
    except OSError:
        return Markers()
    if carrier is None and JUMBF_C2PA in ends:
        carrier = "JUMBF C2PA manifest store"
    match = next(filter(None, map(PROVENANCE.search, [ends, *xmp])), None)
    remote = (match.group(1) or match.group(2)).decode("utf-8", "replace") if match else None
    return Markers(carrier, remote)


def host_of(url: str) -> str:
    """The host (and port) a URL names, for evidence; the URL itself when it has none."""
    try:
        split = urlsplit(url)
        host = split.hostname
        port = split.port
    except ValueError:
        return url[:200]
    if not host:
        return url[:200]
    return f"{host}:{port}" if port else host


def _walk(handle: BinaryIO) -> str | None:
    for part in parts(handle):
        family, kind = part.family, part.kind
        if family == "jpeg" and kind == b"\xff\xeb":
            # APP11: JPEG XT boxes; C2PA's has a "c2pa" JUMBF description
            start = read_at(handle, part.start, part.end, 64)
            if b"jumb" in start and b"c2pa" in start:
                return "JPEG APP11 C2PA JUMBF"
        elif family == "png" and kind == b"caBX":
            return "PNG caBX chunk"
        elif family == "bmff":
            if kind == b"uuid" and read_at(handle, part.start, part.end, 16) == BMFF_C2PA:
                return "ISO BMFF C2PA uuid box"
            if kind in (b"c2pa", b"jumb"):
                return f"ISO BMFF {kind.decode()} box"
        elif family == "riff" and kind == b"C2PA":
            return "RIFF C2PA chunk"
    return None
