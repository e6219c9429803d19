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

Every name loads its module on first use: a plugin importing this module at load time
pulls in the modules of the names it imports and nothing else (the OTIO import hook, which
runs on every read in every OTIO tool, imports one function before it knows there is
anything to check).

Built-in plugins and hooks import this module only (an import-linter contract in
pyproject.toml holds them to it): what they share with the engine (media states, the
provenance parsing helpers, timecodes, the shade a clip is shown in, atomic writes) is
exported here, so a third party can do what they do.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aigate.config import Config
    from aigate.config.globs import match as glob_match
    from aigate.config.yamlfile import Section
    from aigate.core.containers import Container, identify
    from aigate.core.context import CheckContext
    from aigate.core.formats import (
        DisclosureRegister,
        FormatKind,
        RegisterFormat,
        ReportFormat,
        ReportOptions,
        RunReport,
        Shade,
        Summary,
        counts_in_words,
        plural,
    )
    from aigate.core.gate import Gate, GateLocked
    from aigate.core.gcpause import paused_gc
    from aigate.core.hookspecs import HOOK_API_VERSION, hookimpl
    from aigate.core.installed import entry_points as installed_entry_points
    from aigate.core.installed import fingerprint, snapshot
    from aigate.core.layout.parts import Part, boxes, parts, read_at
    from aigate.core.layout.xmp import Place, Unreadable, read_xmp, xmp_places
    from aigate.core.media import (
        MAX_SEQUENCE_FRAMES,
        Media,
        MediaResolver,
        MediaState,
        frame_url,
        media_key,
        media_spellings,
        normalise_path,
        read_bounded,
    )
    from aigate.core.media import MISSING as MEDIA_MISSING
    from aigate.core.media import NONE as MEDIA_NONE
    from aigate.core.media import NOT_READ as MEDIA_NOT_READ
    from aigate.core.media import OK as MEDIA_OK
    from aigate.core.media import OUTSIDE as MEDIA_OUTSIDE
    from aigate.core.media import UNREADABLE as MEDIA_UNREADABLE
    from aigate.core.policy import Hit, Policy, Rule, RuleCheck
    from aigate.core.provenance import (
        GATE_KEYS,
        claim_from_dict,
        claim_to_dict,
        from_other_media,
        is_genai_source_type,
        normalise_source_type,
        parse_contract,
    )
    from aigate.core.stage import StageRefused
    from aigate.core.stage import validate as validate_stage
    from aigate.core.xmlcheck import refuse_xml_entities
    from aigate.errors import AigateError, InputError, PluginError, UsageError, one_line, printable
    from aigate.model import (
        MAX_RATE,
        MAX_SECONDS,
        STAGES,
        Claim,
        Collected,
        Counts,
        CredentialIngredient,
        Credentials,
        Diagnostic,
        Finding,
        FrameSequence,
        InputProblem,
        Item,
        ItemResult,
        Provenance,
        RuleCounts,
        SaveOutcome,
        Severity,
        Stamped,
        SubjectResult,
        TalentUse,
        Tally,
        Tool,
        Trust,
        approved,
        items_timing_problem,
        otio_timecode,
        timecode,
        timing_problem,
    )
    from aigate.output.files import atomic_path, atomic_text, output_mode
    from aigate.output.register import REGISTER_SCHEMA_VERSION, Column, Register, policy_sha256
    from aigate.output.report import JSON_SCHEMA_VERSION, Report
    from aigate.run.exitcodes import ExitCode
    from aigate.run.session import check

