"""Blender's Video Sequence Editor as a real host (issue 7), on the real bpy wheel: strips
tagged, marked and locked, a final render refused, the safety net's muted strip absent from
the rendered pixels, the OTIO round trip, and a clean interpreter exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from helpers import ROOT, ai, require, run_process
from mediakit import still, video

bpy = require("bpy", "blender")

import aigate  # noqa: E402
import aigate_blender  # noqa: E402
from aigate_blender import addon  # noqa: E402
from aigate_blender.otio_io import from_otio, to_otio  # noqa: E402

DEAGE = ai(purpose="temp", talent=[{"name": "Ray Holt", "use": "likeness"}])
VETTED = ("policy: pack.yaml\napprovals: approvals/\n")


@pytest.fixture(scope="module", autouse=True)
def addon_registered():
    aigate_blender.register()
    yield
    aigate_blender.unregister()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def make_project(tmp_path: Path) -> Path:
    """A production folder with a vetted tool, an approval for SKY_REPLACE at final, media."""
    (tmp_path / "approvals").mkdir()
    (tmp_path / "approvals" / "a.yaml").write_text(
        "id: APR-B1\ngrants: [final-deliverable-use]\nscope: {clips: [POSTER*]}\n"
        "approver: Legal\n")
    (tmp_path / "pack.yaml").write_text(
        "extends: netflix-genai\nvetted_tools: [{name: Firefly, vendor: Adobe, "
        "enterprise: true}]\n")
    (tmp_path / "aigate.yaml").write_text(VETTED)
    still(tmp_path / "media" / "plate.png", colour=(0, 0, 255), size=(64, 36))
    video(tmp_path / "media" / "cam.mp4")
    return tmp_path


def build(project: Path, red_channel: int = 3) -> object:
    """A fresh scene: a blue plate (ch 1), a camera movie (ch 2), a red de-aged AI colour
    strip (ch 3), an approved AI poster (ch 4) and an unvetted AI strip (ch 5)."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.name = "NIGHTFALL_101"
    scene.render.fps, scene.render.fps_base = 24, 1
    scene.render.resolution_x, scene.render.resolution_y = 64, 36
    scene.render.resolution_percentage = 100
    scene.frame_start = scene.frame_end = 10
    editor = scene.sequence_editor_create()
    plate = editor.strips.new_image(name="PLATE", filepath=str(project / "media" / "plate.png"),
                                    channel=1, frame_start=1)
    plate.frame_final_duration = 48
    editor.strips.new_movie(name="CAM_A001", filepath=str(project / "media" / "cam.mp4"),
                            channel=2, frame_start=49)
    deage = editor.strips.new_effect(name="DEAGE_SH020", type="COLOR", channel=red_channel,
                                     frame_start=1, length=24)
    deage.color = (1, 0, 0)
    deage["aigate"] = DEAGE
    poster = editor.strips.new_effect(name="POSTER_BG", type="COLOR", channel=4,
                                      frame_start=30, length=12)
    poster["aigate"] = ai(role="incidental")
    creature = editor.strips.new_effect(name="CREATURE", type="COLOR", channel=5,
                                        frame_start=60, length=12)
    creature["aigate"] = ai(tool={"name": "DreamForge"}, role="key_character")
    bpy.ops.wm.save_as_mainfile(filepath=str(project / "ep101.blend"))
    return scene


def strip(scene, name):
    return scene.sequence_editor.strips_all[name]


def test_strips_become_items_with_record_timecode_and_media(project):
    scene = build(project)
    [result] = aigate.check(scene, stage="edit", config=project / "aigate.yaml")
    items = {r.item.clip: r.item for r in result.items}
    assert (items["PLATE"].track, items["PLATE"].record_in, items["PLATE"].record_out) == \
        ("V1", "00:00:00:01", "00:00:02:01")
    assert items["CAM_A001"].media_url == str(project / "media" / "cam.mp4")
    assert items["PLATE"].media_url == str(project / "media" / "plate.png")
    assert result.host == "blender" and result.name == scene.name
    verdicts = {r.item.clip: r.verdict.label for r in result.items}
    assert verdicts == {"PLATE": "pass", "CAM_A001": "pass", "DEAGE_SH020": "lock",
                        "POSTER_BG": "info", "CREATURE": "warn"}


