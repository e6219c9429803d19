"""Where a container keeps its parts: JPEG segments, PNG chunks, ISO BMFF boxes, RIFF chunks
and the tags of a TIFF's first image, walked from their headers alone (seeking past the
data), as the format's readers find them.

Metadata is read where the container keeps it, at any offset: a packet a reader finds in
the middle of a large file is found here too, without reading the file's bulk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

#: a hostile file may hold millions of empty parts: the walk stops there
MAX_PARTS = 100_000
#: the UUID of an ISO BMFF ``uuid`` box holding XMP (Adobe's XMP specification, part 3)
BMFF_XMP = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
_JPEG_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
_PNG_XMP = b"XML:com.adobe.xmp\x00"
_TIFF_XMP = (700).to_bytes(2, "big")
#: the first box of a file made of ISO BMFF boxes: ``ftyp``, a top-level QuickTime atom a
#: .mov may start with instead, the JPEG 2000 and JPEG XL signature boxes
_BOX_FILES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot", b"jP  ", b"JXL ")
#: TIFF field types: bytes per value
_TIFF_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8,
               13: 4, 16: 8, 17: 8, 18: 8}


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a container: its kind and where its data lies in the file."""

    #: "jpeg", "png", "bmff", "riff" or "tiff"
    family: str
    #: the JPEG marker (``b"\\xff\\xe1"``), chunk or box type (``b"iTXt"``, ``b"moov"``,
    #: ``b"_PMX"``) or TIFF tag (two bytes, big-endian)
    kind: bytes
    #: the first byte of its data, past its header
    start: int
    #: one past its last byte, never past the end of the file
    end: int


def parts(handle: BinaryIO) -> Iterator[Part]:
    """The top-level parts of the file open in ``handle``; nothing for a container not
    walked here."""
    handle.seek(0)
    head = handle.read(16)
    size = handle.seek(0, 2)
    if head[:2] == b"\xff\xd8":
        return _jpeg(handle, size)
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return _png(handle, size)
    if head[4:8] in _BOX_FILES:
        return boxes(handle, 0, size)
    if head[:4] == b"RIFF":
        return _riff(handle, size)
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return _tiff(handle, head, size)
    return iter(())


def boxes(handle: BinaryIO, start: int, end: int) -> Iterator[Part]:
    """The ISO BMFF boxes from ``start`` to ``end`` (a file's top level, or a box's data)."""
    pos = start
    for _ in range(MAX_PARTS):
        if pos + 8 > end:
            return
        handle.seek(pos)
        header = handle.read(16)
        size, kind, skip = int.from_bytes(header[:4], "big"), header[4:8], 8
        if size == 1:
            size, skip = int.from_bytes(header[8:16], "big"), 16
        elif size == 0:  # to the end
            size = end - pos
        if size < skip:
            return
        stop = min(pos + size, end)
        yield Part("bmff", kind, min(pos + skip, stop), stop)
        pos += size


def xmp_places(handle: BinaryIO) -> list[tuple[int, int]]:
    """Where the container keeps XMP, as (start, end) byte ranges: a JPEG APP1 XMP segment,
    a PNG ``XML:com.adobe.xmp`` text chunk, a TIFF's XMP tag, an XMP ``uuid`` box (ISO BMFF,
    JPEG 2000) or ``xml `` box (JPEG XL), a QuickTime ``moov/udta/XMP_`` atom, a RIFF
    ``_PMX`` or WebP ``XMP `` chunk."""
    found = []
    for part in parts(handle):
        kind = part.kind
        if part.family == "jpeg" and kind == b"\xff\xe1":
            if _starts(handle, part, _JPEG_XMP):
                found.append((part.start + len(_JPEG_XMP), part.end))
        elif part.family == "png" and kind == b"iTXt":
            if _starts(handle, part, _PNG_XMP):
                found.append((part.start, part.end))
        elif part.family == "tiff" and kind == _TIFF_XMP:
            found.append((part.start, part.end))
        elif part.family == "riff" and kind in (b"_PMX", b"XMP "):
            found.append((part.start, part.end))
        elif part.family == "bmff":
            if kind == b"uuid" and _starts(handle, part, BMFF_XMP):
                found.append((part.start + len(BMFF_XMP), part.end))
            elif kind == b"xml ":  # JPEG XL's XMP box (and JPEG 2000's XML)
                found.append((part.start, part.end))
            elif kind == b"moov":
                found.extend((atom.start, atom.end)
                             for udta in boxes(handle, part.start, part.end)
                             if udta.kind == b"udta"
                             for atom in boxes(handle, udta.start, udta.end)
                             if atom.kind == b"XMP_")
    return found


