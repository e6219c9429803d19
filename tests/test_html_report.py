"""The HTML report in a real browser (Debian's Chromium through selenium): what the page
shows a conform supervisor, and the disclosure register's key columns at 1400 px."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from aigate.output.register import COLUMNS
from helpers import SAMPLES, ai, clip, require, timeline, write

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
RED, AMBER, GREEN, BLUE, GREY = ("rgb(211, 48, 43)", "rgb(242, 165, 22)", "rgb(46, 155, 79)",
                                 "rgb(59, 125, 196)", "rgb(184, 188, 194)")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed: .ci/run installs chromium and "
                        "chromium-driver from Debian")
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium "
                    "chromium-driver)")
    webdriver = require("selenium.webdriver", "e2e")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage", "--window-size=1300,1600",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory) -> tuple[Path, dict]:
    """The sample show's HTML report at final, and its JSON report to compare with."""
    from helpers import run_process

    out = tmp_path_factory.mktemp("report") / "report.html"
    run = run_process("check", SAMPLES, "--stage", "final", "--format", "html",
                      "--output", out)
    assert run.code == 1, run.err
    expected = run_process("check", SAMPLES, "--stage", "final", "--format", "json").json
    return out, expected


COUNT_BY_COLOUR = """
const counts = {};
for (const rect of document.querySelectorAll('svg.cut rect.clip')) {
  const fill = getComputedStyle(rect).fill;
  counts[fill] = (counts[fill] || 0) + 1;
}
return counts;
"""

VISIBLE = "return [...document.querySelectorAll(arguments[0])]" \
          ".filter(e => e.getClientRects().length > 0).length"


def visible(browser, selector: str) -> int:
    return browser.execute_script(VISIBLE, selector)


def test_html_report_renders_in_chromium_with_the_right_counts(sample_report, tmp_path,
                                                                browser):
    out, expected = sample_report
    verdicts = [i["verdict"] for s in expected["subjects"] for i in s["items"]]
    html = out.read_text()
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and "<script" not in html and "<link" not in html
    browser.get(out.as_uri())
    counts = browser.execute_script(COUNT_BY_COLOUR)
    assert counts == {RED: verdicts.count("lock"),      # red: locked clips
                      GREEN: verdicts.count("info"),    # green: approved AI
                      GREY: verdicts.count("pass")}     # grey: the rest
    assert verdicts.count("lock") == 21
    assert browser.execute_script(
        "return performance.getEntriesByType('resource').length") == 0  # nothing fetched
    summary = browser.find_element("id", "summary").text
    assert "stage final" in summary and "policy nightfall" in summary
    assert ("21 clips locked, 0 clips warned, 2 clips approved (waived), 3 findings waived"
            in summary)
    tooltip = browser.execute_script(
        "return document.querySelector('section[data-path$=\"ep101_cut_v12.otio\"] "
        "rect[data-clip=\"VFX_020_deage_v1\"] title')"
        ".textContent")
    assert "talent-consent: Ray Holt (likeness)" in tooltip
    rows = browser.execute_script("return document.querySelectorAll('table.findings tr.lock')"
                                  ".length")
    locks = sum(f["severity"] == "lock" for s in expected["subjects"] for i in s["items"]
                for f in i["findings"])
    assert rows == locks  # every lock finding has a row
    assert browser.save_screenshot(str(tmp_path / "report.png"))  # never into the repo
    pdf = browser.print_page()  # prints: Chromium's own PDF of the page
    (tmp_path / "report.pdf").write_bytes(base64.b64decode(pdf))
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")


def test_html_needs_output_and_draws_warn_amber(cli, tmp_path, browser):
    run = cli("check", SAMPLES, "--format", "html")
    assert run.code == 2 and "give --output FILE" in run.err
    path = write(tmp_path / "cut.otio", timeline([clip("CAM1"), clip("SH1", 2, ai())]))
    out = tmp_path / "report.html"
    cli("check", path, "--stage", "edit", "--format", "html", "--output", out)
    browser.get(out.as_uri())
    assert browser.execute_script(COUNT_BY_COLOUR) == {GREY: 1, AMBER: 1}


