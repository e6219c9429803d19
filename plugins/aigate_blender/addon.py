"""The sequencer add-on: operators, sidebar panel and handlers that run the gate inside
Blender's Video Sequence Editor. It imports bpy, so nothing imports it until a host asks:
``aigate_blender.register()`` with bpy as a module, or the add-on folder
(hooks/aigate_blender_addon, a shim over this module) installed in Blender.

- on load (load_post): the import check; strips are tagged, nothing is blocked;
- on edits: the check again, debounced (one second after the last change);
- ``aigate.check`` (sidebar > aigate > Check): tags strips at the scene's stage;
- ``aigate.render``: the gated render, at the export's stage (README, "Stages"): never below
  what the config's path rules give the render's output path. A sidebar stage below that is
  refused, saying why; at stage final with a lock verdict it reports an ERROR naming the
  strips and cancels (a scripted ``bpy.ops.aigate.render()`` raises RuntimeError); a passing
  final render is stamped with Content Credentials when aigate.yaml names a signing
  certificate (``c2pa: {signing_cert, signing_key}``);
- the safety net: a render started any other way (F12, ``bpy.ops.render.render``) is
  checked at the same export stage; at final it renders with the locked strips muted,
  restores them afterwards, and says so loudly. (A handler cannot stop a render; muting is
  what it can do. So a sidebar stage below the output's is not refused here: it says so and
  checks at the output's stage.)

Colour tags: red lock, yellow warn, green AI approved; a timeline marker "AIGATE LOCK <rule>
<strip>" at each flagged strip's start; locked verdicts lock the strip. The sidebar panel
lists the findings (in bpy-as-module the operator's report carries the same text).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import bpy
from bpy.app.handlers import persistent

from . import net

STAGE_ITEMS = [("AUTO", "Auto", "AIGATE_STAGE, else the scene's metadata and the config's "
                "path rules (for a render: never below its output path's rule)"),
               ("import", "Import", ""), ("edit", "Edit", ""), ("review", "Review", ""),
               ("final", "Final", "picture lock, conform, deliverables")]
DEBOUNCE = 1.0
#: how a refusal names the stage the user picked
SIDEBAR_STAGE = "the scene's aigate stage (sidebar)"


def _stage(scene: Any) -> str | None:
    stage = getattr(scene, "aigate_stage", "AUTO")
    return None if stage == "AUTO" else stage


def _gate(scene: Any) -> Any:
    from aigate.api import gate_for

    blend = Path(bpy.data.filepath) if bpy.data.filepath else Path.cwd()
    return gate_for(blend, warn=lambda m: print(f"aigate: warning: {m}", file=sys.stderr))


def _blend() -> Path | None:
    return Path(bpy.data.filepath) if bpy.data.filepath else None


def render_output(scene: Any) -> str:
    """The file this scene's render writes (its first frame for an animation): the path
    the config's stage path rules are matched against."""
    frame = scene.frame_start if scene.render.is_movie_format else scene.frame_current
    return bpy.path.abspath(scene.render.frame_path(frame=frame))


def check(scene: Any, stage: str | None = None) -> Any:
    """Check the scene and tag its strips; the scene's result."""
    [result] = _gate(scene).annotate(scene, None, stage=stage or _stage(scene), path=_blend())
    return result


def guard_render(scene: Any) -> list[Any]:
    """Check the scene for a render to its output path, at the export's stage, tagging its
    strips. Raises StageRefused (the sidebar asks for less than the output's stage) or
    GateLocked (locked at final); the results otherwise."""
    return _gate(scene).guard_export(scene, stage=_stage(scene), output=render_output(scene),
                                     annotate=True, stage_source=SIDEBAR_STAGE,
                                     origin=_blend())


