"""Attacks on reading XMP where the container keeps it: places the first walker did not know
(JPEG extended XMP, GIF's XMP extension, a Photoshop resource, an MP3's ID3 frame, a HEIF
item, RF64, a TIFF's other images, a QuickTime track's user data), XMP stored deflated, as
hex or in UTF-16 (at any size), and walks a hostile file makes stop early. Each attack file
is read by ExifTool, the reference XMP reader, first: where it finds a generative
DigitalSourceType, the gate must see the clip as AI, or say it could not look (a
``provenance-malformed`` problem), never "no XMP"."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from test_xmp_places import (
    PACKET,
    PAD,
    box,
    chunk,
    exiftool_source_type,
    riff,
    wav,
)
from test_xmp_places import pytestmark as needs_exiftool

import aigate_xmp
from aigate_xmp import _read_embedded
from helpers import clip, timeline, write
from mediakit import TRAINED, video

pytestmark = needs_exiftool
BOTH_ENDS = 2 * 4 * 1024 * 1024  # the bytes searched by content at the ends of a file


def noise(size: int) -> bytes:
    return os.urandom(size)


def ffmpeg(*args: str) -> None:
    import imageio_ffmpeg
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *args], check=True)


def still(kind: str, size: tuple[int, int] = (64, 36), **options: object) -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.frombytes("RGB", size, noise(size[0] * size[1] * 3)).save(out, kind, **options)
    return out.getvalue()


def segment(marker: bytes, data: bytes) -> bytes:
    return marker + struct.pack(">H", len(data) + 2) + data


def comments(total: int) -> bytes:
    """JPEG comment segments adding up to at least ``total`` bytes."""
    comment = segment(b"\xff\xfe", bytes(65533))
    return comment * (total // len(comment) + 1)


# --- places the first walker did not know, each in the middle of a large file ---------------

def jpeg_extended(tmp: Path) -> Path:
    """The standard XMP at the start names an extended XMP (xmpNote:HasExtendedXMP) that
    holds the DigitalSourceType, in APP1 pieces after 5 MiB of comments."""
    guid = hashlib.md5(PACKET).hexdigest().upper().encode()
    standard = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/'
                b'1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:xmpNote="http://ns.adobe.'
                b'com/xmp/note/" xmpNote:HasExtendedXMP="' + guid + b'"/></rdf:RDF>'
                b"</x:xmpmeta>")
    half = len(PACKET) // 2
    pieces = [segment(b"\xff\xe1", b"http://ns.adobe.com/xmp/extension/\x00" + guid
                      + struct.pack(">II", len(PACKET), at) + PACKET[at:end])
              for at, end in ((half, len(PACKET)), (0, half))]  # out of order, as allowed
    data = still("JPEG")
    path = tmp / "extended.jpg"
    path.write_bytes(data[:2] + segment(b"\xff\xe1", b"http://ns.adobe.com/xap/1.0/\x00"
                                        + standard) + comments(PAD) + b"".join(pieces)
                     + comments(PAD) + data[2:])
    return path


def gif(tmp: Path) -> Path:
    """A GIF: a 9 MB image, the XMP application extension, 5 MiB of comment extension."""
    from PIL import Image
    out = io.BytesIO()
    Image.frombytes("P", (3000, 3000), noise(9_000_000)).save(out, "GIF")
    data = out.getvalue()
    magic = b"\x01" + bytes(range(255, -1, -1)) + b"\x00"  # the XMP extension's trailer
    xmp = b"\x21\xff\x0bXMP DataXMP" + PACKET + magic
    comment = b"\x21\xfe" + (b"\xff" + bytes(255)) * (PAD // 256) + b"\x00"
    path = tmp / "mid.gif"
    path.write_bytes(data[:-1] + xmp + comment + data[-1:])
    return path


def psd(tmp: Path) -> Path:
    """A Photoshop file: a 5 MiB resource, the XMP resource (1060), another 5 MiB one."""
    def resource(number: int, data: bytes) -> bytes:
        return (b"8BIM" + struct.pack(">H", number) + b"\x00\x00" + struct.pack(">I", len(data))
                + data + b"\x00" * (len(data) & 1))
    width = height = 256
    resources = resource(1000, bytes(PAD)) + resource(1060, PACKET) + resource(1001, bytes(PAD))
    path = tmp / "mid.psd"
    path.write_bytes(b"8BPS" + struct.pack(">H6sHIIHH", 1, bytes(6), 3, height, width, 8, 3)
                     + struct.pack(">I", 0) + struct.pack(">I", len(resources)) + resources
                     + struct.pack(">I", 0) + struct.pack(">H", 0)
                     + noise(width * height * 3))
    return path


def synchsafe(number: int) -> bytes:
    return bytes([(number >> shift) & 127 for shift in (21, 14, 7, 0)])


def id3_tag(*frames: tuple[bytes, bytes]) -> bytes:
    body = b"".join(kind + struct.pack(">I", len(data)) + b"\x00\x00" + data
                    for kind, data in frames)
    return b"ID3\x03\x00\x00" + synchsafe(len(body)) + body


def wav_id3(tmp: Path) -> Path:
    """A WAV: 5 MiB of sound, an ``id3 `` chunk holding the XMP PRIV frame, 5 MiB of JUNK."""
    body = wav(tmp).read_bytes()[12:]
    body = body[:body.find(b"_PMX")] + riff(b"id3 ", id3_tag((b"PRIV", b"XMP\x00" + PACKET)))
    body += riff(b"JUNK", bytes(PAD))
    path = tmp / "id3.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body) + 4) + b"WAVE" + body)
    return path


def aiff(tmp: Path) -> Path:
    """An AIFF (a big-endian RIFF): 5 MiB of sound, an ``ID3 `` chunk holding the XMP PRIV
    frame, then a 5 MiB chunk."""
    def chunk_be(kind: bytes, data: bytes) -> bytes:
        return kind + struct.pack(">I", len(data)) + data + b"\x00" * (len(data) & 1)
    frames = PAD // 2
    common = struct.pack(">hIh", 1, frames, 16) + b"\x40\x0e\xbb\x80" + bytes(6)  # 48 kHz
    body = (b"AIFF" + chunk_be(b"COMM", common)
            + chunk_be(b"SSND", bytes(8) + noise(frames * 2))
            + chunk_be(b"ID3 ", id3_tag((b"PRIV", b"XMP\x00" + PACKET)))
            + chunk_be(b"APPL", b"test" + bytes(PAD)))
    path = tmp / "mid.aiff"
    path.write_bytes(b"FORM" + struct.pack(">I", len(body)) + body)
    return path


def mp3(tmp: Path) -> Path:
    """An MP3 whose ID3v2 tag holds a 5 MiB picture, then the XMP PRIV frame; 5 MiB of sound
    after the tag."""
    ffmpeg("-f", "lavfi", "-i", "sine=d=150", "-c:a", "libmp3lame", "-b:a", "320k",
           str(tmp / "sound.mp3"))
    cover = still("JPEG")
    picture = b"\x00image/jpeg\x00\x03\x00" + cover[:2] + comments(PAD) + cover[2:]
    private = b"XMP\x00" + PACKET
    frames = b"".join(kind + struct.pack(">I", len(data)) + b"\x00\x00" + data
                      for kind, data in ((b"APIC", picture), (b"PRIV", private)))
    path = tmp / "mid.mp3"
    path.write_bytes(b"ID3\x03\x00\x00" + synchsafe(len(frames)) + frames
                     + (tmp / "sound.mp3").read_bytes())
    return path


def avif(tmp: Path) -> Path:
    """An AVIF whose XMP item (iinf: mime application/rdf+xml) lies, as its iloc says, in an
    mdat box between two 5 MiB free boxes after the image."""
    data = bytearray(still("AVIF", xmp=PACKET))
    old = data.find(PACKET)
    new = len(data) + 8 + PAD + 8
    iloc = data.find(b"iloc")
    at = data.find(struct.pack(">II", old, len(PACKET)), iloc)
    assert iloc > 0 and at > 0
    data[at:at + 4] = struct.pack(">I", new)
    data[old:old + len(PACKET)] = b" " * len(PACKET)  # the old place no longer holds it
    path = tmp / "mid.avif"
    path.write_bytes(bytes(data) + box(b"free", bytes(PAD)) + box(b"mdat", PACKET)
                     + box(b"free", bytes(PAD)))
    assert path.read_bytes().find(PACKET) == new
    return path


def rf64(tmp: Path) -> Path:
    """An RF64 WAV (the 64-bit form of WAV): the data chunk's size is in its ds64 chunk (the
    chunk itself says 0xFFFFFFFF), 5 MiB of sound, then _PMX and 5 MiB of JUNK."""
    body = wav(tmp).read_bytes()[12:]
    fmt = body[:8 + int.from_bytes(body[4:8], "little")]
    sound = body[len(fmt) + 8:len(fmt) + 8 + int.from_bytes(body[len(fmt) + 4:len(fmt) + 8],
                                                              "little")]
    rest = riff(b"_PMX", PACKET) + riff(b"JUNK", bytes(PAD))
    total = 4 + 8 + 28 + len(fmt) + 8 + len(sound) + len(rest)
    ds64 = riff(b"ds64", struct.pack("<QQQI", total, len(sound), len(sound) // 2, 0))
    path = tmp / "mid.rf64.wav"
    path.write_bytes(b"RF64\xff\xff\xff\xffWAVE" + ds64 + fmt + b"data\xff\xff\xff\xff" + sound
                     + rest)
    return path


def tiff(tmp: Path, where: str) -> Path:
    """A baseline RGB TIFF (a 6 MiB strip, the XMP, 5 MiB of noise, then the tags) whose XMP
    tag is in its second image (IFD1), a SubIFD or its Exif IFD rather than the first."""
    width, rows = 2048, 1024
    strip = width * rows * 3
    out = bytearray(b"II*\x00\x00\x00\x00\x00")
    pixels = len(out)
    out += noise(strip)
    xmp = len(out)
    out += PACKET + b"\x00" * (len(PACKET) & 1) + noise(PAD)
    bits = len(out)
    out += struct.pack("<4H", 8, 8, 8, 0)

    def ifd(tags: list[tuple[int, int, int, int]], following: int = 0) -> int:
        at = len(out)
        out.extend(struct.pack("<H", len(tags)))
        for tag, kind, count, value in sorted(tags):
            out.extend(struct.pack("<HHI", tag, kind, count) + (
                struct.pack("<HH", value, 0) if kind == 3 and count == 1
                else struct.pack("<I", value)))
        out.extend(struct.pack("<I", following))
        return at

    image = [(256, 4, 1, width), (257, 4, 1, rows), (258, 3, 3, bits), (259, 3, 1, 1),
             (262, 3, 1, 2), (273, 4, 1, pixels), (277, 3, 1, 3), (278, 4, 1, rows),
             (279, 4, 1, strip)]
    tag = (700, 1, len(PACKET), xmp)
    if where == "IFD1":
        first = ifd(image, ifd([*image, tag]))
    elif where == "SubIFD":
        first = ifd([*image, (330, 4, 1, ifd([*image, tag]))])
    elif where == "second tag":  # a first XMP tag of four zero bytes, then the packet's
        first = ifd([*image, (700, 1, 4, 0), tag])
    else:  # the Exif IFD
        first = ifd([*image, (34665, 4, 1, ifd([tag, (36864, 7, 4, 0x30333230)]))])
    out[4:8] = struct.pack("<I", first)
    path = tmp / f"mid-{where.replace(' ', '-')}.tif"
    path.write_bytes(bytes(out))
    return path


def split_moov(movie: bytes) -> tuple[bytes, bytes, bytes]:
    at = 0
    while movie[at + 4:at + 8] != b"moov":
        at += int.from_bytes(movie[at:at + 4], "big")
    size = int.from_bytes(movie[at:at + 4], "big")
    return movie[:at], movie[at + 8:at + size], movie[at + size:]


def mp4_track(tmp: Path) -> Path:
    """A real MP4 whose video track's udta holds the XMP_ atom after a 5 MiB free atom."""
    before, moov, after = split_moov(video(tmp / "plain.mp4").read_bytes())
    children, at = b"", 0
    while at < len(moov):
        size, kind = int.from_bytes(moov[at:at + 4], "big"), moov[at + 4:at + 8]
        if kind == b"trak":
            children += box(b"trak", moov[at + 8:at + size] + box(b"free", bytes(PAD))
                            + box(b"udta", box(b"XMP_", PACKET)))
        else:
            children += moov[at:at + size]
        at += size
    path = tmp / "track.mp4"
    path.write_bytes(before + box(b"moov", children) + after + box(b"free", bytes(PAD)))
    return path


