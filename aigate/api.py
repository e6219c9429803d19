"""The public API: what a plugin, a host script or a pipeline tool imports. Nothing else in
``aigate`` is promised to stay put between versions.

For plugins::

    from aigate.api import HOOK_API_VERSION, Claim, InputError, Trust, hookimpl

    @hookimpl
    def aigate_claims(items, context):
        ...

``HOOK_API_VERSION`` says which hooks and arguments the running aigate offers (see
:mod:`aigate.core.hookspecs`, each spec says the version that added it): a plugin needing a later
hook can refuse to load with a clear message instead of never being called.

For hosts and scripts: :func:`check` (a file or an in-memory subject in, results out) and
:func:`gate_for` (the :class:`Gate` that governs a file, for a host's own read and export
hooks: ``gate_for(path).guard_export(subject, output=out)``). :class:`ExitCode` holds the
command's exit codes.

Heavy modules (the gate, the plugin manager) load on first use of :class:`Gate`,
:class:`GateLocked`, :func:`check` or :func:`gate_for`, so a plugin importing this module at
load time pulls in nothing it does not need.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigate.config import Config
from aigate.core.containers import Container, identify
from aigate.core.context import CheckContext
from aigate.core.hookspecs import HOOK_API_VERSION, hookimpl
from aigate.core.media import (
    MAX_SEQUENCE_FRAMES,
    Media,
    frame_url,
    media_key,
    media_spellings,
    normalise_path,
)
from aigate.core.policy import Hit, Rule, RuleCheck
from aigate.core.xmlcheck import refuse_xml_entities
from aigate.errors import AigateError, InputError, PluginError, UsageError
from aigate.model import (
    STAGES,
    Claim,
    Collected,
    CredentialIngredient,
    Credentials,
    Diagnostic,
    Finding,
    FrameSequence,
    InputProblem,
    Item,
    ItemResult,
    Provenance,
    SaveOutcome,
    Severity,
    Stamped,
    SubjectResult,
    TalentUse,
    Tool,
    Trust,
)
from aigate.output.report import RegisterFormat, Report, ReportFormat, ReportOptions, Shade
from aigate.run.exitcodes import ExitCode

if TYPE_CHECKING:
    from aigate.core.gate import Gate, GateLocked
    from aigate.run.session import check

__all__ = [
    "HOOK_API_VERSION",
    "MAX_SEQUENCE_FRAMES",
    "STAGES",
    "AigateError",
    "CheckContext",
    "Claim",
    "Collected",
    "Config",
    "Container",
    "CredentialIngredient",
    "Credentials",
    "Diagnostic",
    "ExitCode",
    "Finding",
    "FrameSequence",
    "Gate",
    "GateLocked",
    "Hit",
    "InputError",
    "InputProblem",
    "Item",
    "ItemResult",
    "Media",
    "PluginError",
    "Provenance",
    "RegisterFormat",
    "Report",
    "ReportFormat",
    "ReportOptions",
    "Rule",
    "RuleCheck",
    "SaveOutcome",
    "Severity",
    "Shade",
    "Stamped",
    "SubjectResult",
    "TalentUse",
    "Tool",
    "Trust",
    "UsageError",
    "check",
    "frame_url",
    "gate_for",
    "hookimpl",
    "identify",
    "media_key",
    "media_spellings",
    "normalise_path",
    "refuse_xml_entities",
]


def gate_for(path: str | Path | None = None, *, config: str | Path | None = None,
             policy: str | None = None,
             warn: Callable[[str], None] | None = None) -> Gate:
    """The :class:`Gate` governing the file or folder ``path`` (default: the current
    folder), found exactly as ``aigate check`` finds it: ``config`` (or AIGATE_CONFIG) when
    given, else the nearest aigate.yaml above ``path``, judged against
    AIGATE_TRUSTED_ROOTS. ``warn`` receives what is not a finding (a plugin that failed to
    load, a blanket approval). Raises :class:`AigateError` for a config or policy that
    cannot be used: a host must then refuse, never let material through.
    """
    from aigate.run.session import Options, Session

    options = Options(config=Path(config) if config else None, policy=policy)
    session = Session(options, warn=warn)
    if warn is not None:
        for problem in session.plugins.problems:
            warn(str(problem))
    return session.gate(Path(path) if path is not None else Path.cwd())


def __getattr__(name: str) -> Any:
    if name == "check":
        from aigate.run.session import check

        return check
    if name in ("Gate", "GateLocked"):
        from aigate.core import gate

        return getattr(gate, name)
    raise AttributeError(f"module 'aigate.api' has no attribute {name!r}")
