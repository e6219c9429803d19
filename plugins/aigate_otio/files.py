"""Reading and writing timelines through OTIO's adapters, without re-entering the gate's own
OTIO hooks (aigate reading a file must not trigger an import check of itself)."""

from __future__ import annotations

import contextlib
import os
import zipfile
from collections.abc import Iterator
from itertools import accumulate
from pathlib import Path
from typing import Any

import opentimelineio as otio

from aigate.api import InputError, atomic_path, refuse_xml_entities

from .collect import first_line
from .manifest import HOOK_SCRIPTS
from .otiojson import MAX_BYTES, MAX_RATIO, RepeatedKey, check_keys


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


#: the deepest JSON nesting handed to OTIO's reader, which recurses in C++ and crashes the
#: interpreter (a segfault, not an exception) near 20,000 levels; real cuts stay under 100
MAX_DEPTH = 1000
#: .otioz: the largest content.otio, and the largest expansion over its compressed size
#: (OTIO JSON compresses ~10:1; a zip bomb by 1,000:1 or more)
MAX_UNZIPPED = MAX_BYTES
JSON_SUFFIXES = {"otio", "otiod", "otioz"}
#: XML formats, checked for entity declarations before OTIO's XML adapters read them
XML_SUFFIXES = {"xml", "fcpxml"}


def read(path: Path) -> Any:
    """A timeline from ``path`` through OTIO's adapters, after the checks that keep a hostile
    file from crashing or exhausting the interpreter (size, nesting depth, zip expansion)."""
    suffix = path.suffix.lower().lstrip(".")
    text = None
    if suffix in JSON_SUFFIXES:
        data = _json_bytes(path, suffix)
        check_depth(path, data)
        if suffix != "otiod":  # the bundle adapter resolves media paths: it reads itself
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"{path}: cannot read as {suffix.upper()}: not UTF-8 text "
                                 f"(byte {exc.start})") from None
        check_repeated_keys(path, text if text is not None else data.decode("utf-8", "replace"))
    elif path.is_file() and path.stat().st_size > MAX_BYTES:
        raise InputError(f"{path}: file is {path.stat().st_size} bytes, over the "
                         f"{MAX_BYTES}-byte limit for a timeline")
    if suffix in XML_SUFFIXES:
        refuse_xml_entities(path)
    elif suffix == "fcpxmld":  # a bundle: its document is Info.fcpxml
        refuse_xml_entities(path / "Info.fcpxml")
    try:
        with without_aigate_hooks():
            if text is not None:  # read once, and names OTIO cannot open (not UTF-8) work
                return otio.adapters.read_from_string(text, "otio_json")
            return otio.adapters.read_from_file(str(path))
    except Exception as exc:  # adapters raise anything from ValueError to KeyError
        from .crash import describe

        raise InputError(f"{path}: {describe(exc, path)}") from exc


def _json_bytes(path: Path, suffix: str) -> bytes:
    """The OTIO JSON of a .otio file, .otiod bundle or .otioz archive, read with caps."""
    if suffix == "otioz":
        return _unzipped(path)
    source = path / "content.otio" if suffix == "otiod" else path
    try:
        with open(source, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_BYTES:  # refused before a byte is read
                raise InputError(f"{path}: file is {size} bytes, over the {MAX_BYTES}-byte "
                                 "limit for a timeline")
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:  # grew while being read
        raise InputError(f"{path}: file is over the {MAX_BYTES}-byte limit for a timeline")
    return data


def _unzipped(path: Path) -> bytes:
    """content.otio from an .otioz, refusing a zip bomb before inflating it (the sizes the
    archive declares are checked first, then the bytes actually read)."""
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("content.otio")
            declared = max(info.file_size, 0)
            if declared > MAX_UNZIPPED:
                raise InputError(f"{path}: refused: content.otio would inflate to {declared} "
                                 f"bytes, over the {MAX_UNZIPPED}-byte limit")
            if declared > 1024**2 and declared > MAX_RATIO * max(info.compress_size, 1):
                raise InputError(f"{path}: refused: content.otio would inflate "
                                 f"{declared // max(info.compress_size, 1)}:1 "
                                 f"(limit {MAX_RATIO}:1), a decompression bomb")
            with archive.open(info) as member:
                data = member.read(min(declared, MAX_UNZIPPED) + 1)
    except InputError:
        raise
    except KeyError:
        raise InputError(f"{path}: cannot read as OTIOZ: no content.otio in the archive"
                         ) from None
    except (OSError, zipfile.BadZipFile, EOFError, ValueError, RuntimeError) as exc:
        raise InputError(f"{path}: cannot read as OTIOZ: {first_line(exc)}") from None
    if len(data) > declared:
        raise InputError(f"{path}: refused: content.otio inflates past the size the "
                         "archive declares")
    return data


_QUOTES_AND_BRACKETS = bytes(b for b in range(256) if b not in b'"[]{}')
_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def check_depth(path: Path, data: bytes, limit: int = MAX_DEPTH) -> None:
    """Refuse JSON nested deeper than ``limit`` before a recursive reader sees it. Brackets
    inside strings neither count nor hide nesting. All in C, a fraction of OTIO's own
    parse: escaped backslashes and quotes go first (left to right, as JSON reads them),
    then everything but quotes and brackets, then the strings, then the running depth."""
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    kept = data.translate(None, _QUOTES_AND_BRACKETS)
    outside_strings = b"".join(kept.split(b'"')[::2])
    brackets = outside_strings.translate(None, _BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") <= limit:
        return
    depth = max(accumulate(map(_STEP.__getitem__, brackets)), default=0)
    if depth > limit:
        raise InputError(f"{path}: refused: nested {depth} levels deep, over the limit of "
                         f"{limit} (a real timeline stays under 100)")


def check_repeated_keys(path: Path, text: str) -> None:
    """Refuse a key repeated in an OTIO schema object (or holding one) before OTIO's reader,
    which crashes the interpreter on some (a repeated "children" in a Track does)."""
    try:
        check_keys(text)
    except RepeatedKey as exc:
        raise InputError(f"{path}: {exc}") from None


def write(subject: Any, path: Path) -> None:
    """Write atomically: a temporary file beside ``path`` (same suffix, so the same adapter)
    replaces it only once the adapter has finished."""
    suffix = path.suffix.lower()
    options = {}
    if suffix == ".aaf":
        # a clip without a mob id of its own (not read from an AAF, or only some of them)
        # gets a new one; the writer tries the clip's own first
        options["use_empty_mob_ids"] = True
    try:
        with atomic_path(path) as tmp, without_aigate_hooks():
            otio.adapters.write_to_file(subject, str(tmp), **options)
    except Exception as exc:
        raise InputError(f"{path}: cannot write as {suffix.lstrip('.').upper()}: "
                         f"{first_line(exc)}") from exc
