"""What a Blender scene renders, strip by strip: the collector's walk and the safety net's
proof that muting removed a locked strip from the picture and the sound.

Blender renders more than the strips of the scene's own sequencer, and a mute does not
always take a strip out:

- an effect strip renders its inputs, muted or not (a blur over a muted strip shows it);
- a meta strip renders its children; a scene strip renders the other scene's strips (and
  their sound), recursively; a multicam strip renders the strips on its source channel;
- a strip modifier's mask brings another strip into the picture;
- an image sequence is as many files as frames; a movie-clip strip plays its clip's file;
- data linked from a library ``.blend`` names its media relative to that library.

So each strip *carries* what it brings into the output: the declarations and media of
every strip it renders become its own (:func:`carried`), and its verdict is at least
theirs. A strip playing the same file as another carries its declarations too (a movie
strip and the sound strip Blender adds beside it are one recording).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

NAMESPACE = "aigate"
#: effect strips whose output is their input strips' pictures
CARRYING = ("input_1", "input_2")


def editor_strips(scene: Any) -> list[Any]:
    """Every strip of ``scene``'s sequencer, inside metas too."""
    editor = scene.sequence_editor
    if editor is None:
        return []
    found = getattr(editor, "strips_all", None)  # Blender 4.4+
    return list(found if found is not None else editor.sequences_all)


def top_strips(scene: Any) -> list[Any]:
    editor = scene.sequence_editor
    if editor is None:
        return []
    found = getattr(editor, "strips", None)
    return list(found if found is not None else editor.sequences)


def children(strip: Any) -> list[Any]:
    """The strips ``strip`` draws its picture or sound from directly (not scenes)."""
    found = [getattr(strip, name, None) for name in CARRYING]
    if strip.type == "META":
        found += list(getattr(strip, "strips", None) or getattr(strip, "sequences", []))
    if strip.type == "MULTICAM":
        found += [s for s in _siblings(strip) if s.channel == strip.multicam_source]
    for modifier in getattr(strip, "modifiers", ()):
        found.append(getattr(modifier, "input_mask_strip", None))
    return [s for s in found if s is not None]


def _siblings(strip: Any) -> list[Any]:
    parent = strip.parent_meta() if hasattr(strip, "parent_meta") else None
    if parent is not None:
        return list(parent.strips)
    return top_strips(strip.id_data)


def inner_scene(strip: Any) -> Any | None:
    """The scene a scene strip renders (its sequencer, or its camera view, and its sound)."""
    return getattr(strip, "scene", None) if strip.type == "SCENE" else None


def library_of(data: Any) -> Any | None:
    return getattr(data, "library", None)


def media(bpy: Any, strip: Any) -> list[str]:
    """Every file ``strip`` plays, absolute, each resolved against the ``.blend`` that
    names it (a library's own folder for linked data): an image sequence frame by frame."""
    found = (bpy.path.abspath(path, library=library) for path, library in _named(strip)
             if path)
    return [path for path in found if not _root(path)]


def unnamed(bpy: Any, strip: Any) -> str:
    """Why ``strip`` plays a file it does not name: a movie, image, sound or movie-clip
    strip whose file path is empty (or, as Blender saves an empty path, the root), or whose
    sound or clip is gone, or a sound strip whose sound is packed into the .blend (what
    plays is not the file the gate would read); "" when it names every file it plays, or
    plays none (colour, text, adjustment, scene, mask strips)."""
    kind = _PLAYS_FILES.get(strip.type)
    if kind is None:
        return ""
    if strip.type == "SOUND" and strip.sound is not None \
            and strip.sound.packed_file is not None:
        # Blender plays the copy packed into the .blend; the file at its path may differ
        return "sound packed in the .blend (Blender plays the packed copy, not its file)"
    names = _named(strip)
    if names and all(path and not _root(bpy.path.abspath(path, library=library))
                     for path, library in names):
        return ""
    return f"{kind} strip names no file"


#: the strips that play files, as an editor calls them
_PLAYS_FILES = {"MOVIE": "movie", "IMAGE": "image", "SOUND": "sound",
                "MOVIECLIP": "movie clip"}


def _named(strip: Any) -> list[tuple[str, Any]]:
    """The file paths ``strip`` names, each with the library it is relative to ("" for a
    sound or movie clip that is gone); none for a strip that plays no file (a mask is
    shapes drawn in Blender)."""
    owner = library_of(strip.id_data)
    if strip.type == "MOVIE":
        return [(strip.filepath, owner)]
    if strip.type == "IMAGE":
        return [(strip.directory + element.filename, owner) for element in strip.elements]
    if strip.type == "SOUND":
        sound = strip.sound
        return [(sound.filepath, library_of(sound) or owner) if sound is not None
                else ("", owner)]
    if strip.type == "MOVIECLIP":
        clip = strip.clip
        return [(clip.filepath, library_of(clip) or owner) if clip is not None
                else ("", owner)]
    return []


def _root(path: str) -> bool:
    """Whether ``path`` names the root of a file system: how Blender saves an empty path
    (a relative remap writes ``//../..``, up to the root, for ``""``)."""
    normal = os.path.normpath(path)
    return os.path.dirname(normal) == normal


@dataclass
class Entry:
    """One strip as the subject's item: where it sits and what it carries."""

    strip: Any
    track: str
    clip: str
    start: float
    end: float
    sound: bool
    #: (where, declaration) pairs, its own first
    declared: list[tuple[str, Any]] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    #: why it plays (or brings in) a file no strip names ("" when every file is named)
    unknown: str = ""


