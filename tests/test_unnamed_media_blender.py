"""Blender (real bpy): a movie, image or sound strip that names no file plays media the gate
cannot look at, a lock at final (and so does a strip rendering it); colour and text strips
play no media and pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import plain_movie, require, run_process

bpy = require("bpy", "blender")

import aigate  # noqa: E402
import aigate_blender  # noqa: E402
from aigate.core.gate import GateLocked  # noqa: E402
from aigate_blender import addon  # noqa: E402

TIMELINE_ONLY = "show: S\nmedia:\n  required: false\n  reason: the cut is checked offline\n"


@pytest.fixture(scope="module", autouse=True)
def addon_registered():
    aigate_blender.register()
    yield
    aigate_blender.unregister()


def scene_without_files(root: Path) -> object:
    """PLATE plays a real movie; GHOST a movie strip naming no file, BLANK an image strip
    whose one element names none, HUSH a sound strip whose sound is gone, GLOW an effect
    over GHOST; SLUG is a colour strip and TITLE a text strip."""
    (root / "aigate.yaml").write_text("show: S\n")
    movie = root / "media" / "plate.mov"
    movie.parent.mkdir(parents=True)
    movie.write_bytes(plain_movie())
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1
    strips = scene.sequence_editor_create().strips
    strips.new_movie(name="PLATE", filepath=str(movie), channel=1, frame_start=1)
    ghost = strips.new_movie(name="GHOST", filepath="", channel=2, frame_start=1)
    blank = strips.new_image(name="BLANK", filepath=str(root / "still.png"), channel=3,
                             frame_start=1)
    blank.directory, blank.elements[0].filename = "", ""
    hush = strips.new_sound(name="HUSH", filepath=str(movie), channel=4, frame_start=1)
    hush.sound = None
    strips.new_effect(name="GLOW", type="GLOW", channel=5, frame_start=1, input1=ghost)
    strips.new_effect(name="SLUG", type="COLOR", channel=6, frame_start=1, length=24)
    strips.new_effect(name="TITLE", type="TEXT", channel=7, frame_start=1, length=24)
    bpy.ops.wm.save_as_mainfile(filepath=str(root / "ep.blend"))
    return scene


def test_a_strip_naming_no_file_locks_at_final_and_a_colour_strip_passes(tmp_path):
    scene = scene_without_files(tmp_path)
    [result] = aigate.check(scene, stage="final", config=tmp_path / "aigate.yaml")
    verdicts = {r.item.clip: r.verdict.label for r in result.items}
    assert verdicts == {"PLATE": "pass", "GHOST": "lock", "BLANK": "lock", "HUSH": "lock",
                        "GLOW": "lock", "SLUG": "pass", "TITLE": "pass"}, verdicts
    said = {r.item.clip: r.findings[0].message for r in result.items if r.findings}
    assert said["GHOST"].endswith("media cannot be checked: movie strip names no file: "
                                  "the clip's media are unknown")
    assert "input strip GHOST: movie strip names no file" in said["GLOW"]
    assert "sound strip names no file" in said["HUSH"]
    [edit] = aigate.check(scene, stage="edit", config=tmp_path / "aigate.yaml")
    assert edit.verdict.label == "info"
    # saving wrote the empty paths relative to the .blend, up to the root; unsaved, empty
    strips = scene.sequence_editor.strips
    assert strips["GHOST"].filepath.startswith("//..")
    strips["GHOST"].filepath = ""
    [result] = aigate.check(scene, stage="final", config=tmp_path / "aigate.yaml")
    assert {r.item.clip: r.verdict.label for r in result.items}["GHOST"] == "lock"
    # a render into a final location is refused
    scene.render.filepath = str(tmp_path / "deliverables" / "frame.png")
    with pytest.raises(GateLocked, match="media-missing"):
        addon.guard_render(scene)


def test_the_blend_file_locks_through_the_cli_unless_the_show_checks_from_the_timeline(
        tmp_path):
    scene_without_files(tmp_path)
    run = run_process("check", tmp_path / "ep.blend", "--stage", "final")
    assert run.code == 1 and "movie strip names no file" in run.out, run.out + run.err
    (tmp_path / "aigate.yaml").write_text(TIMELINE_ONLY)
    run = run_process("check", tmp_path / "ep.blend", "--stage", "final", "--format", "json")
    assert run.code == 0, run.out + run.err
    [subject] = json.loads(run.out)["subjects"]
    assert {i["verdict"] for i in subject["items"]} == {"pass"}
    assert "provenance from the timeline alone" in subject["provenance_basis"]


def test_the_edit_exported_to_otio_keeps_which_strips_have_unknown_media(tmp_path, cli):
    """A strip naming no file goes out as a missing reference (a lock at final there too),
    a colour or text strip as a generator (passes)."""
    import opentimelineio as otio

    from aigate_blender.otio_io import to_otio
    from aigate_otio.files import without_aigate_hooks

    scene = scene_without_files(tmp_path)
    path = tmp_path / "from_blender.otio"
    with without_aigate_hooks():
        otio.adapters.write_to_file(to_otio(scene), str(path))
    run = cli("check", path, "--stage", "final", "--format", "json")
    verdicts = {i["clip"]: i["verdict"] for i in run.json["subjects"][0]["items"]}
    assert run.code == 1
    assert verdicts == {"PLATE": "pass", "GHOST": "lock", "BLANK": "lock", "HUSH": "lock",
                        "GLOW": "pass", "SLUG": "pass", "TITLE": "pass"}, verdicts


def test_a_packed_sound_locks_at_final_whatever_the_file_at_its_path_says(tmp_path):
    """Blender plays a packed sound from the .blend, not from the file its path names: that
    file (here a clean tone) is not what plays, so the gate cannot clear the strip."""
    import wave

    tone = tmp_path / "media" / "voice.wav"
    tone.parent.mkdir(parents=True)
    with wave.open(str(tone), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes(b"\x00\x01" * 4800)
    (tmp_path / "aigate.yaml").write_text("show: S\n")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    voice = scene.sequence_editor_create().strips.new_sound(
        name="VOICE", filepath=str(tone), channel=1, frame_start=1)
    [result] = aigate.check(scene, stage="final", config=tmp_path / "aigate.yaml")
    assert result.verdict.label == "pass"  # the file plays: read and clean
    voice.sound.pack()
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "ep.blend"))
    [result] = aigate.check(scene, stage="final", config=tmp_path / "aigate.yaml")
    assert result.verdict.label == "lock"
    assert "sound packed in the .blend" in result.items[0].findings[0].message
    run = run_process("check", tmp_path / "ep.blend", "--stage", "final")
    assert run.code == 1 and "sound packed in the .blend" in run.out, run.out + run.err
