"""Rendering a project with MLT's ``melt`` (what Kdenlive itself runs to render), and what
``aigate doctor`` says about it.

The render is the cut: from frame 0 to the last clip end over all tracks, as Kdenlive's
Render dialog renders "full project". melt alone would play the main tractor to its ``out``,
which Kdenlive pads with its black track (22.12: twenty minutes past the cut)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from aigate.api import Diagnostic, InputError, UsageError

from .project import Project
from .walk import collect

MELT = "melt"

#: The melt consumer properties ``aigate render`` passes on after ``--``: encoding options
#: of MLT's avformat consumer, as Kdenlive's render profiles use them. None names a file,
#: a service or a URL: melt reads a bare token as one more producer (media the gate never
#: saw) and ``target``/``resource`` as another place to write, so anything else is refused.
CONSUMER_OPTIONS = frozenset({
    # container and muxing
    "f", "movflags", "threads", "real_time",
    # video encoding
    "vcodec", "vb", "vbufsize", "vminrate", "vmaxrate", "crf", "qscale", "vq", "qmin",
    "qmax", "qp", "cq", "vglobal_quality", "preset", "tune", "vprofile", "level", "g", "bf",
    "keyint_min", "sc_threshold", "refs", "trellis", "mbd", "coder", "context", "slices",
    "pix_fmt", "quality", "deadline", "cpu-used", "row-mt", "tile-columns", "tile-rows",
    "auto-alt-ref", "lag-in-frames", "max-intra-rate", "vn", "video_off",
    # picture
    "width", "height", "s", "aspect", "progressive", "top_field_first",
    "deinterlace_method", "rescale", "frame_rate_num", "frame_rate_den", "r",
    "display_aspect_num", "display_aspect_den", "sample_aspect_num", "sample_aspect_den",
    "colorspace", "color_range", "color_trc",
    # audio encoding
    "acodec", "ab", "aq", "ar", "ac", "channels", "sample_fmt", "an", "audio_off",
})
#: ``f=``: containers that write one file (hls, dash, segment, tee, image2... write others)
CONTAINERS = frozenset({
    "mp4", "mov", "ipod", "matroska", "webm", "mxf", "avi", "mpegts", "mpeg", "dvd", "vob",
    "ogg", "nut", "dv", "gif", "wav", "flac", "mp3", "adts", "ac3", "opus",
})
#: a value: a codec, preset or number (no path separator, no ':' a URL could use) ...
_PLAIN = re.compile(r"[A-Za-z0-9_.+@,-]+")
#: ... or a ratio (aspect=16:9, r=30000/1001, MLT's aspect=@16/9)
_RATIO = re.compile(r"@?\d+(?:\.\d+)?[:/]\d+(?:\.\d+)?")


def consumer_options(args: Sequence[str]) -> list[str]:
    """``args`` as melt consumer properties, each checked against :data:`CONSUMER_OPTIONS`.

    :raises aigate.api.UsageError: one line naming the first argument refused and what is
        allowed: a melt option (``-attach``, ``-consumer``...), a bare token (melt would
        add it as a producer), a key off the list (``target``, ``resource``...) or a value
        that could name a file or a URL."""
    keys = ", ".join(sorted(CONSUMER_OPTIONS))
    for arg in args:
        key, equals, value = arg.partition("=")
        if arg.startswith("-"):
            why = f"it is a melt option; only key=value encoding options pass ({keys})"
        elif not equals:
            why = ("melt would read it as one more producer, media the gate never checked; "
                   f"only key=value encoding options pass ({keys})")
        elif key not in CONSUMER_OPTIONS:
            why = f"{key!r} is not an encoding option melt may be given ({keys})"
        elif not (_PLAIN.fullmatch(value) or _RATIO.fullmatch(value)):
            why = ("its value could name a file or a URL: a value is letters, digits and "
                   "_ . + - @ , or a ratio such as 16:9 or 30000/1001")
        elif key == "f" and value not in CONTAINERS:
            why = f"f takes a container that writes one file ({', '.join(sorted(CONTAINERS))})"
        else:
            continue
        raise UsageError(f"renderer argument {arg!r} refused: {why}")
    return list(args)


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


def cut_frames(project: Project) -> int:
    """The cut's length in frames: the last clip end over all tracks (nested sequences'
    clips on their outer track), blanks and Kdenlive's black-track padding not counted."""
    return max((round(item.record_end) for item in collect(project).items), default=0)