def mov_64bit(tmp: Path) -> Path:
    """A QuickTime movie whose moov atom has a 64-bit size, its udta/XMP_ after 5 MiB."""
    before, moov, after = split_moov(video(tmp / "plain.mov").read_bytes())
    body = moov + box(b"free", bytes(PAD)) + box(b"udta", box(b"XMP_", PACKET))
    path = tmp / "wide.mov"
    path.write_bytes(before + struct.pack(">I", 1) + b"moov" + struct.pack(">Q", 16 + len(body))
                     + body + after + box(b"free", bytes(PAD)))
    return path


def webp(tmp: Path) -> Path:
    """A lossless WebP (6 MB of image), its XMP chunk, then a 5 MiB chunk WebP readers skip."""
    data = still("WEBP", (1450, 1450), lossless=True, xmp=PACKET)
    body = data[12:] + riff(b"ZZZZ", bytes(PAD))
    path = tmp / "mid.webp"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body)
    return path


def jxl(tmp: Path) -> Path:
    """A JPEG XL container: signature, ftyp, a codestream box, 5 MiB free, the ``xml `` (XMP)
    box, 5 MiB free."""
    path = tmp / "mid.jxl"
    path.write_bytes(box(b"JXL ", b"\r\n\x87\n") + box(b"ftyp", b"jxl \x00\x00\x00\x00jxl ")
                     + box(b"jxlc", b"\xff\x0a" + noise(64)) + box(b"free", bytes(PAD))
                     + box(b"xml ", PACKET) + box(b"free", bytes(PAD)))
    return path


