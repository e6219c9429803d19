"""Will OTIO run the aigate hooks here? What `aigate doctor` says for the OTIO host."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import opentimelineio as otio

from aigate.api import Diagnostic

from .collect import first_line
from .files import HOOK_SCRIPTS

#: The adapters editors' exports need: name in OTIO's manifest -> what it reads.
ADAPTERS = {"otio_json": ".otio", "cmx_3600": "CMX 3600 EDL", "fcp_xml": "FCP7 XML",
            "fcpx_xml": "FCPX XML", "AAF": "AAF"}


def _ours(hook: str) -> Path | None:
    """aigate's own hook script file for ``hook`` (None when the hooks package is absent:
    then its manifest is not registered either, and that is said)."""
    spec = importlib.util.find_spec("aigate_otio_hooks")
    if spec is None or spec.origin is None:
        return None
    return (Path(spec.origin).parent / f"{hook}.py").resolve()


def _after_ours(manifest: Any) -> list[Diagnostic]:
    """Hook scripts OTIO runs after aigate's export gate: they can change what is written
    after it checked (a limit: OTIO gives a hook no way to run last). Listed, so a TD can
    see them and vouch for each."""
    order = list(manifest.hooks.get("pre_adapter_write", []))
    name = HOOK_SCRIPTS["pre_adapter_write"]
    if name not in order:
        return []
    last = len(order) - 1 - order[::-1].index(name)
    after = [n for n in order[last + 1:] if n != name]
    if not after:
        return []
    where = []
    for other in after:
        try:
            where.append(f"{other} ({manifest.from_name(other, 'hook_scripts').filepath})")
        except Exception:  # attached but defined nowhere: OTIO will fail that write
            where.append(f"{other} (not defined)")
    return [Diagnostic("hooks after aigate's pre_adapter_write", False,
                       "run after aigate's export check and could change what is written: "
                       + ", ".join(where), fails_open=False)]


def diagnose() -> list[Diagnostic]:
    out = []
    disabled = os.environ.get("OTIO_DISABLE_ENTRYPOINTS_PLUGINS")
    out.append(Diagnostic(
        "OTIO entry-point plugins", not disabled,
        "OTIO_DISABLE_ENTRYPOINTS_PLUGINS is set: OTIO ignores the aigate hooks (and the "
        "editorial adapters)" if disabled else "enabled"))
    manifest = otio.plugins.ActiveManifest()
    registered = {h.name: h for h in manifest.hook_scripts}
    for hook, name in HOOK_SCRIPTS.items():
        script = registered.get(name)
        if script is None:
            # with entry points off, reinstalling would change nothing: say what would
            fix = ("unset OTIO_DISABLE_ENTRYPOINTS_PLUGINS" if disabled else "reinstall "
                   "aigate (pip install .) so its opentimelineio.plugins entry point is "
                   "registered")
            out.append(Diagnostic(f"hook {hook}", False,
                                  f"{name} is not in OTIO's plugin manifest: {fix}"))
            continue
        attached = name in manifest.hooks.get(hook, [])
        runs, ours = Path(script.module_abs_path()).resolve(), _ours(hook)
        if ours is not None and runs != ours:
            out.append(Diagnostic(f"hook {hook}", False, f"shadowed: OTIO runs {runs} as "
                                  f"{name}, not aigate's own {ours}: the gate is gone"))
            continue
        try:
            script.module()  # imports the hook script by path, as OTIO will
            problem = None
        except Exception as exc:
            problem = first_line(exc)
        ok = attached and problem is None
        detail = (f"{name} attached ({script.filepath})" if ok else
                  f"{name} is registered but not attached" if not attached else
                  f"{name} fails to import: {problem}")
        out.append(Diagnostic(f"hook {hook}", ok, detail))
    out += _after_ours(manifest)
    adapters = {a.name: a for a in manifest.adapters}
    for name, what in ADAPTERS.items():
        if name not in adapters:
            why = ("not loaded (OTIO_DISABLE_ENTRYPOINTS_PLUGINS is set)" if disabled
                   else "not installed")
            out.append(Diagnostic(f"adapter {name}", False, f"{why}: {what} files "
                                  "cannot be read or written", fails_open=False))
            continue
        try:
            adapters[name].module()  # imports the adapter and what it needs (pyaaf2...)
            out.append(Diagnostic(f"adapter {name}", True, f"reads {what}", fails_open=False))
        except Exception as exc:
            out.append(Diagnostic(f"adapter {name}", False,
                                  f"{what} files cannot be read: {first_line(exc)}",
                                  fails_open=False))
    return out
