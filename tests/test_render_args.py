"""What ``aigate render`` passes to melt after ``--`` (security review C2, H4): only
``key=value`` encoding options on the allow-list. Each attack is built and shown to work on
the real melt, then shown refused by the gate: one line naming the argument, exit code 2,
and nothing written anywhere."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aigate.api import UsageError
from aigate_kdenlive.render import CONSUMER_OPTIONS, CONTAINERS, consumer_options
from helpers import ai, run_process

pytestmark = pytest.mark.skipif(shutil.which("melt") is None,
                                reason="needs MLT's melt (Debian: apt-get install melt)")

PROFILE = ('<profile width="64" height="64" frame_rate_num="24" frame_rate_den="1" '
           'progressive="1" sample_aspect_num="1" sample_aspect_den="1" '
           'display_aspect_num="1" display_aspect_den="1" colorspace="709"/>')
BLUE, RED = (0, 0, 255), (255, 0, 0)


def project(path: Path, rgb: str, aigate: dict | None = None) -> Path:
    """An MLT project: one colour clip of 12 frames, its contract v1 declaration if any."""
    declared = (f'<property name="kdenlive:aigate">{json.dumps(aigate)}</property>'
                if aigate else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"""<?xml version="1.0" encoding="utf-8"?>
<mlt LC_NUMERIC="C" version="7.0.0">{PROFILE}
<producer id="shot" in="0" out="11"><property name="resource">0x{rgb}ff</property>
 <property name="mlt_service">color</property>{declared}</producer>
