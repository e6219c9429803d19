"""``aigate check`` and ``aigate register``: a run over many timelines, reported."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from aigate.cli.common import (
    _batch_options,
    _gate_options,
    _progress,
    _refuse_output,
    _render,
    _report_options,
    _runner,
    _session,
    _subcommand,
    _tolerant_stdout,
)
from aigate.model import Severity
from aigate.run.exitcodes import FAIL_ON, ExitCode, gate_exit


def _add_check(sub: Any) -> None:
    check = _subcommand(
        sub, "check", "check timelines and report verdicts",
        "Check every clip of the timelines PATH names against the policy and print a report; "
        "the exit code is 1 when a clip is locked (or reaches --fail-on).",
        "aigate check --stage final --format junit --output gate.xml cuts/")
    check.add_argument("paths", nargs="+", metavar="PATH",
                       help="timeline files, folders (searched recursively) or globs")
    _gate_options(check)
    check.add_argument("--format", default="text", help="text (default), json, junit, html, "
                       "or one a plugin adds")
    check.add_argument("--output", type=Path, help="write the report here (atomically)")
    check.add_argument("--fail-on", choices=tuple(FAIL_ON), default="lock",
                       help="lowest verdict that makes the exit code 1 and a JUnit testcase "
                       "fail (default: lock)")
    check.add_argument("--quiet", "-q", action="store_true",
                       help="text: only locked clips and the summary")
    check.add_argument("--report", action="append", default=[], metavar="FORMAT=PATH",
                       help="also write this report from the same run (repeatable): FORMAT is "
                       "a check format (json, junit, html...) or register-csv, "
                       "register-json, register-html")
    _batch_options(check)
    check.set_defaults(run=cmd_check)


REGISTER_PREFIX = "register-"


def _reports(args: argparse.Namespace, session: Any) -> tuple[list[tuple[Any, Path]],
                                                                list[tuple[Any, Path]]]:
    """The --report FORMAT=PATH pairs: (check format, path) and (register format, path)."""
    from aigate.errors import UsageError

    checks, registers = [], []
    formats, register_formats = session.formats(), session.register_formats()
    for text in args.report:
        name, sep, path = text.partition("=")
        if not sep or not name or not path:
            raise UsageError(f"--report {text!r}: give FORMAT=PATH, e.g. junit=results.xml")
        if name.startswith(REGISTER_PREFIX) and name[len(REGISTER_PREFIX):] in register_formats:
            registers.append((register_formats[name[len(REGISTER_PREFIX):]], Path(path)))
        elif name in formats:
            checks.append((formats[name], Path(path)))
        else:
            known = sorted([*formats, *(REGISTER_PREFIX + n for n in register_formats)])
            raise UsageError(f"--report {text!r}: unknown format {name!r} "
                             f"(available: {', '.join(known)})")
    written = [args.output, *(p for _, p in checks), *(p for _, p in registers)]
    named = [p.resolve() for p in written if p is not None]
    if len(set(named)) != len(named):
        raise UsageError("--output and --report: two reports name the same file")
    return checks, registers


def cmd_check(args: argparse.Namespace) -> int:
    from aigate.errors import UsageError

    session = _session(args)
    formats = session.formats()
    if args.format not in formats:
        raise UsageError(f"--format: unknown format {args.format!r} "
                         f"(available: {', '.join(sorted(formats))})")
    chosen = formats[args.format]
    if chosen.needs_output and not args.output:
        raise UsageError(f"--format {args.format} writes a whole document: give --output FILE")
    checks, registers = _reports(args, session)
    outputs = [p for p in (args.output, *(p for _, p in checks), *(p for _, p in registers))
               if p is not None]
    for output in outputs:
        _refuse_output(output, args.paths)
    if args.config or args.policy or args.approvals:
        session.gate()  # a bad explicit policy/config is one usage error, not one per file
    options = _report_options(args, sys.stdout if not args.output else None)
    with _progress() as progress:
        if not checks and not registers:
            runner = _runner(args, session, render=(chosen.name, options))
            report = session.run(args.paths, progress=progress, runner=runner,
                                 outputs=outputs)
            _render(chosen, report, options, args.output)
        else:
            report = session.run(args.paths, progress=progress, runner=_runner(args, session),
                                 outputs=outputs)
            _render_all(session, report, (chosen, args.output, options), checks, registers,
                        args.stage)
    if getattr(args, "debug", False):
        for path, pattern in report.excluded.items():
            print(f"aigate: excluded: {path} (pattern {pattern})", file=sys.stderr)
    if report.interrupted:
        print(f"aigate: interrupted: {report.summary.not_checked} file(s) not checked",
              file=sys.stderr)
        return ExitCode.INTERRUPTED
    if report.errors:
        if args.output or args.format != "text":  # the text report already lists them
            for problem in report.errors:
                print(f"aigate: {problem}", file=sys.stderr)
        return ExitCode.INPUT
    return gate_exit(report.summary.worst, args.fail_on)


def _render_all(session: Any, report: Any, main: tuple[Any, Path | None, Any],
                checks: list[tuple[Any, Path]], registers: list[tuple[Any, Path]],
                stage: str | None) -> None:
    """Every report of one run from one pass: the main one (to --output or stdout), each
    --report file, and the register's rows gathered as results pass (AI clips only)."""
    import contextlib
    import datetime as dt
    from dataclasses import replace

    from aigate.output.files import atomic_text
    from aigate.output.register import entries, register

    chosen, output, options = main
    plain = replace(options, color=False)  # a file gets no colour
    rows: list[Any] = []
    when = dt.datetime.now(dt.UTC)
    with contextlib.ExitStack() as stack:
        def opened(path: Path) -> Any:
            return stack.enter_context(atomic_text(path, errors="backslashreplace"))
        if output is None:
            _tolerant_stdout()
        writers = [(chosen, opened(output) if output else sys.stdout, options),
                   *((fmt, opened(path), plain) for fmt, path in checks)]
        def gather(result: Any) -> None:
            rows.extend(entries(result, session.gate(result.path), when))
        report.write_many(writers, each=gather if registers else None)
        found = register(rows, stage)
        for fmt, path in registers:
            fmt.write(found, opened(path))