def stamp_render(scene: Any, results: list[Any], animation: bool = False) -> Path | None:
    """After a passing final render: Content Credentials on the rendered file (beside it, as
    NAME.c2pa.SUFFIX) when the config names a signing certificate (``c2pa.signing_cert``);
    None when it does not, or the render was not final. A still or a movie file is stamped;
    an image sequence is refused (one stamped frame would speak for frames it does not
    cover)."""
    from aigate.api import UsageError

    gate = _gate(scene)
    if gate.config.c2pa_signing is None or not any(r.stage == "final" for r in results):
        return None
    if animation and not scene.render.is_movie_format:
        raise UsageError("an image sequence gets no Content Credentials: render a movie file")
    still = Path(bpy.path.abspath(scene.render.filepath))
    rendered = still if not animation and still.is_file() else Path(render_output(scene))
    cert, key = gate.config.c2pa_signing
    stamped = gate.plugins.hook.aigate_stamp_credentials(
        deliverable=rendered, results=results, gate=gate, cert=cert, key=key, output=None,
        attestation=None, timeline=_blend())
    if stamped is None:
        raise UsageError("c2pa.signing_cert is set but no plugin writes Content Credentials: "
                         "pip install 'aigate[c2pa]'")
    return stamped.path


def checked_for_render(scene: Any) -> tuple[str, list[Any]]:
    """The safety net's check: the stage a render of ``scene`` is judged at and the results
    locked at final (none: nothing to mute). It cannot refuse a stage below the output's,
    so that is said and replaced by the output's."""
    from aigate.api import GateLocked, StageRefused

    gate, output = _gate(scene), render_output(scene)
    stage = _stage(scene)
    try:
        try:
            results = gate.guard_export(scene, stage=stage, output=output, annotate=True,
                                        stage_source=SIDEBAR_STAGE, origin=_blend())
        except StageRefused as exc:
            print(f"aigate: SAFETY NET: {exc}: this render is checked at stage "
                  f"{exc.required}", file=sys.stderr)
            results = gate.guard_export(scene, stage=exc.required, output=output,
                                        annotate=True, stage_source=SIDEBAR_STAGE,
                                        origin=_blend())
    except GateLocked as exc:
        return "final", exc.results
    return (results[0].stage if results else "edit"), []


def locked_for_render(scene: Any) -> list[Any]:
    """The results locked at final for a render of ``scene``."""
    return checked_for_render(scene)[1]


def _summary(result: Any) -> str:
    from aigate.api import counts_in_words

    return f"aigate [{result.stage}]: {counts_in_words(result.counts)}"


class AIGATE_OT_check(bpy.types.Operator):
    """Check the strips against the studio's GenAI policy and tag them"""

    bl_idname = "aigate.check"
    bl_label = "Check GenAI strips"

    def execute(self, context: Any) -> set[str]:
        from aigate.api import AigateError

        try:
            result = check(context.scene)
        except AigateError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        level = "WARNING" if result.verdict.label in ("warn", "lock") else "INFO"
        self.report({level}, "\n".join([_summary(result), *context.scene["aigate_report"]]))
        return {"FINISHED"}


class AIGATE_OT_render(bpy.types.Operator):
    """Render through the gate: refused at stage final while a strip is locked"""

    bl_idname = "aigate.render"
    bl_label = "Render through aigate"

    # Blender reads properties from annotations; a call is no type to mypy
    animation: bpy.props.BoolProperty(name="Animation", default=False)  # type: ignore[valid-type]

    def execute(self, context: Any) -> set[str]:
        from aigate.api import AigateError

        try:
            results = guard_render(context.scene)
        except AigateError as exc:  # GateLocked names every locked strip, StageRefused why
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        bpy.ops.render.render(animation=self.animation, write_still=not self.animation)
        try:
            stamped = stamp_render(context.scene, results, self.animation)
        except AigateError as exc:  # rendered, but the credentials are not: say so
            self.report({"ERROR"}, f"rendered, but not stamped: {exc}")
            return {"CANCELLED"}
        if stamped is not None:
            self.report({"INFO"}, f"aigate: Content Credentials written to {stamped}")
        return {"FINISHED"}


