"""The gate inside OpenTimelineIO tools: the hooks `pip install .` registers, exercised
through OTIO's own entry points (otioconvert, adapters.write_to_file/read_from_file)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import opentimelineio as otio
import pytest
from hypothesis import given, settings
from opentimelineio.opentime import RationalTime, TimeRange
from test_speed_identity import cuts

from aigate import GateLocked
from aigate.core.stage import StageRefused
from aigate.errors import UsageError
from aigate_otio.files import without_aigate_hooks
from helpers import (
    SAMPLES,
    ai,
    clip,
    place_default_media,
    run_process,
    sourced,
    timeline,
    write,
)

DEAGE = ai(purpose="temp", talent=[{"name": "Ray Holt", "use": "likeness"}])


def otioconvert(*args: str | Path, env: dict[str, str] | None = None,
                cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AIGATE_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "opentimelineio.console.otioconvert",
                           *map(str, args)], capture_output=True, text=True, env=full_env,
                          cwd=cwd, timeout=300)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("AIGATE_STAGE", "AIGATE_CONFIG", "AIGATE_DISABLE", "AIGATE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)


def test_otioconvert_refuses_a_final_export_and_writes_nothing(tmp_path):
    out = tmp_path / "out.edl"
    run = otioconvert("-i", SAMPLES / "ep102_picture_v3.otio", "-o", out,
                      "-H", "aigate_stage=final", cwd=tmp_path)
    assert run.returncode != 0
    assert "GateLocked" in run.stderr and "export refused at stage final" in run.stderr
    assert 'V1 "VFX_110_deage_v2" 01:00:03:00-01:00:07:00' in run.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
    edit = otioconvert("-i", SAMPLES / "ep102_picture_v3.otio", "-o", out,
                       "-H", "aigate_stage=edit", cwd=tmp_path)
    assert edit.returncode == 0, edit.stderr
    assert "VFX110de" in out.read_text()


def refused(tl: otio.schema.Timeline, out: Path, **args: str) -> GateLocked:
    with pytest.raises(GateLocked) as caught:
        otio.adapters.write_to_file(tl, str(out), hook_function_argument_map=args)
    assert not out.exists()
    return caught.value


@pytest.mark.parametrize("suffix", ["otio", "edl", "xml", "fcpxml"])
def test_write_to_file_is_gated_and_the_callers_timeline_untouched(tmp_path, suffix):
    tl = timeline([clip("CAM1"), clip("SH1", 2, DEAGE)])
    before = otio.adapters.write_to_string(tl, "otio_json")
    error = refused(tl, tmp_path / f"cut.{suffix}", aigate_stage="final")
    assert [r.items[1].item.clip for r in error.results] == ["SH1"]
    assert otio.adapters.write_to_string(tl, "otio_json") == before
    otio.adapters.write_to_file(tl, str(tmp_path / f"cut.{suffix}"),
                                hook_function_argument_map={"aigate_stage": "edit"})
    assert (tmp_path / f"cut.{suffix}").exists()
    assert otio.adapters.write_to_string(tl, "otio_json") == before


def test_stage_for_exports_from_env_metadata_and_output_path(tmp_path, monkeypatch):
    tl = timeline([clip("SH1", 2, DEAGE)])
    otio.adapters.write_to_file(tl, str(tmp_path / "a.otio"))  # edit by default: written
    refused(tl, tmp_path / "deliverables" / "cut.otio")        # default path rule: final
    refused(tl, tmp_path / "EP101_FINAL.edl")
    declared = timeline([clip("SH1", 2, DEAGE)], metadata={"stage": "final"})
    refused(declared, tmp_path / "b.otio")
    monkeypatch.setenv("AIGATE_STAGE", "final")
    refused(tl, tmp_path / "c.otio")
    # the hook argument beats the environment
    otio.adapters.write_to_file(tl, str(tmp_path / "c.otio"),
                                hook_function_argument_map={"aigate_stage": "review"})


def test_unknown_stage_in_hook_argument_refuses_the_export(tmp_path):
    with pytest.raises(UsageError, match="aigate_stage: unknown stage 'finale'"):
        otio.adapters.write_to_file(timeline([clip("CAM1")]), str(tmp_path / "x.otio"),
                                    hook_function_argument_map={"aigate_stage": "finale"})
    assert not (tmp_path / "x.otio").exists()


def test_collection_gates_each_timeline_and_names_it(tmp_path):
    coll = otio.schema.SerializableCollection(name="reels")
    coll.append(timeline([clip("R1_SH1")], name="reel 1"))
    coll.append(timeline([clip("R2_SH4", 2, DEAGE)], name="reel 2"))
    for reel in coll:  # their media where the collection comes from: found, so not locked
        place_default_media(tmp_path, reel)
    error = refused(coll, tmp_path / "reels.otio", aigate_stage="final",
                    aigate_origin=str(tmp_path / "source.otio"))
    assert 'reel 2: V1 "R2_SH4"' in str(error) and "reel 1" not in str(error)


def test_annotate_on_write_is_idempotent_although_otio_runs_the_hook_twice(tmp_path):
    (tmp_path / "aigate.yaml").write_text("hooks: {annotate_on_write: true}\n")
    tl = timeline([clip("CAM1"), clip("SH1", 2, ai())])
    place_default_media(tmp_path, tl)  # found media: no media-missing note on CAM1
    out = tmp_path / "cut.edl"
    otio.adapters.write_to_file(tl, str(out), hook_function_argument_map={
        "aigate_stage": "edit", "aigate_origin": str(tmp_path / "source.otio")})
    text = out.read_text()
    assert text.count("* LOC:") == 1 and "AIGATE WARN" in text
    assert "aigate" not in otio.adapters.write_to_string(tl, "otio_json").split('"markers"')[1][:40]
    assert len(tl.find_clips()[1].markers) == 0  # the caller's timeline got no marker


def test_aigate_disable_turns_the_hooks_off_loudly(tmp_path):
    out = tmp_path / "out.otio"
    run = otioconvert("-i", SAMPLES / "ep102_picture_v3.otio", "-o", out,
                      "-H", "aigate_stage=final", env={"AIGATE_DISABLE": "1"}, cwd=tmp_path)
    assert run.returncode == 0 and out.exists()
    assert "AIGATE_DISABLE is set: the pre_adapter_write gate is OFF" in run.stderr
    assert "AIGATE_DISABLE is set: the post_adapter_read gate is OFF" in run.stderr


def test_import_check_reports_by_default_and_never_blocks(tmp_path, caplog, monkeypatch):
    path = write(tmp_path / "cut.otio", timeline([clip("CAM1"), clip("SH1", 2, DEAGE)]))
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.INFO, logger="aigate.otio"):
        tl = otio.adapters.read_from_file(str(path))
    assert len(tl.find_clips()) == 2
    assert "import check of 'cut': LOCK, 1 of 2 clips flagged" in caplog.text
    assert 'LOCK V1 "SH1" 01:00:02:00-01:00:04:00: Ray Holt (likeness)' in caplog.text
    assert all(len(c.markers) == 0 for c in tl.find_clips())  # report mode: log only


def test_import_check_annotate_and_off_modes(tmp_path, caplog, monkeypatch):
    path = write(tmp_path / "cut.otio", timeline([clip("CAM1"), clip("SH1", 2, DEAGE)]))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "aigate.yaml").write_text("hooks: {on_read: annotate}\n")
    tl = otio.adapters.read_from_file(str(path))
    assert [m.name for m in tl.find_clips()[1].markers] == ["AIGATE LOCK talent-consent"]
    (tmp_path / "aigate.yaml").write_text("hooks: {on_read: off}\n")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="aigate.otio"):
        tl = otio.adapters.read_from_file(str(path))
    assert caplog.text == "" and len(tl.find_clips()[1].markers) == 0


def test_doctor_passes_here_and_fails_when_the_gate_would_fail_open():
    run = run_process("doctor")
    assert run.code == 0, run.out
    assert "ok   hook pre_adapter_write: aigate_pre_adapter_write attached" in run.out
    assert run.out.strip().endswith("the gate is live")
    off = run_process("doctor", env={"OTIO_DISABLE_ENTRYPOINTS_PLUGINS": "1"})
    assert off.code == 1
    assert "FAIL hook pre_adapter_write: aigate_pre_adapter_write is not in OTIO's" in off.out
    disabled = run_process("doctor", env={"AIGATE_DISABLE": "1"})
    assert disabled.code == 1 and "FAIL AIGATE_DISABLE" in disabled.out


def test_annotations_written_into_deliverables_keep_the_final_verdicts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # OTIO's second call has no output path: config from here
    (tmp_path / "aigate.yaml").write_text("hooks: {annotate_on_write: true}\n"
                                          "policy: pack.yaml\n")
    (tmp_path / "pack.yaml").write_text("extends: netflix-genai\n"
                                        "rules: {final-deliverable-use: {severity: info}}\n"
                                        "vetted_tools: [{name: Firefly, vendor: Adobe, "
                                        "enterprise: true}]\n")
    tl = timeline([clip("SH1", 2, ai(role="key_visual"))])
    origin = sourced(tl, tmp_path)
    out = tmp_path / "deliverables" / "cut.edl"
    out.parent.mkdir()
    with pytest.raises(GateLocked):  # key visual, unapproved: locked at final
        otio.adapters.write_to_file(tl, str(out), hook_function_argument_map=origin)
    (tmp_path / "pack.yaml").write_text("extends: netflix-genai\n"
                                        "rules: {final-deliverable-use: {severity: info}, "
                                        "key-creative-element: {severity: {import: info, "
                                        "edit: info, review: warn, final: warn}}}\n"
                                        "vetted_tools: [{name: Firefly, vendor: Adobe, "
                                        "enterprise: true}]\n")
    # final (the path): warn, written, annotated
    otio.adapters.write_to_file(tl, str(out), hook_function_argument_map=origin)
    text = out.read_text()
    # OTIO's second, path-less call must not re-annotate at the default stage (info)
    assert "AIGATE WARN key-creative-element" in text and text.count("* LOC:") == 1


# -- the export stage: the output path's rule is a floor --------------------------------

def test_export_asked_below_the_output_path_rule_is_refused_and_says_why(tmp_path,
                                                                          monkeypatch):
    clean = timeline([clip("CAM1"), clip("CAM2")])  # nothing to lock: the stage alone refuses
    out = tmp_path / "deliverables" / "cut.edl"
    with pytest.raises(StageRefused) as caught:
        otio.adapters.write_to_file(clean, str(out),
                                    hook_function_argument_map={"aigate_stage": "edit"})
    assert ("OTIO hook argument aigate_stage asks for stage edit, but the output path is at "
            "stage final (path rule '**/deliverables/**' in the built-in rules)"
            in str(caught.value))
    assert not out.exists() and not out.parent.exists()
    out.parent.mkdir()
    monkeypatch.setenv("AIGATE_STAGE", "review")
    with pytest.raises(StageRefused, match="AIGATE_STAGE asks for stage review"):
        otio.adapters.write_to_file(clean, str(out))
    assert not out.exists()
    assert list(out.parent.iterdir()) == []
    # asking for the output's stage (or a higher one) is accepted
    otio.adapters.write_to_file(clean, str(out), hook_function_argument_map={
        "aigate_stage": "final", **sourced(clean, tmp_path)})
    assert out.exists()


def test_metadata_cannot_lower_an_export_below_the_output_path(tmp_path):
    declared = timeline([clip("SH1", 2, DEAGE)], metadata={"stage": "edit"})
    error = refused(declared, tmp_path / "deliverables" / "cut.otio")
    assert error.results[0].stage == "final"
    # and it raises one: the same timeline declared final is refused anywhere
    refused(timeline([clip("SH1", 2, DEAGE)], metadata={"stage": "final"}),
            tmp_path / "cut.otio", aigate_stage="edit")


def test_otioconvert_cannot_lower_the_stage_of_a_deliverable(tmp_path):
    out = tmp_path / "deliverables" / "out.edl"
    run = otioconvert("-i", SAMPLES / "ep102_picture_v3.otio", "-o", out,
                      "-H", "aigate_stage=edit", cwd=tmp_path)
    assert run.returncode != 0
    assert "StageRefused" in run.stderr
    assert "aigate_stage asks for stage edit, but the output path is at stage final" \
        in run.stderr
    assert not out.exists()


# -- OTIO's second pre_adapter_write call ----------------------------------------------

@pytest.mark.parametrize("annotate", [True, False], ids=["annotate", "plain"])
@pytest.mark.parametrize("suffix", ["edl", "xml"])
def test_many_exports_alternating_allowed_and_refused_each_decided_alone(tmp_path, annotate,
                                                                          suffix):
    """OTIO runs pre_adapter_write twice for EDL and FCP XML; recognising the second call
    must never wave a later export through. Fresh copies are written in a loop (freed
    objects' memory, and so their id(), is reused): every refused export stays refused."""
    (tmp_path / "aigate.yaml").write_text(
        f"hooks: {{annotate_on_write: {str(annotate).lower()}}}\n")
    locked = timeline([clip("CAM1"), clip("SH1", 2, DEAGE)])
    clean = timeline([clip("CAM1"), clip("CAM2")])
    origin = sourced(locked, tmp_path) | sourced(clean, tmp_path)
    plan = []  # (timeline, output, allowed)
    for i in range(12):
        plan += [(clean, tmp_path / "deliverables" / f"clean{i}.{suffix}", True),
                 (locked, tmp_path / "edit" / f"locked{i}.{suffix}", True),
                 (locked, tmp_path / "deliverables" / f"locked{i}.{suffix}", False)]
    outcome = []
    for template, out, _ in plan:
        out.parent.mkdir(exist_ok=True)
        try:
            otio.adapters.write_to_file(template.deepcopy(), str(out),
                                        hook_function_argument_map=origin)
            outcome.append(True)
        except GateLocked:
            outcome.append(False)
    assert outcome == [allowed for _, _, allowed in plan]
    assert {p.name for p in (tmp_path / "deliverables").iterdir()} == \
        {out.name for _, out, allowed in plan if allowed and out.parent.name == "deliverables"}
    back = read_back(tmp_path / "edit" / f"locked11.{suffix}")
    markers = [m.name.upper() for c in back.find_clips() if c.name == "SH1" for m in c.markers]
    assert markers == (["AIGATE LOCK TALENT-CONSENT"] if annotate else [])  # EDL: upper case


def read_back(path: Path) -> otio.schema.Timeline:
    with without_aigate_hooks():
        return otio.adapters.read_from_file(str(path))


# -- the read hook: never raises, logs only, config from the file's folder --------------

def nested_otio(depth: int) -> str:
    """A timeline whose one clip sits ``depth`` stacks deep (built as text: too deep for
    Python's own JSON encoder)."""
    inner = json.dumps({
        "OTIO_SCHEMA": "Clip.1", "name": "DEEP", "metadata": {"aigate": ai()},
        "source_range": {"OTIO_SCHEMA": "TimeRange.1",
                         "start_time": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24, "value": 0},
                         "duration": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24,
                                      "value": 24}}})
    stacks = '{"OTIO_SCHEMA": "Stack.1", "name": "s", "children": [' * depth + inner + "]}" * depth
    return ('{"OTIO_SCHEMA": "Timeline.1", "name": "deep", "tracks": {"OTIO_SCHEMA": '
            '"Stack.1", "children": [{"OTIO_SCHEMA": "Track.1", "name": "V1", "kind": '
            '"Video", "children": [' + stacks + "]}]}}")