def test_summary_and_counts_per_rule_come_first(sample_report, browser):
    out, expected = sample_report
    browser.get(out.as_uri())
    overview, first = browser.execute_script(
        "return [document.querySelector('section.overview').getBoundingClientRect().top,"
        " document.querySelector('section.subject').getBoundingClientRect().top]")
    assert overview < first  # written last (streamed), shown above every timeline
    table = browser.execute_script(
        "return [...document.querySelectorAll('table.rules tbody tr')].map("
        "r => [...r.cells].map(c => c.textContent))")
    shown = {rule: tuple(map(int, numbers)) for rule, *numbers in table}
    findings = [f for s in expected["subjects"] for i in s["items"] for f in i["findings"]]
    counted: dict[str, list[int]] = {}
    for f in findings:
        column = (2 if f["waived_from"] else
                  {"lock": 0, "warn": 1, "info": 3}[f["severity"]])
        counted.setdefault(f["rule"], [0, 0, 0, 0])[column] += 1
    assert shown == {rule: tuple(c) for rule, c in counted.items()}
    assert shown["talent-consent"] == (3, 0, 0, 0)  # the de-aged clip: .otio, .kdenlive, .xml


def test_locked_only_checkbox_hides_every_other_clip(sample_report, browser):
    out, expected = sample_report
    items = [i for s in expected["subjects"] for i in s["items"]]
    flagged = sum(bool(i["findings"]) for i in items)
    locked = sum(i["verdict"] == "lock" for i in items)
    browser.get(out.as_uri())
    assert visible(browser, "table.findings tbody.clip") == flagged
    browser.find_element("id", "lock-only").click()  # a checkbox, no script on the page
    assert visible(browser, "table.findings tbody.clip") == locked < flagged
    assert visible(browser, "table.findings tbody.clip[data-verdict=lock]") == locked
    assert visible(browser, "section.subject:not([data-verdict=lock])") == 0
    assert browser.find_element("id", "summary").is_displayed()
    browser.find_element("id", "lock-only").click()
    assert visible(browser, "table.findings tbody.clip") == flagged


def test_findings_are_grouped_per_clip_with_what_to_do_once(sample_report, browser):
    out, expected = sample_report
    browser.get(out.as_uri())
    groups = browser.execute_script("""
        return [...document.querySelectorAll('section.subject')].map(s => [
          s.dataset.path,
          [...s.querySelectorAll('tbody.clip')].map(b => [
            b.querySelector('th.where b').textContent,
            b.querySelectorAll('th.where').length,
            b.querySelectorAll('tr').length,
            [...b.querySelectorAll('td.fix li')].map(li => li.textContent)])])""")
    for (path, clips), subject in zip(groups, expected["subjects"], strict=True):
        assert path == subject["path"]
        flagged = [i for i in subject["items"] if i["findings"]]
        assert [c[0] for c in clips] == [i["clip"] for i in flagged]
        for (_, heads, rows, remedies), item in zip(clips, flagged, strict=True):
            assert heads == 1 and rows == len(item["findings"])  # the clip named once
            assert len(remedies) == len(set(remedies))  # each remediation once
            open_rules = {f["rule"] for f in item["findings"] if f["severity"] in
                          ("warn", "lock")}
            assert sum(len(r.split("(")[-1].split(",")) for r in remedies) == len(open_rules)


def test_clip_names_are_drawn_on_the_clips_they_fit(cli, tmp_path, browser):
    long = "VFX_0990_a_name_far_too_long_for_its_clip_v12"
    path = write(tmp_path / "cut.otio", timeline(
        [clip("A001C003", 20), clip(long, 0.5, ai()), clip("SH1", 0.1), clip("B002", 20)]))
    out = tmp_path / "report.html"
    cli("check", path, "--stage", "edit", "--format", "html", "--output", out)
    browser.get(out.as_uri())
    drawn = browser.execute_script("""
        return [...document.querySelectorAll('svg.cut text.name')].map(t => {
          const rect = t.previousElementSibling;
          return [rect.dataset.clip, t.textContent, t.getComputedTextLength(),
                  rect.width.baseVal.value];})""")
    names = {clip_name: text for clip_name, text, _, _ in drawn}
    assert names["A001C003"] == "A001C003" and names["B002"] == "B002"
    assert "SH1" not in names  # too short a clip: its tooltip names it
    if long in names:  # cut short with an ellipsis where only part fits
        assert names[long].endswith("\u2026") and long.startswith(names[long][:-1])
    for _, _, width, room in drawn:
        assert width <= room  # inside its clip, never over the next one


def test_allowed_by_policy_is_not_shown_as_approved(cli, tmp_path, browser):
    from test_approved_or_allowed import mixed_cut

    path = mixed_cut(tmp_path)
    out = tmp_path / "report.html"
    cli("check", path, "--stage", "edit", "--format", "html", "--output", out)
    browser.get(out.as_uri())
    fills = browser.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('svg.cut rect.clip')]"
        ".map(r => [r.dataset.clip, getComputedStyle(r).fill]))")
    assert fills == {"CAM1": GREY, "LOCKED": RED, "WARNED": AMBER, "APPROVED": GREEN,
                     "ALLOWED": BLUE}
    legend = browser.find_element("css selector", ".legend").text
    assert "AI, approved" in legend and "AI, allowed by policy" in legend
    badges = browser.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('tbody.clip')].map("
        "b => [b.querySelector('th.where b').textContent, "
        "b.querySelector('th.where .badge').textContent]))")
    assert badges == {"LOCKED": "lock", "WARNED": "warn", "APPROVED": "AI, approved",
                      "ALLOWED": "AI, allowed by policy"}


