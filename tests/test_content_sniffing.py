"""Provenance by content, not by suffix (issue 22, class 3): which reader looks at a media
file is decided by its bytes, as a player opens it. Real media signed by c2pa-python,
renamed to names that say nothing or lie."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigate.api import identify
from aigate.core.containers import identify_bytes
from aigate_c2pa import _sdk, read_claim
from aigate_c2pa.markers import JUMBF_C2PA
from aigate_xmp import MAX_PACKETS, _read_embedded
from helpers import clip, timeline, write
from mediakit import sign, signing_kit, sound, still, video, xmp_packet

#: names a renamed file may carry: other containers' suffixes, none, and plain lies
MISLEADING = (".qt", ".mxf", ".dat", "", ".txt", ".exr", ".r3d", ".MOV.bak", ".")


@pytest.fixture(scope="module")
def kit():
    return signing_kit()


@pytest.fixture(scope="module")
def signed(tmp_path_factory, kit) -> dict[str, Path]:
    """A signed GenAI file of each kind the SDK signs, under its true suffix."""
    root = tmp_path_factory.mktemp("signed")
    sources = {".mp4": video(root / "plain.mp4"), ".mov": video(root / "plain.mov"),
               ".wav": sound(root / "plain.wav")}
    for suffix in (".jpg", ".png", ".gif", ".webp", ".tif"):
        sources[suffix] = still(root / f"plain{suffix}")
    return {suffix: sign(source, root / f"gen{suffix}", kit)
            for suffix, source in sources.items()}


def cut(tmp_path: Path, *media: tuple[str, bytes]) -> Path:
    """A timeline with no aigate metadata; SH001... point at ``media`` (name, bytes)."""
    (tmp_path / "media").mkdir(exist_ok=True)
    clips = []
    for n, (name, data) in enumerate(media, 1):
        (tmp_path / "media" / name).write_bytes(data)
        clips.append(clip(f"SH{n:03d}", 2, url=f"media/{name}"))
    (tmp_path / "aigate.yaml").write_text("show: TEST\n")
    return write(tmp_path / "cut.otio", timeline(clips))


def items(run) -> dict[str, dict]:
    return {i["clip"]: i for s in run.json["subjects"] for i in s["items"]}


@pytest.mark.parametrize("suffix", MISLEADING)
def test_a_signed_ai_movie_renamed_is_still_found_and_locks_at_final(cli, tmp_path, signed,
                                                                       suffix):
    path = cut(tmp_path, (f"gen{suffix}", signed[".mp4"].read_bytes()))
    run = cli("check", path, "--stage", "final", "--format", "json")
    sh = items(run)["SH001"]
    assert run.code == 1 and sh["ai"] is True and sh["verdict"] == "lock"
    assert sh["evidence"] == ["c2pa (valid): Valid (signingCredential.untrusted)"]
    assert "GenTool 3.1" in str(sh["findings"])


@pytest.mark.parametrize("kind", [".mov", ".wav", ".jpg", ".png", ".gif", ".webp", ".tif"])
def test_every_signed_kind_is_read_by_its_bytes_under_a_lying_name(cli, tmp_path, signed,
                                                                     kind):
    # each kind under another kind's suffix, and under none
    path = cut(tmp_path, ("a.mxf", signed[kind].read_bytes()),
               ("b.mp4" if kind != ".mp4" else "b.jpg", signed[kind].read_bytes()),
               ("c", signed[kind].read_bytes()))
    run = cli("check", path, "--stage", "final", "--format", "json")
    assert run.code == 1
    for sh in items(run).values():
        assert sh["ai"] is True and sh["evidence"][0].startswith("c2pa (valid)"), sh


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.just(""), st.text(alphabet="abcdefghijklmnopqrstuvwxyzMOVQT0123456789._-",
                                      min_size=1, max_size=8).map(lambda s: "." + s)),
       st.sampled_from([".mp4", ".mov", ".wav", ".jpg", ".png", ".gif", ".webp", ".tif"]))
def test_any_suffix_reads_the_same_credentials(tmp_path, signed, suffix, kind):
    renamed = tmp_path / f"renamed{suffix}"
    shutil.copyfile(signed[kind], renamed)
    claim = read_claim(_sdk(), renamed, None)
    assert claim is not None and claim.generated and claim.validation == "Valid", claim
    assert claim == read_claim(_sdk(), signed[kind], None)  # the name changes nothing


def test_a_container_nobody_identifies_is_unverifiable_and_locks_at_final(cli, tmp_path,
                                                                         signed):
    import os

    path = cut(tmp_path, ("SH.mov", os.urandom(4096)), ("OK.mov", b""),
               ("plain.mp4", video(tmp_path / "src" / "plain.mp4").read_bytes()))
    for stage, code, severity in (("edit", 0, "warn"), ("final", 1, "lock")):
        run = cli("check", path, "--stage", stage, "--format", "json")
        assert run.code == code
        got = items(run)
        for name in ("SH001", "SH002"):  # random bytes; an empty file
            assert got[name]["evidence"][0].startswith(
                "c2pa (unverifiable): container not identified"), got[name]
            finding = got[name]["findings"][0]
            assert (finding["rule"], finding["severity"]) == ("manifest-unverifiable",
                                                              severity)
        assert got["SH003"]["verdict"] == "pass"  # an identified movie with nothing in it


def test_a_known_container_no_c2pa_reader_handles(tmp_path):
    mxf = b"\x06\x0e\x2b\x34\x02\x05\x01\x01\x0d\x01\x02\x01\x01\x02\x04\x00" + bytes(512)
    (tmp_path / "plate.mov").write_bytes(mxf)
    assert identify(tmp_path / "plate.mov").kind == "MXF"
    assert read_claim(_sdk(), tmp_path / "plate.mov", None) is None  # no credentials: none
    # a C2PA manifest store inside one cannot be checked: unverifiable, never "none"
    (tmp_path / "signed.mov").write_bytes(mxf + b"\x00\x00\x00\x20" + JUMBF_C2PA + bytes(64))
    claim = read_claim(_sdk(), tmp_path / "signed.mov", None)
    assert claim is not None and claim.validation == "Unverifiable"
    assert "MXF" in claim.detail


def test_without_the_sdk_a_renamed_signed_file_is_still_unverifiable(tmp_path, signed):
    renamed = tmp_path / "gen.dat"
    shutil.copyfile(signed[".jpg"], renamed)
    claim = read_claim(None, renamed, None)
    assert claim is not None and claim.validation == "Unverifiable"


@pytest.mark.parametrize("head,kind,mime", [
    (b"\x00\x00\x00\x18ftypmp42", "ISO BMFF (brand mp42)", "video/mp4"),
    (b"\x00\x00\x00\x18ftypqt  ", "ISO BMFF (brand qt)", "video/quicktime"),
    (b"\x00\x00\x00\x18ftypheic", "ISO BMFF (brand heic)", "image/heic"),
    (b"\x00\x00\x00\x18ftypavif", "ISO BMFF (brand avif)", "image/avif"),
    (b"\x00\x00\x00\x18ftypM4A ", "ISO BMFF (brand M4A)", "audio/mp4"),
    (b"\x00\x00\x00\x18ftypcrx ", "ISO BMFF (Canon CR3)", "video/mp4"),
    (b"\x00\x00\x00\x08wide\x00\x00\x10\x00mdat", "QuickTime (wide first)", "video/quicktime"),
    (b"RIFF\x00\x01\x00\x00WAVEfmt ", "RIFF WAVE", "audio/wav"),
    (b"RIFF\x00\x01\x00\x00AVI LIST", "RIFF AVI", "video/avi"),
    (b"RIFF\x00\x01\x00\x00WEBPVP8 ", "RIFF WebP", "image/webp"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG", "image/png"),
    (b"II*\x00\x08\x00\x00\x00", "TIFF", "image/tiff"),
    (b"MM\x00*\x00\x00\x00\x08", "TIFF", "image/tiff"),
    (b"GIF89a\x01\x00\x01\x00", "GIF", "image/gif"),
    (b"ID3\x04\x00\x00\x00\x00\x00\x00", "MP3", "audio/mpeg"),
    (b"\xff\xfb\x90\x64\x00\x00\x00\x00", "MP3", "audio/mpeg"),  # frame sync, no tag
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "PDF", "application/pdf"),
    (b'<?xml version="1.0"?>\n<!-- made -->\n<svg xmlns="http://www.w3.org/2000/svg">',
     "SVG", "image/svg+xml"),
    (b"fLaC\x00\x00\x00\x22", "FLAC", "audio/flac"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL", "image/jxl"),
    (b"\x00\x00\x00\x20jumb\x00\x00\x00\x18jumd", "C2PA manifest store", "application/c2pa"),
    (b"\x76\x2f\x31\x01\x02\x00\x00\x00", "OpenEXR", None),
    (b"SDPX\x00\x00\x20\x00", "DPX", None),
    (b"\x1a\x45\xdf\xa3\x01\x00\x00\x00", "Matroska/WebM", None),
    (b"\xff\xf1\x50\x80\x00\x1f\xfc", "AAC (ADTS)", None),  # not MP3: no C2PA reader
    (b"BM\x36\x00\x00\x00\x00\x00", "BMP", None),
    (b"P6\n64 36\n255\n", "Netpbm image", None),
    (b"RIFF\x00\x01\x00\x00XXXXdata", None, None),  # a RIFF form nobody reads
    (b"hello, this is text", None, None),
    (b"", None, None),
])
def test_containers_are_identified_by_their_bytes(head, kind, mime):
    container = identify_bytes(head)
    assert (container.kind, container.c2pa_mime) == (kind, mime)


def test_embedded_xmp_is_found_by_content_under_any_name(cli, tmp_path):
    plain = still(tmp_path / "src" / "still.jpg").read_bytes()
    packet = b"http://ns.adobe.com/xap/1.0/\x00" + xmp_packet(
        "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia").encode()
    segment = b"\xff\xe1" + (len(packet) + 2).to_bytes(2, "big") + packet
    path = cut(tmp_path, ("frame.dat", plain[:2] + segment + plain[2:]))
    sh = items(cli("check", path, "--format", "json"))["SH001"]
    assert sh["ai"] is True and sh["evidence"] == ["xmp embedded (claimed): embedded XMP"]


class Alarm(Exception):
    pass


def _within(seconds: int):
    """Fail the test (rather than hang) when the work does not finish: a guard against
    work that grows faster than the input, not a timing threshold."""
    def ring(*_: object) -> None:
        raise Alarm(f"did not finish within {seconds} s")
    signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)


def test_embedded_xmp_openings_that_never_close_are_read_in_linear_time(tmp_path):
    # half a million openings and no closing: a regex pairing them rescans the rest of
    # the file for each (hours); the packet finder reads it once
    media = tmp_path / "flood.jpg"
    media.write_bytes(b"\xff\xd8\xff" + b"<rdf:RDF " * 450_000)
    _within(120)
    try:
        claim = _read_embedded(media)
    finally:
        signal.alarm(0)
    assert claim is not None and "has no end (cut off or damaged)" in claim.problems[0]


def test_a_flood_of_decoy_xmp_packets_is_a_problem_not_a_partial_read(tmp_path):
    decoy = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'></x:xmpmeta>"
    real = xmp_packet("http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia")
    media = tmp_path / "decoys.png"
    media.write_bytes(b"\x89PNG\r\n\x1a\n" + decoy * (MAX_PACKETS + 5) + real.encode())
    claim = _read_embedded(media)
    assert claim is not None and "over the limit" in claim.problems[0]
    few = tmp_path / "few.png"
    few.write_bytes(b"\x89PNG\r\n\x1a\n" + decoy * 3 + real.encode())
    found = _read_embedded(few)
    assert found is not None and found.generated  # the real packet behind a few decoys
