"""The conform attestation: a signed record of what the gate decided, on which files, under
which rules and approvals.

An in-toto Statement v1 (subjects: the sha256 of each timeline file checked, each with the
path it was attested at; predicate: the aigate version, stage, as-of date, the policy pack
files of the ``extends`` chain, the config and the files it names (ledger, key files, C2PA
trust anchors), the approvals and consents that waived findings, every AI clip with its
verdict, findings and media hash, every clip's media file (AI or not) with the XMP sidecars
beside it, and the summary) in a DSSE envelope signed with Ed25519. Plain ``cryptography``
signs it, with the key handling approval signing already uses (:mod:`aigate.trust.signing`): one
key format and one fingerprint for studio keys, and no second crypto stack to deploy.

:func:`verify` checks the signature against trusted attestation keys, then rehashes every
file the statement names and lists what changed; :meth:`Verification.decision_problem`
judges the attested decision (lock, stage). :func:`embeddable` is the check an attestation
passes before a deliverable's Content Credentials carry it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from aigate.config import Config
from aigate.config.yamlfile import load
from aigate.core.gate import Gate
from aigate.core.media import OUTSIDE, Media, MediaResolver, file_sha256
from aigate.errors import InputError, UsageError
from aigate.model import STAGES, Severity, SubjectResult
from aigate.output.evidence import Root, b64decode, pack_entry
from aigate.trust import signing
from aigate.version import version

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "urn:aigate:conform-attestation:v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
SEVERITY_LABELS = frozenset(s.label for s in Severity)


@dataclass(frozen=True, slots=True)
class Checked:
    """One timeline file the gate checked, its results, the gate that checked it and the
    sha256 of the bytes it checked (None: hash when the statement is made)."""

    path: Path
    results: tuple[SubjectResult, ...]
    gate: Gate
    digest: str | None = None


@dataclass(frozen=True, slots=True)
class Backdated:
    """A check run ``--as-of`` a past date whose pass today's rules would lock, attested
    anyway (``--backdate``): the statement and ``attest verify`` say so."""

    as_of: dt.date
    #: the rules in force on one date and not the other
    rules: tuple[str, ...]
    #: the verdict today's rules give
    today: str


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
        """Signed by a trusted key and every file as attested (the decision aside)."""
        return self.signer is not None and not self.changes

    @property
    def predicate(self) -> Mapping[str, Any]:
        return self.statement.get("predicate", {})

    @property
    def verdict(self) -> str:
        return str(self.predicate.get("verdict", "unknown"))

    @property
    def signed_at(self) -> str:
        return str(self.predicate.get("signed_at") or "unknown (not recorded)")

    @property
    def backdated(self) -> Mapping[str, Any] | None:
        value = self.predicate.get("backdated")
        return value if isinstance(value, Mapping) else None

    @property
    def lock_allowed(self) -> bool:
        return self.predicate.get("lock_allowed") is True

    @property
    def stage(self) -> str | None:
        """The lowest stage any attested timeline was checked at (None: none known)."""
        stages = [t.get("stage") for t in self.predicate.get("timelines", ())
                  if isinstance(t, Mapping)]
        if not stages or any(s not in STAGES for s in stages):
            return None
        return min(stages, key=STAGES.index)

    def decision_problem(self, require_stage: str, accept_lock: bool) -> str | None:
        """Why the attested decision does not clear a delivery: a lock verdict (unless
        ``accept_lock``), or a stage below ``require_stage``; None when it does."""
        if self.verdict not in SEVERITY_LABELS:
            return f"the attested verdict {self.verdict!r} is not a verdict"
        if self.verdict == Severity.LOCK.label and not accept_lock:
            return "the attested verdict is lock" + (
                " (attested with --allow-lock)" if self.lock_allowed else "") + \
                "; --accept-lock to accept it"
        stage = self.stage
        if stage is None or STAGES.index(stage) < STAGES.index(require_stage):
            return (f"attested at stage {stage or 'unknown'}, below {require_stage} "
                    "(--require-stage)")
        return None


def _sha(path: Path) -> str | None:
    return file_sha256(path)


def _hashed(kind: str, path: str | Path, root: Root) -> dict[str, Any]:
    return {"path": root.name(path), "sha256": _sha(Path(path)), "kind": kind}


def show_root(checked: Sequence[Checked]) -> Root:
    """The show root: the first timeline's config folder (else its own folder)."""
    first = checked[0]
    return Root((first.gate.config.base_dir or first.path.parent).absolute())


