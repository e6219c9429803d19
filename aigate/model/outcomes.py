"""What the commands beside a check give back: a subject written out, Content Credentials
written on a deliverable and read off one, a line of ``aigate doctor``. Loaded when used
(:mod:`aigate.model` names them): a check makes none of them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    """What :func:`~aigate.core.hookspecs.aigate_save_subject` wrote: the files, and the losses
    it was allowed."""

    written: tuple[Path, ...]
    accepted_losses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Stamped:
    """Content Credentials written on a deliverable (hook ``aigate_stamp_credentials``):
    the signed copy, its digital source type, how many AI media went in as ingredients, and
    whether the attestation is embedded."""

    path: Path
    source_type: str
    ingredients: int
    attested: bool
    #: when the signature was made (UTC, ISO 8601; from the time-stamp when there is one)
    signed_at: str = ""
    #: whether an RFC 3161 time-stamp authority countersigned it
    time_stamped: bool = False
    #: what a reader will think of the signer (e.g. the chain is not on a trust list)
    warnings: tuple[str, ...] = ()
    #: the existing Content Credentials kept as the parentOf ingredient
    parent_kept: bool = False


@dataclass(frozen=True, slots=True)
class CredentialIngredient:
    """One ingredient of a deliverable's Content Credentials, as a reader shows it."""

    title: str
    relationship: str
    #: the generative digital source type its own manifest declares, if any
    source_type: str | None = None


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a deliverable's Content Credentials say (hook ``aigate_read_credentials``):
    the reader's validation, who signed and when, the AI disclosure, the gate's embedded
    record and the ingredients."""

    path: Path
    #: Trusted, Valid or Invalid (the SDK's validation state)
    validation: str
    #: the validation status codes that are not success codes
    codes: tuple[str, ...] = ()
    signer: str = ""
    issuer: str = ""
    #: the signing time (ISO 8601) a time-stamp proves, else the time aigate recorded
    signed_at: str = ""
    time_stamped: bool = False
    #: the digital source type of the deliverable's own first action
    source_type: str | None = None
    #: the gate's embedded record (``com.aigate.verdict``), as JSON text; "" when none
    record: str = ""
    #: the full attestation envelope, when the credentials disclose it (JSON bytes)
    attestation: bytes | None = None
    ingredients: tuple[CredentialIngredient, ...] = ()
    #: why the validation is what it is, in words (e.g. an expired certificate)
    explanation: str = ""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One line of ``aigate doctor``: is this part of the gate live here?"""

    name: str
    ok: bool
    detail: str
    #: when not ok, material could pass unchecked (doctor exits non-zero)
    fails_open: bool = True
