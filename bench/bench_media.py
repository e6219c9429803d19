"""Benchmark: reading provenance from media, cold cache vs warm cache.

    python bench/bench_media.py [--files 1000] [--runs 3]

Makes FILES small media files (half of them JPEGs carrying a signed C2PA manifest, half
plain), a timeline with one clip per file (no aigate metadata: the media must tell), and
times whole `aigate check` processes in one run:

- floor: the same cut, its AI clips declared in the timeline instead, with the media out of
  reach (media.roots elsewhere): the same verdicts and report, no media read;
- cold: an empty provenance cache (every file read: C2PA, XMP);
- warm: the cache from the cold run (every file answered by (path, size, mtime)).

Reports medians, the cold/warm ratio of the whole process and of the media part
(run minus floor), and the cost of one C2PA read.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from mediakit import sign, signing_kit, still  # noqa: E402


def make(root: Path, files: int) -> Path:
    import opentimelineio as otio
    from opentimelineio.opentime import RationalTime, TimeRange

    kit = signing_kit()
    media = root / "media"
    plain = still(root / "plain.jpg")
    timeline = otio.schema.Timeline(name=f"bench media {files}")
    track = otio.schema.Track(name="V1")
    declared = otio.schema.Timeline(name=f"bench media {files}")
    declared_track = otio.schema.Track(name="V1")
    for i in range(files):
        target = media / f"SH{i:05d}.jpg"
        if i % 2 == 0:
            sign(plain, target, kit, tool="GenTool")
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(plain, target)
        clip = otio.schema.Clip(
            name=f"SH{i:05d}", media_reference=otio.schema.ExternalReference(
                target_url=f"media/{target.name}"),
            source_range=TimeRange(RationalTime(0, 24), RationalTime(24, 24)))
        track.append(clip)
        twin = clip.clone()
        if i % 2 == 0:
            twin.metadata["aigate"] = {"v": 1, "generated": True, "tool": {"name": "GenTool"}}
        declared_track.append(twin)
    timeline.tracks.append(track)
    declared.tracks.append(declared_track)
    path = root / "cut.otio"
    otio.adapters.write_to_file(timeline, str(path))
    otio.adapters.write_to_file(declared, str(root / "declared.otio"))
    (root / "aigate.yaml").write_text("show: BENCH\n")
    (root / "floor.yaml").write_text("show: BENCH\nmedia: {roots: [/nonexistent]}\n")
    return path


def run(cut: Path, cache: Path, config: Path) -> tuple[float, int]:
    """Seconds for one whole `aigate check --quiet`, and how many AI clips it found."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "AIGATE_DISABLE": "1"}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "aigate", "check", str(cut), "--config",
                           str(config), "--quiet"], capture_output=True, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(proc.stderr.decode()[-800:])
    summary = proc.stdout.decode().splitlines()[-1]
    return elapsed, int(re.search(r"(\d+) AI", summary).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cut = make(root, args.files)
        floor, cold, warm = [], [], []
        for i in range(args.runs):
            cache = root / f"cache{i}"
            floor.append(run(root / "declared.otio", root / "nocache", root / "floor.yaml")[0])
            seconds, ai = run(cut, cache, root / "aigate.yaml")
            assert ai == (args.files + 1) // 2, ai
            cold.append(seconds)
            seconds, ai = run(cut, cache, root / "aigate.yaml")
            assert ai == (args.files + 1) // 2, ai
            warm.append(seconds)
        f, c, w = (statistics.median(x) for x in (floor, cold, warm))
        print("| media files | floor (no media read) | cold cache | warm cache | "
              "cold/warm (process) | cold/warm (media part) | one C2PA read |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        print(f"| {args.files:,} | {f:.2f} s | {c:.2f} s | {w:.2f} s | {c / w:.1f}x | "
              f"{(c - f) / max(w - f, 1e-3):.0f}x | {(c - f) / args.files * 1000:.2f} ms |")


if __name__ == "__main__":
    main()
