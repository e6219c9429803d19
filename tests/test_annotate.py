"""`aigate annotate`: what an editor sees after the round trip, read back with the real
adapters of every format."""

from __future__ import annotations

import hashlib
from pathlib import Path

import opentimelineio as otio
import pytest
from opentimelineio.opentime import RationalTime, TimeRange

from aigate_otio.files import without_aigate_hooks
from helpers import RATE, ai, clip, timeline, write

DEAGE = ai(purpose="temp", talent=[{"name": "Ray Holt", "use": "likeness"}])


def cut(tmp_path: Path) -> Path:
    """CAM1 (pass), SH1 (lock: talent), SH2 (warn: generated), SH3 (approved)."""
    (tmp_path / "approvals").mkdir(exist_ok=True)
    (tmp_path / "approvals" / "a.yaml").write_text(
        "id: APR-9\ngrants: [final-deliverable-use]\nscope: {clips: [SH3]}\n"
        "approver: Legal\n")
    (tmp_path / "pack.yaml").write_text("extends: netflix-genai\n"
                                        "vetted_tools: [{name: Firefly, vendor: Adobe, "
                                        "enterprise: true}]\n")
    (tmp_path / "aigate.yaml").write_text("approvals: approvals/\npolicy: pack.yaml\n")
    src = clip("SH2", 2, ai())
    src.source_range = TimeRange(RationalTime(100, RATE), RationalTime(48, RATE))
    return write(tmp_path / "src" / "cut.otio", timeline(
        [clip("CAM1", 1), clip("SH1", 2, DEAGE), src, clip("SH3", 1, ai())]))


def read(path: Path) -> otio.schema.Timeline:
    with without_aigate_hooks():
        return otio.adapters.read_from_file(str(path))


def markers(tl: otio.schema.Timeline) -> dict[str, list[tuple[str, str, float]]]:
    return {c.name: [(m.name, m.color, m.marked_range.start_time.value) for m in c.markers]
            for c in tl.find_clips()}


def annotate(cli, src: Path, out: Path, stage: str = "edit"):
    run = cli("annotate", src, out, "--stage", stage)
    assert run.code in (0, 1), run.err
    return run


# the marker colour each format gives back for lock / warn / approved (FCP7 XML keeps no
# marker colour: the clip label carries it, see below; FCPX keeps completed or not)
COLOURS = {"otio": ("RED", "YELLOW", "GREEN"), "edl": ("RED", "YELLOW", "GREEN"),
           "xml": ("RED", "RED", "RED"), "fcpxml": ("RED", "PURPLE", "GREEN")}


@pytest.mark.parametrize("suffix", sorted(COLOURS))
def test_markers_sit_on_the_right_clips_at_the_right_time(cli, tmp_path, suffix):
    out = tmp_path / f"annotated.{suffix}"
    run = annotate(cli, cut(tmp_path), out)
    assert run.code == 1
    assert ("annotated: 4 clips, 3 AI, 1 clip locked, 1 clip warned, 1 clip approved "
            "(waived)") in run.out
    got = markers(read(out))
    lock, warn, approved = COLOURS[suffix]
    upper = str.upper if suffix == "edl" else str  # CMX 3600 upper-cases marker names
    assert got["CAM1"] == []
    assert got["SH1"] == [(upper("AIGATE LOCK talent-consent"), lock, 0)]
    # at the clip's first source frame
    assert got["SH2"] == [(upper("AIGATE WARN final-deliverable-use"), warn, 100)]
    assert got["SH3"] == [(upper("AIGATE APPROVED final-deliverable-use"), approved, 0)]


