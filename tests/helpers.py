"""Shared helpers for the tests: real OTIO timelines written to real files, and the real
CLI as a separate process. Fixtures live in conftest.py; tests import these from here."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest
from opentimelineio.opentime import RationalTime, TimeRange

from aigate_otio.files import without_aigate_hooks

ROOT = Path(__file__).resolve().parent.parent


SAMPLES = ROOT / "sample_timelines"
RATE = 24
VETTED_PACK = """\
aigate_policy: 1
name: test-studio
extends: netflix-genai
vetted_tools:
  - {name: Firefly, vendor: Adobe, enterprise: true}
  - {name: LeakyGen, trains_on_inputs: true, enterprise: true}
"""


def clip(name: str, seconds: float = 2, aigate: Any = None, *,
         media_aigate: Any = None, url: str | None = None) -> otio.schema.Clip:
    media = otio.schema.ExternalReference(
        target_url=url or f"media/{name}.mov",
        available_range=TimeRange(RationalTime(0, RATE), RationalTime(RATE * 60, RATE)))
    if media_aigate is not None:
        media.metadata["aigate"] = media_aigate
    item = otio.schema.Clip(name=name, media_reference=media, source_range=TimeRange(
        RationalTime(0, RATE), RationalTime(seconds * RATE, RATE)))
    if aigate is not None:
        item.metadata["aigate"] = aigate
    return item


def timeline(*tracks: Sequence[otio.core.Composable], name: str = "cut",
             start_tc: str | None = "01:00:00:00",
             metadata: dict | None = None) -> otio.schema.Timeline:
    tl = otio.schema.Timeline(
        name=name,
        global_start_time=otio.opentime.from_timecode(start_tc, RATE) if start_tc else None)
    for i, children in enumerate(tracks):
        track = otio.schema.Track(name=f"V{i + 1}")
        track.extend(children)
        tl.tracks.append(track)
    if metadata:
        tl.metadata["aigate"] = metadata
    return tl


def ai(**fields: Any) -> dict[str, Any]:
    """Contract v1 metadata for a generated clip from a vetted tool, plus ``fields``."""
    return {"v": 1, "generated": True, "tool": {"name": "Firefly", "vendor": "Adobe"},
            "purpose": "final", **fields}


def write(path: Path, tl: otio.schema.Timeline, adapter: str | None = None,
          **options: Any) -> Path:
    """Write a test timeline with the real adapter (aigate's own export hook detached: a
    fixture is not an export), with a plain movie (no provenance) at each clip's default
    media path (``media/NAME.mov``, see :func:`clip`) where there is none: at final the gate
    locks media it cannot find, and a fixture's clips are about their metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with without_aigate_hooks():
        otio.adapters.write_to_file(tl, str(path), adapter_name=adapter, **options)
    if hasattr(tl, "find_clips"):  # a timeline or a collection of them
        place_default_media(path.parent, tl)
    return path


def sourced(tl: otio.schema.Timeline, folder: Path) -> dict[str, str]:
    """A timeline built in memory as if read from ``folder``: its default media placed
    there, and the OTIO write hook's argument naming where it came from (without one an
    export finds no relative media, a lock at final)."""
    place_default_media(folder, tl)
    return {"aigate_origin": str(folder / "source.otio")}


def place_default_media(folder: Path, tl: Any) -> None:
    """A plain movie at ``folder/media/NAME.mov`` for each clip using its default media."""
    for item in tl.find_clips():
        reference = item.media_reference
        url = getattr(reference, "target_url", None)
        if url == f"media/{item.name}.mov" and "/" not in item.name and item.name:
            target = folder / url
            if not target.exists() and not target.is_symlink():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(plain_movie())


_PLAIN_MOVIE: list[bytes] = []


