"""Writing new projects in Kdenlive 22.12's format (what ``from_otio`` makes, and what the
tests cut): a bin clip per source in ``main_bin``, a timeline producer per clip sharing its
``kdenlive:id`` (its length the media's, as Kdenlive reads it from the file), Kdenlive's
black background track, each track a tractor of two sub-playlists, and the main tractor
with the mix (audio) and qtblend (video) compositing Kdenlive adds, so melt renders it as
Kdenlive shows it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .project import BIN, BLACK_TRACK, CONTRACT, DOC_SETTINGS, Project, clock

KDENLIVE_VERSION = "22.12.3"
MLT_VERSION = "7.12.0"


@dataclass
class ClipSpec:
    """One clip on a track: a media file (``resource``) or a colour (``color``, MLT's
    ``0xRRGGBBAA`` or a name), ``length`` frames from ``source_in``, placed at ``start``
    (default: right after the previous clip on its track)."""

    name: str
    length: int
    resource: str | None = None
    color: str | None = None
    source_in: int = 0
    start: int | None = None
    #: contract v1 on the clip (bin clip and timeline producer) and on this use of it (the
    #: playlist entry)
    aigate: Any = None
    entry_aigate: Any = None
    #: the media's real length in frames (the bin clip's length, as Kdenlive reads it from
    #: the file); None: the clip's own end
    media_length: int | None = None


@dataclass
class TrackSpec:
    clips: Sequence[ClipSpec] = ()
    audio: bool = False
    name: str = ""


@dataclass
class ProfileSpec:
    width: int = 1920
    height: int = 1080
    rate_num: int = 25
    rate_den: int = 1

    @property
    def rate(self) -> float:
        return self.rate_num / self.rate_den


@dataclass
class _Ids:
    counter: dict[str, int] = field(default_factory=dict)

    def next(self, prefix: str) -> str:
        number = self.counter.get(prefix, 0)
        self.counter[prefix] = number + 1
        return f"{prefix}{number}"


def build(tracks: Sequence[TrackSpec], *, profile: ProfileSpec | None = None,
          name: str = "project", root: Path | None = None,
          guides: Sequence[Mapping[str, Any]] = (),
          settings: Mapping[str, Any] | None = None) -> Project:
    """A project in Kdenlive 22.12's layout; tracks are listed bottom-up per kind (V1 first,
    A1 first)."""
    profile = profile or ProfileSpec()
    rate = profile.rate
    mlt = ET.Element("mlt", {"LC_NUMERIC": "C", "producer": BIN, "version": MLT_VERSION})
    if root is not None:
        mlt.set("root", str(Path(root).absolute()))  # MLT reads a relative root from its cwd
    ET.SubElement(mlt, "profile", {
        "description": f"{profile.width}x{profile.height} {rate:g} fps",
        "width": str(profile.width), "height": str(profile.height), "progressive": "1",
        "sample_aspect_num": "1", "sample_aspect_den": "1",
        "display_aspect_num": str(profile.width), "display_aspect_den": str(profile.height),
        "frame_rate_num": str(profile.rate_num), "frame_rate_den": str(profile.rate_den),
        "colorspace": "709"})
    ids = _Ids()
    bin_entries: list[tuple[str, int]] = []
    bin_ids: dict[tuple[str | None, str | None, str, str], str] = {}
    timeline_parts: list[ET.Element] = []
    # Kdenlive's tractor order: audio tracks (A1 nearest the video), then video from V1 up
    audio = [t for t in tracks if t.audio]
    video = [t for t in tracks if not t.audio]
    ordered = list(reversed(audio)) + video
    track_tractors = []
    end = 1
    for track in ordered:
        playlist = ET.Element("playlist", id=ids.next("playlist"))
        if track.audio:
            _prop(playlist, "kdenlive:audio_track", "1")
        position = 0
        for spec in track.clips:
            start = position if spec.start is None else spec.start
            if start < position:
                raise ValueError(f"clip {spec.name!r} overlaps the previous clip")
            if start > position:
                ET.SubElement(playlist, "blank", length=clock(start - position, rate))
            source = (spec.resource, spec.color, spec.name, json.dumps(spec.aigate))
            if source not in bin_ids:
                bin_ids[source] = str(len(bin_ids) + 2)  # Kdenlive numbers bin clips from 2
                bin_clip = _producer(spec, bin_ids[source], ids, rate)
                mlt.append(bin_clip)
                bin_entries.append((bin_clip.get("id", ""),
                                    max(spec.media_length or 0, spec.source_in + spec.length)))
            producer = _producer(spec, bin_ids[source], ids, rate)
            timeline_parts.append(producer)
            entry = ET.SubElement(playlist, "entry", {
                "producer": producer.get("id", ""), "in": clock(spec.source_in, rate),
                "out": clock(spec.source_in + spec.length - 1, rate)})
            _prop(entry, "kdenlive:id", bin_ids[source])  # as Kdenlive writes an entry
            if spec.entry_aigate is not None:
                _prop(entry, CONTRACT, json.dumps(spec.entry_aigate))
            position = start + spec.length
        end = max(end, position)
        second = ET.Element("playlist", id=ids.next("playlist"))
        if track.audio:
            _prop(second, "kdenlive:audio_track", "1")
        timeline_parts += [playlist, second]
        tractor = ET.Element("tractor", id=ids.next("tractor"))
        if track.audio:
            _prop(tractor, "kdenlive:audio_track", "1")
        if track.name:
            _prop(tractor, "kdenlive:track_name", track.name)
        _prop(tractor, "kdenlive:trackheight", "69")
        _prop(tractor, "kdenlive:timeline_active", "1")
        _prop(tractor, "kdenlive:collapsed", "0")
        hide = "video" if track.audio else "audio"
        ET.SubElement(tractor, "track", hide=hide, producer=playlist.get("id", ""))
        ET.SubElement(tractor, "track", hide=hide, producer=second.get("id", ""))
        timeline_parts.append(tractor)
        track_tractors.append((tractor, track.audio))
    main_bin = ET.SubElement(mlt, "playlist", id=BIN)
    _prop(main_bin, "kdenlive:docproperties.activeTrack", "0")
    _prop(main_bin, "kdenlive:docproperties.audioChannels", "2")
    _prop(main_bin, "kdenlive:docproperties.kdenliveversion", KDENLIVE_VERSION)
    _prop(main_bin, "kdenlive:docproperties.version", "1.04")
    _prop(main_bin, "kdenlive:docproperties.guides", json.dumps(list(guides)))
    if settings:
        _prop(main_bin, DOC_SETTINGS, json.dumps(dict(settings)))
    _prop(main_bin, "xml_retain", "1")
    for producer_id, length in bin_entries:
        ET.SubElement(main_bin, "entry", {"producer": producer_id, "in": clock(0, rate),
                                          "out": clock(length - 1, rate)})
    black = ET.SubElement(mlt, "producer", {"id": BLACK_TRACK, "in": clock(0, rate),
                                            "out": clock(end - 1, rate)})
    for key, value in (("length", "2147483647"), ("eof", "continue"), ("resource", "black"),
                       ("aspect_ratio", "1"), ("mlt_service", "color"),
                       ("mlt_image_format", "rgba"), ("set.test_audio", "0")):
        _prop(black, key, value)
    mlt.extend(timeline_parts)
    main = ET.SubElement(mlt, "tractor", {"id": "maintractor", "in": clock(0, rate),
                                          "out": clock(end - 1, rate)})
    _prop(main, "kdenlive:projectTractor", "1")
    ET.SubElement(main, "track", producer=BLACK_TRACK)
    for tractor, _ in track_tractors:
        ET.SubElement(main, "track", producer=tractor.get("id", ""))
    for number, (_, is_audio) in enumerate(track_tractors, start=1):
        transition = ET.SubElement(main, "transition", id=ids.next("transition"))
        settings_of = ({"a_track": "0", "b_track": str(number), "mlt_service": "mix",
                        "kdenlive_id": "mix", "internal_added": "237", "always_active": "1",
                        "accepts_blanks": "1", "sum": "1"} if is_audio else
                       {"a_track": "0", "b_track": str(number), "compositing": "0",
                        "distort": "0", "rotate_center": "0", "mlt_service": "qtblend",
                        "kdenlive_id": "qtblend", "internal_added": "237",
                        "always_active": "1"})
        for key, value in settings_of.items():
            _prop(transition, key, value)
    ET.indent(mlt, " ")  # one element a line, as Kdenlive writes
    return Project(tree=ET.ElementTree(mlt), path=None, name=name)


def _producer(spec: ClipSpec, bin_id: str, ids: _Ids, rate: float) -> ET.Element:
    length = max(spec.media_length or 0, spec.source_in + spec.length)
    if spec.color is not None:
        element = ET.Element("producer", {"id": ids.next("producer"), "in": clock(0, rate),
                                          "out": clock(length - 1, rate)})
        values = [("length", str(length)), ("eof", "pause"), ("resource", spec.color),
                  ("aspect_ratio", "1"), ("mlt_service", "color"),
                  ("kdenlive:clip_type", "2")]
    else:
        # a producer, not a chain: Kdenlive 22.12 shows a time-remap badge on a timeline
        # clip whose producer is a chain (checked under a virtual display)
        element = ET.Element("producer", {"id": ids.next("producer"), "in": clock(0, rate),
                                          "out": clock(length - 1, rate)})
        values = [("length", str(length)), ("eof", "pause"), ("resource", spec.resource or ""),
                  ("mlt_service", "avformat-novalidate"), ("seekable", "1"),
                  ("kdenlive:clip_type", "0")]
    values += [("kdenlive:clipname", spec.name), ("kdenlive:folderid", "-1"),
               ("kdenlive:id", bin_id)]
    if spec.aigate is not None:
        values.append((CONTRACT, json.dumps(spec.aigate)))
    for key, value in values:
        _prop(element, key, value)
    return element


def _prop(element: ET.Element, name: str, value: str) -> None:
    child = ET.SubElement(element, "property", name=name)
    child.text = value
