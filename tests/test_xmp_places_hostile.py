"""Hostile headers under the container walks that find XMP where a container keeps it:
random bytes under each header, self-pointing and huge tables, and real files of every kind
the attacks in test_xmp_places_attacks build, damaged. Every walk ends inside the file and
nothing raises (a place that cannot be read says so)."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import test_xmp_places
import test_xmp_places_attacks as attacks
from hypothesis import given, settings
from hypothesis import strategies as st
from test_xmp_places import box

from aigate.api import Unreadable, parts, read_xmp, xmp_places
from aigate_xmp import _read_embedded

# --- hostile headers: bounded, never an error ------------------------------------------------

#: headers of every container walked, for bytes of any kind after them
HEADS = [b"GIF89a\x01\x00\x01\x00\x80\x00\x00", b"GIF87a\x01\x00\x01\x00\x00\x00\x00\x21\xff\x0b",
         b"8BPS\x00\x01" + bytes(20), b"ID3\x03\x00\x00", b"ID3\x04\x00\x40", b"ID3\x02\x00\x80",
         b"RF64\xff\xff\xff\xffWAVEds64", b"\x00\x00\x00\x0cftypavif\x00\x00\x00\x00meta",
         b"\x00\x00\x00\x0cftypheic", b"II*\x00\x08\x00\x00\x00\x02\x00\x4a\x01\x04\x00",
         b"\xff\xd8\xff\xe1\x00\x30http://ns.adobe.com/xmp/extension/\x00",
         b"\x89PNG\r\n\x1a\n\x00\x00\x00\x20iTXtXML:com.adobe.xmp\x00\x01",
         b"FORM\x00\x00\x00\x00AIFFID3 \x00\x00\x00\x20ID3\x03\x00",
         b"RIFF\x00\x00\x00\x00WAVEid3 \x00\x00\x00\x20ID3\x04\x00\x80",
         b"<?xml version='1.0'?><svg ", b"%PDF-1.7\n",
         b"\xff\xd8", b"\xff\xd8\xff\xe1", b"\xff\xd8\xff\xe1\x00\x01", b"\x89PNG\r\n\x1a\n",
         b"\x00\x00\x00\x10ftypisom", b"\x00\x00\x00\x01moov", b"\x00\x00\x00\x01uuid",
         b"RIFF\x00\x00\x00\x00WAVE", b"II*\x00", b"MM\x00*", b"II+\x00\x08\x00\x00\x00",
         b"MM\x00+\x00\x08\x00\x00", b"II*\x00\x08\x00\x00\x00\x01\x00\xbc\x02"]


@settings(max_examples=400, deadline=None)
@given(head=st.sampled_from(HEADS), rest=st.binary(max_size=800))
def test_any_bytes_under_a_new_header_are_walked_and_read_without_error(head, rest):
    handle = io.BytesIO(head + rest)
    size = len(head + rest)
    for part in parts(handle):
        assert 0 <= part.start <= part.end <= size
    for place in xmp_places(handle):
        assert 0 <= place.start <= place.end <= size
        try:
            read_xmp(handle, place, 1 << 20)
        except Unreadable:
            pass


def test_self_pointing_and_huge_headers_stay_bounded():
    """A TIFF whose images point at each other and claim 2^32 tags, an iloc claiming 2^32
    items, an ID3 tag claiming 256 MiB: each walk ends, nothing raises."""
    loop = (b"II*\x00\x08\x00\x00\x00" + struct.pack("<H", 1)
            + struct.pack("<HHII", 330, 4, 1, 8) + struct.pack("<I", 8))
    huge = b"II+\x00\x08\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00" + b"\xff" * 8
    iloc = box(b"iloc", b"\x02\x00\x00\x00\x44\x40\xff\xff\xff\xff")
    iinf = box(b"iinf", b"\x00\x00\x00\x00\x00\x01" + box(
        b"infe", b"\x02\x00\x00\x00\x00\x01\x00\x00mime\x00application/rdf+xml\x00"))
    heif = box(b"ftyp", b"heic") + box(b"meta", b"\x00" * 4 + iinf + iloc)
    id3 = b"ID3\x03\x00\x00\x7f\x7f\x7f\x7f" + b"PRIV\x7f\xff\xff\xff\x00\x00XMP\x00"
    for data in (loop, huge, heif, id3):
        handle = io.BytesIO(data)
        assert len(list(parts(handle))) < 200_000
        for place in xmp_places(handle):
            assert place.end <= len(data)



_SEEDS: list[bytes] = []


def small_seeds(tmp: Path) -> list[bytes]:
    """Each attack file above, built small (a few kB of padding rather than 5 MiB)."""
    if not _SEEDS:
        saved = attacks.PAD
        attacks.PAD = test_xmp_places.PAD = 3000
        try:
            for name, build in attacks.BUILDERS.items():
                if "MP3" not in name:  # its sound is ffmpeg's, 6 MB
                    folder = tmp / str(len(_SEEDS))
                    folder.mkdir()
                    _SEEDS.append(build(folder).read_bytes()[:300_000])
            _SEEDS.extend(build() for _, build in attacks.ENCODED.values())
        finally:
            attacks.PAD = test_xmp_places.PAD = saved
    return _SEEDS


EDITS = st.lists(st.tuples(st.floats(0, 1), st.sampled_from(["byte", "word", "cut", "end"]),
                           st.integers(0, 255), st.sampled_from(
                               [b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x00\x00\x00\x01",
                                b"\x7f\xff\xff\xff", b"\x00\x00\x00\x08"])),
                 min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(pick=st.integers(0, 10_000), edits=EDITS)
def test_damaged_real_files_of_every_kind_are_walked_and_read_without_error(
        tmp_path_factory, pick, edits):
    """Real files of each kind above, damaged in a few places (a byte, a size field set to
    0, 1, 8 or the most, a cut): every walk stays inside the file and nothing raises."""
    seeds = small_seeds(tmp_path_factory.mktemp("seeds") if not _SEEDS else Path())
    data = bytearray(seeds[pick % len(seeds)])
    for where, edit, value, word in edits:
        if not data:
            break
        at = int(where * (len(data) - 1))
        if edit == "byte":
            data[at] = value
        elif edit == "word":
            data[at:at + 4] = word
        elif edit == "cut":
            del data[at:at + value + 1]
        else:
            del data[at:]
    handle = io.BytesIO(bytes(data))
    for part in parts(handle):
        assert 0 <= part.start <= part.end <= len(data)
    for place in xmp_places(handle):
        assert 0 <= place.start <= place.end <= len(data)
        try:
            read_xmp(handle, place, 1 << 20)
        except Unreadable:
            pass
    media = tmp_path_factory.mktemp("case") / "damaged"
    media.write_bytes(bytes(data))
    _read_embedded(media)
