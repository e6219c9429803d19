"""One hostile file or misbehaving plugin never breaks a run (issue 12): every good file gets
its verdict, every bad file one error line naming it, stdout holds only the report (valid
JSON), the exit code is 2, and --jobs and Dask give byte-identical output."""

from __future__ import annotations

import json
import math
import os
import socket
import tempfile
import zipfile
from pathlib import Path

import aaf2
import opentimelineio as otio
import pytest
from hypothesis import configuration, given, settings
from hypothesis import strategies as st
from opentimelineio.opentime import RationalTime, TimeRange

from aigate.errors import InputError
from aigate_otio.files import check_depth, without_aigate_hooks
from helpers import ai, bytes_read, clip, run_process, timeline, write

# hypothesis keeps its caches outside the repository
configuration.set_hypothesis_home_dir(tempfile.mkdtemp(prefix="aigate-hypothesis-"))

#: a test plugin that misbehaves on clips with these names, from its claims hook
RAISER = '''
from aigate.api import hookimpl

def _deep(n):
    return _deep(n + 1)

@hookimpl
def aigate_claims(items, context):
    for item in items:
        if item.clip == "BOOM":
            raise ValueError("the plugin could not parse this clip")
        if item.clip == "OOM":
            raise MemoryError()
        if item.clip == "RECURSE":
            _deep(0)
        if item.clip == "UNICODE":
            b"\\xff".decode("utf-8")
    return []
'''


def deep_otio(levels: int) -> str:
    """A timeline whose track nests ``levels`` stacks: OTIO's C++ reader crashes the
    interpreter (SIGSEGV) on 20,000."""
    with without_aigate_hooks():  # a fixture is not an export
        inner = otio.adapters.write_to_string(clip("DEEP"), "otio_json")
    head = '{"OTIO_SCHEMA":"Stack.1","name":"s","metadata":{},"source_range":null,"children":['
    track = ('{"OTIO_SCHEMA":"Track.1","kind":"Video","name":"V1","metadata":{},'
             '"source_range":null,"children":[' + head * levels + inner + "]}" * levels
             + "]}")
    return ('{"OTIO_SCHEMA":"Timeline.1","name":"deep","metadata":{},"global_start_time":null,'
            '"tracks":{"OTIO_SCHEMA":"Stack.1","name":"tracks","metadata":{},'
            '"source_range":null,"children":[' + track + "]}}")


def rate_timeline(rate: float, duration: float = 48) -> otio.schema.Timeline:
    bad = otio.schema.Clip(name="BADRATE", source_range=TimeRange(
        RationalTime(0, rate), RationalTime(duration, rate)))
    return timeline([clip("FINE", 2), bad], start_tc=None)


