"""Write docs/cli.md from the command line's own parser: python docs/make_cli_reference.py

The reference is the parser's --help text, so it cannot drift from the commands; a test
fails when a command changed and this was not run."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HEAD = """\
# Command reference

Every command takes `--debug` (show tracebacks) and prints this text under `--help`. Inputs are
never modified; every file a command writes is written atomically. This page is written by
`python docs/make_cli_reference.py` from the commands themselves.

## Exit codes

`aigate.ExitCode` (an `IntEnum`, like pytest's), the same for every command:

| code | name | meaning |
|---|---|---|
| 0 | `OK` | nothing at or above `--fail-on`; every file checked |
| 1 | `GATE` | a lock (or `--fail-on warn` reached); `doctor`: the gate would fail open; `approvals verify`: a record not honoured; `approvals unused`: stale records |
| 2 | `USAGE` | a usage or input error (`INPUT` is the same code): a bad option, a file that could not be checked |
| 130 | `INTERRUPTED` | Ctrl-C; files not checked are counted |
| 143 | `TERMINATED` | SIGTERM (SIGHUP gives 129); outputs being written are removed |
"""


def reference() -> str:
    """The page: the exit codes, then each command's and each subcommand's --help."""
    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal: the page does not vary
    from aigate.cli import build_parser

    parser = build_parser()
    parts = [HEAD]

    def add(name: str, command: argparse.ArgumentParser) -> None:
        text = command.format_help().rstrip()
        parts.append(f"\n## `aigate {name}`\n\n```\n{text}\n```\n")
        for action in command._actions:
            if action.dest.endswith("_command") and action.choices:
                for sub, subcommand in action.choices.items():
                    add(f"{name} {sub}", subcommand)
        # a subcommand a parser dispatches itself (attest verify: attest takes PATHs too)
        for sub, subcommand in getattr(command, "subcommands", {}).items():
            add(f"{name} {sub}", subcommand)

    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name, command in commands.items():
        add(name, command)
    return "".join(parts)


if __name__ == "__main__":
    target = Path(__file__).resolve().parent / "cli.md"
    target.write_text(reference())
    sys.stdout.write(f"{target.name}: written\n")
