"""``aigate doctor`` and ``aigate plugins``: is the gate live here, and with what."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from aigate.cli.common import (
    _config_options,
    _session,
    _subcommand,
)
from aigate.run.exitcodes import ExitCode


def _add_doctor(sub: Any) -> None:
    doctor = _subcommand(
        sub, "doctor", "is the gate live here (plugins, policy, hooks)?",
        "Say which aigate.yaml governs PATH and whether the gate would run for files there: "
        "the policy, the plugins, the host integrations. Exit code 1 when material could "
        "pass unchecked.", "aigate doctor cuts/ep101_cut_v12.otio")
    _config_options(doctor)
    doctor.set_defaults(run=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    from aigate.run.doctor import diagnose, fails_open

    checks = diagnose(_session(args), args.where or Path.cwd())
    for check in checks:
        status = "ok  " if check.ok else ("FAIL" if check.fails_open else "warn")
        print(f"{status} {check.name}: {check.detail}")
    failing = fails_open(checks)
    print("the gate would fail open here" if failing else "the gate is live")
    return ExitCode.GATE if failing else ExitCode.OK


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


def cmd_plugins(args: argparse.Namespace) -> int:
    import json

    from aigate.errors import AigateError

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