def hostile_timeline(kind: str, folder: Path) -> Path:
    path = folder / f"{kind}.otio"
    if kind == "nan-rate":
        tl = timeline([clip("SH1", 2, DEAGE)])
        nan = float("nan")
        tl.find_clips()[0].source_range = TimeRange(RationalTime(0, nan), RationalTime(48, nan))
        write(path, tl)
    elif kind == "invalid-utf8-name":
        text = otio.adapters.write_to_string(timeline([clip("SHXX", 2, DEAGE)]), "otio_json")
        path.write_bytes(text.encode().replace(b'"SHXX"', b'"SH\xff\xfe"'))
    elif kind == "absurd-nesting":
        path.write_text(nested_otio(1500))  # deeper than Python's recursion limit
    elif kind == "stage-not-text":
        write(path, timeline([clip("SH1", 2, DEAGE)], metadata={"stage": {"x": [1]}}))
    return path


@pytest.mark.parametrize("kind", ["nan-rate", "invalid-utf8-name", "absurd-nesting",
                                  "stage-not-text"])
def test_read_hook_never_raises_whatever_the_timeline_holds(tmp_path, caplog, capfd, kind):
    path = hostile_timeline(kind, tmp_path)
    with caplog.at_level(logging.DEBUG, logger="aigate.otio"):
        tl = otio.adapters.read_from_file(str(path))
    assert isinstance(tl, otio.schema.Timeline)  # the caller gets its timeline
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # through logging only, never a print
    said = [r for r in caplog.records if r.name == "aigate.otio"]
    # an AI clip it could check, or a check it could not finish: either way it speaks up
    assert max(r.levelno for r in said) >= logging.WARNING, caplog.text


