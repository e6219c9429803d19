"""The Kdenlive/MLT host judges what melt renders: documents spelt every way MLT's loader
reads them (attribute or ``<property>``, a property given twice, ``src``, ``<video>``,
``<seq>``, an id given as a property, playlists written inside a tractor, namespaced
elements, producers without out, negative or reversed in/out, MLT documents under other
suffixes) are rendered by the real melt, and every frame of every item is on screen where
the item says; without MLT, a project is refused at review and final."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_kdenlive_attacks import AI_SORA, PALETTE, RED, WHITE, colour, mlt, render

from aigate_kdenlive.reading import read
from aigate_kdenlive.walk import collect
from helpers import run_process

pytestmark = pytest.mark.skipif(subprocess.run(["which", "melt"], capture_output=True)
                                .returncode != 0,
                                reason="needs MLT's melt (Debian: apt-get install melt)")

#: frames of a random document melt renders at most (a document may play without end)
LIMIT = 120


def render_some(project: Path, out: Path) -> list[tuple[int, int, int]]:
    """melt renders at most :data:`LIMIT` frames; the centre pixel of each."""
    import imageio_ffmpeg

    subprocess.run(["melt", str(project), f"out={LIMIT - 1}", "-consumer", f"avformat:{out}",
                    "real_time=-1", "vcodec=mpeg4", "an=1"], check=True, capture_output=True,
                   stdin=subprocess.DEVNULL, timeout=600)
    frames = imageio_ffmpeg.read_frames(str(out))
    width, height = next(frames)["size"]
    offset = ((height // 2) * width + width // 2) * 3
    return [tuple(255 if c > 127 else 0 for c in frame[offset:offset + 3])
            for frame in frames]


SPELLINGS = ("property", "attribute", "repeated", "src", "video", "id_property", "no_out")
ENTRIES = ("plain", "on_producer", "negative_in", "reversed")
#: suffixes melt's loader opens as MLT XML besides .mlt
DOCUMENT_SUFFIXES = (".mlt", ".xml", ".westley", ".kino", ".story", ".jfx", ".kdenlive")


def producer(name: str, rgb: str, frames: int, spelling: str) -> str:
    """A colour clip named ``rgb`` (its kdenlive:clipname) spelt one of MLT's ways."""
    value = f"0x{rgb}ff"
    label = f'<property name="kdenlive:clipname">{rgb}</property>'
    span = f'in="0" out="{frames - 1}"'
    if spelling == "attribute":
        return f'<producer id="{name}" {span} resource="{value}" mlt_service="color">' \
               f"{label}</producer>"
    if spelling == "repeated":  # melt keeps the last
        return (f'<producer id="{name}" {span}><property name="resource">0xffffffff'
                f'</property><property name="mlt_service">color</property>'
                f'<property name="resource">{value}</property>{label}</producer>')
    if spelling == "src":  # Kino SMIL's name for resource
        return (f'<producer id="{name}" {span}><property name="src">{value}</property>'
                f'<property name="mlt_service">color</property>{label}</producer>')
    tag = "video" if spelling == "video" else "producer"
    ident = f'<property name="id">{name}</property>' if spelling == "id_property" else ""
    attrs = "" if spelling == "id_property" else f' id="{name}"'
    if spelling != "no_out":
        attrs += f" {span}"
    return (f"<{tag}{attrs}>{ident}<property name=\"resource\">{value}</property>"
            f'<property name="mlt_service">color</property>{label}</{tag}>')


def entry(name: str, frames: int, kind: str, spelling: str) -> str:
    if spelling == "no_out" and kind in ("negative_in", "reversed"):
        kind = "plain"  # else melt plays its default length: 15000 frames to render
    if kind == "on_producer" and spelling != "no_out":
        return f'<entry producer="{name}"/>'
    if kind == "negative_in":
        return f'<entry producer="{name}" in="-2" out="{frames - 1}"/>'
    if kind == "reversed":
        return f'<entry producer="{name}" in="{frames - 1}" out="0"/>'
    return f'<entry producer="{name}" in="0" out="{frames - 1}"/>'


clips = st.lists(st.tuples(st.sampled_from(sorted(PALETTE)), st.integers(1, 5),
                           st.sampled_from(SPELLINGS), st.sampled_from(ENTRIES)),
                 min_size=1, max_size=4)