KEY_COLUMNS = ("clip", "verdict", "talent", "approvals", "reason")
IN_VIEW = """
const width = document.documentElement.clientWidth;
const out = {};
for (const name of arguments[0]) {
  const cells = [...document.querySelectorAll('th.' + name + ', td.' + name)];
  out[name] = cells.every(c => { const r = c.getBoundingClientRect();
                                 return r.left >= 0 && r.right <= width && r.width > 0; });
}
return out;
"""


def test_register_keeps_its_key_columns_in_view_at_1400_px(cli, tmp_path, browser):
    out = tmp_path / "register.html"
    assert cli("register", SAMPLES, "--stage", "final", "--format", "html",
               "--output", out).code == 0
    browser.set_window_size(1400, 1000)
    try:
        browser.get(out.as_uri())
        assert browser.execute_script("return window.innerWidth") <= 1400
        everything = {"clip": True, "verdict": True, "talent": True, "approvals": True,
                      "reason": True}
        assert browser.execute_script(IN_VIEW, KEY_COLUMNS) == everything
        # the other columns do not fit: they scroll sideways under the key columns
        scroll = browser.execute_script(
            "const s = document.querySelector('.scroll'); s.scrollLeft = s.scrollWidth;"
            "return [s.scrollLeft, s.scrollWidth, s.clientWidth]")
        assert scroll[0] > 0 and scroll[1] > scroll[2]
        assert browser.execute_script(IN_VIEW, KEY_COLUMNS) == everything
        last = COLUMNS[-1].name  # scrolled to the end, the last column is in view
        assert browser.execute_script(IN_VIEW, [last]) == {last: True}
        colours = browser.execute_script(
            "return Object.fromEntries([...document.querySelectorAll('td.verdict')].map("
            "c => [c.textContent, getComputedStyle(c).color]))")
        assert colours == {"lock": "rgb(198, 40, 40)", "info": GREEN}  # info green, as in check
        notes = browser.execute_script(
            "return [...document.querySelectorAll('tr.same td.clip .note')].length")
        assert notes == browser.execute_script(
            "return document.querySelectorAll('tr.same').length") == 10
    finally:
        browser.set_window_size(1300, 1600)


def test_a_season_report_opens_with_an_index_and_folds_what_passed(cli, tmp_path, browser):
    season = tmp_path / "season"
    for n in range(1, 7):
        clips = [clip("CAM1"), *([clip("SH1", 2, ai(purpose="temp"))] if n % 3 == 0 else [])]
        write(season / f"ep10{n}" / f"ep10{n}_cut.otio",
              timeline(clips, name=f"EP10{n} cut", metadata={"episode": f"10{n}"}))
    out = tmp_path / "season.html"
    assert cli("check", season, "--stage", "final", "--format", "html",
               "--output", out).code == 1
    browser.get(out.as_uri())
    rows = browser.execute_script(
        "return [...document.querySelectorAll('table.index tbody tr')].map(r => "
        "[r.cells[0].textContent, r.querySelector('a').textContent, "
        "r.querySelector('a').getAttribute('href'), r.cells[2].textContent])")
    assert [(e, name, verdict) for e, name, _, verdict in rows] == [
        (f"10{n}", f"EP10{n} cut", "LOCK" if n % 3 == 0 else "PASS") for n in range(1, 7)]
    for _, _, href, _ in rows:  # every link lands on its timeline's section
        assert browser.execute_script(
            "return document.querySelector(arguments[0]).classList.contains('subject')", href)
    index, overview, first = browser.execute_script(
        "return ['section.index', 'section.overview', 'section.subject'].map("
        "s => document.querySelector(s).getBoundingClientRect().top)")
    assert overview < index < first
    opened = browser.execute_script(
        "return [...document.querySelectorAll('section.subject > details')].map(d => d.open)")
    assert opened == [n % 3 == 0 for n in range(1, 7)]  # locked open, passed folded
    # a folded timeline's drawing is still there, one click away
    shown = ("return [...document.querySelectorAll('section.subject svg.cut')]"
             ".filter(e => e.checkVisibility()).length")
    assert browser.execute_script(shown) == 2
    browser.find_element("css selector", "section.subject:not([data-verdict=lock]) summary"
                         ).click()
    assert browser.execute_script(shown) == 3