def tiff_order(tmp: Path, big: bool, order: str) -> Path:
    """A BigTIFF or big-endian TIFF (a 6 MiB strip, the XMP, 5 MiB, its first image's tags)."""
    mark = b"II" if order == "<" else b"MM"
    width, rows = 2048, 1024
    strip = width * rows * 3
    out = bytearray(mark + (struct.pack(order + "HHHQ", 43, 8, 0, 0) if big
                            else struct.pack(order + "HI", 42, 0)))
    pixels = len(out)
    out += noise(strip)
    xmp = len(out)
    out += PACKET + b"\x00" * (len(PACKET) & 1) + noise(PAD)
    bits = len(out)
    out += struct.pack(order + "4H", 8, 8, 8, 0)
    tags = [(256, 4, 1, width), (257, 4, 1, rows), (258, 3, 3, bits), (259, 3, 1, 1),
            (262, 3, 1, 2), (273, 4, 1, pixels), (277, 3, 1, 3), (278, 4, 1, rows),
            (279, 4, 1, strip), (700, 1, len(PACKET), xmp)]
    first = len(out)
    out += struct.pack(order + ("Q" if big else "H"), len(tags))
    for tag, kind, count, value in tags:
        if big:
            value_bytes = (struct.pack(order + "3H2x", 8, 8, 8) if tag == 258  # inline
                           else struct.pack(order + "H6x", value) if kind == 3 and count == 1
                           else struct.pack(order + "I4x", value) if count == 1
                           else struct.pack(order + "Q", value))
            out += struct.pack(order + "HHQ", tag, kind, count) + value_bytes
        else:
            out += struct.pack(order + "HHI", tag, kind, count) + (
                struct.pack(order + "HH", value, 0) if kind == 3 and count == 1
                else struct.pack(order + "I", value))
    out += struct.pack(order + ("Q" if big else "I"), 0)
    if big:
        out[8:16] = struct.pack(order + "Q", first)
    else:
        out[4:8] = struct.pack(order + "I", first)
    path = tmp / f"mid-{'big' if big else 'classic'}{(order == '>' and '-be') or ''}.tif"
    path.write_bytes(bytes(out))
    return path


