"""Issue 28: the gate sees every strip Blender renders, and the safety net fails closed.
Each attack is built on the real bpy wheel and confirmed on what the render wrote: the
pixels, and the sound samples decoded from the rendered movie."""

from __future__ import annotations

import array
import math
import subprocess
import wave
from pathlib import Path

import pytest

from helpers import ai, require, run_process
from mediakit import TRAINED, still, xmp_packet

bpy = require("bpy", "blender")

from test_blender import DEAGE, build, make_project, pixel, strip  # noqa: E402

import aigate  # noqa: E402
import aigate_blender  # noqa: E402
from aigate_blender import graph  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def addon_registered():
    aigate_blender.register()
    yield
    aigate_blender.unregister()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


@pytest.fixture(autouse=True)
def no_stage_from_the_environment(monkeypatch):
    monkeypatch.delenv("AIGATE_STAGE", raising=False)


def verdicts(scene, project: Path, stage: str = "final") -> dict[str, str]:
    [result] = aigate.check(scene, stage=stage, config=project / "aigate.yaml")
    return {r.item.clip: r.verdict.label for r in result.items}


def final_render(scene, out: Path) -> None:
    scene.aigate_stage = "final"
    scene.render.filepath = str(out)
    bpy.ops.render.render(write_still=True)  # not through the gate: F12, a script


def red(rgb: tuple[int, int, int]) -> bool:
    return rgb[0] > 120 and rgb[2] < 120


def blue(rgb: tuple[int, int, int]) -> bool:
    return rgb[2] > 150 and rgb[0] < 100


@pytest.mark.parametrize("effect", ["GAUSSIAN_BLUR", "GLOW", "SPEED", "MULTICAM"])
def test_an_effect_over_a_locked_strip_carries_its_verdict_and_is_left_out(
        project, tmp_path, capfd, effect):
    scene = build(project)
    if effect == "MULTICAM":  # shows the strips of its source channel, muted or not
        over = scene.sequence_editor.strips.new_effect(
            name="LOOK", type=effect, channel=6, frame_start=1, length=24)
        over.multicam_source = 3
    else:
        over = scene.sequence_editor.strips.new_effect(
            name="LOOK", type=effect, channel=6, frame_start=1, length=24,
            input1=strip(scene, "DEAGE_SH020"))
        assert over.input_1.name == "DEAGE_SH020"
    assert verdicts(scene, project)["LOOK"] == "lock"
    scene.render.filepath = str(tmp_path / "edit.png")
    bpy.ops.render.render(write_still=True)
    assert red(pixel(tmp_path / "edit.png"))  # at edit the effect shows the red strip
    final_render(scene, tmp_path / "final.png")
    assert blue(pixel(tmp_path / "final.png"))
    err = capfd.readouterr().err
    assert "leaves out locked strips: " in err and "LOOK" in err and "DEAGE_SH020" in err
    assert not over.mute and not strip(scene, "DEAGE_SH020").mute  # restored


def test_a_meta_strip_holding_a_locked_strip_is_left_out(project, tmp_path):
    scene = build(project)
    editor = scene.sequence_editor
    for s in editor.strips_all:
        s.select = s.name == "DEAGE_SH020"
    with bpy.context.temp_override(scene=scene):
        meta = editor.strips.new_meta(name="GROUP", channel=7, frame_start=1)
    strip(scene, "DEAGE_SH020").move_to_meta(meta)
    assert verdicts(scene, project)["GROUP"] == "lock"
    final_render(scene, tmp_path / "final.png")
    assert blue(pixel(tmp_path / "final.png"))


def test_a_scene_strip_renders_another_scenes_locked_strip_recursively(project, tmp_path,
                                                                       capfd):
    scene = build(project)
    shot = bpy.data.scenes.new("SHOT")
    shot.frame_start, shot.frame_end = 1, 48
    shot.render.resolution_x, shot.render.resolution_y = 64, 36
    inner = shot.sequence_editor_create().strips.new_effect(
        name="FACE", type="COLOR", channel=1, frame_start=1, length=48)
    inner.color = (1, 0, 0)
    inner["aigate"] = DEAGE
    nest = bpy.data.scenes.new("NEST")  # a scene strip of a scene strip
    nest.sequence_editor_create().strips.new_scene(name="SHOT_IN", scene=shot, channel=1,
                                                   frame_start=1)
    scene.sequence_editor.strips.new_scene(name="NESTED", scene=nest, channel=8, frame_start=1)
    found = verdicts(scene, project)
    assert found["NESTED"] == "lock" and found["NESTED/SHOT_IN/FACE"] == "lock"
    scene.render.filepath = str(tmp_path / "edit.png")
    bpy.ops.render.render(write_still=True)
    assert red(pixel(tmp_path / "edit.png"))
    final_render(scene, tmp_path / "final.png")
    assert blue(pixel(tmp_path / "final.png"))
    assert "leaves out locked strips: " in capfd.readouterr().err
    # every scene of the file is a subject of its own on the command line
    bpy.ops.wm.save_as_mainfile(filepath=str(project / "ep101.blend"))
    run = run_process("check", project / "ep101.blend", "--stage", "final", "--format",
                      "json")
    subjects = {s["name"]: {i["clip"]: i["verdict"] for i in s["items"]}
                for s in run.json["subjects"]}
    assert set(subjects) == {"NIGHTFALL_101", "SHOT", "NEST"}
    assert subjects["SHOT"] == {"FACE": "lock"}
    assert subjects["NEST"]["SHOT_IN"] == "lock"


