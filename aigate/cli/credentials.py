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


def cmd_credentials(args: argparse.Namespace) -> int:
    """Content Credentials on a rendered deliverable, from the cut it was rendered from."""
    import tempfile

    from aigate.core.gate import GateLocked, load_subject
    from aigate.errors import UsageError
    from aigate.output.attest import embeddable, trusted_keys

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
