"""The fast .otio/.otioz path against OTIO's own reader: the same items, field by field, and
the same reports byte for byte, on generated edge cases, crafted JSON, every sample and the
public corpus (tests/corpus, when present). Wherever it declines, OTIO's reader answers."""

from __future__ import annotations

import json
import pickle
import tempfile
import zipfile
from dataclasses import fields
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from opentimelineio.opentime import RationalTime, TimeRange

from aigate.errors import InputError
from aigate.model import Collected, Item
from aigate_otio import fastread, files
from aigate_otio.collect import collect_timeline, timelines
from aigate_otio.otiojson import Unsupported, rapidjson_number
from helpers import ROOT, SAMPLES, ai, clip, run_process, timeline, write

# hypothesis keeps its example database and caches out of the repository
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "aigate-hypothesis")
CORPUS = ROOT / "tests" / "corpus"
NTSC = (24000 / 1001, 30000 / 1001, 60000 / 1001, 23.976, 29.97, 59.94)
RATES = (24.0, 25.0, 30.0, 48.0, 50.0, 60.0, 12.5, *NTSC)


# --- comparing the two paths ---------------------------------------------------------------

def strict(value: Any) -> Any:
    """A value with what == glosses over made visible: float bits, dict key order, types."""
    if isinstance(value, float):
        return ("float", value.hex())
    if isinstance(value, dict):
        return ("dict", [(k, strict(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [strict(v) for v in value])
    return (type(value).__name__, value)


def shape(collected: Collected) -> Any:
    items = [[(f.name, strict(getattr(i, f.name))) for f in fields(Item)]
             for i in collected.items]
    return collected.name, strict(dict(collected.metadata)), collected.host, items


def by_otio(path: Path) -> Any:
    """What the gate collects when OTIO reads the file (or the error it stops with)."""
    try:
        return [shape(collect_timeline(t)) for t in timelines(files.read(path)) or ()]
    except Exception as exc:
        return ("error", type(exc).__name__)


def by_fast_path(path: Path) -> Any:
    """What the fast path collects, or None where it declines."""
    try:
        return [shape(c) for c in fastread.read(path).collected]
    except Unsupported:
        return None


def same_items(path: Path) -> bool:
    """The fast path's items equal OTIO's; True when the fast path read the file."""
    fast, slow = by_fast_path(path), by_otio(path)
    if fast is None:
        return False
    assert fast == slow, path
    return True


# --- generated timelines -------------------------------------------------------------------

names = st.text(st.characters(codec="utf-8"), max_size=6)  # no lone surrogates
rates = st.sampled_from(RATES)
values = st.one_of(st.integers(0, 3000).map(float),
                   st.floats(0, 1e6, allow_nan=False, allow_infinity=False),
                   st.floats(0, 100, allow_nan=False).map(lambda v: v * 1001 / 24000))
aigate_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2 ** 63), 2 ** 63 - 1) | names
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=4),
    max_leaves=8)


@st.composite
def times(draw: st.DrawFn, rate: float | None = None) -> RationalTime:
    return RationalTime(draw(values), rate or draw(rates))


@st.composite
def ranges(draw: st.DrawFn) -> TimeRange:
    return TimeRange(draw(times()), draw(times()))


@st.composite
def references(draw: st.DrawFn) -> otio.core.MediaReference:
    kind = draw(st.sampled_from(("external", "external", "missing", "sequence", "generator")))
    if kind == "external":
        ref = otio.schema.ExternalReference(target_url=draw(names))
    elif kind == "missing":
        ref = otio.schema.MissingReference()
    elif kind == "sequence":
        ref = otio.schema.ImageSequenceReference(
            target_url_base=draw(st.sampled_from(("", "/shots/a", "/shots/b/"))),
            name_prefix=draw(names), name_suffix=".exr", start_frame=1001, rate=24)
    else:
        ref = otio.schema.GeneratorReference(generator_kind="bars")
    if draw(st.booleans()):
        ref.available_range = draw(ranges())
    if draw(st.booleans()):
        ref.metadata["aigate"] = draw(aigate_values)
    return ref


