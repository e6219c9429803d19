"""The data that flows through the gate: items, claims, provenance, findings, verdicts.

One direction only: a host plugin turns a subject into :class:`Item` objects, provenance
sources add :class:`Claim` objects, the gate merges them into :class:`Provenance`, rules turn
that into :class:`Finding` objects, and the worst finding is the item's verdict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .items import (
    DEFAULT_STAGE,
    STAGES,
    Claim,
    Collected,
    FrameSequence,
    Item,
    Provenance,
    Severity,
    Stage,
    TalentUse,
    Tool,
    Trust,
    items_timing_problem,
)
from .results import (
    NO_PROVENANCE,
    CheckedFile,
    Counts,
    FailedFile,
    FileOutcome,
    Finding,
    InputProblem,
    ItemResult,
    RenderedFile,
    RuleCounts,
    SubjectResult,
    Tally,
    approved,
)
from .timecode import (
    MAX_RATE,
    MAX_SECONDS,
    otio_timecode,
    timecode,
    timing_problem,
)

__all__ = [
    "DEFAULT_STAGE",
    "MAX_RATE",
    "MAX_SECONDS",
    "NO_PROVENANCE",
    "STAGES",
    "CheckedFile",
    "Claim",
    "Collected",
    "Counts",
    "CredentialIngredient",
    "Credentials",
    "Diagnostic",
    "FailedFile",
    "FileOutcome",
    "Finding",
    "FrameSequence",
    "InputProblem",
    "Item",
    "ItemResult",
    "Provenance",
    "RenderedFile",
    "RuleCounts",
    "SaveOutcome",
    "Severity",
    "Stage",
    "Stamped",
    "SubjectResult",
    "TalentUse",
    "Tally",
    "Tool",
    "Trust",
    "approved",
    "items_timing_problem",
    "otio_timecode",
    "timecode",
    "timing_problem",
]

#: loaded on first use (:mod:`aigate.model.outcomes`): a check makes none of them
_OUTCOMES = frozenset({"CredentialIngredient", "Credentials", "Diagnostic", "SaveOutcome",
                       "Stamped"})

if TYPE_CHECKING:
    from .outcomes import CredentialIngredient, Credentials, Diagnostic, SaveOutcome, Stamped


def __getattr__(name: str) -> Any:
    import importlib

    if name == "outcomes":  # by attribute (aigate.model.outcomes), as when it loaded eagerly
        return importlib.import_module(f"{__name__}.outcomes")
    if name not in _OUTCOMES:
        raise AttributeError(f"module 'aigate.model' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.outcomes"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
