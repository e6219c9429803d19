"""Where a container keeps its parts: JPEG segments, PNG chunks, ISO BMFF boxes, RIFF (and
RF64) and AIFF chunks, the tags of every TIFF image, GIF blocks, Photoshop image resources
and ID3v2 frames (an MP3's, or in a WAV or AIFF chunk), walked from their headers alone
(seeking past the data), as the format's readers find them. A walk that has to stop before
the end of the file (more parts than :data:`MAX_PARTS`, a structure it cannot follow) says
so, with a last part of kind :data:`STOPPED`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

#: a hostile file may hold millions of empty parts: the walk stops there (and says so)
MAX_PARTS = 100_000

#: TIFF images (IFDs) walked: the chain of images, their SubIFDs and Exif IFDs
MAX_IFDS = 1024

#: GIF sub-blocks walked (255 bytes each at most: about 1 GiB)
MAX_SUBBLOCKS = 4_000_000

#: the kind of the last part of a walk that stopped before the end of the file
STOPPED = b""

#: tags pointing at more images whose tags an XMP reader reads: SubIFDs, the Exif IFD
_TIFF_IFDS = {330, 34665}

#: the first box of a file made of ISO BMFF boxes: ``ftyp``, a top-level QuickTime atom a
#: .mov may start with instead, the JPEG 2000 and JPEG XL signature boxes
_BOX_FILES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot", b"jP  ", b"JXL ")

#: TIFF field types: bytes per value
_TIFF_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8,
               13: 4, 16: 8, 17: 8, 18: 8}

#: formats an XMP reader finds XMP in (through an object table, by scanning) that are not
#: walked here: all of such a file past its ends is a place the gate cannot look
NOT_WALKED = ((b"%PDF-", "PDF"), (b"%!PS", "PostScript"), (b"\xc5\xd0\xd3\xc6", "EPS"),
               (bytes.fromhex("0606edf5d81d46e5bd31efe7fe74b71d"), "InDesign"),
               (b"AT&TFORM", "DjVu"), (b"FWS", "Flash"), (b"CWS", "Flash"), (b"ZWS", "Flash"))



@dataclass(frozen=True, slots=True)
class Part:
    """One part of a container: its kind and where its data lies in the file."""

    #: "jpeg", "png", "bmff", "riff", "iff" (AIFF), "tiff", "gif", "psd", "id3", "svg" (the
    #: whole file, one part), or a format not walked ("PDF"...: only where it stopped)
    family: str
    #: the JPEG marker (``b"\\xff\\xe1"``), chunk or box type (``b"iTXt"``, ``b"moov"``,
    #: ``b"_PMX"``), TIFF tag or Photoshop resource id (two bytes, big-endian), GIF
    #: extension (``b"!\\xfe"``, an application's 11-byte name), ID3 frame id; ``STOPPED``
    #: for where a walk stopped before the end of the file
    kind: bytes
    #: the first byte of its data, past its header
    start: int
    #: one past its last byte, never past the end of the file
    end: int



def parts(handle: BinaryIO) -> Iterator[Part]:
    """The top-level parts of the file open in ``handle`` (every image's tags for a TIFF);
    nothing for a container not walked here."""
    handle.seek(0)
    head = handle.read(16)
    size = handle.seek(0, 2)
    if head[:2] == b"\xff\xd8":
        return _jpeg(handle, size)
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return _png(handle, size)
    if head[4:8] in _BOX_FILES:
        return boxes(handle, 0, size)
    if head[:4] in (b"RIFF", b"RF64", b"BW64"):
        return _riff(handle, head, size)
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return tiff_tags(handle, 0, size)
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return _gif(handle, size)
    if head[:4] == b"8BPS":
        return _psd(handle, size)
    if head[:3] == b"ID3":
        return id3_frames(handle, 0, size)
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return _iff(handle, size)
    for magic, name in NOT_WALKED:
        if head.startswith(magic):
            return _stop(name, 0, size)
    if _is_svg(handle):  # text: its XMP (in <metadata>) may be anywhere, the whole is read
        return iter([Part("svg", b"svg", 0, size)])
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
            yield from _stop("bmff", pos, end)
            return
        stop = min(pos + size, end)
        yield Part("bmff", kind, min(pos + skip, stop), stop)
        pos += size
    yield from _stop("bmff", pos, end)



def read_at(handle: BinaryIO, start: int, end: int, limit: int) -> bytes:
    """The bytes from ``start`` to ``end``, at most ``limit`` of them."""
    handle.seek(start)
    return handle.read(max(0, min(end - start, limit)))



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
    yield from _stop("jpeg", pos, size)



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
    yield from _stop("png", pos, size)



def _riff(handle: BinaryIO, head: bytes, size: int) -> Iterator[Part]:
    """RIFF chunks; in RF64 (and BW64) a size of 0xFFFFFFFF is given by the ``ds64``
    chunk (the data chunk's, or its table's for other chunks)."""
    pos = 12
    wide: dict[bytes, int] = {}
    for _ in range(MAX_PARTS):
        if pos + 8 > size:
            return
        handle.seek(pos)
        header = handle.read(8)
        kind, length = header[:4], int.from_bytes(header[4:8], "little")
        if kind == b"ds64" and head[:4] != b"RIFF":
            table = handle.read(min(length, 28 + 12 * 1024))
            wide[b"data"] = int.from_bytes(table[8:16], "little")
            for at in range(28, len(table) - 11, 12):
                wide[table[at:at + 4]] = int.from_bytes(table[at + 4:at + 12], "little")
        elif length == 0xFFFFFFFF and kind in wide:
            length = wide[kind]
        yield Part("riff", kind, pos + 8, min(pos + 8 + length, size))
        pos += 8 + length + (length & 1)
    yield from _stop("riff", pos, size)



def _iff(handle: BinaryIO, size: int) -> Iterator[Part]:
    """AIFF chunks: a big-endian RIFF."""
    pos = 12
    for _ in range(MAX_PARTS):
        if pos + 8 > size:
            return
        handle.seek(pos)
        header = handle.read(8)
        length = int.from_bytes(header[4:8], "big")
        yield Part("iff", header[:4], pos + 8, min(pos + 8 + length, size))
        pos += 8 + length + (length & 1)
    yield from _stop("iff", pos, size)



def tiff_tags(handle: BinaryIO, base: int, size: int) -> Iterator[Part]:
    """The tags of every image of the TIFF structure at ``base`` (a TIFF file, or Exif in
    another container): the chain of IFDs from the first, and each one's SubIFDs and Exif
    IFD, each tag with where its value lies (inline values lie in the entry). Offsets count
    from ``base``; nothing lies past ``size``."""
    head = read_at(handle, base, size, 16)
    if head[:4] not in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return
    order: Literal["little", "big"] = "little" if head[:2] == b"II" else "big"
    big = head[2:4] in (b"+\x00", b"\x00+")  # BigTIFF: 64-bit offsets and counts
    width = 8 if big else 4
    entry = 20 if big else 12
    todo = [int.from_bytes(head[8:16] if big else head[4:8], order)]
    seen: set[int] = set()
    entries = 0  # read in all: IFDs may overlap, each claiming the most
    while todo:
        ifd = base + todo.pop(0)
        if ifd in seen or not base + 8 <= ifd < size:
            continue
        if len(seen) >= MAX_IFDS or entries >= MAX_PARTS:
            yield from _stop("tiff", ifd, size)
            return
        seen.add(ifd)
        handle.seek(ifd)
        count = int.from_bytes(handle.read(8 if big else 2), order)
        wanted = min(count, MAX_PARTS - entries)
        table = handle.read(wanted * entry)
        entries += len(table) // entry
        following = handle.read(width)
        for at in range(0, len(table) - entry + 1, entry):
            tag, kind = table[at:at + 2], int.from_bytes(table[at + 2:at + 4], order)
            number = int.from_bytes(table[at + 4:at + 4 + width], order)
            length = number * _TIFF_SIZES.get(kind, 1)
            value = ifd + (8 if big else 2) + at + 4 + width
            if length > width:  # not inline: the entry holds its offset
                value = min(base + int.from_bytes(table[at + 4 + width:at + 4 + 2 * width],
                                                  order), size)
            part = Part("tiff", tag if order == "big" else tag[::-1], min(value, size),
                        min(value + length, size))
            yield part
            if int.from_bytes(part.kind, "big") in _TIFF_IFDS:
                step = _TIFF_SIZES.get(kind, 4)
                data = read_at(handle, part.start, part.end, 64 * step)
                todo.extend(int.from_bytes(data[i:i + step], order)
                            for i in range(0, len(data) - step + 1, step))
        if count > wanted and len(table) == wanted * entry:  # more than the bound
            yield from _stop("tiff", ifd, size)
            return
        if len(following) == width:
            todo.append(int.from_bytes(following, order))



def _gif(handle: BinaryIO, size: int) -> Iterator[Part]:
    """GIF blocks: extensions (kind ``b"!"`` and the label, or an application's 11-byte
    name) and images, each up to its sub-blocks' terminator."""
    reader = _Sequential(handle)
    flags = reader.byte(10)
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    steps = 0
    for _ in range(MAX_PARTS):
        block = reader.byte(pos)
        if block == 0x21:  # extension: a label, then sub-blocks
            label = reader.byte(pos + 1)
            start, kind = pos + 2, b"!" + bytes([label])
            if label == 0xFF and reader.byte(start) == 11:
                kind, start = reader.bytes(start + 1, 11), start + 12
        elif block == 0x2C:  # image: descriptor, colour table, LZW code size, sub-blocks
            flags = reader.byte(pos + 9)
            start = pos + 10 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0) + 1
            kind = b","
        else:  # the trailer, or not a block: the end
            return
        pos = start
        while (length := reader.byte(pos)) > 0 and steps < MAX_SUBBLOCKS:
            pos += 1 + length
            steps += 1
        if length < 0 or steps >= MAX_SUBBLOCKS:
            if steps >= MAX_SUBBLOCKS:
                yield from _stop("gif", start, size)
            return
        yield Part("gif", kind, start, min(pos, size))
        pos += 1
    yield from _stop("gif", pos, size)



