"""``aigate credentials``: Content Credentials on a rendered deliverable."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from aigate.cli.common import (
    _gate_options,
    _refuse_output,
    _session,
    _subcommand,
)
from aigate.run.exitcodes import ExitCode


def _add_credentials(sub: Any) -> None:
    credentials = _subcommand(
        sub, "credentials", "add Content Credentials (C2PA) to a rendered deliverable",
        "Sign DELIVERABLE with a C2PA manifest saying what the cut holds: "
        "c2pa.created/c2pa.edited with the IPTC digital source type that fits, one "
        "ingredient per AI clip's media (its own manifest carried forward, placed by a "
        "c2pa.placed action), existing credentials kept as the parent, and a public record "
        "(verdict, policy name and hash, counts, the attestation's sha256; c2pa.disclose: "
        "full adds the rest). 'credentials show FILE' prints them. The cut is always checked at "
        "stage final: refused (exit 1) when it is locked there.",
        "aigate credentials ep101.mp4 --from ep101.otio --cert chain.pem --key signer.key",
        usage="aigate credentials DELIVERABLE --from TIMELINE --cert PEM --key PEM "
        "[options]\n       aigate credentials show DELIVERABLE [--config aigate.yaml]")
    credentials.add_argument("deliverable", type=Path, nargs="+", metavar="DELIVERABLE",
                             help="the rendered file (mp4, mov, wav, jpeg, png...); "
                             "'show DELIVERABLE' prints the credentials it carries")
    credentials.add_argument("--from", dest="timeline", type=Path,
                             metavar="TIMELINE", help="the cut the deliverable was rendered "
                             "from")
    credentials.add_argument("--cert", type=Path,
                             help="signing certificate chain (PEM, leaf first)")
    credentials.add_argument("--key", type=Path,
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


def cmd_credentials(args: argparse.Namespace) -> int:
    """Content Credentials on a rendered deliverable, from the cut it was rendered from."""
    import tempfile

    from aigate.core.gate import GateLocked, load_subject
    from aigate.errors import UsageError
    from aigate.output.attest import embeddable, trusted_keys

    if str(args.deliverable[0]) == "show":
        return _show(args)
    if len(args.deliverable) != 1:
        raise UsageError("credentials signs one DELIVERABLE ('credentials show FILE' "
                         "prints a deliverable's credentials)")
    args.deliverable = args.deliverable[0]
    missing = [flag for flag, value in (("--from TIMELINE", args.timeline),
                                        ("--cert PEM", args.cert), ("--key PEM", args.key))
               if value is None]
    if missing:
        raise UsageError(f"credentials needs {', '.join(missing)}")
    if args.stage and args.stage != "final":
        # a deliverable is a final deliverable: a lower stage would sign a cut locked at final
        raise UsageError(f"--stage {args.stage}: credentials always check the cut at stage "
                         "final (the deliverable is final); drop --stage")
    session = _session(args)
    output = args.output or args.deliverable.with_name(
        f"{args.deliverable.stem}.c2pa{args.deliverable.suffix}")
    inputs = [args.deliverable, args.timeline, args.cert, args.key,
              *([args.attestation] if args.attestation else []), *args.trusted_keys]
    _refuse_output(output, [str(p) for p in inputs])
    if output.suffix.lower().lstrip(".") in session.timeline_suffixes():
        raise UsageError(f"--output {output}: a timeline's suffix; the signed deliverable "
                         "is media (mp4, mov, wav, jpeg, png...)")
    gate = session.gate(args.timeline)
    results = gate.check(load_subject(session.plugins, args.timeline,
                                      gate.config.rate_for(getattr(args, "rate", None))),
                         stage="final",
                         path=args.timeline)
    locked = [r for r in results if r.locked()]
    if locked:
        print(f"aigate: {args.deliverable}: no credentials: the cut is locked at stage final\n"
              f"{GateLocked(locked)}", file=sys.stderr)
        return ExitCode.GATE
    from aigate.output.attest import Checked

    # a past --as-of never signs a pass today's rules would lock (no backdating here)
    refused = backdating(args, [Checked(args.timeline, tuple(results), gate)], gate.as_of)
    if isinstance(refused, str):
        print(f"aigate: {args.deliverable}: no credentials: {refused}", file=sys.stderr)
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
    for warning in written.warnings:
        print(f"aigate: warning: {written.path}: {warning}", file=sys.stderr)
    print(f"{written.path}: signed ({written.source_type}, {written.ingredients} "
          f"ingredient(s){', existing credentials kept as parent' if written.parent_kept else ''}"
          f"{', attestation digest embedded' if written.attested else ''}) at "
          f"{written.signed_at}"
          + (" (time-stamped)" if written.time_stamped else " (no time-stamp)"))
    return ExitCode.OK


def read_credentials(args: argparse.Namespace, path: Path) -> Any:
    """The credentials ``path`` carries, read with the config's trust anchors."""
    from aigate.errors import UsageError

    session = _session(args)
    gate = session.gate(path)
    found = session.plugins.hook.aigate_read_credentials(path=path, config=gate.config)
    if found is None:
        raise UsageError("no plugin reads Content Credentials here: "
                         "pip install 'aigate[c2pa]' (c2pa-python)")
    return found