def exif() -> bytes:
    """Exif (a little-endian TIFF structure) whose first image holds the XMP tag."""
    return (b"II*\x00" + struct.pack("<IH", 8, 1)
            + struct.pack("<HHII", 700, 1, len(PACKET), 8 + 2 + 12 + 4) + struct.pack("<I", 0)
            + PACKET)


def jpeg_exif(tmp: Path) -> Path:
    """A JPEG whose Exif APP1 segment, holding the XMP tag, lies between 5 MiB of comments."""
    data = still("JPEG")
    path = tmp / "exif.jpg"
    path.write_bytes(data[:2] + comments(PAD) + segment(b"\xff\xe1", b"Exif\x00\x00" + exif())
                     + comments(PAD) + data[2:])
    return path


def png_exif(tmp: Path) -> Path:
    """A PNG whose eXIf chunk, holding the XMP tag, lies between two 5 MiB private chunks."""
    data = still("PNG")
    path = tmp / "exif.png"
    path.write_bytes(data[:33] + chunk(b"prVt", bytes(PAD)) + chunk(b"eXIf", exif())
                     + chunk(b"prVt", bytes(PAD)) + data[33:])
    return path


def webp_exif(tmp: Path) -> Path:
    """A lossless WebP (6 MB of image), its EXIF chunk holding the XMP tag, then 5 MiB."""
    data = still("WEBP", (1450, 1450), lossless=True, exif=exif())
    body = data[12:] + riff(b"ZZZZ", bytes(PAD))
    path = tmp / "exif.webp"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body)
    return path


