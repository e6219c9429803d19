"""The ``aigate`` command: it parses arguments and prints; the work is the library's.

Imports stay inside the commands so --help and --version are fast. Exit codes are
:class:`aigate.run.exitcodes.ExitCode`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from aigate.cli.approvals import _add_approvals
from aigate.cli.attest import _add_attest
from aigate.cli.check import _add_check, _add_register
from aigate.cli.credentials import _add_credentials
from aigate.cli.export import _add_annotate, _add_render
from aigate.cli.health import _add_doctor, _add_plugins
from aigate.cli.init import _add_init
from aigate.cli.rules import _add_explain, _add_rules
from aigate.run.exitcodes import ExitCode

#: each subcommand and the function that adds it, in the order --help lists them
_COMMANDS = {"check": _add_check, "annotate": _add_annotate, "render": _add_render,
             "register": _add_register, "init": _add_init, "doctor": _add_doctor,
             "approvals": _add_approvals, "rules": _add_rules, "explain": _add_explain,
             "attest": _add_attest, "credentials": _add_credentials, "plugins": _add_plugins}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser: one ``_add_*`` function per subcommand, so a new one is one more line.
    With ``command``, only that subcommand is built (a run of one command does not build
    the other eleven's arguments); with None or a name that is not one, all of them."""
    parser = argparse.ArgumentParser(
        prog="aigate", description="Check generative-AI material in timelines against the "
        "studio's GenAI policy.", epilog="exit codes: 0 ok, 1 lock (or --fail-on reached), "
        "2 usage or input error, 130 interrupted, 143 terminated; "
        "'aigate COMMAND --help' for each command")
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="show program's version number and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in [_COMMANDS[command]] if command in _COMMANDS else _COMMANDS.values():
        add(sub)
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` runs when only that one's parser may be built: its first
    word, after --debug only. Any other option before it (-h or --help, which lists every
    command; an abbreviation; ``--``) and the whole parser answers, as it always did."""
    for word in argv:
        if word != "--debug":
            return word if not word.startswith("-") else None
    return None


class _Version(argparse.Action):
    """--version, read only when asked: the version comes from the installed package's
    metadata, which every other run would pay for at start-up."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        from aigate import __version__

        print(f"aigate {__version__}")  # on stdout, as argparse's own version action
        parser.exit()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``aigate`` with ``argv`` (default: the command line); returns an :class:`ExitCode`
    (or 128 + a signal's number)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return ExitCode.USAGE
    from aigate.errors import AigateError, Terminated

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

    from aigate.errors import Terminated

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


if __name__ == "__main__":
    sys.exit(main())