def render(project: Path, output: Path, args: Sequence[str], *, frames: int,
           progress: bool | None = None) -> Path:
    """Render the first ``frames`` frames of ``project`` (:func:`cut_frames`) to ``output``
    with melt's avformat consumer (its format from the suffix; ``args`` are encoding options
    for it, e.g. ``vcodec=libx264``, checked by :func:`consumer_options` before anything
    runs). The render goes to a temporary file in the output's folder, renamed only once
    melt has succeeded, so a failed or interrupted render leaves nothing that looks like a
    delivery. ``progress`` (default: when stderr is a terminal) shows melt's progress on
    stderr."""
    options = consumer_options(args)
    melt = melt_path()
    if melt is None:
        raise InputError(f"{output}: cannot render: melt is not installed (Debian: apt-get "
                         "install melt)")
    if frames <= 0:
        raise InputError(f"{project}: nothing to render: the cut has no clips")
    if progress is None:
        progress = sys.stderr.isatty()
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.stem}.", suffix=output.suffix,
                               dir=output.parent)
    os.close(fd)
    # absolute paths, the project named as XML: a file name with ':' or a leading '-' is
    # never read as a melt service or option; out= after the producer cuts it at the cut's
    # end; real_time=-1 renders every frame (a real-time consumer may drop frames)
    command = [melt, f"xml:{project.resolve()}", "in=0", f"out={frames - 1}", "-consumer",
               f"avformat:{Path(tmp).resolve()}", "real_time=-1", *options, "-progress2"]
    try:
        code, tail = _run(command, output, frames, progress, project.resolve().parent)
        failure = _failure(code, tail, Path(tmp))
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


_PROGRESS = re.compile(r"Current Frame:\s*(\d+),\s*percentage:\s*(\d+)")


def _run(command: list[str], output: Path, frames: int, progress: bool, folder: Path
         ) -> tuple[int, list[str]]:
    """melt's exit code and the last lines it wrote that are not progress; with
    ``progress``, one line on stderr rewritten as melt goes."""
    tail: deque[str] = deque(maxlen=40)
    # from the project's folder, as the gate asked melt what it plays: a name melt reads
    # from the folder it runs in (a title's image) is the file the gate read
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, text=True, errors="replace",
                          cwd=folder) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            found = _PROGRESS.search(line)
            if found is None:
                if line.strip():
                    tail.append(line.strip())
                continue
            if progress:
                frame = min(int(found.group(1)) + 1, frames)
                sys.stderr.write(f"\rrendering {output.name}: {found.group(2):>3}% "
                                 f"(frame {frame} of {frames})")
                sys.stderr.flush()
        code = proc.wait()
    if progress:
        sys.stderr.write("\n")
    return code, list(tail)


def _failure(code: int, lines: list[str], rendered: Path) -> str | None:
    """Why the render failed, or None. melt may exit 0 having written nothing (an unknown
    consumer option, a project it cannot load), so the file is checked too."""
    last = lines[-1] if lines else f"exit code {code}"
    if code != 0:
        return last
    if not rendered.exists() or rendered.stat().st_size == 0:
        return f"nothing was written ({last})"
    return None


def diagnose() -> list[Diagnostic]:
    melt = melt_path()
    if melt is None:
        return [Diagnostic("melt", False, "not found: 'aigate render' cannot render Kdenlive "
                           "or MLT projects (Debian: apt-get install melt); they are checked "
                           "below review only, by aigate's own reader", fails_open=False)]
    version = melt_version(melt)
    if version is None:
        return [Diagnostic("melt", False, f"{melt} does not answer -version",
                           fails_open=False)]
    return [Diagnostic("melt", True, f"{version} ({melt})", fails_open=False)]


def help_text() -> str:
    """The paragraph ``aigate render --help`` shows for melt, made from the allow-list
    :func:`consumer_options` checks against (so the help says exactly what passes)."""
    return ("melt (Kdenlive/MLT) takes only key=value options whose key is one of: "
            f"{', '.join(sorted(CONSUMER_OPTIONS))}; f takes a container that writes one "
            f"file: {', '.join(sorted(CONTAINERS))}. A value is a name or number (no path or "
            "URL: no / or : except a ratio such as 16:9). Anything else (a file, which melt "
            "would add as media the gate never checked; target= or resource=, which would "
            "write elsewhere; a -option) is refused with exit code 2.")
