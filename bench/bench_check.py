"""Benchmark: `aigate check --stage final` against a plain OTIO parse of the same file.

    python bench/bench_check.py                 # 10,000 clips, 7 runs each
    python bench/bench_check.py --clips 10000 100000 --runs 5

Both sides run as whole processes (interpreter start-up, imports, parse) on the same
generated timeline, interleaved, and the medians are compared. The gate's own cost per
clip is (gate - parse) / clips. Prints a Markdown table for the README.
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

BASELINE = "import sys, opentimelineio as otio; otio.adapters.read_from_file(sys.argv[1])"
# the baseline is OTIO as installed, minus aigate's own import-check hook (which would run
# the gate inside the baseline); aigate check itself reads with its hooks detached
BASELINE_ENV = {"AIGATE_DISABLE": "1"}


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env={**os.environ, **(env or {})})
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode()[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, nargs="+", default=[10_000])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    import opentimelineio as otio

    rows = []
    for clips in args.clips:
        path = args.out / f"cut{clips}.otio"
        if not path.exists():
            args.out.mkdir(parents=True, exist_ok=True)
            otio.adapters.write_to_file(build(clips), str(path))
        base_cmd = [sys.executable, "-c", BASELINE, str(path)]
        gate_cmd = [sys.executable, "-m", "aigate", "check", str(path), "--stage", "final"]
        timed(base_cmd, BASELINE_ENV), timed(gate_cmd)  # warm the file cache and .pyc files
        base, gate = [], []
        for _ in range(args.runs):
            base.append(timed(base_cmd, BASELINE_ENV))
            gate.append(timed(gate_cmd))
        b, g = statistics.median(base), statistics.median(gate)
        rows.append((clips, b, g, g / b, (g - b) / clips * 1e6))
        print(f"{clips} clips: parse {b:.3f}s, check {g:.3f}s, ratio {g / b:.2f}",
              file=sys.stderr)
    print("| clips | OTIO parse (median) | aigate check --stage final (median) | ratio | "
          "gate cost per clip |")
    print("|---:|---:|---:|---:|---:|")
    for clips, b, g, ratio, per_clip in rows:
        print(f"| {clips:,} | {b:.3f} s | {g:.3f} s | {ratio:.2f} | {per_clip:.1f} µs |")


if __name__ == "__main__":
    main()
