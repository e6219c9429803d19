"""The gate inside every OpenTimelineIO tool: hook scripts registered through OTIO's
``opentimelineio.plugins`` entry point (see plugin_manifest.json).

- post_adapter_read: the import check. Never blocks and never raises into the caller;
  ``hooks.on_read`` in aigate.yaml says whether it logs (``report``, the default), adds
  markers to the timeline just read (``annotate``) or does nothing (``off``). Its config is
  found from the file's folder (see :func:`read_path` for how the path is found).
- pre_adapter_write: the export gate, at the export's stage (README, "Stages"): relative media
  resolve against the file the timeline was read from (post_adapter_read records it; hook
  argument ``aigate_origin`` names it), exactly as ``aigate check`` of that file, never
  against the output's folder; never below
  what the config's path rules give the output path; a hook argument ``aigate_stage`` (or
  AIGATE_STAGE) asking for less is refused, and timeline metadata can only raise it. At
  final with a lock verdict it raises :class:`aigate.GateLocked` and nothing is written.
  OTIO runs it twice for EDL and FCP XML; it only changes what is written when
  ``hooks.annotate_on_write`` asks for it, and then on a copy.

Both log through :mod:`logging` (logger ``aigate.otio``), never print. AIGATE_DISABLE=1
turns both off and says so at WARNING every time (on stderr unless the application routes
logging elsewhere). OTIO only logs a plugin that fails to import (it fails open), and a
Python caller can skip hooks: the CLI and ``aigate.check`` remain the authoritative gate;
run ``aigate doctor`` to see that these hooks are live.

Importing this module is cheap on purpose: OTIO imports it whenever it loads its manifest.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("aigate.otio")

#: Attribute set on the copy pre_adapter_write annotated and handed to OTIO's writer.
#: OTIO calls the hook a second time with that very object for EDL and FCP XML, without the
#: output path (so the stage could come out lower): the mark says it was gated for this
#: write already. The mark lives on the object, so it dies with it: a later timeline that
#: happens to reuse its memory (and its id()) carries no mark. It is a Python attribute, so
#: it is never serialised and never copied, and the caller never holds the marked copy.
HANDED_OVER = "_aigate_handed_over"

#: Attribute post_adapter_read sets on a timeline it was handed: the file it was read from.
#: pre_adapter_write resolves the timeline's relative media against it, as ``aigate check``
#: of that file does (never against the output's folder). A caller that built or copied
#: the timeline names it with the hook argument ``aigate_origin``.
ORIGIN = "_aigate_origin"

#: OTIO's module whose Adapter.read_from_file frame holds the path being read.
_OTIO_ADAPTER_MODULE = "opentimelineio.adapters.adapter"


@dataclass(frozen=True, slots=True)
class HandedOver:
    """What the first pre_adapter_write call of a write decided about the copy it marks."""

    output: str | None
    stages: tuple[str, ...]


#: aigate's hook scripts by name, as plugin_manifest.json registers them
SCRIPTS = ("aigate_post_adapter_read", "aigate_pre_adapter_write")
_OTIO_MANIFEST_MODULE = "opentimelineio.plugins.manifest"


def plugin_manifest() -> Any:
    """aigate's manifest, as OTIO's entry-point loader asks for it.

    OTIO looks a hook script up by name and takes the first one its manifests name, and it
    reads OTIO_PLUGIN_MANIFEST_PATH before entry points: a manifest there naming a script
    ``aigate_pre_adapter_write`` would run instead of aigate's export gate. So the
    manifest being assembled (the ``result`` of OTIO's ``load_manifest``, found on the
    call stack) loses every earlier script of aigate's names, loudly; a later one is
    never looked up (aigate's comes first). ``aigate doctor`` checks the outcome."""
    import opentimelineio as otio

    # as OTIO reads a manifest itself: an adapter here would load the manifest again
    ours = otio.core.deserialize_json_from_string(
        (Path(__file__).parent / "plugin_manifest.json").read_text())
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "load_manifest" and \
                frame.f_globals.get("__name__") == _OTIO_MANIFEST_MODULE:
            building = frame.f_locals.get("result")
            scripts = list(getattr(building, "hook_scripts", None) or ())
            for impostor in [h for h in scripts if h.name in SCRIPTS]:
                log.warning("aigate: a hook script named %s (%s) would replace aigate's: "
                            "not used", impostor.name, impostor.module_abs_path())
            if building is not None and any(h.name in SCRIPTS for h in scripts):
                building.hook_scripts = [h for h in scripts if h.name not in SCRIPTS]
            break
        frame = frame.f_back  # type: ignore[assignment]
    return ours


def disabled(hook: str) -> bool:
    if os.environ.get("AIGATE_DISABLE", "").strip() not in ("", "0"):
        log.warning("aigate: AIGATE_DISABLE is set: the %s gate is OFF for this call", hook)
        return True
    return False


def read_path(argument_map: dict[str, Any]) -> Path | None:
    """The file post_adapter_read is checking, or None (a read from a string).

    OTIO 0.18.1 passes the path to write hooks (``_filepath``) but not to read hooks. So:
    ``_filepath`` when a caller passes it (``hook_function_argument_map``), else the
    ``filepath`` argument of OTIO's own ``Adapter.read_from_file`` frame that runs this
    hook, found on the call stack.
    """
    given = argument_map.get("_filepath")
    if isinstance(given, str | os.PathLike) and str(given):
        return Path(given)
    frame = sys._getframe(1)
    try:
        while frame is not None:
            if (frame.f_code.co_name == "read_from_file"
                    and frame.f_globals.get("__name__") == _OTIO_ADAPTER_MODULE):
                found = frame.f_locals.get("filepath")
                return Path(found) if isinstance(found, str | os.PathLike) else None
            frame = frame.f_back  # type: ignore[assignment]
        return None
    finally:
        del frame  # a frame kept in a local makes a reference cycle


def post_adapter_read(timeline: Any, argument_map: dict[str, Any]) -> Any:
    """Check a timeline just read, at stage import. Never raises into the caller (an import
    is never blocked, whatever the timeline holds or a plugin does): problems are logged."""
    try:
        _import_check(timeline, argument_map)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SystemExit from a plugin included: the read goes on
        from aigate.api import one_line

        log.error("aigate: import check failed: %s", one_line(exc))
        log.debug("aigate: import check failure", exc_info=True)
    return timeline


def _import_check(timeline: Any, argument_map: dict[str, Any]) -> None:
    if disabled("post_adapter_read"):
        return
    path = read_path(argument_map)
    if path is not None:
        try:  # where it came from, for the export gate of this very object
            setattr(timeline, ORIGIN, str(path.absolute()))
        except (AttributeError, TypeError):  # an object that takes no attributes
            pass
    near = path if path is not None else Path.cwd()
    configured = _configured(near)
    declared = None if configured else _declared(timeline)
    if declared is not None and not declared.anything:
        # nothing could make a claim: no aigate metadata, no config (so no path patterns,
        # ledger or plugins of its own, and media are not read), no plugin package. The
        # answer is known without loading the gate. The clips' times are not read here
        # (every OTIO read would pay for it), so the line says so: a time the full check
        # refuses is refused by `aigate check` and the export gate.
        log.debug("aigate: import check of %r: PASS, 0 of %d clips flagged (nothing "
                  "declared, no config: times not checked)",
                  timeline.name or "(unnamed timeline)", declared.clips)
        return
    from dataclasses import replace

    from aigate.api import Severity, gate_for

    # config from the file's folder upward (AIGATE_CONFIG pins it); a string: from here
    gate = gate_for(near, warn=_warn)
    mode = gate.config.hooks.on_read
    if mode == "off":
        return
    if not configured:
        # media are read on import only where a config governs the file; without one only
        # what clips declare can flag them, so a report leaves the others out (annotating
        # walks every clip: a clip's old marker goes even when it now declares nothing)
        gate = replace(gate, read_media=False,
                       declared_only=declared is not None and mode == "report")
    if mode == "annotate":
        results = gate.annotate(timeline, None, stage="import", path=path)
    else:
        results = gate.check(timeline, stage="import", path=path)
    for result in results:
        flagged = [r for r in result.items if r.verdict >= Severity.WARN]
        # a clean timeline stays silent unless the application asks for debug output
        level = logging.WARNING if flagged else logging.DEBUG
        clips = declared.clips if declared is not None else len(result.items)
        log.log(level, "aigate: import check of %r: %s, %d of %d clips flagged", result.name,
                result.verdict.label.upper(), len(flagged), clips)
        for item_result in flagged:
            worst = item_result.headline
            if worst is None:  # a flagged clip always has a finding; typed as optional
                continue
            log.log(level, "aigate:   %s %s [%s]", item_result.verdict.label.upper(),
                    worst.message, worst.rule)


def _configured(near: Path) -> bool:
    """Whether anything but the built-in defaults may govern an import check of ``near``:
    a config (AIGATE_CONFIG, or an aigate.yaml at or above the file's folder), plugins
    named in AIGATE_PLUGINS, or a package's plugins in the ``aigate`` entry-point group.
    Found without importing the gate (an OTIO read pays for this on every file)."""
    if os.environ.get("AIGATE_CONFIG") or os.environ.get("AIGATE_PLUGINS", "").strip():
        return True
    try:
        folder = (near if near.is_dir() else near.parent).resolve()
    except OSError:
        return True
    if any((f / "aigate.yaml").exists() for f in (folder, *folder.parents)):
        return True
    # remembered per installed distributions: importlib.metadata's scan on every OTIO read
    # cost most of this hook's time on a clean cut
    from aigate.api import installed_entry_points

    return bool(installed_entry_points("aigate"))


@dataclass(frozen=True, slots=True)
class Declared:
    """What a plain timeline declares: whether any ``aigate`` metadata is on it, a clip
    (nested ones included) or a clip's media reference (the inactive ones too: the gate
    reads them all), and how many clips it has."""

    anything: bool
    clips: int


def _declared(timeline: Any) -> Declared | None:
    """What ``timeline`` declares; None for anything but a plain Timeline (a collection, a
    bin), which is checked whole. Every OTIO read pays for this walk: it goes by slices
    (several times faster than find_clips() through the bindings), in one loop."""
    import opentimelineio as otio  # imported already: OTIO is running this hook

    if type(timeline) is not otio.schema.Timeline:
        return None
    clip_type, composition_type = otio.schema.Clip, otio.core.Composition
    anything = _has_aigate(timeline.metadata)
    clips = 0
    compositions = [timeline.tracks]
    while compositions:
        for child in compositions.pop()[:]:
            if isinstance(child, clip_type):
                clips += 1
                if anything:
                    continue
                if _has_aigate(child.metadata):
                    anything = True
                    continue
                for reference in child.media_references().values():
                    if _has_aigate(reference.metadata):
                        anything = True
                        break
            elif isinstance(child, composition_type):
                compositions.append(child)
    return Declared(anything, clips)


def _has_aigate(metadata: Any) -> bool:
    # len() first: most clips have no metadata, and `in` on a missing key costs a C++
    # exception; keys read by index, bounded by len(), for the same reason
    if not len(metadata):
        return False
    keys = iter(metadata)
    return any(next(keys) == "aigate" for _ in range(len(metadata)))


def _warn(message: str) -> None:
    log.warning("aigate: warning: %s", message)


def pre_adapter_write(timeline: Any, argument_map: dict[str, Any]) -> Any:
    """Gate an export: raise GateLocked at final with a lock (StageRefused when asked for a
    stage below the output's), else return what to write."""
    if disabled("pre_adapter_write"):
        return timeline
    if isinstance(getattr(timeline, HANDED_OVER, None), HandedOver):
        return timeline  # OTIO's second call on the copy the first one gated and annotated
    # Without annotate_on_write the writer gets the caller's own object, which is never
    # marked: OTIO's second call then checks it again, without the output path. That can
    # only add a refusal (the first call already ran at the output's stage), never lift one.
    from aigate.api import gate_for
    from aigate.api import validate_stage as validate

    stage = argument_map.get("aigate_stage")
    if stage is not None:  # unknown (or empty): refuse the export
        stage = validate(str(stage), "OTIO hook argument aigate_stage")
    output = argument_map.get("_filepath")  # absent on OTIO's second, string-level call
    origin = argument_map.get("aigate_origin") or getattr(timeline, ORIGIN, None)
    gate = gate_for(Path(output) if output else Path.cwd(), warn=_warn)
    annotate = gate.config.hooks.annotate_on_write
    if annotate:
        timeline = timeline.deepcopy()  # never the caller's object
        if origin:
            setattr(timeline, ORIGIN, origin)
    results = gate.guard_export(timeline, stage=stage, output=output, annotate=annotate,
                                stage_source="OTIO hook argument aigate_stage",
                                origin=str(origin) if origin else None)
    if annotate:
        # only our own copy is marked: a mark on the caller's object would outlive this
        # write and wave its next export through
        setattr(timeline, HANDED_OVER,
                HandedOver(str(output) if output else None, tuple(r.stage for r in results)))
    return timeline
