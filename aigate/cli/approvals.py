"""``aigate approvals``: keys, signing, verifying and stale records of the approvals registry."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from aigate.cli.common import (
    _gate_options,
    _options,
    _session,
    _subcommand,
    _warn,
)
from aigate.run.exitcodes import ExitCode


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


def cmd_approvals_keygen(args: argparse.Namespace) -> int:
    from aigate.trust.signing import fingerprint, keygen_identity, public_key_from_text

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
    from aigate.core.approvals import sign_record_file
    from aigate.trust.signing import load_private_key

    key, warnings = load_private_key(args.key)
    for warning in warnings:
        _warn(warning)
    block = sign_record_file(args.record, key)
    print(f"{args.record}: signed ({block['key']})")
    return ExitCode.OK


def cmd_approvals_verify(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from aigate.core.approvals import verify_registry

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

    from aigate.core.approvals import unused_records

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
