"""Benchmark: a season's HTML report, its size and how long Chromium takes to load it.

    python bench/bench_season_html.py [--timelines 500] [--clips 40] [--runs 3]

Generates TIMELINES timelines of CLIPS clips each (as bench/make_timeline.py: 4 tracks,
every 10th clip AI-tagged), writes one `aigate check --format html` report of the folder
at stage final, and loads it in headless Chromium (Debian's chromium and chromedriver,
through selenium: the e2e extra) RUNS times: the page's size, and the medians of the time
to DOMContentLoaded and to the load event, from the browser's own navigation timing. The
same page as it was before the index (no index, every section open and laid out at once)
is the baseline.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_timeline import build  # noqa: E402

TIMING = ("const t = performance.getEntriesByType('navigation')[0];"
          "return [t.domContentLoadedEventEnd, t.loadEventEnd, "
          "document.documentElement.scrollHeight];")


def browser():  # type: ignore[no-untyped-def]
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1300,1000",
                 "--disable-dev-shm-usage", f"--user-data-dir={tempfile.mkdtemp()}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def load(driver, page: Path, runs: int) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    dom, loaded, height = [], [], 0
    for _ in range(runs):
        driver.get("about:blank")
        driver.get(page.as_uri())
        d, lo, height = driver.execute_script(TIMING)
        dom.append(d)
        loaded.append(lo)
    return statistics.median(dom), statistics.median(loaded), height


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timelines", type=int, default=500)
    parser.add_argument("--clips", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import opentimelineio as otio

    folder = HERE / "out" / f"season_html_{args.timelines}x{args.clips}"
    if not folder.exists():
        folder.mkdir(parents=True)
        text = otio.adapters.write_to_string(build(args.clips), "otio_json")
        for i in range(args.timelines):
            (folder / f"ep{i:03d}.otio").write_text(text)
    page = HERE / "out" / "season.html"
    env = {**os.environ, "AIGATE_DISABLE": "1"}
    proc = subprocess.run([sys.executable, "-m", "aigate", "check", str(folder), "--stage",
                           "final", "--format", "html", "--output", str(page)],
                          capture_output=True, env=env)
    if proc.returncode not in (0, 1):
        raise SystemExit(proc.stderr.decode()[-800:])
    html = page.read_text()
    # the baseline: the page as it was, without the index, every section open and laid out
    flat = HERE / "out" / "season_flat.html"
    flat.write_text(re.sub(r'<section class="index">.*?</section>', "",
                           html.replace("<details>", "<details open>"), flags=re.S)
                    .replace("content-visibility: auto;", ""))
    driver = browser()
    try:
        ours, base = load(driver, page, args.runs), load(driver, flat, args.runs)
    finally:
        driver.quit()
    print(f"{args.timelines} timelines x {args.clips} clips")
    print(f"page: {page.stat().st_size / 1e6:.2f} MB, {ours[2]:,} px tall "
          f"(before the index: {base[2]:,} px)")
    print(f"Chromium DOMContentLoaded {ours[0]:.0f} ms, load {ours[1]:.0f} ms "
          f"(before the index: {base[0]:.0f} / {base[1]:.0f} ms; "
          f"ratio {ours[1] / base[1]:.2f})")


if __name__ == "__main__":
    main()
