"""Ways to get a generated clip past the OTIO host, each built here and shown to be caught on
both readers (the fast path and OTIO's, ``AIGATE_FAST=0``): a clip straight in the stack of
tracks, AI media behind a clip's inactive media reference, keys repeated in schema objects
(which crash OTIO's reader), a NUL in a metadata key."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import opentimelineio as otio
import pytest
from opentimelineio.opentime import RationalTime, TimeRange

from aigate_otio import fastread
from aigate_otio.otiojson import Unsupported
from helpers import ai, clip, run_process, timeline, write
from mediakit import TRAINED, sign, signing_kit, still, xmp_packet

BOTH = pytest.mark.parametrize("fast", ["1", "0"], ids=["fast-path", "otio-reader"])


def check(cli, monkeypatch, path: Path, fast: str, *args: str):
    monkeypatch.setenv("AIGATE_FAST", fast)
    return cli("check", path, "--stage", "final", "--format", "json", *args)


def item(run, name: str) -> dict:
    return next(i for s in run.json["subjects"] for i in s["items"] if i["clip"] == name)


# --- C4: a clip straight in the stack of tracks --------------------------------------------

@BOTH
def test_a_clip_straight_in_the_stack_of_tracks_is_checked(cli, monkeypatch, tmp_path, fast):
    tl = timeline([clip("plate")])
    tl.tracks.append(otio.schema.Gap(source_range=TimeRange(RationalTime(0, 24),
                                                            RationalTime(24, 24))))
    tl.tracks.append(clip("gen", aigate=ai(purpose="temp")))  # editors and find_clips() see it
    assert [c.name for c in tl.find_clips()] == ["plate", "gen"]
    run = check(cli, monkeypatch, write(tmp_path / "cut.otio", tl), fast)
    assert run.code == 1 and run.verdicts() == {"plate": "pass", "gen": "lock"}
    gen = item(run, "gen")
    # its own track, named by its place in the stack; it plays from the timeline's start
    assert (gen["track"], gen["record_in"]) == ("V3", "01:00:00:00")


# --- C5: a clip's other media references ---------------------------------------------------

def proxy_and_full_resolution(proxy: str, full: str, full_aigate: dict | None = None,
                              active: str = "DEFAULT_MEDIA") -> otio.schema.Clip:
    shot = clip("SHOT")
    metadata = {"aigate": full_aigate} if full_aigate else {}
    shot.set_media_references({
        "DEFAULT_MEDIA": otio.schema.ExternalReference(target_url=proxy),
        "HIGH_RES": otio.schema.ExternalReference(target_url=full, metadata=metadata)}, active)
    return shot


@BOTH
def test_ai_metadata_on_an_inactive_media_reference_makes_the_clip_ai(cli, monkeypatch,
                                                                       tmp_path, fast):
    shot = proxy_and_full_resolution("proxy.mov", "gen.mov", ai(purpose="temp"))
    run = check(cli, monkeypatch, write(tmp_path / "cut.otio", timeline([shot])), fast)
    assert run.code == 1 and run.verdicts() == {"SHOT": "lock"}
    assert "media_reference:HIGH_RES metadata (claimed)" in item(run, "SHOT")["evidence"]


@pytest.fixture(scope="module")
def stills(tmp_path_factory):
    """A plain JPEG and a copy carrying a signed C2PA manifest that declares GenAI."""
    root = tmp_path_factory.mktemp("stills")
    plain = still(root / "plain.jpg")
    return {"plain": plain, "genai": sign(plain, root / "genai.jpg", signing_kit())}


def media_folder(tmp_path: Path, stills: dict[str, Path], config: str = "show: TEST\n"
                 ) -> Path:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "proxy.jpg").write_bytes(stills["plain"].read_bytes())
    (tmp_path / "media" / "full.jpg").write_bytes(stills["plain"].read_bytes())
    (tmp_path / "aigate.yaml").write_text(config)
    return tmp_path / "media"


@BOTH
def test_c2pa_genai_in_an_inactive_reference_makes_the_clip_ai(cli, monkeypatch, tmp_path,
                                                               stills, fast):
    media = media_folder(tmp_path, stills)
    (media / "full.jpg").write_bytes(stills["genai"].read_bytes())
    shot = proxy_and_full_resolution("media/proxy.jpg", "media/full.jpg")
    run = check(cli, monkeypatch, write(tmp_path / "cut.otio", timeline([shot])), fast)
    shot_result = item(run, "SHOT")
    assert run.code == 1 and shot_result["ai"] is True and shot_result["verdict"] == "lock"
    assert any("other media media/full.jpg" in e for e in shot_result["evidence"])
    # the playing media is the proxy: the clip's media stays the active reference's
    assert shot_result["media"] == "media/proxy.jpg"


@BOTH
@pytest.mark.parametrize("where", ["sidecar", "embedded"])
def test_xmp_genai_of_an_inactive_reference_makes_the_clip_ai(cli, monkeypatch, tmp_path,
                                                              stills, fast, where):
    media = media_folder(tmp_path, stills)
    packet = xmp_packet(TRAINED, creator="Midjourney")
    if where == "sidecar":
        (media / "full.xmp").write_text(packet)
    else:  # an XMP packet in an APP1 segment of the JPEG
        data = (media / "full.jpg").read_bytes()
        payload = b"http://ns.adobe.com/xap/1.0/\x00" + packet.encode()
        segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
        (media / "full.jpg").write_bytes(data[:2] + segment + data[2:])
    shot = proxy_and_full_resolution("media/proxy.jpg", "media/full.jpg")
    run = check(cli, monkeypatch, write(tmp_path / "cut.otio", timeline([shot])), fast)
    assert run.code == 1 and item(run, "SHOT")["ai"] is True
    assert "Midjourney" in str(item(run, "SHOT")["findings"])


@BOTH
def test_ledger_and_path_patterns_see_an_inactive_reference(cli, monkeypatch, tmp_path,
                                                             stills, fast):
    digest = hashlib.sha256(stills["plain"].read_bytes()).hexdigest()
    (tmp_path / "ledger.yaml").write_text(
        "aigate_ledger: 1\nassets:\n"
        f"  - {{asset_id: GEN-7, sha256: {digest}, generated: true, purpose: temp}}\n")
    media = media_folder(tmp_path, stills, "show: TEST\nledger: ledger.yaml\n"
                         "patterns: ['**/genai/**']\n")
    (media / "proxy.jpg").write_bytes(b"a proxy, not the ledger's file")
    by_sha = proxy_and_full_resolution("media/proxy.jpg", "media/full.jpg")
    by_path = proxy_and_full_resolution("media/proxy.jpg", "media/genai/full.jpg")
    by_path.name = "BY_PATH"
    run = check(cli, monkeypatch, write(tmp_path / "cut.otio", timeline([by_sha, by_path])),
                fast)
    assert run.code == 1 and item(run, "SHOT")["ai"] is True
    assert item(run, "BY_PATH")["ai"] is True
    assert any("other media media/full.jpg" in e for e in item(run, "SHOT")["evidence"])
    # another media's ledger entry adds its concerns, not its identity
    assert "GEN-7" not in json.dumps(item(run, "SHOT").get("asset_id"))


@BOTH
def test_clean_inactive_references_change_nothing(cli, monkeypatch, tmp_path, stills, fast):
    media_folder(tmp_path, stills)
    shot = proxy_and_full_resolution("media/proxy.jpg", "media/full.jpg")
    run = check(cli, monkeypatch, write(tmp_path / "cut.otio", timeline([shot])), fast)
    assert run.code == 0 and run.verdicts() == {"SHOT": "pass"}


# --- M4: keys repeated in schema objects (OTIO's reader crashes on them) ---------------------

TIME_WARP = ('{"OTIO_SCHEMA": "LinearTimeWarp.1", "name": "", "effect_name": "LinearTimeWarp", '
             '"metadata": {}, "time_scalar": 1.0}')


def crafted_clip(effects: str = "", references: str = "") -> str:
    reference = ('{"OTIO_SCHEMA": "ExternalReference.1", "target_url": "a.png", '
                 '"metadata": {}}')
    return ('{"OTIO_SCHEMA": "Clip.2", "name": "C", "metadata": {"aigate": {"v": 1, '
            '"generated": true, "tool": "X", "purpose": "final"}}, "effects": [' + effects
            + '], "source_range": {"OTIO_SCHEMA": "TimeRange.1", "start_time": '
            '{"OTIO_SCHEMA": "RationalTime.1", "value": 0, "rate": 24}, "duration": '
            '{"OTIO_SCHEMA": "RationalTime.1", "value": 24, "rate": 24}}, '
            '"media_references": ' + (references or '{"DEFAULT_MEDIA": ' + reference + "}")
            + ', "active_media_reference_key": "DEFAULT_MEDIA"}')


def crafted_timeline(track: str, extra: str = "") -> str:
    return ('{"OTIO_SCHEMA": "Timeline.1", "name": "T", "metadata": {' + extra + '}, '
            '"tracks": {"OTIO_SCHEMA": "Stack.1", "children": [' + track + "]}}")


def track_with_children_twice(clip_json: str) -> str:
    return ('{"OTIO_SCHEMA": "Track.1", "name": "V1", "kind": "Video", "children": [], '
            '"children": [' + clip_json + "]}")


REF = '{"OTIO_SCHEMA": "ExternalReference.1", "target_url": "a.png"}'
REPEATS = {
    # OTIO's reader segfaults on this one; the time warp makes the fast path decline it
    "children twice, time warp": (crafted_timeline(track_with_children_twice(
        crafted_clip(effects=TIME_WARP))), "children", "Track.1"),
    # the fast path read this one as 0 clips, a PASS
    "children twice": (crafted_timeline(track_with_children_twice(crafted_clip())),
                       "children", "Track.1"),
    # a plain mapping holding schema objects twice under one key crashes OTIO's reader too
    "a media reference key twice": (crafted_timeline(
        '{"OTIO_SCHEMA": "Track.1", "kind": "Video", "children": [' + crafted_clip(
            references='{"DEFAULT_MEDIA": ' + REF + ', "DEFAULT_MEDIA": ' + REF + "}")
        + "]}"), "DEFAULT_MEDIA", None),
    # RapidJSON reads Inf and -NaN where Python's decoder does not: the check still sees
    # the repeat
    "children twice, Inf in metadata": (crafted_timeline(track_with_children_twice(
        crafted_clip(effects=TIME_WARP)), extra='"x": -Inf, "y": Inf'), "children", "Track.1"),
    "children twice, -NaN in metadata": (crafted_timeline(track_with_children_twice(
        crafted_clip(effects=TIME_WARP)), extra='"x": -NaN'), "children", "Track.1"),
}


@pytest.mark.parametrize("case", list(REPEATS))
@pytest.mark.parametrize("fast", ["1", "0"], ids=["fast-path", "otio-reader"])
def test_a_key_repeated_in_a_schema_object_is_refused_not_a_crash(tmp_path, case, fast):
    text, key, schema = REPEATS[case]
    path = tmp_path / "cut.otio"
    path.write_text(text)
    # a process of its own: were the check missing, OTIO's reader would kill the test run
    run = run_process("check", path, "--stage", "final", env={"AIGATE_FAST": fast})
    assert run.code == 2, (run.code, run.err)  # an input error: not a crash (139), not a pass
    (line,) = [x for x in run.out.splitlines() if x.startswith("error:")]
    where = f"a {schema} object" if schema else "an object"
    assert line == (f"error: {path}: refused: the key {key!r} appears twice in {where} "
                    "(OTIO's reader can crash on it, and tools may read either value)")


@pytest.mark.parametrize("suffix", ["otioz", "otiod"])
def test_repeated_keys_are_refused_in_bundles(tmp_path, suffix):
    import zipfile

    text = REPEATS["children twice, time warp"][0]
    path = tmp_path / f"cut.{suffix}"
    if suffix == "otioz":
        with zipfile.ZipFile(path, "w") as bundle:
            bundle.writestr("content.otio", text)
            bundle.writestr("version.txt", "1.0.0")
    else:
        path.mkdir()
        (path / "content.otio").write_text(text)
    for fast in ("1", "0"):
        run = run_process("check", path, env={"AIGATE_FAST": fast})
        assert run.code == 2 and "the key 'children' appears twice" in run.out


# --- L1: a NUL in a metadata key -----------------------------------------------------------

@BOTH
def test_a_nul_in_a_metadata_key_is_left_to_otio_and_refused(cli, monkeypatch, tmp_path,
                                                             fast):
    tl = timeline([clip("C", aigate=ai(purpose="temp"))])
    text = otio.adapters.otio_json.write_to_string(tl).replace('"aigate":', '"aigate\\u0000":')
    path = tmp_path / "cut.otio"
    path.write_text(text)
    with pytest.raises(Unsupported):  # the fast path declines: OTIO's reader answers
        fastread.read(path)
    run = check(cli, monkeypatch, path, fast)
    assert run.code == 2
    assert run.json["errors"][0]["message"].endswith(
        "metadata key 'aigate' cannot be read: the file has a key that OTIO cuts short "
        "(a NUL character in it)")
