"""A config is trusted only as far as its origin: a delivery's own aigate.yaml cannot lower
the gate once the site says which trees are trusted, a discovered config never loads code,
--config / AIGATE_CONFIG pin the config everywhere (CLI, workers, hooks), and every report
names the config that governed each file."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import opentimelineio as otio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigate.config import locate_config
from aigate.core.gate import Gate
from aigate.core.plugins import load_plugins
from aigate.errors import InputError
from aigate.model import CheckedFile, FailedFile
from aigate.run.parallel import check_one
from aigate.run.session import Options, Session
from helpers import ROOT, VETTED_PACK, ai, clip, run_process, timeline, write

EXAMPLES = ROOT / "docs" / "examples"


def pythonpath(*folders: Path) -> str:
    """``folders`` ahead of this checkout's PYTHONPATH: the CLI started is this code."""
    return os.pathsep.join([*map(str, folders), os.environ.get("PYTHONPATH", "")])


def lenient_pack() -> str:
    """A pack that switches every rule off that a pack may (not the fail-closed floors, see
    tests/test_pack_floors.py): what a vendor would like its material judged by."""
    rules = Gate.build(load_plugins()).rules
    return "aigate_policy: 1\nname: vendor-lenient\nextends: netflix-genai\nrules:\n" + "".join(
        f"  {rule_id}: {{enabled: false}}\n" for rule_id, rule in rules.items()
        if rule.floor is None)


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Path]:
    """A show tree the studio trusts, and a delivery dropped elsewhere that carries its own
    aigate.yaml naming a lenient policy, its own approvals and a plugin."""
    show = tmp_path / "shows" / "NIGHTFALL"
    show.mkdir(parents=True)
    (show / "pack.yaml").write_text(VETTED_PACK)
    (show / "aigate.yaml").write_text("show: NIGHTFALL\npolicy: pack.yaml\n")
    vendor = tmp_path / "incoming" / "vendor"
    vendor.mkdir(parents=True)
    (vendor / "lenient.yaml").write_text(lenient_pack())
    (vendor / "aigate.yaml").write_text("policy: lenient.yaml\n")
    cut = write(vendor / "reel1.otio", timeline([clip("CAM1"), clip("SH1", 2, ai())]))
    return {"root": tmp_path, "show": show, "vendor": vendor, "cut": cut}


def test_the_attack_a_delivery_config_lowers_the_gate_when_discovery_is_unrestricted(site):
    # without a site setting, the delivery's own aigate.yaml governs its timeline...
    run = run_process("check", site["cut"], "--stage", "final", "--format", "json")
    assert run.code == 0 and run.json["subjects"][0]["policy"] == "vendor-lenient"
    # ...and the report and doctor say so: the config that governed is named
    assert run.json["subjects"][0]["config"] == str(site["vendor"] / "aigate.yaml")
    doctor = run_process("doctor", site["vendor"])
    assert "warn config: " in doctor.out and "AIGATE_TRUSTED_ROOTS not set" in doctor.out


def test_delivery_config_outside_trusted_roots_is_refused(site):
    env = {"AIGATE_TRUSTED_ROOTS": str(site["show"])}
    run = run_process("check", site["cut"], "--stage", "final", env=env)
    assert run.code == 2, run.out
    [error] = [line for line in run.out.splitlines() if line.startswith("error:")]
    assert str(site["cut"]) in error and str(site["vendor"] / "aigate.yaml") in error
    assert "config refused: it lies outside the trusted roots" in error
    # a folder of deliveries: every file is an error, none passes
    write(site["vendor"] / "reel2.otio", timeline([clip("SH2", 2, ai())]))
    folder = run_process("check", site["vendor"], "--stage", "final", "--jobs", "2", env=env)
    assert folder.code == 2 and folder.out.count("config refused") == 2
    # the show's own timelines, inside the trusted root, are checked by the show's config
    inside = write(site["show"] / "ep1.otio", timeline([clip("SH1", 2, ai())]))
    run = run_process("check", inside, "--stage", "final", "--format", "json", env=env)
    assert run.code == 1 and run.json["subjects"][0]["policy"] == "test-studio"
    assert run.json["subjects"][0]["config"] == str(site["show"] / "aigate.yaml")


