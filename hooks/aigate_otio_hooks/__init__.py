"""The gate inside every OpenTimelineIO tool: hook scripts registered through OTIO's
``opentimelineio.plugins`` entry point (see plugin_manifest.json).

- post_adapter_read: the import check. Never blocks; ``hooks.on_read`` in aigate.yaml says
  whether it logs (``report``, the default), adds markers to the timeline just read
  (``annotate``) or does nothing (``off``).
- pre_adapter_write: the export gate. The stage comes from the hook argument
  ``aigate_stage`` (``otioconvert -H aigate_stage=final``), then AIGATE_STAGE, the timeline's
  metadata, the config's path rules applied to the output path. At final with a lock verdict
  it raises :class:`aigate.GateLocked` and nothing is written. OTIO runs it twice for EDL and
  FCP XML, so it is idempotent; it only changes what is written when
  ``hooks.annotate_on_write`` asks for it, and then on a copy.

AIGATE_DISABLE=1 turns both off and says so on stderr every time. OTIO only logs a plugin
that fails to import (it fails open), and a Python caller can skip hooks: the CLI and
``aigate.check`` remain the authoritative gate; run ``aigate doctor`` to see that these hooks
are live.

Importing this module is cheap on purpose: OTIO imports it whenever it loads its manifest.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger("aigate.otio")


def disabled(hook: str) -> bool:
    if os.environ.get("AIGATE_DISABLE", "").strip() not in ("", "0"):
        print(f"aigate: AIGATE_DISABLE is set: the {hook} gate is OFF for this call",
              file=sys.stderr)
        return True
    return False


def post_adapter_read(timeline: Any, argument_map: dict[str, Any]) -> Any:
    """Check a timeline just read, at stage import. Never raises: an import is never
    blocked, problems are logged."""
    if disabled("post_adapter_read"):
        return timeline
    from aigate.batch import Session
    from aigate.errors import AigateError
    from aigate.model import Severity

    try:
        session = Session()
        gate = session.gate(Path.cwd())  # config: AIGATE_CONFIG, else from here upward
        mode = gate.config.hooks.on_read
        if mode == "off":
            return timeline
        if mode == "annotate":
            results = gate.annotate(timeline, None, stage="import")
        else:
            results = gate.check(timeline, stage="import")
    except AigateError as exc:
        log.error("aigate: import check failed: %s", exc)
        return timeline
    for result in results:
        flagged = [r for r in result.items if r.verdict >= Severity.WARN]
        level = logging.WARNING if flagged else logging.INFO
        log.log(level, "aigate: import check of %r: %s, %d of %d clips flagged", result.name,
                result.verdict.label.upper(), len(flagged), len(result.items))
        for item_result in flagged:
            worst = item_result.headline
            log.log(level, "aigate:   %s %s [%s]", item_result.verdict.label.upper(),
                    worst.message, worst.rule)
    return timeline


#: the copy the last export check annotated and returned. OTIO runs pre_adapter_write again
#: on that very object for EDL and FCP XML, without the output path (so the stage could come
#: out differently): it was checked and annotated already.
_handed_over: list[int] = []


def pre_adapter_write(timeline: Any, argument_map: dict[str, Any]) -> Any:
    """Gate an export: raise GateLocked at final with a lock, else return what to write."""
    if disabled("pre_adapter_write"):
        return timeline
    if _handed_over and _handed_over[-1] == id(timeline):
        return timeline
    from aigate.batch import Session
    from aigate.stage import validate

    stage = argument_map.get("aigate_stage")
    if stage is not None:
        validate(str(stage), "OTIO hook argument aigate_stage")  # unknown: refuse the export
    output = argument_map.get("_filepath")  # absent on OTIO's second, string-level call
    gate = Session().gate(Path(output) if output else Path.cwd())
    annotate = gate.config.hooks.annotate_on_write
    if annotate:
        timeline = timeline.deepcopy()  # never the caller's object
    gate.guard_export(timeline, stage=stage, output=output, annotate=annotate)
    if annotate:
        _handed_over[:] = [id(timeline)]
    return timeline
