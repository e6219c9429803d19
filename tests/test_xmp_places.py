"""XMP is read where the container keeps it, at any offset: a generated file whose XMP
packet sits in the middle of a large file (past the first 4 MiB and before the last) is
found as an XMP reader finds it. Each attack is a real file (Pillow, ffmpeg, the standard
library's wave), laid out as its format allows, and read by ExifTool, the reference XMP
reader, before the gate reads it."""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import wave
from pathlib import Path

import pytest

from aigate_xmp import MAX_PLACED, _read_embedded
from helpers import clip, timeline, write
from mediakit import TRAINED, video, xmp_packet

pytestmark = pytest.mark.skipif(shutil.which("exiftool") is None and not os.environ.get("CI"),
                                reason="needs ExifTool (Debian: libimage-exiftool-perl)")

PAD = 5 * 1024 * 1024  # more than the 4 MiB searched at either end
PACKET = xmp_packet(TRAINED).encode()
REMOTE = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
          b'02/22-rdf-syntax-ns#"><rdf:Description xmlns:dcterms="http://purl.org/dc/terms/" '
          b'dcterms:provenance="https://credentials.example.com/m/1"/></rdf:RDF>'
          b"</x:xmpmeta>")


def box(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", 8 + len(data)) + kind + data


def chunk(kind: bytes, data: bytes) -> bytes:
    """A PNG chunk, its CRC right (readers check it)."""
    import zlib
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))