def test_trusted_roots_may_list_several_folders_and_resolve_symlinks(site):
    link = site["root"] / "link-to-vendor"
    link.symlink_to(site["vendor"])
    roots = f"{site['show']}:{site['root'] / 'elsewhere'}"
    source = locate_config(link / "reel1.otio", pinned=None,
                           roots=tuple(Path(p).resolve() for p in roots.split(":")))
    assert source.origin == "untrusted"  # the link does not bring the delivery inside
    run = run_process("check", link / "reel1.otio", "--stage", "final",
                      env={"AIGATE_TRUSTED_ROOTS": roots})
    assert run.code == 2 and "config refused" in run.out


@pytest.mark.parametrize("how", ["--config", "AIGATE_CONFIG"])
def test_pinned_config_turns_discovery_off(site, how):
    pinned = site["show"] / "aigate.yaml"
    args = ["--config", pinned] if how == "--config" else []
    env = {"AIGATE_CONFIG": str(pinned)} if how == "AIGATE_CONFIG" else {}
    for jobs in ("1", "2"):
        write(site["vendor"] / "reel2.otio", timeline([clip("SH2", 2, ai())]))
        run = run_process("check", site["vendor"], "--stage", "final", "--format", "json",
                          "--jobs", jobs, *args, env=env)
        assert run.code == 1, run.err
        assert {s["policy"] for s in run.json["subjects"]} == {"test-studio"}
        assert {s["config"] for s in run.json["subjects"]} == {str(pinned)}


def test_workers_elsewhere_decide_as_the_submitting_process(site, monkeypatch):
    """What a Dask worker on another machine runs: check_one with the portable options,
    without this process's environment."""
    monkeypatch.setenv("AIGATE_TRUSTED_ROOTS", str(site["show"]))
    options = Options(stage="final").portable()
    monkeypatch.delenv("AIGATE_TRUSTED_ROOTS")
    outcome = check_one(str(site["cut"]), options)
    assert isinstance(outcome, FailedFile) and "config refused" in outcome.error.message
    monkeypatch.setenv("AIGATE_CONFIG", str(site["show"] / "aigate.yaml"))
    pinned = Options(stage="final").portable()
    monkeypatch.delenv("AIGATE_CONFIG")
    checked = check_one(str(site["cut"]), pinned)
    assert isinstance(checked, CheckedFile)
    [result] = checked.results
    assert result.policy == "test-studio" and result.config == str(site["show"] / "aigate.yaml")


def test_batch_session_and_otio_export_hook_obey_the_trusted_roots(site, monkeypatch):
    monkeypatch.delenv("AIGATE_CONFIG", raising=False)
    monkeypatch.setenv("AIGATE_TRUSTED_ROOTS", str(site["show"]))
    report = Session(Options(stage="final")).run([str(site["vendor"])])
    assert list(report.results()) == []
    assert ["config refused" in str(e) for e in report.errors] == [True]
    # the OTIO export hook: writing into the delivery folder is refused, nothing written
    out = site["vendor"] / "conform.otio"
    with pytest.raises(Exception, match="config refused"):
        otio.adapters.write_to_file(timeline([clip("SH1", 2, ai())]), str(out))
    assert not out.exists()


SHOTS = "SH010 4\nSH020 3 ai Firefly final\n"


def shot_folder(root: Path) -> Path:
    folder = root / "shotlists"
    folder.mkdir()
    (folder / "aigate.yaml").write_text("plugins: [aigate_shotlist]\n")
    (folder / "ep1.shots").write_text(SHOTS)
    write(folder / "cut.otio", timeline([clip("CAM1")]))
    return folder


