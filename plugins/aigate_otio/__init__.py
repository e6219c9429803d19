"""Host plugin for OpenTimelineIO: timelines from any file OTIO reads (.otio, .otioz, .edl,
FCP7 .xml, .fcpxml, .aaf) become items located by track, clip and record timecode (a file
that holds clips but no timeline, like an FCPXML event, is a bin); verdicts go back onto the
clips in the channels each format keeps (annotate.py), and an annotated file is only left
where it was asked for once it reads back with nothing lost (export.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aigate.hookspecs import hookimpl
from aigate.model import Collected, Diagnostic, SaveOutcome, SubjectResult

from . import export, files
from .annotate import annotate
from .collect import HOST, bin_clips, collect_bin, collect_timeline, timelines
from .doctor import diagnose


@hookimpl
def aigate_subject_suffixes() -> list[str]:
    return sorted(files.suffixes())


@hookimpl
def aigate_load_subject(path: Path) -> Any | None:
    if path.suffix.lower().lstrip(".") not in files.suffixes():
        return None
    return files.read(path)


@hookimpl
def aigate_collect(subject: Any, path: Path | None) -> list[Collected] | None:
    found = timelines(subject)
    if found is None:
        return None
    if not found:
        # what OTIO read holds no timeline (an FCPXML event or library, a bin): its clips
        # are checked as a bin, even none (the format's reader found no clip)
        clips = bin_clips(subject)
        name = subject.name or (path.stem if path else "(unnamed collection)")
        return [collect_bin(name, clips)]
    return [collect_timeline(t) for t in found]


@hookimpl
def aigate_present(collected: Collected, result: SubjectResult, target: str | None) -> Any:
    if collected.host != HOST:
        return None
    annotate(collected, result, target)
    return True


@hookimpl
def aigate_save_subject(subject: Any, path: Path, track: str | None, allow_loss: bool,
                        protected: tuple[Path, ...]) -> SaveOutcome | None:
    if timelines(subject) is None:
        return None
    written, accepted = export.save(subject, path, track, allow_loss, protected)
    return SaveOutcome(tuple(written), tuple(accepted))


@hookimpl
def aigate_doctor() -> list[Diagnostic]:
    return diagnose()