def rules_in_force(gate: Gate, on: dt.date) -> frozenset[str]:
    """The rules of the gate's policy (for its show) enabled and in force on ``on``."""
    return frozenset(rule for rule, setting in gate.policy.for_show(gate.config.show)
                     .rules.items() if setting.enabled and setting.in_force(on))


def statement(checked: Sequence[Checked], stage: str | None, as_of: dt.date,
              allow_lock: bool = False, *, builtins: Mapping[str, Path] | None = None,
              backdated: Backdated | None = None,
              signed_at: dt.datetime | None = None) -> dict[str, Any]:
    """The in-toto Statement for these checked files (not yet signed). Files are named
    relative to the show root (:func:`show_root`), built-in packs (``builtins``: name ->
    file) by name, version and hash, so the record verifies wherever the show is."""
    root = show_root(checked) if checked else Root(Path.cwd())
    builtins = builtins or {}
    subjects: list[dict[str, Any]] = []
    timelines: list[dict[str, Any]] = []
    packs: dict[str, dict[str, Any]] = {}
    configs: dict[str, dict[str, Any]] = {}
    records: dict[str, dict[str, Any]] = {}
    files: dict[str, dict[str, Any]] = {}
    media_files: dict[str, dict[str, Any]] = {}
    worst = Severity.PASS
    counts = {"timelines": 0, "clips": 0, "ai": 0, "warn": 0, "lock": 0, "waived": 0}
    for entry in checked:
        digest = entry.digest or _sha(entry.path)
        if digest is None:
            raise InputError(f"{entry.path}: cannot read the timeline to hash it")
        # each subject carries where it was attested: two timelines may share a file name
        subjects.append({"name": entry.path.name, "digest": {"sha256": digest},
                         "annotations": {"path": root.name(entry.path)}})
        gate = entry.gate
        for pack in gate.policy.files:
            packs.setdefault(pack, pack_entry(pack, builtins, root, _sha(Path(pack))))
        if gate.config.path:
            configs.setdefault(str(gate.config.path),
                               _hashed("config", gate.config.path, root))
            for kind, named in config_files(gate.config):
                files.setdefault(str(named), _hashed(kind, named, root))
        for result in entry.results:
            worst = max(worst, result.verdict)
            counts["timelines"] += 1
            clips = []
            resolver = _resolver(gate, entry.path)
            for r in result.items:
                counts["clips"] += 1
                # every clip's media, AI or not: a sidecar added later can make a clip AI
                frames = resolver.frames(r.item.sequence)[0] if r.item.sequence else ()
                for url in (r.item.media_url, *r.item.other_media, *frames):
                    if url:
                        _media_entry(media_files, resolver.resolve(url), root,
                                     gate.plugins.sidecar_names)
                if not r.ai:
                    continue
                counts["ai"] += 1
                counts["lock"] += r.verdict is Severity.LOCK
                counts["warn"] += r.verdict is Severity.WARN
                media = resolver.resolve(r.item.media_url)
                for f in r.findings:
                    if f.approval:
                        counts["waived"] += 1
                        records.setdefault(f.approval, _record(gate, f.approval, root))
                clips.append({
                    "track": r.item.track, "clip": r.item.clip,
                    "record_in": r.item.record_in, "record_out": r.item.record_out,
                    "verdict": r.verdict.label,
                    "findings": [{"rule": f.rule, "severity": f.severity.label,
                                  "reason": f.reason, "approval": f.approval,
                                  "waived_from": f.waived_from.label if f.waived_from
                                  else None} for f in r.findings],
                    "media": r.item.media_url,
                    "media_path": root.name(media.path) if media.path else None,
                    "media_sha256": _sha(media.path) if media.path and media.readable
                    else None})
            timelines.append({"file": entry.path.name, "path": root.name(entry.path),
                              "timeline": result.name, "stage": result.stage,
                              "policy": result.policy, "verdict": result.verdict.label,
                              # media: {required: false}: said in what is signed
                              "provenance_basis": result.provenance_basis or None,
                              "clips": clips})
    signed = (signed_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    predicate = {
        "aigate_version": version(), "stage": stage or "per timeline",
        "as_of": as_of.isoformat(), "signed_at": signed.isoformat(),
        # paths are relative to the folder of the config that governed the check; where
        # that was here is only a default for verifying on this machine
        "root": {"is": "config folder", "attested_at": str(root.folder)},
        "backdated": {"as_of": backdated.as_of.isoformat(), "today_verdict": backdated.today,
                      "rules_that_differ": list(backdated.rules)} if backdated else None,
        "verdict": worst.label,
        "lock_allowed": allow_lock and worst is Severity.LOCK,
        "policy": {"names": sorted({e.gate.policy.name for e in checked}),
                   "files": list(packs.values()),
                   # the rules that applied on the as-of date (dated rules included or not)
                   "rules_in_force": sorted({rule for e in checked
                                             for rule in rules_in_force(e.gate, e.gate.as_of)})},
        "config": list(configs.values()),
        # what the config names besides: the ledger, key files, C2PA trust anchors
        "files": list(files.values()),
        # each distinct media file of every clip, and the XMP sidecars beside it
        "media": [media_files[k] for k in sorted(media_files)],
        "approvals": [records[k] for k in sorted(records)],
        "timelines": timelines, "summary": counts}
    return {"_type": STATEMENT_TYPE, "subject": subjects, "predicateType": PREDICATE_TYPE,
            "predicate": predicate}


#: the files beside a media file that provenance sources read as its own (XMP sidecars),
#: named by the plugins that read them (hook ``aigate_sidecar_names``)
SidecarNames: TypeAlias = Callable[[Path], Sequence[str]]


def _media_entry(found: dict[str, dict[str, Any]], media: Media, root: Root,
                 sidecar_names: SidecarNames) -> None:
    """One entry per distinct media file: its hash and the hashes of its sidecars."""
    key = str(media.path) if media.path else f"url:{media.url}"
    if key in found:
        return
    # by name in the media's (real) folder, as the XMP source finds them: a symlinked
    # sidecar is still the sidecar of that name
    sidecars = [{"name": name, "sha256": _sha(media.path.parent / name)}
                for name in sidecar_names(media.path)
                if os.path.lexists(media.path.parent / name)] if media.path else []
    found[key] = {"url": media.url, "path": root.name(media.path) if media.path else None,
                  "state": media.state,
                  "sha256": _sha(media.path) if media.path and media.readable else None,
                  "sidecars": sidecars}


def config_files(config: Config) -> list[tuple[str, Path]]:
    """Every file the config names that the decision or its trust rests on: the ledger,
    the key files of ``trusted_keys`` and ``attestation_keys``, the C2PA trust anchors."""
    named: list[tuple[str, Path]] = []
    if config.ledger:
        named.append(("ledger", config.ledger))
    if config.c2pa_trust_anchors:
        named.append(("trust-anchors", config.c2pa_trust_anchors))
    if config.path is not None:
        doc = load(config.path)
        base = config.path.absolute().parent
        for section, kind in (("trusted_keys", "approver-key"),
                              ("attestation_keys", "attestation-key")):
            entries = doc.get(section) if isinstance(doc, dict) else None
            for entry in entries if isinstance(entries, list) else ():
                if isinstance(entry, dict) and isinstance(entry.get("file"), str):
                    named.append((kind, base / entry["file"]))
    return named


def _resolver(gate: Gate, path: Path) -> MediaResolver:
    """Media resolved as the gate resolved it for this timeline."""
    return gate.media_resolver(path.parent)


def _record(gate: Gate, record_id: str, root: Root) -> dict[str, Any]:
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
    return {"id": record_id, "kind": kind, **_hashed(kind, record.source, root),
            "signer": signer}


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


def read_envelope(path: Path, data: bytes | None = None) -> dict[str, Any]:
    """The envelope in ``path`` (``data``: its bytes, already read); a file that is not
    one is an InputError naming it."""
    try:
        doc = json.loads(path.read_bytes() if data is None else data)
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
           timelines: Sequence[Path] = (), media: bool = False, *,
           sidecar_names: SidecarNames | None = None, root: Path | None = None,
           builtins: Mapping[str, Path] | None = None,
           data: bytes | None = None, fallback: Path | None = None) -> Verification:
    """Check the envelope in ``path`` (``data``: its bytes, e.g. from a deliverable): its
    signature by one of ``trusted``, then every file it names still hashing as attested.
    Relative names are found under ``root`` (the show root here; default: the folder it
    was attested at when that exists here, else ``fallback``, else the current folder),
    built-in packs in this installation (``builtins``: name -> file). Each
    timeline is re-hashed where it was attested, or where ``timelines`` says it is now
    (matched by file name; a name given twice or shared by two attested timelines is a
    UsageError). ``media`` rehashes every clip's media and the XMP sidecars beside it (one
    added since is a change; the names come from ``sidecar_names``, by default the loaded
    plugins'). The attested decision itself is judged by
    :meth:`Verification.decision_problem`."""
    doc = read_envelope(path, data)
    try:
        payload = b64decode(doc["payload"])
    except ValueError:
        return Verification(None, "the payload is not base64 (the envelope was changed)")
    signer, problem = _signed_by(doc, trusted)
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
    here = Root((root or _attested_root(predicate) or fallback or Path.cwd()).absolute())
    try:
        if media and sidecar_names is None:
            from aigate.core.plugins import load_plugins

            sidecar_names = load_plugins().sidecar_names
        changes, checked = _changes(doc_statement, predicate, timelines,
                                    sidecar_names if media else None, here, builtins or {})
    except (KeyError, TypeError, AttributeError):
        return Verification(None, "the signed statement is not an aigate attestation "
                            f"({PREDICATE_TYPE})")
    return Verification(signer, None, doc_statement, tuple(changes), checked)


