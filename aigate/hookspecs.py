"""The hooks aigate calls. Built-in plugins implement exactly these; so does yours.

Write a plugin as a module (or object) with functions named like the specs below, decorated
with :data:`hookimpl`, and register it through the ``aigate`` entry-point group, the
``AIGATE_PLUGINS`` environment variable, or ``plugins:`` in aigate.yaml. A plugin implements
only the hooks it needs; argument names must match the spec (pluggy checks them), and it may
accept fewer arguments than the spec offers.

The flow the hooks serve, in order: load a subject -> collect items -> add claims
-> (merge, rules from the policy, approvals) -> present in the host -> enforce at export
-> report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .config import Config
    from .gate import Gate
    from .model import (
        CheckContext,
        Claim,
        Collected,
        Diagnostic,
        Item,
        SaveOutcome,
        Stamped,
        SubjectResult,
    )
    from .policy import Rule
    from .report import RegisterFormat, ReportFormat

hookspec = pluggy.HookspecMarker("aigate")
hookimpl = pluggy.HookimplMarker("aigate")


@hookspec
def aigate_subject_suffixes() -> Iterable[str]:
    """File suffixes (lower case, without the dot) this plugin can load as subjects.

    Used to pick timeline files when a folder is checked. Called once per run.
    """


@hookspec(firstresult=True)
def aigate_load_subject(path: Path) -> Any | None:
    """Read the file at ``path`` into a subject this or another host plugin can collect.

    Return None when the file is not yours. Raise :class:`aigate.errors.InputError` with one
    line naming the file and the place when the file is yours but cannot be read. The first
    plugin that returns a subject wins.
    """


@hookspec(firstresult=True)
def aigate_collect(subject: Any, path: Path | None) -> list[Collected] | None:
    """Turn a subject into items: the host plugin that recognises ``subject`` answers.

    Return one :class:`aigate.model.Collected` per timeline in the subject (a collection
    of several timelines gives several), or None when the subject is not yours. ``path`` is
    the file the subject came from, when there is one.
    """


@hookspec
def aigate_claims(items: Sequence[Item], context: CheckContext) -> Iterable[
        tuple[int, Claim]] | None:
    """Provenance claims from one source (metadata, media, a ledger...) about the items of
    one subject, as ``(index into items, claim)`` pairs.

    Called once per subject with all its items, so a source can batch its work (read media
    in parallel, query a ledger once) and skip what it has nothing to say about cheaply.
    ``context`` carries the subject path, the config and the stage. Never raise for bad
    data: yield a claim whose ``problems`` say what was wrong.
    """


@hookspec
def aigate_rules() -> Iterable[Rule]:
    """Rules this plugin contributes. Ids must be unique across plugins.

    A rule only runs when the active policy pack enables it.
    """


@hookspec
def aigate_policy_packs() -> Mapping[str, Path]:
    """Built-in policy packs this plugin ships, by name (the name ``--policy`` accepts)."""


@hookspec(firstresult=True)
def aigate_resolve_stage(collected: Collected, path: Path | None, config: Config) -> str | None:
    """The stage the subject itself declares (e.g. timeline metadata), or None.

    Untrusted: it can raise the stage above the config's path rule, never lower it; a
    check's ``--stage`` or AIGATE_STAGE overrides it (see :func:`aigate.stage.resolve`).
    """


@hookspec(firstresult=True)
def aigate_present(collected: Collected, result: SubjectResult, target: str | None) -> bool | None:
    """Show the verdicts inside the host (markers, colours, comments) on ``collected.native``
    and ``collected.handles``, replacing what an earlier run wrote (never duplicating it).

    ``target`` is the file suffix the subject is about to be saved as (e.g. ``"edl"``), so
    the host can use the channels that format keeps; None for a subject shown in memory.
    The host plugin that owns the subject answers True; others return None.
    """


@hookspec(firstresult=True)
def aigate_save_subject(subject: Any, path: Path, track: str | None, allow_loss: bool,
                        protected: tuple[Path, ...]) -> SaveOutcome | None:
    """Write ``subject`` to ``path`` in the format its suffix names, atomically (a reader never
    sees a half-written file) and without running the gate's own export hooks.

    An annotated subject is verified: what was written is read back and compared; when the
    format cannot hold the subject (a clip, a verdict, a marker would be lost) nothing is
    left at ``path`` and the host raises :class:`~aigate.errors.InputError` saying what and
    how to keep it. ``track`` names the one track to write (None: all); ``allow_loss``
    accepts losses of unflagged clips and of the subject's own markers (reported in the
    outcome). A format holding one track may be written as several files; none of them
    may be one of ``protected`` (the input: the gate never changes it).

    The host plugin that owns the subject answers with a :class:`SaveOutcome`; others
    return None.
    """


@hookspec
def aigate_enforce(collected: Collected, result: SubjectResult) -> None:
    """Act on the verdicts in the host before an export at ``result.stage`` (lock clips,
    mute them, tell the user).

    Called by :func:`aigate.gate.enforce` for the subject being exported. After every
    implementation has run, the core itself raises :class:`aigate.GateLocked` when the
    stage is final and the verdict is lock, so no host can let a locked cut out.
    """


@hookspec(firstresult=True)
def aigate_render(subject: Any, path: Path | None, output: Path,
                  args: Sequence[str]) -> Path | None:
    """Render ``subject`` (read from ``path``) to the media file ``output`` with the host's own
    renderer (Kdenlive and MLT: melt), passing ``args`` (extra renderer options, e.g. melt's
    ``vcodec=libx264``) through.

    Called by ``aigate render`` only after the export gate
    (:meth:`aigate.gate.Gate.guard_export` with ``output``, so the stage follows the output
    path's config rule) let the subject through: a host never decides whether a locked cut
    may be rendered. Write ``output`` atomically (render to a temporary file in
    its folder, then rename), so a failed render leaves nothing behind. Return the path
    written; return None when the subject is not yours. The first plugin that answers wins.
    Raise :class:`aigate.errors.InputError` with one line when the render fails.
    """


@hookspec(firstresult=True)
def aigate_stamp_credentials(deliverable: Path, results: Sequence[SubjectResult], gate: Gate,
                             cert: Path, key: Path, output: Path | None,
                             attestation: Path | None, timeline: Path | None
                             ) -> Stamped | None:
    """Sign the rendered ``deliverable`` with Content Credentials that disclose what the gate
    found in the cut it was rendered from (``results``, checked at final): the digital
    source type, each AI clip's media as an ingredient with its own manifest kept, and the
    attestation file ``attestation`` when given. ``cert`` and ``key`` are the signer's
    PEM chain and private key; the copy goes to ``output`` (a default beside the input
    otherwise), written atomically; the deliverable itself is never changed.

    Called by ``aigate credentials`` (and a host's render) only when no timeline is locked
    at final. The first plugin that answers wins (the built-in ``aigate_c2pa`` needs
    c2pa-python); return None to leave it to another.
    """


@hookspec
def aigate_doctor() -> Iterable[Diagnostic]:
    """Checks that this plugin's integration is live here (for a host: that the host will
    run the gate). ``aigate doctor`` prints them and exits non-zero when one that
    ``fails_open`` is not ok."""


@hookspec
def aigate_report_formats() -> Iterable[ReportFormat | RegisterFormat]:
    """Output formats: a :class:`~aigate.report.ReportFormat` for ``aigate check --format
    NAME``, a :class:`~aigate.report.RegisterFormat` for ``aigate register --format NAME``.
    A name is unique within its kind (``json`` is both a check report and a register)."""