RAISES = {"SystemExit": "SystemExit(3)", "GeneratorExit": "GeneratorExit()",
          "BaseException": "Boom('bang')", "RecursionError": "RecursionError()",
          "unprintable": "Unprintable()",
          "UnicodeDecodeError": "UnicodeDecodeError('utf-8', b'\\xff', 0, 1, 'bad')"}


def raising_plugin(folder: Path, monkeypatch: pytest.MonkeyPatch, name: str,
                   raised: str) -> None:
    (folder / f"{name}.py").write_text(
        "from aigate.api import hookimpl\n\n\n"
        "class Boom(BaseException):\n    pass\n\n\n"
        "class Unprintable(Exception):\n    def __str__(self):\n        raise ValueError\n\n\n"
        "@hookimpl\ndef aigate_claims(items, context):\n"
        f"    raise {raised}\n")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("AIGATE_PLUGINS", name)


@pytest.mark.parametrize("kind", sorted(RAISES))
def test_read_hook_survives_any_exception_a_plugin_raises(tmp_path, monkeypatch, caplog,
                                                          kind):
    raising_plugin(tmp_path, monkeypatch, f"aigate_raises_{kind.lower()}", RAISES[kind])
    path = write(tmp_path / "cut.otio", timeline([clip("SH1", 2, DEAGE)]))
    with caplog.at_level(logging.WARNING, logger="aigate.otio"):
        tl = otio.adapters.read_from_file(str(path))
    assert [c.name for c in tl.find_clips()] == ["SH1"]
    assert "aigate: import check failed:" in caplog.text
    # the export gate, though, fails closed on the same plugin: nothing is written
    with pytest.raises(BaseException):  # noqa: B017 - whatever the plugin raised
        otio.adapters.write_to_file(tl, str(tmp_path / "out.otio"))
    assert not (tmp_path / "out.otio").exists()