def _add_register(sub: Any) -> None:
    register = _subcommand(
        sub, "register", "the disclosure register: one row per AI clip, for the studio",
        "One row per clip carrying generative-AI material in the timelines PATH names: its "
        "verdict, tool, talent and the approvals that cover it.",
        "aigate register --format html --output register.html cuts/")
    register.add_argument("paths", nargs="+", metavar="PATH",
                          help="timeline files, folders (searched recursively) or globs")
    _gate_options(register)
    register.add_argument("--format", default="csv",
                          help="csv (default), json, html, or a plugin's register format")
    register.add_argument("--output", type=Path, help="write it here (atomically)")
    register.add_argument("--fail-on", choices=tuple(FAIL_ON), default=None,
                          help="exit code 1 when a listed clip's verdict reaches this "
                          "(default: the register is written and the exit code is 0)")
    register.add_argument("--quiet", "-q", action="store_true",
                          help="no warnings or progress on stderr: only errors")
    _batch_options(register)
    register.set_defaults(run=cmd_register)


def cmd_register(args: argparse.Namespace) -> int:
    from aigate.errors import UsageError
    from aigate.output.files import atomic_text
    from aigate.output.register import entries, register

    session = _session(args, warn=(lambda _: None) if args.quiet else None)
    formats = session.register_formats()
    if args.format not in formats:
        raise UsageError(f"--format: unknown register format {args.format!r} "
                         f"(available: {', '.join(sorted(formats))})")
    chosen = formats[args.format]
    if chosen.needs_output and not args.output:
        raise UsageError(f"--format {args.format} writes a whole document: give --output FILE")
    _refuse_output(args.output, args.paths)
    with _progress() as progress:
        report = session.run(args.paths, progress=progress, runner=_runner(args, session),
                             outputs=[args.output] if args.output else [])
        # rows are small (AI clips only): sorted by timeline, in record order within each
        found = register((entry for result in report.results()
                          for entry in entries(result, session.gate(result.path))),
                         args.stage)
    for problem in report.errors:
        print(f"aigate: {problem}", file=sys.stderr)
    if args.output:
        with atomic_text(args.output, errors="backslashreplace") as handle:
            chosen.write(found, handle)
    else:
        _tolerant_stdout()
        chosen.write(found, sys.stdout)
    if report.interrupted:
        return ExitCode.INTERRUPTED
    if report.errors:
        return ExitCode.INPUT
    if args.fail_on is None:
        return ExitCode.OK
    return gate_exit(max((e.clip.verdict for e in found.entries), default=Severity.PASS),
                     args.fail_on)
