"""Host plugin for Blender's Video Sequence Editor: a scene's strips become items (channel ->
track, strip -> clip, frame range -> record timecode at the scene's rate, movie/image/sound
file -> media), with provenance from ``strip["aigate"]`` (metadata contract v1). Verdicts go
back onto the strips: colour tags, a timeline marker per flagged strip, strip locks.

bpy is imported only when a subject is a Blender scene or a .blend file is read: pip install
'aigate[blender]' (the bpy wheel; Python 3.11 for Blender 4.2-5.0). Strip collections are
``strips_all`` from Blender 4.4 and ``sequences_all`` before.

With bpy as a module, :func:`register` installs the sequencer add-on (operators, sidebar
panel, handlers: :mod:`aigate_blender.addon`) and :func:`unregister` removes it; inside
Blender, the add-on folder hooks/aigate_blender_addon does the same.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigate.api import Collected, InputError, Item, Severity, Shade, SubjectResult, hookimpl

if TYPE_CHECKING:
    from aigate.api import Diagnostic

HOST = "blender"
NAMESPACE = "aigate"
#: colour tags: red lock, yellow warn, green AI approved, blue AI allowed by policy
TAGS = {Shade.LOCK: "COLOR_01", Shade.WARN: "COLOR_03", Shade.APPROVED: "COLOR_04",
        Shade.ALLOWED: "COLOR_05", Shade.NOTE: "COLOR_09"}
MARKER_PREFIX = "AIGATE "


def _bpy() -> Any:
    try:
        import bpy
    except ImportError:
        raise InputError("Blender scenes need bpy: pip install 'aigate[blender]'") from None
    return bpy


def register() -> None:
    """Install the sequencer add-on in the running bpy (operators, panel, handlers)."""
    from . import addon

    addon.register()


def unregister() -> None:
    """Remove everything :func:`register` installed; call it before the interpreter exits
    (handlers left behind make some Blender versions hang at exit)."""
    from . import addon

    addon.unregister()


def is_scene(subject: Any) -> bool:
    kind = type(subject)
    return kind.__name__ == "Scene" and kind.__module__.startswith("bpy")


class BlendFile:
    """A ``.blend`` read from disk: every scene in it is a subject of its own."""

    def __init__(self, scenes: list[Any]) -> None:
        self.scenes = scenes


def strips(scene: Any) -> list[Any]:
    from . import graph
    return graph.editor_strips(scene)


@hookimpl
def aigate_subject_suffixes() -> list[str]:
    return ["blend"]


@hookimpl
def aigate_load_subject(path: Path) -> Any | None:
    if path.suffix.lower() != ".blend":
        return None
    bpy = _bpy()
    # Blender logs "Read blend: ..." to the C stdout, where a JSON report may be going
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    except RuntimeError as exc:
        raise InputError(f"{path}: cannot open as a Blender file: {exc}") from None
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return BlendFile(sorted(bpy.data.scenes, key=lambda s: s.name_full))


@hookimpl
def aigate_collect(subject: Any, path: Path | None) -> list[Collected] | None:
    if isinstance(subject, BlendFile):
        return [collect_scene(scene) for scene in subject.scenes]
    if not is_scene(subject):
        return None
    return [collect_scene(subject)]


def collect_scene(scene: Any) -> Collected:
    """Every strip the scene renders, with what it carries (:mod:`aigate_blender.graph`):
    its own strips, then those of the scenes its scene strips show (clip ``OUTER/INNER``)."""
    from . import graph
    bpy = _bpy()
    rate = scene.render.fps / scene.render.fps_base
    entries = graph.walk(bpy, scene, _plain)
    ordered = sorted(enumerate(entries), key=lambda e: (
        "/" in e[1].clip, e[1].strip.channel, e[1].start, e[1].clip, e[0]))
    items: list[Item] = []
    handles: list[Any] = []
    index: dict[str, int] = {}
    for _, entry in ordered:
        position = index[entry.track] = index.get(entry.track, -1) + 1
        items.append(Item(
            entry.track, "Audio" if entry.sound else "Video", entry.clip, position, rate,
            entry.start, entry.end, media_url=entry.media[0] if entry.media else None,
            declared=tuple(entry.declared), other_media=tuple(entry.media[1:]),
            media_unknown=entry.unknown))
        handles.append(entry.strip)
    metadata = _plain(scene.get(NAMESPACE)) if scene.get(NAMESPACE) is not None else {}
    return Collected(name=scene.name, items=items, host=HOST,
                     metadata=metadata if isinstance(metadata, dict) else {}, native=scene,
                     handles=handles)


def _media(bpy: Any, strip: Any) -> str | None:
    from . import graph
    found = graph.media(bpy, strip)
    return found[0] if found else None


def _plain(value: Any) -> Any:
    """IDProperty groups and arrays as plain dicts and lists."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "to_list"):
        return value.to_list()
    return value


@hookimpl
def aigate_present(collected: Collected, result: SubjectResult, target: str | None) -> Any:
    from . import graph
    if collected.host != HOST:
        return None
    scene = collected.native
    for marker in [m for m in scene.timeline_markers if m.name.startswith(MARKER_PREFIX)]:
        scene.timeline_markers.remove(marker)
    lines = []
    for strip, item_result in zip(collected.handles, result.items, strict=True):
        verdict = item_result.verdict
        if graph.library_of(strip.id_data) is not None:  # linked: not ours to change
            lines += [f"{f.severity.label.upper()} {f.message}" for f in item_result.findings]
            continue
        if strip.get("aigate_locked"):  # our lock, not the editor's
            strip.lock = False
            del strip["aigate_locked"]
        if verdict is Severity.PASS:
            if "aigate_verdict" in strip:
                strip.color_tag = "NONE"
                del strip["aigate_verdict"]
            continue
        headline = item_result.headline
        assert headline is not None  # a clip that does not pass has findings
        shade = Shade.of(item_result)
        strip.color_tag = TAGS[shade]
        strip["aigate_verdict"] = verdict.label
        if verdict is Severity.LOCK and not strip.lock:
            strip.lock = True
            strip["aigate_locked"] = 1
        scene.timeline_markers.new(
            f"{MARKER_PREFIX}{shade.value.upper()} {headline.rule} {item_result.item.clip}",
            frame=int(item_result.item.record_start))
        lines += [f"{f.severity.label.upper()} {f.message}" for f in item_result.findings]
    scene["aigate_report"] = lines or ["no findings: every strip passes"]
    # not "aigate_stage": before Blender 5.0 that is the storage of the add-on's own stage
    # property, which a string would reset to Auto after every check
    scene["aigate_checked_stage"] = result.stage
    return True


@hookimpl
def aigate_doctor() -> list[Diagnostic]:
    import importlib.util

    from aigate.api import Diagnostic

    if importlib.util.find_spec("bpy") is None:
        return [Diagnostic("Blender", False, "bpy is not installed: .blend files and the "
                           "sequencer add-on need pip install 'aigate[blender]'",
                           fails_open=False)]
    return [Diagnostic("Blender", True, "bpy is importable (aigate_blender.register() adds "
                       "the sequencer add-on)", fails_open=False)]
