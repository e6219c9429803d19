"""What every command shares: the gate's options, the session, where files are checked,
progress and output."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from aigate.run.exitcodes import fail_on_severity


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
                        help="below final too, a clip whose media cannot be read (or that has "
                             "none) is a finding (media-required); at final unread media "
                             "always lock (media-missing)")
    parser.add_argument("--rate", metavar="FPS",
                        help="the frame rate of EDLs, which do not state one: 23.976, 24, 25, "
                        "29.97, 29.97DF, 29.97NDF, 30, 50, 59.94, 60; 29.97 and 59.94 count "
                        "as each EDL says (FCM line, ';' timecodes), drop frame when it says "
                        "nothing (default: the config's edl: {rate: ...}, else detected from "
                        "the EDL, and said)")


def _config_options(parser: argparse.ArgumentParser) -> None:
    """doctor and plugins read aigate.yaml exactly as check would for a file in ``where``."""
    parser.add_argument("where", nargs="?", type=Path, default=None, metavar="PATH",
                        help="a timeline or folder: read the aigate.yaml that check would use "
                        "for it (default: the current folder)")
    parser.add_argument("--config", type=Path, help="aigate.yaml (default: AIGATE_CONFIG, "
                        "else the nearest one above PATH)")


#: seconds one file may take by default: a timeline that takes longer is stuck, not long
TIMEOUT = 600.0


def _batch_options(parser: argparse.ArgumentParser) -> None:
    """How many files at once, and where (this machine, or a Dask cluster)."""
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="skip files a folder or glob finds that match (repeatable; "
                        "added to aigate.yaml's exclude:), e.g. '**/settings.xml'")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, metavar="SECONDS",
                        help="one file may take this long before it is reported as not "
                        f"checked (default: {TIMEOUT:g}; 0: no limit)")
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


class _HelpFormatter(argparse.HelpFormatter):
    """Descriptions wrapped to the terminal, never inside a hyphenated name (an option such
    as cpu-used stays whole); the example epilog kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("example:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        import re
        import textwrap

        return textwrap.fill(re.sub(r"\s+", " ", text).strip(), width, initial_indent=indent,
                             subsequent_indent=indent, break_on_hyphens=False)


def _subcommand(sub: Any, name: str, summary: str, description: str, example: str,
                **kwargs: Any) -> argparse.ArgumentParser:
    """A subcommand with its one-line help, a description and an example under its --help;
    it takes --debug too (errors tell users to add it, wherever they put it)."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=summary, description=description, epilog=f"example:\n  {example}",
        formatter_class=_HelpFormatter, **kwargs)
    # SUPPRESS: not given here, the value before the subcommand stands
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks")
    return parser


def _refuse_output(output: Path | None, paths: Sequence[str]) -> None:
    """Refuse an --output that is a folder or would overwrite a file named as an input, by
    name or by a glob (after resolving symlinks: a link to an input is that input), before
    anything is checked. A file a folder search would find is left out of the inputs
    instead (``Session.run(outputs=...)``): a report written into the folder checked."""
    import glob

    from aigate.errors import UsageError

    if output is None:
        return
    if output.is_dir():
        raise UsageError(f"--output {output}: is a folder; give a file name")
    target = output.resolve()
    for text in paths:
        named = [Path(text)] if Path(text).exists() or not glob.has_magic(text) else [
            Path(p) for p in glob.glob(text, recursive=True)]
        for path in named:
            if path.resolve() == target:
                raise UsageError(f"--output {output}: is one of the inputs ({text}); "
                                 "inputs are never overwritten")


def _options(args: argparse.Namespace) -> Any:
    """The run options the command line gives (each command has some of them)."""
    from aigate.run.session import Options

    if getattr(args, "stage", None):
        from aigate.core.stage import validate

        validate(args.stage, "--stage")
    return Options(stage=getattr(args, "stage", None), policy=getattr(args, "policy", None),
                   approvals=getattr(args, "approvals", None),
                   config=getattr(args, "config", None), as_of=getattr(args, "as_of", None),
                   strict_plugins=getattr(args, "strict_plugins", False),
                   require_media=getattr(args, "require_media", False),
                   exclude=tuple(getattr(args, "exclude", ())),
                   timeout=getattr(args, "timeout", None) or None,
                   rate=getattr(args, "rate", None))


def _session(args: argparse.Namespace, options: Any = None,
             warn: Callable[[str], None] | None = None) -> Any:
    """A session for these options (default: the command line's), telling its warnings to
    ``warn`` (default: stderr)."""
    from aigate.run.session import Session

    session = Session(options or _options(args), warn=warn or _warn)
    for problem in session.plugins.problems:
        _warn(str(problem))
    return session


def _warn(message: str) -> None:
    print(f"aigate: warning: {message}", file=sys.stderr)


def _render(report_format: Any, report: Any, options: Any, output: Path | None) -> None:
    from aigate.output.files import atomic_text

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
    from aigate.errors import UsageError
    from aigate.run.parallel import cores, in_processes, on_dask

    jobs = args.jobs if args.jobs is not None else cores()
    if jobs < 1:
        raise UsageError("--jobs: give at least 1")
    if args.executor == "dask":
        return on_dask(session, args.scheduler, jobs, render)
    if args.scheduler:
        raise UsageError("--scheduler goes with --executor dask")
    return in_processes(session, jobs, render) if jobs > 1 else None


def _report_options(args: argparse.Namespace, terminal: Any) -> Any:
    from aigate.output.report import ReportOptions

    color = (terminal is not None and terminal.isatty() and not os.environ.get("NO_COLOR")
             and os.environ.get("TERM") != "dumb")
    return ReportOptions(fail_on=fail_on_severity(args.fail_on), color=color,
                         quiet=getattr(args, "quiet", False))


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


def _subject_to_export(args: argparse.Namespace, source: Path) -> tuple[Any, Any, Any]:
    """The session, gate and subject of ``source`` for a command that writes ``--output``
    from it (annotate, render): OUT is never the file it comes from."""
    from aigate.core.gate import load_subject
    from aigate.errors import UsageError

    if args.output.resolve() == source.resolve():
        raise UsageError(f"OUT must be another file: {source} is never modified")
    from aigate.run.discovery import quiet_stdout

    session = _session(args)
    gate = session.gate(source)
    with quiet_stdout(source):  # what a reader prints or logs: notes on stderr
        subject = load_subject(session.plugins, source,
                               gate.config.rate_for(getattr(args, "rate", None)))
    return session, gate, subject
