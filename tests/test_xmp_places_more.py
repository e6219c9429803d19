"""More attacks on reading XMP where the container keeps it: formats the gate does not
walk (PDF, whose XMP ExifTool finds through its object table), SVG read whole, other XML
where XML is kept, inflation bombs and files made of XMP places, a HEIF item in pieces, a
remote manifest named in compressed XMP, walks stopped inside a movie atom or by a WAV's
unwritten data size. Each attack file is read by ExifTool first where it is about what the
reference reader finds."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from test_xmp_places import PACKET, PAD, box, chunk, exiftool_source_type, riff
from test_xmp_places import pytestmark as needs_exiftool
from test_xmp_places_attacks import check_final, png_text, split_moov, still

import aigate_xmp
from aigate_xmp import _read_embedded
from mediakit import TRAINED, video

pytestmark = needs_exiftool


def pdf(tmp: Path, padding: int) -> Path:
    """A PDF whose catalog's /Metadata stream (the XMP) lies between two padding streams."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R >>",
               b"<< /Type /Pages /Kids [] /Count 0 >>",
               b"<< /Length %d >>\nstream\n" % padding + b" " * padding + b"\nendstream",
               b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(PACKET)
               + PACKET + b"\nendstream",
               b"<< /Length %d >>\nstream\n" % padding + b" " * padding + b"\nendstream"]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    table = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, table)
    path = tmp / f"doc-{padding}.pdf"
    path.write_bytes(bytes(out))
    return path


def test_a_format_not_walked_is_searched_at_its_ends_and_past_them_is_a_problem(tmp_path):
    """ExifTool finds a PDF's XMP through its object table, anywhere; the gate does not walk
    PDF (nor PostScript, InDesign, DjVu, Flash): a small one is searched whole, a large one
    is a problem naming the format rather than "no XMP"."""
    large = pdf(tmp_path, PAD)
    assert exiftool_source_type(large) == TRAINED
    claim = _read_embedded(large)
    assert claim is not None and claim.problems == (
        "embedded XMP: a PDF file is searched for XMP at its ends only: XMP between them not "
        "read",)
    small = pdf(tmp_path, 1000)
    claim = _read_embedded(small)
    assert claim is not None and claim.generated and not claim.problems


def test_other_xml_where_xml_is_kept_is_no_problem(tmp_path):
    """A JPEG 2000 ``xml `` box may hold XML that is not XMP (GML, for one): read whole, it
    is neither XMP nor a problem."""
    from test_xmp_places import jp2_uuid
    data = jp2_uuid(tmp_path).read_bytes().replace(PACKET, b" " * len(PACKET))
    media = tmp_path / "gml.jp2"
    media.write_bytes(data + box(b"xml ", b'<gml:FeatureCollection xmlns:gml="http://www.'
                                         b'opengis.net/gml"/>'))
    assert _read_embedded(media) is None


def test_a_walk_stopped_inside_a_movie_atom_is_a_problem(tmp_path):
    """The same flood inside moov (100 001 empty free atoms, then 5 MiB, then udta/XMP_):
    the walk of moov says where it stopped, and past the ends that is a problem."""
    before, moov, after = split_moov(video(tmp_path / "plain.mov").read_bytes())
    body = (moov + box(b"free", b"") * 100_001 + box(b"free", bytes(PAD))
            + box(b"udta", box(b"XMP_", PACKET)))
    media = tmp_path / "flood.mov"
    media.write_bytes(before + box(b"moov", body) + after + box(b"free", bytes(PAD)))
    assert exiftool_source_type(media) == TRAINED
    claim = _read_embedded(media)
    assert claim is not None and claim.problems
    assert "bmff container could not be walked past byte" in claim.problems[0]


def test_xmp_that_inflates_past_the_limit_or_places_past_the_total_are_a_problem(tmp_path):
    """A 17 kB compressed text chunk that inflates to 17 MiB, and a PNG of 80 XMP text
    chunks of 1 MiB each (over 64 MiB of XMP in all): each stops with a problem rather than
    reading on."""
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_text(b"iTXt", b"XML:com.adobe.xmp", b"\x01\x00\x00\x00"
                              + zlib.compress(b" " * (aigate_xmp.MAX_PLACED + 1))))
    claim = _read_embedded(bomb)
    assert claim is not None
    assert claim.problems == (f"embedded XMP: the XMP at byte 63 is over "
                              f"{aigate_xmp.MAX_PLACED} bytes once inflated: not read",)
    data = still("PNG")
    many = tmp_path / "many.png"
    many.write_bytes(data[:33] + chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00"
                                       + b" " * (1 << 20)) * 80 + data[33:])
    claim = _read_embedded(many)
    assert claim is not None and claim.problems
    assert "bytes of XMP read: not read" in claim.problems[0]


