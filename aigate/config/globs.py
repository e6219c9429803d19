"""Path globs as studios write them: ``**`` spans folders, a pattern without ``/`` matches
the file name alone (``*_FINAL*``), and ``file://`` URLs match like paths. Clip-name globs
are shell patterns (``*``, ``?``, ``[seq]``, ``[!seq]``).

Whether a glob is a *blanket* (covers every clip or every path) is decided by what it
matches, tried on a fixed set of generated, varied probe names and paths, never by how it
is spelled: ``*``, ``?*``, ``*?``, ``**/*``, ``[!]]*`` are all blankets.
"""

from __future__ import annotations

import fnmatch
import random
import re
from functools import lru_cache
from urllib.parse import unquote, urlparse


def as_path(url_or_path: str) -> str:
    if url_or_path.startswith("file:"):
        return unquote(urlparse(url_or_path).path)
    return url_or_path.replace("\\", "/")


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def match(path: str, pattern: str) -> bool:
    """True when ``path`` (a path or file:// URL) matches ``pattern``."""
    path = as_path(path)
    if "/" not in pattern:
        return bool(_compile(pattern).match(path.rsplit("/", 1)[-1]))
    return bool(_path_regex(pattern).match(path))


def _path_regex(pattern: str) -> re.Pattern[str]:
    if "/" in pattern and not pattern.startswith(("/", "**")):
        pattern = "**/" + pattern  # relative patterns match at any depth
    return _compile(pattern)


def match_name(name: str, pattern: str) -> bool:
    """True when a clip name matches a clip-name glob (case-sensitive shell pattern)."""
    return fnmatch.fnmatchcase(name, pattern)


#: what a scope glob is matched against: clip names, or media paths
CLIPS, MEDIA = "clips", "media"
#: a glob matching more than this share of one kind of probe (names as a show writes them,
#: absolute paths, file:// URLs...) covers (nearly) every clip: it names nothing in
#: particular, so it is a blanket
MOST = 0.5


def blanket(pattern: str, kind: str) -> bool:
    """True when ``pattern`` (a ``clips`` or ``media`` scope glob) matches every probe, or
    most probes of one kind: decided by what it matches, not by comparing strings."""
    return _blanket(pattern, kind)


@lru_cache(maxsize=4096)
def _blanket(pattern: str, kind: str) -> bool:
    if kind == CLIPS:
        regex = re.compile(fnmatch.translate(pattern))
        groups = probe_names()
    else:
        regex, groups = _path_regex(pattern), probe_paths()
        if "/" not in pattern:  # matches the file name alone, as match() does
            groups = tuple(tuple(p.rsplit("/", 1)[-1] for p in g) for g in groups)
    for group in groups:
        needed, misses = len(group) * MOST, 0
        for probe in group:
            misses += regex.match(probe) is None
            if misses >= len(group) - needed:  # this group cannot be mostly matched
                break
        else:
            return True
    return False


_WORDS = ("SH010", "A001C003_220101_R1AB", "GFX_poster_bg_", "VFX_0420_comp_v003",
          "TEMP_MUSIC_gen_", "interview cam B", "ÉCLAIR", "nuit-américaine", "夜景",
          "Прага", "x", "_", ".hidden", "-", "[", "]", "!", "*", "?", "\\", "~", "#1",
          "final", "MASTER", "roll 7", "take(2)", "a.b.c", "  ", "0", "")
_EXTENSIONS = ("", ".mov", ".mxf", ".exr", ".png", ".jpg", ".wav", ".mp4", ".dpx",
               ".tif", ".R3D", ".ari", ".aaf", ".1001.exr", ".")
_ALPHABET = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
             " _-.,;:!?*[]{}()#@$%&+=~'\"^`|<>\\éüßçñåøØ汉字ЖΩ🙂\t")
_FOLDERS = ("media", "genai", "shows", "NF", "ep101", "vfx", "plates", "..", ".",
            "Volumes", "SAN 01", "très", "a b", "[x]", "**", "deliverables", "x")


@lru_cache(maxsize=1)
def probe_names() -> tuple[tuple[str, ...], ...]:
    """Varied clip and file names, in two groups: as shows write them, and random text
    (generated, the same every run)."""
    rnd = random.Random(20261126)
    written: set[str] = set(_WORDS)
    while len(written) < 200:
        written.add(rnd.choice(_WORDS) + str(rnd.randrange(10000)) * rnd.randrange(2)
                    + rnd.choice(_EXTENSIONS))
    noise: set[str] = set()
    while len(noise) < 200:
        noise.add("".join(rnd.choice(_ALPHABET) for _ in range(rnd.randrange(1, 24))))
    return tuple(sorted(written)), tuple(sorted(noise))


@lru_cache(maxsize=1)
def probe_paths() -> tuple[tuple[str, ...], ...]:
    """Varied media paths (as :func:`as_path` gives them) in groups: relative, absolute,
    file:// URL, Windows, remote URL and bare file name, each for both groups of names;
    shallow and deep (generated, the same every run)."""
    rnd = random.Random(11262026)
    groups: list[tuple[str, ...]] = []
    for names in probe_names():
        forms: list[list[str]] = [[] for _ in range(6)]
        for name in names:
            name = name.replace("/", "_") or "f"
            parts = [rnd.choice(_FOLDERS) for _ in range(rnd.randrange(0, 5))]
            forms[0].append("/".join((*parts, name)))
            forms[1].append("/" + "/".join((*parts, name)))
            forms[2].append("file:///" + "/".join((*parts, name)))
            forms[3].append("C:\\" + "\\".join((*parts, name)))
            forms[4].append("https://cdn.example/" + "/".join((*parts, name)))
            forms[5].append(name)
        groups.extend(tuple(as_path(p) for p in form) for form in forms)
    return tuple(groups)
