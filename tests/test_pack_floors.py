"""A policy pack cannot make the gate fail open where it could not look: the rules that say
the gate could not read or verify something (media-missing, media-required,
manifest-unverifiable, manifest-invalid, provenance-malformed) are fail-closed floors. A
studio pack that leaves them out gets them at aigate's severities (and every report says
the severity is aigate's); a pack that switches one off, sets it lower at any stage, dates
it or lets an approval waive it is refused with one line naming the file, the line, the
key and what to do instead. Each test writes a real pack file and real timelines (media
gone, bytes nobody identifies, malformed metadata) and runs the real CLI or OTIO's writer.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import opentimelineio as otio
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from aigate.core.gate import Gate, GateLocked
from aigate.core.plugins import load_plugins
from aigate.core.policy import Policy, RuleSetting
from aigate.errors import InputError
from aigate.model import STAGES, Severity
from helpers import ai, clip, run_process, timeline, write

#: a studio's own pack, written from scratch: no `extends`, none of the floor rules
OWN_PACK = """\
aigate_policy: 1
name: studio-own
rules:
  final-deliverable-use:
    severity: {import: warn, edit: warn, review: warn, final: lock}
"""

FLOORS = {
    "media-missing": ("info", "info", "warn", "lock"),
    "media-required": ("warn", "warn", "lock", "lock"),
    "manifest-unverifiable": ("warn", "warn", "lock", "lock"),
    "manifest-invalid": ("warn", "warn", "lock", "lock"),
    "provenance-malformed": ("warn", "warn", "lock", "lock"),
}
NO_MEDIA_ACCESS = "media: {required: false, reason: ...}"


def show(root: Path, pack: str = OWN_PACK, config: str = "") -> Path:
    """A show folder whose aigate.yaml names ``pack``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pack.yaml").write_text(pack)
    (root / "aigate.yaml").write_text(f"show: S\npolicy: pack.yaml\n{config}")
    return root


def gone_media_cut(root: Path) -> Path:
    """A cut whose one clip's media is not there (no AI declared anywhere)."""
    return write(root / "cut.otio", timeline([clip("GEN", 2, url="media/gone_gen.mov")]))


def verdict_line(out: str) -> str:
    return next(line for line in out.splitlines() if "[stage " in line)


# --- the attack: a pack that never mentions the floors -------------------------------------

def test_a_pack_without_media_missing_still_locks_unread_media_at_final(tmp_path):
    root = show(tmp_path / "show")
    cut = gone_media_cut(root)
    run = run_process("check", cut, "--stage", "final")
    assert run.code == 1, run.out + run.err
    assert verdict_line(run.out).endswith("LOCK") and "policy studio-own" in run.out
    # the severity is said to be aigate's, not the pack's
    assert ("lock media-missing: media cannot be checked: not found" in run.out
            and "(severity: aigate's fail-closed floor; policy studio-own does not set "
                "media-missing)" in run.out), run.out
    # and below final it is what the built-in packs say: a note, then a warning
    for stage, code, severity in (("import", 0, "info"), ("edit", 0, "info"),
                                  ("review", 0, "warn"), ("final", 1, "lock")):
        run = run_process("check", cut, "--stage", stage, "--format", "json")
        assert (run.code, run.findings("GEN")) == (code, {"media-missing": severity})


def test_the_documented_way_out_still_works_and_is_reported(tmp_path):
    root = show(tmp_path / "show", config="media: {required: false, reason: 'vendor cut, "
                                          "no media access'}\n")
    cut = gone_media_cut(root)
    run = run_process("check", cut, "--stage", "final")
    assert run.code == 0 and verdict_line(run.out).endswith("PASS")
    assert "media not required: vendor cut, no media access" in run.out


def test_require_media_with_a_pack_without_media_required_locks(tmp_path):
    root = show(tmp_path / "show")
    cut = gone_media_cut(root)
    for stage, code, severity in (("edit", 0, "warn"), ("review", 1, "lock"),
                                  ("final", 1, "lock")):
        run = run_process("check", cut, "--stage", stage, "--require-media", "--format",
                          "json")
        assert (run.code, run.findings("GEN")) == (code, {"media-required": severity})


def test_unidentified_bytes_and_malformed_metadata_lock_under_a_pack_without_the_rules(
        tmp_path):
    root = show(tmp_path / "show")
    (root / "media").mkdir()
    # bytes that match no container the gate identifies: what they hold cannot be read
    (root / "media" / "odd.mov").write_bytes(bytes(range(7, 251)) * 40)
    cut = write(root / "cut.otio", timeline([
        clip("ODD", 2, url="media/odd.mov"),
        clip("BAD", 2, {"v": 1, "generated": "maybe", "purpose": 3})]))
    run = run_process("check", cut, "--stage", "final", "--format", "json")
    assert run.code == 1
    assert run.findings("ODD") == {"manifest-unverifiable": "lock"}
    assert run.findings("BAD") == {"provenance-malformed": "lock"}
    text = run_process("check", cut, "--stage", "final").out
    assert verdict_line(text).endswith("LOCK")
    assert "policy studio-own does not set manifest-unverifiable" in text
    assert "policy studio-own does not set provenance-malformed" in text


