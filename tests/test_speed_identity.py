"""The speed-ups change no answer: the JSON encoder writes what the standard library writes,
byte for byte; clips sharing a provenance get the findings each would get alone; a cached
contract parse is the parse; the import hook's early exit only skips what could find
nothing."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentimelineio.opentime import RationalTime

from aigate.core import stage as stages
from aigate.core.gate import Gate, load_subject
from aigate.core.policy import Hit, Rule, RuleSetting
from aigate.core.provenance import _parse_contract, parse_contract
from aigate.model import Item, Provenance, Severity, Trust
from aigate.run.session import Options, Session
from aigate_otio.files import without_aigate_hooks
from aigate_reports.json_report import _dump
from helpers import SAMPLES, ai, clip, timeline, write
from mediakit import TRAINED, xmp_packet

#: every code point, lone surrogates (undecodable file names) and controls included
ANY_CHAR = st.characters(blacklist_categories=())
HOSTILE = st.one_of(st.text(ANY_CHAR, max_size=12),
                    st.sampled_from(["\x00", "\x1b[2J", "\x7f", "\u2028", "\u202e", "\udcff",
                                     "\ud800", "é", "\U0001f600", "\U0010ffff", "\\", '"']))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | HOSTILE,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(HOSTILE, inner, max_size=4),
    max_leaves=20)


def stdlib(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@settings(max_examples=400, deadline=None, database=None)
@given(JSON_VALUES)
def test_json_encoder_writes_what_the_standard_library_writes(value):
    assert _dump(value) == stdlib(value)


def test_json_encoder_on_each_escape_the_standard_library_makes():
    every = "".join(map(chr, range(0x3000))) + "\U0001f600\U0010ffff"
    assert _dump({"name": every, "k\x00": [every]}) == stdlib({"name": every, "k\x00": [every]})


def test_json_encoder_refuses_what_the_standard_library_refuses():
    import datetime as dt

    for value in ({"when": dt.date(2026, 1, 1)}, [replace], {"path": Path("x")},
                  {"claim": parse_contract({"generated": True}, "s")}):
        with pytest.raises(TypeError):
            stdlib(value)
        with pytest.raises(TypeError):
            _dump(value)


def hostile_cut(folder: Path) -> Path:
    names = ["CAM\x1b[31m1", "SH\u202e2", "ÉTÉ_3", "\U0001f600_4", "DEL\x7f5", 'Q"\\6']
    clips = [clip(n, 1, ai(purpose="temp") if i % 2 else None) for i, n in enumerate(names)]
    plain = write(folder / "cut.otio", timeline(clips, name="nuit\u2028blanche"))
    # an undecodable file name: the report's path holds a lone surrogate
    odd = folder / os.fsdecode(b"cut_\xff.otio")
    plain.rename(odd)
    return odd


@pytest.mark.parametrize("name", ["ep101_cut_v12.otio", "ep102_picture_v3.otio",
                                  "ep101_cut_v12.edl", "ep101_cut_v12.xml", None])
def test_json_report_is_byte_for_byte_the_standard_librarys(cli, tmp_path, name):
    path = SAMPLES / name if name else hostile_cut(tmp_path)
    out = tmp_path / "r.json"
    run = cli("check", path, "--stage", "final", "--format", "json", "--output", out)
    assert run.code in (0, 1)
    text = out.read_text(encoding="utf-8")
    document = json.loads(text)
    assert document["subjects"][0]["items"]  # a real report, with clips
    assert text == stdlib(document) + "\n"
    if name is None:
        assert "\\udcff" in text and "\\u202e" in text and "\\u007f" in text


def shared_provenance_cut(folder: Path) -> Path:
    """The sample cut with every clip twice more under other names: same declarations and
    media, other clip names."""
    with without_aigate_hooks():
        cut = otio.adapters.read_from_file(str(SAMPLES / "ep101_cut_v12.otio"))
    for track in cut.tracks:
        originals = list(track)
        for copy in range(2):
            for child in originals:
                if isinstance(child, otio.schema.Clip):
                    twin = child.deepcopy()
                    twin.name = f"{child.name}_{copy}"
                    track.append(twin)
    return write(folder / "ep101_twins.otio", cut)


@pytest.mark.parametrize("stage", ["edit", "final"])
def test_clips_sharing_a_provenance_get_the_findings_each_gets_alone(tmp_path, stage):
    path = shared_provenance_cut(tmp_path)
    gate = Session(Options(config=SAMPLES / "aigate.yaml")).gate(path)
    request = stages.Request.read(stage, "--stage")
    (collected,) = gate.collect(load_subject(gate.plugins, path), path)
    together = gate.check_collected(collected, request, path, path).items
    alone = [gate.check_collected(replace(collected, items=[item]), request, path, path)
             .items[0] for item in collected.items]
    assert together == tuple(alone)
    flagged = [r for r in together if r.findings]
    assert len(flagged) >= 6  # the test holds findings to compare
    assert any(f.approval for r in together for f in r.findings)  # waivers compared too


def _rule(reads_item: bool, calls: list[str]) -> Rule:
    def check(item, prov, policy):
        calls.append(item.clip)
        if item.clip.startswith("TEMP"):
            yield Hit(f"{item.clip} is a temp")
    kwargs = {} if reads_item else {"reads_item": False}
    return Rule(id="temp-name", title="t", category="c", guideline="g", trigger="t",
                remediation="r", check=check, **kwargs)


def _items() -> list[Item]:
    return [Item("V1", "Video", name, i, 24.0, 24.0 * i, 24.0 * i + 24)
            for i, name in enumerate(["TEMP_a", "final_b", "TEMP_c", "final_d"])]


def test_a_rule_is_judged_clip_by_clip_unless_it_declares_it_ignores_the_item():
    """Declared, not inferred: a rule reading the item (the default) is judged per clip
    even where clips share a provenance; one declaring ``reads_item=False`` is judged once
    per provenance and its hits shared."""
    provenance = Provenance(ai=True)
    setting = RuleSetting(severity={"edit": Severity.WARN})
    for reads_item, expected_calls in ((True, 4), (False, 1)):
        calls: list[str] = []
        rule, shared = _rule(reads_item, calls), {}
        fired = [any(hits for *_, hits in Gate._rule_hits(
            item, provenance, "edit", None, [(rule, setting)], shared)) for item in _items()]
        assert len(calls) == expected_calls
        # per clip: only the TEMP clips; shared: the first clip's answer for all of them
        assert fired == ([True, False, True, False] if reads_item else [True] * 4)


def test_the_built_in_rules_that_read_the_item_say_so():
    """The guidance pack's rules that look at a clip's declared metadata (a disclosure
    label, a synthetic performer) keep the default; every other one declares it ignores
    the item, so clips sharing a provenance share its hits."""
    from aigate_guidance import DATED_RULES, RULES

    reading = {r.id for r in (*RULES, *DATED_RULES) if r.reads_item}
    assert reading == {"deepfake-disclosure", "synthetic-performer"}


CONTRACT_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=True)
    | st.sampled_from([1, 1.0, True, 0.0, -0.0, "final", "temp", "Firefly", "likeness"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["v", "generated", "tool", "name", "purpose", "role", "talent",
                         "use", "inputs", "approvals", "digital_source_type", "x"]),
        inner, max_size=5),
    max_leaves=12)


@settings(max_examples=400, deadline=None, database=None)
@given(st.lists(CONTRACT_VALUES, min_size=1, max_size=4))
def test_a_cached_contract_parse_is_the_parse(values):
    for raw in values + values:  # the second round comes from the cache
        cached = parse_contract(raw, "clip metadata", Trust.CLAIMED, True)
        fresh = _parse_contract(raw, "clip metadata", Trust.CLAIMED, True)
        if any(isinstance(p, str) and "nan" in p for p in fresh.problems):
            assert cached.problems == fresh.problems
        else:
            assert cached == fresh


def test_values_equal_in_python_but_not_in_json_are_parsed_apart():
    """1 == True and 0.0 == -0.0 in Python (same hash): a cache keyed on values alone would
    hand one the other's claim."""
    assert parse_contract({"generated": True}, "s").generated
    flagged = parse_contract({"generated": 1}, "s")
    assert not flagged.generated and flagged.problems == (
        "'generated' is int 1, expected true or false",)
    assert parse_contract({"generated": True}, "s").problems == ()
    zero = parse_contract({"v": 0.0, "generated": True}, "s").problems
    minus = parse_contract({"v": -0.0, "generated": True}, "s").problems
    assert zero == ("contract version 0.0 is not supported (expected 1)",)
    assert minus == ("contract version -0.0 is not supported (expected 1)",)