@st.composite
def clips(draw: st.DrawFn) -> otio.schema.Clip:
    # without a source range a clip takes its active media's range; OTIO's reader stops
    # without either (then the fast path must decline), so keep that case rare
    rare = draw(st.integers(0, 5)) == 0
    item = otio.schema.Clip(name=draw(names), source_range=None if rare else draw(ranges()))
    refs = draw(st.lists(references(), min_size=0, max_size=3))
    if refs:
        keys = ["DEFAULT_MEDIA", *(f"alt{i}" for i in range(1, len(refs)))]
        active = draw(st.sampled_from(keys))
        item.set_media_references(dict(zip(keys, refs, strict=True)), active)
    if draw(st.booleans()):
        item.metadata["aigate"] = draw(aigate_values)
    if draw(st.booleans()):
        item.metadata["other"] = {"note": draw(names)}
    if draw(st.integers(0, 4)) == 0:
        item.markers.append(otio.schema.Marker(name=draw(names), marked_range=draw(ranges()),
                                               metadata={"aigate": {"verdict": "warn"}}))
    if draw(st.integers(0, 5)) == 0:
        item.effects.append(otio.schema.Effect(effect_name="blur"))
    item.enabled = draw(st.booleans())
    return item


def composables(depth: int) -> st.SearchStrategy[Any]:
    leaves = [clips(), clips(),
              ranges().map(lambda r: otio.schema.Gap(source_range=r)),
              st.builds(lambda a, b: otio.schema.Transition(in_offset=a, out_offset=b),
                        times(), times())]
    if depth > 0:
        leaves.append(compositions(depth - 1))
    return st.one_of(*leaves)


@st.composite
def compositions(draw: st.DrawFn, depth: int = 2) -> otio.core.Composition:
    if draw(st.booleans()):
        kind = draw(st.sampled_from(("Video", "Audio", "Other")))
        node = otio.schema.Track(name=draw(names), kind=kind)
    else:
        node = otio.schema.Stack(name=draw(names))
    for child in draw(st.lists(composables(depth), max_size=8)):
        node.append(child)
    node.source_range = draw(st.none() | ranges())
    return node


@st.composite
def timelines_(draw: st.DrawFn) -> otio.schema.Timeline:
    tl = otio.schema.Timeline(name=draw(names))
    if draw(st.booleans()):
        tl.global_start_time = draw(times())
    for track in draw(st.lists(compositions(), max_size=4)):
        tl.tracks.append(track)
        if draw(st.integers(0, 6)) == 0:  # clips, gaps, transitions straight in the stack
            tl.tracks.append(draw(composables(0)))
    if draw(st.integers(0, 6)) == 0:
        tl.tracks.append(draw(clips()))  # a clip straight in the stack of tracks
    if draw(st.booleans()):
        tl.metadata["aigate"] = draw(aigate_values)
    return tl


def write_text(folder: Path, text: str, name: str = "cut.otio") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tl=timelines_(), clip_v1=st.booleans())
def test_generated_timelines_give_otios_items_field_by_field(tl, clip_v1):
    versions = {"Clip": 1} if clip_v1 else None
    text = otio.adapters.otio_json.write_to_string(tl, target_schema_versions=versions)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_text(Path(tmp), text)
        fast, slow = by_fast_path(path), by_otio(path)
        if fast is not None:
            assert fast == slow
        else:  # declined only where OTIO itself stops (a clip without any duration)
            assert slow[0] == "error"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tls=st.lists(timelines_(), min_size=1, max_size=3))
def test_collections_and_otioz_bundles_give_otios_items(tls):
    collection = otio.schema.SerializableCollection(name="season", children=tls)
    text = otio.adapters.otio_json.write_to_string(collection)
    with tempfile.TemporaryDirectory() as tmp:
        plain = write_text(Path(tmp), text)
        bundle = Path(tmp) / "cut.otioz"
        with zipfile.ZipFile(bundle, "w") as zf:
            zf.writestr("content.otio", text)
            zf.writestr("version.txt", "1.0.0")
        for path in (plain, bundle):
            fast, slow = by_fast_path(path), by_otio(path)
            assert fast == slow if fast is not None else slow[0] == "error"


# --- hand-made edge cases ------------------------------------------------------------------

