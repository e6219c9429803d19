"""The public API and the plugin contract: aigate.api, hook versions and docs, plugin
settings, collisions between plugins, misspelt hooks, the host-writing example."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import textwrap
from pathlib import Path

import pytest

import aigate
from aigate import api
from aigate.core import hookspecs
from aigate.run.exitcodes import ExitCode
from helpers import ROOT, clip, run_process, timeline, write

EXAMPLES = ROOT / "docs" / "examples"


@pytest.mark.parametrize("line, said", [
    ("SH010", "got 1 word(s)"),
    ("SH010 4 ai Firefly", "got 4 word(s)"),
    ("SH010 four", "SECONDS 'four' is not a number"),
    ("SH010 nan", "SECONDS 'nan' must be above 0"),
    ("SH010 -3", "SECONDS '-3' must be above 0"),
    ("SH010 4 gen Firefly final", "third word 'gen' must be 'ai'"),
])
def test_shotlist_example_refuses_a_bad_line_naming_file_and_line(tmp_path, line, said):
    path = tmp_path / "ep1.shots"
    path.write_text(f"# a comment\nSH005 2\n{line}\n")
    env = {"PYTHONPATH": str(EXAMPLES), "AIGATE_PLUGINS": "aigate_shotlist"}
    run = run_process("check", path, env=env)
    assert run.code == ExitCode.USAGE
    assert f"{path}:3: expected 'NAME SECONDS' or 'NAME SECONDS ai TOOL PURPOSE': {said}" \
        in run.out
    assert "Traceback" not in run.out + run.err


def test_annotate_without_a_present_hook_names_the_missing_hook(tmp_path):
    path = tmp_path / "ep1.shots"
    path.write_text("SH010 4\nSH020 3 ai Firefly final\n")
    env = {"PYTHONPATH": str(EXAMPLES), "AIGATE_PLUGINS": "aigate_shotlist"}
    run = run_process("annotate", path, tmp_path / "out.shots", env=env)
    assert run.code == ExitCode.USAGE
    assert ("no host plugin can annotate shotlist subjects (none implements aigate_present "
            "for them)") in run.err
    assert not (tmp_path / "out.shots").exists()


def _plugin(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.py"
    path.write_text("from aigate.api import *  # noqa: F403\n"
                    "from aigate.api import hookimpl\n" + textwrap.dedent(body))
    return path


def _env(folder: Path, *names: str) -> dict[str, str]:
    return {"PYTHONPATH": str(folder), "AIGATE_PLUGINS": ",".join(names)}


def test_the_public_api_names_everything_a_plugin_needs():
    for name in api.__all__:
        assert getattr(api, name) is not None, name
    assert api.Gate is importlib.import_module("aigate.core.gate").Gate
    assert api.check is aigate.check
    assert aigate.gate_for is api.gate_for and aigate.ExitCode is ExitCode
    assert aigate.HOOK_API_VERSION == api.HOOK_API_VERSION >= (1, 1)
    with pytest.raises(AttributeError):
        _ = api.Session  # hosts do not need the batch machinery


def test_each_public_name_loads_from_the_module_its_type_import_names():
    """The lazy table and the type-checking imports are two spellings of one map: a name
    listed in one and not the other, or at two homes, would type-check against one object
    and load another."""
    import ast

    tree = ast.parse((ROOT / "aigate" / "api.py").read_text(encoding="utf-8"))
    typed = {alias.asname or alias.name: (node.module, alias.name)
             for block in tree.body if isinstance(block, ast.If)
             for node in block.body if isinstance(node, ast.ImportFrom)
             for alias in node.names}
    assert typed == api._WHERE
    assert set(typed) | {"gate_for"} == set(api.__all__)
    for name, (module, attr) in typed.items():
        assert getattr(api, name) is getattr(importlib.import_module(module), attr), name


def test_importing_one_name_loads_only_its_module():
    """The OTIO import hook asks for one function on every read in every OTIO tool."""
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", "import sys; from aigate.api import installed_entry_points; "
         "print(' '.join(m for m in sys.modules if m.startswith('aigate')))"],
        capture_output=True, text=True, timeout=60, check=True)
    assert set(run.stdout.split()) == {"aigate", "aigate.api", "aigate.core",
                                       "aigate.core.installed", "aigate.config",
                                       "aigate.config.remembered"}


PUBLIC_SURFACE_PROBE = """
import importlib, sys
import aigate.api, aigate.config, aigate.model
for name in ("aigate.api", "aigate.config", "aigate.model"):
    module = sys.modules[name]
    listed = dir(module)  # before any name is used: what an editor's completion shows
    assert set(module.__all__) <= set(listed), (name, set(module.__all__) - set(listed))