DEAGE = ai(purpose="temp", talent=[{"name": "Ray Holt", "use": "likeness"}])


@pytest.fixture
def no_config(monkeypatch):
    for name in ("AIGATE_STAGE", "AIGATE_CONFIG", "AIGATE_DISABLE", "AIGATE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)


def read_logged(path: Path, caplog: pytest.LogCaptureFixture) -> str:
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="aigate.otio"):
        otio.adapters.read_from_file(str(path))
    return caplog.text


def test_import_hook_early_exit_still_sees_metadata_anywhere(tmp_path, caplog, no_config):
    nested = otio.schema.Stack(name="comp", children=[clip("SH9", 2, DEAGE)])
    deep = timeline([clip("CAM1"), nested])
    on_media = timeline([clip("CAM1"), clip("SH2", 2, media_aigate=DEAGE)])
    on_timeline = timeline([clip("CAM1")], metadata={"stage": "final"})
    assert "LOCK, 1 of 2 clips flagged" in read_logged(write(tmp_path / "d.otio", deep), caplog)
    assert "LOCK, 1 of 2 clips flagged" in read_logged(write(tmp_path / "m.otio", on_media),
                                                       caplog)
    assert "PASS, 0 of 1 clips flagged" in read_logged(write(tmp_path / "t.otio", on_timeline),
                                                       caplog)
    inactive = clip("SH3", 2)  # the proxy plays; the full resolution declares AI
    full = otio.schema.ExternalReference(target_url="media/SH3_full.mov")
    full.metadata["aigate"] = DEAGE
    inactive.set_media_references({"DEFAULT_MEDIA": inactive.media_reference, "FULL": full},
                                  "DEFAULT_MEDIA")
    assert "LOCK, 1 of 2 clips flagged" in read_logged(
        write(tmp_path / "i.otio", timeline([clip("CAM1"), inactive])), caplog)
    clean = write(tmp_path / "c.otio", timeline([clip("CAM1"), clip("CAM2")]))
    # answered without the gate: the line says the clips' times were not looked at
    assert ("import check of 'cut': PASS, 0 of 2 clips flagged (nothing declared, no "
            "config: times not checked)") in read_logged(clean, caplog)


