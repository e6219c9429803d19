"""Rendering a project with MLT's ``melt`` (what Kdenlive itself runs to render), and what
``aigate doctor`` says about it."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from aigate.api import Diagnostic, InputError

MELT = "melt"


def melt_path() -> str | None:
    return shutil.which(MELT)


def melt_version(melt: str) -> str | None:
    """``melt 7.12.0``, or None when melt does not answer."""
    try:
        proc = subprocess.run([melt, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in (proc.stdout + proc.stderr).splitlines():
        if line.strip().lower().startswith("melt"):
            return line.strip()
    return None


def render(project: Path, output: Path, args: Sequence[str]) -> Path:
    """Render ``project`` to ``output`` with melt's avformat consumer (its format from the
    suffix; ``args`` are further melt arguments, e.g. ``vcodec=libx264``). The render goes
    to a temporary file in the output's folder, renamed only once melt has succeeded, so a
    failed or interrupted render leaves nothing that looks like a delivery."""
    melt = melt_path()
    if melt is None:
        raise InputError(f"{output}: cannot render: melt is not installed (Debian: apt-get "
                         "install melt)")
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.stem}.", suffix=output.suffix,
                               dir=output.parent)
    os.close(fd)
    # absolute paths, the project named as XML: a file name with ':' or a leading '-' is
    # never read as a melt service or option; real_time=-1 renders every frame (a
    # real-time consumer may drop frames)
    command = [melt, f"xml:{project.resolve()}", "-consumer",
               f"avformat:{Path(tmp).resolve()}", "real_time=-1", *args]
    try:
        proc = subprocess.run(command, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
        failure = _failure(proc, Path(tmp))
        if failure:
            raise InputError(f"{project}: melt could not render {output.name}: {failure}")
        mask = os.umask(0)  # mkstemp made it private; a render gets the usual mode
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, output)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return output


def _failure(proc: subprocess.CompletedProcess[str], rendered: Path) -> str | None:
    """Why the render failed, or None. melt may exit 0 having written nothing (an unknown
    consumer option, a project it cannot load), so the file is checked too."""
    lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
    last = lines[-1] if lines else f"exit code {proc.returncode}"
    if proc.returncode != 0:
        return last
    if not rendered.exists() or rendered.stat().st_size == 0:
        return f"nothing was written ({last})"
    return None


def diagnose() -> list[Diagnostic]:
    melt = melt_path()
    if melt is None:
        return [Diagnostic("melt", False, "not found: 'aigate render' cannot render Kdenlive "
                           "or MLT projects (Debian: apt-get install melt); checking and "
                           "annotating them still work", fails_open=False)]
    version = melt_version(melt)
    if version is None:
        return [Diagnostic("melt", False, f"{melt} does not answer -version",
                           fails_open=False)]
    return [Diagnostic("melt", True, f"{version} ({melt})", fails_open=False)]