# submodules by attribute, as when the packages imported them eagerly
assert aigate.config.globs.match is aigate.api.glob_match and aigate.config.yamlfile.load
assert aigate.config.settings.Config is aigate.config.Config
assert aigate.model.outcomes.Diagnostic is aigate.model.Diagnostic
for module in (aigate.config, aigate.model):
    assert not hasattr(module, "no_such_name") and not hasattr(module, "_private")
from aigate.api import *
assert all(name in globals() for name in aigate.api.__all__)
print("ok")
"""


def test_the_lazy_packages_list_and_reach_what_they_did_when_eager():
    """aigate.api, aigate.config and aigate.model load their names on first use: dir()
    still lists every public name before it is used, and a submodule is still reached by
    attribute after importing the package alone (``aigate.config.globs``)."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", PUBLIC_SURFACE_PROBE], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr


def test_every_hookspec_is_documented_as_reference():
    specs = [(n, f) for n, f in vars(hookspecs).items() if n.startswith("aigate_")]
    assert len(specs) >= 13
    for name, function in specs:
        doc = inspect.getdoc(function) or ""
        for parameter in inspect.signature(function).parameters:
            assert f":param {parameter}:" in doc, f"{name}: {parameter} undocumented"
        assert ".. versionadded:: hook API 1." in doc, name
        firstresult = function.aigate_spec["firstresult"]
        assert ("**firstresult**" in doc) == firstresult, name


def test_gate_for_finds_the_config_as_check_does(tmp_path, monkeypatch):
    monkeypatch.delenv("AIGATE_CONFIG", raising=False)
    (tmp_path / "pack.yaml").write_text("aigate_policy: 1\nname: studio-x\n"
                                        "extends: netflix-genai\n")
    (tmp_path / "aigate.yaml").write_text("show: X\npolicy: pack.yaml\n")
    cut = write(tmp_path / "reel" / "cut.otio", timeline([clip("SH1")]))
    gate = api.gate_for(cut)
    assert gate.policy.name == "studio-x" and gate.config.show == "X"
    (tmp_path / "aigate.yaml").write_text("show: X\npolicy: missing.yaml\n")
    with pytest.raises(api.AigateError, match=r"missing\.yaml"):
        api.gate_for(cut)  # a host must refuse, not let material through


SETTINGS_PLUGIN = """
    @hookimpl
    def aigate_validate_settings(name, settings, where):
        if name != "studio_tags":
            return None
        unknown = set(settings) - {"tag"}
        if unknown:
            raise InputError(f"{where}: studio_tags: unknown setting {sorted(unknown)[0]!r}")
        return {"tag": str(settings.get("tag", "none"))}

    @hookimpl
    def aigate_claims(items, context):
        tag = context.settings["studio_tags"]["tag"]
        for i, item in enumerate(items):
            if item.clip == "SH1":
                yield i, Claim(source=f"studio_tags:{tag}", trust=Trust.HINT, generated=True)
"""


