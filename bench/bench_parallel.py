"""Benchmark: a season's conform on every core, and on a Dask cluster.

    python bench/bench_parallel.py [--timelines 100] [--clips 1000] [--runs 3]

Generates TIMELINES timelines of CLIPS clips each (as bench/make_timeline.py: 4 tracks,
every 10th clip AI-tagged; an aigate.yaml says their media are offline) and times whole
`aigate check --quiet` processes over the folder: --jobs 1, --jobs 2, and --executor dask
with a local 2-worker cluster (started by aigate on 127.0.0.1, its start-up included).
Reports medians and ratios against --jobs 1, and the cluster's overhead per file; CPU is the
process's and its workers' (user + system).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_timeline import build  # noqa: E402


def timed(args: list[str], cpu: list[float]) -> float:
    """Wall seconds of one whole check; its CPU seconds (user + system of the process and
    the workers it waited for) are appended to ``cpu``."""
    env = {**os.environ, "AIGATE_DISABLE": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # byte-compiled, as an installed package runs
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "aigate", "check", *args, "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert proc.stderr is not None
    error = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(error.decode()[-800:])
    cpu.append(usage.ru_utime + usage.ru_stime)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timelines", type=int, default=100)
    parser.add_argument("--clips", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import opentimelineio as otio

    folder = HERE / "out" / f"season_{args.timelines}x{args.clips}"
    if not folder.exists():
        folder.mkdir(parents=True)
        text = otio.adapters.write_to_string(build(args.clips), "otio_json")
        for i in range(args.timelines):
            (folder / f"ep{i:03d}.otio").write_text(text)
    # the generated cuts' media do not exist: time the timelines' checks, not a note per clip
    (folder / "aigate.yaml").write_text(
        "media:\n  required: false\n  reason: generated cuts, no media\n")
    cases = {"--jobs 1": ["--jobs", "1"], "--jobs 2": ["--jobs", "2"],
             "dask, 2 local workers": ["--executor", "dask", "--jobs", "2"]}
    times: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    timed([str(folder), "--jobs", "1"], [])  # warm the page cache and the .pyc files
    for _ in range(args.runs):
        for name, extra in cases.items():
            times[name].append(timed([str(folder), *extra], cpu[name]))
    serial = statistics.median(times["--jobs 1"])
    print(f"{args.timelines} timelines x {args.clips:,} clips on {os.cpu_count()} cores")
    print("| run | wall (median) | speed-up over --jobs 1 | per file | CPU (median) |")
    print("|---|---:|---:|---:|---:|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} s | {serial / median:.2f}x | "
              f"{median / args.timelines * 1000:.0f} ms | {statistics.median(cpu[name]):.2f} s |")
    two = statistics.median(times["--jobs 2"])
    dask = statistics.median(times["dask, 2 local workers"])
    print(f"\ncluster overhead vs local processes: {(dask - two) / args.timelines * 1000:.0f} ms "
          "per file (start-up included)")


if __name__ == "__main__":
    main()