def test_import_hook_does_not_skip_a_timeline_a_config_governs(tmp_path, caplog, no_config):
    """A timeline with no metadata at all is still checked where a config could make a claim
    about it (here: a path pattern on clip names)."""
    show = tmp_path / "show"
    path = write(show / "cut.otio", timeline([clip("CAM1"), clip("GEN_sky_v1")]))
    assert "0 of 2 clips flagged" in read_logged(path, caplog)
    (show / "aigate.yaml").write_text("patterns: ['GEN_*']\n")
    assert "WARN, 1 of 2 clips flagged" in read_logged(path, caplog) or \
        "LOCK, 1 of 2 clips flagged" in read_logged(path, caplog)


def test_import_hook_reads_media_where_a_config_governs_the_file(tmp_path, caplog, no_config):
    """An XMP sidecar declaring generated media: the import check judges what the timeline
    declares where no config governs the file (no media read), and reads the media, as
    ``aigate check`` always does, once a config governs it."""
    show = tmp_path / "show"
    (show / "media").mkdir(parents=True)
    (show / "media" / "SH1.mov").write_bytes(b"\x00" * 64)
    (show / "media" / "SH1.xmp").write_text(xmp_packet(TRAINED, "attribute", "Midjourney"))
    path = write(show / "cut.otio", timeline([clip("CAM1"), clip("SH1")]))
    assert "PASS, 0 of 2 clips flagged" in read_logged(path, caplog)
    (show / "aigate.yaml").write_text("show: NIGHTFALL\n")
    logged = read_logged(path, caplog)
    assert "1 of 2 clips flagged" in logged and "Midjourney" in logged