def edge_cases() -> dict[str, otio.schema.Timeline]:
    ntsc = 24000 / 1001
    cases: dict[str, otio.schema.Timeline] = {}
    # transitions at both edges of a track, and in the middle, around gaps and clips
    track = otio.schema.Track(name="V1")
    track.append(otio.schema.Transition(in_offset=RationalTime(6, 24),
                                        out_offset=RationalTime(6, 24)))
    track.append(clip("a", aigate=ai()))
    track.append(otio.schema.Gap(source_range=TimeRange(RationalTime(0, 24),
                                                        RationalTime(12, 24))))
    track.append(otio.schema.Transition(in_offset=RationalTime(3, 24),
                                        out_offset=RationalTime(3, 24)))
    track.append(clip("b"))
    track.append(otio.schema.Transition(in_offset=RationalTime(4, 24),
                                        out_offset=RationalTime(5, 24)))
    edges = otio.schema.Timeline(name="edges", global_start_time=RationalTime(86400, 24))
    edges.tracks.append(track)
    cases["transitions at track edges"] = edges
    # nested stacks and tracks, trimmed, with edge transitions inside the nested track
    inner = otio.schema.Track(name="inner")
    inner.append(otio.schema.Transition(in_offset=RationalTime(2, 24),
                                        out_offset=RationalTime(2, 24)))
    inner.extend([clip("n1"), clip("n2", aigate=ai())])
    inner.source_range = TimeRange(RationalTime(10, 24), RationalTime(30, 24))
    stack = otio.schema.Stack(name="comp", children=[inner, clip("s1")])
    stack.source_range = TimeRange(RationalTime(5, 24), RationalTime(40, 24))
    cases["nested stacks and tracks"] = timeline([clip("x"), stack, clip("y")])
    # NTSC and drop-frame rates, mixed in one track, no global start time
    def mixed() -> list[otio.schema.Clip]:
        found = []
        for i, rate in enumerate((ntsc, 30000 / 1001, 60000 / 1001, 23.976, 29.97, 25.0)):
            c = clip(f"r{i}")
            c.source_range = TimeRange(RationalTime(1001 * i + 0.5, rate),
                                       RationalTime(48, rate))
            found.append(c)
        return found
    cases["NTSC rates, no start"] = timeline(mixed(), start_tc=None)
    drop = otio.schema.Timeline(name="df", global_start_time=RationalTime(107892, 30000 / 1001))
    t = otio.schema.Track()
    t.extend(mixed())
    drop.tracks.append(t)
    cases["drop-frame start"] = drop
    # audio tracks and empty tracks, unnamed (names from the kind)
    av = otio.schema.Timeline(name="av")
    for kind, children in (("Audio", [clip("a1")]), ("Video", []), ("Audio", []),
                           ("Video", [clip("v1", aigate="not-a-mapping")])):
        tr = otio.schema.Track(kind=kind)
        tr.extend(children)
        av.tracks.append(tr)
    cases["audio and empty tracks"] = av
    # several media references; the active one decides the url and the media metadata
    multi = clip("multi")
    multi.set_media_references({
        "DEFAULT_MEDIA": otio.schema.ExternalReference(target_url="proxy.mov"),
        "high": otio.schema.ExternalReference(target_url="hires.exr",
                                              metadata={"aigate": ai(tool={"name": "X"})})},
        "high")
    seq = clip("seq")
    seq.media_reference = otio.schema.ImageSequenceReference(
        target_url_base="/shots/010", name_prefix="plate.", name_suffix=".exr", rate=24)
    no_range = otio.schema.Clip(name="no range", media_reference=otio.schema.ExternalReference(
        target_url="x.mov", available_range=TimeRange(RationalTime(5, 25),
                                                      RationalTime(50, 25))))
    cases["multiple media references"] = timeline([multi, seq, no_range])
    # several references, the active one in the middle of the key order, some without a URL,
    # one with the active one's URL, metadata on several
    many = clip("many", aigate=ai())
    many.set_media_references({
        "DEFAULT_MEDIA": otio.schema.ExternalReference(target_url="proxy.mov"),
        "b_same": otio.schema.ExternalReference(target_url="media/many.mov",
                                                metadata={"aigate": {"v": 1}}),
        "a_seq": otio.schema.ImageSequenceReference(
            target_url_base="/shots/020", name_prefix="gen.", name_suffix=".exr", rate=24,
            metadata={"aigate": ai(purpose="temp")}),
        "MEDIA": otio.schema.ExternalReference(target_url="media/many.mov"),
        "gone": otio.schema.MissingReference(metadata={"aigate": {"generated": True}}),
        "é": otio.schema.ExternalReference(target_url="hires.exr")}, "MEDIA")
    cases["several references, all of them counted"] = timeline([many])
    # clips straight in the stack of tracks, around tracks, gaps and nested stacks
    top = otio.schema.Timeline(name="top", global_start_time=RationalTime(90000, 25))
    top.tracks.append(clip("first", aigate=ai()))
    top.tracks.append(otio.schema.Track(name="", children=[clip("in track")]))
    top.tracks.append(otio.schema.Gap(source_range=TimeRange(RationalTime(0, 24),
                                                             RationalTime(48, 24))))
    top.tracks.append(clip("after gap"))
    top.tracks.append(otio.schema.Stack(children=[clip("stacked")]))
    top.tracks.append(otio.schema.Track(name="A1", kind="Audio", children=[clip("a")]))
    cases["clips straight in the stack of tracks"] = top
    # no stated rate: the first picture clip's, wherever it sits (after a gap, nested per
    # channel group), else an audio-only cut's first clip's
    def at(rate: float, name: str) -> otio.schema.Clip:
        return otio.schema.Clip(name=name, source_range=TimeRange(
            RationalTime(0, rate), RationalTime(rate * 2, rate)))
    gap = otio.schema.Gap(source_range=TimeRange(RationalTime(0, 24), RationalTime(9, 24)))
    for picture in (True, False):
        cut = otio.schema.Timeline(name="no rate")
        cut.tracks.append(otio.schema.Track(name="A1", kind="Audio", children=[
            gap.deepcopy(), otio.schema.Stack(children=[
                otio.schema.Track(kind="Audio", children=[at(30, "L")]),
                otio.schema.Track(kind="Audio", children=[at(30, "R")])])]))
        if picture:
            cut.tracks.append(otio.schema.Track(name="V1", children=[
                gap.deepcopy(), otio.schema.Stack(children=[at(25, "pic")])]))
        cases[f"no stated rate, {'picture' if picture else 'audio only'}"] = cut
    return cases


