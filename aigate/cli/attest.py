"""``aigate attest``: a signed record of the gate's decision, and its verification."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aigate.cli.common import (
    _gate_options,
    _refuse_output,
    _session,
    _subcommand,
    _warn,
)
from aigate.model import STAGES
from aigate.run.exitcodes import ExitCode


class _AttestParser(argparse.ArgumentParser):
    """``aigate attest``: ``verify`` as the first word after ``attest`` is the subcommand
    (its own parser, options and help); anything else is a timeline, so one named
    ``verify`` is attested as ``aigate attest ./verify`` or with ``verify`` after any other
    argument."""

    verify: argparse.ArgumentParser

    @property
    def subcommands(self) -> dict[str, argparse.ArgumentParser]:
        """The subcommands reached by their first word (the command reference lists them)."""
        return {"verify": self.verify}

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None) -> Any:
        given = list(sys.argv[1:] if args is None else args)
        if given[:1] == ["verify"]:
            return self.verify.parse_known_args(given[1:], namespace)
        return super().parse_known_args(given, namespace)


def _add_attest(sub: Any) -> None:
    attest = _subcommand(
        sub, "attest", "sign a record of the gate's decision (in-toto, DSSE); "
        "'attest verify ENVELOPE' checks one",
        "Check the timelines and write an in-toto Statement in a DSSE envelope "
        "signed with an Ed25519 key: the timelines' sha256, the policy pack files, config, "
        "the approvals that waived findings, every AI clip with its verdict and media hash. "
        "A locked verdict is refused (exit 1) unless --allow-lock. 'aigate attest verify "
        "ENVELOPE' checks an attestation (see 'aigate attest verify --help'); a timeline "
        "named verify is given as ./verify.",
        "aigate attest cut.otio --stage final --key legal.key --output cut.intoto.json",
        usage="aigate attest PATH... --key KEY --output OUT [options]\n"
        "       aigate attest verify ENVELOPE [--timeline PATH...] [--media] "
        "[--trusted-keys PUB...]")
    attest.__class__ = _AttestParser
    assert isinstance(attest, _AttestParser)
    attest.add_argument("paths", nargs="+", metavar="PATH", help="timeline files")
    _gate_options(attest)
    attest.add_argument("--key", type=Path, help="Ed25519 private key (PEM), e.g. from "
                        "'aigate approvals keygen'")
    attest.add_argument("--output", type=Path, help="the envelope file to write")
    attest.add_argument("--allow-lock", action="store_true",
                        help="attest a locked verdict (the attestation says so)")
    attest.add_argument("--backdate", action="store_true",
                        help="with --as-of a past date: attest a pass that today's rules "
                        "would lock (the statement and 'attest verify' say so)")
    attest.add_argument("--register", type=Path, metavar="FILE",
                        help="also write the disclosure register of the same check, its "
                        "companion (.csv or .json)")
    attest.set_defaults(run=cmd_attest)
    # its own parser, reached through _AttestParser (a subparsers action here would take
    # every first PATH for a subcommand name)
    verify = _subcommand(
        argparse.ArgumentParser(prog="aigate attest", add_help=False).add_subparsers(),
        "verify", "check an attestation",
        "Check an attestation (an envelope, or the one a deliverable's Content Credentials "
        "carry): its signature by a trusted key, then that every file it names still hashes "
        "as attested (the timelines, where --timeline says they are now; with --media every "
        "clip's media and the sidecars beside it too), then the attested decision: the stage "
        "it ran at and whether it attested a lock. Exit 0 when it holds, 1 when it does not.",
        "aigate attest verify cut.intoto.json --trusted-keys keys/conform.pub --media",
        usage="aigate attest verify ENVELOPE [--trusted-keys PUB...] [--timeline PATH...] "
        "[--media] [options]")
    verify.add_argument("envelope", type=Path, metavar="ENVELOPE",
                        help="the attestation (a DSSE envelope, as 'aigate attest' writes), "
                        "or a deliverable whose credentials carry one")
    verify.add_argument("--trusted-keys", nargs="+", type=Path, default=[], metavar="PUB",
                        help="public keys trusted to sign attestations (default: the "
                        "--config's attestation_keys; approvers' trusted_keys never sign "
                        "attestations)")
    verify.add_argument("--config", type=Path,
                        help="aigate.yaml whose attestation_keys are trusted, and whose "
                        "folder is the show root when the attested one is not here")
    verify.add_argument("--root", type=Path, metavar="DIR",
                        help="the show root here (the folder of the aigate.yaml the "
                        "record's paths are relative to; default: where it was attested if "
                        "that exists, else the --config's folder, else the aigate.yaml "
                        "above the current folder)")
    verify.add_argument("--sidecar", type=Path, metavar="ENVELOPE",
                        help="for a deliverable: the full attestation the studio kept, "
                        "checked against the digest the deliverable's credentials carry")
    verify.add_argument("--timeline", nargs="+", type=Path, default=[], metavar="PATH",
                        help="the timelines where they are now (matched by file name; a "
                        "name given twice or shared by two attested timelines is refused)")
    verify.add_argument("--media", action="store_true",
                        help="re-hash every clip's media and the sidecars beside it too")
    verify.add_argument("--require-stage", choices=STAGES, default="final",
                        help="the lowest stage the attested check may have run at "
                        "(default: final)")
    verify.add_argument("--accept-lock", action="store_true",
                        help="accept an attested lock verdict (--allow-lock)")
    # what the plugins and built-in packs are loaded with: the defaults a check has
    verify.set_defaults(run=cmd_attest_verify, stage=None, policy=None, approvals=None,
                        as_of=None, strict_plugins=False, require_media=False)
    attest.verify = verify


def cmd_attest(args: argparse.Namespace) -> int:
    """Write a signed attestation of the check (:func:`cmd_attest_verify` checks one)."""
    import json

    from aigate.cli.credentials import backdating, builtin_packs
    from aigate.errors import UsageError
    from aigate.model import Severity
    from aigate.output.attest import Checked, envelope, statement
    from aigate.output.evidence import read_once, unchanged
    from aigate.output.files import atomic_text
    from aigate.trust.signing import load_private_key

    if args.key is None or args.output is None:
        raise UsageError("attest needs --key KEY and --output FILE")
    _refuse_output(args.output, [*args.paths, str(args.key)])
    _refuse_output(args.register, [*args.paths, str(args.key), str(args.output)])
    key, warnings = load_private_key(args.key)
    for warning in warnings:
        _warn(warning)
    session = _session(args)
    checked = []
    for text in args.paths:
        path = Path(text)
        # the verdict is bound to the bytes hashed: a file swapped in meanwhile is refused
        read = read_once(path)
        checked.append(Checked(path, tuple(session.check_file(path)), session.gate(path),
                               read.digest))
        unchanged(path, read)
    as_of = checked[0].gate.as_of if checked else dt.date.today()
    backdated = backdating(args, checked, as_of)
    if isinstance(backdated, str):
        print(f"aigate: {args.output}: not written: {backdated}", file=sys.stderr)
        return ExitCode.GATE
    doc = statement(checked, args.stage, as_of, args.allow_lock, backdated=backdated,
                    builtins=builtin_packs(session))
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
        from aigate.output.register import entries, register

        companion = register((entry for c in checked for result in c.results
                              for entry in entries(result, c.gate)), args.stage)
        kind = "json" if args.register.suffix.lower() == ".json" else "csv"
        with atomic_text(args.register, errors="backslashreplace") as handle:
            session.register_formats()[kind].write(companion, handle)
    summary = doc["predicate"]["summary"]
    print(f"{args.output}: attested {len(doc['subject'])} file(s), {summary['timelines']} "
          f"timeline(s), {summary['ai']} AI clip(s), verdict {doc['predicate']['verdict']}"
          + (" (lock allowed)" if doc["predicate"]["lock_allowed"] else "")
          + f", signed at {doc['predicate']['signed_at']}"
          + (f", BACKDATED to {as_of}" if backdated else ""))
    return ExitCode.OK


def cmd_attest_verify(args: argparse.Namespace) -> int:
    """``aigate attest verify ENVELOPE``: the signature, the files, the decision."""
    from aigate.cli.credentials import (
        attestation_of,
        builtin_packs,
        is_deliverable,
        verify_root,
    )
    from aigate.config import load_config
    from aigate.errors import UsageError
    from aigate.output.attest import trusted_keys, verify

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
    path = args.envelope
    data = None
    if is_deliverable(path):  # media: verify the attestation its credentials carry
        data = attestation_of(args, path)
        if data is None:
            return ExitCode.GATE
    result = verify(path, keys, args.timeline, args.media, root=args.root,
                    fallback=verify_root(args), builtins=builtin_packs(_session(args)),
                    data=data)
    if result.signer is None:
        print(f"{path}: NOT VERIFIED: {result.problem}")
        return ExitCode.GATE
    print(f"{path}: signature ok ({result.signer.fingerprint}, {result.signer.identity})")
    print(f"  verdict {result.verdict}, stage {result.stage or 'unknown'}, as of "
          f"{result.predicate.get('as_of', 'unknown')}, signed at {result.signed_at}, "
          f"lock_allowed {str(result.lock_allowed).lower()}")
    if result.backdated:
        print(f"  BACKDATED: checked as of {result.backdated.get('as_of')}; today's rules "
              f"give {result.backdated.get('today_verdict')} (rules that differ: "
              f"{', '.join(map(str, result.backdated.get('rules_that_differ') or ())) or 'none'})")
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