def test_check_operator_colours_marks_and_locks(project):
    scene = build(project)
    scene.aigate_stage = "review"
    assert bpy.ops.aigate.check() == {"FINISHED"}
    tags = {s.name: s.color_tag for s in scene.sequence_editor.strips_all}
    assert tags["DEAGE_SH020"] == "COLOR_01" and tags["CREATURE"] == "COLOR_01"  # lock
    assert tags["POSTER_BG"] == "COLOR_04" and tags["PLATE"] == "NONE"
    assert strip(scene, "DEAGE_SH020").lock and not strip(scene, "PLATE").lock
    markers = sorted((m.frame, m.name) for m in scene.timeline_markers)
    assert markers == [(1, "AIGATE LOCK talent-consent DEAGE_SH020"),
                       (30, "AIGATE APPROVED final-deliverable-use POSTER_BG"),
                       (60, "AIGATE LOCK tool-unvetted CREATURE")]
    report = list(scene["aigate_report"])
    assert any("Ray Holt (likeness)" in line for line in report)
    # a second check replaces, never duplicates; a strip that now passes is cleared
    del strip(scene, "CREATURE")["aigate"]
    bpy.ops.aigate.check()
    assert len(scene.timeline_markers) == 2
    assert strip(scene, "CREATURE").color_tag == "NONE" and not strip(scene, "CREATURE").lock


def test_final_render_through_the_gate_is_refused(project, tmp_path):
    scene = build(project)
    scene.aigate_stage = "final"
    scene.render.filepath = str(tmp_path / "refused.png")
    with pytest.raises(RuntimeError, match=r'V3 "DEAGE_SH020" 00:00:00:01-00:00:01:01'):
        bpy.ops.aigate.render()
    assert not (tmp_path / "refused.png").exists()
    scene.aigate_stage = "edit"  # at edit the same render goes through
    del strip(scene, "DEAGE_SH020")["aigate"]
    assert bpy.ops.aigate.render() == {"FINISHED"}
    assert (tmp_path / "refused.png").exists()


def pixel(path: Path) -> tuple[int, int, int]:
    return Image.open(path).convert("RGB").getpixel((32, 18))


def test_safety_net_mutes_locked_strips_in_any_final_render(project, tmp_path, capfd):
    scene = build(project)
    scene.render.filepath = str(tmp_path / "edit.png")
    bpy.ops.render.render(write_still=True)  # stage edit: the red AI strip is in the frame
    red = pixel(tmp_path / "edit.png")
    assert red[0] > 150 and red[2] < 100
    scene.aigate_stage = "final"
    scene.render.filepath = str(tmp_path / "final.png")
    bpy.ops.render.render(write_still=True)  # not through the gate: F12, a script
    blue = pixel(tmp_path / "final.png")
    assert blue[2] > 150 and blue[0] < 100  # the locked strip is absent from the output
    assert "SAFETY NET: this final render leaves out locked strips: DEAGE_SH020" in \
        capfd.readouterr().err
    assert not strip(scene, "DEAGE_SH020").mute  # restored afterwards


