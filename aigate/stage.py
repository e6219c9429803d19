"""Which pipeline stage a check runs at.

Order: explicit argument > AIGATE_STAGE > what the subject says about itself (the
``aigate_resolve_stage`` hook) > config path rules > the default, ``edit``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import UsageError
from .model import DEFAULT_STAGE, STAGES


@dataclass(frozen=True, slots=True)
class ResolvedStage:
    stage: str
    origin: str  # "argument", "AIGATE_STAGE", "subject", "path rule", "default"


def validate(stage: str, where: str) -> str:
    """Return ``stage`` if it is known; otherwise a UsageError naming where it came from."""
    normalised = stage.strip().lower()
    if normalised not in STAGES:
        raise UsageError(f"{where}: unknown stage {stage!r} (expected one of {', '.join(STAGES)})")
    return normalised


def explicit_or_env(explicit: str | None, where: str = "--stage") -> ResolvedStage | None:
    """The stage that overrides everything the subject says, if one was given."""
    if explicit:
        return ResolvedStage(validate(explicit, where), "argument")
    env = os.environ.get("AIGATE_STAGE")
    if env:
        return ResolvedStage(validate(env, "AIGATE_STAGE"), "AIGATE_STAGE")
    return None


def resolve(override: ResolvedStage | None, from_subject: str | None, where: str,
            from_path: str | None) -> ResolvedStage:
    if override is not None:
        return override
    if from_subject:
        return ResolvedStage(validate(from_subject, where), "subject")
    if from_path:
        return ResolvedStage(from_path, "path rule")
    return ResolvedStage(DEFAULT_STAGE, "default")
