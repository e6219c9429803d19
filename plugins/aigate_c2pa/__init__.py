"""Provenance from C2PA Content Credentials embedded in the media (c2pa-python, offline).

The digital source type comes from the actions assertions (``c2pa.actions`` and
``c2pa.actions.v2``) of the active manifest and, for composites, of its ingredients; the
tool from the softwareAgent of the generative action (see :mod:`aigate_c2pa.store`). The
validation state is the claim's trust: Trusted (the signer chains to a trust anchor in
``c2pa.trust_anchors``), Valid (signed, signer not trusted), Invalid (e.g. the media changed
after signing: the ``manifest-invalid`` rule), or Unverifiable (present but not readable or
not validated in full, or remote-only: the ``manifest-unverifiable`` rule). Every read is
offline (:mod:`aigate_c2pa.offline`). Needs the ``c2pa`` extra: pip install 'aigate[c2pa]'.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigate.api import (
    CheckContext,
    Claim,
    Container,
    Item,
    SubjectResult,
    claim_from_dict,
    claim_to_dict,
    from_other_media,
    hookimpl,
    identify,
)

if TYPE_CHECKING:
    from aigate.api import Credentials, Diagnostic, Stamped

__all__ = ["read_claim"]

log = logging.getLogger("aigate.c2pa")

INSTALL = "pip install 'aigate[c2pa]'"
#: a file whose bytes match no container any reader (or player) knows
UNIDENTIFIED = ("container not identified: its bytes match no media format the gate or "
                "the C2PA SDK reads, so what it holds cannot be checked")
#: the SDK's refusal to read a remote-only manifest (fetching is off)
REMOTE = re.compile(r"remote manifests? from url (\S+)", re.I)
#: SDK error kinds that mean a manifest store was found and failed (not a container error)
MANIFEST_ERRORS = frozenset({"Assertion", "AssertionNotFound", "Decoding", "Json", "Manifest",
                             "Signature", "Verify", "Remote", "RemoteManifest",
                             "ResourceNotFound"})
#: bumped when the reading changes what a file's claim is (old cached answers are not used)
READER = 5


@lru_cache(maxsize=1)
def _sdk() -> Any:
    try:
        import c2pa
    except ImportError:
        log.warning("aigate: C2PA Content Credentials are not verified: c2pa-python is not "
                    "installed (%s); media that carry them are manifest-unverifiable",
                    INSTALL)
        return None
    return c2pa


@lru_cache(maxsize=8)
def _anchors(path: Path | None) -> tuple[str | None, str]:
    """(PEM text, a digest that keys the cache: the trust list changes the answer)."""
    if path is None:
        return None, "none"
    text = path.read_text(encoding="utf-8")
    return text, hashlib.sha256(text.encode()).hexdigest()[:16]


@hookimpl
def aigate_stamp_credentials(deliverable: Path, results: Sequence[SubjectResult], gate: Any,
                             cert: Path, key: Path, output: Path | None,
                             attestation: Path | None, timeline: Path | None
                             ) -> Stamped | None:
    try:
        import c2pa  # noqa: F401  (the extra: without it, another plugin may answer)
    except ImportError:
        return None
    from .credentials import stamp  # the signing side loads only when asked

    return stamp(deliverable, results, gate, cert, key, output=output,
                 attestation=attestation, timeline=timeline)


@hookimpl
def aigate_read_credentials(path: Path, config: Any) -> Credentials | None:
    sdk = _sdk()
    if sdk is None:
        return None
    from .reading import read_credentials

    anchors = config.c2pa_trust_anchors
    return read_credentials(sdk, path, anchors.read_text(encoding="utf-8") if anchors
                            else None)


@hookimpl
def aigate_claims(items: Sequence[Item], context: CheckContext) -> Iterator[tuple[int, Claim]]:
    wanted = []
    others: set[int] = set()  # positions in wanted of a clip's other media (Item.other_media)
    resolve = context.resolver.resolve  # what context.media does, without a call per clip
    for index, item in enumerate(items):
        # every readable file is looked at, whatever its name: what reads it is decided by
        # its bytes (read_claim), as a player decides how to open it
        if item.media_url:
            media = resolve(item.media_url)
            if media.readable:
                wanted.append((index, media))
        if item.other_media or item.sequence:  # every media of the clip counts
            for media in context.other_media(item):
                if media.readable:
                    others.add(len(wanted))
                    wanted.append((index, media))
    if not wanted:
        return
    sdk = _sdk()
    anchors, digest = _anchors(context.config.c2pa_trust_anchors)
    key = f"c2pa/{READER}:{digest if sdk is not None else 'no-sdk'}"
    cache = context.cache
    known = cache.get_many(key, [m for _, m in wanted]) if cache else {}
    for position, (index, media) in enumerate(wanted):
        path = media.path
        if path is None:  # a readable media always has its path
            continue
        if path in known:
            value = known[path]
            claim = value and claim_from_dict(value)
        else:
            claim = read_claim(sdk, path, anchors)
            known[path] = claim and claim_to_dict(claim)  # once per file
            if cache:
                cache.put(key, media, known[path])
        if claim is not None:
            yield index, from_other_media(claim, media.url) if position in others else claim


def read_claim(sdk: Any, path: Path, anchors: str | None) -> Claim | None:
    """What the Content Credentials in ``path`` say, or None when it has none.

    The container is identified by its bytes (:func:`identify`), never by the file's name,
    and the SDK is handed the stream with that container's MIME type. A container nobody
    identifies is unverifiable (what it holds cannot be read); one the gate identifies but
    no C2PA reader handles (MXF, OpenEXR, DPX...) has Content Credentials only if a C2PA
    manifest store is seen in it, and then they are unverifiable.

    Offline (see :mod:`aigate_c2pa.offline`). Credentials that are there but cannot be read
    or validated in full (damaged store, truncated or padded file, missing signature,
    remote-only manifest, a store the SDK does not find although the container holds one)
    give an ``Unverifiable`` claim: a finding, never "no provenance". Without the SDK
    (``sdk`` None), a file that carries Content Credentials is unverifiable too.
    """
    # the readers load with the first media read: a check of what timelines declare (the
    # OTIO import hook's) reads none
    from .markers import host_of, sniff
    from .offline import reader_context
    from .store import claim_from_store, unverifiable

    try:
        container = identify(path)
    except OSError as exc:
        return unverifiable(f"not read: {exc.strerror or exc}")
    if not container.identified:
        return unverifiable(UNIDENTIFIED)
    if sdk is None or container.c2pa_mime is None:
        markers = sniff(path)
        if container.c2pa_mime is None:  # no reader for it: a store in it cannot be checked
            if markers.carrier:
                return unverifiable(f"{markers.carrier} present in a {container.kind} file, "
                                    "which no C2PA reader handles")
            return None
        if markers.carrier:
            return unverifiable(f"{markers.carrier} present, not verified: c2pa-python is "
                                f"not installed ({INSTALL})")
        if markers.remote_url:
            return unverifiable(f"remote manifest at {host_of(markers.remote_url)}, not "
                                f"fetched; c2pa-python is not installed ({INSTALL})")
        return None
    try:
        context = reader_context(sdk, anchors)
    except Exception as exc:  # never fall back to the SDK's default (fetching) context
        return unverifiable(f"not read: the SDK refused the offline settings "
                            f"({_first_line(exc)})")
    try:
        with path.open("rb") as stream, \
                sdk.Reader(container.c2pa_mime, stream, context=context) as reader:
            text = reader.json()
    except Exception as exc:  # the SDK's errors are its own classes, by kind
        return _failed(path, container, exc)
    try:
        store = json.loads(text)
    except ValueError as exc:
        return unverifiable(f"the SDK's report is not JSON ({_first_line(exc)})")
    return claim_from_store(store)


def _failed(path: Path, container: Container, exc: Exception) -> Claim | None:
    """The claim for a read the SDK refused: by what it says, and by what the file holds."""
    from .markers import host_of, sniff
    from .store import unverifiable

    message = _first_line(exc)
    markers = sniff(path)
    remote = REMOTE.search(message)
    if remote:
        return unverifiable(f"remote manifest at {host_of(remote.group(1))}, not fetched")
    kind = type(exc).__name__
    if "ManifestNotFound" in kind or message.startswith("ManifestNotFound"):
        if markers.carrier:
            return unverifiable(f"{markers.carrier} present, but the SDK finds no manifest "
                                f"store in it ({message})")
        if markers.remote_url:  # named where the SDK does not look (compressed XMP...)
            return unverifiable(f"remote manifest at {host_of(markers.remote_url)}, not "
                                f"fetched ({message})")
        return None
    if markers.carrier or message.split(":", 1)[0] in MANIFEST_ERRORS:
        where = markers.carrier or "manifest store"
        return unverifiable(f"{where} present but unreadable: {message}")
    if markers.remote_url:
        return unverifiable(f"remote manifest at {host_of(markers.remote_url)}, not fetched "
                            f"({message})")
    # the container itself could not be parsed and nothing in it looks like C2PA: the file
    # claims to be a kind the SDK reads and is not, so what it holds is not known
    return unverifiable(f"{container.kind} container could not be parsed: {message}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]


@hookimpl
def aigate_doctor() -> list[Diagnostic]:
    from aigate.api import Diagnostic

    try:
        import c2pa
    except ImportError:
        return [Diagnostic("C2PA", False, f"c2pa-python is not installed: Content "
                           f"Credentials in media are not read ({INSTALL})",
                           fails_open=False)]
    return [Diagnostic("C2PA", True, f"c2pa-python (SDK {c2pa.sdk_version()})",
                       fails_open=False)]