<playlist id="main"><entry producer="shot" in="0" out="11"/></playlist></mlt>
""")
    return path


def melt(*args: str | Path) -> None:
    subprocess.run(["melt", *map(str, args)], check=True, capture_output=True,
                   stdin=subprocess.DEVNULL)


def colours(path: Path) -> list[tuple[int, ...]]:
    """The centre pixel of every frame, rounded to pure colours (the encoder moves them)."""
    frames = imageio_ffmpeg.read_frames(str(path))
    width, height = next(frames)["size"]
    offset = ((height // 2) * width + width // 2) * 3
    return [tuple(255 if c > 127 else 0 for c in frame[offset:offset + 3])
            for frame in frames]


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``root`` (hidden ones too), with its size and mtime."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            stat = path.stat()
            found[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return found


@pytest.fixture
def ai_clip(tmp_path: Path) -> Path:
    """A generated clip the project does not hold: 12 red frames, rendered by melt."""
    path = tmp_path / "elsewhere" / "ai_clip.mov"
    path.parent.mkdir()
    melt("color:0xff0000ff", "out=11", "-consumer",
         f"avformat:{path}", "vcodec=mpeg4", "an=1", "real_time=-1")
    return path


def refused(run, arg: str) -> None:
    """One line on stderr naming ``arg``, exit code 2, no traceback."""
    assert run.code == 2, (run.out, run.err)
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    assert repr(arg) in lines[0] and "refused" in lines[0]
    assert run.out == ""


def test_a_media_file_after_the_dashes_is_refused_not_rendered_unchecked(studio, ai_clip,
                                                                         tmp_path):
    """C2: the project is clean, so the gate lets it through at final; melt reads a bare
    argument as one more producer and would append the AI clip to the delivery."""
    clean = project(studio / "edit" / "clean.mlt", "0000ff")
    # the attack on melt itself: the rendered file ends with the clip the gate never saw
    appended = tmp_path / "appended.mp4"
    melt(f"xml:{clean}", "-consumer", f"avformat:{appended}", "real_time=-1",
         "vcodec=mpeg4", "an=1", ai_clip)
    seen = colours(appended)
    assert seen[:12] == [BLUE] * 12 and RED in seen[12:]
    # through the gate: refused before anything is written
    before = tree(tmp_path)
    run = run_process("render", clean, studio / "deliverables" / "r1.mp4", "--",
                      "vcodec=mpeg4", str(ai_clip))
    refused(run, str(ai_clip))
    assert "one more producer" in run.err and "vcodec" in run.err
    assert tree(tmp_path) == before
    assert not (studio / "deliverables").exists()


@pytest.mark.parametrize("key", ["target", "resource"])
def test_a_consumer_target_cannot_write_the_render_past_the_gate(studio, tmp_path, key):
    """H4: at edit an AI cut renders (it warns), but at final it is locked; melt's own
    target= (or resource=) would write that render into deliverables/ instead of OUT."""
    cut = project(studio / "edit" / "ai.mlt", "ff0000", ai(purpose="temp"))
    deliverables = studio / "deliverables"
    deliverables.mkdir()
    # the gate locks this cut in deliverables/ ...
    locked = run_process("render", cut, deliverables / "ai.mp4")
    assert locked.code == 1 and "export refused at stage final" in locked.err
    assert list(deliverables.iterdir()) == []
    # ... and melt does honour a second target: the attack is real (melt 7.12's avformat
    # consumer ignores resource=, refused all the same: another consumer may not)
    aside = tmp_path / "aside"
    aside.mkdir()
    melt(f"xml:{cut}", "-consumer", f"avformat:{aside / 'ok.mp4'}", "real_time=-1",
         "vcodec=mpeg4", "an=1", f"target={aside / 'moved.mp4'}")
    assert [p.name for p in aside.iterdir()] == ["moved.mp4"]
    assert colours(aside / "moved.mp4") == [RED] * 12
    # through the gate at edit, OUT elsewhere: refused, nothing written anywhere
    before = tree(tmp_path)
    arg = f"{key}={deliverables / 'ai.mp4'}"
    run = run_process("render", cut, tmp_path / "x" / "ok.mp4", "--stage", "edit", "--",
                      "vcodec=mpeg4", arg, cwd=studio)
    refused(run, arg)
    assert f"{key!r} is not an encoding option" in run.err
    assert tree(tmp_path) == before
    assert list(deliverables.iterdir()) == []


@pytest.mark.parametrize("arg, why", [
    # melt options: more producers, filters, tracks, consumers, profiles
    ("-attach", "a melt option"), ("-attach-track", "a melt option"),
    ("-filter", "a melt option"), ("-track", "a melt option"),
    ("-consumer", "a melt option"), ("-profile", "a melt option"),
    ("-serialise", "a melt option"), ("--", "a melt option"),
    # bare tokens: melt loads each as a producer
    ("color:red", "one more producer"), ("xml:other.mlt", "one more producer"),
    ("ai_clip.mov", "one more producer"), ("avformat:/tmp/x.mov", "one more producer"),
    # keys naming a file, a service or what is rendered
    ("properties=x264-medium", "not an encoding option"),
    ("mlt_profile=atsc_1080p_25", "not an encoding option"),
    ("mlt_service=xml", "not an encoding option"), ("in=6", "not an encoding option"),
    ("out=3", "not an encoding option"), ("x264-params=stats=x.log", "not an encoding option"),
    ("passlogfile=x", "not an encoding option"), ("VCODEC=mpeg4", "not an encoding option"),
    # allowed keys whose value could name a file or a URL
    ("vcodec=../ai_clip.mov", "could name a file or a URL"),
    ("acodec=http://host/x", "could name a file or a URL"),
    ("preset=a\\b", "could name a file or a URL"), ("vb=", "could name a file or a URL"),
    ("aspect=file:16", "could name a file or a URL"),
    # containers that write more files than OUT
    ("f=hls", "a container that writes one file"), ("f=segment", "one file"),
    ("f=tee", "one file"), ("f=image2", "one file"), ("f=dash", "one file"),
])
def test_every_other_argument_is_refused_with_one_line(studio, tmp_path, cli, arg, why):
    clean = project(studio / "edit" / "clean.mlt", "0000ff")
    before = tree(studio)
    out = tmp_path / "renders" / "r1.mp4"
    run = cli("render", clean, out, "--stage", "edit", "--", "vcodec=mpeg4", arg)
    refused(run, arg)
    assert why in run.err
    assert tree(studio) == before and not out.parent.exists()


def test_kdenlive_render_profile_options_still_render(studio, tmp_path, cli):
    """What Kdenlive's MP4-H264/AAC profile passes, with ratios and an explicit size."""
    clean = project(studio / "edit" / "clean.mlt", "0000ff")
    out = tmp_path / "renders" / "r1.mp4"
    run = cli("render", clean, out, "--stage", "edit", "--", "f=mp4",
              "movflags=+faststart", "vcodec=libx264", "progressive=1", "g=15", "bf=2",
              "crf=23", "preset=veryfast", "pix_fmt=yuv420p", "acodec=aac", "ab=160k",
              "ar=48000", "threads=0", "real_time=-1", "aspect=@1/1", "width=64",
              "height=64", "frame_rate_num=24", "frame_rate_den=1")
    assert run.code == 0, run.err
    assert colours(out) == [BLUE] * 12
    assert [p.name for p in out.parent.iterdir()] == ["r1.mp4"]