def test_otio_carries_findings_in_clip_and_marker_metadata(cli, tmp_path):
    out = tmp_path / "annotated.otio"
    annotate(cli, cut(tmp_path), out, stage="final")
    annotated = read(out)
    sh1 = annotated.find_clips()[1]
    assert sh1.metadata["aigate"]["generated"] is True  # the declaration is kept
    assert sh1.metadata["aigate"]["verdict"] == "lock"
    rules = [f["rule"] for f in sh1.metadata["aigate"]["findings"]]
    assert rules == ["final-deliverable-use", "talent-consent"]
    assert sh1.markers[0].metadata["aigate"]["findings"][1]["message"].startswith(
        'V1 "SH1" 01:00:01:00-01:00:03:00: Ray Holt (likeness)')
    sh3 = annotated.find_clips()[3]
    assert sh3.metadata["aigate"]["findings"][0]["approval"] == "APR-9"


def test_edl_comments_carry_every_finding(cli, tmp_path):
    out = tmp_path / "annotated.edl"
    annotate(cli, cut(tmp_path), out)
    text = out.read_text()
    assert "* AIGATE LOCK talent-consent: Ray Holt (likeness) has no documented consent" in text
    assert "* AIGATE APPROVED final-deliverable-use (waived by APR-9):" in text
    annotated = read(out)
    comments = annotated.find_clips()[1].metadata["cmx_3600"]["comments"]
    assert [c for c in comments if c.startswith("AIGATE")] == [
        "AIGATE WARN final-deliverable-use: generated material (Adobe Firefly, purpose temp) "
        "is in the cut; it is temporary unless a written approval covers final use",
        "AIGATE LOCK talent-consent: Ray Holt (likeness) has no documented consent for this "
        "production (no production is configured ('show' in aigate.yaml), so no consent "
        "applies)"]


def test_fcp_xml_marker_comment_and_clip_label(cli, tmp_path):
    out = tmp_path / "annotated.xml"
    annotate(cli, cut(tmp_path), out)
    annotated = read(out)
    clips = {c.name: c for c in annotated.find_clips()}
    assert clips["SH1"].metadata["fcp_xml"]["labels"]["label2"] == "Rose"
    assert clips["SH2"].metadata["fcp_xml"]["labels"]["label2"] == "Yellow"
    assert clips["SH3"].metadata["fcp_xml"]["labels"]["label2"] == "Forest"
    assert "labels" not in clips["CAM1"].metadata.get("fcp_xml", {})
    comment = clips["SH1"].markers[0].metadata["fcp_xml"]["comment"]
    assert comment.startswith("Ray Holt (likeness) has no documented consent")


def test_aaf_user_comments(cli, tmp_path):
    out = tmp_path / "annotated.aaf"
    annotate(cli, cut(tmp_path), out)
    annotated = read(out)
    clips = {c.name: c for c in annotated.find_clips()}
    comment = clips["SH1"].metadata["AAF"]["UserComments"]["AIGATE"]
    assert comment.startswith("LOCK talent-consent: ") and "; WARN final-deliverable-use" in comment
    assert "AIGATE" not in clips["CAM1"].metadata["AAF"].get("UserComments", {})


@pytest.mark.parametrize("suffix", ["otio", "edl", "xml", "aaf"])
def test_annotating_again_replaces_and_never_duplicates(cli, tmp_path, suffix):
    # beside the cut: its media are relative to it (found from there, as at final they
    # must be)
    first = tmp_path / "src" / f"once.{suffix}"
    annotate(cli, cut(tmp_path), first)
    second = tmp_path / "src" / f"twice.{suffix}"
    annotate(cli, first, second, stage="final")
    again = read(second)
    for c in again.find_clips():
        gate_markers = [m for m in c.markers if m.name.upper().startswith("AIGATE ")]
        assert len(gate_markers) <= 1, (c.name, gate_markers)
    if suffix != "otio":
        # the format lost the aigate metadata, so the clips now pass: the first run's
        # warnings are removed, not left stale (media provenance keeps them: issue 4)
        assert all(len(c.markers) == 0 for c in again.find_clips())
        assert "AIGATE" not in second.read_bytes().decode("latin-1").upper().replace(
            "AIGATE_", "")
    else:
        sh1 = again.find_clips()[1]
        # two locks at final: the marker names the first in the policy's rule order
        assert [m.name for m in sh1.markers] == ["AIGATE LOCK final-deliverable-use"]
        assert len(sh1.metadata["aigate"]["findings"]) == 2