def test_a_render_into_deliverables_is_final_whatever_asks_for_less(project, tmp_path,
                                                                     monkeypatch):
    monkeypatch.delenv("AIGATE_STAGE", raising=False)
    scene = build(project)
    out = tmp_path / "deliverables" / "frame.png"
    scene.render.filepath = str(out)
    scene.aigate_stage = "edit"  # the sidebar asks for less than the output's stage: refused
    with pytest.raises(RuntimeError, match=r"the scene's aigate stage \(sidebar\) asks for "
                       r"stage edit, but the output path is at stage final \(path rule "
                       r"'\*\*/deliverables/\*\*'"):
        bpy.ops.aigate.render()
    scene.aigate_stage = "AUTO"
    scene["aigate"] = {"stage": "edit"}  # the scene's own metadata cannot lower it either
    with pytest.raises(RuntimeError, match=r'(?s)export refused at stage final: .*"DEAGE_SH020"'):
        bpy.ops.aigate.render()
    monkeypatch.setenv("AIGATE_STAGE", "review")
    with pytest.raises(RuntimeError, match="AIGATE_STAGE asks for stage review"):
        bpy.ops.aigate.render()
    monkeypatch.delenv("AIGATE_STAGE")
    assert not out.parent.exists() or list(out.parent.iterdir()) == []
    for name in ("DEAGE_SH020", "CREATURE"):  # nothing locked at final any more: rendered
        del strip(scene, name)["aigate"]
    assert bpy.ops.aigate.render() == {"FINISHED"}
    assert out.exists()


def test_safety_net_checks_at_the_output_paths_stage(project, tmp_path, capfd):
    scene = build(project)
    scene.aigate_stage = "edit"  # a handler cannot refuse: it checks at final and says so
    scene.render.filepath = str(tmp_path / "deliverables" / "frame.png")
    bpy.ops.render.render(write_still=True)
    blue = pixel(tmp_path / "deliverables" / "frame.png")
    assert blue[2] > 150 and blue[0] < 100  # the locked strip is absent from the output
    err = capfd.readouterr().err
    assert "SAFETY NET: aigate: export to " in err
    assert ("asks for stage edit, but the output path is at stage final (path rule "
            "'**/deliverables/**' in " in err)
    assert "this render is checked at stage final" in err
    assert "leaves out locked strips: " in err and "DEAGE_SH020" in err
    assert not strip(scene, "DEAGE_SH020").mute  # restored afterwards
    scene.aigate_stage = "AUTO"
    scene["aigate"] = {"stage": "edit"}
    scene.render.filepath = str(tmp_path / "EP101_FINAL_frame.png")
    bpy.ops.render.render(write_still=True)
    blue = pixel(tmp_path / "EP101_FINAL_frame.png")
    assert blue[2] > 150 and blue[0] < 100


def test_edits_are_rechecked_debounced(project):
    scene = build(project)
    if bpy.app.timers.is_registered(addon._recheck):
        bpy.app.timers.unregister(addon._recheck)
    strip(scene, "CREATURE").color_tag = "NONE"
    for frame in (70, 71, 72):  # a drag: three edits in a row
        strip(scene, "CREATURE").frame_start = frame
        bpy.context.view_layer.update()  # Blender runs its depsgraph handlers: the add-on's
    # one check pending (a timer), none run per edit: the strip is not tagged yet
    assert bpy.app.timers.is_registered(addon._recheck)
    assert strip(scene, "CREATURE").color_tag == "NONE"


def test_load_post_runs_the_import_check_and_properties_persist(project):
    build(project)
    bpy.ops.wm.open_mainfile(filepath=str(project / "ep101.blend"))
    scene = bpy.context.scene
    assert strip(scene, "DEAGE_SH020")["aigate"].to_dict()["talent"][0]["name"] == "Ray Holt"
    assert strip(scene, "DEAGE_SH020").color_tag == "COLOR_01"  # tagged on load
    assert scene["aigate_checked_stage"] == "import"
    assert scene.aigate_stage == "AUTO"  # the result never overwrites the user's choice