@pytest.mark.parametrize("name", list(edge_cases()))
@pytest.mark.parametrize("clip_version", [1, 2])
def test_edge_cases_give_otios_items(tmp_path, name, clip_version):
    text = otio.adapters.otio_json.write_to_string(
        edge_cases()[name], target_schema_versions={"Clip": clip_version})
    assert same_items(write_text(tmp_path, text))


def test_every_reference_of_a_clip_and_every_clip_in_the_stack_is_an_item(tmp_path):
    path = write(tmp_path / "cut.otio", edge_cases()["several references, all of them counted"])
    assert same_items(path)
    (item,) = fastread.read(path).collected[0].items
    assert item.media_url == "media/many.mov"
    # key order; the inactive image sequence as each frame the clip would play from it
    frames = tuple(f"/shots/020/gen.{n}.exr" for n in range(1, int(item.source_end or 0) + 1))
    assert item.other_media == ("proxy.mov", *frames, "hires.exr")
    assert len(frames) == 48
    assert pickle.loads(pickle.dumps(item)) == item  # as items cross processes (--jobs)
    assert [where for where, _ in item.declared] == [
        "clip", "media_reference:a_seq", "media_reference:b_same", "media_reference:gone"]
    path = write(tmp_path / "top.otio", edge_cases()["clips straight in the stack of tracks"])
    assert same_items(path)
    items = fastread.read(path).collected[0].items
    assert [(i.track, i.clip, i.index, i.record_in) for i in items] == [
        ("V1", "first", 0, "01:00:00:00"), ("V2", "in track", 0, "01:00:00:00"),
        ("V4", "after gap", 0, "01:00:00:00"), ("V5", "stacked", 0, "01:00:00:00"),
        ("A1", "a", 0, "01:00:00:00")]


def test_aigate_metadata_keeps_otios_key_order_and_values(tmp_path):
    # OTIO keeps metadata in a std::map: keys come back sorted by UTF-8 bytes, not as written
    value = {"z": 1, "a": {"é": 2, "b": [1.5, None, True]}, "B": 2 ** 63 - 1, "ä": -0.0}
    tl = timeline([clip("c", aigate=value)])
    path = write(tmp_path / "cut.otio", tl)
    assert same_items(path)
    item = fastread.read(path).collected[0].items[0]
    assert list(item.declared[0][1]) == ["B", "a", "z", "ä"]


