"""The conform attestation: a signed record of what the gate decided, on which files, under
which rules and approvals.

An in-toto Statement v1 (subjects: the sha256 of each timeline file checked; predicate: the
aigate version, stage, as-of date, the policy pack files of the ``extends`` chain, the config,
the approvals and consents that waived findings, every AI clip with its verdict, findings and
media hash, and the summary) in a DSSE envelope signed with Ed25519. Plain ``cryptography``
signs it, with the key handling approval signing already uses (:mod:`aigate.signing`): one
key format and one fingerprint for studio keys, and no second crypto stack to deploy.

:func:`verify` checks the signature against trusted keys, then rehashes every file the
statement names and lists what changed.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, signing
from .errors import InputError
from .gate import Gate
from .media import MediaResolver, file_sha256
from .model import Severity, SubjectResult
from .yamlfile import load

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "urn:aigate:conform-attestation:v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"


@dataclass(frozen=True, slots=True)
class Checked:
    """One timeline file the gate checked, its results and the gate that checked it."""

    path: Path
    results: tuple[SubjectResult, ...]
    gate: Gate


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between the attestation and the files now: what kind of file, its
    path, and what is wrong with it."""

    kind: str
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} {self.path}: {self.detail}"


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify`: who signed (None when the signature does not hold),
    why not, and every file that changed."""

    signer: signing.TrustedKey | None
    problem: str | None
    statement: Mapping[str, Any] = field(default_factory=dict)
    changes: tuple[Change, ...] = ()
    checked: int = 0

    @property
    def ok(self) -> bool:
        return self.signer is not None and not self.changes


def _sha(path: Path) -> str | None:
    return file_sha256(path)


def _hashed(kind: str, path: str | Path) -> dict[str, Any]:
    return {"path": str(path), "sha256": _sha(Path(path)), "kind": kind}


def statement(checked: Sequence[Checked], stage: str | None, as_of: dt.date,
              allow_lock: bool = False) -> dict[str, Any]:
    """The in-toto Statement for these checked files (not yet signed)."""
    subjects: list[dict[str, Any]] = []
    timelines: list[dict[str, Any]] = []
    packs: dict[str, dict[str, Any]] = {}
    configs: dict[str, dict[str, Any]] = {}
    records: dict[str, dict[str, Any]] = {}
    worst = Severity.PASS
    counts = {"timelines": 0, "clips": 0, "ai": 0, "warn": 0, "lock": 0, "waived": 0}
    for entry in checked:
        digest = _sha(entry.path)
        if digest is None:
            raise InputError(f"{entry.path}: cannot read the timeline to hash it")
        subjects.append({"name": entry.path.name, "digest": {"sha256": digest}})
        gate = entry.gate
        for pack in gate.policy.files:
            packs.setdefault(pack, _hashed("pack", pack))
        if gate.config.path:
            configs.setdefault(str(gate.config.path), _hashed("config", gate.config.path))
        for result in entry.results:
            worst = max(worst, result.verdict)
            counts["timelines"] += 1
            clips = []
            resolver = _resolver(gate, entry.path)
            for r in result.items:
                counts["clips"] += 1
                if not r.ai:
                    continue
                counts["ai"] += 1
                counts["lock"] += r.verdict is Severity.LOCK
                counts["warn"] += r.verdict is Severity.WARN
                media = resolver.resolve(r.item.media_url)
                for f in r.findings:
                    if f.approval:
                        counts["waived"] += 1
                        records.setdefault(f.approval, _record(gate, f.approval))
                clips.append({
                    "track": r.item.track, "clip": r.item.clip,
                    "record_in": r.item.record_in, "record_out": r.item.record_out,
                    "verdict": r.verdict.label,
                    "findings": [{"rule": f.rule, "severity": f.severity.label,
                                  "reason": f.reason, "approval": f.approval,
                                  "waived_from": f.waived_from.label if f.waived_from
                                  else None} for f in r.findings],
                    "media": r.item.media_url,
                    "media_path": str(media.path) if media.path else None,
                    "media_sha256": _sha(media.path) if media.path and media.readable
                    else None})
            timelines.append({"file": entry.path.name, "path": str(entry.path.resolve()),
                              "timeline": result.name, "stage": result.stage,
                              "policy": result.policy, "verdict": result.verdict.label,
                              "clips": clips})
    predicate = {
        "aigate_version": __version__, "stage": stage or "per timeline",
        "as_of": as_of.isoformat(), "verdict": worst.label,
        "lock_allowed": allow_lock and worst is Severity.LOCK,
        "policy": {"names": sorted({e.gate.policy.name for e in checked}),
                   "files": list(packs.values()),
                   # the rules that applied on the as-of date (dated rules included or not)
                   "rules_in_force": sorted({
                       rule for e in checked
                       for rule, setting in e.gate.policy.for_show(e.gate.config.show)
                       .rules.items() if setting.enabled and setting.in_force(e.gate.as_of)})},
        "config": list(configs.values()),
        "approvals": [records[k] for k in sorted(records)],
        "timelines": timelines, "summary": counts}
    return {"_type": STATEMENT_TYPE, "subject": subjects, "predicateType": PREDICATE_TYPE,
            "predicate": predicate}


def _resolver(gate: Gate, path: Path) -> MediaResolver:
    """Media resolved as the gate resolved it for this timeline."""
    base = path.parent
    roots = gate.config.media.roots or tuple(
        p for p in (base, gate.config.base_dir) if p is not None)
    return MediaResolver(base, roots, gate.config.media.remap)


def _record(gate: Gate, record_id: str) -> dict[str, Any]:
    """An approval or consent that waived a finding: id, kind, file and hash, signer."""
    record = gate.registry.approvals.get(record_id) or gate.registry.consents.get(record_id)
    if record is None:
        return {"id": record_id, "kind": "unknown", "path": None, "sha256": None,
                "signer": None}
    data = load(record.source)
    entries = data if isinstance(data, list) else [data]
    signer = next((e.get(signing.SIGNATURE_KEY, {}).get("key") for e in entries
                   if isinstance(e, dict) and e.get("id") == record_id
                   and isinstance(e.get(signing.SIGNATURE_KEY), dict)), None)
    kind = "consent" if record_id in gate.registry.consents else "approval"
    return {"id": record_id, "kind": kind, **_hashed(kind, record.source), "signer": signer}


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what the signature covers."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def envelope(doc: Mapping[str, Any], key: Any) -> dict[str, Any]:
    """``doc`` in a DSSE envelope signed with the Ed25519 private ``key``."""
    from cryptography.hazmat.primitives import serialization

    payload = json.dumps(doc, sort_keys=True, separators=(",", ":"),
                         ensure_ascii=False).encode("utf-8")
    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    signature = key.sign(pae(PAYLOAD_TYPE, payload))
    return {"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(payload).decode(),
            "signatures": [{"keyid": signing.fingerprint(public),
                            "sig": base64.b64encode(signature).decode()}]}


def read_envelope(path: Path) -> dict[str, Any]:
    """The envelope in ``path``; a file that is not one is an InputError naming it."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f"line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else "bytes"
        raise InputError(f"{path}: {where}: the envelope is not valid JSON (damaged)") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("payload"), str) or \
            not isinstance(doc.get("signatures"), list):
        raise InputError(f"{path}: not a DSSE envelope (needs payload and signatures)")
    return doc


def verify(path: Path, trusted: Iterable[signing.TrustedKey],
           timelines: Sequence[Path] = (), media: bool = False) -> Verification:
    """Check the envelope in ``path``: its signature by one of ``trusted``, then every file
    it names still hashing as attested. ``timelines`` are where the attested timelines are
    now (matched by file name; default: the paths attested); ``media`` rehashes AI media."""
    doc = read_envelope(path)
    keys = {k.fingerprint: k for k in trusted}
    signer: signing.TrustedKey | None = None
    problem: str | None = "no signature by a trusted key"
    try:
        payload = base64.b64decode(doc["payload"], validate=True)
    except ValueError:
        return Verification(None, "the payload is not base64 (the envelope was changed)")
    if doc.get("payloadType") != PAYLOAD_TYPE:
        return Verification(None, f"payloadType {doc.get('payloadType')!r} is not "
                            f"{PAYLOAD_TYPE}")
    for entry in doc["signatures"]:
        if not isinstance(entry, dict):
            continue
        key = keys.get(str(entry.get("keyid")))
        if key is None:
            problem = f"signed by key {entry.get('keyid')}, which is not a trusted key"
            continue
        if _valid(key, str(entry.get("sig", "")), payload):
            signer, problem = key, None
            break
        problem = f"signature by {key.fingerprint} ({key.identity}) does not match: " \
                  "the envelope was changed after signing"
    if signer is None:
        return Verification(None, problem)
    try:
        doc_statement = json.loads(payload)
        predicate = doc_statement["predicate"]
    except (ValueError, KeyError, TypeError):
        return Verification(None, "the signed payload is not an in-toto statement")
    if not isinstance(doc_statement, dict) or doc_statement.get("_type") != STATEMENT_TYPE \
            or doc_statement.get("predicateType") != PREDICATE_TYPE:
        return Verification(None, "the signed statement is not an aigate attestation "
                            f"({PREDICATE_TYPE})")
    try:
        changes, checked = _changes(doc_statement, predicate, timelines, media)
    except (KeyError, TypeError, AttributeError):
        return Verification(None, "the signed statement is not an aigate attestation "
                            f"({PREDICATE_TYPE})")
    return Verification(signer, None, doc_statement, tuple(changes), checked)


def _valid(key: signing.TrustedKey, sig: str, payload: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ed25519

    try:
        ed25519.Ed25519PublicKey.from_public_bytes(key.public).verify(
            base64.b64decode(sig, validate=True), pae(PAYLOAD_TYPE, payload))
    except (InvalidSignature, ValueError):
        return False
    return True


def _changes(doc: Mapping[str, Any], predicate: Mapping[str, Any], timelines: Sequence[Path],
             media: bool) -> tuple[list[Change], int]:
    changes: list[Change] = []
    checked = 0

    def compare(kind: str, where: str | Path | None, attested: str | None) -> None:
        nonlocal checked
        if where is None:
            return
        checked += 1
        now = _sha(Path(where))
        if now is None:
            changes.append(Change(kind, str(where), "missing or unreadable"))
        elif now != attested:
            changes.append(Change(kind, str(where), f"changed (attested sha256 "
                                  f"{str(attested)[:16]}…, now {now[:16]}…)"))

    given = {p.name: p for p in timelines}
    attested_paths = {t["file"]: t["path"] for t in predicate.get("timelines", ())}
    for subject in doc.get("subject", ()):
        name = subject["name"]
        where = given.pop(name, None) or attested_paths.get(name)
        compare("timeline", where, subject["digest"]["sha256"])
    for extra in given.values():
        changes.append(Change("timeline", str(extra), "not in the attestation"))
    for entry in predicate["policy"]["files"]:
        compare("pack", entry["path"], entry["sha256"])
    for entry in predicate.get("config", ()):
        compare("config", entry["path"], entry["sha256"])
    for entry in predicate.get("approvals", ()):
        compare(entry.get("kind", "approval"), entry.get("path"), entry.get("sha256"))
    if media:
        for timeline in predicate.get("timelines", ()):
            for clip in timeline["clips"]:
                if clip.get("media_path"):
                    compare("media", clip["media_path"], clip.get("media_sha256"))
    return changes, checked


def trusted_keys(files: Iterable[Path]) -> list[signing.TrustedKey]:
    """Keys from public key files (base64 Ed25519, as ``aigate approvals keygen`` writes),
    each known by its file name."""
    keys = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{file}: cannot read key: {exc.strerror or exc}") from None
        keys.append(signing.TrustedKey(signing.public_key_from_text(text, str(file)),
                                       file.stem))
    return keys