def test_plugin_settings_are_validated_by_the_plugin_and_reach_the_check(tmp_path):
    _plugin(tmp_path, "studio_tags", SETTINGS_PLUGIN)
    cut = write(tmp_path / "cut.otio", timeline([clip("SH1"), clip("CAM1")]))
    config = tmp_path / "aigate.yaml"
    config.write_text("plugin_settings:\n  studio_tags: {tag: night-shoot}\n")
    env = _env(tmp_path, "studio_tags")
    run = run_process("check", "--config", config, cut, "--format", "json", env=env)
    assert run.code in (ExitCode.OK, ExitCode.GATE), run.err
    [sh1] = [i for s in run.json["subjects"] for i in s["items"] if i["clip"] == "SH1"]
    assert "studio_tags:night-shoot" in str(sh1)
    # a bad setting: the plugin's own message, naming the file and line
    config.write_text("show: X\nplugin_settings:\n  studio_tags: {colour: red}\n")
    bad = run_process("check", "--config", config, cut, env=env)
    assert bad.code == ExitCode.USAGE
    assert f"{config}:3: studio_tags: unknown setting 'colour'" in bad.err + bad.out
    # an unknown plugin name is an error, with the closest loaded name
    config.write_text("plugin_settings:\n  studio_tag: {tag: x}\n")
    unknown = run_process("check", "--config", config, cut, env=env)
    assert unknown.code == ExitCode.USAGE
    assert (f"{config}:2: plugin_settings: no plugin named 'studio_tag' is loaded "
            "(did you mean 'studio_tags'?)") in unknown.err + unknown.out
    # a loaded plugin that takes no settings: settings nobody reads are an error too
    config.write_text("plugin_settings:\n  aigate_ledger: {x: 1}\n")
    ignored = run_process("check", "--config", config, cut, env=env)
    assert ignored.code == ExitCode.USAGE
    assert "plugin 'aigate_ledger' takes no settings" in ignored.err + ignored.out


def _distribution(root: Path, module: str, entry_point: str) -> None:
    """An installed distribution whose ``aigate`` entry point is named ``entry_point``."""
    info = root / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[aigate]\n{entry_point} = {module}\n")


@pytest.mark.parametrize("registered", ["entry point", "AIGATE_PLUGINS", "config"])
def test_settings_are_named_the_same_however_the_plugin_is_registered(tmp_path, registered):
    """A plugin's settings section is named by its module whichever way it was registered
    (an entry point of another name included), so one aigate.yaml serves every site."""
    _plugin(tmp_path, "studio_tags", SETTINGS_PLUGIN)
    cut = write(tmp_path / "cut.otio", timeline([clip("SH1"), clip("CAM1")]))
    config = tmp_path / "aigate.yaml"
    settings = "plugin_settings:\n  studio_tags: {tag: night-shoot}\n"
    env = {"PYTHONPATH": str(tmp_path)}
    if registered == "entry point":
        _distribution(tmp_path, "studio_tags", "tags")
    elif registered == "AIGATE_PLUGINS":
        env["AIGATE_PLUGINS"] = "studio_tags"
    else:
        settings = "plugins: [studio_tags]\n" + settings
    config.write_text(settings)
    run = run_process("check", "--config", config, cut, "--format", "json", env=env)
    assert run.code in (ExitCode.OK, ExitCode.GATE), run.err + run.out
    [sh1] = [i for s in run.json["subjects"] for i in s["items"] if i["clip"] == "SH1"]
    assert "studio_tags:night-shoot" in str(sh1)
    if registered == "entry point":  # the entry point's own name says where they go
        config.write_text("plugin_settings:\n  tags: {tag: x}\n")
        wrong = run_process("check", "--config", config, cut, env=env)
        assert wrong.code == ExitCode.USAGE
        assert (f"{config}:2: plugin_settings: 'tags' is the entry point of plugin "
                "'studio_tags'; its settings go under 'studio_tags'") in wrong.out + wrong.err


HOST_SETTINGS_PLUGIN = """
    SEEN = []

    @hookimpl
    def aigate_validate_settings(name, settings, where):
        return {"marker": str(settings.get("marker", "AIGATE"))} if name == __name__ else None

    @hookimpl
    def aigate_enforce(collected, result, settings):
        SEEN.append(("enforce", dict(settings[__name__])))

    @hookimpl
    def aigate_present(collected, result, target, settings):
        SEEN.append(("present", dict(settings[__name__])))
"""