def test_read_hook_lets_ctrl_c_through(tmp_path, monkeypatch):
    raising_plugin(tmp_path, monkeypatch, "aigate_raises_ctrl_c", "KeyboardInterrupt()")
    path = write(tmp_path / "cut.otio", timeline([clip("SH1", 2, DEAGE)]))
    with pytest.raises(KeyboardInterrupt):
        otio.adapters.read_from_file(str(path))


def test_read_hook_is_silent_on_a_clean_timeline(tmp_path, caplog):
    clean = write(tmp_path / "clean.otio", timeline([clip("CAM1"), clip("CAM2")]))
    flagged = write(tmp_path / "flagged.otio", timeline([clip("SH1", 2, DEAGE)]))
    code = "import sys, opentimelineio as otio; otio.adapters.read_from_file(sys.argv[1])"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIGATE_")}
    runs = {p.stem: subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True,
                                   text=True, env=env, cwd=tmp_path, timeout=300)
            for p in (clean, flagged)}
    assert (runs["clean"].returncode, runs["clean"].stdout, runs["clean"].stderr) == (0, "", "")
    assert "import check of 'cut': LOCK, 1 of 1 clips flagged" in runs["flagged"].stderr
    with caplog.at_level(logging.INFO, logger="aigate.otio"):
        otio.adapters.read_from_file(str(clean))
    assert [r for r in caplog.records if r.name == "aigate.otio"] == []


