"""The ``aigate`` command. Imports stay inside the commands so --help and --version are fast.

Exit codes: 0 no lock (nothing at or above --fail-on), 1 a lock (or --fail-on reached),
2 a usage or input error.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator, Sequence
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
    parser.add_argument("--config", type=Path, help="aigate.yaml for every file, nothing "
                        "discovered (default: AIGATE_CONFIG, else the nearest one above each "
                        "timeline, inside AIGATE_TRUSTED_ROOTS when that is set)")
    parser.add_argument("--as-of", type=_date, metavar="DATE",
                        help="evaluate approval expiry and dated rules at this date "
                        "(default: today)")
    parser.add_argument("--strict-plugins", action="store_true",
                        help="a plugin that fails to load is an error")
    parser.add_argument("--require-media", action="store_true",
                        help="a clip whose media cannot be read is a finding (media-missing)")


def _config_options(parser: argparse.ArgumentParser) -> None:
    """doctor and plugins read aigate.yaml exactly as check would for a file in ``where``."""
    parser.add_argument("where", nargs="?", type=Path, default=None, metavar="PATH",
                        help="a timeline or folder: read the aigate.yaml that check would use "
                        "for it (default: the current folder)")
    parser.add_argument("--config", type=Path, help="aigate.yaml (default: AIGATE_CONFIG, "
                        "else the nearest one above PATH)")


def _batch_options(parser: argparse.ArgumentParser) -> None:
    """How many files at once, and where (this machine, or a Dask cluster)."""
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="skip files a folder or glob finds that match (repeatable; "
                        "added to aigate.yaml's exclude:), e.g. '**/settings.xml'")
    parser.add_argument("--jobs", "-j", type=int, metavar="N",
                        help="worker processes (default: the number of cores; 1: in-process)")
    parser.add_argument("--executor", choices=("local", "dask"), default="local",
                        help="local processes (default) or a Dask cluster")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                        help="with --executor dask: the cluster's scheduler (default: a local "
                        "cluster of --jobs workers)")


class _PassThroughParser(argparse.ArgumentParser):
    """A subcommand whose arguments after ``--`` are kept as ``renderer_args``, whatever
    they look like (argparse alone cannot take them after options)."""

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None) -> Any:
        given = list(sys.argv[1:] if args is None else args)
        rest = given[given.index("--") + 1:] if "--" in given else []
        own = given[:given.index("--")] if "--" in given else given
        parsed, unknown = super().parse_known_args(own, namespace)
        parsed.renderer_args = rest
        return parsed, unknown


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
    check.add_argument("--format", default="text", help="text (default), json, junit, html, "
                       "or one a plugin adds")
    check.add_argument("--output", type=Path, help="write the report here (atomically)")
    check.add_argument("--fail-on", choices=("warn", "lock"), default="lock",
                       help="lowest verdict that makes the exit code 1 and a JUnit testcase "
                       "fail (default: lock)")
    check.add_argument("--quiet", "-q", action="store_true",
                       help="text: only locked clips and the summary")
    _batch_options(check)
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
    annotate.add_argument("--track", metavar="NAME", help="write only this track (e.g. V2); "
                          "without it a multi-track cut to EDL is one EDL per track, "
                          "OUT_V1.edl, OUT_V2.edl, OUT_A1.edl...")
    annotate.add_argument("--allow-loss", action="store_true",
                          help="write even if unflagged clips or the input's own markers "
                          "are lost by the format (they are listed); a flagged clip's "
                          "verdict is never allowed to be lost")
    annotate.set_defaults(run=cmd_annotate)

    render = sub.add_parser(
        "render", help="render a project through the export gate (melt for Kdenlive/MLT)",
        usage="aigate render PROJECT OUT [options] [-- RENDERER OPTION...]",
        description="Check PROJECT at the stage OUT implies (its config path rules, or "
        "--stage) and render it to OUT with the host's renderer; everything after -- goes to "
        "the renderer (melt: e.g. vcodec=libx264). At stage final with a lock nothing is "
        "rendered and the exit code is 1. OUT is written atomically.")
    render.__class__ = _PassThroughParser  # "-- ..." reaches the renderer untouched
    render.add_argument("project", type=Path, metavar="PROJECT")
    render.add_argument("output", type=Path, metavar="OUT")
    _gate_options(render)
    render.set_defaults(run=cmd_render, renderer_args=[])

    register = sub.add_parser(
        "register", help="the disclosure register: one row per AI clip, for the studio")
    register.add_argument("paths", nargs="+", metavar="PATH")
    _gate_options(register)
    register.add_argument("--format", default="csv",
                          help="csv (default), json, html, or a plugin's register format")
    register.add_argument("--output", type=Path, help="write it here (atomically)")
    _batch_options(register)
    register.set_defaults(run=cmd_register)

    doctor = sub.add_parser("doctor", help="is the gate live here (plugins, policy, hooks)?")
    _config_options(doctor)
    doctor.set_defaults(run=cmd_doctor)

    approvals = sub.add_parser("approvals", help="the approvals registry: keys, signing, "
                               "verifying, stale records")
    asub = approvals.add_subparsers(dest="approvals_command", metavar="ACTION", required=True)
    keygen = asub.add_parser("keygen", help="make an Ed25519 key pair for an approver")
    keygen.add_argument("name", help="file name for the pair, e.g. dana-ruiz")
    keygen.add_argument("--out", type=Path, default=Path("."), help="folder (default: here)")
    keygen.set_defaults(run=cmd_approvals_keygen)
    sign = asub.add_parser("sign", help="sign a record file (one record) in place")
    sign.add_argument("record", type=Path)
    sign.add_argument("--key", type=Path, required=True, help="the approver's private key")
    sign.set_defaults(run=cmd_approvals_sign)
    verify = asub.add_parser("verify", help="check every record's signature and schema")
    verify.add_argument("path", type=Path, help="a record file or the registry folder")
    verify.add_argument("--config", type=Path, help="aigate.yaml with trusted_keys (default: "
                        "AIGATE_CONFIG, else the nearest above PATH)")
    verify.add_argument("--policy")
    verify.set_defaults(run=cmd_approvals_verify)
    unused = asub.add_parser("unused", help="records that waived nothing in these timelines")
    unused.add_argument("path", type=Path, help="the registry (file or folder)")
    unused.add_argument("--against", nargs="+", required=True, metavar="TIMELINE")
    _gate_options(unused)
    unused.set_defaults(run=cmd_approvals_unused)

    rules = sub.add_parser("rules", help="list rule ids and titles")
    rules.add_argument("--policy", help="show severities from this pack")
    rules.add_argument("--config", type=Path)
    rules.add_argument("--as-of", type=_date, metavar="DATE",
                       help="which rules applied on this date (default: today)")
    rules.set_defaults(run=cmd_rules)

    explain = sub.add_parser("explain", help="what a rule checks and how to resolve it")
    explain.add_argument("rule")
    explain.add_argument("--policy")
    explain.add_argument("--config", type=Path)
    explain.set_defaults(run=cmd_explain)

    attest = sub.add_parser(
        "attest", help="sign a record of the gate's decision (in-toto, DSSE); "
        "'attest verify ENVELOPE' checks one",
        usage="aigate attest PATH... --key KEY --output OUT [options]\n"
        "       aigate attest verify ENVELOPE [--timeline PATH...] [--media] "
        "[--trusted-keys PUB...]",
        description="Check the timelines and write an in-toto Statement in a DSSE envelope "
        "signed with an Ed25519 key: the timelines' sha256, the policy pack files, config, "
        "the approvals that waived findings, every AI clip with its verdict and media hash. "
        "A locked verdict is refused (exit 1) unless --allow-lock.")
    attest.add_argument("paths", nargs="+", metavar="PATH", help="timeline files")
    _gate_options(attest)
    attest.add_argument("--key", type=Path, help="Ed25519 private key (PEM), e.g. from "
                        "'aigate approvals keygen'")
    attest.add_argument("--output", type=Path, help="the envelope file to write")
    attest.add_argument("--allow-lock", action="store_true",
                        help="attest a locked verdict (the attestation says so)")
    attest.add_argument("--register", type=Path, metavar="FILE",
                        help="also write the disclosure register of the same check, its "
                        "companion (.csv or .json)")
    attest.add_argument("--trusted-keys", nargs="+", type=Path, default=[], metavar="PUB")
    attest.add_argument("--timeline", nargs="+", type=Path, default=[], metavar="PATH")
    attest.add_argument("--media", action="store_true")
    attest.set_defaults(run=cmd_attest)

    credentials = sub.add_parser(
        "credentials", help="add Content Credentials (C2PA) to a rendered deliverable",
        description="Sign DELIVERABLE with a C2PA manifest saying what the cut holds: "
        "c2pa.created/c2pa.edited with the IPTC digital source type that fits, one "
        "ingredient per AI clip's media (its own manifest carried forward), and the "
        "attestation as the com.aigate.attestation assertion. Refused (exit 1) when the "
        "cut is locked at final.")
    credentials.add_argument("deliverable", type=Path, metavar="DELIVERABLE")
    credentials.add_argument("--from", dest="timeline", type=Path, required=True,
                             metavar="TIMELINE", help="the cut the deliverable was rendered "
                             "from")
    credentials.add_argument("--cert", type=Path, required=True,
                             help="signing certificate chain (PEM, leaf first)")
    credentials.add_argument("--key", type=Path, required=True,
                             help="the certificate's private key (PEM)")
    credentials.add_argument("--attestation", type=Path,
                             help="an attestation (aigate attest) to embed")
    credentials.add_argument("--output", type=Path, help="write the signed file here "
                             "(default: DELIVERABLE with .c2pa before its suffix)")
    _gate_options(credentials)
    credentials.set_defaults(run=cmd_credentials)

    plugins = sub.add_parser("plugins", help="list loaded plugins and their hooks")
    plugins.add_argument("--json", action="store_true")
    plugins.add_argument("--strict-plugins", action="store_true")
    _config_options(plugins)
    plugins.set_defaults(run=cmd_plugins)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_ERROR
    from .errors import AigateError, Terminated

    _terminate_by_exception()
    try:
        return args.run(args)
    except Terminated as exc:  # temporary outputs are gone by now
        print(f"aigate: {exc}", file=sys.stderr)
        return 128 + exc.signum
    except AigateError as exc:
        if args.debug:
            raise
        print(f"aigate: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("aigate: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. piped into head: stop writing, quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # a bug, not bad input: still one line unless --debug
        if args.debug:
            raise
        print(f"aigate: internal error: {type(exc).__name__}: {exc} (run with --debug for "
              "the traceback)", file=sys.stderr)
        return EXIT_ERROR


def _terminate_by_exception() -> None:
    """SIGTERM and SIGHUP raise :class:`~aigate.errors.Terminated` (in the main thread), so
    an output being written is removed, not left half-written or as a temporary file."""
    import signal
    import threading

    from .errors import Terminated

    main_pid = os.getpid()

    def handler(signum: int, frame: Any) -> None:
        if os.getpid() != main_pid:  # a forked worker: end as the signal asks, quietly
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise Terminated(signum)

    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGHUP"):
            # a signal the caller ignores (nohup) stays ignored
            if hasattr(signal, name) and signal.getsignal(getattr(signal, name)) is not \
                    signal.SIG_IGN:
                signal.signal(getattr(signal, name), handler)


def _refuse_output(output: Path | None, paths: Sequence[str], suffixes: set[str]) -> None:
    """Refuse an --output that is a folder or would overwrite an input (after resolving
    symlinks: a link to an input is that input), before anything is checked."""
    import glob

    from .errors import UsageError

    if output is None:
        return
    if output.is_dir():
        raise UsageError(f"--output {output}: is a folder; give a file name")
    target = output.resolve()
    for text in paths:
        named = [Path(text)] if Path(text).exists() or not glob.has_magic(text) else [
            Path(p) for p in glob.glob(text, recursive=True)]
        for path in named:
            resolved = path.resolve()
            inside = (path.is_dir() and target.is_relative_to(resolved)
                      and target.suffix.lower().lstrip(".") in suffixes)
            if resolved == target or inside:
                raise UsageError(f"--output {output}: is one of the inputs ({text}); "
                                 "inputs are never overwritten")


def _session(args: argparse.Namespace) -> Any:
    from .batch import Options, Session

    if getattr(args, "stage", None):
        from .stage import validate

        validate(args.stage, "--stage")
    options = Options(stage=getattr(args, "stage", None), policy=getattr(args, "policy", None),
                      approvals=getattr(args, "approvals", None),
                      config=getattr(args, "config", None), as_of=getattr(args, "as_of", None),
                      strict_plugins=getattr(args, "strict_plugins", False),
                      require_media=getattr(args, "require_media", False),
                      exclude=tuple(getattr(args, "exclude", ())))
    session = Session(options, warn=_warn)
    for problem in session.plugins.problems:
        _warn(str(problem))
    return session


def _warn(message: str) -> None:
    print(f"aigate: warning: {message}", file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    from .errors import UsageError

    session = _session(args)
    formats = session.formats()
    if args.format not in formats:
        raise UsageError(f"--format: unknown format {args.format!r} "
                         f"(available: {', '.join(sorted(formats))})")
    chosen = formats[args.format]
    if chosen.needs_output and not args.output:
        raise UsageError(f"--format {args.format} writes a whole document: give --output FILE")
    _refuse_output(args.output, args.paths, session.timeline_suffixes())
    if args.config or args.policy or args.approvals:
        session.gate()  # a bad explicit policy/config is one usage error, not one per file
    options = _report_options(args, sys.stdout if not args.output else None)
    with _progress() as progress:
        runner = _runner(args, session, render=(chosen.name, options))
        report = session.run(args.paths, progress=progress, runner=runner)
        _render(chosen, report, options, args.output)
    if report.interrupted:
        print(f"aigate: interrupted: {report.summary.not_checked} file(s) not checked",
              file=sys.stderr)
        return 130
    if report.errors:
        if args.output or args.format != "text":  # the text report already lists them
            for problem in report.errors:
                print(f"aigate: {problem}", file=sys.stderr)
        return EXIT_ERROR
    return _exit_code(report.summary.worst, args.fail_on)


def _render(report_format: Any, report: Any, options: Any, output: Path | None) -> None:
    from .files import atomic_text

    if output:
        with atomic_text(output, errors="backslashreplace") as handle:
            report.write(report_format, handle, options)
        return
    _tolerant_stdout()
    try:
        report.write(report_format, sys.stdout, options)
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into head: the verdict still sets the exit code
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        for _ in report:  # finish the run so the exit code is right
            pass


def _tolerant_stdout() -> None:
    """Undecodable bytes of a file name (kept as surrogates) print as escapes instead of
    stopping the report half-way with a UnicodeEncodeError."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")


