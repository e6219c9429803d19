"""Where a container keeps its parts: JPEG segments, PNG chunks, ISO BMFF boxes, RIFF (and
RF64) and AIFF chunks, the tags of every TIFF image, GIF blocks, Photoshop image resources
and ID3v2 frames (an MP3's, or in a WAV or AIFF chunk), walked from their headers alone
(seeking past the data), as the format's readers find them.

Metadata is read where the container keeps it, at any offset: a packet a reader finds in
the middle of a large file is found here too, without reading the file's bulk. A walk that
has to stop before the end of the file (more parts than :data:`MAX_PARTS`, a structure it
cannot follow) says so, and so does an XMP kept in a form not read here: the reader turns
either into a problem, never into "no XMP".
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

#: a hostile file may hold millions of empty parts: the walk stops there (and says so)
MAX_PARTS = 100_000
#: TIFF images (IFDs) walked: the chain of images, their SubIFDs and Exif IFDs
MAX_IFDS = 1024
#: GIF sub-blocks walked (255 bytes each at most: about 1 GiB)
MAX_SUBBLOCKS = 4_000_000
#: the UUID of an ISO BMFF ``uuid`` box holding XMP (Adobe's XMP specification, part 3)
BMFF_XMP = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
#: the kind of the last part of a walk that stopped before the end of the file
STOPPED = b""
_JPEG_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
#: JPEG extended XMP (XMP specification part 3): GUID (32), full length (4), offset (4)
_JPEG_EXTENDED = b"http://ns.adobe.com/xmp/extension/\x00"
#: PNG text keywords holding XMP: Adobe's, and ImageMagick's hex text profiles
_PNG_XMP = b"XML:com.adobe.xmp"
_PNG_PROFILES = (b"Raw profile type xmp", b"Raw profile type APP1")
_TIFF_XMP = (700).to_bytes(2, "big")
#: tags pointing at more images whose tags an XMP reader reads: SubIFDs, the Exif IFD
_TIFF_IFDS = {330, 34665}
#: Exif (a TIFF structure) kept in another container (besides a JPEG's APP1): PNG's eXIf
#: chunk, WebP's EXIF chunk, Photoshop's resource 1058; ExifTool reads an XMP tag in any of
#: its images
_EXIF = {("png", b"eXIf"), ("riff", b"EXIF"),
         ("psd", (1058).to_bytes(2, "big"))}
_GIF_XMP = b"XMP DataXMP"
_PSD_XMP = (1060).to_bytes(2, "big")
#: the first box of a file made of ISO BMFF boxes: ``ftyp``, a top-level QuickTime atom a
#: .mov may start with instead, the JPEG 2000 and JPEG XL signature boxes
_BOX_FILES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot", b"jP  ", b"JXL ")
#: TIFF field types: bytes per value
_TIFF_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8,
               13: 4, 16: 8, 17: 8, 18: 8}
#: formats an XMP reader finds XMP in (through an object table, by scanning) that are not
#: walked here: all of such a file past its ends is a place the gate cannot look
_NOT_WALKED = ((b"%PDF-", "PDF"), (b"%!PS", "PostScript"), (b"\xc5\xd0\xd3\xc6", "EPS"),
               (bytes.fromhex("0606edf5d81d46e5bd31efe7fe74b71d"), "InDesign"),
               (b"AT&TFORM", "DjVu"), (b"FWS", "Flash"), (b"CWS", "Flash"), (b"ZWS", "Flash"))
#: header bytes read of a box listing items (HEIF ``iinf``, ``iloc``)
_MAX_TABLE = 4 * 1024 * 1024


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


@dataclass(frozen=True, slots=True)
class Place:
    """Where the container keeps XMP, and how it is stored there."""

    start: int
    end: int
    #: "" as it is; "zlib" deflated; "profile" ImageMagick's hex text profile; "zlib profile"
    encoding: str = ""
    #: the byte ranges of an XMP kept in pieces (JPEG extended XMP), in order
    pieces: tuple[tuple[int, int], ...] = ()
    #: why it cannot be read (a place the gate cannot look into): a problem, never "no XMP"
    unreadable: str = ""
    #: where a walk stopped: what lies from ``start`` on was not walked (a search of the
    #: file's end still covers that end)
    stopped: bool = False


class Unreadable(ValueError):
    """XMP kept in a place that cannot be read: too large, damaged, a form not read here."""


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
        return _tiff(handle, 0, size)
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return _gif(handle, size)
    if head[:4] == b"8BPS":
        return _psd(handle, size)
    if head[:3] == b"ID3":
        return _id3(handle, 0, size)
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return _iff(handle, size)
    for magic, name in _NOT_WALKED:
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


def xmp_places(handle: BinaryIO) -> list[Place]:
    """Where the container keeps XMP, as ExifTool and Adobe's toolkit read it: a JPEG APP1
    XMP segment (and extended XMP), a PNG ``XML:com.adobe.xmp`` or ``Raw profile type xmp``
    text chunk (compressed or not), the XMP tag of any TIFF image (and of Exif kept in a
    JPEG, PNG, WebP or Photoshop file), an XMP ``uuid`` box (ISO BMFF, JPEG 2000), JPEG XL's
    ``xml `` box, QuickTime's ``moov/udta/XMP_`` and ``moov/trak/udta/XMP_`` atoms, a
    HEIF/AVIF XMP item, a RIFF or RF64 ``_PMX`` chunk or WebP ``XMP `` chunk, a GIF XMP
    application extension, a Photoshop image resource 1060, an ID3v2 ``PRIV`` XMP frame
    (an MP3's, a WAV's or an AIFF's), the whole of an SVG file. A walk that stopped before
    the end of the file, a format not walked (PDF...) and an XMP in a form not read here
    (Brotli-compressed JPEG XL boxes) are unreadable places.
    """
    found: list[Place] = []
    extended: dict[bytes, list[tuple[int, int, int]]] = {}
    for part in parts(handle):
        family, kind = part.family, part.kind
        if kind == STOPPED and family in dict(_NOT_WALKED).values():
            found.append(Place(part.start, part.end, unreadable=(
                f"a {family} file is searched for XMP at its ends only: XMP between them not "
                "read"), stopped=True))
        elif kind == STOPPED:
            found.append(_stopped(part))
        elif family == "jpeg" and kind == b"\xff\xe1":
            head = read_at(handle, part.start, part.end, len(_JPEG_EXTENDED) + 40)
            if head.startswith(_JPEG_XMP):
                found.append(Place(part.start + len(_JPEG_XMP), part.end))
            elif head.startswith(b"Exif\x00\x00"):
                found.extend(_exif_xmp(handle, part))
            elif head.startswith(_JPEG_EXTENDED) and len(head) == len(_JPEG_EXTENDED) + 40:
                guid = head[len(_JPEG_EXTENDED):len(_JPEG_EXTENDED) + 32]
                offset = int.from_bytes(head[-4:], "big")
                extended.setdefault(guid, []).append((offset, part.start + len(head), part.end))
        elif family == "png" and kind in (b"iTXt", b"zTXt", b"tEXt"):
            found.extend(_png_text(handle, part))
        elif family == "tiff" and kind == _TIFF_XMP:
            found.append(Place(part.start, part.end))
        elif (family, kind) in _EXIF:  # a TIFF structure inside: its images' XMP tags
            found.extend(_exif_xmp(handle, part))
        elif family == "riff" and kind in (b"_PMX", b"XMP "):
            found.append(Place(part.start, part.end))
        elif family == "gif" and kind == _GIF_XMP:
            # raw XMP then a 258-byte "magic trailer" that ends its sub-block chain
            found.append(Place(part.start, max(part.start, part.end - 257)))
        elif family == "svg":
            found.append(Place(part.start, part.end))
        elif family == "psd" and kind == _PSD_XMP:
            found.append(Place(part.start, part.end))
        elif family == "id3" and kind in (b"PRIV", b"PRV"):
            found.extend(_id3_xmp(handle, [part]))
        elif family in ("riff", "iff") and kind in (b"id3 ", b"ID3 "):  # WAV, AIFF
            found.extend(_id3_xmp(handle, _id3(handle, part.start, part.end)))
        elif family == "bmff":
            found.extend(_bmff_xmp(handle, part))
    for pieces in extended.values():
        # one XMP in pieces (one per GUID), each naming its offset in the whole: in order
        pieces.sort()
        found.append(Place(min(start for _, start, _ in pieces),
                           max(end for _, _, end in pieces),
                           pieces=tuple((start, end) for _, start, end in pieces)))
    return found


def read_xmp(handle: BinaryIO, place: Place, limit: int) -> bytes:
    """The XMP kept at ``place``, decoded; :class:`Unreadable` (saying why, after "the XMP
    at byte N") when it is over ``limit`` bytes, damaged or in a form not read here."""
    if place.unreadable:
        raise Unreadable(place.unreadable)
    ranges = place.pieces or ((place.start, place.end),)
    if sum(end - start for start, end in ranges) > limit:
        raise Unreadable(f"is over {limit} bytes: not read")
    data = b"".join(read_at(handle, start, end, limit) for start, end in ranges)
    if "zlib" in place.encoding:
        inflate = zlib.decompressobj()
        try:
            data = inflate.decompress(data, limit)
        except zlib.error as exc:
            raise Unreadable(f"is compressed and cannot be inflated ({exc})") from None
        if inflate.unconsumed_tail:
            raise Unreadable(f"is over {limit} bytes once inflated: not read")
    if "profile" in place.encoding:
        # "\n<name>\n<length>\n" then the bytes in hex, in lines
        fields = data.lstrip(b"\n").split(b"\n", 2)
        try:
            data = bytes.fromhex(fields[2].decode("ascii")) if len(fields) == 3 else b""
        except (UnicodeDecodeError, ValueError):
            raise Unreadable("is a text profile that is not hex: not read") from None
        if data.startswith(_JPEG_XMP):  # an APP1 profile holding XMP
            data = data[len(_JPEG_XMP):]
    return data


def read_at(handle: BinaryIO, start: int, end: int, limit: int) -> bytes:
    """The bytes from ``start`` to ``end``, at most ``limit`` of them."""
    handle.seek(start)
    return handle.read(max(0, min(end - start, limit)))


def _exif_xmp(handle: BinaryIO, part: Part) -> list[Place]:
    """The XMP tags in Exif kept in another container (a TIFF structure, after "Exif\\0\\0"
    in JPEG and often in WebP), and where its walk stopped."""
    base = part.start + (6 if read_at(handle, part.start, part.end, 6) == b"Exif\x00\x00"
                         else 0)
    found = []
    for tag in _tiff(handle, base, part.end):
        if tag.kind == STOPPED:
            found.append(_stopped(tag))
        elif tag.kind == _TIFF_XMP:
            found.append(Place(tag.start, tag.end))
    return found


def _png_text(handle: BinaryIO, part: Part) -> list[Place]:
    """The XMP in a PNG text chunk: its keyword, then (iTXt) compression flag, method,
    language and translated keyword, (zTXt) method, then the text."""
    head = read_at(handle, part.start, part.end, 65536)
    keyword, _, rest = head.partition(b"\x00")
    if keyword != _PNG_XMP and keyword not in _PNG_PROFILES:
        return []
    encoding, at = "", len(keyword) + 1
    if part.kind == b"iTXt":
        fields = rest[2:].split(b"\x00", 2)  # language, translated keyword, text
        if len(rest) < 2 or len(fields) < 3:
            return []
        encoding = "zlib" if rest[0] else ""
        at += 2 + len(fields[0]) + 1 + len(fields[1]) + 1
    elif part.kind == b"zTXt":
        encoding, at = "zlib", at + 1
    if keyword in _PNG_PROFILES:
        encoding = f"{encoding} profile".strip()
    return [Place(min(part.start + at, part.end), part.end, encoding)]


def _id3_xmp(handle: BinaryIO, frames: Iterable[Part]) -> list[Place]:
    """The XMP in ID3 ``PRIV`` frames owned by "XMP"; where a walk of a tag inside a chunk
    stopped."""
    found = []
    for frame in frames:
        if frame.kind == STOPPED:
            found.append(Place(frame.start, frame.end, unreadable=(
                f"the id3 tag could not be walked past byte {frame.start}: XMP there not "
                "read"), stopped=True))
        elif frame.kind in (b"PRIV", b"PRV") and read_at(
                handle, frame.start, frame.end, 4) == b"XMP\x00":
            found.append(Place(frame.start + 4, frame.end))
    return found


def _bmff_xmp(handle: BinaryIO, part: Part) -> list[Place]:
    kind = part.kind
    if kind == b"uuid":
        if read_at(handle, part.start, part.end, 16) == BMFF_XMP:
            return [Place(part.start + 16, part.end)]
    elif kind == b"xml ":  # JPEG XL's XMP box (and JPEG 2000's XML)
        return [Place(part.start, part.end)]
    elif kind == b"brob" and read_at(handle, part.start, part.end, 4) == b"xml ":
        return [Place(part.start, part.end, unreadable=(
            "is Brotli-compressed (a JPEG XL brob box): not read"))]
    elif kind == b"moov":  # QuickTime: the movie's and each track's user data
        return _user_xmp(handle, part)
    elif kind == b"meta":  # HEIF/AVIF: XMP is an item the item location box points at
        try:
            return _heif_xmp(handle, part)
        except (IndexError, ValueError):  # a table cut short: the items it did list
            return []
    return []


def _user_xmp(handle: BinaryIO, box: Part) -> list[Place]:
    """The ``XMP_`` atoms in the user data (``udta``) of ``moov`` and of each ``trak`` in
    it, and where a walk inside them stopped."""
    found: list[Place] = []
    for child in boxes(handle, box.start, box.end):
        if child.kind == STOPPED:
            found.append(_stopped(child))
        elif child.kind == b"trak" and box.kind == b"moov":
            found.extend(_user_xmp(handle, child))
        elif child.kind == b"udta":
            for atom in boxes(handle, child.start, child.end):
                if atom.kind == STOPPED:
                    found.append(_stopped(atom))
                elif atom.kind == b"XMP_":
                    found.append(Place(atom.start, atom.end))
    return found


def _stopped(part: Part) -> Place:
    """The rest of a container a walk stopped in: a place the gate cannot look."""
    return Place(part.start, part.end, unreadable=(
        f"the {part.family} container could not be walked past byte {part.start} (more "
        f"than {MAX_PARTS} parts, or a part the walk cannot follow): XMP there not read"),
        stopped=True)


def _heif_xmp(handle: BinaryIO, meta: Part) -> list[Place]:
    """The XMP items of a HEIF ``meta`` box: ``mime`` items of type application/rdf+xml in
    ``iinf``, found where ``iloc`` says (in the file, or in ``idat``)."""
    size = handle.seek(0, 2)
    xmp: dict[int, str] = {}  # item id: its content encoding
    tables: dict[bytes, bytes] = {}
    idat = 0
    for child in boxes(handle, meta.start + 4, meta.end):  # a full box: version, flags
        if child.kind in (b"iinf", b"iloc"):
            tables[child.kind] = read_at(handle, child.start, child.end, _MAX_TABLE)
        elif child.kind == b"idat":
            idat = child.start
    iinf = tables.get(b"iinf", b"")
    if len(iinf) > 4:
        first = 6 if iinf[0] == 0 else 8
        memory = io.BytesIO(iinf)
        for entry in boxes(memory, first, len(iinf)):
            data = iinf[entry.start:entry.end]
            if entry.kind != b"infe" or len(data) < 4 or data[0] < 2:
                continue
            width = 2 if data[0] == 2 else 4
            item = int.from_bytes(data[4:4 + width], "big")
            if data[6 + width:10 + width] == b"mime":
                _name, content_type, *more = data[10 + width:].split(b"\x00")
                if content_type == b"application/rdf+xml":
                    xmp[item] = more[0].decode("latin-1") if more else ""
    if not xmp:
        return []
    found = []
    for item, extents, method in _iloc(tables.get(b"iloc", b"")):
        if item not in xmp:
            continue
        encoding = xmp[item]
        if method not in (0, 1) or encoding not in ("", "deflate"):
            found.append(Place(meta.start, meta.end, unreadable=(
                f"is a HEIF item stored in a way not read here (construction method "
                f"{method}, encoding {encoding!r})")))
            continue
        base = idat if method == 1 else 0
        # an extent of length 0 runs to the end of the file
        pieces = tuple((min(base + start, size), min(base + start + length, size) if length
                        else size) for start, length in extents)
        if pieces:
            found.append(Place(min(start for start, _ in pieces), max(end for _, end in pieces),
                               "zlib" if encoding else "", pieces if len(pieces) > 1 else ()))
    return found


def _iloc(data: bytes) -> Iterator[tuple[int, list[tuple[int, int]], int]]:
    """(item id, [(offset, length)], construction method) for each item of an ``iloc``."""
    version = data[0]
    offset_size, length_size = data[4] >> 4, data[4] & 15
    base_size, index_size = data[5] >> 4, (data[5] & 15 if version in (1, 2) else 0)
    at = 6

    def take(width: int) -> int:
        nonlocal at
        if at + width > len(data):
            raise IndexError("iloc cut short")
        value = int.from_bytes(data[at:at + width], "big")
        at += width
        return value

    count = take(2 if version < 2 else 4)
    for _ in range(min(count, MAX_PARTS)):
        item = take(2 if version < 2 else 4)
        method = take(2) & 15 if version in (1, 2) else 0
        take(2)  # data reference index
        base = take(base_size)
        extents = []
        for _ in range(take(2)):
            take(index_size)
            extents.append((base + take(offset_size), take(length_size)))
        yield item, extents, method


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


def _tiff(handle: BinaryIO, base: int, size: int) -> Iterator[Part]:
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


def _id3(handle: BinaryIO, base: int, size: int) -> Iterator[Part]:
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