def test_every_frame_of_an_image_sequence_is_read(project):
    frames = project / "seq"
    for n in (1, 2, 3):
        still(frames / f"f{n:03}.png", colour=(0, 0, 255))
    (frames / "f002.xmp").write_text(xmp_packet(TRAINED))  # one generated frame
    scene = build(project)
    seq = scene.sequence_editor.strips.new_image(name="PLATE_SEQ", filepath=str(
        frames / "f001.png"), channel=9, frame_start=1)
    seq.elements.append("f002.png")
    seq.elements.append("f003.png")
    [result] = aigate.check(scene, stage="final", config=project / "aigate.yaml")
    item = next(r for r in result.items if r.item.clip == "PLATE_SEQ")
    assert item.item.media_url == str(frames / "f001.png")
    assert item.item.other_media == (str(frames / "f002.png"), str(frames / "f003.png"))
    assert item.provenance.ai and item.verdict.label != "pass"


def test_a_movie_clip_strip_plays_its_clips_file(project):
    scene = build(project)
    clip = bpy.data.movieclips.load(str(project / "media" / "cam.mp4"))
    mc = scene.sequence_editor.strips.new_clip(name="TRACKED", clip=clip, channel=9,
                                               frame_start=1)
    mc["aigate"] = DEAGE
    [result] = aigate.check(scene, stage="final", config=project / "aigate.yaml")
    item = next(r for r in result.items if r.item.clip == "TRACKED")
    assert item.item.media_url == str(project / "media" / "cam.mp4")
    assert item.verdict.label == "lock"


def tone(path: Path, seconds: float = 2.0, rate: int = 48000) -> Path:
    samples = array.array("h", (int(12000 * math.sin(2 * math.pi * 440 * n / rate))
                                for n in range(int(seconds * rate))))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