def _runner(args: argparse.Namespace, session: Any, render: Any = None) -> Any:
    """Where the files are checked: here (--jobs 1), local processes, or Dask. With
    ``render`` (format name, options) the workers also render their timelines."""
    from .errors import UsageError
    from .parallel import cores, in_processes, on_dask

    jobs = args.jobs if args.jobs is not None else cores()
    if jobs < 1:
        raise UsageError("--jobs: give at least 1")
    if args.executor == "dask":
        return on_dask(session, args.scheduler, jobs, render)
    if args.scheduler:
        raise UsageError("--scheduler goes with --executor dask")
    return in_processes(session, jobs, render) if jobs > 1 else None


def _report_options(args: argparse.Namespace, terminal: Any) -> Any:
    from .model import Severity
    from .report import ReportOptions

    color = (terminal is not None and terminal.isatty() and not os.environ.get("NO_COLOR")
             and os.environ.get("TERM") != "dumb")
    return ReportOptions(fail_on=Severity.WARN if args.fail_on == "warn" else Severity.LOCK,
                         color=color, quiet=getattr(args, "quiet", False))


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[int, int, Path], None] | None]:
    """A progress bar on stderr when it is a terminal (rich, loaded only then)."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("checking", total=None)

        def advance(done: int, total: int, path: Path) -> None:
            bar.update(task, completed=done, total=total, description=f"checking {path.name}")
        yield advance


def _exit_code(worst: Any, fail_on: str) -> int:
    from .model import Severity

    threshold = Severity.WARN if fail_on == "warn" else Severity.LOCK
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
    saved = session.plugins.hook.aigate_save_subject(
        subject=subject, path=args.output, track=args.track, allow_loss=args.allow_loss,
        protected=(args.input,))
    if not saved:
        raise UsageError(f"{args.output}: no host plugin can write this subject")
    for loss in saved.accepted_losses:
        _warn(f"--allow-loss: {loss}")
    from .report import printable

    written = ", ".join(printable(str(p)) for p in saved.written)
    for result in results:
        counts = {s: sum(r.verdict is s for r in result.items)
                  for s in (Severity.LOCK, Severity.WARN, Severity.INFO)}
        print(f"{written}: {printable(result.name)} [stage {result.stage}] "
              f"{counts[Severity.LOCK]} lock, {counts[Severity.WARN]} warn, "
              f"{counts[Severity.INFO]} approved of {len(result.items)} clips annotated")
        for r in result.items:
            if r.verdict is not Severity.PASS and (args.track is None
                                                   or r.item.track == args.track):
                headline = r.headline.rule if r.headline else ""
                print(f"  {r.verdict.label.upper():<4} {printable(r.item.track)} "
                      f"\"{printable(r.item.clip)}\" {r.item.record_in}-{r.item.record_out} "
                      f"{headline}")
    return _exit_code(max((r.verdict for r in results), default=Severity.PASS), args.fail_on)


def cmd_render(args: argparse.Namespace) -> int:
    """The export gate at OUT's stage, then the host's renderer (hook ``aigate_render``)."""
    from .errors import UsageError
    from .gate import GateLocked, load_subject
    from .report import printable

    if args.output.resolve() == args.project.resolve():
        raise UsageError("OUT must be another file: the project is never modified")
    session = _session(args)
    gate = session.gate(args.project)
    subject = load_subject(session.plugins, args.project)
    try:
        results = gate.guard_export(subject, stage=args.stage, output=args.output)
    except GateLocked as exc:
        print(f"{exc}\n{args.output}: not rendered", file=sys.stderr)
        return EXIT_GATE
    written = session.plugins.hook.aigate_render(subject=subject, path=args.project,
                                                 output=args.output,
                                                 args=list(args.renderer_args))
    if written is None:
        raise UsageError(f"{args.project}: no host plugin renders this project")
    for result in results:
        print(f"{args.output}: rendered {printable(result.name)} [stage {result.stage}] "
              f"{result.verdict.label.upper()}")
    return EXIT_OK


def cmd_register(args: argparse.Namespace) -> int:
    from .errors import UsageError
    from .files import atomic_text
    from .register import entries, register

    session = _session(args)
    formats = session.register_formats()
    if args.format not in formats:
        raise UsageError(f"--format: unknown register format {args.format!r} "
                         f"(available: {', '.join(sorted(formats))})")
    chosen = formats[args.format]
    if chosen.needs_output and not args.output:
        raise UsageError(f"--format {args.format} writes a whole document: give --output FILE")
    _refuse_output(args.output, args.paths, session.timeline_suffixes())
    with _progress() as progress:
        report = session.run(args.paths, progress=progress, runner=_runner(args, session))
        # rows are small (AI clips only): sorted by timeline, in record order within each
        found = register((entry for result in report.results()
                          for entry in entries(result, session.gate(result.path))),
                         args.stage)
    for problem in report.errors:
        _warn(str(problem))
    if args.output:
        with atomic_text(args.output, errors="backslashreplace") as handle:
            chosen.write(found, handle)
    else:
        _tolerant_stdout()
        chosen.write(found, sys.stdout)
    if report.interrupted:
        return 130
    return EXIT_ERROR if report.errors else EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    import os

    from .errors import AigateError
    from .model import Diagnostic

    session = _session(args)
    checks = [Diagnostic("AIGATE_DISABLE", not os.environ.get("AIGATE_DISABLE"),
                         "set: every aigate hook lets material through" if
                         os.environ.get("AIGATE_DISABLE") else "not set")]
    where = args.where or Path.cwd()
    source = session.config_source(where)
    # discovery without trusted roots: a delivery's own aigate.yaml would be obeyed
    checks.append(Diagnostic("config", source.origin != "discovered", source.describe(),
                             fails_open=False))
    try:
        gate = session.gate(where)  # as check does: this also loads the config's plugins
        checks.append(Diagnostic("policy", True, f"{gate.policy.name} ({gate.policy.origin}), "
                                 f"{len(gate.rules)} rules"))
    except AigateError as exc:
        checks.append(Diagnostic("policy", False, str(exc)))
    checks += [Diagnostic(f"plugin {p.name}", False, f"{p.origin}: {p.message}")
               for p in session.plugins.problems]
    checks += [d for group in session.plugins.hook.aigate_doctor() for d in group or ()]
    for check in checks:
        status = "ok  " if check.ok else ("FAIL" if check.fails_open else "warn")
        print(f"{status} {check.name}: {check.detail}")
    failing = [c for c in checks if not c.ok and c.fails_open]
    print("the gate would fail open here" if failing else "the gate is live")
    return EXIT_GATE if failing else EXIT_OK


def cmd_approvals_keygen(args: argparse.Namespace) -> int:
    from .signing import fingerprint, keygen, public_key_from_text

    private, public = keygen(args.name, args.out)
    key = public.read_text().strip()
    print(f"private key: {private} (mode 600: keep it with the approver, never in the repo)")
    print(f"public key:  {public} ({fingerprint(public_key_from_text(key, str(public)))})")
    print("trust it in aigate.yaml:")
    print(f"  trusted_keys:\n    - {{approver: <approver name>, key: {key}}}")
    return EXIT_OK


def cmd_approvals_sign(args: argparse.Namespace) -> int:
    from .signing import load_private_key

    key, warnings = load_private_key(args.key)
    for warning in warnings:
        _warn(warning)
    block = _sign_file(args.record, key)
    print(f"{args.record}: signed ({block['key']})")
    return EXIT_OK


def _sign_file(path: Path, key: Any) -> dict[str, str]:
    """Sign the one record in ``path`` and write the signature into the file, keeping the
    rest of the text (comments included) as it was; replaces an earlier signature."""
    import re

    from .approvals import parse_record
    from .errors import UsageError
    from .files import atomic_text
    from .signing import SIGNATURE_KEY, sign
    from .yamlfile import Section, load

    data = load(path)
    if not isinstance(data, dict):
        raise UsageError(f"{path}: sign one record per file (this file holds "
                         f"{'a list' if isinstance(data, list) else 'no record'})")
    parse_record(Section(path, data))  # a record that would not load is not signed
    block = sign(data, key)
    text = path.read_text(encoding="utf-8")
    text = re.sub(rf"(?ms)^{SIGNATURE_KEY}:.*?(?=^\S|\Z)", "", text).rstrip("\n")
    with atomic_text(path) as handle:
        handle.write(f"{text}\n{SIGNATURE_KEY}:\n  key: {block['key']}\n"
                     f"  value: {block['value']}\n")
    return block


def cmd_approvals_verify(args: argparse.Namespace) -> int:
    from .approvals import load_registry

    session = _session(args)
    gate = session.gate(args.path)
    registry = load_registry(args.path, gate.config.trusted_keys,
                             gate.policy.require_signed_approvals)
    failed = 0
    for record in sorted(registry.records(), key=lambda r: (str(r.source), r.id)):
        rejected = registry.rejected.get(record.id)
        status = f"NOT HONOURED: {rejected[1]}" if rejected else "ok"
        failed += rejected is not None
        print(f"{record.source}: {record.id}: {status}")
    signed = "required" if gate.policy.require_signed_approvals else "not required"
    print(f"{len(registry.records())} record(s), {failed} not honoured "
          f"(signatures {signed} by policy {gate.policy.name}, "
          f"{len(gate.config.trusted_keys)} trusted key(s))")
    return EXIT_GATE if failed else EXIT_OK


def cmd_approvals_unused(args: argparse.Namespace) -> int:
    args.approvals = args.path  # the registry under review, whatever the configs say
    session = _session(args)
    report = session.run(args.against)  # in this process: the registries record their use
    timelines = sum(1 for _ in report.results())
    for problem in report.errors:
        _warn(str(problem))
    gates = session.gates() or [session.gate(args.path)]
    used = set().union(*(g.registry.used for g in gates))
    records = {r.id: r for g in gates for r in g.registry.records()}
    stale = [records[i] for i in sorted(records) if i not in used]
    for record in stale:
        print(f"{record.id}\t{record.source}")
    print(f"{len(stale)} of {len(records)} record(s) waived nothing in {timelines} "
          "timeline(s)", file=sys.stderr)
    return EXIT_ERROR if report.errors else EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    gate = _session(args).gate()
    width = max(len(r) for r in gate.rules)
    print(f"policy {gate.policy.name} ({gate.policy.origin}), as of {gate.as_of}")
    print(f"{'rule':<{width}}  {'import edit review final':<23}  title")
    for rule in gate.rules.values():
        setting = gate.policy.rules.get(rule.id)
        if setting is None or not setting.enabled:
            levels = "(off in this policy)"
        elif not setting.in_force(gate.as_of):
            levels = f"(not in force: {_in_force(setting)})"
        else:
            levels = " ".join(f"{setting.severity[s].label:<{len(s)}}" for s in STAGE_CHOICES)
        print(f"{rule.id:<{width}}  {levels:<23}  {rule.title}")
    return EXIT_OK


def _in_force(setting: Any) -> str:
    """A dated rule's period, e.g. 'from 2026-07-01 until 2030-06-30'."""
    return " ".join(part for part in (
        f"from {setting.effective}" if setting.effective else "",
        f"until {setting.until}" if setting.until else "") if part)


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
        elif rule.waived_by == "described-consent":
            waivable = ("a consent record covering that talent, use and production, with a "
                        "'description' of the use, lifts it")
        elif rule.waived_by == "consent":
            waivable = "a consent record covering that talent, use and production lifts it"
        else:
            waivable = "a written approval granting it (or its category) can waive it"
        print(f"severity:    {per_stage} (policy {gate.policy.name}); {waivable}")
        if setting.effective or setting.until:
            print(f"in force:    {_in_force(setting)}")
    else:
        print(f"severity:    off in policy {gate.policy.name}")
    print(f"resolve:     {rule.remediation}")
    return EXIT_OK


