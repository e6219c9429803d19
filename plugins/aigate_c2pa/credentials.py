"""Content Credentials on the deliverable: a C2PA manifest, signed with the studio's
certificate, saying what the cut it was rendered from holds.

- ``c2pa.created`` with the IPTC digital source type that fits the cut (every clip AI:
  trainedAlgorithmicMedia; some: compositeWithTrainedAlgorithmicMedia; none: humanEdits),
  then ``c2pa.edited`` naming the clips placed;
- one ``componentOf`` ingredient per AI clip's media: the SDK carries that media's own
  manifest into the store, so the chain from the generator is kept, not dropped;
- ``com.aigate.verdict`` (stage, verdict, AI clips) and, when given, the conform
  attestation (``aigate attest``) as ``com.aigate.attestation``.

Ingredients are read with the same offline settings as every read (:mod:`.offline`).
Refused at the final stage when the cut is locked.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aigate import __version__
from aigate.core.gate import Gate
from aigate.core.media import NONE, MediaResolver
from aigate.errors import AigateError, InputError, UsageError
from aigate.model import Severity, Stamped, SubjectResult
from aigate.output.files import atomic_path

from .offline import reader_context

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
    kind = deliverable.suffix.lstrip(".").lower()
    chain, key_pem = _read(cert, "certificate chain"), _read(key, "private key")
    dst_type = source_type(results)
    assertions: list[dict[str, Any]] = [
        {"label": VERDICT_LABEL, "data": {
            "aigate_version": __version__,
            "timelines": [{"name": r.name, "stage": r.stage, "policy": r.policy,
                           "verdict": r.verdict.label, "ai_clips": sum(i.ai for i in r.items)}
                          for r in results]}}]
    attested = attestation is not None
    if attestation is not None:
        try:
            envelope = json.loads(_read(attestation, "attestation"))
        except ValueError:
            raise InputError(f"{attestation}: not a JSON attestation envelope") from None
        assertions.append({"label": ATTESTATION_LABEL, "data": envelope})
    media = _ai_media(results, gate, timeline)
    agent = {"name": "aigate", "version": __version__}
    manifest = {
        "claim_generator_info": [agent],
        "title": output.name,
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": [
            # no softwareAgent: aigate generated nothing; a reader names the tool from the
            # generative actions of the ingredients' own manifests
            {"action": "c2pa.created", "digitalSourceType": dst_type},
            {"action": "c2pa.edited", "softwareAgent": agent,
             "parameters": {"ingredientIds": [f"clip-{n}" for n in range(len(media))]},
             "description": "conformed from "
             + ", ".join(r.name for r in results)}]}}, *assertions]}
    try:
        signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(_algorithm(key_pem, key), chain,
                                                           key_pem, None))
    except Exception as exc:  # the SDK's own error classes
        raise InputError(f"{cert}: the SDK refuses this certificate and key: {exc}") from None
    try:
        anchors = gate.config.c2pa_trust_anchors
        context = reader_context(c2pa, anchors.read_text(encoding="utf-8") if anchors
                                 else None)
        with c2pa.Builder(manifest, context=context) as builder:
            for n, path in enumerate(media):
                with path.open("rb") as handle:
                    builder.add_ingredient({"title": path.name, "relationship": "componentOf",
                                            "label": f"clip-{n}"},
                                           path.suffix.lstrip(".").lower(), handle)
            with atomic_path(output) as temporary, deliverable.open("rb") as src, \
                    temporary.open("w+b") as dst:
                builder.sign(signer, kind, src, dst)
    except OSError as exc:
        raise InputError(f"{exc.filename or deliverable}: {exc.strerror or exc}") from None
    except AigateError:
        raise
    except Exception as exc:  # the SDK's own error classes: unsupported format and the like
        raise InputError(f"{deliverable}: Content Credentials not written: {exc}") from None
    finally:
        if "signer" in locals():
            signer.close()
    return Stamped(output, dst_type, len(media), attested)


def _ai_media(results: Sequence[SubjectResult], gate: Gate,
              timeline: Path | None) -> list[Path]:
    """The readable media files of the AI clips, once each, in record order. An AI clip
    whose media cannot be read is an error: its provenance would silently drop out. A clip
    with no media reference at all (made in the host) has no ingredient to carry."""
    base = timeline.parent if timeline else Path.cwd()
    roots = gate.config.media.roots or tuple(
        p for p in (base, gate.config.base_dir) if p is not None)
    resolver = MediaResolver(base, roots, gate.config.media.remap)
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