def test_a_heif_xmp_item_in_two_extents_is_read_in_order(tmp_path):
    """A HEIF whose XMP item lies in two extents of its mdat, the second half first, past
    5 MiB: put together as iloc lists them."""
    def full(kind: bytes, version: int, data: bytes) -> bytes:
        return box(kind, bytes([version, 0, 0, 0]) + data)

    def meta(extents: list[tuple[int, int]]) -> bytes:
        item = full(b"infe", 2, struct.pack(">HH", 1, 0) + b"mime\x00application/rdf+xml\x00")
        iloc = (bytes([0x44, 0x00]) + struct.pack(">HHHHH", 1, 1, 0, 0, len(extents))
                + b"".join(struct.pack(">II", *extent) for extent in extents))
        return full(b"meta", 0, full(b"hdlr", 0, bytes(4) + b"pict" + bytes(13))
                    + full(b"iinf", 0, struct.pack(">H", 1) + item) + full(b"iloc", 1, iloc))

    head = box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic")
    start = len(head) + len(meta([(0, 0)] * 2)) + 8 + PAD + 8
    half = len(PACKET) // 2
    first, second = PACKET[:half], PACKET[half:]
    extents = [(start + len(second) + 100, len(first)), (start, len(second))]
    media = tmp_path / "pieces.heic"
    media.write_bytes(head + meta(extents) + box(b"free", bytes(PAD))
                      + box(b"mdat", second + bytes(100) + first) + box(b"free", bytes(PAD)))
    assert exiftool_source_type(media) == TRAINED
    claim = _read_embedded(media)
    assert claim is not None and claim.generated


def test_a_remote_manifest_named_in_compressed_xmp_is_seen(cli, tmp_path):
    """The remote manifest reference is read from the same places, decoded: a PNG's
    compressed XMP text chunk naming one is not "no credentials"."""
    from test_xmp_places import REMOTE, remote_seen
    media = tmp_path / "remote.png"
    media.write_bytes(png_text(b"iTXt", b"XML:com.adobe.xmp",
                               b"\x01\x00\x00\x00" + zlib.compress(REMOTE)))
    assert remote_seen(cli, tmp_path, media)


def test_svg_metadata_anywhere_in_a_large_svg_is_read(cli, tmp_path):
    """An SVG keeps its XMP in <metadata>, anywhere in the text (ExifTool parses the whole):
    between two 5 MiB comments it is read, the file being read whole (up to 16 MiB)."""
    text = PACKET.decode()
    rdf = text[text.index("<rdf:RDF"):text.index("</x:xmpmeta>")]
    padding = "<!-- " + "x" * PAD + " -->"
    media = tmp_path / "mid.svg"
    media.write_text(f'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
                     f'width="10" height="10">{padding}<metadata>{rdf}</metadata>{padding}'
                     '<rect width="10" height="10"/></svg>')
    assert exiftool_source_type(media) == TRAINED
    run, item = check_final(cli, tmp_path, media)
    assert item["ai"] is True and run.code != 0


def test_a_wav_whose_data_size_was_never_written_is_a_problem_past_its_silence(tmp_path):
    """A WAV written to a pipe may leave its data chunk's size 0: its silence then reads as
    empty chunks, 8 bytes each. ExifTool walks all 115 000 of them, a 5 MiB chunk and finds
    the _PMX; the walk stops at 100 000 and says so: a problem, never "no XMP"."""
    media = tmp_path / "streamed.wav"
    media.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00"
                      + struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
                      + b"data\x00\x00\x00\x00" + bytes(8 * 115_000) + riff(b"JUNK", bytes(PAD))
                      + riff(b"_PMX", PACKET) + riff(b"JUNK", bytes(PAD)))
    assert exiftool_source_type(media) == TRAINED
    claim = _read_embedded(media)
    assert claim is not None and claim.problems
    assert "riff container could not be walked past byte" in claim.problems[0]
