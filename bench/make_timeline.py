"""Generate a large synthetic cut: python bench/make_timeline.py CLIPS OUT.otio [AI_EVERY]

4 tracks (3 video, 1 audio); every 10th clip carries aigate metadata with varied concerns
(``ai_every=0``: none, a clean cut).
"""

from __future__ import annotations

import sys
from pathlib import Path

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

RATE = 24
CONCERNS = [
    {"tool": {"name": "Firefly", "vendor": "Adobe"}, "purpose": "final", "role": "background"},
    {"tool": {"name": "DreamForge"}, "purpose": "final", "role": "key_character"},
    {"tool": {"name": "Firefly", "vendor": "Adobe"}, "purpose": "temp",
     "talent": [{"name": "Ray Holt", "use": "likeness"}]},
    {"tool": {"name": "Firefly", "vendor": "Adobe"}, "purpose": "final",
     "inputs": ["public_figure"], "depicts_real_events": True},
    {"purpose": "previz"},
    {"tool": {"name": "Firefly", "vendor": "Adobe"}, "purpose": "final", "role": "incidental",
     "approvals": ["APR-1"]},
    "not-a-mapping",
]


def build(clips: int, ai_every: int = 10) -> otio.schema.Timeline:
    timeline = otio.schema.Timeline(name=f"bench {clips}",
                                    global_start_time=RationalTime(86400, RATE))
    per_track = clips // 4
    n = 0
    for t in range(4):
        kind = otio.schema.TrackKind.Audio if t == 3 else otio.schema.TrackKind.Video
        track = otio.schema.Track(name=f"{'A' if t == 3 else 'V'}{t + 1}", kind=kind)
        for i in range(per_track):
            clip = otio.schema.Clip(
                name=f"SH{n:06d}",
                media_reference=otio.schema.ExternalReference(target_url=f"media/SH{n:06d}.mov"),
                source_range=TimeRange(RationalTime(i * 7 % 500, RATE),
                                       RationalTime(24 + i % 48, RATE)))
            if ai_every and n % ai_every == 0:
                concern = CONCERNS[(n // ai_every) % len(CONCERNS)]
                clip.metadata["aigate"] = (
                    {"v": 1, "generated": True, **concern} if isinstance(concern, dict)
                    else concern)
            track.append(clip)
            n += 1
        timeline.tracks.append(track)
    return timeline


def main() -> None:
    clips, out = int(sys.argv[1]), Path(sys.argv[2])
    ai_every = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    out.parent.mkdir(parents=True, exist_ok=True)
    otio.adapters.write_to_file(build(clips, ai_every), str(out))


if __name__ == "__main__":
    main()