def test_otio_round_trip_keeps_the_edit_and_the_provenance(project, cli):
    scene = build(project)
    [before] = aigate.check(scene, stage="review", config=project / "aigate.yaml")
    timeline = to_otio(scene)
    path = project / "from_blender.otio"
    import opentimelineio as otio

    otio.adapters.write_to_file(timeline, str(path), hook_function_argument_map={
        "aigate_stage": "review"})
    run = cli("check", path, "--stage", "review", "--format", "json")
    exported = {i["clip"]: (i["track"], i["record_in"], i["verdict"])
                for i in run.json["subjects"][0]["items"]}
    assert exported == {r.item.clip: (r.item.track, r.item.record_in, r.verdict.label)
                        for r in before.items}
    other = bpy.data.scenes.new("IMPORTED")
    other.render.fps, other.render.fps_base = 24, 1
    made = from_otio(otio.adapters.read_from_file(str(path)), other)
    assert sorted(s.name for s in made) == sorted(exported)
    [after] = aigate.check(other, stage="review", config=project / "aigate.yaml")
    assert {r.item.clip: (r.item.record_in, r.verdict.label) for r in after.items} == \
        {k: (v[1], v[2]) for k, v in exported.items()}


def test_blend_file_from_the_command_line(project):
    build(project)
    run = run_process("check", project / "ep101.blend", "--stage", "final", "--format",
                      "json")
    assert run.code == 1, run.err
    verdicts = {i["clip"]: i["verdict"] for i in run.json["subjects"][0]["items"]}
    assert verdicts["DEAGE_SH020"] == "lock" and verdicts["PLATE"] == "pass"


def test_register_unregister_and_a_clean_exit():
    code = ("import bpy, aigate_blender as b\n"
            "b.register()\n"
            "assert hasattr(bpy.ops.aigate, 'render')\n"
            "b.unregister()\n"
            "assert not any('aigate' in getattr(f, '__module__', '') "
            "for f in bpy.app.handlers.render_init)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


def test_the_addon_folder_is_a_shim_over_the_plugin():
    """Installed in Blender, the add-on folder registers the plugin's add-on (the same
    operators) and removes it again."""
    code = ("import bpy, aigate_blender_addon as a, aigate_blender.addon as impl\n"
            "assert a.register is impl.register and a.bl_info['name'] == 'aigate'\n"
            "a.register()\n"
            "assert hasattr(bpy.ops.aigate, 'check') and hasattr(bpy.ops.aigate, 'render')\n"
            "a.unregister()\n"
            "assert not hasattr(bpy.types.Scene, 'aigate_stage')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


def test_a_passing_final_render_is_stamped_when_the_config_names_a_certificate(
        project, tmp_path, monkeypatch):
    import json

    import c2pa

    from mediakit import signing_kit

    monkeypatch.delenv("AIGATE_STAGE", raising=False)
    kit = signing_kit("studio")
    (project / "chain.pem").write_bytes(kit.chain_pem)
    (project / "leaf.key").write_bytes(kit.key_pem)
    (project / "aigate.yaml").write_text(
        VETTED + "c2pa: {signing_cert: chain.pem, signing_key: leaf.key}\n")
    scene = build(project)
    for name in ("DEAGE_SH020", "CREATURE"):  # the approved poster remains: AI, passing
        del strip(scene, name)["aigate"]
    out = tmp_path / "deliverables" / "frame.png"
    scene.render.filepath = str(out)
    assert bpy.ops.aigate.render() == {"FINISHED"}
    stamped = out.with_name("frame.c2pa.png")
    with c2pa.Reader(str(stamped)) as reader:
        store = json.loads(reader.json())
    manifest = store["manifests"][store["active_manifest"]]
    actions = next(a["data"]["actions"] for a in manifest["assertions"]
                   if a["label"] == "c2pa.actions.v2")
    assert actions[0]["digitalSourceType"].endswith("compositeWithTrainedAlgorithmicMedia")
    out.unlink()
    stamped.unlink()
    (project / "aigate.yaml").write_text(VETTED)  # no certificate named: rendered, unstamped
    assert bpy.ops.aigate.render() == {"FINISHED"}
    assert out.exists() and not stamped.exists()
