"""A test host for *.crash files (an OTIO timeline inside) that misbehaves on purpose:
a name with "always" kills its worker process every time, "once" kills it the first time
only (a marker file beside it remembers), "slow" takes a second. Loaded with
AIGATE_PLUGINS=aigate_crasher (tests/plugins on PYTHONPATH)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import opentimelineio as otio

from aigate.api import hookimpl


@hookimpl
def aigate_subject_suffixes() -> list[str]:
    return ["crash"]


@hookimpl
def aigate_load_subject(path: Path) -> object | None:
    if path.suffix != ".crash":
        return None
    marker = path.with_suffix(".crashed")
    if "always" in path.name or ("once" in path.name and not marker.exists()):
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    if "slow" in path.name:
        if "AIGATE_TEST_STARTED_FD" in os.environ:  # tells a waiting test a file started
            os.write(int(os.environ["AIGATE_TEST_STARTED_FD"]), b"x")
        time.sleep(1)
    return otio.adapters.read_from_string(path.read_text(), "otio_json")