def read_at(handle: BinaryIO, start: int, end: int, limit: int) -> bytes:
    """The bytes from ``start`` to ``end``, at most ``limit`` of them."""
    handle.seek(start)
    return handle.read(max(0, min(end - start, limit)))


def _starts(handle: BinaryIO, part: Part, prefix: bytes) -> bool:
    handle.seek(part.start)
    return handle.read(len(prefix)) == prefix


def _jpeg(handle: BinaryIO, size: int) -> Iterator[Part]:
    pos = 2
    for _ in range(MAX_PARTS):
        handle.seek(pos)
        header = handle.read(4)
        if len(header) < 4 or header[0] != 0xFF:
            return
        marker = header[1]
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no more metadata
            return
        if marker == 0x01 or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            pos += 1 if marker == 0xFF else 2
            continue
        length = int.from_bytes(header[2:4], "big")
        yield Part("jpeg", header[:2], pos + 4, min(pos + 2 + max(length, 2), size))
        pos += 2 + length


def _png(handle: BinaryIO, size: int) -> Iterator[Part]:
    pos = 8
    for _ in range(MAX_PARTS):
        handle.seek(pos)
        header = handle.read(8)
        if len(header) < 8:
            return
        length, kind = int.from_bytes(header[:4], "big"), header[4:8]
        yield Part("png", kind, pos + 8, min(pos + 8 + length, size))
        if kind == b"IEND":
            return
        pos += 12 + length


def _riff(handle: BinaryIO, size: int) -> Iterator[Part]:
    pos = 12
    for _ in range(MAX_PARTS):
        if pos + 8 > size:
            return
        handle.seek(pos)
        header = handle.read(8)
        length = int.from_bytes(header[4:8], "little")
        yield Part("riff", header[:4], pos + 8, min(pos + 8 + length, size))
        pos += 8 + length + (length & 1)


def _tiff(handle: BinaryIO, head: bytes, size: int) -> Iterator[Part]:
    """The tags of the first image (IFD0), each with where its value lies (inline values
    lie in the entry itself)."""
    order: Literal["little", "big"] = "little" if head[:2] == b"II" else "big"
    big = head[2:4] in (b"+\x00", b"\x00+")  # BigTIFF: 64-bit offsets and counts
    width = 8 if big else 4
    ifd = int.from_bytes(head[8:16] if big else head[4:8], order)
    if ifd >= size:
        return
    handle.seek(ifd)
    count = int.from_bytes(handle.read(8 if big else 2), order)
    entry = 20 if big else 12
    table = handle.read(min(count, MAX_PARTS) * entry)
    for at in range(0, len(table) - entry + 1, entry):
        tag, kind = table[at:at + 2], int.from_bytes(table[at + 2:at + 4], order)
        number = int.from_bytes(table[at + 4:at + 4 + width], order)
        length = number * _TIFF_SIZES.get(kind, 1)
        value = ifd + (8 if big else 2) + at + 4 + width
        if length > width:  # not inline: the entry holds its offset
            value = min(int.from_bytes(table[at + 4 + width:at + 4 + 2 * width], order), size)
        yield Part("tiff", tag if order == "big" else tag[::-1], value,
                   min(value + length, size))