def test_the_otio_export_hook_refuses_under_a_pack_without_media_missing(tmp_path):
    root = show(tmp_path / "show")
    cut = gone_media_cut(root)
    out = root / "deliverables" / "cut.otio"
    read = otio.adapters.read_from_file(str(cut))
    with pytest.raises(GateLocked, match="media-missing"):
        otio.adapters.write_to_file(read, str(out))
    assert not out.exists()
    # a pack lowering the floor: the export is refused naming the pack, nothing is written
    (root / "pack.yaml").write_text(OWN_PACK + "  media-missing: {severity: {final: warn}}\n")
    with pytest.raises(InputError, match=r"pack\.yaml:6: rules\.media-missing\.severity\.final: "
                                         "warn is below the floor lock"):
        otio.adapters.write_to_file(read, str(out))
    assert not out.exists()


def test_rules_and_explain_say_where_a_floor_came_from(tmp_path):
    root = show(tmp_path / "show")
    rules = run_process("rules", cwd=root)
    assert rules.code == 0
    rows = {line.split()[0]: line for line in rules.out.splitlines()[2:] if line.strip()}
    for rule, levels in FLOORS.items():
        assert rows[rule].split()[1:5] == list(levels), rows[rule]
        assert rows[rule].endswith("[floor, not in this pack]"), rows[rule]
    assert "[floor" not in rows["final-deliverable-use"]
    explain = run_process("explain", "media-missing", cwd=root)
    assert "(aigate's fail-closed floor: policy studio-own does not set it)" in explain.out
    assert NO_MEDIA_ACCESS in explain.out
    # the built-in pack sets them itself
    builtin = run_process("rules", "--policy", "netflix-genai", cwd=root).out
    assert all(line.endswith("[floor]") for line in builtin.splitlines()
               if line.split()[:1] and line.split()[0] in FLOORS)


# --- a pack that weakens a floor is refused -------------------------------------------------

WEAKENINGS = {
    "off": ("{enabled: false}", "enabled", "false switches it off"),
    "one word": ("{severity: warn}", "severity", "warn is below the floor lock at final"),
    "final lower": ("\n    severity: {final: warn}", "severity.final",
                    "warn is below the floor lock"),
    "review lower": ("\n    severity: {review: info}", "severity.review",
                     "info is below the floor"),
    "pass": ("{severity: pass}", "severity", "pass is below the floor"),
    "waivable": ("{waivable: true}", "waivable", "true would let an approval waive it"),
    "until": ("{until: 2020-01-01}", "until", "a date would leave it out of force"),
    "effective": ("{effective: 2999-01-01}", "effective", "a date would leave it out of force"),
}


@pytest.mark.parametrize("extends", ["", "extends: netflix-genai\n"],
                         ids=["own pack", "extending"])
@pytest.mark.parametrize("how", list(WEAKENINGS))
@pytest.mark.parametrize("rule", list(FLOORS))
def test_a_pack_weakening_a_floor_is_refused_naming_file_line_and_key(tmp_path, cli, rule,
                                                                       how, extends):
    entry, key, said = WEAKENINGS[how]
    pack = f"aigate_policy: 1\nname: weak\n{extends}rules:\n  {rule}: {entry}\n"
    root = show(tmp_path / "show", pack)
    cut = gone_media_cut(root)
    run = cli("check", cut, "--stage", "final")
    assert run.code == 2, run.out + run.err
    assert "PASS" not in run.out and "Traceback" not in run.err
    # the pack governs through aigate.yaml: the file checked fails with one line
    [line] = [x for x in (run.out + run.err).splitlines() if x.startswith("error:")]
    assert line.startswith(f"error: {cut}: ")
    lines = pack.splitlines()  # the line the offending key is written on
    start = lines.index(next(x for x in lines if x.startswith(f"  {rule}:")))
    number = 1 + next(i for i in range(start, len(lines))
                      if f"{key.split('.')[-1]}:" in lines[i])
    assert f"{root / 'pack.yaml'}:{number}: rules.{rule}.{key}: {said}" in line, line
    assert f"{rule} is a fail-closed floor" in line and "never lower" in line
    if rule == "media-missing":
        assert NO_MEDIA_ACCESS in line


def test_a_show_override_cannot_weaken_a_floor_either(tmp_path, cli):
    pack = ("aigate_policy: 1\nextends: netflix-genai\nshows:\n  S:\n    rules:\n"
            "      media-missing: {severity: {final: info}}\n")
    root = show(tmp_path / "show", pack)
    run = cli("check", gone_media_cut(root), "--stage", "final")
    assert run.code == 2
    assert (f"{root / 'pack.yaml'}:6: shows.S.rules.media-missing.severity.final: info is "
            "below the floor lock") in run.out