def plain_movie() -> bytes:
    """The bytes of a short plain movie (no provenance), made once per test session."""
    if not _PLAIN_MOVIE:
        import tempfile

        import imageio_ffmpeg

        with tempfile.TemporaryDirectory() as folder:
            movie = Path(folder) / "plain.mov"
            subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error",
                            "-f", "lavfi", "-i", "color=c=gray:size=32x18:rate=24", "-t",
                            "0.1", "-pix_fmt", "yuv420p", str(movie)], check=True)
            _PLAIN_MOVIE.append(movie.read_bytes())
    return _PLAIN_MOVIE[0]


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.out)

    def verdicts(self) -> dict[str, str]:
        return {i["clip"]: i["verdict"] for s in self.json["subjects"] for i in s["items"]}

    def findings(self, clip_name: str) -> dict[str, str]:
        return {f["rule"]: f["severity"] for s in self.json["subjects"] for i in s["items"]
                if i["clip"] == clip_name for f in i["findings"]}


def run_process(*args: str | Path, env: dict[str, str] | None = None,
                cwd: Path | None = None) -> Run:
    """Run the installed ``aigate`` command as a separate process."""
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("AIGATE_STAGE", "AIGATE_CONFIG", "AIGATE_PLUGINS")}
    full_env.update(env or {})
    if env and "PYTHONPATH" in env and os.environ.get("PYTHONPATH"):
        # a test's folders go in front of the suite's, never instead (the code under test)
        full_env["PYTHONPATH"] = os.pathsep.join((env["PYTHONPATH"], os.environ["PYTHONPATH"]))
    proc = subprocess.run([sys.executable, "-m", "aigate", *map(str, args)],
                          capture_output=True, text=True, env=full_env, cwd=cwd, timeout=300)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def _missing(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except ImportError:  # the parent package is missing
        return True


def needs(module: str, extra: str) -> pytest.MarkDecorator:
    """Skip a test whose optional dependency ``module`` (from the ``extra``) is missing,
    saying what to install; in CI (CI set) nothing is skipped: a missing extra fails."""
    return pytest.mark.skipif(_missing(module) and not os.environ.get("CI"),
                              reason=f"needs {module}: pip install '.[{extra}]'")


def require(module: str, extra: str) -> Any:
    """Import ``module`` for a test module, skipping the module when the ``extra`` providing
    it is not installed (outside CI: there a missing extra fails)."""
    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(module, reason=f"needs {module}: pip install '.[{extra}]'")


#: final-deliverable-use at info: a generated clip the policy allows, approved by no one
PACK = """\
aigate_policy: 1
name: relaxed
extends: netflix-genai
rules: {final-deliverable-use: {severity: info}}
vetted_tools: [{name: Firefly, vendor: Adobe, enterprise: true}]
"""


def mixed_cut(folder: Path) -> Path:
    """CAM1 passes; LOCKED (talent, no consent); WARNED (purpose missing); APPROVED (real
    events, waived by APR-RE); ALLOWED (generated, info by the pack); under show TESTSHOW."""
    (folder / "approvals").mkdir(exist_ok=True)
    (folder / "approvals" / "apr.yaml").write_text(
        "id: APR-RE\ngrants: [real-events]\nscope: {clips: [APPROVED]}\n"
        "approver: Dana Ruiz (Production Legal)\n")
    (folder / "pack.yaml").write_text(PACK)
    (folder / "aigate.yaml").write_text(
        "show: TESTSHOW\npolicy: pack.yaml\napprovals: approvals/\n")
    unexplained = ai()
    del unexplained["purpose"]
    return write(folder / "edit" / "cut.otio", timeline([
        clip("CAM1", 2), clip("LOCKED", 2, ai(talent=[{"name": "Ray Holt",
                                                        "use": "likeness"}])),
        clip("WARNED", 2, unexplained), clip("APPROVED", 2, ai(depicts_real_events=True)),
        clip("ALLOWED", 2, ai())]))


def bytes_read() -> int | None:
    """Bytes this process has read so far (Linux), or None: shows a huge file was not read
    whole, without timing anything."""
    try:
        text = Path("/proc/self/io").read_text()
    except OSError:
        return None
    return int(next(line.split()[1] for line in text.splitlines() if line.startswith("rchar")))


def movie_bytes(tag: bytes = b"") -> bytes:
    """A minimal QuickTime file (an ``ftyp`` box, then ``tag`` in a ``free`` box): media the
    gate identifies by its bytes and finds no provenance in. Tests that only need *some*
    media use it rather than arbitrary bytes, which the gate (rightly) cannot identify."""
    ftyp = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  "
    return ftyp + (8 + len(tag)).to_bytes(4, "big") + b"free" + tag
