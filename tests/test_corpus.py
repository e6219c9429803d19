"""A differential test against OpenTimelineIO on public timelines nobody here wrote
(tests/corpus, listed with repository, commit, path and licence in tests/corpus/SOURCES):
every file OTIO reads is checked with the clips OTIO finds, at the record times OTIO's own
range computation gives; every file it cannot read is one error line, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import opentimelineio as otio
import pytest
from opentimelineio.opentime import TimeRange

from aigate.model import timecode
from aigate_otio import edlrate
from aigate_otio.collect import bin_clips, timeline_rate, timelines
from aigate_otio.files import without_aigate_hooks

CORPUS = Path(__file__).resolve().parent / "corpus"
SOURCES = [line.split("\t") for line in (CORPUS / "SOURCES").read_text().splitlines()
           if line and not line.startswith("#")]
FILES = sorted(row[0] for row in SOURCES)


def test_the_corpus_is_public_listed_and_small():
    assert len(FILES) >= 150
    assert sorted(p.name for p in CORPUS.iterdir()
                  if p.is_file() and p.name != "SOURCES") == FILES
    assert sorted(p.name for p in (CORPUS / "LICENSES").iterdir()) == [
        "Apache-2.0.txt", "GPL-2.0-LibAAF.txt", "MIT-OpenFCPXMLKit.txt", "MIT-pycmx.txt"]
    for name, repo, commit, path, licence in SOURCES:
        assert "/" in repo and len(commit) == 40 and path
        assert licence in ("Apache-2.0", "MIT", "GPL-2.0")
        # an AAF is a compound file of 4 KiB sectors: even a one-clip cut is ~300 KB
        limit = 500_000 if name.endswith(".aaf") else 300_000
        assert (CORPUS / name).stat().st_size < limit, name
    assert sum(p.stat().st_size for p in CORPUS.rglob("*")) < 16_000_000
    kinds = {Path(n).suffix for n in FILES}
    assert {".otio", ".edl", ".xml", ".fcpxml", ".aaf"} <= kinds
    # cuts from DAWs: audio-only and multichannel AAF from Pro Tools, Resolve, Premiere
    assert sum(n.startswith("LibAAF__PT_") for n in FILES) >= 5


def otio_read(path: Path):
    try:
        with without_aigate_hooks():
            if path.suffix == ".edl":  # at the rate the EDL allows, as aigate reads it
                text = path.read_text(encoding="utf-8", errors="replace")
                rate, _why = edlrate.detect(text)
                return otio.adapters.read_from_string(edlrate.prepared(text, rate),
                                                      "cmx_3600", rate=rate.fps)
            return otio.adapters.read_from_file(str(path))
    except Exception:  # whatever the adapter raises: OTIO cannot read it
        return None


def record_range(clip: otio.schema.Clip, top: otio.schema.Stack) -> TimeRange:
    """The clip's range in the timeline's stack, by OTIO's own ranges: its range in its
    parent, then each enclosing composition's trim and place in its own parent."""
    found = clip.range_in_parent()
    node = clip.parent()
    while True:
        if node.source_range is not None:
            found = TimeRange(found.start_time - node.source_range.start_time, found.duration)
        if node is top:
            return found
        found = TimeRange(found.start_time + node.range_in_parent().start_time, found.duration)
        node = node.parent()


def otio_clips(read: object) -> list[tuple[str, float, float, float]]:
    """(name, record in, record out, rate) of every clip, as OTIO computes them; a
    collection without a timeline is a bin, whose clips show their own in/out."""
    found = timelines(read) or []
    if not found:
        return [(c.name, c.trimmed_range().start_time.value,
                 c.trimmed_range().end_time_exclusive().value,
                 c.trimmed_range().duration.rate) for c in bin_clips(read)]
    clips = []
    for tl in found:
        rate = timeline_rate(tl)
        start = tl.global_start_time.value_rescaled_to(rate) if tl.global_start_time else 0
        for clip in tl.find_clips():
            shown = record_range(clip, tl.tracks)
            clips.append((clip.name, start + shown.start_time.value_rescaled_to(rate),
                          start + shown.end_time_exclusive().value_rescaled_to(rate), rate))
    return clips


def near(text: str, frames: float, rate: float) -> bool:
    """``text`` is the timecode of ``frames``, give or take OTIO's float rounding."""
    return text in {timecode(frames + d, rate) for d in (-1, 0, 1)}