def test_aigate_disable_is_said_through_logging(tmp_path, monkeypatch, caplog, capfd):
    monkeypatch.setenv("AIGATE_DISABLE", "1")
    path = write(tmp_path / "deliverables" / "cut.otio", timeline([clip("SH1", 2, DEAGE)]))
    with caplog.at_level(logging.WARNING, logger="aigate.otio"):
        tl = otio.adapters.read_from_file(str(path))
        otio.adapters.write_to_file(tl, str(tmp_path / "deliverables" / "out.otio"))
    assert [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "aigate.otio"] \
        == [("WARNING", f"aigate: AIGATE_DISABLE is set: the {hook} gate is OFF for this call")
            for hook in ("post_adapter_read", "pre_adapter_write")]
    assert capfd.readouterr().err == ""


def test_read_hook_takes_its_config_from_the_files_folder(tmp_path, monkeypatch):
    show, elsewhere = tmp_path / "show", tmp_path / "elsewhere"
    path = write(show / "cut.otio", timeline([clip("CAM1"), clip("SH1", 2, DEAGE)]))
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    def markers(tl: otio.schema.Timeline) -> list[str]:
        return [m.name for c in tl.find_clips() for m in c.markers]

    (show / "aigate.yaml").write_text("hooks: {on_read: annotate}\n")
    (elsewhere / "aigate.yaml").write_text("hooks: {on_read: off}\n")
    assert markers(otio.adapters.read_from_file(str(path))) == ["AIGATE LOCK talent-consent"]
    assert markers(otio.adapters.read_from_file(os.path.relpath(path))) == \
        ["AIGATE LOCK talent-consent"]
    (show / "aigate.yaml").write_text("hooks: {on_read: off}\n")
    (elsewhere / "aigate.yaml").write_text("hooks: {on_read: annotate}\n")
    assert markers(otio.adapters.read_from_file(str(path))) == []
    # a read from a string has no file: its config comes from the current folder (the
    # documented limit), unless the caller names the file the way OTIO does for writes
    text = path.read_text()
    # ... and its relative media from the current folder, where they are not: a note
    assert markers(otio.adapters.read_from_string(text)) == [
        "AIGATE NOTE media-missing", "AIGATE LOCK talent-consent"]
    assert markers(otio.adapters.read_from_string(
        text, hook_function_argument_map={"_filepath": str(path)})) == []