#: places the first walker missed (each a hole it left), then forms it read that must hold
BUILDERS = {
    "JPEG extended XMP": jpeg_extended, "GIF XMP extension": gif,
    "Photoshop resource 1060": psd, "MP3 ID3v2 PRIV after a large picture": mp3,
    "AVIF XMP item (iinf/iloc)": avif, "RF64 _PMX": rf64, "WAV id3 chunk": wav_id3,
    "AIFF ID3 chunk": aiff, "JPEG Exif APP1 XMP tag": jpeg_exif, "PNG eXIf XMP tag": png_exif,
    "WebP EXIF XMP tag": webp_exif,
    "TIFF IFD1": lambda tmp: tiff(tmp, "IFD1"), "TIFF SubIFD": lambda tmp: tiff(tmp, "SubIFD"),
    "TIFF Exif IFD": lambda tmp: tiff(tmp, "Exif"), "MP4 trak/udta/XMP_": mp4_track,
    "QuickTime 64-bit moov": mov_64bit, "WebP XMP chunk": webp, "JPEG XL xml box": jxl,
    "TIFF second of two XMP tags": lambda tmp: tiff(tmp, "second tag"),
    "BigTIFF": lambda tmp: tiff_order(tmp, True, "<"),
    "big-endian BigTIFF": lambda tmp: tiff_order(tmp, True, ">"),
    "big-endian TIFF": lambda tmp: tiff_order(tmp, False, ">"),
}


def opens(path: Path) -> None:
    """The file is media its own readers open: Pillow decodes a still, ffmpeg a sound or a
    movie."""
    if path.suffix in (".jpg", ".gif", ".psd", ".avif", ".tif", ".webp"):
        from PIL import Image
        with Image.open(path) as image:
            image.load()
    else:
        import imageio_ffmpeg
        result = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i",
                                 str(path), "-f", "null", "-"], capture_output=True)
        assert result.returncode == 0, result.stderr


def check_final(cli, tmp: Path, media: Path):  # type: ignore[no-untyped-def]
    (tmp / "aigate.yaml").write_text("show: TEST\n")
    cut = write(tmp / "cut.otio", timeline([clip("SH001", 2, url=media.name)]))
    run = cli("check", cut, "--stage", "final", "--format", "json")
    [item] = run.json["subjects"][0]["items"]
    return run, item


