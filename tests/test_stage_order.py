"""The stage order (docs/policy.md, "Stages"): every row of the table, once through
:func:`aigate.core.stage.resolve` and once through the real entry points (the CLI for a check;
``Gate.guard_export`` and OTIO's write hook for an export), and hypothesis properties over
every combination of argument, AIGATE_STAGE, timeline metadata and path rule."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aigate import GateLocked
from aigate.core.stage import (
    PathStage,
    Purpose,
    Request,
    StageRefused,
    rank,
    resolve,
    validate,
)
from aigate.errors import UsageError
from aigate.model import STAGES
from aigate.run.session import Session
from helpers import ai, clip, sourced, timeline, write

CHECK, EXPORT = Purpose.CHECK, Purpose.EXPORT
DEAGE = ai(purpose="temp", talent=[{"name": "Ray Holt", "use": "likeness"}])
REFUSED = "refused"


@dataclass(frozen=True)
class Row:
    """One row of the documented table: what is given, and the stage (or a refusal)."""

    row: int
    purpose: Purpose
    expected: str
    argument: str | None = None
    env: str | None = None
    metadata: str | None = None
    rule: str | None = None  # what the config's path rule gives the file / the output

    def __str__(self) -> str:
        given = [f"{k}={v}" for k, v in (("arg", self.argument), ("env", self.env),
                                          ("meta", self.metadata), ("rule", self.rule)) if v]
        return f"row{self.row}-{self.purpose.value}-{'-'.join(given) or 'nothing'}"


ROWS = [
    # check: the caller's stage is the operator's question, even below the path rule
    Row(1, CHECK, "edit", argument="edit", env="review", metadata="final", rule="final"),
    Row(1, CHECK, "final", argument="final"),
    Row(2, CHECK, "review", env="review", metadata="final", rule="final"),
    # check, nobody asks: metadata may raise the path rule's stage, never lower it
    Row(3, CHECK, "final", metadata="edit", rule="final"),
    Row(3, CHECK, "final", metadata="final"),
    Row(3, CHECK, "review", metadata="import", rule="review"),
    Row(3, CHECK, "final", rule="final"),
    Row(3, CHECK, "edit", metadata="import"),  # no rule: not below the default either
    Row(4, CHECK, "edit"),
    # export: nothing lowers the stage below the output path's rule; asking is refused
    Row(5, EXPORT, REFUSED, argument="edit", rule="final"),
    Row(5, EXPORT, REFUSED, argument="review", env="final", metadata="final", rule="final"),
    Row(6, EXPORT, REFUSED, env="import", rule="final"),
    Row(7, EXPORT, "final", argument="final"),
    Row(7, EXPORT, "final", argument="review", metadata="final", rule="review"),
    Row(7, EXPORT, "review", argument="review", env="edit", rule="review"),
    Row(7, EXPORT, "final", env="final", metadata="edit", rule="final"),
    Row(7, EXPORT, "import", argument="import"),  # no rule: the caller's stage stands
    Row(8, EXPORT, "final", metadata="edit", rule="final"),
    Row(8, EXPORT, "final", metadata="final"),
    Row(8, EXPORT, "final", rule="final"),
    Row(8, EXPORT, "edit", metadata="import"),
    Row(9, EXPORT, "edit"),
]


def path_stage(stage: str | None) -> PathStage | None:
    return PathStage(stage, "**/rule/**", "/show/rule/cut.edl", "aigate.yaml") if stage else None


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_every_row_of_the_table(row: Row):
    request = Request(row.argument, "the argument", None if row.argument else row.env)
    if row.expected == REFUSED:
        with pytest.raises(StageRefused) as caught:
            resolve(row.purpose, request, row.metadata, path_stage(row.rule))
        asker = "the argument" if row.argument else "AIGATE_STAGE"
        assert f"{asker} asks for stage {row.argument or row.env}, but the output path is " \
               f"at stage {row.rule} (path rule '**/rule/**' in aigate.yaml)" in str(caught.value)
        assert caught.value.required == row.rule
    else:
        resolved = resolve(row.purpose, request, row.metadata, path_stage(row.rule))
        assert resolved.stage == row.expected


def table_rows_in_docs() -> set[int]:
    page = (Path(__file__).resolve().parent.parent / "docs" / "policy.md").read_text()
    section = page.split("\n## Stages\n", 1)[1].split("\n## ", 1)[0]
    return {int(line.split("|")[1]) for line in section.splitlines()
            if line.startswith("| ") and line.split("|")[1].strip().isdigit()}


def test_the_documented_table_is_the_one_tested():
    assert table_rows_in_docs() == {r.row for r in ROWS}


# -- the same rows through the real entry points ----------------------------------------

E2E = [r for r in ROWS if r.rule in (None, "final")]  # the built-in path rules: deliverables/


def place(folder: Path, row: Row, name: str) -> Path:
    return folder / "deliverables" / name if row.rule == "final" else folder / name


@pytest.mark.parametrize("row", [r for r in E2E if r.purpose is CHECK], ids=str)
def test_every_check_row_through_the_cli(row: Row, cli, tmp_path, monkeypatch):
    path = write(place(tmp_path, row, "cut.otio"),
                 timeline([clip("SH1")], metadata={"stage": row.metadata} if row.metadata
                          else None))
    if row.env:
        monkeypatch.setenv("AIGATE_STAGE", row.env)
    args = ("--stage", row.argument) if row.argument else ()
    run = cli("check", path, "--format", "json", *args)
    assert run.code == 0, run.out
    assert run.json["subjects"][0]["stage"] == row.expected


@pytest.mark.parametrize("row", [r for r in E2E if r.purpose is EXPORT], ids=str)
def test_every_export_row_through_guard_export_and_the_otio_hook(row: Row, tmp_path,
                                                                  monkeypatch):
    monkeypatch.delenv("AIGATE_STAGE", raising=False)
    monkeypatch.delenv("AIGATE_CONFIG", raising=False)
    if row.env:
        monkeypatch.setenv("AIGATE_STAGE", row.env)
    metadata = {"stage": row.metadata} if row.metadata else None
    clean = timeline([clip("CAM1")], metadata=metadata)
    locked = timeline([clip("SH1", 2, DEAGE)], metadata=metadata)
    out = place(tmp_path, row, "cut.edl")
    out.parent.mkdir(exist_ok=True)
    gate = Session().gate(out)
    hook_args = {"aigate_stage": row.argument} if row.argument else {}
    hook_args |= sourced(clean, tmp_path) | sourced(locked, tmp_path)
    origin = tmp_path / "source.otio"
    if row.expected == REFUSED:
        with pytest.raises(StageRefused, match="asks for stage"):
            gate.guard_export(clean, stage=row.argument, output=out, origin=origin)
        with pytest.raises(StageRefused, match="asks for stage"):
            otio.adapters.write_to_file(clean, str(out), hook_function_argument_map=hook_args)
        assert not out.exists()
        return
    [result] = gate.guard_export(clean, stage=row.argument, output=out, origin=origin)
    assert result.stage == row.expected
    if row.expected == "final":  # the locked cut is refused at final, written below it
        with pytest.raises(GateLocked):
            otio.adapters.write_to_file(locked, str(out), hook_function_argument_map=hook_args)
        assert not out.exists()
    else:
        otio.adapters.write_to_file(locked, str(out), hook_function_argument_map=hook_args)
        assert out.exists()


def test_a_config_path_rule_is_a_floor_for_exports_and_named_in_the_refusal(tmp_path,
                                                                          monkeypatch):
    monkeypatch.delenv("AIGATE_STAGE", raising=False)
    (tmp_path / "aigate.yaml").write_text("stages:\n  - {match: '**/online/**', stage: review}\n")
    out = tmp_path / "online" / "cut.otio"
    out.parent.mkdir()
    gate = Session().gate(out)
    with pytest.raises(StageRefused) as caught:
        gate.guard_export(timeline([clip("CAM1")]), stage="edit", output=out,
                          stage_source="the render settings")
    assert str(caught.value) == (
        f"aigate: export to {out} refused: the render settings asks for stage edit, but the "
        f"output path is at stage review (path rule '**/online/**' in "
        f"{tmp_path / 'aigate.yaml'}); an export is checked at its output's stage or higher: "
        "ask for review or leave the stage out")
    [result] = gate.guard_export(timeline([clip("CAM1")]), output=out)
    assert result.stage == "review"


def test_unknown_stage_in_metadata_refuses_an_export_but_not_a_check_with_a_stage(
        tmp_path, cli, monkeypatch):
    monkeypatch.delenv("AIGATE_STAGE", raising=False)
    declared = timeline([clip("CAM1")], metadata={"stage": "lockd"})
    with pytest.raises(UsageError, match=r"timeline metadata aigate\.stage: unknown stage "
                                         r"'lockd'"):
        otio.adapters.write_to_file(declared, str(tmp_path / "cut.otio"),
                                    hook_function_argument_map={"aigate_stage": "final"})
    assert not (tmp_path / "cut.otio").exists()
    path = write(tmp_path / "in.otio", declared)
    assert cli("check", path, "--stage", "review").code == 0  # the operator's question
    assert cli("check", path).code == 2


def test_bad_aigate_stage_is_an_error_naming_it(monkeypatch):
    monkeypatch.setenv("AIGATE_STAGE", "finale")
    with pytest.raises(UsageError, match="AIGATE_STAGE: unknown stage 'finale'"):
        Request.read(None)
    assert Request.read("final").asked.stage == "final"  # an argument makes it irrelevant


# -- properties -------------------------------------------------------------------------

stage = st.sampled_from(STAGES)
maybe = st.none() | stage


def request_of(argument: str | None, env: str | None) -> Request:
    return Request(argument, "the argument", None if argument else env)


def asked_of(argument: str | None, env: str | None) -> str | None:
    return argument or env


@given(argument=maybe, env=maybe, metadata=maybe, rule=maybe)
def test_an_export_is_never_below_its_path_rule_metadata_or_request(argument, env, metadata,
                                                                     rule):
    asked = asked_of(argument, env)
    lowering = asked is not None and rule is not None and rank(asked) < rank(rule)
    try:
        resolved = resolve(EXPORT, request_of(argument, env), metadata, path_stage(rule))
    except StageRefused as refused:
        assert lowering and refused.required == rule
        return
    assert not lowering  # a request below the output's rule is always refused
    for floor in (asked, metadata, rule):
        if floor:
            assert rank(resolved.stage) >= rank(floor)
    base = rule or (None if asked else "edit")
    assert resolved.stage == max((s for s in (asked, base, metadata) if s), key=rank)


@given(argument=maybe, env=maybe, metadata=maybe, rule=maybe)
def test_a_check_answers_the_question_asked_else_never_below_the_path_rule(argument, env,
                                                                          metadata, rule):
    resolved = resolve(CHECK, request_of(argument, env), metadata, path_stage(rule))
    asked = asked_of(argument, env)
    if asked:
        assert resolved.stage == asked
    else:
        assert resolved.stage == max((s for s in (metadata, rule or "edit") if s), key=rank)
        assert rank(resolved.stage) >= rank(rule or "edit")


@given(purpose=st.sampled_from(Purpose), argument=maybe, env=maybe, metadata=stage, rule=maybe)
def test_metadata_never_lowers_the_stage(purpose, argument, env, metadata, rule):
    request = request_of(argument, env)
    try:
        without = resolve(purpose, request, None, path_stage(rule))
    except StageRefused:  # a refusal never depends on what the timeline says
        with pytest.raises(StageRefused):
            resolve(purpose, request, metadata, path_stage(rule))
        return
    with_metadata = resolve(purpose, request, metadata, path_stage(rule))
    assert rank(with_metadata.stage) >= rank(without.stage)


@given(argument=maybe, env=maybe, metadata=maybe, rule=maybe)
def test_an_export_is_checked_at_least_as_strictly_as_a_check(argument, env, metadata, rule):
    request = request_of(argument, env)
    try:
        exported = resolve(EXPORT, request, metadata, path_stage(rule))
    except StageRefused:
        return
    checked = resolve(CHECK, request, metadata, path_stage(rule))
    assert rank(exported.stage) >= rank(checked.stage)


@given(argument=stage, env=stage, metadata=maybe, rule=maybe)
def test_an_argument_makes_aigate_stage_irrelevant(argument, env, metadata, rule):
    for purpose in Purpose:
        outcomes = []
        for request in (Request(argument, "a", env), Request(argument, "a", None)):
            try:
                outcomes.append(resolve(purpose, request, metadata, path_stage(rule)))
            except StageRefused as refused:
                outcomes.append(refused.required)
        assert outcomes[0] == outcomes[1]


@given(text=st.text(max_size=12).filter(lambda t: t.strip().lower() not in STAGES))
def test_any_other_stage_text_is_an_error_naming_its_source(text):
    with pytest.raises(UsageError, match=r"^the source: unknown stage"):
        validate(text, "the source")
    with pytest.raises(UsageError, match=r"^cut\.otio: timeline metadata"):
        resolve(EXPORT, Request(), text or "x y", None, "cut.otio: timeline metadata")