def test_input_untouched_output_atomic_and_same_path_refused(cli, tmp_path):
    src = cut(tmp_path)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    out = tmp_path / "out" / "annotated.edl"
    annotate(cli, src, out)
    assert hashlib.sha256(src.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in out.parent.iterdir()) == ["annotated.edl"]
    run = cli("annotate", src, src)
    assert run.code == 2 and "OUT must be another file" in run.err
    run = cli("annotate", src, tmp_path / "out.mov")
    assert run.code == 2 and "out.mov" in run.err and "Traceback" not in run.err


def test_existing_markers_gaps_transitions_and_nested_clips(cli, tmp_path):
    track = otio.schema.Track(name="V1")
    for i in range(2000):
        c = clip(f"CAM{i:04d}", 1, ai() if i == 1500 else None)
        c.markers.append(otio.schema.Marker(name=f"note {i}", marked_range=TimeRange(
            RationalTime(0, RATE), RationalTime(0, RATE))))
        track.append(c)
        if i == 10:
            track.append(otio.schema.Gap(source_range=TimeRange(
                RationalTime(0, RATE), RationalTime(24, RATE))))
        if i == 20:
            track.append(otio.schema.Transition(in_offset=RationalTime(6, RATE),
                                                out_offset=RationalTime(6, RATE)))
    nested = otio.schema.Stack(name="precomp")
    inner = otio.schema.Track(name="inner")
    inner.append(clip("NESTED_AI", 1, DEAGE))
    nested.append(inner)
    track.append(nested)
    tl = otio.schema.Timeline(name="long", global_start_time=RationalTime(86400, RATE))
    tl.tracks.append(track)
    src = write(tmp_path / "long.otio", tl)
    out = tmp_path / "long_annotated.otio"
    annotate(cli, src, out)
    annotated = read(out)
    clips = {c.name: c for c in annotated.find_clips()}
    # two warns: the marker names the first in the policy's rule order
    assert [m.name for m in clips["CAM1500"].markers] == [
        "note 1500", "AIGATE WARN final-deliverable-use"]
    assert [m.name for m in clips["NESTED_AI"].markers] == ["AIGATE LOCK talent-consent"]
    assert all(len(c.markers) == 1 for n, c in clips.items() if n not in ("CAM1500",
                                                                          "NESTED_AI"))


def test_clip_without_media_reference_to_aaf(cli, tmp_path):
    tl = timeline([clip("SH1", 2, DEAGE)])
    tl.find_clips()[0].media_reference = otio.schema.MissingReference(
        available_range=TimeRange(RationalTime(0, RATE), RationalTime(480, RATE)))
    src = write(tmp_path / "cut.otio", tl)
    annotate(cli, src, tmp_path / "cut.aaf")
    back_timeline = read(tmp_path / "cut.aaf")
    [back] = back_timeline.find_clips()
    assert "LOCK talent-consent" in back.metadata["AAF"]["UserComments"]["AIGATE"]


# --- verified at run time: never a success that lost a clip --------------------------

SAMPLES = Path(__file__).resolve().parent.parent / "sample_timelines"


