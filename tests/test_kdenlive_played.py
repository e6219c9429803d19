"""What melt plays that the walk did not see, or saw elsewhere: a Kdenlive title drawing an
image, an image sequence shown one image a frame (or at avformat's rate, or retimed), a
playlist entry played again (``repeat``), media read from the folder melt runs in. Each
test builds the attack, has the real melt render it (the pixels show the AI picture is on
screen) and shows the gate holds."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_kdenlive_attacks import AI_SORA, BLUE, RED, colour, mlt, render

from aigate_kdenlive.reading import read
from aigate_kdenlive.walk import collect
from helpers import Run
from mediakit import TRAINED, still, xmp_packet

pytestmark = pytest.mark.skipif(shutil.which("melt") is None,
                                reason="needs MLT's melt (Debian: apt-get install melt)")

#: Kdenlive's titler draws through Qt, which needs a display: melt renders titles under
#: Xvfb (CI installs it); elsewhere without it the render is not looked at
XVFB = shutil.which("xvfb-run")
needs_display = pytest.mark.skipif(XVFB is None and not os.environ.get("CI"),
                                   reason="rendering a title needs xvfb-run")


def shown(project: Path, out: Path, *, display: bool = False,
          cwd: Path | None = None) -> list[tuple[int, int, int]]:
    """melt renders the project from ``cwd``: under Xvfb with ``display`` (Qt's producers
    then work, as on an editor's machine), else with no display (as on a render node);
    the centre pixel of every frame."""
    import imageio_ffmpeg

    command = ["melt", str(project), "-consumer", f"avformat:{out}", "real_time=-1",
               "vcodec=mpeg4", "an=1"]
    if display:
        assert XVFB is not None, "CI installs xvfb"
        command = [XVFB, "-a", *command]
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    subprocess.run(command, check=True, capture_output=True, stdin=subprocess.DEVNULL,
                   cwd=cwd, env=env, timeout=600)
    frames = imageio_ffmpeg.read_frames(str(out))
    width, height = next(frames)["size"]
    offset = ((height // 2) * width + width // 2) * 3
    return [tuple(255 if c > 127 else 0 for c in frame[offset:offset + 3])
            for frame in frames]


def ai_png(path: Path) -> Path:
    """A red still whose XMP sidecar says it is generated."""
    still(path, colour=RED, size=(64, 64))
    path.with_suffix(".xmp").write_text(xmp_packet(TRAINED))
    return path


def entry_of(producer: str) -> str:
    return f'<playlist id="main_pl"><entry producer="{producer}"/></playlist>'


# --- a Kdenlive title drawing an image ---------------------------------------------------

def title(content: str) -> str:
    """A 12-frame Kdenlive title whose one item is an image (``content``: the item's
    ``<content>`` element), as Kdenlive's titler writes it into ``xmldata``."""
    xml = ('<kdenlivetitle duration="12" LC_NUMERIC="C" width="64" height="64" out="11">'
           '<item type="QGraphicsPixmapItem" z-index="0"><position x="0" y="0">'
           '<transform zoom="100">1,0,0,0,1,0,0,0,1</transform></position>'
           f"{content}</item>"
           '<startviewport rect="0,0,64,64"/><endviewport rect="0,0,64,64"/>'
           '<background color="0,0,0,255"/></kdenlivetitle>')
    escaped = xml.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace('"', "&quot;")
    return mlt('<producer id="title" in="0" out="11">'
               '<property name="mlt_service">kdenlivetitle</property>'
               '<property name="length">12</property>'
               f'<property name="xmldata">{escaped}</property></producer>', entry_of("title"))


@needs_display
def test_an_image_in_a_kdenlive_title_is_media_of_the_title(tmp_path, cli):
    """A title is a generator, but its image item draws a file: an AI image in a title
    is on screen and locks; the same title drawing a clean image passes."""
    gen = ai_png(tmp_path / "gen.png")
    project = tmp_path / "title.mlt"
    project.write_text(title(f'<content url="{gen}"/>'))
    assert shown(project, tmp_path / "title.mp4", display=True) == [RED] * 12
    run = cli("check", project, "--stage", "final", "--format", "json")
    assert run.code == 1 and run.verdicts() == {"title": "lock"}, run.out
    assert "undeclared-ai" in run.findings("title")
    (item,) = collect(read(project)).items
    assert item.other_media == (str(gen),)
    clean = still(tmp_path / "clean.png", colour=BLUE, size=(64, 64))
    project.write_text(title(f'<content url="{clean}"/>'))
    assert cli("check", project, "--stage", "final").code == 0


@pytest.mark.parametrize("content", [
    "<content url=\"gen.png\"/>",  # melt reads it from the folder it runs in
    "<content base64=\"{data}\"/>",  # written into the title: no file to read
])
@needs_display
def test_a_title_image_the_gate_cannot_read_locks_at_final(tmp_path, cli, content):
    gen = ai_png(tmp_path / "gen.png")
    data = base64.b64encode(gen.read_bytes()).decode()
    project = tmp_path / "title.mlt"
    project.write_text(title(content.format(data=data)))
    assert shown(project, tmp_path / "title.mp4", display=True, cwd=tmp_path) == [RED] * 12
    run = cli("check", project, "--stage", "final", "--format", "json")
    assert run.code == 1 and run.verdicts() == {"title": "lock"}, run.out
    assert "media-missing" in run.findings("title")
    edit = cli("check", project, "--stage", "edit")
    assert "Traceback" not in edit.err


@pytest.mark.skipif(XVFB is None, reason="rendering a title needs xvfb-run")
def test_aigate_render_reads_a_title_image_from_the_project_s_folder(tmp_path):
    """melt reads a title's relative image from the folder it runs in: ``aigate render``
    runs it from the project's folder, where the check read the clean image, so an AI
    image of the same name where the command is started is never rendered."""
    still(tmp_path / "pic.png", colour=BLUE, size=(64, 64))
    elsewhere = tmp_path / "elsewhere"
    ai_png(elsewhere / "pic.png")
    project = tmp_path / "title.mlt"
    project.write_text(title('<content url="pic.png"/>'))
    out = tmp_path / "out.mp4"
    assert XVFB is not None
    subprocess.run([XVFB, "-a", sys.executable, "-m", "aigate", "render", str(project),
                    str(out), "--stage", "edit"], check=True, capture_output=True,
                   cwd=elsewhere, stdin=subprocess.DEVNULL, timeout=600)
    import imageio_ffmpeg

    frames = imageio_ffmpeg.read_frames(str(out))
    width, height = next(frames)["size"]
    offset = ((height // 2) * width + width // 2) * 3
    assert {tuple(255 if c > 127 else 0 for c in frame[offset:offset + 3])
            for frame in frames} == {BLUE}


# --- rich text drawing an image, and filters melt cannot load without a display ---------

def rich_text(html: str) -> str:
    """A blue clip under Qt's text filter (Shotcut's rich text) whose HTML is ``html``."""
    escaped = html.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace('"', "&quot;")
    return mlt(colour("plate", "0000ff", 12).replace(
        "</producer>", '<filter id="text"><property name="mlt_service">qtext</property>'
        f'<property name="html">{escaped}</property>'
        '<property name="geometry">0 0 64 64</property></filter></producer>'),
        entry_of("plate"))


@pytest.mark.parametrize("display", [False, True])
@needs_display
def test_an_image_rich_text_draws_is_media_of_the_clip(tmp_path, cli, display):
    """Qt's text filter draws the images its HTML names: an AI one is on screen over the
    clip. Checked without a display melt leaves the filter out of what it says it plays
    (it cannot load Qt there), so the gate reads the project's own filter: it locks on
    either machine; a clean image passes."""
    gen = ai_png(tmp_path / "gen.png")
    project = tmp_path / "rich.mlt"
    project.write_text(rich_text(f'<img src="{gen}" width="64" height="64"/>'))
    assert shown(project, tmp_path / "rich.mp4", display=True) == [RED] * 12
    run = checked(project, display=display)
    assert run.code == 1 and "undeclared-ai" in run.findings("plate"), run.out + run.err
    clean = still(tmp_path / "clean.png", colour=BLUE, size=(64, 64))
    project.write_text(rich_text(f'<img src="{clean}" width="64" height="64"/>'))
    assert cli("check", project, "--stage", "final").code == 0


GPX = ('<?xml version="1.0"?><gpx version="1.1" creator="t"><trk><trkseg>'
       + "".join(f'<trkpt lat="45.00{n}" lon="7.00{n}"><ele>10{n}</ele>'
                 f"<time>2020-01-01T00:00:0{n}Z</time></trkpt>" for n in range(3))
       + "</trkseg></trk></gpx>")


@pytest.mark.parametrize("display", [False, True])
@needs_display
def test_a_file_any_filter_property_names_is_media_of_the_clip(tmp_path, display):
    """Filters name their files as they like: the GPS graphic draws its ``bg_img_path``
    over the clip. Any property naming a file that is there is media of the clip: the AI
    image is found (not only the GPS track, which no source identifies), checked with a
    display or without (melt then cannot load the filter, the project's is read)."""
    gen = ai_png(tmp_path / "gen.png")
    (tmp_path / "track.gpx").write_text(GPX)
    project = tmp_path / "gps.mlt"
    project.write_text(mlt(colour("plate", "0000ff", 12).replace(
        "</producer>", '<filter id="gps"><property name="mlt_service">gpsgraphic</property>'
        '<property name="resource">track.gpx</property>'
        f'<property name="bg_img_path">{gen}</property>'
        '<property name="rect">0 0 64 64 1</property></filter></producer>'),
        entry_of("plate")))
    assert shown(project, tmp_path / "gps.mp4", display=True) == [RED] * 12
    run = checked(project, display=display)
    assert run.code == 1 and "undeclared-ai" in run.findings("plate"), run.out + run.err


def test_a_subtitle_track_is_no_media_and_locks_nothing(tmp_path, cli):
    """Kdenlive lays its subtitle track over every clip (a subtitles filter on the main
    tractor reading an .srt): the subtitles are text, not media no source can read, so
    a clean cut passes at final; an AI clip under them still locks."""
    (tmp_path / "ep.srt").write_text("1\n00:00:00,000 --> 00:00:00,500\nHello\n")
    project = tmp_path / "subs.mlt"
    project.write_text(mlt(colour("plate", "0000ff", 12), colour("ai", "ff0000", 6, AI_SORA),
                           '<playlist id="main_pl"><entry producer="plate"/></playlist>',
                           '<tractor id="main"><track producer="main_pl"/>'
                           '<filter id="subtitles"><property name="mlt_service">'
                           'avfilter.subtitles</property><property name="av.filename">'
                           f"{tmp_path / 'ep.srt'}</property></filter></tractor>"))
    loaded = read(project).played
    assert loaded is not None and any(
        (e.findtext("property[@name='mlt_service']") or "") == "avfilter.subtitles"
        for e in loaded.root.iter("filter"))  # melt plays the filter
    run = cli("check", project, "--stage", "final", "--format", "json")
    assert run.code == 0 and run.verdicts() == {"plate": "pass"}, run.out
    project.write_text(project.read_text().replace('<entry producer="plate"/>',
                                                   '<entry producer="ai"/>'))
    run = cli("check", project, "--stage", "final", "--format", "json")
    assert run.code == 1 and run.verdicts() == {"ai": "lock"}, run.out


def test_rich_text_drawing_data_locks_at_final(tmp_path, cli):
    gen = ai_png(tmp_path / "gen.png")
    data = base64.b64encode(gen.read_bytes()).decode()
    project = tmp_path / "rich.mlt"
    project.write_text(rich_text(f'<img src="data:image/png;base64,{data}"/>'))
    run = cli("check", project, "--stage", "final", "--format", "json")
    assert run.code == 1 and "media-missing" in run.findings("plate"), run.out


def checked(project: Path, *, display: bool) -> Run:
    """``aigate check --stage final`` as a process, on a machine with a display (Xvfb) or
    without one."""
    command = [sys.executable, "-m", "aigate", "check", str(project), "--stage", "final",
               "--format", "json"]
    if display:
        assert XVFB is not None
        command = [XVFB, "-a", *command]
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600,
                          stdin=subprocess.DEVNULL)
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.mark.parametrize("resource", ["inner.mlt", "xml:inner.txt", "timewarp:1.0:inner.mlt"])
def test_a_filter_playing_an_mlt_document_locks_at_final_naming_it(tmp_path, cli, resource):
    """A watermark loads its ``resource`` as a producer: an MLT document (its AI clip on
    screen over a clean one) or a service-prefixed name. The gate does not follow it, and
    says so: a lock at final naming the filter, not a pass."""
    inner = mlt(colour("ai", "ff0000", 12, AI_SORA), entry_of("ai"))
    (tmp_path / "inner.mlt").write_text(inner)
    (tmp_path / "inner.txt").write_text(inner)
    project = tmp_path / "wm.mlt"
    project.write_text(mlt(colour("plate", "0000ff", 12).replace(
        "</producer>", '<filter id="wm"><property name="mlt_service">watermark</property>'
        f'<property name="resource">{resource}</property></filter></producer>'),
        entry_of("plate")))
    # melt started in the project's folder and given its name: MLT reads a prefixed name
    # from there (given the project's full path, from the project's folder and the name)
    assert shown(Path(project.name), tmp_path / "wm.mp4", cwd=tmp_path) == [RED] * 12
    run = cli("check", project, "--stage", "final")
    assert run.code == 1 and "Traceback" not in run.err
    assert f"filter 'wm' plays {resource} as a producer" in run.out, run.out


# --- image sequences: one image a frame, avformat's rate, retimed ------------------------

def sequence(folder: Path, count: int, ai: set[int], first: int = 0) -> None:
    for number in range(first, first + count):
        path = folder / "seq" / f"f.{number:04d}.png"
        ai_png(path) if number in ai else still(path, colour=BLUE, size=(64, 64))


def sequence_clip(tag: str, extra: str = "", frames: int = 10) -> str:
    return mlt(f'<{tag} id="s" in="0" out="{frames - 1}">'
               '<property name="resource">seq/f.%04d.png</property>'
               f'<property name="mlt_service">qimage</property>{extra}</{tag}>',
               f'<playlist id="main_pl"><entry producer="s" in="0" out="{frames - 1}"/>'
               "</playlist>")


@pytest.mark.parametrize("tag", ["producer", "chain"])
@pytest.mark.parametrize("ttl", [None, "1", "3", "25"])
def test_every_image_of_a_sequence_melt_may_show_is_read(tmp_path, cli, tag, ttl):
    """With a display melt plays a sequence with qimage, each image ``ttl`` frames (one
    when the document gives none: the gate assumed 25 and read the first image only);
    without one (a render node) with avformat, which ignores ``ttl`` and shows 25 images
    a second. Image 5, AI, is on screen within 20 frames on one machine or the other,
    and locks."""
    sequence(tmp_path, 60, ai={5})
    project = tmp_path / "seq.mlt"
    project.write_text(sequence_clip(tag, f'<property name="ttl">{ttl}</property>'
                                     if ttl else "", frames=20))
    held = int(ttl or 1)
    assert RED in shown(project, tmp_path / "headless.mp4")
    if XVFB:  # with a display: qimage, each image held ttl frames
        pixels = shown(project, tmp_path / "display.mp4", display=True)
        assert pixels[5 * held:6 * held] == [RED] * held if 6 * held <= 20 \
            else RED not in pixels
    run = cli("check", project, "--stage", "final", "--format", "json")
    assert run.code == 1 and "undeclared-ai" in run.findings("f.%04d.png"), run.out


def test_an_image_far_past_the_clip_is_still_not_its_media(tmp_path, cli):
    sequence(tmp_path, 60, ai={45})
    project = tmp_path / "seq.mlt"
    project.write_text(sequence_clip("producer"))
    assert RED not in shown(project, tmp_path / "seq.mp4")
    assert cli("check", project, "--stage", "final").code == 0


RETIMED = {
    # a chain's timeremap link, mapping the entry's frames to 1.82 s of the sequence
    "timeremap": ("chain", '<link><property name="mlt_service">timeremap</property>'
                  '<property name="map">0=1.82;9=1.82</property></link>'),
    # the hold producer, freezing the sequence's image 45 for the whole entry
    "hold": ("producer", '<property name="mlt_service">hold</property>'
             '<property name="frame">45</property>'),
}


@pytest.mark.parametrize("how", sorted(RETIMED))
def test_a_retimed_sequence_has_every_image_read(tmp_path, cli, how):
    """Image 45 of a sequence is on screen through a ten-frame entry: a producer or link
    that changes which image plays can show any, so each one is read."""
    sequence(tmp_path, 60, ai={45})
    project = tmp_path / "remap.mlt"
    tag, extra = RETIMED[how]
    project.write_text(sequence_clip(tag, extra))
    assert shown(project, tmp_path / "remap.mp4") == [RED] * 10
    run = cli("check", project, "--stage", "final", "--format", "json")
    assert run.code == 1 and "undeclared-ai" in run.findings("f.%04d.png"), run.out


@pytest.mark.parametrize("service", ["qimage", "pixbuf"])
def test_a_sequence_numbered_from_1001_is_read_from_there(tmp_path, cli, service):
    """A VFX plate numbered from 1001, as Kdenlive writes it (``?begin=1001``): qimage (with
    a display) and pixbuf (also without) show image 1005, AI, at frame 4. The gate read the
    name with its query as a file, which is not there: it reads the images from 1001."""
    sequence(tmp_path, 20, ai={1005}, first=1001)
    project = tmp_path / "plate.mlt"
    project.write_text(sequence_clip("producer", f'<property name="mlt_service">{service}'
                                     '</property>').replace("%04d.png", "%04d.png?begin=1001"))
    if service == "pixbuf" or XVFB:
        assert shown(project, tmp_path / "plate.mp4",
                     display=service == "qimage")[4] == RED
    run = cli("check", project, "--stage", "final", "--format", "json")
    assert run.code == 1 and "undeclared-ai" in run.findings("f.%04d.png?begin=1001"), run.out
    clean = tmp_path / "clean"
    sequence(clean, 20, ai=set(), first=1001)
    (clean / "plate.mlt").write_text(project.read_text())
    assert cli("check", clean / "plate.mlt", "--stage", "final").code == 0


# --- a playlist entry played again -------------------------------------------------------

def test_an_entry_repeated_plays_again_and_moves_what_follows(tmp_path, cli):
    """``repeat="3"`` plays an entry three times: a nested playlist's AI clip is at its
    frames 12..15, which the outer entry plays; the gate placed it at 4..7, outside the
    entry, and never checked it."""
    project = tmp_path / "repeat.mlt"
    project.write_text(mlt(colour("b", "0000ff", 4), colour("ai", "ff0000", 4, AI_SORA),
                           '<playlist id="inner"><entry producer="b" repeat="3"/>'
                           '<entry producer="ai"/></playlist>',
                           '<playlist id="main_pl"><entry producer="inner" in="12" out="15"/>'
                           "</playlist>"))
    assert render(project, tmp_path / "repeat.mp4") == [RED] * 4
    run = cli("check", project, "--stage", "final", "--format", "json")
    assert run.code == 1 and run.verdicts() == {"ai": "lock"}, run.out
    item = next(i for s in run.json["subjects"] for i in s["items"] if i["clip"] == "ai")
    assert (item["record_in"], item["record_out"]) == ("00:00:00:00", "00:00:00:04")
    flat = tmp_path / "flat.mlt"
    flat.write_text(mlt(colour("b", "0000ff", 4), colour("ai", "ff0000", 4, AI_SORA),
                        '<playlist id="main_pl"><entry producer="b" repeat="3"/>'
                        '<entry producer="ai"/></playlist>'))
    assert render(flat, tmp_path / "flat.mp4") == [BLUE] * 12 + [RED] * 4
    assert [(i.clip, i.record_start, i.record_end) for i in collect(read(flat)).items] == [
        ("b", 0.0, 4.0), ("b", 4.0, 8.0), ("b", 8.0, 12.0), ("ai", 12.0, 16.0)]


# --- media read from the folder melt runs in ---------------------------------------------

@pytest.mark.parametrize("root", [".", "", "media"])
def test_a_root_melt_reads_from_the_folder_it_runs_in_is_refused(tmp_path, cli, root):
    """``<mlt root=".">`` (or empty, or relative) is read from melt's working folder: the
    project beside a clean plate renders an AI one when melt is started elsewhere."""
    (tmp_path / "media").mkdir()
    still(tmp_path / "plate.png", colour=BLUE, size=(64, 64))
    still(tmp_path / "media" / "plate.png", colour=BLUE, size=(64, 64))
    elsewhere = tmp_path / "elsewhere"
    ai_png(elsewhere / "plate.png")
    ai_png(elsewhere / "media" / "plate.png")
    project = tmp_path / "cut.mlt"
    project.write_text(mlt('<producer id="p" in="0" out="5"><property name="resource">'
                           "plate.png</property><property name=\"mlt_service\">qimage"
                           "</property></producer>", entry_of("p"))
                       .replace("<mlt ", f'<mlt root="{root}" '))
    assert set(shown(project, tmp_path / "there.mp4", cwd=elsewhere)) == {RED}
    run = cli("check", project, "--stage", "edit")
    assert run.code == 2 and "Traceback" not in run.err
    assert f"{project}: <mlt root={root!r}> is not an absolute folder" in run.out + run.err
    out = tmp_path / "out.mp4"
    assert cli("render", project, out, "--stage", "edit").code == 2 and not out.exists()
