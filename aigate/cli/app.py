"""The ``aigate`` command: it parses arguments and prints; the work is the library's.

Imports stay inside the commands so --help and --version are fast. Exit codes are
:class:`aigate.exitcodes.ExitCode`.
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
from .exitcodes import FAIL_ON, ExitCode, fail_on_severity, gate_exit
from .model import STAGES


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


class _HelpFormatter(argparse.HelpFormatter):
    """Descriptions wrapped to the terminal; the example epilog kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("example:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


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


def build_parser() -> argparse.ArgumentParser:
    """The parser: one ``_add_*`` function per subcommand, so a new one is one more line."""
    parser = argparse.ArgumentParser(
        prog="aigate", description="Check generative-AI material in timelines against the "
        "studio's GenAI policy.", epilog="exit codes: 0 ok, 1 lock (or --fail-on reached), "
        "2 usage or input error, 130 interrupted, 143 terminated; "
        "'aigate COMMAND --help' for each command")
    parser.add_argument("--version", action="version", version=f"aigate {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_check, _add_annotate, _add_render, _add_register, _add_doctor,
                _add_approvals, _add_rules, _add_explain, _add_attest, _add_credentials,
                _add_plugins):
        add(sub)
    return parser


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
    _batch_options(check)
    check.set_defaults(run=cmd_check)


def _add_annotate(sub: Any) -> None:
    annotate = _subcommand(
        sub, "annotate", "write a copy of a timeline with the verdicts on its clips",
        "Check IN and write OUT (in OUT's format) with every non-pass clip "
        "carrying its verdict where that format keeps it: markers, EDL comments, FCP labels, "
        "AAF user comments. IN is never modified; OUT is written atomically.",
        "aigate annotate ep101_cut_v12.otio ep101_cut_v12_gate.edl --track V2")
    annotate.add_argument("input", type=Path, metavar="IN", help="the timeline to check")
    annotate.add_argument("output", type=Path, metavar="OUT",
                          help="the annotated copy to write; its suffix picks the format")
    _gate_options(annotate)
    annotate.add_argument("--fail-on", choices=tuple(FAIL_ON), default="lock",
                          help="lowest verdict that makes the exit code 1 (default: lock)")
    annotate.add_argument("--track", metavar="NAME", help="write only this track (e.g. V2); "
                          "without it a multi-track cut to EDL is one EDL per track, "
                          "OUT_V1.edl, OUT_V2.edl, OUT_A1.edl...")
    annotate.add_argument("--allow-loss", action="store_true",
                          help="write even if unflagged clips or the input's own markers "
                          "are lost by the format (they are listed); a flagged clip's "
                          "verdict is never allowed to be lost")
    annotate.set_defaults(run=cmd_annotate)


def _add_render(sub: Any) -> None:
    render = _subcommand(
        sub, "render", "render a project through the export gate (melt for Kdenlive/MLT)",
        "Check PROJECT at the stage OUT implies (its config path rules, or "
        "--stage) and render it to OUT with the host's renderer; the encoding options after "
        "-- go to the renderer. At stage final with a lock nothing is rendered and the exit "
        "code is 1. OUT is written atomically. melt (Kdenlive/MLT) takes only key=value "
        "options whose key is one of: f (mp4, mov, matroska, webm, mxf...: one file), "
        "movflags, threads, real_time; vcodec, vb, vbufsize, vminrate, vmaxrate, crf, "
        "qscale, vq, qmin, qmax, qp, cq, vglobal_quality, preset, tune, vprofile, level, g, "
        "bf, keyint_min, sc_threshold, refs, trellis, mbd, coder, context, slices, pix_fmt, "
        "quality, deadline, cpu-used, row-mt, tile-columns, tile-rows, auto-alt-ref, "
        "lag-in-frames, max-intra-rate, vn, video_off; width, height, s, aspect, "
        "progressive, top_field_first, deinterlace_method, rescale, frame_rate_num, "
        "frame_rate_den, r, display_aspect_num, display_aspect_den, sample_aspect_num, "
        "sample_aspect_den, colorspace, color_range, color_trc; acodec, ab, aq, ar, ac, "
        "channels, sample_fmt, an, audio_off. A value is a name or number (no path or URL: "
        "no / or : except a ratio such as 16:9). Anything else (a file, which melt would "
        "add as media the gate never checked; target= or resource=, which would write "
        "elsewhere; a -option) is refused with exit code 2.",
        "aigate render edit.kdenlive deliverables/ep101.mp4 -- vcodec=libx264",
        usage="aigate render PROJECT OUT [options] [-- RENDERER OPTION...]")
    render.__class__ = _PassThroughParser  # "-- ..." reaches the renderer untouched
    render.add_argument("project", type=Path, metavar="PROJECT",
                        help="the project to check and render (e.g. a .kdenlive file)")
    render.add_argument("output", type=Path, metavar="OUT", help="the media file to write")
    _gate_options(render)
    render.set_defaults(run=cmd_render, renderer_args=[])


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
    _batch_options(register)
    register.set_defaults(run=cmd_register)


def _add_doctor(sub: Any) -> None:
    doctor = _subcommand(
        sub, "doctor", "is the gate live here (plugins, policy, hooks)?",
        "Say which aigate.yaml governs PATH and whether the gate would run for files there: "
        "the policy, the plugins, the host integrations. Exit code 1 when material could "
        "pass unchecked.", "aigate doctor cuts/ep101_cut_v12.otio")
    _config_options(doctor)
    doctor.set_defaults(run=cmd_doctor)


def _add_approvals(sub: Any) -> None:
    approvals = _subcommand(
        sub, "approvals", "the approvals registry: keys, signing, verifying, stale records",
        "Manage the approvals registry: make an approver's key pair, sign a record, verify "
        "every record, find records that waive nothing.", "aigate approvals verify approvals/")
    asub = approvals.add_subparsers(dest="approvals_command", metavar="ACTION", required=True)
    keygen = _subcommand(
        asub, "keygen", "make an Ed25519 key pair for an approver",
        "Write NAME.key (private, mode 600) and NAME.pub; with --approver also "
        "NAME.identity.yaml (who the key belongs to) and the trusted_keys line to paste.",
        'aigate approvals keygen dana-ruiz --approver "Dana Ruiz" --role "Production Legal"')
    keygen.add_argument("name", help="file name for the pair, e.g. dana-ruiz")
    keygen.add_argument("--out", type=Path, default=Path("."), help="folder (default: here)")
    keygen.add_argument("--approver", help="the approver's name, as records give it")
    keygen.add_argument("--role", help="the approver's role, e.g. 'Production Legal'")
    keygen.set_defaults(run=cmd_approvals_keygen)
    sign = _subcommand(
        asub, "sign", "sign a record file (one record) in place",
        "Sign the record in RECORD with the approver's private key; the file keeps its "
        "comments, an earlier signature is replaced.",
        "aigate approvals sign approvals/APR-NF101-007.yaml --key dana-ruiz.key")
    sign.add_argument("record", type=Path, help="the record file (YAML, one record)")
    sign.add_argument("--key", type=Path, required=True, help="the approver's private key")
    sign.set_defaults(run=cmd_approvals_sign)
    verify = _subcommand(
        asub, "verify", "check every record's signature and schema",
        "Read every record under PATH as a check would and say, once per record, whether "
        "it is honoured; exit code 1 when one is not.", "aigate approvals verify approvals/")
    verify.add_argument("path", type=Path, help="a record file or the registry folder")
    verify.add_argument("--config", type=Path, help="aigate.yaml with trusted_keys (default: "
                        "AIGATE_CONFIG, else the nearest above PATH)")
    verify.add_argument("--policy", help="a built-in pack name or a policy YAML file (says "
                        "whether signatures are required)")
    verify.set_defaults(run=cmd_approvals_verify)
    unused = _subcommand(
        asub, "unused", "records that waived nothing in these timelines",
        "Check the timelines --against names with the registry PATH and list the records "
        "that waived nothing; exit code 1 when there are such stale records.",
        "aigate approvals unused approvals/ --against cuts/")
    unused.add_argument("path", type=Path, help="the registry (file or folder)")
    unused.add_argument("--against", nargs="+", required=True, metavar="TIMELINE",
                        help="timeline files, folders or globs to check with it")
    _gate_options(unused)
    unused.set_defaults(run=cmd_approvals_unused)


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


def _add_attest(sub: Any) -> None:
    attest = _subcommand(
        sub, "attest", "sign a record of the gate's decision (in-toto, DSSE); "
        "'attest verify ENVELOPE' checks one",
        "Check the timelines and write an in-toto Statement in a DSSE envelope "
        "signed with an Ed25519 key: the timelines' sha256, the policy pack files, config, "
        "the approvals that waived findings, every AI clip with its verdict and media hash. "
        "A locked verdict is refused (exit 1) unless --allow-lock.",
        "aigate attest cut.otio --stage final --key legal.key --output cut.intoto.json",
        usage="aigate attest PATH... --key KEY --output OUT [options]\n"
        "       aigate attest verify ENVELOPE [--timeline PATH...] [--media] "
        "[--trusted-keys PUB...]")
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
    attest.add_argument("--trusted-keys", nargs="+", type=Path, default=[], metavar="PUB",
                        help="verify: public keys trusted to sign attestations (default: "
                        "the --config's attestation_keys; approvers' trusted_keys never "
                        "sign attestations)")
    attest.add_argument("--timeline", nargs="+", type=Path, default=[], metavar="PATH",
                        help="verify: the timelines where they are now (matched by file "
                        "name; a name given twice or shared by two attested timelines is "
                        "refused)")
    attest.add_argument("--media", action="store_true",
                        help="verify: re-hash every clip's media and its XMP sidecars too")
    attest.add_argument("--require-stage", choices=STAGES, default="final",
                        help="verify: the lowest stage the attested check may have run at "
                        "(default: final)")
    attest.add_argument("--accept-lock", action="store_true",
                        help="verify: accept an attested lock verdict (--allow-lock)")
    attest.set_defaults(run=cmd_attest)



def _add_credentials(sub: Any) -> None:
    credentials = _subcommand(
        sub, "credentials", "add Content Credentials (C2PA) to a rendered deliverable",
        "Sign DELIVERABLE with a C2PA manifest saying what the cut holds: "
        "c2pa.created/c2pa.edited with the IPTC digital source type that fits, one "
        "ingredient per AI clip's media (its own manifest carried forward), and the "
        "attestation as the com.aigate.attestation assertion. The cut is always checked at "
        "stage final: refused (exit 1) when it is locked there.",
        "aigate credentials ep101.mp4 --from ep101.otio --cert chain.pem --key signer.key")
    credentials.add_argument("deliverable", type=Path, metavar="DELIVERABLE",
                             help="the rendered file (mp4, mov, wav, jpeg, png...)")
    credentials.add_argument("--from", dest="timeline", type=Path, required=True,
                             metavar="TIMELINE", help="the cut the deliverable was rendered "
                             "from")
    credentials.add_argument("--cert", type=Path, required=True,
                             help="signing certificate chain (PEM, leaf first)")
    credentials.add_argument("--key", type=Path, required=True,
                             help="the certificate's private key (PEM)")
    credentials.add_argument("--attestation", type=Path,
                             help="an attestation (aigate attest) to embed: verified first "
                             "(signed by an attestation key, attesting TIMELINE as it is)")
    credentials.add_argument("--trusted-keys", nargs="+", type=Path, default=[],
                             metavar="PUB", help="public keys trusted to sign the "
                             "attestation (besides the config's attestation_keys)")
    credentials.add_argument("--output", type=Path, help="write the signed file here "
                             "(default: DELIVERABLE with .c2pa before its suffix)")
    _gate_options(credentials)
    credentials.set_defaults(run=cmd_credentials)


def _add_plugins(sub: Any) -> None:
    plugins = _subcommand(
        sub, "plugins", "list loaded plugins and their hooks",
        "Every plugin loaded for PATH (built-ins, entry points, AIGATE_PLUGINS, the config's "
        "plugins:) with where it came from and the hooks it implements, and those that "
        "failed to load.", "aigate plugins --json")
    plugins.add_argument("--json", action="store_true",
                         help="print JSON (config, plugins, problems) instead of text")
    plugins.add_argument("--strict-plugins", action="store_true",
                         help="a plugin that fails to load is an error")
    _config_options(plugins)
    plugins.set_defaults(run=cmd_plugins)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``aigate`` with ``argv`` (default: the command line); returns an :class:`ExitCode`
    (or 128 + a signal's number)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return ExitCode.USAGE
    from .errors import AigateError, Terminated

    _terminate_by_exception()
    try:
        return args.run(args)
    except Terminated as exc:  # temporary outputs are gone by now
        print(f"aigate: {exc}", file=sys.stderr)
        return ExitCode.TERMINATED if exc.signum == 15 else 128 + exc.signum
    except AigateError as exc:
        if args.debug:
            raise
        print(f"aigate: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print("aigate: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:  # e.g. piped into head: stop writing, quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK
    except Exception as exc:  # a bug, not bad input: still one line unless --debug
        if args.debug:
            raise
        print(f"aigate: internal error: {type(exc).__name__}: {exc} (run with --debug for "
              "the traceback)", file=sys.stderr)
        return ExitCode.USAGE


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


def _options(args: argparse.Namespace) -> Any:
    """The run options the command line gives (each command has some of them)."""
    from .batch import Options

    if getattr(args, "stage", None):
        from .stage import validate

        validate(args.stage, "--stage")
    return Options(stage=getattr(args, "stage", None), policy=getattr(args, "policy", None),
                   approvals=getattr(args, "approvals", None),
                   config=getattr(args, "config", None), as_of=getattr(args, "as_of", None),
                   strict_plugins=getattr(args, "strict_plugins", False),
                   require_media=getattr(args, "require_media", False),
                   exclude=tuple(getattr(args, "exclude", ())))


def _session(args: argparse.Namespace, options: Any = None,
             warn: Callable[[str], None] | None = None) -> Any:
    """A session for these options (default: the command line's), telling its warnings to
    ``warn`` (default: stderr)."""
    from .batch import Session

    session = Session(options or _options(args), warn=warn or _warn)
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
        return ExitCode.INTERRUPTED
    if report.errors:
        if args.output or args.format != "text":  # the text report already lists them
            for problem in report.errors:
                print(f"aigate: {problem}", file=sys.stderr)
        return ExitCode.INPUT
    return gate_exit(report.summary.worst, args.fail_on)


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
    from .report import ReportOptions

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
    from .errors import UsageError
    from .gate import load_subject

    if args.output.resolve() == source.resolve():
        raise UsageError(f"OUT must be another file: {source} is never modified")
    session = _session(args)
    return session, session.gate(source), load_subject(session.plugins, source)


def cmd_annotate(args: argparse.Namespace) -> int:
    from .errors import UsageError
    from .gate import GateLocked
    from .model import Severity
    from .report import counts_in_words, printable

    session, gate, subject = _subject_to_export(args, args.input)
    target = args.output.suffix.lstrip(".").lower()
    try:
        results = gate.annotate(subject, target, stage=args.stage, path=args.input,
                                output=args.output)
    except GateLocked as exc:  # written into a final deliverables path: refused
        print(f"{exc}\n{args.output}: not written", file=sys.stderr)
        return ExitCode.GATE
    saved = session.plugins.hook.aigate_save_subject(
        subject=subject, path=args.output, track=args.track, allow_loss=args.allow_loss,
        protected=(args.input,))
    if not saved:
        raise UsageError(f"{args.output}: no host plugin can write this subject (none "
                         "implements aigate_save_subject for it)")
    for loss in saved.accepted_losses:
        _warn(f"--allow-loss: {loss}")
    written = ", ".join(printable(str(p)) for p in saved.written)
    for result in results:
        print(f"{written}: {printable(result.name)} [stage {result.stage}] annotated: "
              f"{counts_in_words(result.counts)}")
        for r in result.items:
            if r.verdict is not Severity.PASS and (args.track is None
                                                   or r.item.track == args.track):
                headline = r.headline.rule if r.headline else ""
                print(f"  {r.verdict.label.upper():<4} {printable(r.item.track)} "
                      f"\"{printable(r.item.clip)}\" {r.item.record_in}-{r.item.record_out} "
                      f"{headline}")
    return gate_exit(max((r.verdict for r in results), default=Severity.PASS), args.fail_on)


def cmd_render(args: argparse.Namespace) -> int:
    """The export gate at OUT's stage, then the host's renderer (hook ``aigate_render``)."""
    from .errors import UsageError
    from .gate import GateLocked
    from .report import printable

    session, gate, subject = _subject_to_export(args, args.project)
    try:
        results = gate.guard_export(subject, stage=args.stage, output=args.output)
    except GateLocked as exc:
        print(f"{exc}\n{args.output}: not rendered", file=sys.stderr)
        return ExitCode.GATE
    written = session.plugins.hook.aigate_render(subject=subject, path=args.project,
                                                 output=args.output,
                                                 args=list(args.renderer_args))
    if written is None:
        raise UsageError(f"{args.project}: no host plugin renders this project (none "
                         "implements aigate_render for it)")
    for result in results:
        print(f"{args.output}: rendered {printable(result.name)} [stage {result.stage}] "
              f"{result.verdict.label.upper()}")
    return ExitCode.OK


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
        return ExitCode.INTERRUPTED
    return ExitCode.INPUT if report.errors else ExitCode.OK


def cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import diagnose, fails_open

    checks = diagnose(_session(args), args.where or Path.cwd())
    for check in checks:
        status = "ok  " if check.ok else ("FAIL" if check.fails_open else "warn")
        print(f"{status} {check.name}: {check.detail}")
    failing = fails_open(checks)
    print("the gate would fail open here" if failing else "the gate is live")
    return ExitCode.GATE if failing else ExitCode.OK


def cmd_approvals_keygen(args: argparse.Namespace) -> int:
    from .signing import fingerprint, keygen_identity, public_key_from_text

    pair = keygen_identity(args.name, args.out, args.approver, args.role)
    print(f"private key: {pair.private} (mode 600: keep it with the approver, never in the "
          "repo)")
    print(f"public key:  {pair.public} "
          f"({fingerprint(public_key_from_text(pair.key, str(pair.public)))})")
    if pair.identity is not None:
        print(f"identity:    {pair.identity}")
    print("trust it in aigate.yaml:")
    print(f"  trusted_keys:\n    {pair.trusted_keys_entry()}")
    return ExitCode.OK


def cmd_approvals_sign(args: argparse.Namespace) -> int:
    from .approvals import sign_record_file
    from .signing import load_private_key

    key, warnings = load_private_key(args.key)
    for warning in warnings:
        _warn(warning)
    block = sign_record_file(args.record, key)
    print(f"{args.record}: signed ({block['key']})")
    return ExitCode.OK


def cmd_approvals_verify(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .approvals import verify_registry

    # the gate reads PATH as its registry; what it warns is held back, so that each
    # rejection is said once, in the record's line
    held: list[str] = []
    session = _session(args, replace(_options(args), approvals=args.path), warn=held.append)
    gate = session.gate(args.path)
    statuses, notes = verify_registry(gate.registry)
    for status in statuses:
        said = f"NOT HONOURED: {status.problem}" if status.problem else "ok"
        print(f"{status.record.source}: {status.record.id}: {said}")
    for note in [w for w in held if w not in gate.registry.warnings] + notes:
        _warn(note)
    failed = sum(s.problem is not None for s in statuses)
    signed = "required" if gate.policy.require_signed_approvals else "not required"
    print(f"{len(statuses)} record(s), {failed} not honoured "
          f"(signatures {signed} by policy {gate.policy.name}, "
          f"{len(gate.config.trusted_keys)} trusted key(s))")
    return ExitCode.GATE if failed else ExitCode.OK


def cmd_approvals_unused(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .approvals import unused_records

    # the registry under review, whatever the configs say
    session = _session(args, replace(_options(args), approvals=args.path))
    report = session.run(args.against)  # in this process: the registries record their use
    timelines = sum(1 for _ in report.results())
    for problem in report.errors:
        _warn(str(problem))
    gates = session.gates() or [session.gate(args.path)]
    stale, total = unused_records(g.registry for g in gates)
    for record in stale:
        print(f"{record.id}\t{record.source}")
    print(f"{len(stale)} of {total} record(s) waived nothing in {timelines} "
          "timeline(s)", file=sys.stderr)
    if report.errors:  # a timeline not checked could be the one a record waives
        return ExitCode.INPUT
    return ExitCode.GATE if stale else ExitCode.OK


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
        print(f"{rule.id:<{width}}  {levels:<23}  {rule.title}")
    return ExitCode.OK


def _in_force(setting: Any) -> str:
    """A dated rule's period, e.g. 'from 2026-07-01 until 2030-06-30'."""
    return " ".join(part for part in (
        f"from {setting.effective}" if setting.effective else "",
        f"until {setting.until}" if setting.until else "") if part)


def cmd_explain(args: argparse.Namespace) -> int:
    from .errors import UsageError

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
        print(f"severity:    {per_stage} (policy {gate.policy.name}); {waivable}")
        if setting.effective or setting.until:
            print(f"in force:    {_in_force(setting)}")
    else:
        print(f"severity:    off in policy {gate.policy.name}")
    print(f"resolve:     {rule.remediation}")
    return ExitCode.OK


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
    _refuse_output(args.output, [*args.paths, str(args.key)], {"json"})
    _refuse_output(args.register, [*args.paths, str(args.key), str(args.output)],
                   {"csv", "json"})
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
        return ExitCode.GATE
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
    return ExitCode.OK


def _attest_verify(args: argparse.Namespace) -> int:
    from .attest import trusted_keys, verify
    from .config import load_config
    from .errors import UsageError

    if len(args.paths) != 2:
        raise UsageError("usage: aigate attest verify ENVELOPE [--timeline PATH...] "
                         "[--media] [--trusted-keys PUB...] [--require-stage STAGE] "
                         "[--accept-lock]")
    keys = trusted_keys(args.trusted_keys)
    if not keys and args.config:
        config = load_config(args.config)
        keys = list(config.attestation_keys)
        if not keys and config.trusted_keys:
            raise UsageError(f"attest verify: {args.config} has no attestation_keys; its "
                             "trusted_keys are approvers' keys and never verify an "
                             "attestation")
    if not keys:
        raise UsageError("attest verify: no trusted keys (give --trusted-keys PUB... or "
                         "--config with attestation_keys)")
    path = Path(args.paths[1])
    result = verify(path, keys, args.timeline, args.media)
    if result.signer is None:
        print(f"{path}: NOT VERIFIED: {result.problem}")
        return ExitCode.GATE
    print(f"{path}: signature ok ({result.signer.fingerprint}, {result.signer.identity})")
    print(f"  verdict {result.verdict}, stage {result.stage or 'unknown'}, as of "
          f"{result.predicate.get('as_of', 'unknown')}, lock_allowed "
          f"{str(result.lock_allowed).lower()}")
    for change in result.changes:
        print(f"  CHANGED {change}")
    print(f"{result.checked} file(s) checked, {len(result.changes)} changed")
    problem = result.decision_problem(args.require_stage, args.accept_lock)
    if problem:
        print(f"{path}: NOT ACCEPTED: {problem}")
        return ExitCode.GATE
    if result.verdict == "lock":
        print(f"{path}: a lock verdict accepted (--accept-lock)")
    return ExitCode.OK if result.ok else ExitCode.GATE


def cmd_credentials(args: argparse.Namespace) -> int:
    """Content Credentials on a rendered deliverable, from the cut it was rendered from."""
    import tempfile

    from .attest import embeddable, trusted_keys
    from .errors import UsageError
    from .gate import GateLocked, load_subject

    if args.stage and args.stage != "final":
        # a deliverable is a final deliverable: a lower stage would sign a cut locked at final
        raise UsageError(f"--stage {args.stage}: credentials always check the cut at stage "
                         "final (the deliverable is final); drop --stage")
    session = _session(args)
    output = args.output or args.deliverable.with_name(
        f"{args.deliverable.stem}.c2pa{args.deliverable.suffix}")
    inputs = [args.deliverable, args.timeline, args.cert, args.key,
              *([args.attestation] if args.attestation else []), *args.trusted_keys]
    _refuse_output(output, [str(p) for p in inputs], set())
    if output.suffix.lower().lstrip(".") in session.timeline_suffixes():
        raise UsageError(f"--output {output}: a timeline's suffix; the signed deliverable "
                         "is media (mp4, mov, wav, jpeg, png...)")
    gate = session.gate(args.timeline)
    results = gate.check(load_subject(session.plugins, args.timeline), stage="final",
                         path=args.timeline)
    locked = [r for r in results if r.locked()]
    if locked:
        print(f"aigate: {args.deliverable}: no credentials: the cut is locked at stage final\n"
              f"{GateLocked(locked)}", file=sys.stderr)
        return ExitCode.GATE
    with tempfile.TemporaryDirectory(prefix="aigate-attestation-") as folder:
        attestation = None
        if args.attestation is not None:
            # verified, then embedded from the bytes verified (not re-read from its path)
            data = embeddable(args.attestation, [*trusted_keys(args.trusted_keys),
                                                 *gate.config.attestation_keys],
                              args.timeline)
            attestation = Path(folder) / args.attestation.name
            attestation.write_bytes(data)
        written = session.plugins.hook.aigate_stamp_credentials(
            deliverable=args.deliverable, results=results, gate=gate, cert=args.cert,
            key=args.key, output=output, attestation=attestation, timeline=args.timeline)
    if written is None:
        raise UsageError("no plugin writes Content Credentials here: "
                         "pip install 'aigate[c2pa]' (c2pa-python)")
    print(f"{written.path}: signed ({written.source_type}, {written.ingredients} "
          f"ingredient(s){', attestation embedded' if written.attested else ''})")
    return ExitCode.OK


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
    return ExitCode.USAGE if error else ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