DECLARATIONS = st.sampled_from([None, ai(), DEAGE, ai(purpose="temp"), "not-a-mapping",
                                {"v": 1, "generated": False}, ai(depicts_real_events=True)])


@st.composite
def cuts(draw: Any) -> otio.schema.Timeline:
    """Tracks of clips, gaps, transitions and nested stacks and tracks, some clips declaring
    (on the clip, the active media reference or an inactive one), some not."""
    counter = iter(range(10_000))
    timings = draw(st.sampled_from([USUAL_TIMINGS, TIMINGS]))  # half the cuts all usual

    def one_clip() -> otio.schema.Clip:
        n = next(counter)
        made = clip(f"SH{n}", draw(st.integers(1, 5)), draw(DECLARATIONS),
                    media_aigate=draw(DECLARATIONS))
        timing = draw(timings)
        if timing == "no source range":  # plays its media's available range
            made.source_range = None
        elif timing in ("image sequence", "image sequence at an odd rate"):
            made.media_reference = otio.schema.ImageSequenceReference(
                target_url_base="frames/", name_prefix=f"SH{n}.", name_suffix=".exr",
                rate=24 if timing == "image sequence" else draw(
                    st.sampled_from([float("nan"), 1e300])),
                available_range=made.media_reference.available_range,
                metadata=dict(made.media_reference.metadata))
        elif timing is not None:
            start, duration = timing
            made.source_range = otio.opentime.TimeRange(start, duration)
        if draw(st.booleans()):
            full = otio.schema.ExternalReference(target_url=f"media/SH{n}_full.mov")
            if (value := draw(DECLARATIONS)) is not None:
                full.metadata["aigate"] = value
            made.set_media_references({"DEFAULT_MEDIA": made.media_reference, "FULL": full},
                                      "DEFAULT_MEDIA")
        return made

    def children(depth: int) -> list[otio.core.Composable]:
        out: list[otio.core.Composable] = []
        for kind in draw(st.lists(st.sampled_from(["clip", "clip", "gap", "transition",
                                                   "stack", "track"]), max_size=6)):
            if kind == "clip":
                out.append(one_clip())
            elif kind == "gap":
                out.append(otio.schema.Gap(duration=RationalTime(draw(st.integers(1, 30)), 24)))
            elif kind == "transition" and out and isinstance(out[-1], otio.schema.Clip):
                out.append(otio.schema.Transition(in_offset=RationalTime(1, 24),
                                                  out_offset=RationalTime(1, 24)))
            elif kind in ("stack", "track") and depth < 2:
                nested = (otio.schema.Stack if kind == "stack" else otio.schema.Track)(
                    name=draw(st.sampled_from(["", "comp"])))
                nested.extend(c for c in children(depth + 1)
                              if not isinstance(c, otio.schema.Transition) or kind == "track")
                out.append(nested)
        while out and isinstance(out[-1], otio.schema.Transition):
            out.pop()
        return out

    tracks = draw(st.integers(1, 3))
    cut = timeline(*(children(0) for _ in range(tracks)))
    for _ in range(draw(st.integers(0, 2))):  # a clip straight in the stack of tracks
        cut.tracks.insert(draw(st.integers(0, len(cut.tracks))), one_clip())
    return cut


#: a clip's source range: as made (None), none at all, mixed rates (drop-frame 29.97 and
#: 23.976 in a 24 fps cut), and times the gate refuses (a rate of 0 or above the limit, an
#: absurd or NaN start, a negative duration), or an image sequence whose frames cannot be
#: counted: a clip declaring nothing that the full collection refuses must fail the
#: declared-only collection too
USUAL = [None, None, None, None, "no source range", "image sequence",
         (RationalTime(7, 30000 / 1001), RationalTime(59, 30000 / 1001)),
         (RationalTime(0, 24000 / 1001), RationalTime(47, 24000 / 1001))]
