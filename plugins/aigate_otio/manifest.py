"""What OTIO's plugin manifest says the gate needs to know before reading a file (which
suffixes OTIO reads; whether it reads .otio and .otioz plainly, so the fast path may read them
instead), without importing OpenTimelineIO when nothing changed since the last run.

The answers are OTIO's own (its ActiveManifest), remembered as a snapshot keyed by the
installed distributions (entry-point plugins come from them), every ``OTIO_*`` variable
(OTIO_PLUGIN_MANIFEST_PATH, OTIO_DISABLE_ENTRYPOINTS_PLUGINS) and the manifest files read,
by size and modification time. A manifest made by a plugin's code (a ``plugin_manifest()``
function; aigate's own hooks excepted, whose function and JSON file are in the key) may
answer differently on any run, so it is asked every time; and in a process
that has imported OTIO already (a host application that may have attached hook scripts at
run time) the live manifest answers.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

from aigate.api import fingerprint, snapshot

#: The hook scripts the aigate_otio_hooks manifest registers, by OTIO hook.
HOOK_SCRIPTS = {"post_adapter_read": "aigate_post_adapter_read",
                "pre_adapter_write": "aigate_pre_adapter_write"}
#: OTIO hooks a read runs; any script on them (besides aigate's own) may change the timeline
READ_HOOKS = ("post_adapter_read", "post_media_linker")
#: the suffixes the fast path reads, and the OTIO adapter that must be the one reading them
ADAPTERS = {"otio": "otio_json", "otioz": "otioz"}


@dataclass(frozen=True, slots=True)
class Answers:
    #: every suffix OTIO's adapters read, lower case
    suffixes: frozenset[str]
    #: the suffixes of ADAPTERS that OTIO reads with that adapter and no foreign read hook
    plain: frozenset[str]


def answers() -> Answers:
    if "opentimelineio" in sys.modules:
        value = _live()
    else:
        otio_env = sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith("OTIO_"))
        value = snapshot("otio-manifest", fingerprint("otio-manifest", *otio_env), _live,
                         _unchanged)
    return Answers(frozenset(value["suffixes"]), frozenset(value["plain"]))


def _live() -> dict[str, Any]:
    import opentimelineio as otio

    manifest = otio.plugins.ActiveManifest()
    suffixes = sorted({s.lower() for adapter in manifest.adapters for s in adapter.suffixes})
    plain = [suffix for suffix, name in ADAPTERS.items() if _plain(otio, manifest, suffix, name)]
    sources = list(manifest.source_files)
    if _ours() in sources:  # aigate's manifest function reads the JSON file beside it
        sources.append(os.path.join(os.path.dirname(_ours() or ""), "plugin_manifest.json"))
    return {"suffixes": suffixes, "plain": plain,
            "sources": [[path, *_stat(path)] for path in sources]}


def _ours() -> str | None:
    """Where aigate's own OTIO hooks module is (its ``plugin_manifest()`` answers from its
    JSON file and the manifests read before it, all of them in the key): found, not
    imported."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("aigate_otio_hooks")
    except (ImportError, ValueError):
        return None
    return os.path.abspath(spec.origin) if spec is not None and spec.origin else None


def _plain(otio: Any, manifest: Any, suffix: str, adapter: str) -> bool:
    try:
        if otio.adapters.from_filepath(f"x.{suffix}").name != adapter:
            return False
        ours = set(HOOK_SCRIPTS.values())
        return not any(set(otio.hooks.scripts_attached_to(hook)) - ours
                       for hook in READ_HOOKS if hook in manifest.hooks)
    except Exception:  # a broken manifest: let OTIO's reader say what is wrong
        return False


def _stat(path: str) -> list[int]:
    try:
        info = os.stat(path)
    except OSError:
        return [-1, -1]
    return [info.st_size, info.st_mtime_ns]


def _unchanged(value: Any) -> bool:
    """A remembered answer holds while every manifest file it came from is unchanged and
    none of them is a plugin's code (aigate's own excepted)."""
    try:
        sources = value["sources"]
        ours = _ours()
        return (isinstance(value["suffixes"], list) and isinstance(value["plain"], list)
                and all((str(path).endswith(".json") or path == ours)
                        and _stat(path) == [size, mtime] for path, size, mtime in sources))
    except (KeyError, TypeError, ValueError):
        return False
