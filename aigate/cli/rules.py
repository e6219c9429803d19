"""``aigate rules`` and ``aigate explain``: what the policy checks."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from aigate.cli.common import (
    _date,
    _session,
    _subcommand,
)
from aigate.model import STAGES
from aigate.run.exitcodes import ExitCode


def _add_rules(sub: Any) -> None:
    rules = _subcommand(
        sub, "rules", "list rule ids and titles",
        "Every rule the plugins contribute, with its severity at each stage in the policy.",
        "aigate rules --policy netflix-genai")
    rules.add_argument("--policy", help="show severities from this pack or policy file")
    rules.add_argument("--config", type=Path, help="aigate.yaml whose policy to show "
                       "(default: AIGATE_CONFIG, else the nearest one above this folder)")
    rules.add_argument("--as-of", type=_date, metavar="DATE",
                       help="which rules applied on this date (default: today)")
    rules.set_defaults(run=cmd_rules)


def cmd_rules(args: argparse.Namespace) -> int:
    gate = _session(args).gate(Path.cwd())  # the config check would use here
    width = max(len(r) for r in gate.rules)
    print(f"policy {gate.policy.name} ({gate.policy.origin}), as of {gate.as_of}")
    print(f"{'rule':<{width}}  {' '.join(STAGES):<23}  title")
    for rule in gate.rules.values():
        setting = gate.policy.rules.get(rule.id)
        if setting is None or not setting.enabled:
            levels = "(off in this policy)"
        elif not setting.in_force(gate.as_of):
            levels = f"(not in force: {_in_force(setting)})"
        else:
            levels = " ".join(f"{setting.severity[s].label:<{len(s)}}" for s in STAGES)
        print(f"{rule.id:<{width}}  {levels:<23}  {rule.title}{_floor_mark(rule, setting)}")
    if any(rule.floor for rule in gate.rules.values()):
        print("[floor]: fail-closed, a pack may raise it, never lower it, switch it off or let "
              "an approval waive it; [floor, not in this pack]: the pack does not set it, so "
              "aigate applies its floor")
    return ExitCode.OK


def _floor_mark(rule: Any, setting: Any) -> str:
    """Whether the rule is a fail-closed floor, and whether its severities came from the
    pack or from aigate (the pack left it out)."""
    if rule.floor is None:
        return ""
    return "  [floor, not in this pack]" if setting and setting.from_floor else "  [floor]"


def _in_force(setting: Any) -> str:
    """A dated rule's period, e.g. 'from 2026-07-01 until 2030-06-30'."""
    return " ".join(part for part in (
        f"from {setting.effective}" if setting.effective else "",
        f"until {setting.until}" if setting.until else "") if part)


def _add_explain(sub: Any) -> None:
    explain = _subcommand(
        sub, "explain", "what a rule checks and how to resolve it",
        "What RULE checks, its severity at each stage, whether an approval can waive it and "
        "how to resolve a finding.", "aigate explain talent-consent")
    explain.add_argument("rule", metavar="RULE", help="a rule id (see 'aigate rules')")
    explain.add_argument("--policy", help="show severities from this pack or policy file")
    explain.add_argument("--config", type=Path, help="aigate.yaml whose policy to use "
                         "(default: AIGATE_CONFIG, else the nearest one above this folder)")
    explain.set_defaults(run=cmd_explain)


def cmd_explain(args: argparse.Namespace) -> int:
    from aigate.errors import UsageError

    gate = _session(args).gate(Path.cwd())  # the config check would use here
    rule = gate.rules.get(args.rule)
    if rule is None:
        import difflib

        close = difflib.get_close_matches(args.rule, list(gate.rules), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise UsageError(f"unknown rule {args.rule!r} ({hint}see 'aigate rules')")
    setting = gate.policy.rules.get(rule.id)
    print(f"{rule.id}: {rule.title}")
    print(f"category:    {rule.category}")
    print(f"guideline:   {rule.guideline}")
    print(f"triggered by: {rule.trigger}")
    if setting and setting.enabled:
        per_stage = ", ".join(f"{s} {setting.severity[s].label}" for s in STAGES)
        if not setting.waivable:
            waivable = "no approval can waive it"
        elif rule.waived_by == "described-consent":
            waivable = ("a consent record covering that talent, use and production, with a "
                        "'description' of the use, lifts it")
        elif rule.waived_by == "consent":
            waivable = "a consent record covering that talent, use and production lifts it"
        else:
            waivable = "a written approval granting it (or its category) can waive it"
        source = (f"aigate's fail-closed floor: policy {gate.policy.name} does not set it"
                  if setting.from_floor else f"policy {gate.policy.name}")
        print(f"severity:    {per_stage} ({source}); {waivable}")
        if rule.floor:
            print("floor:       fail-closed: no pack may set it below "
                  + ", ".join(f"{s} {rule.floor[s].label}" for s in STAGES if s in rule.floor)
                  + ", switch it off, date it or let an approval waive it"
                  + (f"; {rule.floor_instead}" if rule.floor_instead else ""))
        if setting.effective or setting.until:
            print(f"in force:    {_in_force(setting)}")
    else:
        print(f"severity:    off in policy {gate.policy.name}")
    print(f"resolve:     {rule.remediation}")
    return ExitCode.OK