def document(tracks: list[list[tuple[Any, ...]]], playlist_tag: str, inline: bool,
             nested_suffix: str | None, folder: Path) -> str:
    """A tractor whose tracks play ``tracks`` (each a playlist, written inside the tractor
    when ``inline``); with ``nested_suffix`` the first track's first entry plays another
    MLT document under that suffix holding a green clip."""
    parts: list[str] = ['<x:producer xmlns:x="urn:elsewhere" id="ns">'
                        '<property name="resource">0xff0000ff</property></x:producer>']
    lists: list[str] = []
    for number, track in enumerate(tracks):
        body = []
        if nested_suffix and number == 0:
            inner = folder / f"inner{nested_suffix}"
            inner.write_text(mlt(colour("g", "00ff00", 4).replace(
                "</producer>", '<property name="kdenlive:clipname">00ff00</property>'
                "</producer>"), '<playlist id="ip"><entry producer="g"/></playlist>',
                '<tractor id="it"><track producer="ip"/></tractor>'))
            parts.append(f'<producer id="doc" in="0" out="3">'
                         f'<property name="resource">{inner.name}</property></producer>')
            body.append('<entry producer="doc"/>')
        for index, (rgb, frames, spelling, kind) in enumerate(track):
            name = f"c{number}_{index}"
            parts.append(producer(name, rgb, frames, spelling))
            body.append(entry(name, frames, kind, spelling))
        lists.append(f'<{playlist_tag} id="pl{number}">{"".join(body)}</{playlist_tag}>')
    if inline:
        tractor = f'<tractor id="main"><multitrack>{"".join(lists)}</multitrack></tractor>'
        return mlt(*parts, tractor)
    refs = "".join(f'<track producer="pl{n}"/>' for n in range(len(tracks)))
    return mlt(*parts, *lists, f'<tractor id="main">{refs}</tractor>')


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(tracks=st.lists(clips, min_size=1, max_size=1),
       playlist_tag=st.sampled_from(["playlist", "seq"]), inline=st.booleans(),
       nested_suffix=st.none() | st.sampled_from(DOCUMENT_SUFFIXES))
def test_every_frame_melt_shows_is_an_item_however_the_document_is_spelt(
        tmp_path_factory, tracks, playlist_tag, inline, nested_suffix):
    folder = tmp_path_factory.mktemp("spelt")
    project = folder / "spelt.mlt"
    project.write_text(document(tracks, playlist_tag, inline, nested_suffix, folder))
    pixels = render_some(project, folder / "spelt.mp4")
    items = collect(read(project)).items
    # the top track is what is on screen: each frame shows the topmost item there
    top: dict[int, tuple[int, int, int]] = {}
    for item in items:
        for frame in range(int(item.record_start), int(item.record_end)):
            top[frame] = PALETTE[item.clip]  # later tracks are above
    shown = set(top.values())
    for frame, rgb in top.items():
        if frame < LIMIT:
            assert pixels[frame] == rgb, (frame, items)
    assert set(pixels) - {(0, 0, 0), WHITE} <= shown
    if top and max(top) + 1 < LIMIT:  # and melt plays no clip past the last item
        assert set(pixels[max(top) + 1:]) <= {(0, 0, 0), WHITE}


def test_a_command_file_or_the_consumer_producer_is_refused_not_passed(tmp_path, cli):
    """melt plays a ``.melt`` command file and the ``consumer`` producer's document; aigate
    does not follow them, so the file is refused naming the producer, never passed."""
    (tmp_path / "inner.mlt").write_text(mlt(colour("ai", "ff0000", 6, AI_SORA),
                                            '<playlist id="p"><entry producer="ai"/>'
                                            "</playlist>"))
    (tmp_path / "cmds.melt").write_text("colour:0xff0000ff\nout=5\n")
    for resource, service in (("cmds.melt", ""), ("inner.mlt", "consumer")):
        declared = f'<property name="mlt_service">{service}</property>' if service else ""
        project = tmp_path / f"via_{service or 'melt'}.mlt"
        project.write_text(mlt(f'<producer id="doc" in="0" out="5"><property name='
                               f'"resource">{resource}</property>{declared}</producer>',
                               '<playlist id="main_pl"><entry producer="doc"/></playlist>'))
        assert RED in render(project, tmp_path / "via.mp4")
        run = cli("check", project, "--stage", "final")
        assert run.code == 2 and "Traceback" not in run.err
        assert re.search(rf"{re.escape(str(project))}: .*'doc' plays the MLT document",
                         run.out + run.err), run.out + run.err


