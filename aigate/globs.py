"""Path globs as studios write them: ``**`` spans folders, a pattern without ``/`` matches
the file name alone (``*_FINAL*``), and ``file://`` URLs match like paths."""

from __future__ import annotations

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
    if not pattern.startswith(("/", "**")):
        pattern = "**/" + pattern  # relative patterns match at any depth
    return bool(_compile(pattern).match(path))
