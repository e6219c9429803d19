"""The start-up budget: what a check of a small cut imports.

Start-up (imports and the session) is most of a small check's time, so the modules such a
check loads are held here, as a set, never as a time. A new import on this path fails with
the module's name: import it inside the function that needs it, or, when every check needs
it, add it below with the reason. Also: the snapshots that keep OpenTimelineIO and the
entry-point scan off this path give OTIO's own answers when what they were taken from
changes (a stale snapshot must not make the gate read a file differently from OTIO).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import opentimelineio as otio

from helpers import ai, clip, run_process, timeline, write

#: our modules a small .otio check loads: the CLI, the core a check runs, and each built-in
#: plugin's entry module (its readers, writers and formats load when used)
OURS = {
    "aigate", "aigate.api", "aigate.errors",
    "aigate.cli", "aigate.cli.app", "aigate.cli.approvals", "aigate.cli.attest",
    "aigate.cli.check", "aigate.cli.common", "aigate.cli.credentials", "aigate.cli.export",
    "aigate.cli.health", "aigate.cli.init", "aigate.cli.rules",
    "aigate.config", "aigate.config.globs", "aigate.config.remembered", "aigate.config.settings",
    "aigate.config.yamlfile",
    "aigate.core", "aigate.core.approvals", "aigate.core.cache", "aigate.core.containers",
    "aigate.core.context", "aigate.core.formats", "aigate.core.xmlcheck",
    "aigate.core.gate", "aigate.core.gcpause", "aigate.core.hookspecs",
    "aigate.core.installed", "aigate.core.media", "aigate.core.plugins",
    "aigate.core.policy", "aigate.core.provenance", "aigate.core.stage",
    "aigate.model", "aigate.model.items", "aigate.model.results", "aigate.model.timecode",
    "aigate.output", "aigate.output.files", "aigate.output.report",
    "aigate.run", "aigate.run.discovery", "aigate.run.exitcodes", "aigate.run.parallel",
    "aigate.run.pinning", "aigate.run.session", "aigate.trust", "aigate.trust.signing",
    "aigate_otio", "aigate_otio.fastread", "aigate_otio.manifest", "aigate_otio.otiojson",
    "aigate_otio.rates", "aigate_otio.sequence", "aigate_otio.sniff", "aigate_otio.unknown",
    "aigate_blender", "aigate_kdenlive", "aigate_kdenlive.names",
    "aigate_metadata", "aigate_xmp", "aigate_ledger",
    "aigate_paths", "aigate_guidance", "aigate_guidance.disclosure",
    "aigate_c2pa", "aigate_c2pa.markers", "aigate_c2pa.offline", "aigate_c2pa.store",
    "aigate_reports", "aigate_reports.json_report", "aigate_reports.text",
}
#: other packages a check needs: the plugin manager (PyYAML parses a YAML file on the first
#: run that reads it; later runs take the remembered parse while the file is unchanged)
THIRD_PARTY = {"pluggy"}
#: heavy standard-library modules no small check needs (the interpreter's own start-up may
#: load some of them: those it loads with ``-c pass`` are not counted)
HEAVY_STDLIB = {"importlib.metadata", "email", "csv", "xml.etree.ElementTree", "sqlite3",
                "tomllib", "subprocess", "multiprocessing", "concurrent.futures", "asyncio",
                "http.client", "urllib.request", "ssl", "socket", "tempfile", "zipimport"}
OURS_PREFIXES = ("aigate", "plugins")


def imports(*args: str, env: dict[str, str], cwd: Path) -> list[str]:
    """The modules a whole process loads, in order (``python -X importtime``)."""
    full = {k: v for k, v in os.environ.items()
            if k not in ("AIGATE_STAGE", "AIGATE_CONFIG", "AIGATE_PLUGINS")}
    proc = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True,
                          text=True, env={**full, **env}, cwd=cwd, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    return [line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
            if line.startswith("import time:") and "|" in line
            and not line.rstrip().endswith("imported package")]


def over_budget(loaded: list[str], interpreter: set[str]) -> list[str]:
    """What ``loaded`` holds beyond the budget, by module name."""
    stdlib = set(sys.stdlib_module_names)
    over = []
    for name in dict.fromkeys(loaded):
        top = name.split(".")[0]
        if name in interpreter or importlib.util.find_spec(top) is None:
            continue  # the interpreter's own, or a module only tried (Jython's org.python)
        if top.startswith(OURS_PREFIXES):
            if name not in OURS:
                over.append(name)
        elif name in HEAVY_STDLIB:
            over.append(name)
        elif top not in stdlib and not top.startswith("_") and top not in THIRD_PARTY:
            over.append(name)
    return over


def test_a_small_check_imports_only_what_it_uses(tmp_path):
    cut = write(tmp_path / "cut.otio", timeline(
        [clip("plate"), clip("gen", aigate=ai(purpose="temp"))],
        [clip("sky", aigate=ai(role="background"))]))
    # no media present: reading media (C2PA, the provenance cache) is a run that uses them
    shutil.rmtree(tmp_path / "media", ignore_errors=True)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    interpreter = set(imports("-c", "pass", env=env, cwd=tmp_path))
    check = ("-m", "aigate", "check", str(cut), "--stage", "final")
    imports(*check, env=env, cwd=tmp_path)  # the first run takes the snapshots
    loaded = imports(*check, env=env, cwd=tmp_path)
    assert "aigate.run.session" in loaded  # the check ran
    assert over_budget(loaded, interpreter) == []
    assert "opentimelineio" not in loaded


def test_the_budget_names_a_module_that_breaks_it():
    # the test above can fail: a heavy import, one of ours off the list, a new package
    assert over_budget(["aigate.run.session", "csv", "aigate_otio.export", "numpy.core",
                        "json", "_json"], interpreter=set()) == [
        "csv", "aigate_otio.export", "numpy.core"]


def test_a_manifest_changed_since_the_snapshot_is_read_again(tmp_path):
    # the snapshot said OTIO reads .otio plainly; then the studio's manifest (same path, same
    # variable) gains a read hook that tags every clip as generated: the check must see the
    # hooked timeline, as every OTIO tool now does, not the remembered answer
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"OTIO_SCHEMA": "PluginManifest.1"}))
    (tmp_path / "studio_hook.py").write_text(
        "def hook_function(in_timeline, argument_map=None):\n"
        "    for c in in_timeline.find_clips():\n"
        "        c.metadata['aigate'] = {'v': 1, 'generated': True, 'purpose': 'temp'}\n"
        "    return in_timeline\n")
    cut = write(tmp_path / "cut.otio", timeline([clip("plate")]))
    cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    env = {"OTIO_PLUGIN_MANIFEST_PATH": str(manifest), **cache}
    for given in (cache, env):  # without the variable, then with it: both remembered
        run = run_process("check", cut, "--stage", "final", "--format", "json", env=given)
        assert (run.code, run.verdicts()) == (0, {"plate": "pass"})
    manifest.write_text(json.dumps({
        "OTIO_SCHEMA": "PluginManifest.1",
        "hook_scripts": [{"OTIO_SCHEMA": "HookScript.1", "name": "studio_hook",
                          "filepath": "studio_hook.py"}],
        "hooks": {"post_adapter_read": ["studio_hook"]}}))
    after = run_process("check", cut, "--stage", "final", "--format", "json", env=env)
    assert (after.code, after.verdicts()) == (1, {"plate": "lock"})


def test_suffixes_come_from_otios_manifest_with_or_without_the_snapshot(tmp_path):
    # `aigate check FOLDER` picks files by the suffixes OTIO's adapters read
    (tmp_path / "cuts").mkdir()
    for suffix in sorted({s for a in otio.plugins.ActiveManifest().adapters
                          for s in a.suffixes}):
        (tmp_path / "cuts" / f"x.{suffix}").write_text("not a timeline")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    runs = [run_process("check", tmp_path / "cuts", "--format", "json", env=env)
            for _ in range(2)]
    assert runs[0].code == runs[1].code == 2
    named = [sorted(Path(e["path"]).name for e in r.json["errors"]) for r in runs]
    assert named[0] == named[1] and len(named[0]) == len(list((tmp_path / "cuts").iterdir()))


def test_a_snapshot_another_user_could_write_is_not_used(tmp_path, monkeypatch):
    from aigate.core import installed

    cache = tmp_path / "cache"
    # monkeypatch puts the session's private cache back: later tests must not use the user's
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    assert installed.snapshot("t", "k", lambda: ["computed"]) == ["computed"]
    kept = next((cache / "aigate").glob("t-*.json"))
    kept.write_text(json.dumps({"key": "k", "value": ["forged"]}))
    assert installed.snapshot("t", "k", lambda: ["again"]) == ["forged"]  # ours: used
    kept.chmod(0o666)  # anyone may write it: never trusted
    assert installed.snapshot("t", "k", lambda: ["again"]) == ["again"]
