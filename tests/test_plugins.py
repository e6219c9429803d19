"""The plugin system as a pipeline TD meets it: a new host end to end, discovery by
AIGATE_PLUGINS, config and entry points, and broken plugins reported, never silent."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from aigate.core.plugins import DEFAULT_PLUGINS, load_plugins
from aigate.errors import PluginError
from helpers import ROOT, clip, run_process, timeline, write

EXAMPLES = ROOT / "docs" / "examples"


def pythonpath(*folders: Path) -> str:
    """``folders`` ahead of this checkout's PYTHONPATH: the CLI started is this code."""
    return os.pathsep.join([*map(str, folders), os.environ.get("PYTHONPATH", "")])


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
    # a discovered config loads code only inside a trusted root (tests/test_config_trust.py)
    monkeypatch.setenv("AIGATE_TRUSTED_ROOTS", str(tmp_path))
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
from aigate.api import hookimpl
from aigate.core.policy import Hit, Rule


def _long(item, prov, policy):
    if prov.ai and item.record_end - item.record_start > 48:
        yield Hit("AI shot longer than 2 seconds")


@hookimpl
def aigate_rules():
    return [Rule(id="long-ai-shot", title="Long AI shot", category="studio",
                 guideline="Studio rule.", trigger="AI > 2 s", remediation="Shorten it.",
                 check=_long)]
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
    "misspelt_hook": ("from aigate.api import hookimpl\n\n@hookimpl\n"
                      "def aigate_colect(subject):\n    return None\n"),
    "wrong_argument": ("from aigate.api import hookimpl\n\n@hookimpl\n"
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


def test_pluggy_is_handed_guarded_hooks_and_nothing_of_its_own_is_changed_after(
        monkeypatch, tmp_path):
    """Wrap before registering: every implementation pluggy holds is the very callable it
    found on what it was given (nothing reassigned later), each one a guard naming the plugin
    and the hook around the plugin's own function, whose argument names pluggy checked."""
    import inspect

    import pluggy

    from aigate.core.plugins import GuardedPlugin

    assigned: list[str] = []
    real_setattr = pluggy.HookImpl.__setattr__

    def watch(self, name, value):
        if name == "function" and hasattr(self, "function"):
            assigned.append(f"{self.plugin_name}: {name}")
        real_setattr(self, name, value)

    monkeypatch.setattr(pluggy.HookImpl, "__setattr__", watch)
    (tmp_path / "reads_items.py").write_text(
        "from aigate.api import hookimpl\n\n\n@hookimpl\n"
        "def aigate_claims(items, context):\n    return []\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins = load_plugins(extra=["reads_items"])
    assert assigned == []
    impls = [i for caller in plugins.manager.hook.__dict__.values()
             if isinstance(caller, pluggy.HookCaller) for i in caller.get_hookimpls()]
    assert len(impls) > 20
    for impl in impls:
        assert isinstance(impl.plugin, GuardedPlugin)
        assert impl.function is getattr(impl.plugin, impl.function.__name__)
        own = getattr(impl.plugin.plugin, impl.function.__name__)
        assert impl.function.__wrapped__ is own  # the guard, around the plugin's function
    [mine] = [i for i in impls if i.plugin_name == "reads_items"]
    assert mine.argnames == tuple(inspect.signature(mine.function.__wrapped__).parameters)


def test_config_strict_plugins_is_honoured_and_problems_of_every_source_are_told(tmp_path):
    (tmp_path / "broken_env.py").write_text("raise ImportError('no module named studio_sdk')\n")
    cut = write(tmp_path / "cut.otio", timeline([clip("SH1")]))
    config = tmp_path / "aigate.yaml"
    config.write_text("plugins: [missing_from_config]\n")
    env = {"PYTHONPATH": pythonpath(tmp_path), "AIGATE_PLUGINS": "broken_env",
           "AIGATE_TRUSTED_ROOTS": str(tmp_path)}
    run = run_process("check", cut, env=env)
    assert run.code == 0, run.out  # not strict: told, not fatal
    told = [x for x in run.err.splitlines() if "not loaded" in x]
    assert told == [
        "aigate: warning: plugin 'broken_env' (AIGATE_PLUGINS) not loaded: import failed: "
        "ImportError: no module named studio_sdk",
        f"aigate: warning: plugin 'missing_from_config' (config {config}) not loaded: import "
        "failed: ModuleNotFoundError: No module named 'missing_from_config'"]
    # `aigate plugins` and `aigate doctor` read the same aigate.yaml and say which
    listed = run_process("plugins", "--json", tmp_path, env=env).json
    assert listed["config"] == {"path": str(config), "origin": "trusted", "error": None}
    assert [p["name"] for p in listed["problems"]] == ["broken_env", "missing_from_config"]
    text = run_process("plugins", env=env, cwd=tmp_path).out
    assert text.startswith(f"config: {config} (found by walking up, inside")
    assert "NOT LOADED missing_from_config  [config" in text
    doctor = run_process("doctor", env=env, cwd=tmp_path)
    assert f"ok   config: {config}" in doctor.out
    assert "FAIL plugin missing_from_config: config" in doctor.out and doctor.code == 1
    # strict_plugins: true in the config makes any of them fatal for the files it governs
    config.write_text("strict_plugins: true\n")
    strict = run_process("check", cut, env=env)
    assert strict.code == 2
    assert f"{config}: strict_plugins: plugin 'broken_env' (AIGATE_PLUGINS)" in strict.out


ALIAS_PLUGIN = RULE_PLUGIN  # contributes a rule: registered twice, its id would clash


def test_a_plugin_named_by_every_source_loads_once(tmp_path):
    (tmp_path / "studio_rules.py").write_text(ALIAS_PLUGIN)
    info = tmp_path / "studio_rules-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: studio-rules\nVersion: 1.0\n")
    # the entry point's name differs from the module name AIGATE_PLUGINS and config use
    (info / "entry_points.txt").write_text("[aigate]\nstudio = studio_rules\n")
    config = tmp_path / "aigate.yaml"
    config.write_text("plugins: [studio_rules]\n")
    pack = tmp_path / "pack.yaml"
    pack.write_text("extends: netflix-genai\nrules:\n  long-ai-shot: {severity: lock}\n")
    env = {"PYTHONPATH": pythonpath(tmp_path), "AIGATE_PLUGINS": "studio_rules"}
    cut = write(tmp_path / "cut.otio", timeline([clip("SH1", 3, {"generated": True,
                                                                  "purpose": "temp"})]))
    run = run_process("check", cut, "--config", config, "--policy", pack, "--format", "json",
                      env=env)
    assert run.code == 1, run.err
    assert run.findings("SH1")["long-ai-shot"] == "lock"
    assert "not loaded" not in run.err
    listed = run_process("plugins", "--json", "--config", config, env=env).json
    # named by its module however it came (its settings too): the entry point's name is not
    assert [p["name"] for p in listed["plugins"] if "studio" in p["name"]] == ["studio_rules"]
    assert listed["problems"] == []


ESCAPES = {
    "system_exit_0": "raise SystemExit(0)",
    "generator_exit": "raise GeneratorExit()",
    "base_exception": "class Escape(BaseException):\n    pass\n\nraise Escape('out')",
}


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_nothing_a_plugin_raises_at_import_ends_the_run_clean(tmp_path, name):
    (tmp_path / f"{name}.py").write_text(ESCAPES[name] + "\n")
    cut = write(tmp_path / "cut.otio", timeline([clip("SH1", 2, {
        "v": 1, "generated": True, "tool": {"name": "Firefly"}, "purpose": "final"})]))
    env = {"PYTHONPATH": pythonpath(tmp_path), "AIGATE_PLUGINS": name}
    run = run_process("check", cut, "--stage", "final", env=env)
    assert run.code == 1, run.err  # the gate ran: the locked clip still locks
    assert f"plugin '{name}' (AIGATE_PLUGINS) not loaded: import failed:" in run.err
    strict = run_process("check", cut, "--stage", "final", "--strict-plugins", env=env)
    assert strict.code == 2 and f"plugin '{name}'" in strict.err


HOOK_ESCAPES = {
    "system_exit": "def aigate_claims(items, context):\n    raise SystemExit(0)\n",
    "generator_exit": "def aigate_claims(items, context):\n    raise GeneratorExit()\n",
    "lazy_base_exception": ("class Escape(BaseException):\n    pass\n\n\n"
                            "def aigate_claims(items, context):\n    yield from ()\n"
                            "    raise Escape('from a generator')\n"),
    "stop_iteration_in_load": ("def aigate_load_subject(path):\n"
                               "    raise StopIteration\n"),
}


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("name", sorted(HOOK_ESCAPES))
def test_nothing_a_plugin_raises_in_a_hook_ends_the_run_clean(tmp_path, name, jobs):
    source = HOOK_ESCAPES[name].replace("def aigate_", "@hookimpl\ndef aigate_")
    (tmp_path / f"{name}.py").write_text(f"from aigate.api import hookimpl\n\n\n{source}")
    cuts = [write(tmp_path / f"cut{i}.otio", timeline([clip("SH1")])) for i in (1, 2)]
    env = {"PYTHONPATH": pythonpath(tmp_path), "AIGATE_PLUGINS": name}
    run = run_process("check", *cuts, "--jobs", jobs, env=env)
    assert run.code == 2, run.out + run.err
    hook = "aigate_load_subject" if "load" in name else "aigate_claims"
    errors = [x for x in run.out.splitlines() if x.startswith("error:")]
    assert len(errors) == 2 and all(f"plugin {name!r} failed in {hook}:" in x for x in errors)
    assert "Traceback" not in run.err


WRAPPER = """from aigate.api import hookimpl


@hookimpl(wrapper=True)
def aigate_claims(items, context):
    raise SystemExit(0)
    yield
"""


def test_a_hook_wrapper_that_exits_is_named_too(tmp_path, cli, monkeypatch):
    (tmp_path / "exiting_wrapper.py").write_text(WRAPPER)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("AIGATE_PLUGINS", "exiting_wrapper")
    cut = write(tmp_path / "cut.otio", timeline([clip("SH1")]))
    run = cli("check", cut)
    assert run.code == 2
    assert "plugin 'exiting_wrapper' failed in aigate_claims: SystemExit: 0" in run.out


def test_a_hook_error_names_plugin_hook_and_place(monkeypatch, tmp_path):
    from aigate.core.plugins import HookError
    from aigate.run.session import Session

    (tmp_path / "exiting_claims.py").write_text(
        "from aigate.api import hookimpl\n\n\n@hookimpl\n"
        "def aigate_claims(items, context):\n    raise SystemExit(3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    session = Session(plugins=load_plugins(extra=["exiting_claims"]))
    cut = write(tmp_path / "cut.otio", timeline([clip("SH1")]))
    with pytest.raises(HookError) as caught:
        session.check_file(cut)
    error = caught.value
    assert (error.plugin, error.hook, type(error.exc)) == (
        "exiting_claims", "aigate_claims", SystemExit)
    assert str(error).startswith(
        "plugin 'exiting_claims' failed in aigate_claims: SystemExit: 3 at ")
    assert str(error).endswith("exiting_claims.py:6 (aigate_claims)")
    # it crosses from a worker process intact, whatever the plugin raised
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.plugin, copy.hook) == (str(error), "exiting_claims", "aigate_claims")


EXITING_CONTRIBUTIONS = '''
from aigate.api import hookimpl
from aigate.core.policy import Rule
from aigate.output.report import ReportFormat


def _check(item, prov, policy):
    raise SystemExit(0)
    yield


def _exit(*args):
    raise SystemExit(0)


@hookimpl
def aigate_rules():
    return [Rule(id="exiting-rule", title="Exits", category="studio",
                 guideline="Studio rule.", trigger="any AI clip", remediation="None.",
                 check=_check)]


@hookimpl
def aigate_report_formats():
    return [ReportFormat("exiting", "exits while rendering", _exit, _exit, _exit)]
'''


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_code_a_plugin_contributes_cannot_exit_clean_either(tmp_path, jobs):
    """Rule checks and report formats are the plugin's code too, called later."""
    (tmp_path / "exiting_parts.py").write_text(EXITING_CONTRIBUTIONS)
    pack = tmp_path / "pack.yaml"
    pack.write_text("extends: netflix-genai\nrules:\n  exiting-rule: {severity: lock}\n")
    cuts = [write(tmp_path / f"cut{i}.otio", timeline([clip("SH1", 2, {
        "generated": True, "purpose": "temp"})])) for i in (1, 2)]
    env = {"PYTHONPATH": pythonpath(tmp_path), "AIGATE_PLUGINS": "exiting_parts"}
    run = run_process("check", *cuts, "--policy", pack, "--jobs", jobs, env=env)
    assert run.code == 2
    assert run.out.count("plugin 'exiting_parts' failed in rule exiting-rule: SystemExit: 0"
                         ) == 2
    clean = write(tmp_path / "clean.otio", timeline([clip("CAM1")]))
    report = run_process("check", clean, cuts[0], "--format", "exiting", "--jobs", jobs,
                         env=env)
    assert report.code == 2
    assert ("plugin 'exiting_parts' failed in report format exiting: SystemExit: 0"
            in report.err)