def riff(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack("<I", len(data)) + data + b"\x00" * (len(data) & 1)


def noise(size: int) -> bytes:
    return os.urandom(size)


def mp4_uuid(tmp: Path, packet: bytes = PACKET) -> Path:
    """A real MP4 with a top-level XMP ``uuid`` box between two large free boxes."""
    movie = video(tmp / "plain.mp4").read_bytes()
    xmp = box(b"uuid", bytes.fromhex("be7acfcb97a942e89c71999491e3afac") + packet)
    path = tmp / "mid.mp4"
    path.write_bytes(movie + box(b"free", bytes(PAD)) + xmp + box(b"free", bytes(PAD)))
    return path


def jp2_uuid(tmp: Path) -> Path:
    """A real JPEG 2000 file with an XMP ``uuid`` box after its codestream, between two large
    free boxes."""
    from PIL import Image
    image = io.BytesIO()
    Image.new("RGB", (64, 36), (10, 20, 30)).save(image, "JPEG2000")
    xmp = box(b"uuid", bytes.fromhex("be7acfcb97a942e89c71999491e3afac") + PACKET)
    path = tmp / "mid.jp2"
    path.write_bytes(image.getvalue() + box(b"free", bytes(PAD)) + xmp
                     + box(b"free", bytes(PAD)))
    return path


def mov_udta(tmp: Path) -> Path:
    """A real QuickTime movie (its moov after its mdat, as ffmpeg writes it) whose
    moov/udta/XMP_ atom follows a large free atom inside moov, with a large free box after."""
    movie = video(tmp / "plain.mov").read_bytes()
    at = 0
    while movie[at + 4:at + 8] != b"moov":
        at += int.from_bytes(movie[at:at + 4], "big")
    size = int.from_bytes(movie[at:at + 4], "big")
    body = (movie[at + 8:at + size] + box(b"free", bytes(PAD))
            + box(b"udta", box(b"XMP_", PACKET)))
    path = tmp / "mid.mov"
    path.write_bytes(movie[:at] + box(b"moov", body) + movie[at + size:]
                     + box(b"free", bytes(PAD)))
    return path


def jpeg(tmp: Path) -> Path:
    """A real JPEG whose APP1 XMP segment sits between 5 MiB of comment segments either side."""
    from PIL import Image
    image = io.BytesIO()
    Image.new("RGB", (64, 36), (10, 20, 30)).save(image, "JPEG")
    data = image.getvalue()
    comment = b"\xff\xfe" + struct.pack(">H", 65535) + bytes(65533)
    padding = comment * (PAD // len(comment) + 1)
    app1 = b"http://ns.adobe.com/xap/1.0/\x00" + PACKET
    segment = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    path = tmp / "mid.jpg"
    path.write_bytes(data[:2] + padding + segment + padding + data[2:])
    return path


def png(tmp: Path) -> Path:
    """A real PNG: a large private ancillary chunk, the XMP text chunk, then 5 MiB of image."""
    from PIL import Image
    image = io.BytesIO()
    Image.frombytes("RGB", (1400, 1300), noise(1400 * 1300 * 3)).save(image, "PNG")
    data = image.getvalue()
    ihdr_end = 8 + 12 + 13
    itxt = chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + PACKET)
    path = tmp / "mid.png"
    path.write_bytes(data[:ihdr_end] + chunk(b"prVt", bytes(PAD)) + itxt + data[ihdr_end:])
    return path


def tiff(tmp: Path) -> Path:
    """A baseline RGB TIFF (little-endian) in two strips of 4.5 MiB with the XMP tag's value
    between them and the first image's tags at the end."""
    width, rows = 2048, 1536
    strip = width * (rows // 2) * 3
    pixels = noise(strip * 2)
    xmp_at = 8 + strip
    second = xmp_at + len(PACKET) + (len(PACKET) & 1)
    extra = second + strip  # BitsPerSample, StripOffsets, StripByteCounts values
    bits, offsets, counts = extra, extra + 6, extra + 14
    ifd = counts + 8
    tags = [(256, 4, 1, width), (257, 4, 1, rows), (258, 3, 3, bits), (259, 3, 1, 1),
            (262, 3, 1, 2), (273, 4, 2, offsets), (277, 3, 1, 3), (278, 4, 1, rows // 2),
            (279, 4, 2, counts), (284, 3, 1, 1), (700, 1, len(PACKET), xmp_at)]
    out = bytearray(b"II*\x00" + struct.pack("<I", ifd) + pixels[:strip] + PACKET
                    + b"\x00" * (len(PACKET) & 1) + pixels[strip:])
    out += struct.pack("<3H", 8, 8, 8) + struct.pack("<2I", 8, second)
    out += struct.pack("<2I", strip, strip)
    out += struct.pack("<H", len(tags))
    for tag, kind, count, value in tags:
        out += struct.pack("<HHI", tag, kind, count)
        out += struct.pack("<HH", value, 0) if kind == 3 and count == 1 else struct.pack(
            "<I", value)
    out += struct.pack("<I", 0)
    path = tmp / "mid.tif"
    path.write_bytes(bytes(out))
    return path


def wav(tmp: Path) -> Path:
    """A real WAV: 5 MiB of sound, the _PMX chunk, then a 5 MiB JUNK chunk."""
    sound = io.BytesIO()
    with wave.open(sound, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes(bytes(PAD))
    data = sound.getvalue()
    body = data[12:] + riff(b"_PMX", PACKET) + riff(b"JUNK", bytes(PAD))
    path = tmp / "mid.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body) + 4) + b"WAVE" + body)
    return path


BUILDERS = {"mp4 uuid box": mp4_uuid, "mov moov/udta/XMP_": mov_udta, "jp2 uuid box": jp2_uuid,
            "jpeg APP1": jpeg,
            "png iTXt": png, "tiff tag 700": tiff, "wav _PMX": wav}


def exiftool_source_type(path: Path) -> str | None:
    out = subprocess.run(["exiftool", "-j", "-XMP-iptcExt:DigitalSourceType", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)[0].get("DigitalSourceType")


def opens(path: Path) -> None:
    """The file is real media its own readers open (Pillow for stills, wave for sound,
    ffmpeg's probe for movies)."""
    suffix = path.suffix
    if suffix in (".jpg", ".png", ".tif", ".jp2"):
        from PIL import Image
        with Image.open(path) as image:
            image.load()
    elif suffix == ".wav":
        with wave.open(str(path)) as sound:
            assert sound.getnframes() > 0
    else:
        import imageio_ffmpeg
        result = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i",
                                 str(path), "-f", "null", "-"], capture_output=True)
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("place", BUILDERS)
def test_xmp_in_the_middle_of_a_large_file_is_read_where_the_container_keeps_it(
        cli, tmp_path, place):
    media = BUILDERS[place](tmp_path)
    opens(media)
    start = media.read_bytes().find(b"<x:xmpmeta")
    size = media.stat().st_size
    assert 4 * 1024 * 1024 < start < size - 4 * 1024 * 1024  # away from both ends
    assert exiftool_source_type(media) == TRAINED  # where the reference reader finds it
    (tmp_path / "aigate.yaml").write_text("show: TEST\n")
    cut = write(tmp_path / "cut.otio", timeline([clip("SH001", 2, url=media.name)]))
    run = cli("check", cut, "--stage", "final", "--format", "json")
    [item] = run.json["subjects"][0]["items"]
    assert item["ai"] is True
    assert item["evidence"] == ["xmp embedded (claimed): embedded XMP"]
    assert run.code != 0  # undeclared generated media in a final cut


def test_xmp_too_large_to_read_where_the_container_keeps_it_is_a_problem(tmp_path):
    media = tmp_path / "huge.mp4"
    movie = video(tmp_path / "plain.mp4").read_bytes()
    xmp = box(b"uuid", bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
              + b" " * (MAX_PLACED + 1) + PACKET)
    media.write_bytes(movie + box(b"free", bytes(PAD)) + xmp + box(b"free", bytes(PAD)))
    claim = _read_embedded(media)
    assert claim is not None and claim.problems
    assert f"over {MAX_PLACED} bytes: not read" in claim.problems[0]


def test_a_remote_manifest_named_in_xmp_in_the_middle_of_a_file_is_seen(cli, tmp_path):
    media = mp4_uuid(tmp_path, REMOTE)
    assert remote_seen(cli, tmp_path, media)


def remote_seen(cli, tmp_path: Path, media: Path) -> bool:
    """Whether a check of a cut playing ``media`` says it names a remote manifest."""
    (tmp_path / "aigate.yaml").write_text("show: TEST\n")
    cut = write(tmp_path / "cut.otio", timeline([clip("SH001", 2, url=media.name)]))
    run = cli("check", cut, "--format", "json")
    [item] = run.json["subjects"][0]["items"]
    return item["evidence"][0].startswith(
        "c2pa (unverifiable): remote manifest at credentials.example.com")