def test_the_help_lists_every_option_melt_is_given():
    run = run_process("render", "--help")
    text = " ".join(run.out.split())
    listed = {word.strip(".,;:()") for word in text.split()}
    assert CONSUMER_OPTIONS <= listed, sorted(CONSUMER_OPTIONS - listed)
    assert "target=" in text and "resource=" in text


def test_the_help_is_made_from_the_allow_list_itself(tmp_path):
    """The melt paragraph is the Kdenlive plugin's (hook aigate_render_help), made from
    the list consumer_options checks: exactly that list and those containers, no more;
    another rendering host's paragraph is shown beside it."""
    (tmp_path / "other_renderer.py").write_text(
        "from aigate.api import hookimpl\n\n\n@hookimpl\n"
        "def aigate_render_help():\n    return 'blender takes no options.'\n")
    run = run_process("render", "--help", env={"PYTHONPATH": str(tmp_path),
                                               "AIGATE_PLUGINS": "other_renderer"})
    text = " ".join(run.out.split())
    keys = text.split("whose key is one of: ", 1)[1].split(";", 1)[0]
    assert set(keys.split(", ")) == CONSUMER_OPTIONS
    containers = text.split("writes one file: ", 1)[1].split(".", 1)[0]
    assert set(containers.split(", ")) == CONTAINERS
    assert "blender takes no options." in text


def names_no_file(value: str) -> bool:
    """No path separator, no URL scheme: a '/' or ':' only inside a numeric ratio."""
    if "\\" in value or "%" in value or not value.isprintable() or " " in value:
        return False
    if "/" in value or ":" in value:
        digits = value.removeprefix("@").replace("/", "", 1).replace(":", "", 1)
        return digits.replace(".", "").isdigit() and digits.isascii()
    return True


@given(st.lists(st.text(max_size=30), max_size=4))
def test_whatever_passes_is_an_encoding_option_naming_no_file(args):
    """Any argument accepted is key=value, its key on the list, its value naming no file;
    anything else raises one line naming it."""
    try:
        passed = consumer_options(args)
    except UsageError as exc:
        assert len(str(exc).splitlines()) == 1
        assert any(repr(arg) in str(exc) for arg in args)
        return
    assert passed == args
    for arg in passed:
        key, _, value = arg.partition("=")
        assert key in CONSUMER_OPTIONS and value and names_no_file(value)
        assert key != "f" or value in CONTAINERS


@given(st.sampled_from(sorted(CONSUMER_OPTIONS - {"f"})),
       st.text(st.sampled_from("abc019_.+-@,/:\\% "), min_size=1, max_size=12))
def test_a_listed_key_is_accepted_only_with_a_value_naming_no_file(key, value):
    """Values built from the characters paths and URLs are made of: accepted only as names,
    numbers or ratios (the check may refuse more, never less)."""
    arg = f"{key}={value}"
    try:
        consumer_options([arg])
    except UsageError as exc:
        assert repr(arg) in str(exc)
        return
    assert names_no_file(value)
