"""A deliverable's Content Credentials as ``aigate credentials show`` and ``aigate attest
verify DELIVERABLE`` present them: read offline (:mod:`.offline`), validated against the
config's trust anchors, turned into :class:`aigate.api.Credentials`. The store is hostile
input: every field is checked for its type before use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aigate.api import CredentialIngredient, Credentials, InputError, identify

from .offline import reader_context

VERDICT_LABEL = "com.aigate.verdict"
ATTESTATION_LABEL = "com.aigate.attestation"
EXPIRED = "signingCredential.expired"
UNTRUSTED = "signingCredential.untrusted"


def sdk_format(path: Path) -> str:
    """The format the SDK is told a file has: what its bytes are (a renamed file is read as
    what it is), its suffix only for a container the SDK has no reader for."""
    try:
        mime = identify(path).c2pa_mime
    except OSError:
        mime = None
    return mime or path.suffix.lstrip(".").lower()


def read_credentials(sdk: Any, path: Path, anchors: str | None) -> Credentials:
    """What the Content Credentials in ``path`` say; a file without any, or one the SDK
    cannot read, is an InputError naming it."""
    try:
        with path.open("rb") as stream, sdk.Reader(sdk_format(path), stream,
                                                   context=reader_context(sdk, anchors)) as reader:
            store = json.loads(reader.json())
    except Exception as exc:  # the SDK's own classes; JSON errors
        text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else \
            type(exc).__name__
        raise InputError(f"{path}: no readable Content Credentials ({text})") from None
    manifests = store.get("manifests") if isinstance(store, dict) else None
    active = manifests.get(store.get("active_manifest")) if isinstance(manifests, dict) \
        else None
    if not isinstance(active, dict):
        raise InputError(f"{path}: the Content Credentials have no active manifest")
    state = store.get("validation_state")
    state = state if isinstance(state, str) else "Invalid"
    codes = tuple(s["code"] for s in store.get("validation_status") or ()
                  if isinstance(s, dict) and isinstance(s.get("code"), str))
    info = active.get("signature_info")
    info = info if isinstance(info, dict) else {}
    stamped_time = info.get("time") if isinstance(info.get("time"), str) else ""
    record = _assertion(active, VERDICT_LABEL)
    recorded = record.get("signed_at") if isinstance(record, dict) else None
    envelope = _assertion(active, ATTESTATION_LABEL)
    return Credentials(
        path=path, validation=state, codes=codes,
        signer=_text(info.get("common_name")), issuer=_text(info.get("issuer")),
        signed_at=stamped_time or (recorded if isinstance(recorded, str) else ""),
        time_stamped=bool(stamped_time), source_type=_first_source_type(active),
        record=json.dumps(record, sort_keys=True) if isinstance(record, dict) else "",
        attestation=json.dumps(envelope).encode() if isinstance(envelope, dict) else None,
        ingredients=tuple(_ingredients(active, manifests)),
        explanation=explain(state, codes, bool(stamped_time)))


def explain(state: str, codes: tuple[str, ...], time_stamped: bool) -> str:
    """The validation in words: an expired certificate without a time-stamp is said as
    exactly that, never as "changed after signing"."""
    if EXPIRED in codes and not time_stamped:
        others = [c for c in codes if c not in (EXPIRED, UNTRUSTED)]
        return ("the signing certificate has expired and no time-stamp proves the "
                "credentials were signed while it was valid"
                + (f"; also {', '.join(others[:3])}" if others else
                   " (that alone is no sign the media was altered)"))
    if state == "Valid" and UNTRUSTED in codes:
        return "signed, but the signer does not chain to a trust anchor here"
    if state == "Invalid":
        return "the credentials do not validate: " + (", ".join(codes[:3]) or "invalid")
    return ""


def _text(value: Any) -> str:
    return value[:200] if isinstance(value, str) else ""


def _assertion(manifest: dict[str, Any], label: str) -> Any:
    for assertion in manifest.get("assertions") or ():
        if isinstance(assertion, dict) and assertion.get("label") == label:
            return assertion.get("data")
    return None


def _actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    for assertion in manifest.get("assertions") or ():
        if isinstance(assertion, dict) and str(assertion.get("label", "")).startswith(
                "c2pa.actions"):
            data = assertion.get("data")
            actions = data.get("actions") if isinstance(data, dict) else None
            if isinstance(actions, list):
                return [a for a in actions if isinstance(a, dict)]
    return []


def _first_source_type(manifest: dict[str, Any]) -> str | None:
    for action in _actions(manifest):
        value = action.get("digitalSourceType")
        if isinstance(value, str):
            return value
    return None


def _ingredients(active: dict[str, Any], manifests: Any) -> list[CredentialIngredient]:
    found = []
    for ingredient in active.get("ingredients") or ():
        if not isinstance(ingredient, dict):
            continue
        own = manifests.get(ingredient.get("active_manifest")) \
            if isinstance(manifests, dict) else None
        found.append(CredentialIngredient(
            title=_text(ingredient.get("title")),
            relationship=_text(ingredient.get("relationship")),
            source_type=_first_source_type(own) if isinstance(own, dict) else None))
    return found
