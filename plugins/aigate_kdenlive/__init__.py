"""Host plugin for Kdenlive (``.kdenlive``) and MLT XML (``.mlt``) projects: every entry of
every track becomes an item (track V1/A1 as Kdenlive numbers them, clip name from the bin,
record in/out on Kdenlive's ruler at the profile's frame rate, the media file), with
provenance from a ``kdenlive:aigate`` property holding contract v1 as JSON. Verdicts go
back as clip markers and project guides (:mod:`.present`), and ``aigate render`` renders
with melt (:mod:`.render`). Kdenlive itself is not needed: only the project file, and melt
to render.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigate.api import CheckContext, Collected, InputError, Item, SubjectResult, hookimpl

if TYPE_CHECKING:
    from aigate.api import Diagnostic, SaveOutcome

from .names import HOST, SUFFIXES

# the plugin's readers, writers and OTIO conversion are imported where used: a run that
# checks no Kdenlive project loads neither the XML parsers nor OpenTimelineIO for them


def _loaded(module: str, name: str) -> type | None:
    """A class of this plugin's module ``module`` if that module is loaded, else None: no
    object of it can exist before, so the question needs no import."""
    found = sys.modules.get(f"{__name__}.{module}")
    return getattr(found, name, None) if found is not None else None


def _is_project(subject: Any) -> bool:
    project = _loaded("project", "Project")
    return project is not None and isinstance(subject, project)


@hookimpl
def aigate_subject_suffixes() -> list[str]:
    return list(SUFFIXES)


@hookimpl
def aigate_load_subject(path: Path) -> Any | None:
    if path.suffix.lower().lstrip(".") not in SUFFIXES:
        return None
    from .reading import read

    return read(path)


@hookimpl
def aigate_collect(subject: Any, path: Path | None) -> list[Collected] | None:
    if not _is_project(subject):
        return None
    from .walk import collect

    return [collect(subject)]


@hookimpl
def aigate_claims(items: Sequence[Item], context: CheckContext) -> None:
    """No claim: the stage is known here, so a project aigate's own reader read is refused
    at review and final (MLT not installed)."""
    read_by_aigate = _loaded("walk", "ReadByAigate")
    if read_by_aigate is None or not isinstance(items, read_by_aigate):
        return  # only aigate's own reader (walk.py) makes items it may refuse
    from .walk import reader_refusal

    refusal = reader_refusal(items, context.stage, str(context.path or context.subject))
    if refusal:
        raise InputError(refusal)


@hookimpl
def aigate_present(collected: Collected, result: SubjectResult, target: str | None) -> Any:
    if collected.host != HOST:
        return None
    from .present import present

    present(collected, result)
    return True


@hookimpl
def aigate_save_subject(subject: Any, path: Path, protected: tuple[Path, ...]
                        ) -> SaveOutcome | None:
    from aigate.api import InputError, SaveOutcome

    from . import project as projects

    kdenlive = path.suffix.lower().lstrip(".") in SUFFIXES
    if not isinstance(subject, projects.Project):
        if not kdenlive:
            return None
        found = _otio_timelines(subject)
        if found is None:
            return None
        if len(found) != 1:
            raise InputError(f"{path}: a Kdenlive project holds one timeline; the input "
                             f"holds {len(found)}: write them one by one")
        # relative media paths are read from the input's folder, as the OTIO host does
        root = protected[0].resolve().parent if protected else None
        from .otio_io import from_otio

        subject = from_otio(found[0], name=path.stem, root=root)
    elif not kdenlive:
        raise InputError(f"{path}: a Kdenlive project is written as .kdenlive or .mlt "
                         "(aigate_kdenlive.otio_io.to_otio converts it to OTIO)")
    if path.resolve() in {p.resolve() for p in protected}:
        raise InputError(f"{path}: not written: it is the input, which is never changed")
    projects.write(subject, path)
    return SaveOutcome((path,))


def _otio_timelines(subject: Any) -> list[Any] | None:
    """The OTIO timelines of an OTIO subject (as annotated: the fast path's file read by
    OTIO), or None for any other subject."""
    from aigate_otio import fastread, files
    from aigate_otio.collect import timelines

    if isinstance(subject, fastread.FastSubject):
        subject = subject.otio if subject.otio is not None else files.read(subject.path)
    return timelines(subject)


@hookimpl
def aigate_render(subject: Any, path: Path | None, output: Path,
                  args: Sequence[str]) -> Any:
    if not _is_project(subject):
        return None
    if path is None:  # melt renders the file: write the in-memory project beside the output
        from aigate.api import UsageError

        raise UsageError("a Kdenlive project is rendered from its file")
    from . import render as renders

    return renders.render(path, output, args, frames=renders.cut_frames(subject))


@hookimpl
def aigate_render_help() -> str:
    from . import render as renders

    return renders.help_text()


@hookimpl
def aigate_doctor() -> list[Diagnostic]:
    from aigate.api import Diagnostic

    from . import normalised
    from . import render as renders

    melt = normalised.melt_path()
    reader = Diagnostic(
        "kdenlive reader", melt is not None,
        f"MLT ({melt}): Kdenlive/MLT projects are checked as melt loads them" if melt else
        "aigate's own (melt not found): Kdenlive/MLT projects are checked below review "
        "only, and refused at review and final (Debian: apt-get install melt)",
        fails_open=False)
    return [*renders.diagnose(), reader]
