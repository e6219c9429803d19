"""The ``aigate`` command. Imports stay inside the commands so --help and --version are fast.

Exit codes: 0 no lock (nothing at or above --fail-on), 1 a lock (or --fail-on reached),
2 a usage or input error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import __version__

EXIT_OK, EXIT_GATE, EXIT_ERROR = 0, 1, 2
STAGE_CHOICES = ("import", "edit", "review", "final")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _gate_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that runs the gate accepts (check, annotate...)."""
    parser.add_argument("--stage", help="import, edit, review or final (default: resolved "
                        "from AIGATE_STAGE, the timeline, config path rules, else edit)")
    parser.add_argument("--policy", help="a built-in pack name or a policy YAML file")
    parser.add_argument("--approvals", type=Path, help="approvals registry: file or folder")
    parser.add_argument("--config", type=Path, help="aigate.yaml (default: AIGATE_CONFIG, "
                        "else the nearest one above each timeline)")
    parser.add_argument("--as-of", type=_date, metavar="DATE",
                        help="evaluate approval expiry at this date (default: today)")
    parser.add_argument("--strict-plugins", action="store_true",
                        help="a plugin that fails to load is an error")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aigate", description="Check generative-AI material in timelines against the "
        "studio's GenAI policy.")
    parser.add_argument("--version", action="version", version=f"aigate {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="check timelines and report verdicts")
    check.add_argument("paths", nargs="+", metavar="PATH",
                       help="timeline files, folders (searched recursively) or globs")
    _gate_options(check)
    check.add_argument("--format", default="text", help="text (default), json, or one a "
                       "plugin adds")
    check.add_argument("--output", type=Path, help="write the report here (atomically)")
    check.add_argument("--fail-on", choices=("warn", "lock"), default="lock",
                       help="lowest verdict that makes the exit code 1 (default: lock)")
    check.set_defaults(run=cmd_check)

    annotate = sub.add_parser(
        "annotate", help="write a copy of a timeline with the verdicts on its clips",
        description="Check IN and write OUT (in OUT's format) with every non-pass clip "
        "carrying its verdict where that format keeps it: markers, EDL comments, FCP labels, "
        "AAF user comments. IN is never modified; OUT is written atomically.")
    annotate.add_argument("input", type=Path, metavar="IN")
    annotate.add_argument("output", type=Path, metavar="OUT")
    _gate_options(annotate)
    annotate.add_argument("--fail-on", choices=("warn", "lock"), default="lock")
    annotate.set_defaults(run=cmd_annotate)

    doctor = sub.add_parser("doctor", help="is the gate live here (plugins, policy, hooks)?")
    doctor.add_argument("--config", type=Path)
    doctor.set_defaults(run=cmd_doctor)

    rules = sub.add_parser("rules", help="list rule ids and titles")
    rules.add_argument("--policy", help="show severities from this pack")
    rules.add_argument("--config", type=Path)
    rules.set_defaults(run=cmd_rules)

    explain = sub.add_parser("explain", help="what a rule checks and how to resolve it")
    explain.add_argument("rule")
    explain.add_argument("--policy")
    explain.add_argument("--config", type=Path)
    explain.set_defaults(run=cmd_explain)

    plugins = sub.add_parser("plugins", help="list loaded plugins and their hooks")
    plugins.add_argument("--json", action="store_true")
    plugins.add_argument("--strict-plugins", action="store_true")
    plugins.set_defaults(run=cmd_plugins)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_ERROR
    from .errors import AigateError

    try:
        return args.run(args)
    except AigateError as exc:
        if args.debug:
            raise
        print(f"aigate: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("aigate: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: still one line unless --debug
        if args.debug:
            raise
        print(f"aigate: internal error: {type(exc).__name__}: {exc} (run with --debug for "
              "the traceback)", file=sys.stderr)
        return EXIT_ERROR


def _session(args: argparse.Namespace) -> Any:
    from .batch import Options, Session

    if getattr(args, "stage", None):
        from .stage import validate

        validate(args.stage, "--stage")
    options = Options(stage=getattr(args, "stage", None), policy=getattr(args, "policy", None),
                      approvals=getattr(args, "approvals", None),
                      config=getattr(args, "config", None), as_of=getattr(args, "as_of", None),
                      strict_plugins=getattr(args, "strict_plugins", False))
    session = Session(options)
    for problem in session.plugins.problems:
        print(f"aigate: warning: {problem}", file=sys.stderr)
    return session


def _formats(session: Any) -> dict[str, Any]:
    return {f.name: f for group in session.plugins.hook.aigate_report_formats()
            for f in group or ()}


def cmd_check(args: argparse.Namespace) -> int:
    from .errors import UsageError
    from .files import atomic_text

    session = _session(args)
    formats = _formats(session)
    if args.format not in formats:
        raise UsageError(f"--format: unknown format {args.format!r} "
                         f"(available: {', '.join(sorted(formats))})")
    if args.config or args.policy or args.approvals:
        session.gate()  # a bad explicit policy/config is one usage error, not one per file
    report = session.run(args.paths)
    render: Callable[..., None] = formats[args.format].render
    if args.output:
        with atomic_text(args.output) as handle:
            render(report, handle)
    else:
        try:
            render(report, sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:  # e.g. piped into head: the verdict still sets the exit code
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if report.errors:
        if args.output or args.format != "text":  # the text report already lists them
            for problem in report.errors:
                print(f"aigate: {problem}", file=sys.stderr)
        return EXIT_ERROR
    return _exit_code(report.results, args.fail_on)


def _exit_code(results: Sequence[Any], fail_on: str) -> int:
    from .model import Severity

    threshold = Severity.WARN if fail_on == "warn" else Severity.LOCK
    worst = max((r.verdict for r in results), default=Severity.PASS)
    return EXIT_GATE if worst >= threshold else EXIT_OK


def cmd_annotate(args: argparse.Namespace) -> int:
    from .errors import UsageError
    from .gate import load_subject
    from .model import Severity

    if args.output.resolve() == args.input.resolve():
        raise UsageError("OUT must be another file: the input is never modified")
    session = _session(args)
    gate = session.gate(args.input)
    subject = load_subject(session.plugins, args.input)
    target = args.output.suffix.lstrip(".").lower()
    results = gate.annotate(subject, target, stage=args.stage, path=args.input)
    if not session.plugins.hook.aigate_save_subject(subject=subject, path=args.output):
        raise UsageError(f"{args.output}: no host plugin can write this subject")
    for result in results:
        counts = {s: sum(r.verdict is s for r in result.items)
                  for s in (Severity.LOCK, Severity.WARN, Severity.INFO)}
        print(f"{args.output}: {result.name} [stage {result.stage}] "
              f"{counts[Severity.LOCK]} lock, {counts[Severity.WARN]} warn, "
              f"{counts[Severity.INFO]} approved of {len(result.items)} clips annotated")
    return _exit_code(results, args.fail_on)


def cmd_doctor(args: argparse.Namespace) -> int:
    import os

    from .errors import AigateError
    from .model import Diagnostic

    session = _session(args)
    checks = [Diagnostic("AIGATE_DISABLE", not os.environ.get("AIGATE_DISABLE"),
                         "set: every aigate hook lets material through" if
                         os.environ.get("AIGATE_DISABLE") else "not set")]
    checks += [Diagnostic(f"plugin {p.name}", False, f"{p.origin}: {p.message}")
               for p in session.plugins.problems]
    try:
        gate = session.gate(Path.cwd())
        checks.append(Diagnostic("policy", True, f"{gate.policy.name} ({gate.policy.origin}), "
                                 f"{len(gate.rules)} rules"))
    except AigateError as exc:
        checks.append(Diagnostic("policy", False, str(exc)))
    checks += [d for group in session.plugins.hook.aigate_doctor() for d in group or ()]
    for check in checks:
        status = "ok  " if check.ok else ("FAIL" if check.fails_open else "warn")
        print(f"{status} {check.name}: {check.detail}")
    failing = [c for c in checks if not c.ok and c.fails_open]
    print("the gate would fail open here" if failing else "the gate is live")
    return EXIT_GATE if failing else EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    gate = _session(args).gate()
    width = max(len(r) for r in gate.rules)
    print(f"policy {gate.policy.name} ({gate.policy.origin})")
    print(f"{'rule':<{width}}  {'import edit review final':<23}  title")
    for rule in gate.rules.values():
        setting = gate.policy.rules.get(rule.id)
        if setting is None or not setting.enabled:
            levels = "(off in this policy)"
        else:
            levels = " ".join(f"{setting.severity[s].label:<{len(s)}}" for s in STAGE_CHOICES)
        print(f"{rule.id:<{width}}  {levels:<23}  {rule.title}")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from .errors import UsageError

    gate = _session(args).gate()
    rule = gate.rules.get(args.rule)
    if rule is None:
        raise UsageError(f"unknown rule {args.rule!r} (see 'aigate rules')")
    setting = gate.policy.rules.get(rule.id)
    print(f"{rule.id}: {rule.title}")
    print(f"category:    {rule.category}")
    print(f"guideline:   {rule.guideline}")
    print(f"triggered by: {rule.trigger}")
    if setting and setting.enabled:
        per_stage = ", ".join(f"{s} {setting.severity[s].label}" for s in STAGE_CHOICES)
        if not setting.waivable:
            waivable = "no approval can waive it"
        elif rule.waived_by == "consent":
            waivable = "a consent record covering that talent, use and production lifts it"
        else:
            waivable = "a written approval granting it (or its category) can waive it"
        print(f"severity:    {per_stage} (policy {gate.policy.name}); {waivable}")
    else:
        print(f"severity:    off in policy {gate.policy.name}")
    print(f"resolve:     {rule.remediation}")
    return EXIT_OK


def cmd_plugins(args: argparse.Namespace) -> int:
    import json

    session = _session(args)
    infos = session.plugins.info()
    if args.json:
        json.dump({"plugins": [{"name": i.name, "origin": i.origin, "location": i.location,
                                "hooks": list(i.hooks)} for i in infos],
                   "problems": [{"name": p.name, "origin": p.origin, "message": p.message}
                                for p in session.plugins.problems]},
                  sys.stdout, indent=1)
        print()
        return EXIT_OK
    for info in infos:
        print(f"{info.name}  [{info.origin}]  {info.location}")
        print(f"    hooks: {', '.join(info.hooks)}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
