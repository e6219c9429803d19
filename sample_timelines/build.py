"""Rebuild the sample show: AIGATE_DISABLE=1 python sample_timelines/build.py [--media]

Writes ep101_cut_v12.otio (with aigate metadata, contract v1) and its exports
ep101_cut_v12.edl (CMX 3600, picture track V1) and ep101_cut_v12.xml (FCP7 XML), made with
OTIO's own adapters exactly as an editor's export loses the metadata;
ep101_cut_v12.kdenlive, the same cut as a Kdenlive project (the declarations as
``kdenlive:aigate`` clip properties; made by aigate's converter from the media as melt
reads them, so build the media first); and
ep102_picture_v3.otio, a one-track picture cut (CMX 3600 EDL holds one video track) for
trying the export gate: otioconvert -i ep102_picture_v3.otio -o out.edl -H aigate_stage=final

With --media (needs the test extras: c2pa-python, imageio-ffmpeg, Pillow) it also makes the
media the clips point at, a few KB each: 128x72 test-pattern movies from the ffmpeg binary
in imageio-ffmpeg, each as long as the cut uses it and starting at the source timecode the
cut names; the generated ones carry a C2PA manifest declaring
trainedAlgorithmicMedia, signed by a throwaway CA whose certificate is kept as
keys/c2pa-anchors.pem (its private key is not kept); the poster declares itself in an XMP
sidecar; the temp music is known only to the studio ledger (ledger.yaml).
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

HERE = Path(__file__).resolve().parent
RATE = 24
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def clip(name: str, seconds: float, source_tc: str = "10:00:00:00",
         aigate: dict | None = None) -> otio.schema.Clip:
    start = otio.opentime.from_timecode(source_tc, RATE)
    media = otio.schema.ExternalReference(
        target_url=f"media/{name}.mov",
        available_range=TimeRange(start, RationalTime(RATE * 600, RATE)))
    item = otio.schema.Clip(name=name, media_reference=media,
                            source_range=TimeRange(start, RationalTime(seconds * RATE, RATE)))
    if aigate is not None:
        item.metadata["aigate"] = {"v": 1, "generated": True, "digital_source_type": IPTC,
                                   **aigate}
    return item


def gap(seconds: float) -> otio.schema.Gap:
    return otio.schema.Gap(source_range=TimeRange(RationalTime(0, RATE),
                                                  RationalTime(seconds * RATE, RATE)))


FIREFLY = {"name": "Firefly", "vendor": "Adobe", "version": "4"}
FACESHIFT = {"name": "FaceShift Pro", "vendor": "Lumen VFX", "version": "2.3"}
DREAMFORGE = {"name": "DreamForge", "vendor": "Unknown Labs", "version": "0.9"}
STABLE_AUDIO = {"name": "Stable Audio", "vendor": "Stability AI", "version": "2.5"}


def build() -> otio.schema.Timeline:
    timeline = otio.schema.Timeline(name="NIGHTFALL 101 cut v12",
                                     global_start_time=RationalTime(86400, RATE))
    v1 = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    v1.extend([
        clip("A001C003", 4, "14:02:10:00"),
        clip("VFX_010_sky_v3", 3, "14:05:00:00", {
            "tool": FIREFLY, "purpose": "final", "role": "background",
            "notes": "sky replacement over the harbour plate"}),
        clip("A003C007", 3, "14:20:33:12"),
        clip("VFX_020_deage_v1", 4, "15:01:00:00", {
            "tool": FACESHIFT, "purpose": "final", "role": "story",
            "talent": [{"name": "Ray Holt", "use": "likeness"}],
            "notes": "de-aged flashback; consent not on file"}),
        clip("A004C002", 2, "15:10:02:00"),
        clip("VFX_030_creature_v5", 5, "16:00:00:00", {
            "tool": DREAMFORGE, "purpose": "final", "role": "key_character",
            "notes": "hero creature design"}),
        clip("INS_040_newscast_v2", 4, "16:30:00:00", {
            "tool": FIREFLY, "purpose": "final", "role": "story",
            "inputs": ["public_figure"], "depicts_real_events": True,
            "notes": "fake news segment featuring a real journalist"}),
        clip("A005C001", 3, "17:00:10:00"),
    ])
    v2 = otio.schema.Track(name="V2", kind=otio.schema.TrackKind.Video)
    v2.extend([
        gap(2),
        clip("GFX_poster_bg_v2", 3, "18:00:00:00", {
            "tool": FIREFLY, "purpose": "final", "role": "incidental",
            "approvals": ["APR-NF101-007"], "notes": "poster on the harbour wall"}),
    ])
    a1 = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    a1.append(clip("PROD_SND_sc12", 28, "14:02:10:00"))
    a2 = otio.schema.Track(name="A2", kind=otio.schema.TrackKind.Audio)
    a2.append(clip("TEMP_MUSIC_gen_v1", 28, "00:00:00:00", {
        "tool": STABLE_AUDIO, "purpose": "temp", "role": "background",
        "notes": "temp score, to be replaced by the composer"}))
    timeline.tracks.extend([v1, v2, a1, a2])
    return timeline


def build_ep102() -> otio.schema.Timeline:
    timeline = otio.schema.Timeline(name="NIGHTFALL 102 picture v3",
                                    global_start_time=RationalTime(86400, RATE))
    v1 = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    v1.extend([
        clip("A010C002", 3, "09:12:00:00"),
        clip("VFX_110_deage_v2", 4, "09:40:00:00", {
            "tool": FACESHIFT, "purpose": "final", "role": "story",
            "talent": [{"name": "Ray Holt", "use": "likeness"}],
            "notes": "de-aged flashback; consent not on file"}),
        clip("A011C004", 2, "10:02:05:00"),
    ])
    timeline.tracks.append(v1)
    return timeline


GENERATED = {  # clip -> how its media says it is generated
    "VFX_010_sky_v3": ("c2pa", "Firefly"),
    "VFX_020_deage_v1": ("c2pa", "FaceShift Pro"),
    "VFX_030_creature_v5": ("c2pa", "DreamForge"),
    "INS_040_newscast_v2": ("c2pa", "Firefly"),
    "VFX_110_deage_v2": ("c2pa", "FaceShift Pro"),
    "GFX_poster_bg_v2": ("xmp", "Firefly"),
    "TEMP_MUSIC_gen_v1": ("ledger", "Stable Audio"),
}


def build_media(timelines: list[otio.schema.Timeline]) -> None:
    """Each clip's media: as long as the cut uses it, starting at the source timecode the
    cut names (a camera's clock: Kdenlive and melt play it from frame 0)."""
    import sys

    sys.path.insert(0, str(HERE.parent / "tests"))
    from mediakit import TRAINED, sign, signing_kit, video, xmp_packet

    kit = signing_kit("NIGHTFALL sample vendors")
    (HERE / "keys").mkdir(exist_ok=True)
    kit.write_anchor(HERE / "keys" / "c2pa-anchors.pem")
    media = HERE / "media"
    for timeline in timelines:
        for item in timeline.find_clips():
            target = media / f"{item.name}.mov"
            source = item.source_range
            assert source is not None
            plain = video(media / ".plain.mov", seconds=source.duration.to_seconds(),
                          timecode=otio.opentime.to_timecode(source.start_time, RATE),
                          small=True)
            how, tool = GENERATED.get(item.name, (None, None))
            if how == "c2pa":
                sign(plain, target, kit, source_type=TRAINED, tool=tool, version="1")
            else:
                target.write_bytes(plain.read_bytes())
            if how == "xmp":
                (media / f"{item.name}.xmp").write_text(xmp_packet(TRAINED, "attribute", tool))
            plain.unlink()


def build_kdenlive(timeline: otio.schema.Timeline, path: Path) -> None:
    """The cut as a Kdenlive project (Kdenlive 22.12's format, opened by 22.12 and later),
    its media found beside it as the OTIO file finds them: the media must exist."""
    from aigate_kdenlive.otio_io import from_otio
    from aigate_kdenlive.project import write

    project = from_otio(timeline, name=path.stem, root=HERE, width=128, height=72)
    project.root.attrib.pop("root", None)  # relative to the project's folder, on any machine
    write(project, path)


def main() -> None:
    import sys

    timeline = build()
    otio.adapters.write_to_file(timeline, str(HERE / "ep101_cut_v12.otio"))
    otio.adapters.write_to_file(timeline, str(HERE / "ep101_cut_v12.xml"), adapter_name="fcp_xml")
    picture = otio.schema.Timeline(name=timeline.name,
                                   global_start_time=timeline.global_start_time)
    picture.tracks.append(timeline.tracks[0].clone())
    otio.adapters.write_to_file(picture, str(HERE / "ep101_cut_v12.edl"),
                                adapter_name="cmx_3600")
    ep102 = build_ep102()
    otio.adapters.write_to_file(ep102, str(HERE / "ep102_picture_v3.otio"))
    if "--media" in sys.argv:
        build_media([timeline, ep102])
    build_kdenlive(timeline, HERE / "ep101_cut_v12.kdenlive")


if __name__ == "__main__":
    main()