def cmd_attest(args: argparse.Namespace) -> int:
    """Write a signed attestation of the check (``attest verify`` checks one)."""
    import json

    from .attest import Checked, envelope, statement
    from .errors import UsageError
    from .files import atomic_text
    from .model import Severity
    from .signing import load_private_key

    if args.paths[0] == "verify":
        return _attest_verify(args)
    if args.key is None or args.output is None:
        raise UsageError("attest needs --key KEY and --output FILE")
    _refuse_output(args.output, args.paths, {"json"})
    _refuse_output(args.register, args.paths, {"csv", "json"})
    key, warnings = load_private_key(args.key)
    for warning in warnings:
        _warn(warning)
    session = _session(args)
    checked = []
    for text in args.paths:
        path = Path(text)
        checked.append(Checked(path, tuple(session.check_file(path)), session.gate(path)))
    as_of = checked[0].gate.as_of if checked else dt.date.today()
    doc = statement(checked, args.stage, as_of, args.allow_lock)
    locked = [r for c in checked for r in c.results if r.verdict is Severity.LOCK]
    for result in locked:
        print(f"{result.path}: {result.name} [stage {result.stage}] LOCK: "
              f"{len(result.locked())} locked clip(s)", file=sys.stderr)
    if locked and not args.allow_lock:
        print(f"aigate: {args.output}: not written: the verdict is lock (--allow-lock to "
              "attest it anyway)", file=sys.stderr)
        return EXIT_GATE
    with atomic_text(args.output) as handle:
        json.dump(envelope(doc, key), handle, indent=1)
        handle.write("\n")
    if args.register:
        from .register import entries, register

        companion = register((entry for c in checked for result in c.results
                              for entry in entries(result, c.gate)), args.stage)
        kind = "json" if args.register.suffix.lower() == ".json" else "csv"
        with atomic_text(args.register, errors="backslashreplace") as handle:
            session.register_formats()[kind].write(companion, handle)
    summary = doc["predicate"]["summary"]
    print(f"{args.output}: attested {len(doc['subject'])} file(s), {summary['timelines']} "
          f"timeline(s), {summary['ai']} AI clip(s), verdict {doc['predicate']['verdict']}"
          + (" (lock allowed)" if doc["predicate"]["lock_allowed"] else ""))
    return EXIT_OK