USUAL_TIMINGS = st.sampled_from(USUAL)
TIMINGS = st.sampled_from([
    *USUAL, "image sequence at an odd rate",
    (RationalTime(0, 0), RationalTime(48, 24)),
    (RationalTime(0, 24), RationalTime(48, 2e6)),
    (RationalTime(1e15, 24), RationalTime(48, 24)),
    (RationalTime(float("nan"), 24), RationalTime(48, 24)),
    (RationalTime(0, 24), RationalTime(-48, 24)),
    (RationalTime(0, 24), RationalTime(1e15, 24)),
])


def checked(gate: Gate, cut: otio.schema.Timeline) -> Any:
    """The check's one result, or the one line of the error it ends in."""
    from aigate.api import AigateError

    try:
        [result] = gate.check(cut, stage="import")
    except AigateError as exc:
        return str(exc)
    return result


@settings(max_examples=60, deadline=None, database=None)
@given(cuts())
def test_collecting_only_declaring_clips_gives_each_of_them_its_full_check_result(cut):
    """The import hook without a config collects only the clips that declare something:
    each of those gets exactly the result (record times, findings, verdict) it gets when the
    whole cut is collected, and every clip it leaves out passes there."""
    session = Session(Options())
    whole = replace(session.gate(None), read_media=False)
    declared = replace(whole, declared_only=True)
    full, only = checked(whole, cut), checked(declared, cut)
    if isinstance(full, str) or isinstance(only, str):  # a cut the gate refuses
        assert only == full
        return
    assert [r for r in only.items if r.item.declared] == \
        [r for r in full.items if r.item.declared]
    assert all(r.verdict is Severity.PASS and not r.findings
               for r in (*full.items, *only.items) if not r.item.declared)
    assert only.verdict is full.verdict


#: surrogates escaped in YAML ("\ud83d\ude00"): a pair must not come back as one character
SURROGATES = st.sampled_from(["\ud83d\ude00", "a\udbff\udfffb", "\udcff", "\ud800"])
YAML_TEXT = st.text(ANY_CHAR, max_size=8) | SURROGATES
#: the offsets a YAML timestamp can write (hours and minutes)
ZONES = [dt.UTC, dt.timezone(dt.timedelta(hours=-5)),
         dt.timezone(dt.timedelta(hours=5, minutes=30)),
         dt.timezone(dt.timedelta(hours=-23, minutes=-59))]
YAML_SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
                | st.integers(min_value=2**64) | st.floats(allow_nan=True) | YAML_TEXT
                | st.dates() | st.datetimes(timezones=st.none() | st.sampled_from(ZONES)))
YAML_VALUES = st.recursive(
    YAML_SCALARS,
    lambda inner: st.lists(inner, max_size=4)
    # two NaN keys are two keys to Python and one repeated key to the loader (refused)
    | st.dictionaries(st.one_of(YAML_TEXT, st.integers(), st.booleans(), st.floats()), inner,
                      max_size=4).filter(lambda d: sum(k != k for k in d) < 2),
    max_leaves=16)


def shape(value: Any) -> Any:
    """A parse with its lines and exact types (1 and 1.0 and True apart, NaN equal to itself)."""
    from aigate.config.yamlfile import _List, _Map

    if isinstance(value, _Map):
        # keys too may be NaN (``.nan: x``), which equals nothing, itself included
        return ("map", value.line, [(*shape(k), value.key_lines[k], shape(v))
                                    for k, v in value.items()])
    if isinstance(value, _List):
        return ("list", value.line, list(value.item_lines), [shape(v) for v in value])
    if isinstance(value, float) and value != value:
        return (float, "nan")
    return (type(value), value)