def peak(movie: Path) -> int:
    """The loudest sample of the movie's sound, decoded by ffmpeg."""
    import imageio_ffmpeg

    raw = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-i",
                          str(movie), "-f", "s16le", "-ac", "1", "-"], capture_output=True,
                         check=True).stdout
    return max((abs(v) for v in array.array("h", raw[:len(raw) // 2 * 2])), default=0)


def movie_render(scene, out: Path, stage: str) -> Path:
    scene.aigate_stage = stage
    scene.frame_start, scene.frame_end = 1, 12
    scene.render.image_settings.media_type = "VIDEO"
    scene.render.image_settings.file_format = "FFMPEG"
    scene.render.ffmpeg.format = "MKV"
    scene.render.ffmpeg.codec = "H264"
    scene.render.ffmpeg.audio_codec = "PCM"
    scene.render.filepath = str(out)
    bpy.ops.render.render(animation=True)
    [written] = out.parent.glob(out.name + "*")
    return written


def test_a_locked_voice_is_silent_in_a_final_render(project, tmp_path):
    voice = tone(project / "media" / "voice.wav")
    scene = build(project)
    for name in ("DEAGE_SH020", "CREATURE"):
        del strip(scene, name)["aigate"]
    sound = scene.sequence_editor.strips.new_sound(name="VOICE", filepath=str(voice),
                                                   channel=10, frame_start=1)
    sound["aigate"] = ai(purpose="temp", talent=[{"name": "Ray Holt", "use": "voice"}])
    assert verdicts(scene, project)["VOICE"] == "lock"
    assert peak(movie_render(scene, tmp_path / "edit" / "cut", "edit")) > 5000
    assert peak(movie_render(scene, tmp_path / "final" / "cut", "final")) < 50


def test_a_sound_strip_playing_a_locked_movies_file_carries_its_declaration(project,
                                                                            tmp_path):
    import imageio_ffmpeg

    movie = project / "media" / "talk.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f",
                    "lavfi", "-i", "color=c=red:size=64x36:rate=24", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=48000", "-t", "2", "-pix_fmt", "yuv420p",
                    "-shortest", str(movie)], check=True)
    scene = build(project)
    for name in ("DEAGE_SH020", "CREATURE"):
        del strip(scene, name)["aigate"]
    picture = scene.sequence_editor.strips.new_movie(name="TALK", filepath=str(movie),
                                                     channel=11, frame_start=1)
    picture["aigate"] = DEAGE  # declared on the picture only
    scene.sequence_editor.strips.new_sound(name="TALK.001", filepath=str(movie), channel=12,
                                           frame_start=1)
    assert verdicts(scene, project)["TALK.001"] == "lock"
    assert peak(movie_render(scene, tmp_path / "final" / "cut", "final")) < 50


def test_render_audio_through_aigate_is_gated_like_a_render(project, tmp_path):
    voice = tone(project / "media" / "voice.wav")
    scene = build(project)
    sound = scene.sequence_editor.strips.new_sound(name="VOICE", filepath=str(voice),
                                                   channel=10, frame_start=1)
    sound["aigate"] = DEAGE
    scene.aigate_stage = "final"
    out = tmp_path / "mix.wav"
    with pytest.raises(RuntimeError, match="VOICE"):
        bpy.ops.aigate.mixdown(filepath=str(out))
    assert not out.exists()
    scene.aigate_stage = "edit"
    assert bpy.ops.aigate.mixdown(filepath=str(out)) == {"FINISHED"}
    with wave.open(str(out)) as written:
        assert written.getnframes() > 0


def test_linked_library_media_resolves_against_the_library_file(project, tmp_path):
    lib = tmp_path / "library"
    still(lib / "media" / "gen.png", colour=(255, 0, 0))
    (lib / "media" / "gen.xmp").write_text(xmp_packet(TRAINED))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    source = bpy.context.scene
    source.name = "ASSET"
    made = source.sequence_editor_create().strips.new_image(
        name="GEN", filepath=str(lib / "media" / "gen.png"), channel=1, frame_start=1)
    bpy.ops.wm.save_as_mainfile(filepath=str(lib / "assets.blend"))
    made.directory = "//media/"  # relative to the library file
    bpy.ops.wm.save_as_mainfile(filepath=str(lib / "assets.blend"), relative_remap=False)
    scene = build(project)  # the main file lives elsewhere, with no media/gen.png
    with bpy.data.libraries.load(str(lib / "assets.blend"), link=True) as (_, dst):
        dst.scenes = ["ASSET"]
    scene.sequence_editor.strips.new_scene(name="LINKED", scene=dst.scenes[0], channel=9,
                                           frame_start=1)
    [result] = aigate.check(scene, stage="final", config=project / "aigate.yaml")
    items = {r.item.clip: r for r in result.items}
    assert items["LINKED/GEN"].item.media_url == str(lib / "media" / "gen.png")
    assert items["LINKED/GEN"].provenance.ai
    assert items["LINKED"].provenance.ai  # the scene strip carries it


def test_an_animated_mute_refuses_the_final_render(project, tmp_path, capfd):
    scene = build(project)
    deage = strip(scene, "DEAGE_SH020")
    deage.mute = False
    deage.keyframe_insert("mute", frame=1)  # the animation keeps it unmuted
    out = tmp_path / "final.png"
    with pytest.raises(RuntimeError, match="Cannot render"):
        final_render(scene, out)
    assert not out.exists()
    err = capfd.readouterr().err
    assert "render REFUSED: a locked strip cannot be muted for sure" in err
    assert "leaves out" not in err  # nothing was left out: nothing is said to be
    assert scene.render.use_sequencer and scene.view_layers[0].use  # put back


def test_a_check_that_fails_at_final_refuses_the_render(project, tmp_path, capfd):
    scene = build(project)
    (project / "aigate.yaml").write_text("policy: [unclosed\n")
    out = tmp_path / "final.png"
    with pytest.raises(RuntimeError, match="Cannot render"):
        final_render(scene, out)
    assert not out.exists()
    assert "render REFUSED: its check failed" in capfd.readouterr().err


def test_a_handler_after_aigates_cannot_undo_its_mute(project, tmp_path, capfd):
    scene = build(project)

    def unmute(scene, *_):
        for s in graph.editor_strips(scene):
            s.mute = False

    for handlers in (bpy.app.handlers.render_init, bpy.app.handlers.render_pre):
        out = tmp_path / f"{handlers is bpy.app.handlers.render_pre}.png"
        handlers.append(unmute)
        try:  # nothing of the edit is rendered: Blender finds nothing left to render
            with pytest.raises(RuntimeError, match="Cannot render"):
                final_render(scene, out)
        finally:
            handlers.remove(unmute)
        assert not out.exists()
        assert "REFUSED (every strip muted)" in capfd.readouterr().err
        assert not strip(scene, "PLATE").mute  # put back
