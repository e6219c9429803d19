"""Where a container keeps XMP (:func:`xmp_places`), as ExifTool and Adobe's toolkit read
it, and the XMP read from there (:func:`read_xmp`), at any offset: a packet a reader finds
in the middle of a large file is found here too, without reading the file's bulk. A walk
that stopped, and an XMP kept in a form not read here, are unreadable places: the reader
turns them into a problem, never into "no XMP".
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .parts import (
    MAX_PARTS,
    NOT_WALKED,
    STOPPED,
    Part,
    boxes,
    id3_frames,
    parts,
    read_at,
    tiff_tags,
)

#: the UUID of an ISO BMFF ``uuid`` box holding XMP (Adobe's XMP specification, part 3)
BMFF_XMP = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")

_JPEG_XMP = b"http://ns.adobe.com/xap/1.0/\x00"

#: JPEG extended XMP (XMP specification part 3): GUID (32), full length (4), offset (4)
_JPEG_EXTENDED = b"http://ns.adobe.com/xmp/extension/\x00"

#: PNG text keywords holding XMP: Adobe's, and ImageMagick's hex text profiles
_PNG_XMP = b"XML:com.adobe.xmp"

_PNG_PROFILES = (b"Raw profile type xmp", b"Raw profile type APP1")

_TIFF_XMP = (700).to_bytes(2, "big")

#: Exif (a TIFF structure) kept in another container (besides a JPEG's APP1): PNG's eXIf
#: chunk, WebP's EXIF chunk, Photoshop's resource 1058; ExifTool reads an XMP tag in any of
#: its images
_EXIF = {("png", b"eXIf"), ("riff", b"EXIF"),
         ("psd", (1058).to_bytes(2, "big"))}

_GIF_XMP = b"XMP DataXMP"

_PSD_XMP = (1060).to_bytes(2, "big")

#: header bytes read of a box listing items (HEIF ``iinf``, ``iloc``)
_MAX_TABLE = 4 * 1024 * 1024



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
        if kind == STOPPED and family in dict(NOT_WALKED).values():
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
            found.extend(_id3_xmp(handle, id3_frames(handle, part.start, part.end)))
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



def _exif_xmp(handle: BinaryIO, part: Part) -> list[Place]:
    """The XMP tags in Exif kept in another container (a TIFF structure, after "Exif\\0\\0"
    in JPEG and often in WebP), and where its walk stopped."""
    base = part.start + (6 if read_at(handle, part.start, part.end, 6) == b"Exif\x00\x00"
                         else 0)
    found = []
    for tag in tiff_tags(handle, base, part.end):
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

