"""Reading and writing timelines through OTIO's adapters, without re-entering the gate's own
OTIO hooks (aigate reading a file must not trigger an import check of itself)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import opentimelineio as otio

from aigate.errors import InputError

from .collect import first_line

#: The hook scripts the aigate_otio_hooks manifest registers, by OTIO hook.
HOOK_SCRIPTS = {"post_adapter_read": "aigate_post_adapter_read",
                "pre_adapter_write": "aigate_pre_adapter_write"}


def suffixes() -> set[str]:
    # from the manifest: asking adapters for their features would import every adapter
    # module (pyaaf2 included) just to list names
    manifest = otio.plugins.ActiveManifest()
    return {s.lower() for adapter in manifest.adapters for s in adapter.suffixes}


@contextlib.contextmanager
def without_aigate_hooks() -> Iterator[None]:
    """Detach aigate's hook scripts for the duration (in this process only)."""
    detached = []
    for hook, name in HOOK_SCRIPTS.items():
        attached = otio.hooks.scripts_attached_to(hook) if hook in _hooks() else []
        while name in attached:
            attached.remove(name)
            detached.append((attached, name))
    try:
        yield
    finally:
        for attached, name in detached:
            attached.append(name)


def _hooks() -> Any:
    return otio.plugins.ActiveManifest().hooks


def read(path: Path) -> Any:
    try:
        with without_aigate_hooks():
            return otio.adapters.read_from_file(str(path))
    except Exception as exc:  # adapters raise anything from ValueError to KeyError
        from .crash import describe

        raise InputError(f"{path}: {describe(exc, path)}") from exc


def write(subject: Any, path: Path) -> None:
    """Write atomically: a temporary file beside ``path`` (same suffix, so the same adapter)
    replaces it only once the adapter has finished."""
    suffix = path.suffix.lower()
    options = {}
    if suffix == ".aaf" and not _from_aaf(subject):
        options["use_empty_mob_ids"] = True  # clips that did not come from an AAF have none
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        with without_aigate_hooks():
            otio.adapters.write_to_file(subject, tmp, **options)
        os.replace(tmp, path)
    except Exception as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise InputError(f"{path}: cannot write as {suffix.lstrip('.').upper()}: "
                         f"{first_line(exc)}") from exc


def _from_aaf(subject: Any) -> bool:
    """Whether the clips carry AAF mob ids (read from an AAF), which the writer keeps."""
    for clip in subject.find_clips():
        metadata = clip.metadata
        if len(metadata) and "AAF" in metadata.keys():
            return True
    return False
