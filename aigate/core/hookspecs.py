"""The hooks aigate calls: the reference for plugin authors. Built-in plugins implement
exactly these; so does yours.

Write a plugin as a module (or object) with functions named like the specs below, decorated
with :data:`hookimpl` (import it from :mod:`aigate.api`), and register it through the
``aigate`` entry-point group, the ``AIGATE_PLUGINS`` environment variable, or ``plugins:`` in
aigate.yaml. A plugin implements only the hooks it needs; argument names must match the spec
(pluggy checks them; a misspelt hook name is a load problem with a did-you-mean), and it may
accept fewer arguments than the spec offers.

**firstresult** hooks stop at the first implementation that returns something other than
None: return None for a subject (or a file) that is not yours, so the plugin that owns it
answers. Other hooks call every implementation and collect every answer.

The flow the hooks serve, in order: load a subject -> collect items -> add claims
-> (merge, rules from the policy, approvals) -> present in the host -> enforce at export
-> report.

Versions: :data:`HOOK_API_VERSION` is ``(major, minor)``; each spec says the version that
added it (``versionadded``). A minor version adds hooks or arguments (a plugin written for
an earlier one keeps working); a major version would change or remove one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:
    from aigate.config import Config
    from aigate.core.context import CheckContext
    from aigate.core.formats import RegisterFormat, ReportFormat
    from aigate.core.policy import Rule
    from aigate.model import (
        Claim,
        Collected,
        Credentials,
        Diagnostic,
        Item,
        SaveOutcome,
        Stamped,
        SubjectResult,
    )

#: The version of the hooks below, ``(major, minor)``. 1.0: the hooks of aigate 0.1;
#: 1.1: :func:`aigate_validate_settings` and :attr:`aigate.model.CheckContext.settings`;
#: 1.2: :func:`aigate_stamp_credentials`; 1.3: :func:`aigate_read_credentials`;
#: 1.4: :func:`aigate_not_a_subject`, :func:`aigate_bundled_media`,
#: :func:`aigate_sidecar_names`, :func:`aigate_render_help`, and the ``settings`` argument
#: of the host hooks (collect, present, enforce, save, render); 1.5: ``rate`` for
#: :func:`aigate_load_subject`; 1.6: ``origin`` of :meth:`aigate.api.Gate.guard_export`
#: (the file the subject was read from) and :attr:`aigate.api.Item.sequence` (image
#: sequences); 1.7: ``declared_only`` for :func:`aigate_collect`; 1.8:
#: :attr:`aigate.api.Item.drop_frame` (how the host counts timecode at 29.97 and 59.94); 1.9:
#: :attr:`aigate.api.Item.media_unknown` (a clip playing media its host cannot name).
HOOK_API_VERSION: tuple[int, int] = (1, 9)


class GateView(Protocol):
    """What a hook is handed of the :class:`aigate.api.Gate` that ran the check (the gate
    itself; typed by what a hook may read, so the specifications do not import the gate)."""

    @property
    def config(self) -> Config: ...


hookspec = pluggy.HookspecMarker("aigate")
hookimpl = pluggy.HookimplMarker("aigate")


@hookspec
def aigate_subject_suffixes() -> Iterable[str]:
    """File suffixes (lower case, without the dot) this plugin can load as subjects.

    Used to pick timeline files when a folder is checked. Called once per run; every
    plugin's answer counts.

    :return: suffixes such as ``["otio", "edl"]``.

    .. versionadded:: hook API 1.0
    """


@hookspec(firstresult=True)
def aigate_load_subject(path: Path, rate: tuple[str, str] | None) -> Any | None:
    """Read the file at ``path`` into a subject this or another host plugin can collect.

    :param path: the file (or bundle folder, e.g. ``.otiod``) to read.
    :param rate: for a file that does not state its frame rate (an EDL): ``(rate, where it
        was given)``, e.g. ``("25", "--rate")`` or ``("29.97NDF", "aigate.yaml:4")``, from
        ``--rate`` or the config's ``edl: {rate: ...}``; None: the plugin decides (and says).
    :return: the subject (any host object), or None when the file is not yours.
    :raises aigate.api.InputError: with one line naming the file and the place, when the
        file is yours but cannot be read.

    **firstresult**: the first plugin that returns a subject wins; the others are not asked.

    .. versionadded:: hook API 1.0
    .. versionchanged:: hook API 1.5 ``rate``
    """


@hookspec(firstresult=True)
def aigate_not_a_subject(path: Path) -> str | None:
    """Why a file that a folder search or a glob found, with one of your suffixes, is not a
    subject after all (e.g. an ``.xml`` file whose root element is no timeline format: a
    stray settings.xml), or None. The file is then skipped with that reason as a warning;
    a file the user named is always read (and refused by the reader if it is not yours).

    Look at the file cheaply (its first bytes): this runs for every file a search finds.

    :param path: the file found.
    :return: one line saying what the file is instead, or None (yours, or not your suffix,
        or undecided: the reader will say).

    **firstresult**: the first plugin that gives a reason decides.

    .. versionadded:: hook API 1.4
    """


@hookspec(firstresult=True)
def aigate_bundled_media(path: Path) -> Iterable[str] | None:
    """The media a subject file packs inside itself (an ``.otioz`` bundle's members), as
    the media references of its clips name them (``media/shot.mov``). The gate does not
    read inside a bundle: such a clip's media is "packed, not read", never "no media", so
    at final it is a finding rather than a clean pass.

    :param path: the subject's file.
    :return: the member names, or None when the file is not a bundle of yours.

    **firstresult**: the plugin that reads the file answers.

    .. versionadded:: hook API 1.4
    """


@hookspec(firstresult=True)
def aigate_collect(subject: Any, path: Path | None,
                   settings: Mapping[str, Mapping[str, Any]],
                   declared_only: bool) -> list[Collected] | None:
    """Turn a subject into items: the host plugin that recognises ``subject`` answers.

    :param subject: what :func:`aigate_load_subject` returned, or an in-memory host object
        given to :func:`aigate.api.check` (an OTIO timeline, a Blender scene).
    :param path: the file the subject came from, when there is one.
    :param settings: every plugin's validated ``plugin_settings:`` section by plugin
        name, as :attr:`aigate.api.CheckContext.settings` gives a source: a host reads
        its own by its plugin name (its module's import name).
    :param declared_only: True when the caller judges only what the subject declares (the
        OTIO import hook where no config governs the file: no media are read, no path rule
        or ledger applies). An item that declares nothing (no ``declared`` values) then
        passes whatever it is, so a host may leave such clips out; their record times
        still count for the others. The result's items are then not the whole cut.
    :return: one :class:`aigate.api.Collected` per timeline in the subject (a collection of
        several timelines gives several), or None when the subject is not yours. An item
        that plays media the host cannot name (a missing reference, an empty path) says
        why in :attr:`aigate.api.Item.media_unknown`: the gate could not look, a lock at
        final; a generator (colour, bars, a title) plays none and leaves it empty.

    **firstresult**: return None for subjects of other hosts.

    .. versionchanged:: hook API 1.9
        :attr:`aigate.api.Item.media_unknown` on the items.

    .. versionchanged:: hook API 1.7
        the ``declared_only`` argument.

    .. versionchanged:: hook API 1.4
        the ``settings`` argument.

    .. versionadded:: hook API 1.0
    """


@hookspec
def aigate_claims(items: Sequence[Item], context: CheckContext) -> Iterable[
        tuple[int, Claim]] | None:
    """Provenance claims from one source (metadata, media, a ledger...) about the items of
    one subject.

    Called once per subject with all its items, so a source can batch its work (read media
    in parallel, query a ledger once) and skip what it has nothing to say about cheaply.
    Never raise for bad data: yield a claim whose ``problems`` say what was wrong.

    :param items: every item of the subject, in order.
    :param context: the subject path, the config (and :attr:`~aigate.api.CheckContext.settings`
        for plugin settings), the stage, the media resolver and the provenance cache.
    :return: ``(index into items, claim)`` pairs; every source's claims are merged.

    .. versionadded:: hook API 1.0
    """


@hookspec
def aigate_sidecar_names(media: Path) -> Iterable[str]:
    """The names of the files beside a media file that your provenance source reads as that
    media's own (the XMP source: ``NAME.xmp`` and ``NAME.EXT.xmp``). ``aigate attest``
    hashes each one present, and ``attest verify --media`` reports one added or changed
    since: a sidecar can make a clip AI.

    :param media: the media file.
    :return: file names in the media's folder (not paths).

    .. versionadded:: hook API 1.4
    """


@hookspec
def aigate_rules() -> Iterable[Rule]:
    """Rules this plugin contributes.

    A rule only runs when the active policy pack enables it. Rule ids are unique across
    plugins: two plugins contributing the same id is an error naming both.

    :return: :class:`aigate.api.Rule` objects.

    .. versionadded:: hook API 1.0
    """


@hookspec
def aigate_policy_packs() -> Mapping[str, Path]:
    """Built-in policy packs this plugin ships, by name (the name ``--policy`` accepts).

    Pack names are unique across plugins: two plugins shipping the same name is an error
    naming both.

    :return: ``{name: path of the pack's YAML file}``.

    .. versionadded:: hook API 1.0
    """


@hookspec(firstresult=True)
def aigate_resolve_stage(collected: Collected, path: Path | None, config: Config) -> str | None:
    """The stage the subject itself declares (e.g. timeline metadata), or None.

    Untrusted: it can raise the stage above the config's path rule, never lower it; a
    check's ``--stage`` or AIGATE_STAGE overrides it (see :func:`aigate.core.stage.resolve`).

    :param collected: the subject's items and metadata.
    :param path: the subject's file, when there is one.
    :param config: the aigate.yaml governing it.
    :return: ``"import"``, ``"edit"``, ``"review"``, ``"final"`` or None.

    **firstresult**: the host plugin that owns the subject answers; others return None.

    .. versionadded:: hook API 1.0
    """


@hookspec(firstresult=True)
def aigate_present(collected: Collected, result: SubjectResult, target: str | None,
                   settings: Mapping[str, Mapping[str, Any]]) -> bool | None:
    """Show the verdicts inside the host (markers, colours, comments) on ``collected.native``
    and ``collected.handles``, replacing what an earlier run wrote (never duplicating it).

    :param collected: what :func:`aigate_collect` returned for this subject.
    :param result: the verdicts, one :class:`~aigate.api.ItemResult` per item.
    :param target: the file suffix the subject is about to be saved as (e.g. ``"edl"``), so
        the host can use the channels that format keeps; None for a subject shown in memory.
    :param settings: every plugin's validated ``plugin_settings:`` section by plugin
        name, as :attr:`aigate.api.CheckContext.settings` gives a source: a host reads
        its own by its plugin name (its module's import name).
    :return: True from the host plugin that owns the subject; None from the others.

    **firstresult**: with no answer, ``aigate annotate`` fails naming this hook.

    .. versionchanged:: hook API 1.4
        the ``settings`` argument.

    .. versionadded:: hook API 1.0
    """


@hookspec(firstresult=True)
def aigate_save_subject(subject: Any, path: Path, track: str | None, allow_loss: bool,
                        protected: tuple[Path, ...],
                        settings: Mapping[str, Mapping[str, Any]]) -> SaveOutcome | None:
    """Write ``subject`` to ``path`` in the format its suffix names, atomically (a reader never
    sees a half-written file) and without running the gate's own export hooks. Part of a
    host: ``aigate annotate`` writes through it.

    An annotated subject is verified: what was written is read back and compared; when the
    format cannot hold the subject (a clip, a verdict, a marker would be lost) nothing is
    left at ``path`` and the host raises :class:`~aigate.api.InputError` saying what and
    how to keep it.

    :param subject: the subject, with the verdicts :func:`aigate_present` put on it.
    :param path: where to write; its suffix names the format.
    :param track: the one track to write (None: all).
    :param allow_loss: accept losses of unflagged clips and of the subject's own markers
        (reported in the outcome); a flagged clip's verdict is never allowed to be lost.
    :param protected: paths never to write (the input: the gate never changes it); a format
        holding one track may be written as several files, none of them one of these.
    :param settings: every plugin's validated ``plugin_settings:`` section by plugin
        name, as :attr:`aigate.api.CheckContext.settings` gives a source: a host reads
        its own by its plugin name (its module's import name).
    :return: a :class:`~aigate.api.SaveOutcome` (files written, losses accepted) from the
        host plugin that owns the subject; None from the others.

    **firstresult**: with no answer, ``aigate annotate`` fails naming this hook.

    .. versionchanged:: hook API 1.4
        the ``settings`` argument.

    .. versionadded:: hook API 1.0
    """


@hookspec
def aigate_enforce(collected: Collected, result: SubjectResult,
                   settings: Mapping[str, Mapping[str, Any]]) -> None:
    """Act on the verdicts in the host before an export at ``result.stage`` (lock clips,
    mute them, tell the user).

    Called by :func:`aigate.core.gate.enforce` for the subject being exported. After every
    implementation has run, the core itself raises :class:`aigate.api.GateLocked` when the
    stage is final and the verdict is lock, so no host can let a locked cut out.

    :param collected: the subject being exported.
    :param result: its verdicts at the export's stage.
    :param settings: every plugin's validated ``plugin_settings:`` section by plugin
        name, as :attr:`aigate.api.CheckContext.settings` gives a source: a host reads
        its own by its plugin name (its module's import name).

    .. versionchanged:: hook API 1.4
        the ``settings`` argument.

    .. versionadded:: hook API 1.0
    """


@hookspec(firstresult=True)
def aigate_render(subject: Any, path: Path | None, output: Path,
                  args: Sequence[str], settings: Mapping[str, Mapping[str, Any]]
                  ) -> Path | None:
    """Render ``subject`` to a media file with the host's own renderer (Kdenlive and MLT:
    melt).

    Called by ``aigate render`` only after the export gate
    (:meth:`aigate.api.Gate.guard_export` with ``output``, so the stage follows the output
    path's config rule) let the subject through: a host never decides whether a locked cut
    may be rendered. Write ``output`` atomically (render to a temporary file in its
    folder, then rename), so a failed render leaves nothing behind.

    :param subject: the project, as :func:`aigate_load_subject` read it.
    :param path: the project file.
    :param output: the media file to write.
    :param args: extra renderer options (e.g. melt's ``vcodec=libx264``), checked by
        the host before they reach its renderer (melt: an allow-list of encoding options).
    :param settings: every plugin's validated ``plugin_settings:`` section by plugin
        name, as :attr:`aigate.api.CheckContext.settings` gives a source: a host reads
        its own by its plugin name (its module's import name).
    :return: the path written; None when the subject is not yours.
    :raises aigate.api.InputError: with one line when the render fails.

    **firstresult**: the first plugin that answers renders.

    .. versionchanged:: hook API 1.4
        the ``settings`` argument.

    .. versionadded:: hook API 1.0
    """


@hookspec
def aigate_render_help() -> str | None:
    """One paragraph for ``aigate render --help``: which renderer your host runs and the
    options it passes on after ``--``. Build it from the allow-list your
    :func:`aigate_render` checks against, so the help cannot drift from what is accepted.

    :return: the paragraph, or None for a host that does not render.

    .. versionadded:: hook API 1.4
    """


@hookspec(firstresult=True)
def aigate_stamp_credentials(deliverable: Path, results: Sequence[SubjectResult], gate: GateView,
                             cert: Path, key: Path, output: Path | None,
                             attestation: Path | None, timeline: Path | None
                             ) -> Stamped | None:
    """Sign a rendered deliverable with Content Credentials that disclose what the gate
    found in the cut it was rendered from: the digital source type, each AI clip's media as
    an ingredient with its own manifest kept, and the attestation when given.

    Called by ``aigate credentials`` (and the Blender render) only when no timeline is
    locked at final. The signed copy is written atomically; the deliverable itself is never
    changed.

    :param deliverable: the rendered file (mp4, mov, wav, jpeg, png...).
    :param results: the cut's results, checked at final.
    :param gate: the gate that checked them (config, policy, media resolution).
    :param cert: the signer's certificate chain (PEM, leaf first).
    :param key: the signer's private key (PEM).
    :param output: where to write the signed copy (None: beside the deliverable).
    :param attestation: an ``aigate attest`` envelope to embed, or None.
    :param timeline: the cut's file, named in the manifest, or None.
    :return: what was written; None to leave it to another plugin.

    **firstresult**: the first plugin that answers signs (the built-in ``aigate_c2pa``
    answers when c2pa-python is installed).

    .. versionadded:: hook API 1.2
    """


@hookspec(firstresult=True)
def aigate_read_credentials(path: Path, config: Config) -> Credentials | None:
    """The Content Credentials of a deliverable, read offline and validated against the
    config's C2PA trust anchors: for ``aigate credentials show`` and ``aigate attest
    verify DELIVERABLE``.

    :param path: the deliverable.
    :param config: the config whose trust anchors apply.
    :return: what they say; None to leave it to another plugin. A file with no Content
        Credentials is an :class:`aigate.errors.InputError` naming it.

    **firstresult**: the first plugin that answers reads (the built-in ``aigate_c2pa``
    answers when c2pa-python is installed).

    .. versionadded:: hook API 1.3
    """


@hookspec
def aigate_doctor() -> Iterable[Diagnostic]:
    """Checks that this plugin's integration is live here (for a host: that the host will
    run the gate). ``aigate doctor`` prints them and exits 1 when one that ``fails_open`` is
    not ok.

    :return: :class:`aigate.api.Diagnostic` objects.

    .. versionadded:: hook API 1.0
    """


@hookspec
def aigate_report_formats() -> Iterable[ReportFormat[Any] | RegisterFormat[Any]]:
    """Output formats: a :class:`~aigate.core.formats.ReportFormat` for ``aigate check --format
    NAME``, a :class:`~aigate.core.formats.RegisterFormat` for ``aigate register --format NAME``.

    A name is unique within its kind (``json`` is both a check report and a register); two
    plugins offering the same name for the same kind is an error naming both.

    :return: :class:`aigate.api.ReportFormat` or :class:`aigate.api.RegisterFormat`
        objects.

    .. versionadded:: hook API 1.0
    """


@hookspec(firstresult=True)
def aigate_validate_settings(name: str, settings: Mapping[str, Any],
                             where: str) -> Mapping[str, Any] | None:
    """Validate this plugin's section of ``plugin_settings:`` in aigate.yaml.

    aigate.yaml may hold ``plugin_settings: {NAME: {...}}``, one section per plugin, by the
    plugin's registered name (as ``aigate plugins`` lists it). The section is passed to
    this hook when the config is read; the plugin that owns ``name`` answers. What it
    returns is what rules and sources see, as ``context.settings[name]``.

    :param name: the plugin name the section is under.
    :param settings: the section as written (a mapping from YAML).
    :param where: ``file:line`` of the section, for error messages.
    :return: the validated settings (defaults filled in) when ``name`` is yours; None
        otherwise.
    :raises aigate.api.InputError: naming ``where`` and the key, for a bad setting.

    **firstresult**: return None for other plugins' names. A section no plugin answers for
    (an unknown name, or a plugin that takes no settings) is an error.

    .. versionadded:: hook API 1.1
    """