def test_readme_example_writes_one_edl_per_track_at_the_cuts_record_start(cli, tmp_path):
    out = tmp_path / "out.edl"
    run = cli("annotate", SAMPLES / "ep101_cut_v12.otio", out, "--stage", "review")
    assert run.code == 1, run.err
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["out_A1.edl", "out_A2.edl", "out_V1.edl", "out_V2.edl"]
    assert run.out.startswith(", ".join(str(tmp_path / n) for n in
                                        ("out_V1.edl", "out_V2.edl", "out_A1.edl",
                                         "out_A2.edl")))
    # the printed list: track, clip, record TC, verdict
    assert '  LOCK V1 "VFX_020_deage_v1" 01:00:10:00-01:00:14:00 talent-consent' in run.out
    assert '  WARN A2 "TEMP_MUSIC_gen_v1" 01:00:00:00-01:00:28:00' in run.out
    v1 = (tmp_path / "out_V1.edl").read_text()
    # record TCs line up with the cut (01:00:00:00), not 00:00:00:00
    assert "01:00:10:00 01:00:14:00\n* FROM CLIP NAME:  VFX_020_deage_v1" in v1
    assert "LOC: 15:01:00:00 RED     AIGATE LOCK TALENT-CONSENT" in v1
    a2 = read(tmp_path / "out_A2.edl")
    [music] = a2.find_clips()
    assert music.markers[0].name.startswith("AIGATE WARN")
    assert a2.tracks[0].kind == otio.schema.TrackKind.Audio


def test_per_track_edls_never_overwrite_the_input_or_each_other(cli, tmp_path):
    tl = timeline([clip("A1", 1)], [clip("B1", 1, ai())])
    for track in tl.tracks:
        track.name = "Video"  # two tracks of one name
    src = write(tmp_path / "cut.otio", tl)
    run = cli("annotate", src, tmp_path / "out.edl")
    assert run.code == 0, run.err
    assert sorted(p.name for p in tmp_path.glob("*.edl")) == ["out_Video.edl",
                                                              "out_Video_2.edl"]
    # an EDL with picture and sound events reads as tracks V and A: written back per
    # track, cut.edl would be cut_V.edl and cut_A.edl, and cut_V.edl is the input
    edl = tmp_path / "cut_V.edl"
    edl.write_text("TITLE: reel\n\n"
                   "001  AX       V     C        00:00:00:00 00:00:01:00 01:00:00:00 01:00:01:00\n"
                   "* FROM CLIP NAME:  SH1\n"
                   "002  AX       A     C        00:00:00:00 00:00:01:00 01:00:00:00 01:00:01:00\n"
                   "* FROM CLIP NAME:  SND1\n")
    before = edl.read_bytes()
    run = cli("annotate", edl, tmp_path / "cut.edl")
    assert run.code == 2 and f"{edl} is the input, which is never changed" in run.err
    assert edl.read_bytes() == before
    assert not (tmp_path / "cut_A.edl").exists()


def test_track_option_writes_the_one_track_named(cli, tmp_path):
    out = tmp_path / "v2.edl"
    run = cli("annotate", SAMPLES / "ep101_cut_v12.otio", out, "--track", "V2")
    assert run.code in (0, 1), run.err
    assert [p.name for p in tmp_path.iterdir()] == ["v2.edl"]
    assert [c.name for c in read(out).find_clips()] == ["GFX_poster_bg_v2"]
    run = cli("annotate", SAMPLES / "ep101_cut_v12.otio", out, "--track", "V9")
    assert run.code == 2 and "--track V9: no such track (tracks: V1, V2, A1, A2)" in run.err


def nest_cut(tmp_path: Path, hidden: otio.schema.Clip) -> Path:
    """V1: CAM1, then a nest whose top track shows TOP over ``hidden``."""
    nest = otio.schema.Stack(name="nest")
    for name, child in (("lower", hidden), ("upper", clip("TOP", 2, ai(purpose="temp")))):
        track = otio.schema.Track(name=name)
        track.append(child)
        nest.append(track)
    return write(tmp_path / "nest.otio", timeline([clip("CAM1", 1), nest]))


def test_a_flagged_clip_inside_a_nest_keeps_its_marker_in_the_edl(cli, tmp_path):
    src = nest_cut(tmp_path, clip("UNDER", 2))
    out = tmp_path / "nest.edl"
    run = cli("annotate", src, out, "--allow-loss")  # UNDER is hidden by TOP
    assert run.code == 0, run.err
    assert "clip lost" in run.err and '"UNDER"' in run.err
    clips = {c.name: c for c in read(out).find_clips()}
    assert sorted(clips) == ["CAM1", "TOP"]
    assert clips["TOP"].markers[0].name == "AIGATE WARN FINAL-DELIVERABLE-USE"