__all__ = [
    "GATE_KEYS",
    "HOOK_API_VERSION",
    "JSON_SCHEMA_VERSION",
    "MAX_RATE",
    "MAX_SECONDS",
    "MAX_SEQUENCE_FRAMES",
    "MEDIA_MISSING",
    "MEDIA_NONE",
    "MEDIA_NOT_READ",
    "MEDIA_OK",
    "MEDIA_OUTSIDE",
    "MEDIA_UNREADABLE",
    "REGISTER_SCHEMA_VERSION",
    "STAGES",
    "AigateError",
    "CheckContext",
    "Claim",
    "Collected",
    "Column",
    "Config",
    "Container",
    "Counts",
    "CredentialIngredient",
    "Credentials",
    "Diagnostic",
    "DisclosureRegister",
    "ExitCode",
    "Finding",
    "FormatKind",
    "FrameSequence",
    "Gate",
    "GateLocked",
    "Hit",
    "InputError",
    "InputProblem",
    "Item",
    "ItemResult",
    "Media",
    "MediaResolver",
    "MediaState",
    "Part",
    "Place",
    "PluginError",
    "Policy",
    "Provenance",
    "Register",
    "RegisterFormat",
    "Report",
    "ReportFormat",
    "ReportOptions",
    "Rule",
    "RuleCheck",
    "RuleCounts",
    "RunReport",
    "SaveOutcome",
    "Section",
    "Severity",
    "Shade",
    "StageRefused",
    "Stamped",
    "SubjectResult",
    "Summary",
    "TalentUse",
    "Tally",
    "Tool",
    "Trust",
    "Unreadable",
    "UsageError",
    "approved",
    "atomic_path",
    "atomic_text",
    "boxes",
    "check",
    "claim_from_dict",
    "claim_to_dict",
    "counts_in_words",
    "fingerprint",
    "frame_url",
    "from_other_media",
    "gate_for",
    "glob_match",
    "hookimpl",
    "identify",
    "installed_entry_points",
    "is_genai_source_type",
    "items_timing_problem",
    "media_key",
    "media_spellings",
    "normalise_path",
    "normalise_source_type",
    "one_line",
    "otio_timecode",
    "output_mode",
    "parse_contract",
    "parts",
    "paused_gc",
    "plural",
    "policy_sha256",
    "printable",
    "read_at",
    "read_bounded",
    "read_xmp",
    "refuse_xml_entities",
    "snapshot",
    "timecode",
    "timing_problem",
    "validate_stage",
    "xmp_places",
]

#: where each public name lives, loaded on first use (PEP 562): a plugin importing three
#: names loads the modules of those three, not the engine; ``name=attr`` where it is renamed
_HOMES = {
    "aigate.config": "Config",
    "aigate.config.globs": "glob_match=match",
    "aigate.config.yamlfile": "Section",
    "aigate.core.containers": "Container identify",
    "aigate.core.context": "CheckContext",
    "aigate.core.formats": "DisclosureRegister FormatKind RegisterFormat ReportFormat "
                           "ReportOptions RunReport Shade Summary counts_in_words plural",
    "aigate.core.gcpause": "paused_gc",
    "aigate.core.hookspecs": "HOOK_API_VERSION hookimpl",
    "aigate.core.installed": "installed_entry_points=entry_points fingerprint snapshot",
    "aigate.core.layout.parts": "Part boxes parts read_at",
    "aigate.core.layout.xmp": "Place Unreadable read_xmp xmp_places",
    "aigate.core.media": "MAX_SEQUENCE_FRAMES Media MediaResolver MediaState frame_url media_key "
                         "media_spellings normalise_path read_bounded MEDIA_MISSING=MISSING "
                         "MEDIA_NONE=NONE MEDIA_NOT_READ=NOT_READ MEDIA_OK=OK "
                         "MEDIA_OUTSIDE=OUTSIDE MEDIA_UNREADABLE=UNREADABLE",
    "aigate.core.policy": "Hit Policy Rule RuleCheck",
    "aigate.core.provenance": "GATE_KEYS claim_from_dict claim_to_dict from_other_media "
                              "is_genai_source_type normalise_source_type parse_contract",
    "aigate.core.stage": "StageRefused validate_stage=validate",
    "aigate.core.xmlcheck": "refuse_xml_entities",
    "aigate.errors": "AigateError InputError PluginError UsageError one_line printable",
    "aigate.model": "MAX_RATE MAX_SECONDS STAGES Claim Collected Counts CredentialIngredient "
                    "Credentials Diagnostic Finding FrameSequence InputProblem Item ItemResult "
                    "Provenance RuleCounts SaveOutcome Severity Stamped SubjectResult TalentUse "
                    "Tally Tool Trust approved items_timing_problem otio_timecode timecode "
                    "timing_problem",
    "aigate.output.report": "JSON_SCHEMA_VERSION Report",
    "aigate.run.exitcodes": "ExitCode",
    "aigate.core.gate": "Gate GateLocked",
    "aigate.run.session": "check",
    "aigate.output.register": "Column Register REGISTER_SCHEMA_VERSION policy_sha256",
    "aigate.output.files": "atomic_path atomic_text output_mode",
}
_WHERE = {name: (module, attr or name)
          for module, names in _HOMES.items()
          for name, _, attr in (entry.partition("=") for entry in names.split())}


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
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'aigate.api' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(where[0]), where[1])
    globals()[name] = value  # an ordinary attribute from now on
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
