"""Host plugin for OpenTimelineIO: timelines from any file OTIO reads (.otio, .otioz, .edl,
FCP7 .xml, .fcpxml, .aaf) become items located by track, clip and record timecode (a file
that holds clips but no timeline, like an FCPXML event, is a bin); verdicts go back onto the
clips in the channels each format keeps (annotate.py), and an annotated file is only left
where it was asked for once it reads back with nothing lost (export.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigate.api import Collected, InputError, SubjectResult, hookimpl

if TYPE_CHECKING:
    from aigate.api import Diagnostic, SaveOutcome

    from .fastread import FastTimeline

# Each module is imported where it is used: OpenTimelineIO only where OTIO's objects are
# needed (a .otio or .otioz the fast path reads is checked without it: manifest.py answers
# what OTIO's manifest would), and no reader at all for the OTIO import hook, which hands
# over the timeline OTIO has just read.
HOST = "otio"
_FAST = f"{__name__}.fastread"


@hookimpl
def aigate_subject_suffixes() -> list[str]:
    from .manifest import answers

    return sorted(answers().suffixes)


@hookimpl
def aigate_load_subject(path: Path, rate: tuple[str, str] | None) -> Any | None:
    from . import fastread
    from .manifest import answers
    from .otiojson import Unsupported

    suffix = path.suffix.lower().lstrip(".")
    if suffix not in answers().suffixes:
        return None
    if suffix == "edl":  # an EDL does not state its rate: given, configured or detected
        from . import edlrate

        return edlrate.read(path, *(rate or (None, "")))
    if fastread.enabled(suffix):
        try:
            return fastread.read(path)
        except Unsupported:
            pass  # OTIO's reader decides, with the answer (or error) it always gives
    from . import files

    return files.read(path)


@hookimpl
def aigate_not_a_subject(path: Path) -> str | None:
    from . import sniff

    return sniff.not_a_timeline(path)


@hookimpl
def aigate_bundled_media(path: Path) -> frozenset[str] | None:
    from . import sniff

    return sniff.bundled_media(path)


@hookimpl
def aigate_collect(subject: Any, path: Path | None, declared_only: bool) -> list[Collected] | None:
    fast = sys.modules.get(_FAST)  # not imported: the subject is not the fast path's
    if fast is not None and isinstance(subject, fast.FastSubject):
        return subject.collected
    from .collect import bin_clips, collect_bin, collect_timeline, timelines

    found = timelines(subject)
    if found is None:
        return None
    suffix = path.suffix.lower() if path is not None else ""
    if suffix == ".edl" and path is not None:  # an OTIO tool's read of an EDL
        from .edlrate import mark_counting

        for timeline in found:
            mark_counting(timeline, path)
    elif suffix == ".xml":  # FCP7 XML says how its sequence counts (not the fast path's)
        from .collect import mark_display_format

        for timeline in found:
            mark_display_format(timeline)
    if not found:
        # what OTIO read holds no timeline (an FCPXML event or library, a bin): its clips
        # are checked as a bin, even none (the format's reader found no clip)
        clips = bin_clips(subject)
        name = subject.name or (path.stem if path else "(unnamed collection)")
        return [collect_bin(name, clips)]
    return [collect_timeline(t, declared_only) for t in found]


@hookimpl
def aigate_present(collected: Collected, result: SubjectResult, target: str | None) -> Any:
    if collected.host != HOST:
        return None
    fast = sys.modules.get(_FAST)
    if fast is not None and isinstance(collected.native, fast.FastTimeline):
        collected = _read_by_otio(collected.native, collected)
    from .annotate import annotate

    annotate(collected, result, target)
    return True


def _read_by_otio(fast: FastTimeline, collected: Collected) -> Collected:
    """A fast-path timeline as OTIO reads it: annotating writes onto OTIO's clips."""
    from . import files
    from .collect import collect_timeline, timelines

    subject = fast.subject
    if subject.otio is None:
        subject.otio = files.read(subject.path)
    found = timelines(subject.otio) or []
    native = collect_timeline(found[fast.index]) if fast.index < len(found) else None
    if native is None or list(native.items) != list(collected.items):  # fail closed
        raise InputError(f"{subject.path}: aigate's reader and OTIO's disagree on this "
                         "timeline; run with AIGATE_FAST=0")
    return native


@hookimpl
def aigate_save_subject(subject: Any, path: Path, track: str | None, allow_loss: bool,
                        protected: tuple[Path, ...]) -> SaveOutcome | None:
    from aigate.api import SaveOutcome

    from . import export, files
    from .collect import timelines

    fast = sys.modules.get(_FAST)
    if fast is not None and isinstance(subject, fast.FastSubject):
        subject = subject.otio if subject.otio is not None else files.read(subject.path)
    if timelines(subject) is None:
        return None
    written, accepted = export.save(subject, path, track, allow_loss, protected)
    return SaveOutcome(tuple(written), tuple(accepted))


@hookimpl
def aigate_doctor() -> list[Diagnostic]:
    from .doctor import diagnose

    return diagnose()