def _attested_root(predicate: Any) -> Path | None:
    root = predicate.get("root") if isinstance(predicate, dict) else None
    attested = root.get("attested_at") if isinstance(root, dict) else None
    return Path(attested) if isinstance(attested, str) and Path(attested).is_dir() else None


def embeddable(path: Path, trusted: Iterable[signing.TrustedKey], timeline: Path) -> bytes:
    """The envelope in ``path`` as read, once it is shown to be an attestation of
    ``timeline`` as it is now: signed by one of ``trusted`` (attestation keys) and with a
    subject hashing as ``timeline`` does. Anything else is an InputError naming the file:
    a deliverable never carries a record nobody trusted signed, or one of another cut."""
    keys = list(trusted)
    if not keys:
        raise InputError(f"{path}: cannot embed an attestation nobody can verify: no "
                         "attestation keys (attestation_keys in aigate.yaml or "
                         "--trusted-keys PUB...)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    doc = read_envelope(path, data)
    problem = _signed_by(doc, keys)[1]
    if problem is not None:
        raise InputError(f"{path}: not embedded: {problem}")
    try:
        signed = json.loads(b64decode(doc["payload"]))
        if signed["_type"] != STATEMENT_TYPE or signed["predicateType"] != PREDICATE_TYPE:
            raise ValueError
        digests = {s["digest"]["sha256"] for s in signed["subject"]}
    except (ValueError, KeyError, TypeError):
        raise InputError(f"{path}: not embedded: the signed statement is not an aigate "
                         "attestation") from None
    now = _sha(timeline)
    if now is None or now not in digests:
        raise InputError(f"{path}: not embedded: it does not attest {timeline} as it is "
                         "now (no subject has its sha256: attested before an edit, or "
                         "another cut)")
    return data


def _signed_by(doc: Mapping[str, Any], trusted: Iterable[signing.TrustedKey]
               ) -> tuple[signing.TrustedKey | None, str | None]:
    """The trusted key whose signature over the envelope holds, or why there is none. A
    signature's keyid is only a hint (DSSE): the key it names is tried first, then every
    trusted key, so a valid signature by any of them verifies."""
    try:
        payload = b64decode(doc["payload"])
    except ValueError:
        return None, "the payload is not base64 (the envelope was changed)"
    if doc.get("payloadType") != PAYLOAD_TYPE:
        return None, f"payloadType {doc.get('payloadType')!r} is not {PAYLOAD_TYPE}"
    keys = list(trusted)
    problem = "no signature by a trusted key"
    for entry in doc["signatures"]:
        if not isinstance(entry, dict):
            continue
        hint = str(entry.get("keyid", ""))
        ordered = sorted(keys, key=lambda k: k.fingerprint != hint)
        for key in ordered:
            if _valid(key, entry.get("sig"), payload):
                return key, None
        named = next((k for k in keys if k.fingerprint == hint), None)
        problem = (f"signature by {named.fingerprint} ({named.identity}) does not match: "
                   "the envelope was changed after signing") if named else \
            f"signed by key {hint or '(no keyid)'}, which is not a trusted key"
    return None, problem


def _valid(key: signing.TrustedKey, sig: Any, payload: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ed25519

    try:
        ed25519.Ed25519PublicKey.from_public_bytes(key.public).verify(
            b64decode(sig), pae(PAYLOAD_TYPE, payload))
    except (InvalidSignature, ValueError):
        return False
    return True


def _where_now(subjects: Sequence[Mapping[str, Any]], timelines: Sequence[Path],
               root: Root) -> list[Path]:
    """Where each subject is to be re-hashed: its own attested path (under ``root`` when
    relative), or the ``timelines`` given, matched by file name. A name given twice, or one
    that several subjects share, cannot be matched: refused, never guessed."""
    where = [root.path(str(s["annotations"]["path"])) or Path() for s in subjects]
    names = [str(s["name"]) for s in subjects]
    given: dict[str, Path] = {}
    for path in timelines:
        if path.name in given:
            raise UsageError(f"--timeline: {path.name} is given twice ({given[path.name]}, "
                             f"{path}): timelines are matched by file name")
        given[path.name] = path
        if names.count(path.name) > 1:
            raise UsageError(f"--timeline {path}: the attestation holds "
                             f"{names.count(path.name)} timelines named {path.name}: "
                             "matching by file name is ambiguous; verify them where they "
                             "were attested")
    for n, name in enumerate(names):
        if name in given:
            where[n] = given.pop(name)
    if given:
        extra = next(iter(given.values()))
        raise UsageError(f"--timeline {extra}: no timeline named {extra.name} in the "
                         "attestation")
    return where


def _changes(doc: Mapping[str, Any], predicate: Mapping[str, Any], timelines: Sequence[Path],
             sidecar_names: SidecarNames | None, root: Root, builtins: Mapping[str, Path]
             ) -> tuple[list[Change], int]:
    """What changed since the attestation; with ``sidecar_names``, the media and their
    sidecars too."""
    changes: list[Change] = []
    checked = 0

    def compare(kind: str, named: str | Path | None, attested: str | None) -> None:
        nonlocal checked
        if named is None:
            return
        where = root.path(str(named))
        checked += 1
        now = _sha(Path(str(where)))
        if now is None and attested is None:
            return  # missing when attested, still missing
        if now is None:
            changes.append(Change(kind, str(where), "missing or unreadable"))
        elif attested is None:
            changes.append(Change(kind, str(where), "present now, missing or unreadable "
                                  "when attested"))
        elif now != attested:
            changes.append(Change(kind, str(where), f"changed (attested sha256 "
                                  f"{str(attested)[:16]}…, now {now[:16]}…)"))

    subjects = list(doc["subject"])
    for subject, where in zip(subjects, _where_now(subjects, timelines, root), strict=True):
        compare("timeline", where, subject["digest"]["sha256"])
    for entry in predicate["policy"]["files"]:
        if entry.get("builtin"):
            checked += 1
            here = builtins.get(str(entry["builtin"]))
            now = _sha(here) if here else None
            if now != entry["sha256"]:
                changes.append(Change("pack", f"built-in {entry['builtin']}", (
                    f"not in this installation (attested with aigate {entry.get('version')})"
                    if here is None else f"differs here (attested sha256 "
                    f"{str(entry['sha256'])[:16]}… with aigate {entry.get('version')}, "
                    f"now {str(now)[:16]}… with aigate {version()})")))
            continue
        compare("pack", entry["path"], entry["sha256"])
    for entry in predicate["config"]:
        compare("config", entry["path"], entry["sha256"])
    for entry in predicate["files"]:
        compare(entry["kind"], entry["path"], entry["sha256"])
    for entry in predicate["approvals"]:
        compare(entry.get("kind", "approval"), entry.get("path"), entry.get("sha256"))
    if sidecar_names is not None:
        for entry in predicate["media"]:
            # not a file here when attested (another machine, a URL), or one the gate was
            # not allowed to read (outside the media roots): nothing it rested on
            if not entry["path"] or entry["state"] == OUTSIDE:
                continue
            compare("media", entry["path"], entry["sha256"])
            folder = Path(str(root.path(entry["path"]))).parent
            attested = {s["name"]: s["sha256"] for s in entry["sidecars"]}
            for name in sidecar_names(Path(entry["path"])):
                if name in attested:
                    compare("sidecar", folder / name, attested[name])
                elif os.path.lexists(folder / name):
                    checked += 1
                    changes.append(Change("sidecar", str(folder / name), "added since "
                                          "the attestation (it can change what the media "
                                          "declares)"))
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