@pytest.mark.parametrize("place", BUILDERS)
def test_xmp_where_any_xmp_reader_finds_it_in_the_middle_of_a_large_file_is_read(
        cli, tmp_path, place):
    media = BUILDERS[place](tmp_path)
    # Pillow reads BigTIFF little-endian only; nothing here decodes JPEG XL (its codestream
    # is a stand-in: the container is what is walked)
    if place not in ("big-endian BigTIFF", "JPEG XL xml box"):
        opens(media)
    data = media.read_bytes()
    start = data.find(b"<x:xmpmeta", 300)  # past the standard packet of extended XMP
    assert 4 * 1024 * 1024 < start < len(data) - 4 * 1024 * 1024  # away from both ends
    assert exiftool_source_type(media) == TRAINED  # the reference reader finds it there
    run, item = check_final(cli, tmp_path, media)
    assert item["ai"] is True
    assert item["evidence"] == ["xmp embedded (claimed): embedded XMP"]
    assert run.code != 0  # undeclared generated media in a final cut


# --- XMP stored deflated, as hex or in UTF-16: not found by its bytes at any size -----------

def png_text(kind: bytes, keyword: bytes, body: bytes) -> bytes:
    data = still("PNG")
    return data[:33] + chunk(kind, keyword + b"\x00" + body) + data[33:]


def hex_profile(packet: bytes) -> bytes:
    """ImageMagick's text profile: a name, the length, the bytes in hex lines."""
    digits = packet.hex()
    lines = "\n".join(digits[at:at + 72] for at in range(0, len(digits), 72))
    return f"\nxmp\n{len(packet):8d}\n{lines}\n".encode()


def utf16_jpeg() -> bytes:
    packet = ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>' + PACKET.decode()
              + '<?xpacket end="w"?>').encode("utf-16-be")
    data = still("JPEG")
    return data[:2] + segment(b"\xff\xe1", b"http://ns.adobe.com/xap/1.0/\x00" + packet) + data[2:]


ENCODED = {
    "PNG iTXt, compressed": (".png", lambda: png_text(
        b"iTXt", b"XML:com.adobe.xmp", b"\x01\x00\x00\x00" + zlib.compress(PACKET))),
    "PNG zTXt": (".png", lambda: png_text(b"zTXt", b"XML:com.adobe.xmp",
                                          b"\x00" + zlib.compress(PACKET))),
    "PNG zTXt ImageMagick hex profile": (".png", lambda: png_text(
        b"zTXt", b"Raw profile type xmp", b"\x00" + zlib.compress(hex_profile(PACKET)))),
    "PNG tEXt ImageMagick hex profile": (".png", lambda: png_text(
        b"tEXt", b"Raw profile type xmp", hex_profile(PACKET))),
    "JPEG APP1 in UTF-16": (".jpg", utf16_jpeg),
}


@pytest.mark.parametrize("form", ENCODED)
def test_xmp_stored_deflated_as_hex_or_in_utf16_is_read_at_any_size(cli, tmp_path, form):
    suffix, build = ENCODED[form]
    media = tmp_path / f"small{suffix}"
    media.write_bytes(build())
    assert b"<x:xmpmeta" not in media.read_bytes()  # not found by its UTF-8 bytes
    assert exiftool_source_type(media) == TRAINED
    run, item = check_final(cli, tmp_path, media)
    assert item["ai"] is True
    assert run.code != 0


def test_a_utf16_packet_is_found_by_content_in_a_container_not_walked(tmp_path):
    media = tmp_path / "clip.bin"
    media.write_bytes(noise(1000) + b"\xfe\xff" + PACKET.decode().encode("utf-16-be")
                      + noise(1000))
    claim = _read_embedded(media)
    assert claim is not None and claim.generated


def test_a_root_under_any_prefix_is_read_where_the_container_keeps_xmp(tmp_path):
    """The container says it is XMP: its root may use any prefix (ExifTool reads
    namespaces, not prefixes), so the packet is read whole, not only found by name."""
    packet = (PACKET.decode().replace("x:xmpmeta", "meta:xmpmeta")
              .replace("xmlns:x=", "xmlns:meta=").replace("rdf:", "r:")
              .replace("xmlns:rdf=", "xmlns:r=")).encode()
    data = still("JPEG")
    media = tmp_path / "prefixed.jpg"
    media.write_bytes(data[:2] + segment(b"\xff\xe1", b"http://ns.adobe.com/xap/1.0/\x00"
                                         + packet) + data[2:])
    assert exiftool_source_type(media) == TRAINED
    claim = _read_embedded(media)
    assert claim is not None and claim.generated