def test_a_host_reads_its_own_settings(tmp_path, monkeypatch):
    """A host plugin's own settings reach its host hooks (present, enforce, collect, save,
    render get ``settings``), and a host holding the gate (a hook script, the add-on)
    reads them from :attr:`Gate.settings`."""
    import importlib

    from aigate.core.plugins import load_plugins
    from aigate.run.session import Options, Session

    _plugin(tmp_path, "host_marks", HOST_SETTINGS_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    config = tmp_path / "aigate.yaml"
    config.write_text("plugin_settings:\n  host_marks: {marker: GENAI}\n")
    cut = write(tmp_path / "cut.otio", timeline([clip("SH1")]))
    session = Session(Options(config=config), plugins=load_plugins(extra=["host_marks"]))
    gate = session.gate(cut)
    assert gate.settings["host_marks"] == {"marker": "GENAI"}
    subject = importlib.import_module("aigate_otio.files").read(cut)
    gate.guard_export(subject, stage="edit", annotate=True)
    seen = importlib.import_module("host_marks").SEEN
    assert seen == [("present", {"marker": "GENAI"}), ("enforce", {"marker": "GENAI"})]


@pytest.mark.parametrize("hook, body, said", [
    ("rules", """
        @hookimpl
        def aigate_rules():
            return [Rule(id="talent-consent", title="t", category="c", guideline="g",
                         trigger="t", remediation="r", check=lambda item, prov, pol: ())]
     """, "rule id 'talent-consent' is contributed by two plugins: 'aigate_guidance' and "
          "'clash'"),
    ("packs", """
        @hookimpl
        def aigate_policy_packs():
            from pathlib import Path
            return {"netflix-genai": Path(__file__).with_name("pack.yaml")}
     """, "policy pack 'netflix-genai' is contributed by two plugins: 'aigate_guidance' and "
          "'clash'"),
    ("formats", """
        @hookimpl
        def aigate_report_formats():
            return [ReportFormat(name="json", description="mine", head=lambda r, o: "",
                                 subject=lambda s, o: "", tail=lambda r, o: "")]
     """, "report format 'json' is contributed by two plugins: 'aigate_reports' and 'clash'"),
])
def test_a_name_two_plugins_contribute_is_an_error_naming_both(tmp_path, hook, body, said):
    _plugin(tmp_path, "clash", body)
    cut = write(tmp_path / "cut.otio", timeline([clip("SH1")]))
    run = run_process("check", cut, "--format", "json", env=_env(tmp_path, "clash"))
    assert run.code == ExitCode.USAGE
    assert said in run.err + run.out


def test_a_misspelt_hook_gets_a_did_you_mean(tmp_path):
    _plugin(tmp_path, "typo", """
        @hookimpl
        def aigate_claim(items, context):
            return []
    """)
    run = run_process("plugins", "--json", env=_env(tmp_path, "typo"), cwd=tmp_path)
    [problem] = [p for p in run.json["problems"] if p["name"] == "typo"]
    assert "unknown hook 'aigate_claim'" in problem["message"]
    assert "(did you mean 'aigate_claims'?)" in problem["message"]


@pytest.mark.parametrize("body, said", [
    # the decorator forgotten: pluggy alone would never call it, and say nothing
    ("def aigate_claims(items, context):\n    return []\n",
     "'aigate_claims' is not marked @hookimpl (from aigate.api): it would never be called"),
    # misspelt and undecorated
    ("def aigate_claim(items, context):\n    return []\n",
     "unknown hook 'aigate_claim' (did you mean 'aigate_claims'?), not marked @hookimpl"),
    ("def aigate_reprot_formats():\n    return []\n",
     "unknown hook 'aigate_reprot_formats' (did you mean 'aigate_report_formats'?)"),
])
def test_a_hook_the_plugin_forgot_to_mark_is_named_too(tmp_path, body, said):
    _plugin(tmp_path, "unmarked", body)
    run = run_process("plugins", "--json", env=_env(tmp_path, "unmarked"), cwd=tmp_path)
    [problem] = [p for p in run.json["problems"] if p["name"] == "unmarked"]
    assert said in problem["message"]
    strict = run_process("plugins", "--strict-plugins", env=_env(tmp_path, "unmarked"),
                         cwd=tmp_path)
    assert strict.code == ExitCode.USAGE and said in strict.out + strict.err


def test_a_plugins_own_helpers_and_renamed_hooks_are_not_typos(tmp_path, monkeypatch):
    from aigate.core.plugins import load_plugins

    _plugin(tmp_path, "helpers_ok", """
        def aigate_internal_table_of_everything_we_cache():
            return {}

        @hookimpl(specname="aigate_claims")
        def claims_from_the_studio_ledger(items, context):
            return []
    """)
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins = load_plugins(extra=["helpers_ok"])
    assert plugins.problems == []
    [info] = [i for i in plugins.info() if i.name == "helpers_ok"]
    assert info.hooks == ("aigate_claims",)


def test_the_provenance_source_example_in_docs_runs(tmp_path):
    doc = (ROOT / "docs" / "plugins.md").read_text()
    code = doc.split('```python\n"""Facility manifests')[1].split("```")[0]
    (tmp_path / "facility_manifest.py").write_text('"""Facility manifests' + code)
    media = tmp_path / "media" / "SH1.mov"
    media.parent.mkdir()
    media.write_bytes(b"generated pixels")
    digest = hashlib.sha256(media.read_bytes()).hexdigest()
    (tmp_path / "deliveries").mkdir()
    (tmp_path / "deliveries" / "manifest.csv").write_text(
        f"sha256,tool,vendor\n{digest},Runway Gen-4,Runway\n")
    config = tmp_path / "aigate.yaml"
    config.write_text(doc.split("```yaml\n")[1].split("```")[0])
    cut = write(tmp_path / "cut.otio", timeline([clip("SH1", url="media/SH1.mov"),
                                                 clip("CAM1")]))
    run = run_process("check", "--config", config, cut, "--format", "json",
                      env={"PYTHONPATH": str(tmp_path)})
    assert run.code in (ExitCode.OK, ExitCode.GATE), run.err
    items = {i["clip"]: i for s in run.json["subjects"] for i in s["items"]}
    assert "Runway Gen-4" in str(items["SH1"]) and "Runway Runway" not in run.out
    assert items["CAM1"]["verdict"] == "pass"


def _guide_section(text: str, name: str) -> str:
    """The part of docs/plugins.md about type ``name``: from its bold name to the next type,
    heading or end."""
    start = text.index(f"**`{name}`**")
    ends = [i for i in (text.find("**`", start + 5), text.find("\n#", start)) if i != -1]
    return text[start:min(ends, default=len(text))]


@pytest.mark.parametrize("name", ["Collected", "SubjectResult", "ItemResult", "Finding",
                                  "SaveOutcome", "Diagnostic"])
def test_the_plugin_guide_documents_every_field_a_host_touches(name):
    """docs/plugins.md documents the result types a host touches field by field: a field
    added to one of them without a line in the guide fails here."""
    import dataclasses

    cls = getattr(api, name)
    section = _guide_section((ROOT / "docs" / "plugins.md").read_text(), name)
    public = {f.name for f in dataclasses.fields(cls)}
    public |= {n for n, v in vars(cls).items()
               if not n.startswith("_") and isinstance(v, property | type(lambda: 0))}
    missing = sorted(n for n in public if f"`{n}`" not in section and f"`{n}()`" not in section)
    assert missing == [], f"{name}: {missing} not in docs/plugins.md"


def test_the_plugin_guide_names_every_severity():
    section = _guide_section((ROOT / "docs" / "plugins.md").read_text(), "Severity")
    for severity in api.Severity:
        assert f"`{severity.name}` ({severity.value}" in section, severity