def _show(args: argparse.Namespace) -> int:
    """``credentials show FILE``: signer, time, AI disclosure, verdict, ingredients."""
    import json

    from aigate.errors import UsageError

    if len(args.deliverable) != 2:
        raise UsageError("usage: aigate credentials show DELIVERABLE [--config aigate.yaml]")
    path = args.deliverable[1]
    found = read_credentials(args, path)
    print(f"{path}: Content Credentials {found.validation}"
          + (f" ({', '.join(found.codes)})" if found.codes else ""))
    if found.explanation:
        print(f"  {found.explanation}")
    print(f"  signer: {found.signer or 'unknown'}"
          + (f" (issued by {found.issuer})" if found.issuer else ""))
    print(f"  signed: {found.signed_at or 'unknown'} "
          + ("(time-stamped)" if found.time_stamped else "(no time-stamp: the time is the "
             "signer's own statement)"))
    print(f"  AI disclosure: {found.source_type or 'none'}")
    record = json.loads(found.record) if found.record else None
    if isinstance(record, dict):
        policy = record["policy"] if isinstance(record.get("policy"), dict) else {}
        counts = record["counts"] if isinstance(record.get("counts"), dict) else {}
        print(f"  aigate verdict: {record.get('verdict')} at stage {record.get('stage')}, "
              f"policy {policy.get('name')} (sha256 {str(policy.get('sha256'))[:16]}…), "
              + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if record.get("attestation_sha256"):
            print(f"  attestation: sha256 {record['attestation_sha256']}"
                  + (" (embedded)" if found.attestation else " (the studio's sidecar)"))
    else:
        print("  aigate verdict: none recorded")
    for ingredient in found.ingredients:
        print(f"  ingredient: {ingredient.title} ({ingredient.relationship}"
              + (f", {ingredient.source_type}" if ingredient.source_type else "") + ")")
    return ExitCode.OK if found.validation in ("Valid", "Trusted") else ExitCode.GATE


def builtin_packs(session: Any) -> dict[str, Path]:
    """The built-in policy packs by name (a record names them so: they live wherever
    aigate is installed)."""
    packs: dict[str, Path] = {}
    for answer in session.plugins.hook.aigate_policy_packs():
        packs.update(answer or {})
    return packs


def backdating(args: argparse.Namespace, checked: Any, as_of: Any) -> Any:
    """None when the check may be signed as it is; a :class:`Backdated` when ``--as-of`` is
    a past date whose pass today's rules would lock and ``--backdate`` says to sign it
    anyway; else why it is refused (naming the rules that differ)."""
    import datetime as dt
    from dataclasses import replace

    from aigate.cli.common import _options
    from aigate.core.gate import load_subject
    from aigate.model import Severity
    from aigate.output.attest import Backdated, rules_in_force

    today = dt.date.today()
    if as_of >= today:
        return None
    now = _session(args, replace(_options(args), as_of=None), warn=lambda message: None)
    locks: list[Path] = []
    differ: set[str] = set()
    for entry in checked:
        was = max((r.verdict for r in entry.results), default=Severity.PASS)
        gate = now.gate(entry.path)
        # at the stage it was checked at (credentials: always final)
        stage = entry.results[0].stage if entry.results else None
        results = gate.check(load_subject(now.plugins, entry.path), stage=stage,
                             path=entry.path)
        verdict = max((r.verdict for r in results), default=Severity.PASS)
        differ |= rules_in_force(gate, as_of) ^ rules_in_force(gate, today)
        if verdict is Severity.LOCK and was is not Severity.LOCK:
            locks.append(entry.path)
    if not locks:
        return None
    rules = tuple(sorted(differ))
    if getattr(args, "backdate", False):
        return Backdated(as_of, rules, Severity.LOCK.label)
    return (f"--as-of {as_of}: today's rules lock {', '.join(map(str, locks))} "
            f"(rules that differ between {as_of} and {today}: "
            f"{', '.join(rules) or 'none; the approvals or data differ'}); a past date "
            "never signs a pass today's rules would lock"
            + (" (--backdate to sign it as a backdated record)"
               if hasattr(args, "backdate") else ""))


def is_deliverable(path: Path) -> bool:
    """Whether ``path`` is media rather than a JSON envelope (by its first byte)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(64).lstrip()
    except OSError:
        return False
    return not head.startswith(b"{")


def verify_root(args: argparse.Namespace) -> Path:
    """The show root here, for a record's relative names: the --config's folder, else the
    aigate.yaml found from the current folder up, else the current folder."""
    from aigate.config import find_config

    config = getattr(args, "config", None) or find_config(Path.cwd())
    return Path(config).absolute().parent if config else Path.cwd()


def attestation_of(args: argparse.Namespace, path: Path) -> bytes | None:
    """The attestation to verify for the deliverable ``path``: the one its credentials
    embed, or the ``--sidecar`` the studio kept once its sha256 is the one they carry.
    None (after saying why) when there is none to verify."""
    import hashlib
    import json

    found = read_credentials(args, path)
    if found.validation not in ("Valid", "Trusted"):
        print(f"{path}: NOT VERIFIED: its Content Credentials are {found.validation}"
              + (f": {found.explanation}" if found.explanation else ""))
        return None
    record = json.loads(found.record) if found.record else {}
    digest = record.get("attestation_sha256") if isinstance(record, dict) else None
    print(f"{path}: Content Credentials {found.validation}, signed "
          f"{found.signed_at or 'at an unknown time'}"
          + (" (time-stamped)" if found.time_stamped else ""))
    sidecar = getattr(args, "sidecar", None)
    if sidecar is not None:
        try:
            data = sidecar.read_bytes()
        except OSError as exc:
            print(f"{sidecar}: NOT VERIFIED: cannot read: {exc.strerror or exc}")
            return None
        if not digest or hashlib.sha256(data).hexdigest() != digest:
            print(f"{sidecar}: NOT VERIFIED: not the attestation {path} carries "
                  f"(its record names sha256 {digest or 'none'})")
            return None
        print(f"{sidecar}: sha256 matches the deliverable's record")
        return data
    if found.attestation is not None:
        return found.attestation
    if not digest:
        print(f"{path}: NOT VERIFIED: its credentials carry no attestation (signed without "
              "--attestation)")
        return None
    print(f"{path}: NOT VERIFIED: its credentials carry only the attestation's digest "
          f"(sha256 {digest}); give the studio's copy with --sidecar ENVELOPE")
    return None