@pytest.mark.parametrize("name", FILES)
def test_aigate_checks_what_otio_reads_at_otios_record_times(cli, name):
    path = CORPUS / name
    run = cli("check", path, "--format", "json", "--jobs", "1")
    assert "Traceback" not in run.err
    report = json.loads(run.out)  # valid JSON for every file, readable or not
    read = otio_read(path)
    if read is None:
        assert run.code == 2
        [line] = [x for x in run.err.splitlines() if not x.startswith("aigate: note: ")]
        assert line.startswith(f"aigate: {path}: ")
        assert [e["path"] for e in report["errors"]] == [str(path)]
        return
    assert run.code in (0, 1), run.err
    items = [i for s in report["subjects"] for i in s["items"]]
    expected = otio_clips(read)
    assert len(items) == len(expected)
    unmatched = list(items)
    for clip_name, start, end, rate in expected:
        match = next((i for i in unmatched if i["clip"] == (clip_name or "(unnamed clip)")
                      and near(i["record_in"], start, rate)
                      and near(i["record_out"], end, rate)), None)
        assert match is not None, (clip_name, timecode(start, rate), timecode(end, rate))
        unmatched.remove(match)


# a sample of every source format, nests, transitions and multi-track cuts among them
ROUND_TRIP = ("OpenTimeline__simple_cut.otio", "OpenTimeline__nested_example.otio",
              "OpenTimeline__multitrack.otio", "OpenTimeline__transition_test.otio",
              "OpenTimeline__dissolve_test.edl", "pycmx__cdl_example01.edl",
              "OpenTimeline__premiere_example.xml", "OpenTimeline__hiero_xml_export.xml",
              "OpenTimeline__fcpx_project.fcpxml", "OpenFCPXMLKi__23.98.fcpxml",
              "OpenFCPXMLKi__CompoundClipSample.fcpxml", "OpenTimeline__2997fps-DFTC.aaf")
WRITABLE = ("otio", "edl", "xml", "fcpxml", "aaf")
GENERATED = {"v": 1, "generated": True, "tool": {"name": "Firefly", "vendor": "Adobe"},
             "purpose": "temp"}


def carries_verdict(clip: otio.schema.Clip) -> bool:
    if any(m.name.upper().startswith("AIGATE ") for m in clip.markers):
        return True
    # EDL: the event's comment lines (OTIO's reader skips drop-frame LOC lines)
    if any(str(c).startswith("AIGATE ")
           for c in clip.metadata.get("cmx_3600", {}).get("comments", [])):
        return True
    aaf = clip.metadata.get("AAF", {})
    return "AIGATE" in dict(aaf.get("UserComments", {}) if hasattr(aaf, "get") else {})


def read_output(path: Path, rate: float):
    """An annotated file; an EDL at the cut's rate (an EDL does not say its rate)."""
    if path.suffix != ".edl":
        return otio_read(path)
    ntsc = min((24000 / 1001, 30000 / 1001, 60000 / 1001), key=lambda r: abs(r - rate))
    with without_aigate_hooks():
        return otio.adapters.read_from_file(
            str(path), rate=ntsc if abs(ntsc - rate) < 0.01 else rate)


@pytest.mark.parametrize("suffix", WRITABLE)
def test_annotated_corpus_timelines_read_back_with_nothing_lost(cli, tmp_path, suffix):
    written = 0
    for index, name in enumerate(ROUND_TRIP):
        tl = otio_read(CORPUS / name)
        assert tl is not None, name
        clips = tl.find_clips()
        for clip in clips[::3]:  # every third clip is generated material
            clip.metadata["aigate"] = GENERATED
        folder = tmp_path / str(index)
        folder.mkdir()
        src = folder / "src.otio"
        with without_aigate_hooks():
            otio.adapters.write_to_file(tl, str(src))
        out = folder / f"out.{suffix}"
        run = cli("annotate", src, out)
        outputs = sorted(folder.glob(f"out*.{suffix}"))
        if run.code == 2:  # the format cannot hold this cut: said, and nothing written
            [line] = run.err.splitlines()
            assert f"{folder}/out" in line and "not written:" in line, line
            assert outputs == []
            continue
        assert run.code in (0, 1), (name, run.err)
        written += 1
        rate = timeline_rate((timelines(tl) or [tl])[0])
        back = [c for o in outputs for c in read_output(o, rate).find_clips()]
        assert len(back) >= len(clips), (name, len(back), len(clips))
        assert sum(carries_verdict(c) for c in back) >= len(clips[::3]), name
    # not a vacuous pass: each format holds some of the sample (the others fail closed)
    assert written >= 2, f"{suffix}: only {written} written"
