"""The command line's rough edges: config paths, --debug anywhere, help, exit codes,
approvals housekeeping, doctor's advice."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigate.cli import build_parser
from aigate.cli.app import _COMMANDS
from aigate.model import Tool
from aigate.run.exitcodes import ExitCode
from helpers import SAMPLES, run_process


def _sample_show(tmp_path: Path) -> Path:
    show = tmp_path / "show"
    shutil.copytree(SAMPLES, show, ignore=shutil.ignore_patterns("deliverables", "*.py"))
    return show


@pytest.mark.parametrize("how", ["--config", "AIGATE_CONFIG"])
def test_relative_config_reads_its_policy_relative_to_itself_once(tmp_path, how):
    _sample_show(tmp_path)
    config = Path("show") / "aigate.yaml"  # relative to the working folder, as a user types
    args = ("check", "--format", "json", "show/ep101_cut_v12.otio")
    run = (run_process(*args[:1], "--config", config, *args[1:], cwd=tmp_path)
           if how == "--config" else
           run_process(*args, env={"AIGATE_CONFIG": str(config)}, cwd=tmp_path))
    assert "show/show" not in run.err
    assert run.code == ExitCode.GATE, run.err  # the sample cut has locks under its policy
    assert run.json["subjects"][0]["policy"] == "nightfall"


def test_debug_after_the_subcommand_shows_the_traceback(tmp_path):
    missing = tmp_path / "nope.yaml"
    before = run_process("--debug", "check", "--config", missing, SAMPLES / "ep101_cut_v12.otio")
    after = run_process("check", "--debug", "--config", missing,
                        SAMPLES / "ep101_cut_v12.otio")
    plain = run_process("check", "--config", missing, SAMPLES / "ep101_cut_v12.otio")
    assert plain.code == ExitCode.USAGE and "Traceback" not in plain.err
    for run in (before, after):
        assert "Traceback" in run.err and "config file not found" in run.err


def _subcommands(parser):
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                yield name, sub
                yield from ((f"{name} {n}", s) for n, s in _subcommands(sub))


def test_every_subcommand_has_a_description_an_example_and_help_per_argument():
    found = dict(_subcommands(build_parser()))
    assert {"check", "annotate", "render", "register", "doctor", "approvals", "rules",
            "explain", "plugins", "approvals keygen", "approvals verify"} <= set(found)
    for name, sub in found.items():
        assert sub.description, name
        assert sub.epilog and f"aigate {name}" in sub.epilog, name
        for action in sub._actions:
            if action.dest not in ("help", "approvals_command"):
                assert action.help, f"{name}: {action.dest} has no help"
    assert "example:" in run_process("explain", "--help").out


def test_explain_suggests_the_closest_rule_for_a_typo(cli):
    run = cli("explain", "talent-consnt")
    assert run.code == ExitCode.USAGE
    assert "unknown rule 'talent-consnt' (did you mean 'talent-consent'?" in run.err
    assert cli("explain", "talent-consent").code == ExitCode.OK


def test_exit_codes_are_the_documented_enum():
    assert [(c.name, int(c)) for c in ExitCode] == [
        ("OK", 0), ("GATE", 1), ("USAGE", 2), ("INTERRUPTED", 130), ("TERMINATED", 143)]
    assert ExitCode.INPUT is ExitCode.USAGE
    reference = (Path(__file__).parent.parent / "docs" / "cli.md").read_text()
    for code in ExitCode:
        assert f"| {int(code)} | `{code.name}`" in reference


def test_doctor_says_which_config_it_read(tmp_path):
    show = _sample_show(tmp_path)
    run = run_process("doctor", show / "ep101_cut_v12.otio")
    assert f"config: {show / 'aigate.yaml'} (found by walking up" in run.out
    none = run_process("doctor", cwd=tmp_path)
    assert "config: none: built-in defaults" in none.out


def test_doctor_with_otio_entry_points_disabled_names_the_variable_not_a_reinstall(tmp_path):
    run = run_process("doctor", env={"OTIO_DISABLE_ENTRYPOINTS_PLUGINS": "1"}, cwd=tmp_path)
    assert run.code == ExitCode.GATE
    hooks = [line for line in run.out.splitlines() if line.startswith("FAIL hook ")]
    assert hooks and all("unset OTIO_DISABLE_ENTRYPOINTS_PLUGINS" in h for h in hooks)
    assert "reinstall" not in run.out
    assert "the gate would fail open here" in run.out


def test_approvals_verify_says_each_problem_once(tmp_path):
    show = _sample_show(tmp_path)
    record = show / "approvals" / "APR-NF101-007.yaml"
    record.write_text(record.read_text().replace("notes: incidental", "notes: edited"))
    run = run_process("approvals", "verify", show / "approvals")
    assert run.code == ExitCode.GATE
    said = (run.out + run.err).count("changed after signing")
    assert said == 1, run.out + run.err
    assert "APR-NF101-007: NOT HONOURED: signature does not match" in run.out


def test_approvals_keygen_writes_the_identity_and_prints_the_trusted_keys_line(tmp_path, cli):
    run = cli("approvals", "keygen", "dana-ruiz", "--out", tmp_path,
              "--approver", "Dana Ruiz", "--role", "Production Legal")
    assert run.code == ExitCode.OK
    key = (tmp_path / "dana-ruiz.pub").read_text().strip()
    identity = (tmp_path / "dana-ruiz.identity.yaml").read_text()
    assert 'approver: "Dana Ruiz"' in identity and 'role: "Production Legal"' in identity
    assert f"key: {key}" in identity and "fingerprint: ed25519:" in identity
    line = f'    - {{approver: "Dana Ruiz", key: {key}}}'
    assert line in run.out.splitlines()
    # the printed line, pasted, is a config the gate accepts: a record signed with the key
    # is honoured
    (tmp_path / "aigate.yaml").write_text("trusted_keys:\n" + line + "\n")
    record = tmp_path / "APR-9.yaml"
    record.write_text("id: APR-9\nkind: approval\ngrants: [final-deliverable-use]\n"
                      "scope: {clips: [SH1], show: S1}\napprover: {name: Dana Ruiz, role: Legal}\n"
                      "issued: 2026-01-01\n")
    assert cli("approvals", "sign", record, "--key", tmp_path / "dana-ruiz.key").code == 0
    verified = cli("approvals", "verify", record, "--config", tmp_path / "aigate.yaml")
    assert verified.code == ExitCode.OK and "APR-9: ok" in verified.out
    again = cli("approvals", "keygen", "dana-ruiz", "--out", tmp_path, "--approver", "Dana")
    assert again.code == ExitCode.USAGE and "already exists" in again.err


def test_tool_display_does_not_repeat_the_vendor():
    assert str(Tool("Runway Gen-4", "4.0", "Runway")) == "Runway Gen-4 4.0"
    assert str(Tool("Gen-4", None, "Runway")) == "Runway Gen-4"
    assert str(Tool("Runwayish", None, "Runway")) == "Runway Runwayish"
    assert str(Tool(None, None, None)) == "(unnamed tool)"



def test_rules_and_explain_read_the_config_check_would_use_here(tmp_path):
    show = _sample_show(tmp_path)
    rules = run_process("rules", cwd=show)
    assert rules.out.startswith(f"policy nightfall ({show / 'policy' / 'nightfall.yaml'})")
    explain = run_process("explain", "final-deliverable-use", cwd=show)
    assert "(policy nightfall)" in explain.out


def test_approvals_unused_exits_0_when_every_record_waived_something(tmp_path):
    show = _sample_show(tmp_path)
    run = run_process("approvals", "unused", show / "approvals", "--against",
                      show / "ep101_cut_v12.otio", cwd=show)
    assert "0 of 1 record(s) waived nothing in 1 timeline(s)" in run.err, run.err
    assert run.code == ExitCode.OK and run.out == ""


#: words before and after a command that end in help or an argument error, never a run
BEFORE = st.lists(st.sampled_from(["--debug", "-h", "--help", "--he", "--deb", "--bogus",
                                   "--version"]), max_size=3)
AFTER = st.lists(st.sampled_from(["--debug", "x.otio", "check", "-h", "--bogus"]),
                 max_size=3).map(lambda words: [*words, "--bogus"])


@settings(max_examples=60, deadline=None, database=None)
@given(BEFORE, st.sampled_from([*_COMMANDS, "chek", "--"]), AFTER)
def test_a_run_building_its_own_subcommand_says_what_the_whole_parser_says(before, command,
                                                                         after):
    """A run builds only its own subcommand's parser: help, errors and exit codes are
    exactly those of the parser with all twelve (``aigate -h check`` lists every one)."""
    import contextlib
    import io

    from aigate.cli import app

    def said(argv: list[str]) -> tuple[Any, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code: Any = app.main(argv)
            except SystemExit as exc:
                code = exc.code
        return code, out.getvalue(), err.getvalue()

    argv = [*before, command, *after]
    if command == "--":  # after --, words are the command's files: keep to help here
        argv = [*before, "--", "-h"]
    own = said(argv)
    app.build_parser = lambda command=None: build_parser()  # type: ignore[assignment]
    try:
        whole = said(argv)
    finally:
        app.build_parser = build_parser
    assert own == whole
