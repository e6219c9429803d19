"""Provenance from C2PA Content Credentials embedded in the media (c2pa-python, offline).

The digital source type comes from the actions assertions (``c2pa.actions`` and
``c2pa.actions.v2``) of the active manifest and, for composites, of its ingredients; the
tool from the action's softwareAgent or the claim generator. The validation state is the
claim's trust: Trusted (the signer chains to a trust anchor in ``c2pa.trust_anchors``),
Valid (signed, signer not trusted), Invalid (e.g. the media changed after signing: the
``manifest-invalid`` rule). Needs the ``c2pa`` extra: pip install 'aigate[c2pa]'.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from aigate.hookspecs import hookimpl
from aigate.model import CheckContext, Claim, Diagnostic, Item, Tool, Trust
from aigate.provenance import (
    claim_from_dict,
    claim_to_dict,
    is_genai_source_type,
    normalise_source_type,
)

log = logging.getLogger("aigate.c2pa")

#: Media the C2PA SDK reads (by suffix; it checks the content itself).
SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".m4a", ".avi", ".jpg", ".jpeg", ".png",
                      ".webp", ".avif", ".heic", ".heif", ".tif", ".tiff", ".gif", ".wav",
                      ".mp3", ".svg", ".dng", ".arw", ".nef", ".pdf"})
TRUST = {"Trusted": Trust.TRUSTED, "Valid": Trust.VALID}
INSTALL = "pip install 'aigate[c2pa]'"


@lru_cache(maxsize=1)
def _sdk() -> Any:
    try:
        import c2pa
    except ImportError:
        log.warning("aigate: C2PA Content Credentials are not read: c2pa-python is not "
                    "installed (%s)", INSTALL)
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
def aigate_claims(items: Sequence[Item], context: CheckContext) -> Iterator[tuple[int, Claim]]:
    wanted = []
    for index, item in enumerate(items):
        url = item.media_url
        if url and url[url.rfind("."):].lower() in SUFFIXES:
            media = context.media(item)
            if media.readable:
                wanted.append((index, media))
    if not wanted or (sdk := _sdk()) is None:
        return
    anchors, digest = _anchors(context.config.c2pa_trust_anchors)
    key = f"c2pa:{digest}"
    cache = context.cache
    known = cache.get_many(key, [m for _, m in wanted]) if cache else {}
    for index, media in wanted:
        if media.path in known:
            value = known[media.path]
            claim = value and claim_from_dict(value)
        else:
            claim = read_claim(sdk, media.path, anchors)
            known[media.path] = claim and claim_to_dict(claim)  # once per file
            if cache:
                cache.put(key, media, known[media.path])
        if claim is not None:
            yield index, claim


def read_claim(sdk: Any, path: Path, anchors: str | None) -> Claim | None:
    """What the manifest store in ``path`` says, or None when there is none."""
    settings: dict[str, Any] = {"verify": {"verify_trust": True}}
    if anchors:
        settings["trust"] = {"trust_anchors": anchors}
    try:
        context = sdk.Context(sdk.Settings.from_dict(settings))
        with sdk.Reader(str(path), context=context) as reader:
            store = json.loads(reader.json())
    except Exception as exc:  # the SDK's errors are its own classes, by kind
        kind = type(exc).__name__
        if "ManifestNotFound" in kind or "NotFound" in str(exc)[:40]:
            return None
        return Claim("c2pa", Trust.HINT, detail=f"unreadable: {_first_line(exc)}")
    return claim_from_store(store)


def claim_from_store(store: Any) -> Claim:
    """Read a manifest store report (the SDK's JSON) defensively: it is hostile input."""
    if not isinstance(store, dict) or not isinstance(store.get("manifests"), dict):
        return Claim("c2pa", Trust.HINT, problems=("manifest store JSON has no manifests",))
    state = store.get("validation_state") if isinstance(store.get("validation_state"),
                                                        str) else "Invalid"
    manifests = store["manifests"]
    active = manifests.get(store.get("active_manifest"))
    if not isinstance(active, dict):
        return Claim("c2pa", Trust.HINT, problems=("manifest store has no active manifest",),
                     validation=state)
    found = list(_actions(active, manifests, set()))
    genai = [(t, agent) for t, agent in found if t and is_genai_source_type(t)]
    source_type, agent = (genai or found or [(None, None)])[0]
    codes = [s.get("code") for s in store.get("validation_status") or []
             if isinstance(s, dict) and isinstance(s.get("code"), str)]
    detail = state + (f" ({', '.join(codes[:3])})" if codes else "")
    return Claim("c2pa", TRUST.get(state, Trust.CLAIMED), generated=bool(genai),
                 digital_source_type=source_type, tool=agent or _generator(active),
                 detail=detail, validation=state)


def _actions(manifest: dict, manifests: dict, seen: set[int]) -> Iterator[tuple[str | None,
                                                                                Tool | None]]:
    """(digital source type, software agent) of every action, ingredients included."""
    if id(manifest) in seen:  # a hostile store may loop
        return
    seen.add(id(manifest))
    for assertion in manifest.get("assertions") or []:
        if not isinstance(assertion, dict):
            continue
        label = assertion.get("label")
        if not isinstance(label, str) or not label.startswith("c2pa.actions"):
            continue
        data = assertion.get("data")
        for action in (data.get("actions") if isinstance(data, dict) else None) or []:
            if isinstance(action, dict):
                source_type = action.get("digitalSourceType")
                yield (normalise_source_type(source_type) if isinstance(source_type, str)
                       else None), _agent(action.get("softwareAgent"))
    for ingredient in manifest.get("ingredients") or []:
        if isinstance(ingredient, dict):
            label = ingredient.get("active_manifest")
            if isinstance(label, str) and isinstance(manifests.get(label), dict):
                yield from _actions(manifests[label], manifests, seen)


def _agent(value: Any) -> Tool | None:
    if isinstance(value, str) and value:
        return Tool(name=value)
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        version = value.get("version")
        return Tool(name=value["name"], version=version if isinstance(version, str) else None)
    return None


def _generator(manifest: dict) -> Tool | None:
    info = manifest.get("claim_generator_info")
    if isinstance(info, list) and info:
        return _agent(info[0])
    generator = manifest.get("claim_generator")
    return Tool(name=generator.split("/")[0]) if isinstance(generator, str) else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]


@hookimpl
def aigate_doctor() -> list[Diagnostic]:
    try:
        import c2pa
    except ImportError:
        return [Diagnostic("C2PA", False, f"c2pa-python is not installed: Content "
                           f"Credentials in media are not read ({INSTALL})",
                           fails_open=False)]
    return [Diagnostic("C2PA", True, f"c2pa-python (SDK {c2pa.sdk_version()})",
                       fails_open=False)]