# --- crafted JSON: where a general-purpose decoder and OTIO's part ways --------------------

def crafted(clips_json: str) -> str:
    return ('{"OTIO_SCHEMA": "Timeline.1", "name": "t", "tracks": {"OTIO_SCHEMA": "Stack.1",'
            ' "children": [{"OTIO_SCHEMA": "Track.1", "kind": "Video", "children": ['
            + clips_json + "]}]}}")


def rational_json(value: str, rate: str) -> str:
    return '{"OTIO_SCHEMA": "RationalTime.1", "rate": ' + rate + ', "value": ' + value + "}"


def clip_json(name: str, start: str = "0.0", duration: str = "24.0", rate: str = "24.0",
              metadata: str = "{}") -> str:
    return ('{"OTIO_SCHEMA": "Clip.2", "name": "' + name + '", "metadata": ' + metadata
            + ', "source_range": {"OTIO_SCHEMA": "TimeRange.1", "start_time": '
            + rational_json(start, rate) + ', "duration": ' + rational_json(duration, rate)
            + '}, "media_references": {}, "active_media_reference_key": "DEFAULT_MEDIA"}')


def test_repeated_keys_keep_the_first_value_as_otio_does(tmp_path):
    # a crafted file that shows a general decoder (last value wins) a clean clip and OTIO
    # (first value wins) an AI one: the gate must see what OTIO sees
    meta = '{"aigate": {"v": 1, "generated": true}, "aigate": {"v": 1, "generated": false}}'
    text = crafted(clip_json("dup", metadata=meta) + "," + clip_json("dup2", metadata=meta))
    path = write_text(tmp_path, text)
    assert same_items(path)
    first = fastread.read(path).collected[0].items
    assert first[0].declared == (("clip", {"generated": True, "v": 1}),)
    assert first[1].clip == "dup2"


def test_a_key_repeated_in_a_schema_object_is_refused_on_both_paths(tmp_path):
    # OTIO's reader crashes the interpreter on some (tests/test_otio_attacks.py runs those
    # in processes); here a harmless one: both paths give the same one-line refusal
    text = crafted(clip_json("dup").replace('"name": "dup"', '"name": "dup", "name": "x"'))
    path = write_text(tmp_path, text)
    with pytest.raises(InputError, match=r"key 'name' appears twice in a Clip\.2 object"):
        fastread.read(path)
    assert by_otio(path) == ("error", "InputError")


GAP_NO_RANGE = '{"OTIO_SCHEMA": "Gap.1", "name": "g"}'
CLIP1_PLAIN_REF = ('{"OTIO_SCHEMA": "Clip.1", "name": "old", "media_reference": "x.mov", '
                   '"source_range": null, "metadata": {"aigate": {"v": 1}}}')


@pytest.mark.parametrize("what,children", [
    ("a gap without a source range (OTIO's default: zero at rate 1)",
     clip_json("a") + ", " + GAP_NO_RANGE + ", " + clip_json("b")),
    ("Clip.1 with a plain value for its reference (OTIO: a MissingReference)",
     clip_json("a") + ", " + CLIP1_PLAIN_REF.replace('"source_range": null',
                                                     '"source_range": '
                                                     '{"OTIO_SCHEMA": "TimeRange.1", '
                                                     '"start_time": ' + rational_json("1", "25")
                                                     + ', "duration": '
                                                     + rational_json("50", "25") + "}")),
    ("Clip.2 whose active key names no reference",
     clip_json("a").replace('"DEFAULT_MEDIA"}', '"elsewhere"}')),
    ("integers and nulls where OTIO takes them",
     clip_json("a", start="3", duration="48", rate="24").replace('"name": "a"', '"name": null')),
    ("unknown fields kept aside by OTIO",
     clip_json("a").replace('"metadata"', '"studio_field": [1, {"x": 2}], "metadata"')),
])
def test_odd_but_valid_documents_give_otios_items(tmp_path, what, children):
    assert same_items(write_text(tmp_path, crafted(children)))


