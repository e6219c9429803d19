"""A clip that plays media its timeline does not name (OTIO's MissingReference, a Clip.1
without a reference, an external reference without a URL, no reference under the active
key, an EDL event whose source is only a reel) is where the gate could not look: its media
could carry Content Credentials saying generated that the gate never read. At final that
is a ``media-missing`` lock whatever the pack, unless the show's config says provenance
comes from the timeline alone. A generator (black, bars, a colour) plays no media and
passes. Each test writes real files and runs the real CLI, OTIO's own readers and writer
(its cmx_3600 adapter for EDLs) and melt."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from opentimelineio.opentime import RationalTime, TimeRange

from aigate.core.gate import GateLocked
from aigate_otio import fastread, files
from aigate_otio.collect import collect_timeline, timelines
from helpers import RATE, clip, plain_movie, run_process, timeline, write
from mediakit import still

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "aigate-hypothesis")

TIMELINE_ONLY = "media:\n  required: false\n  reason: the show's media stay at the lab\n"
BASIS = ("provenance from the timeline alone where media could not be read (media not "
         "required: the show's media stay at the lab)")


def bare(name: str, reference: otio.core.MediaReference | None = None) -> otio.schema.Clip:
    """A clip playing ``reference`` (None: OTIO's default, a MissingReference), nothing
    declared: not AI-tagged at all."""
    made = otio.schema.Clip(name=name, source_range=TimeRange(
        RationalTime(0, RATE), RationalTime(2 * RATE, RATE)))
    if reference is not None:
        made.media_reference = reference
    return made


def check(path: Path, stage: str, *options: str, fast: str = "1") -> tuple[int, Any]:
    run = run_process("check", path, "--stage", stage, "--format", "json", *options,
                      env={"AIGATE_FAST": fast})
    assert run.code in (0, 1), run.out + run.err
    return run.code, json.loads(run.out)


def verdicts(report: Any) -> dict[str, str]:
    return {i["clip"]: i["verdict"] for s in report["subjects"] for i in s["items"]}


def messages(report: Any, name: str) -> list[str]:
    return [f["message"] for s in report["subjects"] for i in s["items"] if i["clip"] == name
            for f in i["findings"]]


def json_cut(folder: Path, clip_json: str) -> Path:
    """An .otio holding one plain clip (media present) and the clip ``clip_json``."""
    write(folder / "seed.otio", timeline([clip("PLATE", 2)]))
    document = json.loads((folder / "seed.otio").read_text())
    document["tracks"]["children"][0]["children"].append(json.loads(clip_json))
    path = folder / "cut.otio"
    path.write_text(json.dumps(document))
    return path


def rational(value: float) -> dict[str, Any]:
    return {"OTIO_SCHEMA": "RationalTime.1", "value": value, "rate": 24.0}


def clip_2(references: dict[str, Any], active: str) -> str:
    return json.dumps({"OTIO_SCHEMA": "Clip.2", "name": "GHOST", "source_range": {
        "OTIO_SCHEMA": "TimeRange.1", "start_time": rational(0.0),
        "duration": rational(48.0)}, "media_references": references,
        "active_media_reference_key": active})


MISSING = {"OTIO_SCHEMA": "MissingReference.1"}
PLATE = {"OTIO_SCHEMA": "ExternalReference.1", "target_url": "media/PLATE.mov"}
#: every way an .otio can hold a clip whose media it does not name, and what is said
UNNAMED = {
    "MissingReference": (clip_2({"DEFAULT_MEDIA": MISSING}, "DEFAULT_MEDIA"),
                         "no media reference"),
    "Clip.1 without a reference": (json.dumps({
        "OTIO_SCHEMA": "Clip.1", "name": "GHOST", "source_range": json.loads(
            clip_2({}, "")).get("source_range")}), "no media reference"),
    "external reference without a URL": (clip_2({"DEFAULT_MEDIA": {
        "OTIO_SCHEMA": "ExternalReference.1", "target_url": ""}}, "DEFAULT_MEDIA"),
        "media reference names no file"),
    "no reference under the active key": (clip_2({"proxy": PLATE}, "full"),
                                          "no media reference"),
    "a missing reference besides the active one": (
        clip_2({"DEFAULT_MEDIA": PLATE, "high_res": MISSING}, "DEFAULT_MEDIA"),
        "media reference 'high_res' is missing"),
}


@pytest.mark.parametrize("kind", list(UNNAMED))
def test_a_clip_whose_media_the_timeline_does_not_name_locks_at_final(tmp_path, kind):
    """Through the real CLI, on both readers (the fast path and OTIO's own): a lock at
    final naming why, a note at edit, the plain clip beside it passing at both."""
    clip_json, why = UNNAMED[kind]
    cut = json_cut(tmp_path, clip_json)
    for fast in ("1", "0"):
        code, report = check(cut, "final", fast=fast)
        assert code == 1, report
        assert verdicts(report) == {"PLATE": "pass", "GHOST": "lock"}, (fast, report)
        [message] = messages(report, "GHOST")
        assert message.endswith(f"media cannot be checked: {why}: the clip's media are "
                                "unknown"), message
        [ghost] = [i for s in report["subjects"] for i in s["items"] if i["clip"] == "GHOST"]
        assert ghost["media_note"] == why
        assert report["summary"]["no_media"] == 1
        code, report = check(cut, "edit", fast=fast)
        assert code == 0 and verdicts(report) == {"PLATE": "pass", "GHOST": "info"}, report


def test_the_otio_export_hook_refuses_a_clip_without_media_at_final(tmp_path):
    """OTIO's own write_to_file, aigate's export hook on: nothing is written."""
    cut = write(tmp_path / "cut.otio", timeline([clip("PLATE", 2), bare("GHOST")]))
    read = otio.adapters.read_from_file(str(cut))
    out = tmp_path / "deliverables" / "cut_FINAL.otio"
    out.parent.mkdir()
    with pytest.raises(GateLocked, match=r'V1 "GHOST" 01:00:02:00-01:00:04:00 \(media-missing\)'):
        otio.adapters.write_to_file(read, str(out))
    assert not out.exists()
    # the same cut with the clip linked to its file is written
    read.tracks[0][1].media_reference = otio.schema.ExternalReference(
        target_url="media/PLATE.mov")
    otio.adapters.write_to_file(read, str(out))
    assert out.exists()


def test_timeline_only_config_passes_and_every_report_says_so(tmp_path):
    (tmp_path / "aigate.yaml").write_text(TIMELINE_ONLY)
    cut = write(tmp_path / "cut.otio", timeline([clip("PLATE", 2), bare("GHOST")]))
    for fast in ("1", "0"):
        code, report = check(cut, "final", fast=fast)
        assert code == 0 and verdicts(report) == {"PLATE": "pass", "GHOST": "pass"}, report
        [subject] = report["subjects"]
        assert subject["provenance_basis"] == BASIS
    text = run_process("check", cut, "--stage", "final")
    assert text.code == 0 and f"NOTE {BASIS}" in text.out, text.out
    # the OTIO export hook writes it too
    out = tmp_path / "deliverables" / "cut.otio"
    out.parent.mkdir()
    otio.adapters.write_to_file(otio.adapters.read_from_file(str(cut)), str(out))
    assert out.exists()


def test_require_media_still_judges_a_clip_without_media_by_media_required(tmp_path):
    cut = write(tmp_path / "cut.otio", timeline([clip("PLATE", 2), bare("GHOST")]))
    code, report = check(cut, "edit", "--require-media")
    assert code == 0 and verdicts(report)["GHOST"] == "warn", report
    [finding] = [f for s in report["subjects"] for i in s["items"] if i["clip"] == "GHOST"
                 for f in i["findings"]]
    assert finding["rule"] == "media-required" and "no media reference" in finding["message"]


@pytest.mark.parametrize("kind", ["black", "SMPTEBars", "SolidColor"])
def test_a_generator_plays_no_media_and_passes_at_final(tmp_path, kind):
    generator = otio.schema.GeneratorReference(generator_kind=kind)
    cut = write(tmp_path / "cut.otio", timeline([clip("PLATE", 2), bare("SLUG", generator)]))
    for fast in ("1", "0"):
        code, report = check(cut, "final", fast=fast)
        assert code == 0 and verdicts(report) == {"PLATE": "pass", "SLUG": "pass"}, report


# --- EDLs: OTIO's cmx_3600 reader gives an event without a source file no reference --------

EDL = """\
TITLE: REEL CUT
FCM: NON-DROP FRAME

001  A001     V     C        01:00:00:00 01:00:02:00 01:00:00:00 01:00:02:00
* FROM CLIP NAME: SH010

002  BL       V     C        00:00:00:00 00:00:01:00 01:00:02:00 01:00:03:00

003  A002     V     C        01:00:10:00 01:00:12:00 01:00:03:00 01:00:05:00
* FROM CLIP NAME: SH020
* SOURCE FILE: media/SH020.mov
"""


def test_an_edl_event_without_a_source_file_locks_at_final(tmp_path):
    edl = tmp_path / "reel_cut.edl"
    edl.write_text(EDL)
    code, report = check(edl, "final", "--rate", "24")
    assert code == 1
    assert verdicts(report) == {"SH010": "lock", "002": "pass", "SH020": "lock"}, report
    assert messages(report, "SH010") == [
        'V "SH010" 01:00:00:00-01:00:02:00: media cannot be checked: no media reference '
        "(reel A001): the clip's media are unknown"]
    code, report = check(edl, "edit", "--rate", "24")
    assert code == 0 and set(verdicts(report).values()) == {"info", "pass"}
    # the show says provenance comes from the timeline alone: the EDL passes
    (tmp_path / "aigate.yaml").write_text(TIMELINE_ONLY)
    code, report = check(edl, "final", "--rate", "24")
    assert code == 0 and set(verdicts(report).values()) == {"pass"}, report
    assert report["subjects"][0]["provenance_basis"] == BASIS


def test_an_edl_with_a_source_file_on_every_event_is_judged_by_its_media(tmp_path):
    """OTIO's reader links ``* FROM FILE:`` comments: those events name their media."""
    edl = tmp_path / "linked.edl"
    edl.write_text(EDL.replace("* FROM CLIP NAME: SH010", "* FROM CLIP NAME: SH010\n"
                               f"* FROM FILE: {tmp_path / 'media' / 'SH010.mov'}")
                   .replace("* SOURCE FILE: media/SH020.mov",
                            f"* FROM FILE: {tmp_path / 'media' / 'SH020.mov'}"))
    for name in ("SH010", "SH020"):
        (tmp_path / "media").mkdir(exist_ok=True)
        (tmp_path / "media" / f"{name}.mov").write_bytes(plain_movie())
    code, report = check(edl, "final", "--rate", "24")
    assert code == 0 and set(verdicts(report).values()) == {"pass"}, report


# --- Kdenlive/MLT: melt plays a placeholder for a producer that names no file --------------

MLT = """<?xml version="1.0" encoding="utf-8"?>
<mlt LC_NUMERIC="C" version="7.0.0">
 <profile frame_rate_num="25" frame_rate_den="1" width="640" height="360" progressive="1"
  sample_aspect_num="1" sample_aspect_den="1" display_aspect_num="16" display_aspect_den="9"
  colorspace="709"/>
 <producer id="ghost" in="0" out="49"><property name="length">50</property>%s</producer>
 <producer id="slug" in="0" out="49"><property name="length">50</property>
  <property name="mlt_service">color</property><property name="resource">red</property>
 </producer>
 <playlist id="pl"><entry producer="ghost" in="0" out="49"/><entry producer="slug" in="0"
  out="49"/></playlist>
 <tractor id="t"><track producer="pl"/></tractor>
</mlt>
"""


@pytest.mark.skipif(shutil.which("melt") is None, reason="needs melt (MLT)")
@pytest.mark.parametrize("service", ["", '<property name="mlt_service">avformat</property>'])
def test_an_mlt_producer_naming_no_file_locks_at_final_and_a_colour_passes(tmp_path, service):
    project = tmp_path / "cut.mlt"
    project.write_text(MLT % service)
    code, report = check(project, "final")
    assert code == 1, report
    items = [i for s in report["subjects"] for i in s["items"]]
    assert [i["verdict"] for i in items] == ["lock", "pass"], items
    assert items[0]["findings"][0]["rule"] == "media-missing"


@pytest.mark.skipif(shutil.which("melt") is None, reason="needs melt (MLT)")
def test_an_mlt_generator_exported_to_otio_is_a_generator_and_passes(tmp_path, cli):
    """The Kdenlive/MLT cut as OTIO: the noise generator goes out as a GeneratorReference
    (it made a missing reference, a lock at final there), the producer naming no file
    still locks."""
    from aigate_kdenlive.otio_io import to_otio
    from aigate_kdenlive.reading import read

    project = tmp_path / "cut.mlt"
    project.write_text((MLT % "").replace(
        '<property name="mlt_service">color</property><property name="resource">red'
        '</property>', '<property name="mlt_service">noise</property>'))
    timeline_ = to_otio(read(project))
    [_, slug] = timeline_.find_clips()
    assert isinstance(slug.media_reference, otio.schema.GeneratorReference)
    cut = write(tmp_path / "cut.otio", timeline_)
    run = cli("check", cut, "--stage", "final", "--format", "json")
    assert run.code == 1
    assert [i["verdict"] for s in run.json["subjects"] for i in s["items"]] == ["lock", "pass"]


# --- every mix of reference kinds ----------------------------------------------------------

#: what a media reference can be: a file that is there, one that is gone, an external
#: reference without a URL, a missing reference, a generator, an image sequence
KINDS = ("file", "gone", "empty", "missing", "generator", "sequence")
#: the kinds whose media the gate cannot look at
UNKNOWN = frozenset(("gone", "empty", "missing"))


def reference(kind: str, name: str) -> otio.core.MediaReference:
    available = TimeRange(RationalTime(0, RATE), RationalTime(RATE * 60, RATE))
    if kind == "file":
        return otio.schema.ExternalReference(target_url=f"media/{name}.mov",
                                             available_range=available)
    if kind == "gone":
        return otio.schema.ExternalReference(target_url=f"gone/{name}.mov")
    if kind == "empty":
        return otio.schema.ExternalReference(target_url="", available_range=available)
    if kind == "missing":
        return otio.schema.MissingReference(available_range=available)
    if kind == "generator":
        return otio.schema.GeneratorReference(generator_kind="black",
                                              available_range=available)
    return otio.schema.ImageSequenceReference(
        target_url_base="frames/", name_prefix=f"{name}.", name_suffix=".png", start_frame=1,
        frame_zero_padding=4, rate=RATE, available_range=available)


@st.composite
def mixes(draw: st.DrawFn) -> list[tuple[str | None, dict[str, str]]]:
    """Clips, each as (active key or None for a key no reference is under, kinds by key)."""
    out = []
    for _ in range(draw(st.integers(1, 4))):
        keys = draw(st.lists(st.sampled_from(("DEFAULT_MEDIA", "proxy", "high_res")),
                             min_size=1, max_size=3, unique=True))
        active = draw(st.sampled_from([*keys, None]))
        # an inactive image sequence counts by the frames the clip would play from it
        kinds = {key: draw(st.sampled_from(KINDS)) for key in keys}
        out.append((active, kinds))
    return out


def build(folder: Path, mix: list[tuple[str | None, dict[str, str]]]) -> Path:
    clips = []
    for number, (active, kinds) in enumerate(mix):
        made = bare(f"C{number}")
        references = {key: reference(kind, f"C{number}_{key}") for key, kind in kinds.items()}
        made.set_media_references(references, active or next(iter(kinds)))
        for key, kind in kinds.items():
            if kind == "file":
                target = folder / "media" / f"C{number}_{key}.mov"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(plain_movie())
            elif kind == "sequence":
                for frame in (1, 2):  # a clip of 2 s uses frames 1..48: link the rest
                    still(folder / "frames" / f"C{number}_{key}.{frame:04d}.png")
                first = folder / "frames" / f"C{number}_{key}.0001.png"
                for frame in range(3, 49):
                    shutil.copyfile(first, folder / "frames" / f"C{number}_{key}.{frame:04d}.png")
        clips.append(made)
    path = write(folder / "cut.otio", timeline(clips))
    # an active key no reference is under: OTIO reads it (the clip plays no reference),
    # its Python API will not set it
    document = json.loads(path.read_text())
    for written, (active, _) in zip(document["tracks"]["children"][0]["children"], mix,
                                    strict=True):
        if active is None:
            written["active_media_reference_key"] = "absent"
    path.write_text(json.dumps(document))
    return path


@contextmanager
def env(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            del os.environ[name]
        else:
            os.environ[name] = old


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(mixes())
def test_a_clip_locks_at_final_exactly_when_media_it_plays_or_names_is_unknown(
        tmp_path_factory, cli, mix):
    """Over mixes of reference kinds (several per clip, the active key naming one or none):
    at final a clip locks exactly when its active key names no reference or some reference
    of it names no file or one that is gone; a generator and media that are there pass. The
    fast reader and OTIO's give equal items, and the same verdicts."""
    folder = tmp_path_factory.mktemp("mix")
    cut = build(folder, mix)
    slow = [collect_timeline(t).items for t in timelines(files.read(cut)) or ()]
    fast = [c.items for c in fastread.read(cut).collected]
    assert fast == slow
    assert pickle.loads(pickle.dumps(fast)) == fast  # as items cross processes (--jobs, Dask)
    expected = {f"C{n}": "lock" if active is None or UNKNOWN & set(kinds.values()) else "pass"
                for n, (active, kinds) in enumerate(mix)}
    for switch in ("1", "0"):
        with env("AIGATE_FAST", switch):
            run = cli("check", cut, "--stage", "final", "--format", "json")
        assert run.code == (1 if "lock" in expected.values() else 0), run.out + run.err
        assert verdicts(json.loads(run.out)) == expected, (switch, mix)


def test_an_inactive_image_sequence_counts_by_the_frames_the_clip_would_play(tmp_path):
    """A clip whose second media reference is an image sequence (a high-resolution render
    behind the proxy it plays): that sequence is read frame by frame, as a switch of the
    active reference would play it, not as its pattern (which names no file)."""
    from mediakit import TRAINED, xmp_packet

    movie = tmp_path / "media" / "proxy.mov"
    movie.parent.mkdir()
    movie.write_bytes(plain_movie())
    for frame in range(1, 49):  # the 2 s clip's 48 frames at 24 fps
        still(tmp_path / "frames" / f"hires.{frame:04d}.png")
    made = bare("SH010")
    made.set_media_references({
        "DEFAULT_MEDIA": otio.schema.ExternalReference(target_url="media/proxy.mov"),
        "high_res": reference("sequence", "hires")}, "DEFAULT_MEDIA")
    cut = write(tmp_path / "cut.otio", timeline([made]))
    for fast in ("1", "0"):
        code, report = check(cut, "final", fast=fast)
        assert (code, verdicts(report)) == (0, {"SH010": "pass"}), messages(report, "SH010")
    # a frame the clip would play is gone: the gate could not look at it
    (tmp_path / "frames" / "hires.0030.png").unlink()
    for fast in ("1", "0"):
        code, report = check(cut, "final", fast=fast)
        assert (code, verdicts(report)) == (1, {"SH010": "lock"})
        assert any("hires.0030.png" in m for m in messages(report, "SH010"))
    # a frame says it was generated: the clip is
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp_packet(TRAINED))
    Image.new("RGB", (64, 36)).save(tmp_path / "frames" / "hires.0030.png", pnginfo=info)
    for fast in ("1", "0"):
        code, report = check(cut, "final", fast=fast)
        [item] = report["subjects"][0]["items"]
        assert item["ai"] is True and code == 1