@settings(max_examples=150, deadline=None, database=None)
@given(YAML_VALUES, st.integers(0, 3))
def test_a_remembered_yaml_parse_is_the_parse(tmp_path_factory, value, blank):
    """An unchanged file's parse comes back from the cache: the same values, types and
    lines (what every error message names), PyYAML not asked again."""
    import yaml

    from aigate.config import yamlfile

    folder = tmp_path_factory.mktemp("yaml")
    path = folder / "doc.yaml"
    path.write_text("# comment\n" + "\n" * blank + yaml.safe_dump({"doc": value}),
                    encoding="utf-8")
    first = yamlfile.load(path)
    parsed = yamlfile._parse(path, path.read_text(encoding="utf-8"))
    assert shape(first) == shape(parsed)
    real, parses = yamlfile._parse, []
    yamlfile._parse = lambda *args: parses.append(args) or real(*args)  # type: ignore
    try:
        assert shape(yamlfile.load(path)) == shape(parsed)
    finally:
        yamlfile._parse = real
    # remembered, unless a string holds a surrogate (JSON would join a pair into one)
    assert bool(parses) == any(0xD800 <= ord(c) <= 0xDFFF for c in repr_strings(parsed))


def repr_strings(value: Any) -> str:
    """Every string in a parse, keys included, run together."""
    if isinstance(value, dict):
        return "".join(repr_strings(k) + repr_strings(v) for k, v in value.items())
    if isinstance(value, list):
        return "".join(map(repr_strings, value))
    return value if isinstance(value, str) else ""


def test_a_remembered_parse_another_user_could_write_is_not_used(tmp_path, monkeypatch):
    """A parse kept where anyone may write could say a policy reads otherwise: never read."""
    from aigate.config import yamlfile

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "pack.yaml"
    path.write_text("final: lock\n", encoding="utf-8")
    assert yamlfile.load(path) == {"final": "lock"}
    kept = next((tmp_path / "cache" / "aigate").glob("yaml-*.json"))
    forged = json.loads(kept.read_text(encoding="utf-8"))
    forged["value"]["k"][0][2] = "pass"
    kept.write_text(json.dumps(forged), encoding="utf-8")
    assert yamlfile.load(path) == {"final": "pass"}  # only this user could write it: used
    kept.chmod(0o666)
    assert yamlfile.load(path) == {"final": "lock"}


@pytest.mark.parametrize("value", ["!!int abc", "!!bool maybe", "!!timestamp 'x'", "!!float x",
                                   "9" * 5000, "[1, !!int x]", "{a: 1, a: 2}", "2026-02-30",
                                   "*nothing", "a\n---\nb: 1"])
def test_a_yaml_value_that_cannot_be_read_fails_every_time_naming_file_and_line(
        tmp_path, monkeypatch, value):
    """What PyYAML cannot make of a value (a bare ValueError or KeyError inside it), and
    every other YAML error, is one line naming the file and the line, on every load: an
    error is never remembered as a parse."""
    from aigate.config import yamlfile
    from aigate.errors import InputError

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "aigate.yaml"
    path.write_text(f"show: NIGHTFALL\nstage: {value}\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(InputError) as raised:
            yamlfile.load(path)
        assert re.match(rf"{re.escape(str(path))}:[23]: \S", str(raised.value))
        assert "\n" not in str(raised.value) and len(str(raised.value)) < 300


def test_a_cache_folder_another_user_can_write_is_never_written_into(tmp_path, monkeypatch):
    """A link planted at the name the cache writes through would have the user overwrite
    one of their own files: a cache folder anyone may write is not written at all."""
    from aigate.config import remembered, yamlfile

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / "aigate"
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n", encoding="utf-8")
    path = tmp_path / "pack.yaml"
    path.write_text("final: lock\n", encoding="utf-8")
    key = yamlfile._parse_key(path.read_bytes())
    assert key is not None
    kept = remembered._file("yaml", key)
    import threading

    (folder / f".{kept.name}.{os.getpid()}.{threading.get_ident()}.tmp").symlink_to(victim)
    assert yamlfile.load(path) == {"final": "lock"}
    assert victim.read_text(encoding="utf-8") == "mine\n"
    assert not kept.exists()