@pytest.mark.parametrize("literal", ["23.976023976023978", "0.12345678901234567",
                                     "3.4028523500198804e-13", "92184.11070434192541224",
                                     "1e22", "1e23", "5e-324", "18446744073709551615",
                                     "9223372036854775808", "-9223372036854775808"])
def test_long_number_literals_read_as_otio_reads_them(tmp_path, literal):
    duration = literal if "e" in literal or "." in literal else "48"
    meta = '{"aigate": {"v": 1, "n": ' + literal + "}}"
    text = crafted(clip_json("c", start=literal if not literal.startswith("-") else "0",
                             duration=duration, metadata=meta))
    path = write_text(tmp_path, text)
    if literal in ("1e22", "1e23", "18446744073709551615"):  # a time past any timeline:
        # the fast path leaves it to the OTIO side, which refuses it naming the clip
        assert by_fast_path(path) is None and by_otio(path) == ("error", "InputError")
    else:
        assert same_items(path)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,25})?([eE][-+]?[0-9]{1,3})?\Z"))
def test_number_literals_match_otios_json_reader(literal):
    try:
        expected = otio.core.deserialize_json_from_string('{"x": ' + literal + "}")["x"]
    except ValueError:
        expected = "error"
    try:
        got = rapidjson_number(literal)
    except Unsupported:
        got = "error"
    assert strict(got) == strict(expected)


@pytest.mark.parametrize("what,text", [
    ("unknown schema version", crafted(clip_json("c").replace("Clip.2", "Clip.3"))),
    ("unknown schema", crafted(clip_json("c").replace("Clip.2", "Frobnicator.1"))),
    ("time warp effect", crafted(clip_json("c").replace(
        '"media_references"', '"effects": [{"OTIO_SCHEMA": "LinearTimeWarp.1", '
        '"effect_name": "", "time_scalar": 2.0}], "media_references"'))),
    ("malformed time", crafted(clip_json("c", rate='"fast"'))),
    ("NaN", crafted(clip_json("c", start="NaN"))),
    ("lone surrogate", crafted(clip_json("\\ud800"))),
    ("object reference", crafted(clip_json("c").replace(
        '"OTIO_SCHEMA": "Clip.2"', '"OTIO_SCHEMA": "Clip.2", "OTIO_REF_ID": "1"'))),
    ("schema object in aigate metadata", crafted(clip_json("c", metadata=(
        '{"aigate": {"at": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24, "value": 1}}}')))),
    ("not JSON", '{"OTIO_SCHEMA": "Timeline.1",'),
    ("a time value in a collection", '{"OTIO_SCHEMA": "SerializableCollection.1", '
     '"children": [' + crafted(clip_json("c")) + ", " + rational_json("1", "24") + "]}"),
    ("tracks nested 5000 deep", crafted(
        '{"OTIO_SCHEMA": "Stack.1", "children": [' * 5000 + clip_json("deep")
        + "]}" * 5000)),
    ("not a timeline", clip_json("c")),
])
def test_declines_to_otios_reader_and_the_answer_is_the_same(tmp_path, cli, monkeypatch,
                                                              what, text):
    path = write_text(tmp_path, text)
    assert by_fast_path(path) is None
    answers = []
    for fast in ("1", "0"):
        monkeypatch.setenv("AIGATE_FAST", fast)
        run = cli("check", path, "--format", "json")
        answers.append((run.code, run.out, run.err))
    assert answers[0] == answers[1]


# --- whole reports, byte for byte ----------------------------------------------------------

def report_files() -> list[Path]:
    found = sorted(SAMPLES.glob("*.otio"))
    if CORPUS.is_dir():
        found += sorted(CORPUS.glob("**/*.otio")) + sorted(CORPUS.glob("**/*.otioz"))
    return found


