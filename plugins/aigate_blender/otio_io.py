"""The sequencer edit to and from OpenTimelineIO, carrying ``strip["aigate"]`` <->
``metadata["aigate"]``, so a Blender edit goes through the same conform gate."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from aigate_otio.collect import plain

from . import NAMESPACE, _bpy, _media, _plain, strips

MOVIES = {".mov", ".mp4", ".m4v", ".avi", ".mkv", ".mxf", ".webm"}
SOUNDS = {".wav", ".mp3", ".flac", ".aac", ".m4a", ".ogg"}


def to_otio(scene: Any) -> otio.schema.Timeline:
    """One OTIO track per sequencer channel (V<n>, or A<n> for sound), record frames kept."""
    bpy = _bpy()
    rate = scene.render.fps / scene.render.fps_base
    timeline = otio.schema.Timeline(name=scene.name,
                                    global_start_time=RationalTime(0, rate))
    channels: dict[tuple[int, bool], list[Any]] = {}
    for strip in strips(scene):
        channels.setdefault((strip.channel, strip.type == "SOUND"), []).append(strip)
    for (channel, sound), members in sorted(channels.items(), key=lambda kv: (kv[0][1],
                                                                             kv[0][0])):
        track = otio.schema.Track(name=f"{'A' if sound else 'V'}{channel}",
                                  kind=otio.schema.TrackKind.Audio if sound
                                  else otio.schema.TrackKind.Video)
        position = 0.0
        for strip in sorted(members, key=lambda s: s.frame_final_start):
            start, end = float(strip.frame_final_start), float(strip.frame_final_end)
            if start > position:
                track.append(otio.schema.Gap(source_range=TimeRange(
                    RationalTime(0, rate), RationalTime(start - position, rate))))
            media = _media(bpy, strip)
            reference = otio.schema.ExternalReference(target_url=media) if media else \
                _no_file(strip)
            clip = otio.schema.Clip(name=strip.name, media_reference=reference,
                                    source_range=TimeRange(
                                        RationalTime(float(strip.frame_offset_start), rate),
                                        RationalTime(end - start, rate)))
            declared = strip.get(NAMESPACE)
            if declared is not None:
                clip.metadata[NAMESPACE] = _plain(declared)
            track.append(clip)
            position = end
        timeline.tracks.append(track)
    return timeline


#: strips that play files, or other strips' files: without a file named, their media are
#: unknown (a MissingReference); any other strip makes its picture itself (a generator)
_NAMES_MEDIA = frozenset(("MOVIE", "IMAGE", "SOUND", "MOVIECLIP", "SCENE", "META",
                          "MULTICAM"))


def _no_file(strip: Any) -> otio.core.MediaReference:
    """The reference of a strip whose media no file names: missing for a strip that plays
    media (the gate cannot look at it), a generator for a colour, text or effect strip."""
    if strip.type in _NAMES_MEDIA:
        return otio.schema.MissingReference()
    return otio.schema.GeneratorReference(generator_kind=strip.type.lower())


def from_otio(timeline: otio.schema.Timeline, scene: Any) -> list[Any]:
    """Strips for every clip of ``timeline`` in ``scene``'s sequencer; the strips made."""
    rate = scene.render.fps / scene.render.fps_base
    editor = scene.sequence_editor or scene.sequence_editor_create()
    collection = editor.strips if hasattr(editor, "strips") else editor.sequences
    start = timeline.global_start_time.value_rescaled_to(rate) if \
        timeline.global_start_time else 0.0
    made = []
    for number, track in enumerate(timeline.tracks, start=1):
        match = re.fullmatch(r"[VA](\d+)", track.name or "")
        channel = int(match.group(1)) if match else number
        ranges = track.range_of_all_children()
        for child in track:
            if not isinstance(child, otio.schema.Clip):
                continue
            placed = ranges[child]
            frame = round(start + placed.start_time.value_rescaled_to(rate))
            length = max(round(placed.duration.value_rescaled_to(rate)), 1)
            strip = _strip(collection, child, channel, frame, length)
            metadata = child.metadata.get(NAMESPACE) if len(child.metadata) else None
            if metadata is not None:
                strip[NAMESPACE] = plain(metadata)
            made.append(strip)
    return made


def _strip(collection: Any, clip: otio.schema.Clip, channel: int, frame: int,
           length: int) -> Any:
    url = getattr(clip.media_reference, "target_url", None) or ""
    path = Path(url.removeprefix("file://"))
    suffix = path.suffix.lower()
    if url and path.exists() and suffix in MOVIES:
        strip = collection.new_movie(name=clip.name, filepath=str(path), channel=channel,
                                     frame_start=frame)
    elif url and path.exists() and suffix in SOUNDS:
        strip = collection.new_sound(name=clip.name, filepath=str(path), channel=channel,
                                     frame_start=frame)
    elif url and path.exists():
        strip = collection.new_image(name=clip.name, filepath=str(path), channel=channel,
                                     frame_start=frame)
    else:  # no media here: a placeholder of the right length keeps the edit
        strip = collection.new_effect(name=clip.name, type="COLOR", channel=channel,
                                      frame_start=frame, length=length)
    strip.frame_final_duration = length
    return strip