class AIGATE_OT_mixdown(bpy.types.Operator):
    """Render Audio through the gate: refused at stage final while a strip is locked"""

    bl_idname = "aigate.mixdown"
    bl_label = "Render Audio through aigate"

    filepath: bpy.props.StringProperty(name="File", subtype="FILE_PATH")  # type: ignore[valid-type]
    container: bpy.props.StringProperty(name="Container", default="WAV")  # type: ignore[valid-type]
    codec: bpy.props.StringProperty(name="Codec", default="PCM")  # type: ignore[valid-type]

    def execute(self, context: Any) -> set[str]:
        from aigate.api import AigateError

        output = bpy.path.abspath(self.filepath)
        try:  # the same gate as a render, at the audio file's stage
            _gate(context.scene).guard_export(
                context.scene, stage=_stage(context.scene), output=output, annotate=True,
                stage_source=SIDEBAR_STAGE, origin=_blend())
        except AigateError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        return bpy.ops.sound.mixdown(filepath=output, container=self.container,
                                     codec=self.codec)


def _render_menu(self: Any, context: Any) -> None:
    self.layout.operator("aigate.mixdown", text="Render Audio through aigate")


class SEQUENCER_PT_aigate(bpy.types.Panel):
    bl_space_type = "SEQUENCE_EDITOR"
    bl_region_type = "UI"
    bl_category = "aigate"
    bl_label = "aigate"

    def draw(self, context: Any) -> None:
        layout = self.layout
        layout.prop(context.scene, "aigate_stage")
        row = layout.row()
        row.operator("aigate.check")
        row.operator("aigate.render")
        for line in context.scene.get("aigate_report", []):
            layout.label(text=line, icon="ERROR" if line.startswith("LOCK") else "INFO")


@persistent
def _on_load(*_: Any) -> None:
    scene = bpy.context.scene
    if scene is None or scene.sequence_editor is None:
        return
    try:
        print(_summary(check(scene, stage="import")), file=sys.stderr)
    except Exception as exc:  # an import is never blocked
        print(f"aigate: import check failed: {exc}", file=sys.stderr)


def _recheck() -> None:
    scene = bpy.context.scene
    if scene is not None and scene.sequence_editor is not None:
        try:
            check(scene)
        except Exception as exc:
            print(f"aigate: check failed: {exc}", file=sys.stderr)


@persistent
def _on_edit(scene: Any, *_: Any) -> None:
    # a check per edit would make scrubbing crawl: one, a second after the last change
    if bpy.app.timers.is_registered(_recheck):
        bpy.app.timers.unregister(_recheck)
    bpy.app.timers.register(_recheck, first_interval=DEBOUNCE)


@persistent
def _on_render_init(scene: Any, *_: Any) -> None:
    """The safety net (:mod:`aigate_blender.net`)."""
    net.on_init(scene)


@persistent
def _on_render_done(scene: Any, *_: Any) -> None:
    net.restore()


CLASSES = (AIGATE_OT_check, AIGATE_OT_render, AIGATE_OT_mixdown, SEQUENCER_PT_aigate)
HANDLERS = (("load_post", _on_load), ("depsgraph_update_post", _on_edit),
            ("render_init", _on_render_init), ("render_pre", net.on_pre_handler),
            ("render_complete", _on_render_done), ("render_cancel", _on_render_done))


def register() -> None:
    bpy.types.Scene.aigate_stage = bpy.props.EnumProperty(
        name="Stage", items=STAGE_ITEMS, default="AUTO",
        description="Pipeline stage the gate checks at")
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    for name, function in HANDLERS:
        handlers = getattr(bpy.app.handlers, name)
        if function not in handlers:
            handlers.append(function)
    menu = getattr(bpy.types, "TOPBAR_MT_render", None)
    if menu is not None:
        menu.append(_render_menu)


def unregister() -> None:
    """Removes every handler: ones left behind make some Blender versions hang at exit."""
    for name, function in HANDLERS:
        handlers = getattr(bpy.app.handlers, name)
        while function in handlers:
            handlers.remove(function)
    if bpy.app.timers.is_registered(_recheck):
        bpy.app.timers.unregister(_recheck)
    menu = getattr(bpy.types, "TOPBAR_MT_render", None)
    if menu is not None:
        menu.remove(_render_menu)
    for cls in reversed(CLASSES):
        if getattr(cls, "is_registered", False):
            bpy.utils.unregister_class(cls)
    if hasattr(bpy.types.Scene, "aigate_stage"):
        del bpy.types.Scene.aigate_stage
