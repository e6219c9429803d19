"""Benchmark: `aigate check` against OTIO's own read of the same file, and the import hook.

    python bench/bench_check.py                          # 10,000 clips, 7 runs
    python bench/bench_check.py --clips 10000 100000 --runs 5

Every command runs as a whole process (interpreter start-up, imports, read), all of them
interleaved run by run on the same generated cut (bench/make_timeline.py: 4 tracks, every
10th clip AI-tagged with varied concerns), and their medians are compared:

- ``otio read``: ``opentimelineio.adapters.read_from_file`` with entry-point plugins
  disabled (OTIO_DISABLE_ENTRYPOINTS_PLUGINS=1: OTIO alone, no aigate hook), the baseline;
- ``check text``: ``aigate check CUT --stage final``, with a config saying the cut's media
  are offline (``media: {required: false}``: the generated media do not exist, and every
  clip would otherwise lock as ``media-missing``);
- ``check json``: the same with ``--format json --output r.json``;
- ``check text, OTIO path``: ``AIGATE_FAST=0``, the check as it reads without the fast path;
- ``check small``: the check of a small cut (40 clips, every 10th AI-tagged): start-up, i.e.
  imports and the session, against ``python start`` (``python -c pass``, the floor);
- ``read, hook`` / ``read, hook off``: ``read_from_file`` with aigate installed (its
  post_adapter_read hook runs the import check) and with the hook switched off
  (AIGATE_DISABLE=1: the same plugins load, the hook returns at once), on the AI cut and on
  a clean one (no aigate metadata): the hook's overhead.

Every process runs byte-compiled (.pyc files in the run's own cache folder, written by a
first, unmeasured round), as an installed package does. Wall time, CPU time (user + system
of the child: steadier than wall time on a shared machine) and peak RSS (the child's
ru_maxrss) are taken per process with os.wait4. Prints a Markdown table of ratios for the
README.

``--baseline DIR`` adds every ``check`` command once more, run from the sources in DIR (a
checkout of another commit), interleaved with the rest: a before/after on the same machine
at the same moment.

``--docs PATH`` writes the table into PATH (docs/performance.md) between its
``<!-- bench_check table -->`` and ``<!-- /bench_check table -->`` lines, with the machine and
the run described, so the page is regenerated from the bench rather than copied by hand.

``--instructions`` also runs each command once under valgrind's callgrind and reports the
instructions it executed: a count that does not move with what else the machine is doing
(a shared machine's CPU times do), so a change can be compared where times cannot.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

#: the checks' config (AIGATE_CONFIG): the generated cut's media do not exist, and without
#: this every clip would lock as media-missing at final; this times the timeline's checks
MEDIA_OFFLINE = "media:\n  required: false\n  reason: generated cut, no media\n"
READ = "import sys, opentimelineio as otio; otio.adapters.read_from_file(sys.argv[1])"
ALONE = {"OTIO_DISABLE_ENTRYPOINTS_PLUGINS": "1"}


@dataclass
class Sample:
    """One command's runs: wall and CPU seconds, peak RSS in MiB."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)

    def median(self, what: str) -> float:
        return statistics.median(getattr(self, what))