# --- where the gate cannot look: a problem, never "no XMP" ------------------------------------

def test_a_walk_stopped_by_a_flood_of_empty_parts_is_a_problem_at_final(cli, tmp_path):
    """100 001 empty JPEG segments (under 400 kB) stop the walk; the APP1 XMP past 5 MiB of
    comments is then out of its reach. ExifTool walks on and reads it: the gate says it
    could not look."""
    from aigate.api import parts as walk
    data = still("JPEG")
    app1 = segment(b"\xff\xe1", b"http://ns.adobe.com/xap/1.0/\x00" + PACKET)
    media = tmp_path / "flood.jpg"
    media.write_bytes(data[:2] + b"\xff\xfe\x00\x02" * 100_001 + comments(PAD) + app1
                      + comments(PAD) + data[2:])
    assert exiftool_source_type(media) == TRAINED
    with media.open("rb") as handle:
        assert list(walk(handle))[-1].kind == b""  # the walk says where it stopped
    run, item = check_final(cli, tmp_path, media)
    assert run.code != 0 and item["verdict"] == "lock"
    [finding] = item["findings"]
    assert finding["rule"] == "provenance-malformed"
    assert "jpeg container could not be walked past byte 400002" in finding["message"]


def test_brotli_compressed_xmp_in_jpeg_xl_is_a_problem(tmp_path):
    """JPEG XL may keep its XMP Brotli-compressed (a ``brob`` box): not read here, so a
    problem rather than "no XMP"."""
    media = tmp_path / "compressed.jxl"
    media.write_bytes(box(b"JXL ", b"\r\n\x87\n") + box(b"ftyp", b"jxl \x00\x00\x00\x00jxl ")
                      + box(b"brob", b"xml " + noise(200)) + box(b"jxlc", b"\xff\x0a" + noise(64)))
    claim = _read_embedded(media)
    assert claim is not None and claim.problems
    assert "Brotli-compressed" in claim.problems[0]


def test_an_older_readers_cached_answer_is_not_reused(cli, tmp_path, monkeypatch):
    """A file the reader before this one cached as saying nothing (its XMP in a place it
    did not read) is read again: the cache key names the reader."""
    media = gif(tmp_path)
    (tmp_path / "aigate.yaml").write_text("show: TEST\ncache: cache.sqlite\n")
    cut = write(tmp_path / "cut.otio", timeline([clip("SH001", 2, url=media.name)]))
    with monkeypatch.context() as old:  # the older reader: its key, and no XMP found
        old.setattr(aigate_xmp, "EMBEDDED", "xmp-embedded/2")
        old.setattr(aigate_xmp, "_read_embedded", lambda path: None)
        run = cli("check", cut, "--stage", "final", "--format", "json")
        assert run.json["subjects"][0]["items"][0]["ai"] is False
    assert (tmp_path / "cache.sqlite").exists()
    run = cli("check", cut, "--stage", "final", "--format", "json")
    assert run.json["subjects"][0]["items"][0]["ai"] is True


def test_a_walk_stopped_inside_the_ends_searched_is_no_problem(tmp_path):
    """An unsynchronised ID3v2.3 tag (its frame sizes do not count the stuffed bytes) stops
    the walk, but all of it lies in the first 4 MiB, searched by content: its XMP is read
    and nothing is left unsearched."""
    private = b"XMP\x00" + PACKET
    frame = b"PRIV" + struct.pack(">I", len(private)) + b"\x00\x00" + private
    media = tmp_path / "unsynchronised.mp3"
    media.write_bytes(b"ID3\x03\x00\x80" + synchsafe(len(frame)) + frame + noise(4096))
    claim = _read_embedded(media)
    assert claim is not None and claim.generated and not claim.problems