def walk(bpy: Any, scene: Any, plain: Any) -> list[Entry]:
    """The scene's strips, then the strips of every scene its scene strips render (clip
    ``OUTER/INNER``), each with what it carries."""
    entries: list[Entry] = []
    _walk(bpy, scene, plain, "", "", 0.0, frozenset({scene.name_full}), entries)
    by_media: dict[str, list[Entry]] = {}
    for entry in entries:
        for path in entry.media:
            by_media.setdefault(path, []).append(entry)
    for entry in entries:  # one file, one recording: a claim about it holds for each player
        others = {id(o): o for path in entry.media for o in by_media[path] if o is not entry}
        for other in others.values():
            entry.declared += [(f"same-media strip {other.clip}", d)
                               for w, d in other.declared if w == "strip"]
    return entries


def _walk(bpy: Any, scene: Any, plain: Any, prefix: str, track_prefix: str, offset: float,
          seen: frozenset[str], entries: list[Entry]) -> dict[str, Entry]:
    mine: dict[str, Entry] = {}
    for strip in editor_strips(scene):
        sound = strip.type == "SOUND"
        declared = strip.get(NAMESPACE)
        entry = Entry(strip, f"{track_prefix}{'A' if sound else 'V'}{strip.channel}",
                      f"{prefix}{strip.name}", float(strip.frame_final_start) + offset,
                      float(strip.frame_final_end) + offset, sound,
                      [("strip", plain(declared))] if declared is not None else [],
                      media(bpy, strip), unnamed(bpy, strip))
        mine[strip.name] = entry
        entries.append(entry)
    for strip in editor_strips(scene):
        inner = inner_scene(strip)
        if inner is None or inner.name_full in seen:
            continue
        outer = mine[strip.name]
        shift = float(strip.frame_start) - inner.frame_start + offset
        found = _walk(bpy, inner, plain, f"{outer.clip}/", f"{outer.track}/", shift,
                      seen | {inner.name_full}, entries)
        for entry in found.values():
            outer.declared += [(f"scene strip {entry.clip}" if w == "strip" else w, d)
                               for w, d in entry.declared
                               if w == "strip" or w.startswith("scene strip")]
            outer.media += [m for m in entry.media if m not in outer.media]
            if entry.unknown and not outer.unknown:
                outer.unknown = f"scene strip {entry.clip}: {entry.unknown}"
    for entry in mine.values():
        for carried, how in _closure(entry.strip):
            source = mine.get(carried.name)
            if source is None:
                continue
            entry.declared += [(f"{how} strip {source.clip}", d) for w, d in source.declared
                               if w == "strip" or w.startswith("scene strip")]
            entry.media += [m for m in source.media if m not in entry.media]
            if source.unknown and not entry.unknown and how != "meta":
                entry.unknown = f"{how} strip {source.clip}: {source.unknown}"
    return mine


def _closure(strip: Any) -> Iterator[tuple[Any, str]]:
    """Every strip whose picture or sound ``strip`` renders, with how; and the metas
    around it (a declaration on a meta speaks for what is inside)."""
    stack, seen = [(c, "input") for c in children(strip)], {strip.name}
    parent = strip.parent_meta() if hasattr(strip, "parent_meta") else None
    while parent is not None:
        yield parent, "meta"
        parent = parent.parent_meta()
    while stack:
        child, how = stack.pop()
        if child.name in seen:
            continue
        seen.add(child.name)
        yield child, how
        stack += [(c, how) for c in children(child)]


def rendered(scene: Any, seen: frozenset[str] = frozenset()) -> set[tuple[str, str]]:
    """(scene, strip) of every strip that reaches the picture or the sound of a render of
    ``scene`` with the mutes as they are now: unmuted top-level strips on unmuted channels,
    everything they render (an effect's inputs muted or not), the unmuted children of a
    meta, and the same for every scene a rendered scene strip shows."""
    out: set[tuple[str, str]] = set()
    seen = seen | {scene.name_full}
    stack = [s for s in top_strips(scene) if _plays(scene.sequence_editor, s)]
    while stack:
        strip = stack.pop()
        key = (strip.id_data.name_full, strip.name)
        if key in out:
            continue
        out.add(key)
        if strip.type == "META":
            stack += [s for s in strip.strips if _plays(strip, s)]
        stack += [c for c in children(strip) if c.type != "META" or c not in
                  getattr(strip, "strips", ())]
        inner = inner_scene(strip)
        if inner is not None and inner.name_full not in seen:
            out |= rendered(inner, seen)
    return out


def _plays(owner: Any, strip: Any) -> bool:
    channels = getattr(owner, "channels", None)
    channel = channels[strip.channel] if channels is not None and \
        strip.channel < len(channels) else None
    return not strip.mute and not (channel is not None and channel.mute)


def animated_mutes(scene: Any, seen: frozenset[str] = frozenset()) -> list[str]:
    """Data paths of ``scene`` (and the scenes it renders) whose mute an F-curve or a driver
    sets during the render, which a mute set beforehand would not survive."""
    found: list[str] = []
    data = scene.animation_data
    curves = list(data.drivers) + (list(data.action.fcurves) if data and data.action and
                                   hasattr(data.action, "fcurves") else []) if data else []
    if data is not None and data.action is not None and not hasattr(data.action, "fcurves"):
        curves += [c for layer in data.action.layers for strip in layer.strips
                   for bag in strip.channelbags for c in bag.fcurves]
    found += [f"{scene.name}: {c.data_path}" for c in curves
              if c.data_path.startswith("sequence_editor") and
              (c.data_path.endswith(".mute") or ".channels[" in c.data_path)]
    for strip in editor_strips(scene):
        inner = inner_scene(strip)
        if inner is not None and inner.name_full not in seen | {scene.name_full}:
            found += animated_mutes(inner, seen | {scene.name_full})
    return found