def test_discovered_config_may_not_load_plugins_unless_trusted(tmp_path):
    folder = shot_folder(tmp_path)
    env = {"PYTHONPATH": pythonpath(EXAMPLES)}
    run = run_process("check", folder, "--stage", "final", env=env)
    assert run.code == 2
    assert f"{folder / 'aigate.yaml'}:1: plugins: refused" in run.out
    assert "Traceback" not in run.out + run.err
    # named directly the .shots file is an error too (no host plugin, and the config refused)
    direct = run_process("check", folder / "ep1.shots", env=env)
    assert direct.code == 2 and "plugins: refused" in direct.out


@pytest.mark.parametrize("trust", ["AIGATE_TRUSTED_ROOTS", "--config"])
def test_a_host_plugin_a_trusted_config_names_adds_its_suffixes_to_folders(tmp_path, trust):
    folder = shot_folder(tmp_path)
    env = {"PYTHONPATH": pythonpath(EXAMPLES)}
    args: list[str | Path] = []
    if trust == "--config":
        args = ["--config", folder / "aigate.yaml"]
    else:
        env["AIGATE_TRUSTED_ROOTS"] = str(tmp_path)
    run = run_process("check", folder, "--stage", "final", "--format", "json", *args, env=env)
    assert run.code == 1, run.err
    assert sorted(Path(s["path"]).name for s in run.json["subjects"]) == ["cut.otio",
                                                                          "ep1.shots"]


def test_every_report_names_the_config_of_each_file(site, tmp_path):
    other = tmp_path / "loose"
    plain = write(other / "plain.otio", timeline([clip("SH9", 2, ai())]))
    inside = write(site["show"] / "ep1.otio", timeline([clip("SH1", 2, ai())]))
    show_config = str(site["show"] / "aigate.yaml")
    schema = json.loads((ROOT / "schemas" / "report-v1.schema.json").read_text())
    run = run_process("check", inside, plain, "--format", "json")
    jsonschema.validate(run.json, schema)
    assert {Path(s["path"]).name: s["config"] for s in run.json["subjects"]} == {
        "ep1.otio": show_config, "plain.otio": None}
    text = run_process("check", inside, plain).out
    assert f"{inside}: cut [stage edit, policy test-studio, config {show_config}]" in text
    assert f"{plain}: cut [stage edit, policy netflix-genai, no aigate.yaml]" in text
    junit = ET.fromstring(run_process("check", inside, "--format", "junit").out)
    assert [p.get("value") for p in junit.iter("property") if p.get("name") == "config"] == [
        show_config]
    page = tmp_path / "report.html"
    run_process("check", inside, "--format", "html", "--output", page)
    assert f"config {show_config}" in page.read_text()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(depth=st.integers(1, 4), configs=st.sets(st.integers(0, 4)),
       trusted=st.sets(st.integers(0, 4)), use_roots=st.booleans())
def test_no_file_is_governed_by_a_config_outside_the_trusted_roots(
        tmp_path_factory, depth, configs, trusted, use_roots):
    """Whatever the layout: a timeline is checked under a config inside a trusted root, or
    under none (built-in defaults), or it is an error naming the refused config."""
    base = tmp_path_factory.mktemp("tree")
    folders = [base]
    for level in range(depth):
        folders.append(folders[-1] / f"d{level}")
    folders[-1].mkdir(parents=True)
    for level in configs:
        if level <= depth:
            (folders[level] / "aigate.yaml").write_text(f"show: LEVEL{level}\n")
    cut = write(folders[-1] / "cut.otio", timeline([clip("SH1")]))
    roots = tuple(folders[i] for i in trusted if i <= depth) if use_roots else None
    session = Session(Options(trusted_roots=roots))
    nearest = next((folders[i] for i in range(depth, -1, -1) if i in configs), None)
    try:
        [result] = session.check_file(cut)
    except InputError as exc:
        assert roots is not None and nearest is not None
        assert f"{nearest / 'aigate.yaml'}: config refused" in str(exc)
        assert not any(nearest.is_relative_to(r) for r in roots)
        return
    if nearest is None:
        assert result.config is None
    else:
        assert result.config == str(nearest / "aigate.yaml")
        assert roots is None or any(nearest.is_relative_to(r) for r in roots)