def zip_bomb(path: Path) -> Path:
    """An .otioz whose content.otio inflates 8 MB of spaces from a few kilobytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("content.otio", b" " * (8 * 1024 * 1024) + b"{}")
    return path


def aaf_printing(path: Path) -> Path:
    """A real AAF whose source clip names a slot its master mob lacks: the AAF adapter
    prints "Unable find slot_id..." to stdout while reading it."""
    with aaf2.open(str(path), "w") as f:
        master = f.create.MasterMob("master")
        f.content.mobs.append(master)
        master.create_timeline_slot(25).segment = f.create.Filler("picture", 50)
        comp = f.create.CompositionMob("printing cut")
        f.content.mobs.append(comp)
        sequence = f.create.Sequence(media_kind="picture")
        comp.create_timeline_slot(25).segment = sequence
        source = f.create.SourceClip(media_kind="picture")
        source.mob, source.slot_id, source.length = master, 7, 50
        sequence.components.append(source)
    return path


GOOD = {"a_ai.otio": "warn", "b_pass.otio": "pass", "aaf_prints.aaf": "pass",
        "bad\udcffname.otio": "pass"}
BAD = {
    "broken.otio": "cannot read as OTIO",
    "fifo.otio": "a FIFO, not a regular file: skipped, never opened",
    "socket.otio": "a socket, not a regular file",
    "loop.otio": "symlink loop",
    "deep20000.otio": "levels deep, over the limit of 1000",
    "bomb.otioz": "refused: content.otio would inflate",
    "rate_zero.otio": "clip 'BADRATE': rate 0.0 is not a frame rate",
    "rate_negative.otio": "clip 'BADRATE': rate -24.0 is not a frame rate",
    "rate_nan.otio": "clip 'BADRATE': rate nan is not a frame rate",
    "rate_inf.otio": "clip 'BADRATE': rate inf is not a frame rate",
    "rate_duration_huge.otio": "clip 'BADRATE': rate 2000000.0 is not a frame rate",
    "record_rate_nan.otio": "rate nan is not a frame rate",
    "absurd_duration.otio": 'V1 "BADRATE" (clip 2): time 1e+300 frames',
    "plugin_value.otio": "ValueError: the plugin could not parse this clip at ",
    "plugin_memory.otio": "MemoryError: out of memory at ",
    "plugin_recursion.otio": "RecursionError: nested too deeply to read at ",
    "plugin_unicode.otio": "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff",
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A folder mixing good timelines with one of every hostile kind, and the environment
    loading the misbehaving plugin."""
    root = tmp_path_factory.mktemp("hostile")
    folder = root / "season"
    write(folder / "a_ai.otio", timeline([clip("GEN", 2, {"v": 1, "generated": True})]))
    write(folder / "b_pass.otio", timeline([clip("SH010", 2)]))
    aaf_printing(folder / "aaf_prints.aaf")
    # a name that is not UTF-8 (byte 0xff): Python keeps it as a lone surrogate
    # (OTIO cannot open such a path: the gate reads the bytes itself)
    write(folder / "bad_name.otio", timeline([clip("SH020", 2)])).rename(
        folder / "bad\udcffname.otio")
    (folder / "broken.otio").write_text("{")
    os.mkfifo(folder / "fifo.otio")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(folder / "socket.otio"))
    (folder / "loop.otio").symlink_to("loop.otio")
    (folder / "deep20000.otio").write_text(deep_otio(20_000))
    zip_bomb(folder / "bomb.otioz")
    for name, rate in (("zero", 0.0), ("negative", -24.0), ("nan", math.nan),
                       ("inf", math.inf)):
        write(folder / f"rate_{name}.otio", rate_timeline(rate))
    record = timeline([clip("SH030", 2)], start_tc=None)
    record.global_start_time = RationalTime(0, math.nan)
    write(folder / "record_rate_nan.otio", record)
    write(folder / "absurd_duration.otio", rate_timeline(24, 1e300))
    huge = rate_timeline(24)  # a fine start, a duration over the highest rate
    huge.find_clips()[-1].source_range = TimeRange(RationalTime(0, 24), RationalTime(48, 2e6))
    write(folder / "rate_duration_huge.otio", huge)
    for name, clip_name in (("value", "BOOM"), ("memory", "OOM"), ("recursion", "RECURSE"),
                            ("unicode", "UNICODE")):
        write(folder / f"plugin_{name}.otio", timeline([clip("SH040", 2), clip(clip_name)]))
    plugins = root / "plugins"
    plugins.mkdir()
    (plugins / "aigate_raiser.py").write_text(RAISER)
    env = {"PYTHONPATH": os.pathsep.join((str(plugins), os.environ.get("PYTHONPATH", ""))),
           "AIGATE_PLUGINS": "aigate_raiser"}
    yield folder, env
    listener.close()


def by_name(paths: list[str]) -> list[str]:
    return sorted(Path(os.fsdecode(p)).name for p in paths)


@pytest.fixture(scope="module")
def serial_json(hostile):
    folder, env = hostile
    return run_process("check", folder, "--format", "json", "--jobs", "1", env=env)


def test_every_good_file_gets_its_verdict_and_every_bad_file_one_error(serial_json):
    run = serial_json
    assert run.code == 2, run.err
    report = json.loads(run.out)  # stdout is the report and nothing else
    verdicts = {Path(s["path"]).name: s["verdict"] for s in report["subjects"]}
    assert verdicts == GOOD
    errors = {Path(e["path"]).name: e["message"] for e in report["errors"]}
    assert sorted(errors) == sorted(BAD)
    for name, expected in BAD.items():
        assert expected in errors[name], (name, errors[name])
    summary = report["summary"]
    assert (summary["files"], summary["checked"], summary["failed"],
            summary["not_checked"]) == (len(GOOD) + len(BAD), len(GOOD), len(BAD), 0)
    assert "Traceback" not in run.err and "internal error" not in run.err


