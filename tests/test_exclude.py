"""A folder check skips what it is told to (--exclude, aigate.yaml's exclude:) and stray
XML that is no timeline, without failing the run."""

from __future__ import annotations

from pathlib import Path

from helpers import ai, clip, timeline, write


def folder(tmp_path: Path) -> Path:
    show = tmp_path / "show"
    write(show / "cut.otio", timeline([clip("SH1", 1)]))
    write(show / "renders" / "old.otio", timeline([clip("OLD", 1, ai(purpose="final"))]))
    (show / "settings.xml").write_text('<?xml version="1.0"?>\n<!-- prefs -->\n'
                                       "<settings><volume>3</volume></settings>\n")
    return show


def checked(run) -> list[str]:
    return sorted(Path(s["path"]).name for s in run.json["subjects"])


def test_a_stray_xml_is_skipped_not_an_error(cli, tmp_path):
    show = folder(tmp_path)
    run = cli("check", show, "--format", "json", "--jobs", "1")
    assert checked(run) == ["cut.otio", "old.otio"]
    assert run.json["errors"] == []
    assert f"aigate: warning: {show / 'settings.xml'}: skipped: not a timeline (root " \
        "element <settings>)" in run.err


def test_a_broken_timeline_xml_is_still_an_error(cli, tmp_path):
    show = folder(tmp_path)
    (show / "cut.xml").write_text('<?xml version="1.0"?>\n<xmeml version="5"><sequence>')
    run = cli("check", show, "--format", "json", "--jobs", "1")
    assert run.code == 2 and [Path(e["path"]).name for e in run.json["errors"]] == ["cut.xml"]


def test_exclude_option_and_config(cli, tmp_path, monkeypatch):
    show = folder(tmp_path)
    run = cli("check", show, "--exclude", "**/renders/**", "--format", "json", "--jobs", "1")
    assert checked(run) == ["cut.otio"] and run.code == 0
    (show / "aigate.yaml").write_text("exclude: ['renders/**']\n")
    # a merely discovered config may be a delivery's: its exclude is not honoured, and said
    run = cli("check", show, "--format", "json", "--jobs", "1")
    assert checked(run) == ["cut.otio", "old.otio"]
    assert "exclude: not honoured in a discovered config" in run.err
    monkeypatch.setenv("AIGATE_TRUSTED_ROOTS", str(show))  # the show's own, trusted
    run = cli("check", show, "--format", "json", "--jobs", "1")
    assert checked(run) == ["cut.otio"]
    run = cli("check", str(show / "**" / "*.otio"), "--format", "json", "--jobs", "1")
    assert checked(run) == ["cut.otio"]
    # a file named on the command line is always checked
    run = cli("check", show / "renders" / "old.otio", "--format", "json", "--jobs", "1")
    assert checked(run) == ["old.otio"]


PROXY_HOST = '''
from aigate.api import hookimpl


@hookimpl
def aigate_not_a_subject(path):
    if path.name.endswith("_proxy.otio"):
        return "an offline proxy of another cut"
    return None
'''


def test_what_a_search_skips_is_the_host_plugins_call(cli, tmp_path, monkeypatch):
    """The core holds no list of formats: whether a file a folder search found is a subject
    is asked of the plugins (hook aigate_not_a_subject; the OTIO plugin answers for .xml).
    A plugin's reason skips the file with a warning; a file named is still checked."""
    show = folder(tmp_path)
    write(show / "cut_proxy.otio", timeline([clip("PX", 1, ai(purpose="final"))]))
    (tmp_path / "proxy_host.py").write_text(PROXY_HOST)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("AIGATE_PLUGINS", "proxy_host")
    run = cli("check", show, "--format", "json", "--jobs", "1")
    assert checked(run) == ["cut.otio", "old.otio"]
    assert f"{show / 'cut_proxy.otio'}: skipped: an offline proxy of another cut" in run.err
    assert "settings.xml: skipped: not a timeline (root element <settings>)" in run.err
    named = cli("check", show / "cut_proxy.otio", "--format", "json", "--jobs", "1")
    assert checked(named) == ["cut_proxy.otio"]