def test_a_parent_pack_weakening_a_floor_is_named_not_the_child(tmp_path, cli):
    root = tmp_path / "show"
    root.mkdir()
    (root / "base.yaml").write_text("aigate_policy: 1\nrules:\n  media-missing: "
                                    "{enabled: false}\n")
    root = show(root, "aigate_policy: 1\nname: child\nextends: base.yaml\n")
    run = cli("check", gone_media_cut(root), "--stage", "final")
    assert run.code == 2
    assert f"{root / 'base.yaml'}:3: rules.media-missing.enabled: false" in run.out


def test_a_pack_may_raise_a_floor(tmp_path, cli):
    pack = OWN_PACK + "  media-missing: {severity: {review: lock}}\n"
    cut = gone_media_cut(show(tmp_path / "show", pack))
    run = cli("check", cut, "--stage", "review", "--format", "json")
    assert (run.code, run.findings("GEN")) == (1, {"media-missing": "lock"})
    # stages the pack did not write keep the floor, and the finding is the pack's own
    run = cli("check", cut, "--stage", "edit")
    assert run.code == 0 and "info media-missing" in run.out
    assert "fail-closed floor" not in run.out


def test_media_missing_off_is_refused_naming_the_key(tmp_path, cli):
    """`off` is YAML for false: not a mapping, refused like any other weakening."""
    cut = gone_media_cut(show(tmp_path / "show", OWN_PACK + "  media-missing: off\n"))
    run = cli("check", cut, "--stage", "final")
    assert run.code == 2
    assert f"{tmp_path / 'show' / 'pack.yaml'}:6: rules.media-missing: expected a mapping" \
        in run.out


def test_a_policy_built_in_code_is_held_to_the_floors(tmp_path):
    """A host handing the gate a Policy it made itself (no pack file) cannot lower a floor
    or leave it out: the gate applies the floor."""
    root = show(tmp_path / "show")
    cut = gone_media_cut(root)
    gate = Gate.build(load_plugins(), policy=str(root / "pack.yaml"))
    lowered = {"media-missing": RuleSetting(severity=dict.fromkeys(STAGES, Severity.PASS),
                                            waivable=True, enabled=False,
                                            until=dt.date(2000, 1, 1))}
    for rules in ({}, lowered):
        gate.policy = Policy(name="in-code", origin="", rules=rules)
        [result] = gate.check(otio.adapters.read_from_file(str(cut)), stage="final",
                              path=cut)
        assert result.verdict is Severity.LOCK
        [finding] = result.items[0].findings
        assert finding.rule == "media-missing"


# --- the class: any pack, any subset of rules -----------------------------------------------

SEVERITIES = ("pass", "info", "warn", "lock")


@st.composite
def packs(draw: st.DrawFn) -> str:
    """A pack from a random subset of the rules, each with random settings."""
    rules = sorted(Gate.build(load_plugins()).rules)
    chosen = draw(st.lists(st.sampled_from(rules), unique=True, max_size=8))
    lines = ["aigate_policy: 1", "name: drawn"]
    if draw(st.booleans()):
        lines.append("extends: netflix-genai")
    lines.append("rules:" if chosen else "rules: {}")
    for rule in chosen:
        parts = []
        if draw(st.booleans()):
            parts.append("severity: {" + ", ".join(
                f"{s}: {draw(st.sampled_from(SEVERITIES))}" for s in STAGES) + "}")
        for key in ("enabled", "waivable"):
            if draw(st.booleans()):
                parts.append(f"{key}: {str(draw(st.booleans())).lower()}")
        lines.append(f"  {rule}: {{{', '.join(parts)}}}")
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pack=packs())
def test_any_pack_either_is_refused_or_locks_unread_media_and_bad_metadata_at_final(pack):
    import tempfile

    plugins = load_plugins()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pack.yaml").write_text(pack)
        cut = write(root / "cut.otio", timeline([
            clip("GONE", 2, url="media/gone.mov"),
            clip("BAD", 2, {"v": 1, "generated": "maybe"}),
            clip("FINE", 2, ai())]))
        try:
            gate = Gate.build(plugins, policy=str(root / "pack.yaml"))
        except InputError as exc:
            # refused: one line naming the pack file, a line and a floor rule
            message = str(exc)
            event("refused")
            assert "\n" not in message and message.startswith(f"{root / 'pack.yaml'}:")
            assert re.search(r"\b(" + "|".join(FLOORS) + r") is a fail-closed floor", message) \
                or "no severity for stage" in message, message
            return
        event("loaded")
        [result] = gate.check(otio.adapters.read_from_file(str(cut)), stage="final",
                              path=cut)
        by_clip = {r.item.clip: r for r in result.items}
        assert by_clip["GONE"].verdict is Severity.LOCK
        assert by_clip["BAD"].verdict is Severity.LOCK
        locks = {f.rule for f in by_clip["GONE"].findings if f.severity is Severity.LOCK}
        assert "media-missing" in locks
        assert "provenance-malformed" in {f.rule for f in by_clip["BAD"].findings
                                          if f.severity is Severity.LOCK}
