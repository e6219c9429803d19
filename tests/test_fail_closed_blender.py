"""Blender: an image strip's frames are its media (each element read), and a render into
a final location is refused when one is AI or cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import require
from mediakit import TRAINED, still, xmp_packet

bpy = require("bpy", "blender")

import aigate  # noqa: E402
import aigate_blender  # noqa: E402
from aigate.core.gate import GateLocked  # noqa: E402
from aigate_blender import addon  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def addon_registered():
    aigate_blender.register()
    yield
    aigate_blender.unregister()


def scene_with_sequence(root: Path, ai_frame: int | None = None,
                        missing: int | None = None) -> object:
    (root / "aigate.yaml").write_text("show: S\n")
    for n in range(1, 9):
        frame = still(root / "plates" / f"sh.{n:04d}.png")
        if n == ai_frame:
            frame.with_suffix(".xmp").write_text(xmp_packet(TRAINED))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1
    editor = scene.sequence_editor_create()
    strip = editor.strips.new_image(name="PLATE", filepath=str(root / "plates" / "sh.0001.png"),
                                    channel=1, frame_start=1)
    for n in range(2, 9):
        strip.elements.append(f"sh.{n:04d}.png")
    if missing is not None:
        (root / "plates" / f"sh.{missing:04d}.png").unlink()
    bpy.ops.wm.save_as_mainfile(filepath=str(root / "ep.blend"))
    return scene


def test_an_ai_frame_inside_an_image_strip_locks_at_final(tmp_path):
    scene = scene_with_sequence(tmp_path, ai_frame=6)
    [result] = aigate.check(scene, stage="final", config=tmp_path / "aigate.yaml")
    [item] = result.items
    assert item.ai and item.verdict.label == "lock"
    assert any("sh.0006" in e for e in item.provenance.evidence)
    scene.render.filepath = str(tmp_path / "deliverables" / "frame.png")
    with pytest.raises(GateLocked):
        addon.guard_render(scene)


def test_a_missing_frame_of_an_image_strip_locks_a_final_render(tmp_path):
    scene = scene_with_sequence(tmp_path, missing=4)
    scene.render.filepath = str(tmp_path / "deliverables" / "frame.png")
    with pytest.raises(GateLocked, match="media-missing"):
        addon.guard_render(scene)
    [result] = aigate.check(scene, stage="edit", config=tmp_path / "aigate.yaml")
    assert result.verdict.label == "info"
