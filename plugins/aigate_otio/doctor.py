"""Will OTIO run the aigate hooks here? What `aigate doctor` says for the OTIO host."""

from __future__ import annotations

import os

import opentimelineio as otio

from aigate.api import Diagnostic

from .collect import first_line
from .files import HOOK_SCRIPTS

#: The adapters editors' exports need: name in OTIO's manifest -> what it reads.
ADAPTERS = {"otio_json": ".otio", "cmx_3600": "CMX 3600 EDL", "fcp_xml": "FCP7 XML",
            "fcpx_xml": "FCPX XML", "AAF": "AAF"}


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
