"""Which pipeline stage a timeline is checked at: one function, :func:`resolve`, for every
caller, with an explicit purpose.

- A **check** asks a question and writes nothing the stage decides (``aigate check``,
  ``aigate.check``, ``Gate.check``/``annotate``, the OTIO read hook, Blender's Check). The
  caller's stage (argument, else ``AIGATE_STAGE``) is the operator's question and wins;
  without one, the higher of the timeline's metadata and the config's path rule for the file
  (``edit`` where no rule matches).
- An **export** writes a file (the OTIO write hook, Blender's render, ``Gate.guard_export``).
  The config's path rule for the *output* is a floor nothing lowers: a caller asking for a
  lower stage is refused (:class:`StageRefused`); metadata may raise the stage, never lower it.

Timeline metadata is untrusted in both: it can only raise the stage above the path rule (or
above ``edit`` where no rule matches, unless a caller asked for a stage). The
README's "Stages" section has the table; tests/test_stage_order.py tests every row.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass

from aigate.errors import UsageError
from aigate.model import DEFAULT_STAGE, STAGES, Stage


class Purpose(enum.Enum):
    """Why the stage is asked for: a question (check) or a write (export)."""

    CHECK = "check"
    EXPORT = "export"


@dataclass(frozen=True, slots=True)
class ResolvedStage:
    stage: Stage
    origin: str  # "argument", "AIGATE_STAGE", "metadata", "path rule", "default"


@dataclass(frozen=True, slots=True)
class Request:
    """The stage a caller asks for: its argument (and where that was given, for messages),
    else ``AIGATE_STAGE``. Both validated when read."""

    argument: Stage | None = None
    source: str = "--stage"
    env: Stage | None = None

    @classmethod
    def read(cls, argument: str | None, source: str = "--stage") -> Request:
        """The request of a call: ``argument`` if given, and AIGATE_STAGE (read only when
        no argument is given: an argument makes it irrelevant)."""
        if argument:
            return cls(validate(argument, source), source)
        env = os.environ.get("AIGATE_STAGE", "").strip()
        return cls(None, source, validate(env, "AIGATE_STAGE") if env else None)

    @property
    def asked(self) -> ResolvedStage | None:
        """What is asked for, with its origin; None when nothing is."""
        if self.argument:
            return ResolvedStage(self.argument, "argument")
        if self.env:
            return ResolvedStage(self.env, "AIGATE_STAGE")
        return None

    @property
    def asked_by(self) -> str:
        return self.source if self.argument else "AIGATE_STAGE"


@dataclass(frozen=True, slots=True)
class PathStage:
    """The stage a config path rule gives a path (for an export, its output path)."""

    stage: Stage
    pattern: str
    path: str
    config: str  # the config file holding the rule, or "the built-in rules"


class StageRefused(UsageError):
    """An export asked to be checked below the stage its output path's rule sets.

    ``required`` is the output's stage: asking for it (or nothing) is accepted.
    """

    def __init__(self, request: Request, floor: PathStage) -> None:
        self.required = floor.stage
        asked = request.asked
        assert asked is not None
        super().__init__(
            f"aigate: export to {floor.path} refused: {request.asked_by} asks for stage "
            f"{asked.stage}, but the output path is at stage {floor.stage} (path rule "
            f"{floor.pattern!r} in {floor.config}); an export is checked at its output's "
            f"stage or higher: ask for {floor.stage} or leave the stage out")


def rank(stage: Stage) -> int:
    """Position of ``stage`` in the pipeline: import < edit < review < final."""
    return STAGES.index(stage)


def validate(stage: str, where: str) -> Stage:
    """Return ``stage`` if it is known; otherwise a UsageError naming where it came from."""
    normalised = str(stage).strip().lower()
    if normalised not in STAGES:
        raise UsageError(f"{where}: unknown stage {stage!r} (expected one of {', '.join(STAGES)})")
    return normalised


def resolve(purpose: Purpose, request: Request, declared: object | None,
            path_rule: PathStage | None,
            declared_where: str = "timeline metadata aigate.stage") -> ResolvedStage:
    """The stage to check at (the README's "Stages" table, row by row).

    ``declared`` is what the subject says about itself (untrusted; validated only when it
    can matter), ``path_rule`` what the config's path rules give the file (check) or the
    output (export). Raises :class:`StageRefused` for an export asked below its output's
    stage, UsageError for an unknown stage.
    """
    asked = request.asked
    if purpose is Purpose.CHECK and asked is not None:
        return asked  # the operator's question (rows 1, 2): nothing is written
    if (purpose is Purpose.EXPORT and asked is not None and path_rule is not None
            and rank(asked.stage) < rank(path_rule.stage)):
        raise StageRefused(request, path_rule)  # rows 5, 6
    candidates = [asked] if asked is not None else []
    if path_rule is not None:
        candidates.append(ResolvedStage(path_rule.stage, "path rule"))
    elif asked is None:
        candidates.append(ResolvedStage(DEFAULT_STAGE, "default"))  # rows 4, 9
    if declared is not None and declared != "":
        # untrusted: it only raises, above the rule (or the default where none matches)
        candidates.append(ResolvedStage(validate(str(declared), declared_where), "metadata"))
    # the highest wins (rows 3, 7, 8); on a tie the first named keeps the credit
    return max(candidates, key=lambda c: rank(c.stage))
