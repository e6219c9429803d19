"""The plugin system as a pipeline TD meets it: a new host end to end, discovery by
AIGATE_PLUGINS, config and entry points, and broken plugins reported, never silent."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigate.errors import PluginError
from aigate.plugins import DEFAULT_PLUGINS, load_plugins
from conftest import ROOT, clip, run_process, timeline, write

EXAMPLES = ROOT / "docs" / "examples"


def shot_list(tmp_path: Path) -> Path:
    path = tmp_path / "ep1.shots"
    path.write_text("SH010 4\nSH020 3 ai Firefly final\nSH030 2\n")
    return path


def test_new_host_plugin_from_aigate_plugins_runs_end_to_end(tmp_path):
    env = {"PYTHONPATH": str(EXAMPLES), "AIGATE_PLUGINS": "aigate_shotlist"}
    path = shot_list(tmp_path)
    run = run_process("check", path, "--stage", "final", "--format", "json", env=env)
    assert run.code == 1, run.err
    [subject] = run.json["subjects"]
    assert subject["host"] == "shotlist" and subject["name"] == "ep1"
    assert [(i["clip"], i["record_in"], i["verdict"]) for i in subject["items"]] == [
        ("SH010", "00:00:00:00", "pass"), ("SH020", "00:00:04:00", "lock"),
        ("SH030", "00:00:07:00", "pass")]
    # folders pick up the new suffix too, beside OTIO files
    write(tmp_path / "cut.otio", timeline([clip("X")]))
    run = run_process("check", tmp_path, "--format", "json", env=env)
    assert sorted(Path(s["path"]).name for s in run.json["subjects"]) == ["cut.otio", "ep1.shots"]
    # and its bad input is one line naming file and line
    path.write_text("SH010 four\n")
    run = run_process("check", path, env=env)
    assert run.code == 2 and f"{path}:1: expected 'NAME SECONDS" in run.out


def test_plugin_named_in_config_is_loaded(tmp_path, monkeypatch, cli):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    (tmp_path / "aigate.yaml").write_text("plugins: [aigate_shotlist]\n")
    run = cli("check", shot_list(tmp_path), "--format", "json")
    assert run.json["subjects"][0]["host"] == "shotlist"


def test_plugins_command_lists_origin_and_hooks(tmp_path):
    env = {"PYTHONPATH": str(EXAMPLES), "AIGATE_PLUGINS": "aigate_shotlist"}
    run = run_process("plugins", "--json", env=env)
    assert run.code == 0
    plugins = {p["name"]: p for p in run.json["plugins"]}
    assert list(plugins)[:len(DEFAULT_PLUGINS)] == list(DEFAULT_PLUGINS)
    assert plugins["aigate_otio"]["origin"] == "builtin"
    assert plugins["aigate_shotlist"]["origin"] == "AIGATE_PLUGINS"
    assert plugins["aigate_shotlist"]["hooks"] == [
        "aigate_collect", "aigate_load_subject", "aigate_subject_suffixes"]
    assert plugins["aigate_shotlist"]["location"].endswith("aigate_shotlist.py")
    text = run_process("plugins", env=env)
    assert "aigate_shotlist  [AIGATE_PLUGINS]" in text.out


def make_distribution(root: Path, module: str, source: str) -> None:
    """A real installed distribution (dist-info with an entry point) on PYTHONPATH."""
    (root / f"{module}.py").write_text(source)
    info = root / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[aigate]\n{module} = {module}\n")


RULE_PLUGIN = '''
from aigate.hookspecs import hookimpl
from aigate.policy import Hit, Rule


def _long(item, prov, policy):
    if prov.ai and item.record_end - item.record_start > 48:
        yield Hit("AI shot longer than 2 seconds")


@hookimpl
def aigate_rules():
    return [Rule("long-ai-shot", "Long AI shot", "studio", "Studio rule.", "AI > 2 s",
                 "Shorten it.", _long)]
'''


def test_entry_point_plugin_adds_a_rule_a_pack_enables(tmp_path):
    make_distribution(tmp_path, "studio_rules", RULE_PLUGIN)
    env = {"PYTHONPATH": str(tmp_path)}
    run = run_process("plugins", "--json", env=env)
    origin = {p["name"]: p["origin"] for p in run.json["plugins"]}
    assert origin["studio_rules"] == "entry point studio_rules"
    pack = tmp_path / "pack.yaml"
    pack.write_text("extends: netflix-genai\nrules:\n  long-ai-shot: {severity: lock}\n")
    cut = write(tmp_path / "cut.otio", timeline([clip("SH1", 3, {"generated": True,
                                                                  "purpose": "temp"})]))
    run = run_process("check", cut, "--policy", pack, "--format", "json", env=env)
    assert run.code == 1
    assert run.findings("SH1")["long-ai-shot"] == "lock"


BROKEN = {
    "import_error": "raise ImportError('no module named studio_sdk')\n",
    "misspelt_hook": ("from aigate.hookspecs import hookimpl\n\n@hookimpl\n"
                      "def aigate_colect(subject):\n    return None\n"),
    "wrong_argument": ("from aigate.hookspecs import hookimpl\n\n@hookimpl\n"
                       "def aigate_claims(items, clip):\n    return None\n"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_plugin_is_a_diagnostic_and_strict_makes_it_fatal(tmp_path, name):
    (tmp_path / f"{name}.py").write_text(BROKEN[name])
    cut = write(tmp_path / "cut.otio", timeline([clip("SH1")]))
    env = {"PYTHONPATH": str(tmp_path), "AIGATE_PLUGINS": name}
    run = run_process("check", cut, env=env)
    assert run.code == 0  # the gate still runs with the plugins that did load
    [warning] = [x for x in run.err.splitlines() if "not loaded" in x]
    assert f"plugin '{name}' (AIGATE_PLUGINS) not loaded" in warning
    assert "Traceback" not in run.err
    strict = run_process("check", cut, "--strict-plugins", env=env)
    assert strict.code == 2 and f"plugin '{name}'" in strict.err
    listed = run_process("plugins", "--json", env=env).json
    assert [p["name"] for p in listed["problems"]] == [name]


def test_load_plugins_is_fresh_each_time_and_strict_raises(monkeypatch, tmp_path):
    a, b = load_plugins(), load_plugins()
    assert a.manager is not b.manager
    assert [i.name for i in a.info()][:len(DEFAULT_PLUGINS)] == list(DEFAULT_PLUGINS)
    (tmp_path / "bad_plugin.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError, match="bad_plugin"):
        load_plugins(extra=["bad_plugin"], strict=True)
    loose = load_plugins(extra=["bad_plugin"])
    assert [str(p) for p in loose.problems] == [
        "plugin 'bad_plugin' (argument) not loaded: import failed: RuntimeError: boom"]
    names = [i.name for i in loose.info()]  # the others are still there
    assert names[:len(DEFAULT_PLUGINS)] == list(DEFAULT_PLUGINS) and "bad_plugin" not in names
