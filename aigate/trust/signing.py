"""Ed25519 signatures on approval records: keys, the canonical form that is signed, and the
check of a record against the studio's trusted keys.

A signed record carries ``signature: {key: ed25519:<fingerprint>, value: <base64>}``; what is
signed is the record without its signature, as sorted compact JSON (dates as ISO text), so
any change to any field after signing breaks it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigate.errors import InputError, UsageError

SIGNATURE_KEY = "signature"


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:  # a dependency, but say what to install if someone removed it
        raise UsageError("signatures need the 'cryptography' package: "
                         "pip install cryptography") from None
    return ed25519


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """A public key the config trusts, and whose signature it is (the approver identity)."""

    public: bytes
    identity: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public)


def fingerprint(public: bytes) -> str:
    return "ed25519:" + hashlib.sha256(public).hexdigest()[:16]


def canonical(record: dict[str, Any]) -> bytes:
    body = {k: v for k, v in record.items() if k != SIGNATURE_KEY}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_iso).encode("utf-8")


def _iso(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot sign a value of type {type(value).__name__}")


def exposure(path: Path, what: str) -> str | None:
    """Why ``path`` (a trusted key file, an approvals folder or record) can be changed by
    anyone on the machine, or None: the file or its folder writable by all (a sticky
    folder such as /tmp excepted, where others cannot replace what is ours)."""
    for part in (path, path.parent):
        try:
            info = part.stat()
        except OSError:
            continue
        if info.st_mode & stat.S_IWOTH and not (part.is_dir() and info.st_mode & stat.S_ISVTX):
            return (f"{part}: {what} is writable by others (mode "
                    f"{stat.S_IMODE(info.st_mode):o}): anyone could change what the gate "
                    "trusts; chmod o-w it (refused at stage final)")
    return None


def public_key_from_text(text: str, where: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise InputError(f"{where}: not a base64 Ed25519 public key") from None
    if len(raw) != 32:
        raise InputError(f"{where}: an Ed25519 public key is 32 bytes, this is {len(raw)}")
    return raw


@dataclass(frozen=True, slots=True)
class KeyPair:
    """What :func:`keygen` wrote: the private key, the public key, and the approver's
    identity file next to the public key (None when no approver was given)."""

    private: Path
    public: Path
    identity: Path | None
    #: the public key as ``trusted_keys`` takes it (base64)
    key: str
    approver: str | None = None

    def trusted_keys_entry(self) -> str:
        """The ``trusted_keys:`` list entry to paste into aigate.yaml."""
        approver = json.dumps(self.approver) if self.approver else "<approver name>"
        return f"- {{approver: {approver}, key: {self.key}}}"

    def attestation_keys_entry(self) -> str:
        """The ``attestation_keys:`` list entry (the key signs attestations, as
        ``attest --key``): the signer is named after the key file."""
        return f"- {{signer: {json.dumps(self.private.stem)}, key: {self.key}}}"


def keygen_identity(name: str, folder: Path, approver: str | None = None,
                    role: str | None = None) -> KeyPair:
    """:func:`keygen`, and with ``approver`` NAME.identity.yaml next to NAME.pub: who the key
    belongs to (approver, role), its fingerprint and the public key, so whoever adds it to
    ``trusted_keys`` knows whose it is. ``approver`` must be the name records give."""
    identity = folder / f"{name}.identity.yaml"
    if approver is not None:
        _new_file(identity, "an identity")
    if role is not None and approver is None:
        raise UsageError("--role goes with --approver (whose role it is)")
    private, public = keygen(name, folder)
    key = public.read_text().strip()
    if approver is None:
        return KeyPair(private, public, None, key)
    lines = [f"approver: {json.dumps(approver)}"]
    if role:
        lines.append(f"role: {json.dumps(role)}")
    lines += [f"fingerprint: {fingerprint(public_key_from_text(key, str(public)))}",
              f"key: {key}"]
    write_new(identity, ("\n".join(lines) + "\n").encode("utf-8"), 0o644, "an identity")
    return KeyPair(private, public, identity, key, approver)


def keygen(name: str, folder: Path) -> tuple[Path, Path]:
    """Write NAME.key (private, PEM, mode 0600) and NAME.pub (base64) into ``folder``."""
    ed25519 = _crypto()
    from cryptography.hazmat.primitives import serialization

    folder.mkdir(parents=True, exist_ok=True)
    private_path, public_path = folder / f"{name}.key", folder / f"{name}.pub"
    for path in (private_path, public_path):
        _new_file(path, "a key")
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    write_new(private_path, pem, 0o600, "a key")
    write_new(public_path, (base64.b64encode(public).decode() + "\n").encode(), 0o644,
              "a key")
    return private_path, public_path


def _new_file(path: Path, what: str) -> None:
    if os.path.lexists(path):  # a dangling link too: never written through
        link = " (a symbolic link)" if path.is_symlink() else ""
        raise UsageError(f"{path}: already exists{link}; not overwriting {what}")


def write_new(path: Path, data: bytes, mode: int, what: str) -> None:
    """Create ``path`` with ``data``: never through a symbolic link planted there, never over
    an existing file."""
    _new_file(path, what)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError:
        raise UsageError(f"{path}: already exists; not overwriting {what}") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot create: {exc.strerror or exc}") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def load_private_key(path: Path) -> tuple[Any, list[str]]:
    """The private key, and warnings (a key others can read is not private)."""
    ed25519 = _crypto()
    from cryptography.hazmat.primitives import serialization

    warnings = []
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read key: {exc.strerror or exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings.append(f"{path}: private key is readable by others (mode "
                        f"{stat.S_IMODE(mode):o}); chmod 600 it")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{path}: not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise InputError(f"{path}: not an Ed25519 key")
    return key, warnings


def sign(record: dict[str, Any], key: Any) -> dict[str, str]:
    """The signature block for ``record``."""
    from cryptography.hazmat.primitives import serialization

    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    value = key.sign(canonical(record))
    return {"key": fingerprint(public), "value": base64.b64encode(value).decode()}


def check(record: dict[str, Any], trusted: dict[str, TrustedKey]) -> tuple[TrustedKey | None,
                                                                           str | None]:
    """(the key that signed it, None) when the signature holds, else (None, why not)."""
    block = record.get(SIGNATURE_KEY)
    if block is None:
        return None, "unsigned"
    if not isinstance(block, dict) or not isinstance(block.get("key"), str) or \
            not isinstance(block.get("value"), str):
        return None, "signature block is malformed (needs key and value)"
    key = trusted.get(block["key"])
    if key is None:
        return None, f"signed by key {block['key']}, which is not a trusted key"
    ed25519 = _crypto()
    from cryptography.exceptions import InvalidSignature

    try:
        signature = base64.b64decode(block["value"], validate=True)
        ed25519.Ed25519PublicKey.from_public_bytes(key.public).verify(signature,
                                                                       canonical(record))
    except (InvalidSignature, ValueError):
        return None, "signature does not match the record (changed after signing)"
    return key, None
