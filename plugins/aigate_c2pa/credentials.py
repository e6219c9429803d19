"""Content Credentials on the deliverable: a C2PA manifest, signed with the studio's
certificate, saying what the cut it was rendered from holds.

- the first action is ``c2pa.created`` with the IPTC digital source type that fits the cut
  (every clip AI: trainedAlgorithmicMedia; some: compositeWithTrainedAlgorithmicMedia;
  none: humanEdits), or ``c2pa.opened`` when the render already carries Content
  Credentials (an NLE's export): those are kept as the ``parentOf`` ingredient, never
  dropped;
- one ``componentOf`` ingredient per AI clip's media, each with the ``c2pa.placed`` action
  that references it: the SDK carries that media's own manifest into the store, so the
  chain from the generator is kept; then ``c2pa.edited``;
- ``com.aigate.verdict``: what a viewer may see (verdict, policy name and hash, counts, AI
  disclosure, signing time and the sha256 of the full attestation, which stays with the
  studio as a sidecar). ``c2pa: {disclose: full}`` adds the timeline names, the
  ingredients' file names and the attestation itself (``com.aigate.attestation``).

Actions and record are *created* assertions: attributed to the signer. With
``c2pa: {timestamp_url}`` an RFC 3161 authority countersigns the time, so the credentials
still validate after the certificate expires. Ingredients are read with the same offline
settings as every read (:mod:`.offline`). Refused at the final stage when the cut is locked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aigate import __version__
from aigate.api import MEDIA_NONE as NONE
from aigate.api import (
    AigateError,
    Credentials,
    Gate,
    InputError,
    Severity,
    Stamped,
    SubjectResult,
    UsageError,
    atomic_path,
    policy_sha256,
)

from .markers import sniff
from .offline import reader_context, signing_context
from .reading import read_credentials, sdk_format

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
ATTESTATION_LABEL = "com.aigate.attestation"
VERDICT_LABEL = "com.aigate.verdict"


class Locked(AigateError):
    """The cut is locked at the final stage: its deliverable gets no credentials."""


def source_type(results: Sequence[SubjectResult]) -> str:
    """The IPTC digital source type of a deliverable rendered from these results."""
    items = [r for result in results for r in result.items]
    ai = sum(r.ai for r in items)
    if ai and ai == len(items):
        return IPTC + "trainedAlgorithmicMedia"
    return IPTC + ("compositeWithTrainedAlgorithmicMedia" if ai else "humanEdits")


def _algorithm(key_pem: bytes, where: Path) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{where}: not an unencrypted PEM private key: {exc}") from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return b"ed25519"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {256: b"es256", 384: b"es384", 521: b"es512"}[key.curve.key_size]
    if isinstance(key, rsa.RSAPrivateKey):
        return b"ps256"
    raise InputError(f"{where}: a C2PA signing key is Ed25519, EC or RSA")


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None


def stamp(deliverable: Path, results: Sequence[SubjectResult], gate: Gate, cert: Path,
          key: Path, *, output: Path | None = None, attestation: Path | None = None,
          timeline: Path | None = None) -> Stamped:
    """Sign ``deliverable`` (rendered from the timeline ``results`` come from) into
    ``output`` (default: NAME.c2pa.SUFFIX beside it); the input is never changed."""
    import c2pa

    locked = [r for r in results if r.stage == "final" and r.verdict is Severity.LOCK]
    if locked:
        clips = sum(len(r.locked()) for r in locked)
        raise Locked(f"{deliverable}: no credentials: {locked[0].name} is locked at stage "
                     f"final ({clips} locked clip(s)); 'aigate check' lists them")
    output = output or deliverable.with_name(f"{deliverable.stem}.c2pa{deliverable.suffix}")
    for given in (deliverable, timeline, cert, key, attestation):
        # symlinks resolved: a link to an input is that input
        if given is not None and output.resolve() == given.resolve():
            raise UsageError(f"--output {output}: is an input ({given}); inputs are never "
                             "overwritten")
    config = gate.config
    full = config.c2pa_disclose == "full"
    kind = sdk_format(deliverable)
    chain, key_pem = _read(cert, "certificate chain"), _read(key, "private key")
    dst_type = source_type(results)
    envelope = _read(attestation, "attestation") if attestation is not None else None
    signed_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    assertions: list[dict[str, Any]] = [{"label": VERDICT_LABEL, "created": True,
                                         "data": record(results, gate, dst_type, signed_at,
                                                        envelope, full)}]
    if envelope is not None and full:
        try:
            assertions.append({"label": ATTESTATION_LABEL, "created": True,
                               "data": json.loads(envelope)})
        except ValueError:
            raise InputError(f"{attestation}: not a JSON attestation envelope") from None
    media = _ai_media(results, gate, timeline)
    anchors = config.c2pa_trust_anchors
    anchors_text = anchors.read_text(encoding="utf-8") if anchors else None
    parent = _has_credentials(c2pa, deliverable, anchors_text)
    agent = {"name": "aigate", "version": __version__}
    # no softwareAgent on the first action: aigate generated nothing; a reader names the
    # tool from the generative actions of the ingredients' own manifests
    first: dict[str, Any] = {"action": "c2pa.opened" if parent else "c2pa.created",
                             "digitalSourceType": dst_type}
    if parent:
        first["parameters"] = {"ingredientIds": ["parent"]}
    actions = [first, *({"action": "c2pa.placed", "softwareAgent": agent,
                         "parameters": {"ingredientIds": [f"clip-{n}"]}}
                        for n in range(len(media))),
               {"action": "c2pa.edited", "softwareAgent": agent,
                "description": "conformed from " + ", ".join(r.name for r in results)
                if full else "conformed and checked by aigate"}]
    manifest = {
        "claim_generator_info": [agent],
        "title": output.name,
        "assertions": [{"label": "c2pa.actions.v2", "created": True,
                        "data": {"actions": actions}}, *assertions]}
    url = config.c2pa_timestamp_url
    try:
        signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(
            _algorithm(key_pem, key), chain, key_pem, url.encode() if url else None))
    except Exception as exc:  # the SDK's own error classes
        raise InputError(f"{cert}: the SDK refuses this certificate and key: {exc}") from None
    try:
        with c2pa.Builder(manifest, context=signing_context(c2pa, anchors_text, url)
                          ) as builder:
            if parent:
                with deliverable.open("rb") as handle:
                    builder.add_ingredient({"title": deliverable.name,
                                            "relationship": "parentOf", "label": "parent"},
                                           kind, handle)
            for n, path in enumerate(media):
                with path.open("rb") as handle:
                    suffix = path.suffix.lstrip(".").lower()
                    title = path.name if full else f"AI clip {n + 1}.{suffix}"
                    builder.add_ingredient({"title": title, "relationship": "componentOf",
                                            "label": f"clip-{n}"}, sdk_format(path), handle)
            with atomic_path(output) as temporary, deliverable.open("rb") as src, \
                    temporary.open("w+b") as dst:
                builder.sign(signer, kind, src, dst)
    except OSError as exc:
        raise InputError(f"{exc.filename or deliverable}: {exc.strerror or exc}") from None
    except AigateError:
        raise
    except Exception as exc:  # the SDK's own error classes: unsupported format and the like
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if url and ("time" in text.lower() or "tsa" in text.lower()):
            raise InputError(f"{url}: the time-stamp authority (c2pa.timestamp_url) did not "
                             f"answer: {text}") from None
        raise InputError(f"{deliverable}: Content Credentials not written: {text}") from None
    finally:
        if "signer" in locals():
            signer.close()
    read = read_credentials(c2pa, output, anchors_text)
    return Stamped(output, dst_type, len(media), envelope is not None,
                   signed_at=read.signed_at or signed_at, time_stamped=read.time_stamped,
                   warnings=tuple(_warnings(read, anchors is not None)), parent_kept=parent)


def record(results: Sequence[SubjectResult], gate: Gate, dst_type: str, signed_at: str,
           envelope: bytes | None, full: bool) -> dict[str, Any]:
    """The gate's record in a public deliverable: what a viewer may see, and the digest
    that ties it to the full attestation the studio keeps (``full``: the timelines too)."""
    items = [r for result in results for r in result.items]
    worst = max((r.verdict for r in results), default=Severity.PASS)
    data: dict[str, Any] = {
        "aigate_version": __version__, "stage": "final", "verdict": worst.label,
        "policy": {"name": gate.policy.name, "sha256": policy_sha256(gate.policy.files)},
        "counts": {"timelines": len(results), "clips": len(items),
                   "ai": sum(r.ai for r in items),
                   "warn": sum(r.ai and r.verdict is Severity.WARN for r in items),
                   "waived": sum(bool(f.approval) for r in items for f in r.findings)},
        "ai_disclosure": dst_type, "signed_at": signed_at,
        "attestation_sha256": hashlib.sha256(envelope).hexdigest() if envelope else None}
    if full:
        data["timelines"] = [{"name": r.name, "stage": r.stage, "policy": r.policy,
                              "verdict": r.verdict.label,
                              "ai_clips": sum(i.ai for i in r.items)} for r in results]
    return data


def _has_credentials(sdk: Any, path: Path, anchors: str | None) -> bool:
    """Whether the render already carries Content Credentials (then kept as parent)."""
    if sniff(path).carrier:
        return True
    try:
        with path.open("rb") as stream, \
                sdk.Reader(sdk_format(path), stream, context=reader_context(sdk, anchors)):
            return True
    except Exception:  # the SDK's own classes: ManifestNotFound and the like
        return False


def _warnings(read: Credentials, anchored: bool) -> list[str]:
    if read.validation == "Trusted":
        return []
    if read.validation == "Valid":
        return ["the signing certificate does not chain to a trust anchor "
                + ("(c2pa.trust_anchors)" if anchored else "(no c2pa.trust_anchors set)")
                + ": C2PA readers show these credentials as not trusted unless the chain is "
                "on the C2PA trust list (docs/delivery.md)"]
    return [f"the credentials just written read back {read.validation}: "
            f"{read.explanation or ', '.join(read.codes)}"]


def _ai_media(results: Sequence[SubjectResult], gate: Gate,
              timeline: Path | None) -> list[Path]:
    """The readable media files of the AI clips, once each, in record order. An AI clip
    whose media cannot be read is an error: its provenance would silently drop out. A clip
    with no media reference at all (made in the host) has no ingredient to carry."""
    resolver = gate.media_resolver(timeline.parent if timeline else Path.cwd())
    found: dict[Path, None] = {}
    for result in results:
        for r in sorted(result.items, key=lambda r: r.item.record_start):
            if not r.ai:
                continue
            media = resolver.resolve(r.item.media_url)
            if media.state == NONE:  # generated in the host (an effect strip): no file
                continue
            if not media.readable or media.path is None:
                raise InputError(f'{r.item.track} "{r.item.clip}": its media '
                                 f"({r.item.media_url or 'none'}) cannot be read "
                                 f"({media.detail or media.state}): it would be missing "
                                 "from the credentials' ingredients")
            found.setdefault(media.path)
    return list(found)
