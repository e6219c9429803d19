"""Bounded and blanket-proof (issue 22, class 7): globs match in linear time, a media URL
has a length limit, malformed metadata makes a bounded number of findings per clip, and a
clip glob that matches almost any name is a blanket, whatever its spelling."""

from __future__ import annotations

import fnmatch
import json
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigate.config import globs
from aigate.core.gate import MAX_HITS
from aigate.core.media import MAX_MEDIA_URL
from aigate.core.provenance import MAX_PROBLEMS, parse_contract
from helpers import ai, clip, timeline, write


def _old_regex(pattern: str) -> re.Pattern[str]:
    """The matcher globs used before (a backtracking regex): the reference semantics. With
    re.S: the old one let a newline in a path stop ``**`` (a path that hid from a pattern),
    which the new matcher does not repeat."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z", re.S)


def _old_match(path: str, pattern: str) -> bool:
    path = globs.as_path(path)
    if "/" not in pattern:
        return bool(_old_regex(pattern).match(path.rsplit("/", 1)[-1]))
    if not pattern.startswith(("/", "**")):
        pattern = "**/" + pattern
    return bool(_old_regex(pattern).match(path))


@contextmanager
def finishes_within(seconds: int) -> Iterator[None]:
    """Fails (rather than hangs) when the work does not finish: a pathological input the
    old matcher would work on for hours, under a generous bound; not a timing threshold."""
    def ring(*_: object) -> None:
        raise TimeoutError(f"did not finish within {seconds} s")
    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


PATTERN_PARTS = st.sampled_from(["a", "b", "_", ".", "/", "*", "**", "**/", "?", "[", "]"])
PATH_CHARS = "ab_./[]\n"


@settings(max_examples=1000, deadline=None, database=None)
@given(st.lists(PATTERN_PARTS, max_size=8).map("".join),
       st.text(alphabet=PATH_CHARS, max_size=12))
def test_the_linear_matcher_agrees_with_the_old_one(pattern, path):
    assert globs.match(path, pattern) == _old_match(path, pattern)


@settings(max_examples=500, deadline=None, database=None)
@given(st.lists(st.sampled_from(["a", "b", "_", ".", "*", "?"]), max_size=8).map("".join),
       st.text(alphabet="ab_.", max_size=12))
def test_on_file_names_it_agrees_with_fnmatch(pattern, name):
    # without / and brackets, a name glob means what a shell pattern means
    assert globs.match(name, pattern) == fnmatch.fnmatchcase(name, pattern)


@pytest.mark.parametrize("pattern", ["**/*_gen_*", "*_gen_*", "**/genai/**", "/**/x*y*z"])
def test_a_pathological_path_is_matched_in_one_pass(pattern):
    # the old matcher backtracks over every "_gen_" for each way to split the path: a
    # 400 kB URL takes hours; the automaton reads it once
    hostile = "/" + "_gen_" * 80_000 + "/x"
    assert len(hostile) > 400_000
    with finishes_within(120):
        assert globs.match(hostile, pattern) is False
        assert globs.match("file://" + hostile + "_gen_.mov", pattern) is ("gen_" in pattern)


def test_a_long_clip_name_against_name_globs_is_bounded():
    name = "_gen_" * 80_000
    with finishes_within(120):
        assert globs.match_name(name + "x", "*_gen_*_gen_*y") is False


def show(tmp_path, clips, config: str = "show: T\n"):
    (tmp_path / "aigate.yaml").write_text(config)
    return write(tmp_path / "cut.otio", timeline(clips))


def test_an_overlong_media_url_is_not_resolved_and_locks_at_final(cli, tmp_path):
    url = "media/" + "_gen_" * 80_000 + "/x.mov"
    path = show(tmp_path, [clip("LONG", 2, url=url), clip("OK", 2)],
                config="show: T\npatterns: ['**/*_gen_*', '**/genai/**']\n")
    with finishes_within(300):
        final = cli("check", path, "--stage", "final", "--format", "json")
        edit = cli("check", path, "--stage", "edit", "--format", "json")
    assert final.code == 1 and "Traceback" not in final.err
    long = next(i for i in final.json["subjects"][0]["items"] if i["clip"] == "LONG")
    assert long["verdict"] == "lock"
    missing = next(f for f in long["findings"] if f["rule"] == "media-missing")
    assert f"over the limit of {MAX_MEDIA_URL}" in missing["message"]
    assert len(missing["message"]) < 2000  # the URL is not copied into the finding
    note = next(i for i in edit.json["subjects"][0]["items"] if i["clip"] == "LONG")
    assert f"over the limit of {MAX_MEDIA_URL}" in note["media_note"]


def test_malformed_metadata_makes_a_bounded_number_of_findings(cli, tmp_path):
    talent = [{"name": f"Extra {n}", "use": "likeness"} for n in range(3000)]
    fields = {"inputs": list(range(100_000)), "talent": talent,
              "purpose": "x" * 500_000, "approvals": [7] * 50_000}
    path = show(tmp_path, [clip("HUGE", 2, ai(**fields)), clip("FINE", 2, ai())])
    size = path.stat().st_size
    with finishes_within(300):
        run = cli("check", path, "--stage", "final", "--format", "json")
    assert run.code == 1 and "Traceback" not in run.err
    huge = next(i for i in run.json["subjects"][0]["items"] if i["clip"] == "HUGE")
    assert huge["verdict"] == "lock"
    by_rule: dict[str, int] = {}
    for finding in huge["findings"]:
        by_rule[finding["rule"]] = by_rule.get(finding["rule"], 0) + 1
    assert by_rule["talent-consent"] == MAX_HITS + 1  # 32 named, one counting the rest
    assert "2968 more reason(s)" in huge["findings"][-1]["message"] or any(
        "2968 more reason(s)" in f["message"] for f in huge["findings"])
    assert max(by_rule.values()) <= MAX_HITS + 1
    malformed = next(f for f in huge["findings"] if f["rule"] == "provenance-malformed")
    assert "more problem(s) not listed" in malformed["message"]
    assert len(malformed["message"]) < 20_000  # not the size of the input
    # the whole report is a fraction of the input, not a multiple of it
    assert len(run.out) < size


def test_a_claims_problems_are_bounded_and_values_cut_short():
    claim = parse_contract({"generated": True, "inputs": [None] * 10_000,
                            "purpose": "p" * 1_000_000, "v": 10 ** 5000}, "clip metadata")
    assert len(claim.problems) == MAX_PROBLEMS + 1
    assert claim.problems[-1].endswith("more problem(s) not listed")
    assert sum(map(len, claim.problems)) < 10_000
    assert claim.generated  # what could be read still counts


# a clip glob matching almost any name is a blanket, however it is spelled: character
# classes and ?-led patterns included
ALMOST_ANY = ["[A-Z]*", "[A-Z][0-9]*", "[!a-z]*", "?[!Z]*", "*[0-9][0-9]*", "[0-9]*",
              "[!q]*", "*[!#]*", "[a-zA-Z]*", "?*[A-Za-z0-9]*"]
NARROW = ["SH*", "SH0*", "GFX_poster_bg_*", "A001C*", "*_gen_*", "POSTER*", "[A-M]*",
          "*comp*", "VFX_0420_*", "SH1"]


@pytest.mark.parametrize("pattern", ALMOST_ANY)
def test_globs_matching_almost_any_name_are_blankets(pattern):
    assert globs.blanket(pattern, globs.CLIPS)


@pytest.mark.parametrize("pattern", NARROW)
def test_globs_naming_something_are_not_blankets(pattern):
    assert not globs.blanket(pattern, globs.CLIPS)


@settings(max_examples=80, deadline=None, database=None)
@given(st.sampled_from(["[A-Z]", "[!a-z]", "?", "[A-Za-z]", "[!_]"]),
       st.sampled_from(["*", "?*", "*[0-9]*", "[0-9]*", "???*"]))
def test_a_class_or_any_character_then_anything_is_a_blanket(head, tail):
    # a leading class or ? followed by a wildcard run names no particular clip
    assert globs.blanket(head + tail, globs.CLIPS)


def test_a_character_class_blanket_approval_is_refused_without_all_clips(cli, tmp_path):
    from test_approvals import Legal

    legal = Legal(tmp_path, cli)
    legal.approval(scope="{clips: ['[A-Z]*']}")
    finding, run = legal.sh1()
    assert run.code == 1 and finding["severity"] == "lock"
    assert "scope '[A-Z]*' covers every clip; a blanket approval must say all_clips: true" \
        in finding["message"]
    legal.approval(scope="{clips: ['[A-Z]*'], all_clips: true}")
    finding, run = legal.sh1()
    assert finding["approval"] == "APR-1" and "BLANKET approval" in run.err


def test_the_report_of_a_huge_metadata_clip_is_valid_json(cli, tmp_path):
    path = show(tmp_path, [clip("X", 2, ai(talent=[7] * 20_000))])
    run = cli("check", path, "--format", "json")
    json.dumps(run.json)
    x = run.json["subjects"][0]["items"][0]
    assert len(x["findings"]) <= 2 * (MAX_HITS + 1)
