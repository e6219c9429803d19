"""The safety net: a render started any way but through the gate (F12, a script's
``bpy.ops.render.render``) is checked at its export stage when it starts (``render_init``),
and at final it fails closed:

- locked strips are muted, and so is every strip that renders them (an effect over one, a
  meta or scene strip holding one: each carries its inputs' verdicts); the mutes are then
  proved, on the strips Blender will render (:func:`aigate_blender.graph.rendered`), to
  take every locked strip out of the picture and the sound, and only strips so proved are
  named as left out;
- the render is refused outright when that cannot be proved (a mute an F-curve or driver
  sets, linked data that cannot be muted) or when the check itself fails and the render
  may be final (a config refused, a stage that cannot be resolved). A handler cannot
  cancel a render; so a refusal takes away what a render needs (the sequencer, the camera,
  the view layers) and Blender stops with "Cannot render" before writing anything;
- aigate decides last: before each frame (``render_pre``, where aigate's handler is moved
  to the end) it compares the scene with what it checked. A handler that ran after its
  check and changed a strip, a mute or a file, or a ``render_pre`` handler behind it,
  makes the frame black and silent (every strip muted), and it says so.

Everything it changed is put back when the render completes or is cancelled.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

import bpy
from bpy.app.handlers import persistent

from . import collect_scene, graph

PREFIX = "aigate: SAFETY NET:"


@dataclass
class State:
    """One render's changes, to put back; and what was checked, to compare."""

    muted: list[tuple[str, str]] = field(default_factory=list)  # (scene, strip)
    settings: list[tuple[str, Any, Any]] = field(default_factory=list)  # (scene, saved)
    fingerprint: str | None = None
    final: bool = False


state = State()


def say(message: str) -> None:
    print(f"{PREFIX} {message}", file=sys.stderr)


def fingerprint(scene: Any) -> str:
    """What decides a render's picture and sound: every strip it renders, where, from
    which files, with which declarations, muted or not; the channel mutes; the settings a
    refusal takes away."""
    entries = graph.walk(bpy, scene, _plain)
    from .addon import render_output

    rows: list[Any] = [(scene.render.use_sequencer, scene.camera and scene.camera.name,
                        render_output(scene))]
    for entry in entries:
        rows.append((entry.clip, entry.track, entry.start, entry.end, entry.media,
                     repr(entry.declared), entry.strip.mute, entry.strip.type))
    for owner in {e.strip.id_data for e in entries}:
        editor = owner.sequence_editor
        rows.append([c.mute for c in editor.channels] if editor else None)
    return repr(rows)


def _plain(value: Any) -> Any:
    from . import _plain as plain

    return plain(value)


def _mute(strip: Any) -> bool:
    """Mute ``strip``; whether it now is (linked data refuses)."""
    if strip.mute:
        return True
    try:
        strip.mute = True
    except (AttributeError, TypeError, RuntimeError):
        return False
    if not strip.mute:
        return False
    state.muted.append((strip.id_data.name_full, strip.name))
    return True


def refuse(scene: Any, why: str) -> None:
    """Refuse the render: nothing of the edit may reach the output."""
    say(f"render REFUSED: {why}. Render through aigate (sidebar > aigate > Render) to "
        "see the findings.")
    blank(scene)
    state.settings.append((scene.name_full, scene.render.use_sequencer, (
        scene.camera, [(v.name, v.use) for v in scene.view_layers])))
    scene.render.use_sequencer = False
    scene.camera = None
    for layer in scene.view_layers:
        layer.use = False


def blank(scene: Any) -> None:
    """Every strip of the scene muted: the sequencer renders black and silence."""
    for strip in graph.editor_strips(scene):
        _mute(strip)