def impostor_manifest(folder: Path) -> Path:
    """A manifest (as a studio tool or a delivery's environment might add) with a no-op
    script named like aigate's export gate, and a studio hook attached after it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "noop.py").write_text("def hook_function(tl, argument_map=None):\n"
                                    "    return tl\n")
    (folder / "manifest.json").write_text(json.dumps({
        "OTIO_SCHEMA": "PluginManifest.1",
        "hook_scripts": [
            {"OTIO_SCHEMA": "HookScript.1", "name": "aigate_pre_adapter_write",
             "filepath": "noop.py"},
            {"OTIO_SCHEMA": "HookScript.1", "name": "studio_after", "filepath": "noop.py"}],
        "hooks": {"pre_adapter_write": ["aigate_pre_adapter_write", "studio_after"]}}))
    return folder / "manifest.json"


def test_a_same_named_hook_script_cannot_replace_aigates_export_gate(tmp_path):
    manifest = impostor_manifest(tmp_path / "impostor")
    out = tmp_path / "out.edl"
    run = otioconvert("-i", SAMPLES / "ep102_picture_v3.otio", "-o", out,
                      "-H", "aigate_stage=final", cwd=tmp_path,
                      env={"OTIO_PLUGIN_MANIFEST_PATH": str(manifest)})
    assert run.returncode != 0 and "export refused at stage final" in run.stderr
    assert not out.exists()
    assert "aigate_pre_adapter_write" in run.stderr and "would replace aigate's" in run.stderr
    # doctor: aigate's gate is the one OTIO runs, and it runs after the studio's hook
    # (manifests from OTIO_PLUGIN_MANIFEST_PATH attach theirs before entry points do)
    doctor = run_process("doctor", env={"OTIO_PLUGIN_MANIFEST_PATH": str(manifest)})
    assert doctor.code == 0 and "shadowed" not in doctor.out
    assert "hooks after aigate's" not in doctor.out


def test_doctor_lists_the_hooks_otio_runs_after_aigates_export_gate(tmp_path):
    """A hook attached after aigate's (an entry point loaded later) could change what is
    written after the check: OTIO offers no way to run last, so doctor names each one."""
    from aigate_otio.doctor import _after_ours

    manifest = otio.core.deserialize_json_from_string(
        impostor_manifest(tmp_path / "later").read_text())
    manifest.hooks["pre_adapter_write"] = ["aigate_pre_adapter_write", "studio_after"]
    [listed] = _after_ours(manifest)
    assert not listed.ok and "studio_after (noop.py)" in listed.detail


def test_doctor_says_shadowed_when_the_hook_otio_runs_is_not_aigates(tmp_path):
    manifest = impostor_manifest(tmp_path / "impostor")
    # entry points off: only the impostor is left under aigate's name
    run = run_process("doctor", env={"OTIO_PLUGIN_MANIFEST_PATH": str(manifest),
                                     "OTIO_DISABLE_ENTRYPOINTS_PLUGINS": "1"})
    assert run.code == 1
    assert "shadowed: OTIO runs" in run.out and str(tmp_path / "impostor" / "noop.py") in \
        run.out


def test_stripping_the_declaration_with_otiotool_leaves_media_provenance_deciding(tmp_path):
    """otiotool --remove-metadata-key aigate strips what the timeline declares; the media's
    own provenance still decides at final (an XMP sidecar here)."""
    from mediakit import TRAINED, still, xmp_packet

    still(tmp_path / "media" / "gen.png")
    (tmp_path / "media" / "gen.xmp").write_text(xmp_packet(TRAINED))
    cut = write(tmp_path / "cut.otio", timeline([clip("GEN", 2, DEAGE,
                                                      url=str(tmp_path / "media" / "gen.png"))]))
    stripped = tmp_path / "stripped.otio"
    tool = subprocess.run([sys.executable, "-m", "opentimelineio.console.otiotool", "-i",
                           str(cut), "--remove-metadata-key", "aigate", "-o", str(stripped)],
                          capture_output=True, text=True, timeout=300)
    assert tool.returncode == 0, tool.stderr
    assert "aigate" not in stripped.read_text().split('"media_reference"')[0]
    run = run_process("check", stripped, "--stage", "final", "--format", "json")
    [item] = run.json["subjects"][0]["items"]
    assert run.code == 1 and item["verdict"] == "lock"


@pytest.mark.parametrize("timing", ["start-rate-0", "negative-duration", "absurd-start"])
def test_import_check_without_a_config_fails_a_cut_as_the_full_check_does(tmp_path, caplog,
                                                                         timing):
    """Without a config the import check leaves out the clips that declare nothing; one of
    them whose times the gate refuses still fails the check, with the full check's line
    (the same file under an aigate.yaml), never a verdict on the others alone."""
    odd = clip("CAM1")
    start, duration = {
        "start-rate-0": (RationalTime(0, 0), RationalTime(48, 24)),
        "negative-duration": (RationalTime(0, 24), RationalTime(-48, 24)),
        "absurd-start": (RationalTime(1e15, 24), RationalTime(48, 24)),
    }[timing]
    odd.source_range = TimeRange(start, duration)
    cut = timeline([clip("SH1", 2, DEAGE), odd, clip("SH2", 2, ai())])
    plain = write(tmp_path / "plain" / "cut.otio", cut)
    governed = write(tmp_path / "show" / "cut.otio", cut)
    (tmp_path / "show" / "aigate.yaml").write_text("show: NIGHTFALL\n")

    def logged(path: Path) -> str:
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="aigate.otio"):
            otio.adapters.read_from_file(str(path))
        return "\n".join(r.getMessage() for r in caplog.records if r.name == "aigate.otio"
                         and r.levelno >= logging.WARNING)

    full = logged(governed)
    assert "import check failed" in full and "CAM1" in full
    assert logged(plain) == full


@settings(max_examples=40, deadline=None, database=None)
@given(cuts())
def test_import_check_without_a_config_logs_what_the_full_check_logs(tmp_path_factory, cut):
    """Through OTIO's own reader: the import check of a file no config governs (only the
    declaring clips collected) logs exactly what it logs for the same file under a config
    that reads no media (every clip collected): the verdict, "N of M clips flagged" and
    each flagged clip with its record times, or the one line a cut it refuses gets. Where
    nothing declares anything the import check answers without the gate and reads no
    clip's times (every OTIO read pays for that walk): it logs nothing a user sees, and
    says so at debug level; `aigate check` and the export gate refuse such a time."""
    folder = tmp_path_factory.mktemp("cut")
    try:
        plain = write(folder / "plain" / "cut.otio", cut)
    except Exception:  # a time OTIO cannot write (NaN): nothing to read back
        return
    governed = write(folder / "show" / "cut.otio", cut)
    (folder / "show" / "aigate.yaml").write_text(
        "media:\n  required: false\n  reason: the test reads no media\n")

    def logged(path: Path) -> list[str]:
        handler = _Collect()
        log = logging.getLogger("aigate.otio")
        log.addHandler(handler)
        try:
            otio.adapters.read_from_file(str(path))
        finally:
            log.removeHandler(handler)
        return handler.lines

    if not _declares(cut):
        assert logged(plain) == []
        return
    assert logged(plain) == logged(governed)


def _declares(cut: otio.schema.Timeline) -> bool:
    """Whether the cut, a clip or any of a clip's media references holds aigate metadata."""
    return "aigate" in cut.metadata or any(
        "aigate" in c.metadata or any("aigate" in r.metadata
                                      for r in c.media_references().values())
        for c in cut.find_clips())


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.mark.parametrize("separator, shown", [(":", "01:10:00:00-01:10:04:12"),
                                              (";", "01:10:00;00-01:10:04;12")])