def _attest_verify(args: argparse.Namespace) -> int:
    from .attest import trusted_keys, verify
    from .config import load_config
    from .errors import UsageError

    if len(args.paths) != 2:
        raise UsageError("usage: aigate attest verify ENVELOPE [--timeline PATH...] "
                         "[--media] [--trusted-keys PUB...]")
    keys = trusted_keys(args.trusted_keys)
    if not keys and args.config:
        keys = list(load_config(args.config).trusted_keys)
    if not keys:
        raise UsageError("attest verify: no trusted keys (give --trusted-keys PUB... or "
                         "--config with trusted_keys)")
    path = Path(args.paths[1])
    result = verify(path, keys, args.timeline, args.media)
    if result.signer is None:
        print(f"{path}: NOT VERIFIED: {result.problem}")
        return EXIT_GATE
    print(f"{path}: signature ok ({result.signer.fingerprint}, {result.signer.identity})")
    for change in result.changes:
        print(f"  CHANGED {change}")
    print(f"{result.checked} file(s) checked, {len(result.changes)} changed")
    return EXIT_OK if result.ok else EXIT_GATE


def cmd_credentials(args: argparse.Namespace) -> int:
    """Content Credentials on a rendered deliverable, from the cut it was rendered from."""
    from .errors import UsageError
    from .gate import GateLocked, load_subject

    session = _session(args)
    gate = session.gate(args.timeline)
    results = gate.check(load_subject(session.plugins, args.timeline),
                         stage=args.stage or "final", path=args.timeline)
    locked = [r for r in results if r.stage == "final" and r.locked()]
    if locked:
        print(f"aigate: {args.deliverable}: no credentials: the cut is locked at stage final\n"
              f"{GateLocked(locked)}", file=sys.stderr)
        return EXIT_GATE
    written = session.plugins.hook.aigate_stamp_credentials(
        deliverable=args.deliverable, results=results, gate=gate, cert=args.cert,
        key=args.key, output=args.output, attestation=args.attestation,
        timeline=args.timeline)
    if written is None:
        raise UsageError("no plugin writes Content Credentials here: "
                         "pip install 'aigate[c2pa]' (c2pa-python)")
    print(f"{written.path}: signed ({written.source_type}, {written.ingredients} "
          f"ingredient(s){', attestation embedded' if written.attested else ''})")
    return EXIT_OK


def cmd_plugins(args: argparse.Namespace) -> int:
    import json

    from .errors import AigateError

    session = _session(args)
    where = args.where or Path.cwd()
    source = session.config_source(where)
    error = None
    try:
        session.gate(where)  # as check does: loads the plugins the config names
    except AigateError as exc:
        error = str(exc)
    infos = session.plugins.info()
    problems = session.plugins.problems
    if args.json:
        json.dump({"config": {"path": str(source.path) if source.path else None,
                              "origin": source.origin, "error": error},
                   "plugins": [{"name": i.name, "origin": i.origin, "location": i.location,
                                "hooks": list(i.hooks)} for i in infos],
                   "problems": [{"name": p.name, "origin": p.origin, "message": p.message}
                                for p in problems]},
                  sys.stdout, indent=1)
        print()
    else:
        print(f"config: {source.describe()}" + (f"\n    error: {error}" if error else ""))
        for info in infos:
            print(f"{info.name}  [{info.origin}]  {info.location}")
            print(f"    hooks: {', '.join(info.hooks)}")
        for problem in problems:
            print(f"NOT LOADED {problem.name}  [{problem.origin}]  {problem.message}")
    return EXIT_ERROR if error else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
