"""The data that flows through the gate: items, claims, provenance, findings, verdicts.

One direction only: a host plugin turns a subject into :class:`Item` objects, provenance
sources add :class:`Claim` objects, the gate merges them into :class:`Provenance`, rules turn
that into :class:`Finding` objects, and the worst finding is the item's verdict.
"""

from .items import (
    DEFAULT_STAGE,
    STAGES,
    Claim,
    Collected,
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
    Diagnostic,
    FailedFile,
    FileOutcome,
    Finding,
    InputProblem,
    ItemResult,
    RenderedFile,
    RuleCounts,
    SaveOutcome,
    Stamped,
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
    "Diagnostic",
    "FailedFile",
    "FileOutcome",
    "Finding",
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
