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
    sign.add_argument("records", nargs="+", type=Path, metavar="RECORD",
                      help="record files (YAML, one record each)")
    sign.add_argument("--key", type=Path, required=True, help="the approver's private key")
    sign.set_defaults(run=cmd_approvals_sign)
    listing = _subcommand(
        asub, "list", "every record with its status, approver, dates and scope",
        "List every record of the registry (the config's approvals:, or --approvals) with "
        "its status: valid, expired, not_yet_valid, unsigned, bad_signature or rejected; "
        "with --against, a valid record that waived nothing in those timelines is unused.",
        "aigate approvals list --format json --against cuts/")
    _gate_options(listing)
    listing.add_argument("--format", choices=("text", "json"), default="text",
                         help="text (default) or json")
    listing.add_argument("--against", nargs="+", default=[], metavar="TIMELINE",
                         help="timeline files, folders or globs: mark records that waive "
                         "nothing in them as unused")
    listing.set_defaults(run=cmd_approvals_list)
    request = _subcommand(
        asub, "request", "draft an approval record per finding an approval could waive",
        "Check TIMELINE and write, into --output, one unsigned draft record (YAML) per "
        "finding a written approval could waive: what it would grant, a scope pinned to "
        "the clip's media by sha256 and named by clip, and the finding as evidence. Legal "
        "fills in approver, dates and conditions, then signs it.",
        "aigate approvals request cuts/ep101.otio --stage final --output requests/")
    request.add_argument("paths", nargs="+", metavar="TIMELINE",
                         help="timeline files, folders or globs")
    _gate_options(request)
    request.add_argument("--output", type=Path, required=True, metavar="DIR",
                         help="folder for the drafts (made if missing; an existing draft "
                         "is never overwritten)")
    request.set_defaults(run=cmd_approvals_request)
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
    if pair.approver is not None:
        print("trust it in aigate.yaml:")
        print(f"  trusted_keys:\n    {pair.trusted_keys_entry()}")
        return ExitCode.OK
    # no approver: a key for 'aigate attest'; approvers' keys take --approver NAME
    print("trust it to sign attestations (aigate attest --key) in aigate.yaml:")
    print(f"attestation_keys:\n  {pair.attestation_keys_entry()}")
    print("(a key for signing approval records: run again with --approver NAME)")
    return ExitCode.OK


def sign_record_file(path: Path, key: Any) -> dict[str, str]:
    """Sign the one record in ``path`` with the private ``key`` and write the signature into
    the file, keeping the rest of its text (comments included) as it was; an earlier
    signature is replaced. A file that is not one valid record is refused, unchanged.
    (Here, not in the registry's reader: the command writes, the core only reads.)"""
    import re

    from aigate.config.yamlfile import Section, load
    from aigate.core.approvals import parse_record
    from aigate.errors import UsageError
    from aigate.output.files import atomic_text
    from aigate.trust import signing

    data = load(path)
    if not isinstance(data, dict):
        raise UsageError(f"{path}: sign one record per file (this file holds "
                         f"{'a list' if isinstance(data, list) else 'no record'})")
    parse_record(Section(path, data))  # a record that would not load is not signed
    block = signing.sign(data, key)
    text = path.read_text(encoding="utf-8")
    key_name = signing.SIGNATURE_KEY
    text = re.sub(rf"(?ms)^{key_name}:.*?(?=^\S|\Z)", "", text).rstrip("\n")
    with atomic_text(path) as handle:
        handle.write(f"{text}\n{key_name}:\n  key: {block['key']}\n"
                     f"  value: {block['value']}\n")
    return block


def cmd_approvals_sign(args: argparse.Namespace) -> int:
    from aigate.errors import AigateError
    from aigate.trust.signing import load_private_key

    key, warnings = load_private_key(args.key)
    for warning in warnings:
        _warn(warning)
    failed = 0
    for record in args.records:  # one bad record never stops the others
        try:
            block = sign_record_file(record, key)
        except AigateError as exc:
            failed += 1
            print(f"aigate: {exc}", file=sys.stderr)
            continue
        print(f"{record}: signed ({block['key']})")
    return ExitCode.INPUT if failed else ExitCode.OK


def cmd_approvals_list(args: argparse.Namespace) -> int:
    import json
    from dataclasses import replace

    from aigate.core.approvals import Approval, record_status, scope_summary

    options = _options(args)
    session = _session(args, replace(options, approvals=args.approvals)
                       if args.approvals else options)
    gate = session.gate(args.approvals or Path.cwd())
    used: set[str] | None = None
    if args.against:
        report = session.run(args.against)  # in this process, so the use is recorded
        for _ in report.results():  # check them all: the registry records what it waived
            pass
        for problem in report.errors:
            _warn(str(problem))
        used = set().union(*(g.registry.used for g in session.gates()))
    rows = []
    for record in sorted(gate.registry.records(), key=lambda r: r.id):
        status = record_status(gate.registry, record, gate.as_of)
        if used is not None and status == "valid" and record.id not in used:
            status = "unused"
        rows.append({
            "id": record.id, "kind": "approval" if isinstance(record, Approval) else "consent",
            "status": status,
            "approver": record.approver if isinstance(record, Approval) else "",
            "issued": str(record.validity.issued or ""),
            "expires": str(record.validity.expires or ""),
            "signed_by": gate.registry.signers.get(record.id, ""),
            "scope": scope_summary(record), "source": str(record.source)})
    if args.format == "json":
        json.dump({"as_of": str(gate.as_of), "registry": gate.registry.origin,
                   "records": rows}, sys.stdout, indent=1)
        print()
    else:
        for row in rows:
            dates = f"{row['issued'] or '-'} to {row['expires'] or '-'}"
            print(f"{row['id']}  {row['kind']}  {row['status'].upper()}  "
                  f"{row['approver'] or '-'}  {dates}  {row['scope']}")
        print(f"{len(rows)} record(s) in {gate.registry.origin or 'no registry'}, as of "
              f"{gate.as_of}", file=sys.stderr)
    return ExitCode.OK


def cmd_approvals_request(args: argparse.Namespace) -> int:
    from aigate.output.drafts import drafts
    from aigate.output.files import atomic_text

    session = _session(args)
    report = session.run(args.paths)
    written, kept = 0, 0
    args.output.mkdir(parents=True, exist_ok=True)
    for result in report.results():
        for draft in drafts(result, session.gate(result.path)):
            target = args.output / f"{draft.id}.yaml"
            if target.exists():  # an earlier draft may already be in legal's hands
                kept += 1
                continue
            with atomic_text(target) as handle:
                handle.write(draft.text())
            written += 1
            print(f"{target}: {draft.rule} for {draft.track} \"{draft.clip}\" "
                  f"{draft.record_in}-{draft.record_out}"
                  + ("" if draft.media_sha256 else f" (media not pinned: {draft.unhashed})"))
    for problem in report.errors:
        _warn(str(problem))
    print(f"{written} draft(s) written to {args.output}"
          + (f", {kept} already there (kept)" if kept else ""), file=sys.stderr)
    return ExitCode.INPUT if report.errors else ExitCode.OK


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