@pytest.mark.parametrize("path", report_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_samples_and_corpus_reports_are_byte_identical(cli, monkeypatch, path):
    fast_items = by_fast_path(path)
    if fast_items is not None:
        assert fast_items == by_otio(path)
    for form in ("json", "text"):
        runs = []
        for fast in ("0", "1"):
            monkeypatch.setenv("AIGATE_FAST", fast)
            run = cli("check", path, "--format", form, "--stage", "final")
            runs.append((run.code, run.out, run.err))
        assert runs[0] == runs[1]


def test_check_report_identical_as_processes(tmp_path):
    tl = timeline([clip("plate"), clip("gen", aigate=ai(purpose="temp"))],
                  [clip("sky", aigate=ai(role="background"))])
    path = tmp_path / "cut.otioz"
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("content.otio", otio.adapters.otio_json.write_to_string(tl))
    out = {fast: run_process("check", path, "--format", "json", "--stage", "final",
                             env={"AIGATE_FAST": fast}) for fast in ("0", "1")}
    assert (out["0"].code, out["0"].out) == (out["1"].code, out["1"].out)
    assert out["1"].code == 1 and out["1"].verdicts()["gen"] == "lock"


def test_annotate_from_the_fast_path_writes_the_same_file(tmp_path, cli, monkeypatch):
    tl = timeline([clip("plate"), clip("gen", aigate=ai(purpose="temp"))])
    source = write(tmp_path / "cut.otio", tl)
    written = {}
    for fast in ("0", "1"):
        monkeypatch.setenv("AIGATE_FAST", fast)
        out = tmp_path / f"out{fast}.otio"
        assert cli("annotate", source, out, "--stage", "final").code == 1
        written[fast] = out.read_text()
    assert written["0"] == written["1"]
    assert "AIGATE LOCK" in written["1"]


def test_the_fast_path_reads_plain_otio_without_otios_reader(tmp_path, cli, monkeypatch):
    path = write(tmp_path / "cut.otio", timeline([clip("gen", aigate=ai(purpose="temp"))]))

    def refuse(path: Path) -> Any:
        raise AssertionError("OTIO's reader was used")
    monkeypatch.setattr(files, "read", refuse)
    assert cli("check", path, "--stage", "final", "--format", "json").verdicts() == {
        "gen": "lock"}


def test_a_studio_read_hook_is_honoured_by_declining_the_fast_path(tmp_path):
    # another plugin's post_adapter_read hook changes what OTIO's reader returns (here it
    # tags every clip as generated): the check must see the hooked timeline, not the file
    hook = tmp_path / "studio_hook.py"
    hook.write_text(
        "def hook_function(in_timeline, argument_map=None):\n"
        "    for c in in_timeline.find_clips():\n"
        "        c.metadata['aigate'] = {'v': 1, 'generated': True, 'purpose': 'temp'}\n"
        "    return in_timeline\n")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({
        "OTIO_SCHEMA": "PluginManifest.1",
        "hook_scripts": [{"OTIO_SCHEMA": "HookScript.1", "name": "studio_hook",
                          "filepath": "studio_hook.py"}],
        "hooks": {"post_adapter_read": ["studio_hook"]}}))
    path = write(tmp_path / "cut.otio", timeline([clip("plate")]))
    run = run_process("check", path, "--stage", "final", "--format", "json",
                      env={"OTIO_PLUGIN_MANIFEST_PATH": str(manifest)})
    assert run.verdicts() == {"plate": "lock"}
    # a media linker is OTIO's business too: here it does not exist, and OTIO's reader
    # (so the check) says so instead of the file passing unread by it
    linked = run_process("check", path, "--format", "json",
                         env={"OTIO_DEFAULT_MEDIA_LINKER": "nonexistent_linker"})
    assert "media linker not supported" in linked.json["errors"][0]["message"]


def test_the_switch_forces_otios_reader(tmp_path, cli, monkeypatch):
    path = write(tmp_path / "cut.otio", timeline([clip("a")]))
    used = []
    read = files.read
    monkeypatch.setattr(files, "read", lambda p: used.append(p) or read(p))
    monkeypatch.setenv("AIGATE_FAST", "0")
    assert cli("check", path).code == 0
    assert used == [path]


def test_declines_large_files_and_zip_bombs_so_otios_side_applies_its_limits(tmp_path,
                                                                              monkeypatch):
    text = otio.adapters.otio_json.write_to_string(timeline([clip("a")]))
    plain = write_text(tmp_path, text)
    bomb = tmp_path / "bomb.otioz"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("content.otio", text + " " * (300 * 1024 * 1024 // 100))
    assert by_fast_path(bomb) is None  # inflates more than 200:1
    assert by_fast_path(plain) is not None
    monkeypatch.setattr(fastread, "MAX_BYTES", len(text.encode()) - 1)
    assert by_fast_path(plain) is None