def run(cmd: list[str], env: dict[str, str], cwd: Path, sample: Sample) -> None:
    """Run ``cmd`` to completion and record its wall time, CPU time and peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=child_env(env, cwd), cwd=cwd)
    assert proc.stderr is not None
    error = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    sample.wall.append(time.perf_counter() - start)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed: {error.decode()[-800:]}")
    sample.cpu.append(usage.ru_utime + usage.ru_stime)
    sample.rss.append(usage.ru_maxrss / 1024)  # KiB on Linux


def child_env(env: dict[str, str], cwd: Path) -> dict[str, str]:
    """The environment of a measured process: byte-compiled modules, as an installed
    package runs (kept in a cache folder of the run's own, never beside the sources), so a
    run does not time compiling aigate's modules from source (PYTHONDONTWRITEBYTECODE
    would make every process do it)."""
    full = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**full, "PYTHONPYCACHEPREFIX": str(cwd / "pycache"), **env}


def commands(cut: Path, clean: Path, small: Path, baseline: Path | None
             ) -> dict[str, tuple[list[str], dict[str, str]]]:
    gate = [sys.executable, "-m", "aigate", "check", str(cut), "--stage", "final"]
    read = [sys.executable, "-c", READ]
    small_gate = [sys.executable, "-m", "aigate", "check", str(small), "--stage", "final"]
    offline = {"AIGATE_CONFIG": str(cut.parent / "aigate-bench.yaml")}
    cases = {
        "python start": ([sys.executable, "-c", "pass"], {}),
        "check small": (small_gate, offline),
        "otio read": ([*read, str(cut)], ALONE),
        "check text": (gate, offline),
        "check json": ([*gate, "--format", "json", "--output", "r.json"], offline),
        "check text, OTIO path": (gate, {**offline, "AIGATE_FAST": "0"}),
        "read, hook": ([*read, str(cut)], {}),
        "read, hook off": ([*read, str(cut)], {"AIGATE_DISABLE": "1"}),
        "read clean, hook": ([*read, str(clean)], {}),
        "read clean, hook off": ([*read, str(clean)], {"AIGATE_DISABLE": "1"}),
    }
    if baseline is not None:
        old = {"PYTHONPATH": os.pathsep.join(
            str(baseline / part) for part in ("", "plugins", "hooks"))}
        for name in [n for n in cases if n.startswith(("check", "read"))]:
            cmd, env = cases[name]
            cases[f"{name} (baseline)"] = (cmd, {**env, **old})
    return cases


def measure(clips: int, runs: int, out: Path, baseline: Path | None) -> dict[str, Sample]:
    cut, clean = out / f"cut{clips}.otio", out / f"clean{clips}.otio"
    small = out / "small40.otio"
    for path, every, count in ((cut, 10, clips), (clean, 0, clips), (small, 10, 40)):
        if not path.exists():
            # in a child: a child's peak RSS counts its parent's at fork, so this process
            # never holds a cut
            subprocess.run([sys.executable, str(HERE / "make_timeline.py"), str(count),
                            str(path), str(every)], check=True)
    (out / "aigate-bench.yaml").write_text(MEDIA_OFFLINE)
    cases = commands(cut, clean, small, baseline)
    samples = {name: Sample() for name in cases}
    with tempfile.TemporaryDirectory() as tmp:
        for cmd, env in cases.values():  # warm the page cache and write the .pyc files
            run(cmd, env, Path(tmp), Sample())
        for _ in range(runs):
            for name, (cmd, env) in cases.items():
                run(cmd, env, Path(tmp), samples[name])
    return samples


def instructions(cases: dict[str, tuple[list[str], dict[str, str]]]) -> dict[str, int]:
    """Instructions each command executes (callgrind), after a run that warms its caches."""
    counts = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (cmd, env) in cases.items():
            run(cmd, env, Path(tmp), Sample())
            proc = subprocess.run(["valgrind", "--tool=callgrind",
                                   "--callgrind-out-file=/dev/null", *cmd],
                                  capture_output=True, text=True, env=child_env(env, Path(tmp)),
                                  cwd=tmp)
            found = re.search(r"Collected : (\d+)", proc.stderr)
            if found is None:
                raise SystemExit(f"callgrind gave no count for {name}: {proc.stderr[-400:]}")
            counts[name] = int(found.group(1))
            print(f"{name}: {counts[name]:,} instructions", file=sys.stderr)
    return counts


def ratio(s: dict[str, Sample], name: str, against: str = "otio read") -> str:
    """Wall and CPU medians of ``name`` over ``against``'s."""
    wall = s[name].median("wall") / s[against].median("wall")
    cpu = s[name].median("cpu") / s[against].median("cpu")
    return f"{wall:.2f}x / {cpu:.2f}x"