def test_a_plugin_exception_names_the_place_it_was_raised(serial_json):
    errors = {Path(e["path"]).name: e["message"] for e in json.loads(serial_json.out)["errors"]}
    assert errors["plugin_value.otio"].endswith("aigate_raiser.py:11 (aigate_claims)")


def test_what_an_adapter_prints_goes_to_stderr_naming_the_file(serial_json):
    assert "Unable find slot_id" not in serial_json.out
    notes = [line for line in serial_json.err.splitlines() if "Unable find slot_id" in line]
    assert len(notes) == 1 and notes[0].startswith("aigate: note: ")
    assert "aaf_prints.aaf: Unable find slot_id: 7 in mob" in notes[0]


@pytest.mark.parametrize("fmt", ["json", "text", "junit"])
def test_jobs_give_byte_identical_stdout_with_hostile_files(hostile, fmt):
    folder, env = hostile
    one = run_process("check", folder, "--format", fmt, "--jobs", "1", env=env)
    two = run_process("check", folder, "--format", fmt, "--jobs", "2", env=env)
    assert (one.code, two.code) == (2, 2), two.err
    assert two.out == one.out
    assert "Unable find slot_id" in two.err and "Unable find slot_id" not in two.out


def test_dask_gives_byte_identical_stdout_with_hostile_files(hostile, serial_json):
    folder, env = hostile
    run = run_process("check", folder, "--format", "json", "--executor", "dask", "--jobs",
                      "2", env=env)
    assert run.code == 2, run.err
    assert run.out == serial_json.out


def test_text_report_escapes_an_undecodable_file_name(hostile):
    folder, env = hostile
    run = run_process("check", folder, "--jobs", "1", env=env)
    assert "bad\\xffname.otio: cut [stage edit" in run.out
    assert run.out.splitlines()[-1].startswith(
        f"summary: {len(GOOD) + len(BAD)} file(s) ({len(GOOD)} checked, {len(BAD)} failed)")


def test_a_depth_bomb_is_refused_the_same_way_in_worker_processes(tmp_path):
    (tmp_path / "deep.otio").write_text(deep_otio(20_000))
    write(tmp_path / "fine.otio", timeline([clip("SH010", 2)]))
    run = run_process("check", tmp_path, "--format", "json", "--jobs", "2")
    assert run.code == 2, run.err
    [error] = run.json["errors"]
    assert "levels deep, over the limit of 1000" in error["message"]
    assert "died" not in error["message"]
    assert [Path(s["path"]).name for s in run.json["subjects"]] == ["fine.otio"]


def test_a_deeply_nested_but_legal_timeline_is_still_checked(tmp_path):
    (tmp_path / "nested.otio").write_text(deep_otio(400))
    run = run_process("check", tmp_path / "nested.otio", "--format", "json")
    assert run.code == 0, run.err
    assert [i["clip"] for i in run.json["subjects"][0]["items"]] == ["DEEP"]


def test_an_honest_otioz_is_read(tmp_path):
    path = tmp_path / "cut.otioz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with without_aigate_hooks():
            archive.writestr("content.otio", otio.adapters.write_to_string(
                timeline([clip("SH010", 2, ai())]), "otio_json"))
    run = run_process("check", path, "--format", "json")
    assert run.json["subjects"][0]["items"][0]["ai"] is True


def test_an_otioz_lying_about_its_size_is_refused(tmp_path):
    path = tmp_path / "liar.otioz"
    with without_aigate_hooks():
        content = otio.adapters.write_to_string(timeline([clip("SH010", 2)]), "otio_json")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("content.otio", content + " " * 4096)
    # the archive says 10 bytes; the stream inflates to far more
    data = bytearray(path.read_bytes())
    real = len(content) + 4096
    for offset in [i for i in range(len(data) - 4) if
                   int.from_bytes(data[i:i + 4], "little") == real]:
        data[offset:offset + 4] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    run = run_process("check", path, "--format", "json")
    assert run.code == 2
    [error] = run.json["errors"]
    assert "liar.otioz" in error["path"]
    assert error["message"] in ("refused: content.otio inflates past the size the archive "
                                "declares", "cannot read as OTIOZ: Bad CRC-32 for file "
                                "'content.otio'")