def test_a_clip_the_format_cannot_hold_fails_and_leaves_nothing(cli, tmp_path):
    src = nest_cut(tmp_path, clip("UNDER", 2))
    out = tmp_path / "out" / "nest.edl"
    run = cli("annotate", src, out)
    assert run.code == 2
    [line] = run.err.splitlines()
    assert f"aigate: {out}: not written: EDL cannot hold this cut: " in line
    assert '1 clip lost: V1/nest "UNDER" 01:00:01:00-01:00:03:00' in line
    assert "write .otio to keep everything" in line and "--allow-loss" in line
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_a_flagged_clip_hidden_in_a_nest_is_never_allowed_to_vanish(cli, tmp_path):
    src = nest_cut(tmp_path, clip("DEAGED", 2, DEAGE))
    out = tmp_path / "nest.edl"
    run = cli("annotate", src, out, "--allow-loss")
    assert run.code == 2
    assert '1 verdict not carried: V1/nest "DEAGED"' in run.err
    assert "--allow-loss to write" not in run.err
    assert list(tmp_path.glob("*.edl")) == []
    assert cli("annotate", src, tmp_path / "kept.otio").code == 1  # .otio holds it


def test_aaf_drops_the_inputs_own_markers_so_the_run_fails_unless_allowed(cli, tmp_path):
    sh = clip("SH1", 2, DEAGE)
    sh.markers.append(otio.schema.Marker(name="check focus", marked_range=TimeRange(
        RationalTime(0, RATE), RationalTime(0, RATE))))
    src = write(tmp_path / "cut.otio", timeline([clip("CAM1", 1), sh]))
    out = tmp_path / "cut.aaf"
    run = cli("annotate", src, out)
    assert run.code == 2 and '1 marker lost: cut.aaf: V1 "SH1"' in run.err
    assert not out.exists()
    run = cli("annotate", src, out, "--allow-loss")
    assert run.code == 1 and "--allow-loss: 1 marker lost" in run.err
    [_, back] = read(out).find_clips()
    assert back.metadata["AAF"]["UserComments"]["AIGATE"].startswith("LOCK talent-consent")


def test_reel_and_clip_names_an_edl_cannot_hold_are_sanitised(cli, tmp_path):
    odd = clip("SH 1\tfinal", 2, ai())
    odd.metadata["cmx_3600"] = {"reel": "A CAM ROLL 0042"}
    src = write(tmp_path / "cut.otio", timeline([odd]))
    out = tmp_path / "cut.edl"
    run = cli("annotate", src, out)
    assert run.code == 0, run.err
    text = out.read_text()
    assert "001  A_CAM_RO V" in text
    assert "* AIGATE ORIGINAL REEL: A CAM ROLL 0042" in text
    assert read(out).find_clips()[0].markers[0].name.startswith("AIGATE WARN")


def test_fcpx_marker_on_the_flagged_use_of_shared_media_only(cli, tmp_path):
    shared = "media/SHARED.mov"
    clips = [clip("SHARED", 1, url=shared), clip("SHARED", 1, ai(), url=shared),
             clip("SHARED", 1, url=shared)]
    src = write(tmp_path / "cut.otio", timeline(clips))
    out = tmp_path / "cut.fcpxml"
    assert cli("annotate", src, out).code == 0
    assert [len(c.markers) for c in read(out).find_clips()] == [0, 1, 0]


@pytest.mark.parametrize("suffix", ["xml", "fcpxml", "edl"])
def test_clip_names_with_characters_xml_forbids_are_made_safe(cli, tmp_path, suffix):
    src = write(tmp_path / "cut.otio", timeline([clip("SH\x01 1\x1b", 2, ai())]))
    out = tmp_path / f"cut.{suffix}"
    run = cli("annotate", src, out)
    assert run.code == 0, run.err
    [back] = read(out).find_clips()
    assert back.name.strip() == "SH  1".strip() and back.markers
    if suffix == "edl":
        assert "* AIGATE ORIGINAL NAME: 'SH\\x01 1\\x1b'" in out.read_text()