class _Sequential:
    """Bytes of a file read forward in blocks (a GIF's sub-block lengths lie every 256
    bytes or less); -1 past the end."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle, self.start, self.data = handle, 0, b""

    def byte(self, pos: int) -> int:
        if not self.start <= pos < self.start + len(self.data):
            self.handle.seek(pos)
            self.start, self.data = pos, self.handle.read(1 << 20)
            if not self.data:
                return -1
        return self.data[pos - self.start]

    def bytes(self, pos: int, count: int) -> bytes:
        self.handle.seek(pos)
        return self.handle.read(count)



def _psd(handle: BinaryIO, size: int) -> Iterator[Part]:
    """Photoshop (PSD, PSB) image resources: ``8BIM``, an id, a padded Pascal name, a
    length and the data, padded to even."""
    handle.seek(26)
    pos = 30 + int.from_bytes(handle.read(4), "big")  # past the colour mode data
    handle.seek(pos)
    end = min(pos + 4 + int.from_bytes(handle.read(4), "big"), size)
    pos += 4
    for _ in range(MAX_PARTS):
        if pos + 12 > end:
            return
        handle.seek(pos)
        header = handle.read(7)
        name = (header[6] + 2) & ~1
        handle.seek(pos + 6 + name)
        length = int.from_bytes(handle.read(4), "big")
        start = pos + 10 + name
        yield Part("psd", header[4:6], min(start, end), min(start + length, end))
        pos = start + length + (length & 1)
    yield from _stop("psd", pos, size)



def id3_frames(handle: BinaryIO, base: int, size: int) -> Iterator[Part]:
    """The frames of the ID3v2 tag at ``base``: an MP3's start, or a WAV or AIFF chunk."""
    handle.seek(base)
    head = handle.read(10)
    if len(head) < 10 or head[:3] != b"ID3":
        return
    version, flags = head[3], head[5]
    end = min(base + 10 + _synchsafe(head[6:10]), size)
    pos = base + 10
    if flags & 0x80 and version < 4:  # unsynchronised: frame sizes are not the bytes'
        yield from _stop("id3", pos, end)
        return
    if flags & 0x40:  # an extended header
        extended = handle.read(4)
        pos += _synchsafe(extended) if version == 4 else 4 + int.from_bytes(extended, "big")
    name, header = (3, 6) if version == 2 else (4, 10)
    for _ in range(MAX_PARTS):
        if pos + header > end:
            return
        handle.seek(pos)
        frame = handle.read(header)
        if frame[0] == 0:  # padding
            return
        raw = frame[name:name + (3 if version == 2 else 4)]
        length = _synchsafe(raw) if version == 4 else int.from_bytes(raw, "big")
        yield Part("id3", frame[:name], pos + header, min(pos + header + length, end))
        pos += header + length
    yield from _stop("id3", pos, end)



def _is_svg(handle: BinaryIO) -> bool:
    handle.seek(0)
    start = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return start.startswith((b"<?xml", b"<svg", b"<!--", b"<!DOCTYPE")) and b"<svg" in start



def _stop(family: str, pos: int, end: int) -> Iterator[Part]:
    """Where a walk stopped, if before the end."""
    if pos < end:
        yield Part(family, STOPPED, pos, end)



def _synchsafe(data: bytes) -> int:
    value = 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
    return value