def test_an_otio_tool_reading_an_ntsc_edl_sees_its_own_timecodes(tmp_path, caplog,
                                                                 monkeypatch, separator,
                                                                 shown):
    # OTIO reads an EDL timecode as drop frame only with a ";": a non-drop-frame EDL read
    # at 29.97 by any OTIO tool counts every frame, and the import check's lines must name
    # its clips at the EDL's own timecodes, not at drop-frame ones minutes away
    def tc(text: str) -> str:
        return text[:8] + separator + text[9:]

    edl = tmp_path / "reel.edl"
    edl.write_text("TITLE: NTSC\n\n"
                   f"001  A001     V     C        {tc('00:00:00:00')} {tc('00:00:05:00')} "
                   f"{tc('01:00:00:00')} {tc('01:00:05:00')}\n* FROM CLIP NAME:  plate.mov\n"
                   f"002  GEN01    V     C        {tc('00:00:00:00')} {tc('00:00:04:12')} "
                   f"{tc('01:10:00:00')} {tc('01:10:04:12')}\n* FROM CLIP NAME:  gen_a.mov\n")
    (tmp_path / "aigate.yaml").write_text("patterns: ['gen_*']\n")  # a flagged clip
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.INFO, logger="aigate.otio"):
        otio.adapters.read_from_file(str(edl), rate=30000 / 1001)
    assert f'V "gen_a.mov" {shown}:' in caplog.text, caplog.text