# --- the property: whatever the cut, annotate writes everything or nothing -----------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_names = iter(f"C{i:05d}" for i in range(10**6))


@st.composite
def cuts(draw):
    """Multi-track cuts with gaps, nests (stacks of tracks) and some generated clips."""
    def a_clip():
        return clip(next(_names), draw(st.integers(1, 3)), ai() if draw(st.booleans())
                    else None)

    tl = otio.schema.Timeline(name="prop", global_start_time=RationalTime(86400, RATE))
    for kind, count in ((otio.schema.TrackKind.Video, draw(st.integers(1, 3))),
                        (otio.schema.TrackKind.Audio, draw(st.integers(0, 2)))):
        for n in range(count):
            track = otio.schema.Track(name=f"{kind[0]}{n + 1}", kind=kind)
            for part in draw(st.lists(st.sampled_from(["clip", "gap", "nest"]),
                                      min_size=1, max_size=4)):
                if part == "clip":
                    track.append(a_clip())
                elif part == "gap":
                    track.append(otio.schema.Gap(source_range=TimeRange(
                        RationalTime(0, RATE), RationalTime(12, RATE))))
                else:
                    nest = otio.schema.Stack(name="nest")
                    for _ in range(draw(st.integers(1, 2))):
                        inner = otio.schema.Track(kind=kind)
                        inner.append(a_clip())
                        nest.append(inner)
                    track.append(nest)
            tl.tracks.append(track)
    return tl


def _verdict_on(c: otio.schema.Clip) -> bool:
    if any(m.name.upper().startswith("AIGATE ") for m in c.markers):
        return True
    return "AIGATE" in c.metadata.get("AAF", {}).get("UserComments", {})


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tl=cuts(), suffix=st.sampled_from(["otio", "edl", "xml", "fcpxml", "aaf"]))
def test_annotate_writes_every_clip_and_verdict_or_nothing(cli, tmp_path_factory, tl, suffix):
    folder = tmp_path_factory.mktemp("prop")
    src = write(folder / "cut.otio", tl)
    out = folder / "out" / f"cut.{suffix}"
    run = cli("annotate", src, out)
    written = sorted(out.parent.glob(f"*.{suffix}")) if out.parent.exists() else []
    if run.code == 2:
        assert written == [] and "not written" in run.err and "Traceback" not in run.err
        return
    assert run.code in (0, 1), run.err
    flagged = {c.name for c in tl.find_clips() if "aigate" in c.metadata}
    back = [c for path in written for c in read(path).find_clips()]
    assert {c.name for c in tl.find_clips()} <= {c.name for c in back}
    assert flagged <= {c.name for c in back if _verdict_on(c)}


def test_a_drop_frame_cut_to_edl_carries_its_verdicts_in_the_comments(cli, tmp_path):
    """OTIO's EDL reader skips LOC lines with drop-frame timecodes: the verdict still
    reaches the editor (and the check) in the event's AIGATE comment lines."""
    ntsc = 30000 / 1001
    tl = otio.schema.Timeline(name="df", global_start_time=RationalTime(107892, ntsc))
    track = otio.schema.Track(name="V1")
    for i, declared in enumerate((None, ai(), None)):
        c = clip(f"SH{i}", 1, declared)
        c.source_range = TimeRange(RationalTime(1000 * i, ntsc), RationalTime(90, ntsc))
        track.append(c)
    tl.tracks.append(track)
    out = tmp_path / "df.edl"
    run = cli("annotate", write(tmp_path / "df.otio", tl), out)
    assert run.code == 0, run.err
    assert '  WARN V1 "SH1" 01:00:03;00-01:00:06;00' in run.out
    text = out.read_text()
    assert "01:00:03;00 01:00:06;00\n* FROM CLIP NAME:  SH1" in text
    assert "* AIGATE WARN final-deliverable-use: " in text