def table(results: dict[int, dict[str, Sample]]) -> str:
    rows = ["| clips | OTIO read (wall / CPU) | check text | check json | peak RSS: check "
            "text / json / OTIO read | check, OTIO path | hook overhead, AI cut | hook "
            "overhead, clean cut |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for clips, s in results.items():
        base = s["otio read"]
        rss = (f"{s['check text'].median('rss'):.0f} / {s['check json'].median('rss'):.0f} "
               f"/ {base.median('rss'):.0f} MiB")
        rows.append(f"| {clips:,} | {base.median('wall'):.3f} s / {base.median('cpu'):.3f} s "
                    f"| {ratio(s, 'check text')} | {ratio(s, 'check json')} | {rss} | "
                    f"{ratio(s, 'check text, OTIO path')} | "
                    f"{ratio(s, 'read, hook', 'read, hook off')} | "
                    f"{ratio(s, 'read clean, hook', 'read clean, hook off')} |")
    return "\n".join(rows)


START, END = "<!-- bench_check table -->", "<!-- /bench_check table -->"


def write_docs(page: Path, rows: str, runs: int) -> None:
    """Replace what ``page`` holds between :data:`START` and :data:`END` with ``rows`` and a
    line saying where and how they were measured."""
    import platform
    import time

    text = page.read_text(encoding="utf-8")
    head, start, rest = text.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"{page}: no {START} ... {END} lines to write the table between")
    machine = (f"{os.cpu_count()} cores, {platform.machine()}, Python "
               f"{platform.python_version()}, {time.strftime('%Y-%m-%d', time.gmtime())}; "
               f"medians of {runs} interleaved runs")
    page.write_text(f"{head}{START}\n{rows}\n\n{machine}.\n{END}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, nargs="+", default=[10_000])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--baseline", type=Path, help="sources of another commit to compare")
    parser.add_argument("--instructions", action="store_true",
                        help="also count each command's instructions (valgrind)")
    parser.add_argument("--docs", type=Path, help="write the table into this page")
    args = parser.parse_args()
    results = {}
    for clips in args.clips:
        results[clips] = samples = measure(clips, args.runs, args.out, args.baseline)
        for name, sample in samples.items():
            print(f"{clips} clips, {name}: wall {sample.median('wall'):.3f} s, "
                  f"cpu {sample.median('cpu'):.3f} s, rss {sample.median('rss'):.0f} MiB",
                  file=sys.stderr)
    print(f"{os.cpu_count()} cores; medians of {args.runs} interleaved runs; ratios are "
          "wall / CPU against the OTIO read (hook: against the same read, hook off)")
    print(table(results))
    if args.docs is not None:
        write_docs(args.docs, table(results), args.runs)
    for clips, s in results.items():
        small, start = s["check small"], s["python start"]
        print(f"\nsmall check (40 clips): CPU {small.median('cpu'):.3f} s, wall "
              f"{small.median('wall'):.3f} s; python start CPU {start.median('cpu'):.3f} s")
        if args.instructions:
            n = instructions(commands(args.out / f"cut{clips}.otio",
                                      args.out / f"clean{clips}.otio",
                                      args.out / "small40.otio", args.baseline))
            print(f"\n{clips:,} clips, instructions (callgrind), as ratios:")
            for what, over in (("check small", "python start"), ("check text", "otio read"),
                               ("check json", "otio read"), ("read, hook", "read, hook off"),
                               ("read clean, hook", "read clean, hook off")):
                print(f"- {what} / {over}: {n[what] / n[over]:.2f}x "
                      f"({n[what] / 1e6:,.0f}M / {n[over] / 1e6:,.0f}M)")
            for name in [k for k in n if k.endswith(" (baseline)")]:
                print(f"- {name[:-len(' (baseline)')]}, this commit over the baseline: "
                      f"{n[name[:-len(' (baseline)')]] / n[name]:.2f}x")
        if args.baseline is not None:
            print(f"\n{clips:,} clips, this commit over the baseline (wall / CPU):")
            for name in [n for n in s if n.endswith(" (baseline)")]:
                print(f"- {name[:-len(' (baseline)')]}: "
                      f"{ratio(s, name[:-len(' (baseline)')], name)}")


if __name__ == "__main__":
    main()