def test_a_yaml_depth_bomb_in_a_policy_is_one_line(tmp_path):
    (tmp_path / "deep.yaml").write_text("aigate_policy: 1\nrules: " + "[" * 5000 + "]" * 5000)
    write(tmp_path / "cut.otio", timeline([clip("SH010", 2)]))
    run = run_process("check", tmp_path / "cut.otio", "--policy", tmp_path / "deep.yaml")
    assert run.code == 2
    assert run.err.strip().endswith("deep.yaml:2: nested more than 100 levels deep")
    assert "Traceback" not in run.err


@pytest.mark.parametrize("kind", ["folder", "glob"])
def test_nothing_to_check_exits_2_saying_what_was_searched(tmp_path, kind):
    (tmp_path / "notes.txt").write_text("not a timeline")
    (tmp_path / "sub").mkdir()
    target = str(tmp_path) if kind == "folder" else str(tmp_path / "s*")
    run = run_process("check", target, "--format", "json")
    assert run.code == 2
    [error] = run.json["errors"]
    assert error["path"] == target
    if kind == "folder":
        assert error["message"].startswith("no timeline file in this folder (searched "
                                           "recursively for ")
        assert ".otio" in error["message"] and ".edl" in error["message"]
    else:
        assert error["message"] == ("the pattern matches 1 folder(s) or other entries but "
                                    "no timeline file")


def test_the_library_never_raises_for_a_plugin_bug(tmp_path, monkeypatch):
    """Session.outcome is the isolation point the CLI, --jobs and Dask all go through."""
    from aigate.model import FailedFile
    from aigate.run.session import Session

    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "aigate_raiser.py").write_text(RAISER)
    monkeypatch.syspath_prepend(str(plugins))
    monkeypatch.setenv("AIGATE_PLUGINS", "aigate_raiser")
    path = write(tmp_path / "cut.otio", timeline([clip("BOOM")]))
    outcome = Session().outcome(path)
    assert isinstance(outcome, FailedFile) and outcome.error.path == str(path)
    assert outcome.error.message.startswith(
        "plugin 'aigate_raiser' failed in aigate_claims: ValueError: the plugin could not parse")


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


_TRICKY = "[]{}\"\\ab\n"  # brackets, quotes and backslashes inside strings
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=_TRICKY, max_size=6),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.text(alphabet=_TRICKY, max_size=4), children, max_size=3),
    max_leaves=40)


@settings(max_examples=300, deadline=None, database=None)  # nothing written in the repo
@given(_JSON, st.integers(min_value=0, max_value=8), st.booleans())
def test_the_depth_check_counts_exactly_what_a_json_reader_nests(value, limit, indent):
    """Brackets, quotes and backslashes inside strings neither count nor hide nesting."""
    data = json.dumps(value, indent=1 if indent else None).encode()
    try:
        check_depth(Path("x.otio"), data, limit)
        refused = False
    except InputError:
        refused = True
    assert refused == (_depth(value) > limit)


def test_names_made_of_closing_brackets_cannot_hide_nesting(tmp_path):
    levels = 2000
    text = '{"n":"]]]]}}}}\\\\","c":[' * levels + "1" + "]}" * levels
    with pytest.raises(InputError, match="nested 4000 levels deep"):
        check_depth(tmp_path / "x.otio", text.encode())


@pytest.mark.parametrize("name", ["huge.otio", "huge.edl"])
def test_a_huge_timeline_is_refused_without_being_read(tmp_path, cli, name):
    path = tmp_path / name
    with path.open("wb") as handle:  # sparse: 2 GiB on paper, nothing on disk
        handle.truncate(2 * 1024**3)
    read_before = bytes_read()
    run = cli("check", path, "--format", "json")
    assert run.code == 2
    [error] = run.json["errors"]
    limit = f"{64 * 1024**2}-byte limit for an EDL" if name.endswith(".edl") else \
        f"{1024**3}-byte limit for a timeline"
    assert error["message"] == f"file is {2 * 1024**3} bytes, over the {limit}"
    if read_before is not None:
        assert bytes_read() - read_before < 1024**2