def test_a_producer_without_out_plays_melt_s_default_length_and_is_checked(tmp_path, cli):
    """No out and no length: melt plays the colour for its default length; aigate's own
    reader refused the file, the gate now checks the clip melt plays."""
    project = tmp_path / "noout.mlt"
    project.write_text(mlt('<producer id="ai"><property name="resource">0xff0000ff'
                           '</property><property name="mlt_service">color</property>'
                           f'<property name="kdenlive:aigate">{AI_SORA}</property></producer>',
                           '<playlist id="main_pl"><entry producer="ai" in="0" out="5"/>'
                           '<entry producer="ai" in="10"/></playlist>')
                       .replace('<playlist id="main_pl">', '<playlist id="main_pl">'))
    run = cli("check", project, "--stage", "final", "--format", "json")
    assert run.code == 1 and set(run.verdicts().values()) == {"lock"}


def test_without_mlt_a_project_is_checked_below_review_and_refused_at_review_and_final(
        tmp_path):
    project = tmp_path / "cut.mlt"
    project.write_text(mlt(colour("ai", "ff0000", 6, AI_SORA),
                           '<playlist id="main_pl"><entry producer="ai"/></playlist>'))
    bare = {"PATH": str(tmp_path / "empty")}
    edit = run_process("check", project, "--stage", "edit", env=bare)
    # aigate's own reader, below review: the clip is found and warned about
    assert edit.code == 0 and 'WARN V1 "ai"' in edit.out
    for stage in ("review", "final"):
        run = run_process("check", project, "--stage", stage, env=bare)
        assert run.code == 2 and "Traceback" not in run.err
        assert f"{project}: not checked at stage {stage}: a Kdenlive/MLT project is judged " \
            "at review and final as MLT loads it, and MLT is not installed" in run.out + run.err
    doctor = run_process("doctor", env=bare)
    assert re.search(r"kdenlive reader: aigate's own \(melt not found\)", doctor.out)
    assert re.search(r"ok\s+kdenlive reader: MLT \(", run_process("doctor").out)


def _inner(folder: Path, clip: str) -> None:
    (folder / "inner.mlt").write_text(mlt(clip, '<playlist id="ip"><entry producer="c"/>'
                                          "</playlist>"))


def test_a_document_played_is_read_again_when_it_changes(tmp_path):
    """melt's normalised document is kept per content: the project's and the documents'
    it plays, so an AI clip put into the played document later is seen in the same run."""
    project = tmp_path / "outer.mlt"
    project.write_text(mlt('<producer id="doc" in="0" out="5"><property name="resource">'
                           "inner.mlt</property></producer>",
                           '<playlist id="main_pl"><entry producer="doc"/></playlist>'))
    _inner(tmp_path, colour("c", "00ff00", 6))
    assert [i.declared for i in collect(read(project)).items] == [()]
    _inner(tmp_path, colour("c", "ff0000", 6, AI_SORA))
    assert set(render(project, tmp_path / "outer.mp4")) == {RED}
    (item,) = collect(read(project)).items
    assert (item.track, [w for w, _ in item.declared]) == ("V1/doc", ["clip"])


@pytest.mark.parametrize("resource", ["inner.mlt?x=1", "xml:inner.mlt?x=1"])
def test_a_file_name_with_a_query_is_read_as_melt_reads_it(tmp_path, cli, resource):
    """MLT 7.12's loader does not drop a query from a file name: melt shows none of the
    document's clips (a placeholder instead), and the gate does not take the document's
    clips for what is on screen either: it reports the clip without readable media, or
    refuses the file."""
    project = tmp_path / "query.mlt"
    project.write_text(mlt(f'<producer id="doc" in="0" out="5"><property name="resource">'
                           f"{resource}</property></producer>",
                           '<playlist id="main_pl"><entry producer="doc"/></playlist>'))
    _inner(tmp_path, colour("c", "ff0000", 6, AI_SORA))
    assert RED not in render(project, tmp_path / "query.mp4")
    run = cli("check", project, "--stage", "final")
    assert "Traceback" not in run.err
    assert run.code == 2 or "1 clip without readable media" in run.out, run.out


def test_asking_melt_what_a_project_plays_renders_and_writes_nothing(tmp_path, cli):
    """A project may name its own consumer (``<consumer target=...>``): asking melt what it
    plays never starts it, so checking writes nothing beside the project."""
    target = tmp_path / "written.mp4"
    project = tmp_path / "consumer.mlt"
    project.write_text(mlt(colour("ai", "ff0000", 6, AI_SORA),
                           '<playlist id="main_pl"><entry producer="ai"/></playlist>',
                           f'<consumer mlt_service="avformat" target="{target}"/>'))
    before = sorted(tmp_path.iterdir())
    run = cli("check", project, "--stage", "final", "--format", "json")
    assert run.code == 1 and run.verdicts() == {"ai": "lock"}
    assert sorted(tmp_path.iterdir()) == before and not target.exists()
