"""What a media file is, by its bytes: never by its name.

A player opens a file by probing its content (ffmpeg, melt, an NLE's importer), so a signed
generated movie renamed ``.qt``, ``.mxf``, ``.dat`` or left without a suffix still plays.
The gate decides which reader looks at a file the same way: :func:`identify` reads the
file's first bytes and names the container and, for those the C2PA SDK reads, the MIME
type the SDK is handed with the stream. A container nobody identifies is not "no
provenance": the sources report it as one they could not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: bytes read from the start of a file to identify it
HEAD = 4096


@dataclass(frozen=True, slots=True)
class Container:
    """A media file's container, as its bytes say."""

    #: what it is, for evidence (``"ISO BMFF (brand qt)"``, ``"RIFF WAVE"``...); None when
    #: nothing identifies it
    kind: str | None
    #: the MIME type the C2PA SDK reads it as; None when the SDK does not read this kind
    c2pa_mime: str | None = None

    @property
    def identified(self) -> bool:
        return self.kind is not None


UNKNOWN = Container(None)

#: ISO BMFF major brands and the MIME type the SDK's BMFF reader is given for them
_BRANDS = {b"qt  ": "video/quicktime", b"heic": "image/heic", b"heix": "image/heic",
           b"heim": "image/heic", b"heis": "image/heic", b"hevc": "image/heic",
           b"hevx": "image/heic", b"mif1": "image/heif", b"msf1": "image/heif",
           b"heif": "image/heif", b"avif": "image/avif", b"avis": "image/avif",
           b"M4A ": "audio/mp4", b"M4B ": "audio/mp4", b"M4V ": "video/x-m4v"}
#: top-level QuickTime atoms a .mov may start with instead of ``ftyp``
_QT_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
_RIFF = {b"WAVE": ("RIFF WAVE", "audio/wav"), b"AVI ": ("RIFF AVI", "video/avi"),
         b"WEBP": ("RIFF WebP", "image/webp")}
#: containers the gate identifies but no C2PA reader handles (no manifest can be bound to
#: them the SDK could check): their provenance comes from XMP, the ledger and the timeline
_OTHERS: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x06\x0e\x2b\x34\x02\x05\x01\x01\x0d\x01\x02", "MXF"),
    (0, b"\x76\x2f\x31\x01", "OpenEXR"),
    (0, b"SDPX", "DPX"), (0, b"XPDS", "DPX"),
    (0, b"\x80\x2a\x5f\xd7", "Cineon"),
    (0, b"\x1a\x45\xdf\xa3", "Matroska/WebM"),
    (0, b"\x00\x00\x01\xba", "MPEG program stream"),
    (0, b"OggS", "Ogg"),
    (0, b"caff", "Core Audio Format"),
    (0, b"8BPS", "Photoshop"),
    (0, b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (0, b"\xff\x4f\xff\x51", "JPEG 2000 codestream"),
    (0, b"#?RADIANCE", "Radiance HDR"), (0, b"#?RGBE", "Radiance HDR"),
    (4, b"RED1", "RED R3D"), (4, b"RED2", "RED R3D"),
    (0, b"ARRI\x12\x34\x56\x78", "ARRIRAW"),
    (0, b"BLENDER", "Blender file"),
    (0, b"BM", "BMP"),
    (0, b"\x01\xda", "SGI image"),
    (0, b"RF64", "RF64 (WAV over 4 GiB)"),
    (0, b"\x0b\x77", "AC-3 audio"),
    (0, b"#!AMR", "AMR audio"),
)
#: netpbm images (P1-P7), AAC in ADTS frames: identified by a short header of their own
_NETPBM = re.compile(rb"\AP[1-7]\s")
_SVG = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]{0,400}\?>\s*)?"
                  rb"(?:(?:<!--.{0,2000}?-->|<!DOCTYPE[^>]{0,2000}>)\s*){0,16}<svg[\s>/]", re.S)


def identify(path: Path) -> Container:
    """The container of the file at ``path``, from its first :data:`HEAD` bytes (raises
    OSError when it cannot be read)."""
    with path.open("rb") as handle:
        head = handle.read(HEAD)
    return identify_bytes(head)


def identify_bytes(head: bytes) -> Container:
    """:func:`identify` for a file's first bytes."""
    box = head[4:8]
    if box == b"ftyp":
        brand = head[8:12]
        if brand == b"crx ":  # Canon CR3: ISO BMFF, read by the SDK's BMFF reader
            return Container("ISO BMFF (Canon CR3)", "video/mp4")
        mime = _BRANDS.get(brand, "video/mp4")
        return Container(f"ISO BMFF (brand {brand.decode('latin-1').strip()})", mime)
    if head[:12] == b"\x00\x00\x00\x0cJXL \r\n\x87\n" or head[:2] == b"\xff\x0a":
        return Container("JPEG XL", "image/jxl")
    size = int.from_bytes(head[:4], "big")
    if box in _QT_ATOMS and (size in (0, 1) or size >= 8):
        return Container(f"QuickTime ({box.decode()} first)", "video/quicktime")
    if box == b"jumb":
        return Container("C2PA manifest store", "application/c2pa")
    if head[:4] == b"RIFF":
        form = _RIFF.get(head[8:12])
        return Container(*form) if form else UNKNOWN
    if head[:3] == b"\xff\xd8\xff":
        return Container("JPEG", "image/jpeg")
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return Container("PNG", "image/png")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Container("TIFF", "image/tiff")  # DNG, NEF, ARW are TIFF too
    if head[:4] in (b"II+\x00", b"MM\x00+"):
        return Container("BigTIFF")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Container("GIF", "image/gif")
    if head[:4] == b"fLaC":
        return Container("FLAC", "audio/flac")
    if head[:4] == b"PK\x03\x04":
        return Container("ZIP", "application/zip")
    if head[:3] == b"ID3" or _mpeg_audio(head):
        return Container("MP3", "audio/mpeg")
    if b"%PDF-" in head[:1024]:
        return Container("PDF", "application/pdf")
    if _SVG.match(head):
        return Container("SVG", "image/svg+xml")
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return Container("AIFF")
    for offset, magic, kind in _OTHERS:
        if head[offset:offset + len(magic)] == magic:
            return Container(kind)
    if _NETPBM.match(head):
        return Container("Netpbm image")
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:  # sync, layer 0
        return Container("AAC (ADTS)")
    if len(head) >= 188 * 3 and all(head[i] == 0x47 for i in range(0, 188 * 3, 188)):
        return Container("MPEG transport stream")
    return UNKNOWN


def _mpeg_audio(head: bytes) -> bool:
    """An MPEG audio frame header at the start (an MP3 without ID3 tag): frame sync, a
    valid version, layer, bitrate and sample rate."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 3
    return version != 1 and layer != 0 and bitrate not in (0, 15) and rate != 3