def restore() -> None:
    while state.muted:
        scene_name, strip_name = state.muted.pop()
        owner = bpy.data.scenes.get(scene_name)
        strip = {s.name: s for s in graph.editor_strips(owner)}.get(strip_name) \
            if owner else None
        if strip is not None:
            strip.mute = False
    while state.settings:
        scene_name, sequencer, (camera, layers) = state.settings.pop()
        owner = bpy.data.scenes.get(scene_name)
        if owner is None:
            continue
        owner.render.use_sequencer = sequencer
        owner.camera = camera
        for name, use in layers:
            if name in owner.view_layers:
                owner.view_layers[name].use = use
    state.fingerprint, state.final = None, False


def may_be_final(scene: Any) -> bool:
    """Whether a render of ``scene`` whose check failed could be at stage final: unless its
    stage is positively below final, it is taken to be."""
    from .addon import _gate, _stage, render_output

    asked = [_stage(scene), os.environ.get("AIGATE_STAGE")]
    declared = scene.get(graph.NAMESPACE)
    if hasattr(declared, "to_dict"):
        asked.append(declared.to_dict().get("stage"))
    if "final" in asked:
        return True
    try:
        rule = _gate(scene).path_stage(render_output(scene))
    except Exception:  # the config itself is refused: nothing says the render is not final
        return True
    return rule is not None and rule.stage == "final"


def on_init(scene: Any, reorder: bool = True) -> None:
    from aigate.api import Severity

    from .addon import checked_for_render

    restore()  # what an interrupted render left behind
    pre = bpy.app.handlers.render_pre  # aigate's comparison runs after every other one
    while reorder and on_pre_handler in pre:
        pre.remove(on_pre_handler)
    if reorder:
        pre.append(on_pre_handler)
    try:
        stage, locked = checked_for_render(scene)
    except Exception as exc:
        if may_be_final(scene):
            state.final = True
            refuse(scene, f"its check failed and this render may be final: {exc}")
        else:
            say(f"could not check the scene (not a final render): {exc}")
        return
    state.final = stage == "final"
    if locked:
        collected = collect_scene(scene)
        keys = set()
        for strip, item_result in zip(collected.handles, locked[0].items, strict=True):
            if item_result.verdict is Severity.LOCK:
                keys.add((strip.id_data.name_full, strip.name))
        animated = graph.animated_mutes(scene)
        if animated:
            refuse(scene, "a locked strip cannot be muted for sure: an animation or a driver "
                   f"sets a mute during the render ({', '.join(animated)})")
            return
        left_out = []
        for strip in collected.handles:
            key = (strip.id_data.name_full, strip.name)
            if key in keys and strip.id_data == scene:
                if not _mute(strip):
                    refuse(scene, f"the locked strip {strip.name} cannot be muted")
                    return
                left_out.append(strip.name)
        still = sorted(f"{s}: {n}" for s, n in keys & graph.rendered(scene))
        if still:
            refuse(scene, f"muting does not take locked strips out of the output: "
                   f"{', '.join(still)}")
            return
        if left_out:
            say(f"this final render leaves out locked strips: {', '.join(left_out)}")
    state.fingerprint = fingerprint(scene)


def on_pre(scene: Any) -> None:
    if state.fingerprint is None:
        return
    pre = bpy.app.handlers.render_pre
    if not state.final and fingerprint(scene) != state.fingerprint:
        # something after the check changed the scene: a render it now makes final?
        on_init(scene, reorder=False)
        return
    if not state.final:
        return
    if pre[len(pre) - 1] is not on_pre_handler:
        say(f"frame {scene.frame_current} REFUSED (every strip muted): a render_pre handler "
            "runs after aigate's and could change what it checked")
        blank(scene)
        state.fingerprint = fingerprint(scene)
    elif fingerprint(scene) != state.fingerprint:
        say(f"frame {scene.frame_current} REFUSED (every strip muted): the scene changed after "
            "aigate's check (a render handler after aigate's)")
        blank(scene)
        state.fingerprint = fingerprint(scene)


@persistent
def on_pre_handler(scene: Any, *_: Any) -> None:
    on_pre(scene)
