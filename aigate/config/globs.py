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
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import unquote, urlparse


def as_path(url_or_path: str) -> str:
    if url_or_path.startswith("file:"):
        return unquote(urlparse(url_or_path).path)
    return url_or_path.replace("\\", "/")


#: token kinds of a compiled path glob
_LIT, _ONE, _STAR, _ANY, _DIRS = range(5)
#: transitions a compiled glob remembers (a few hundred in practice; the bound keeps a
#: hostile pattern from growing it without end: past it, steps are worked out again)
_MAX_STEPS = 4096


class PathGlob:
    """A path glob compiled to an automaton that reads a path once, character by character:
    linear in the path's length whatever the pattern (a backtracking regex takes minutes on
    a long path against ``**/*_gen_*``). ``**/`` is any number of whole folders, ``**`` any
    text, ``*`` any text within a folder name, ``?`` one character other than ``/``;
    everything else (brackets too) is literal."""

    __slots__ = ("_chars", "_end", "_kinds", "_literal", "_start", "_steps")

    def __init__(self, pattern: str) -> None:
        kinds: list[int] = []
        chars: list[str] = []
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                kind, i = _DIRS, i + 3
            elif pattern.startswith("**", i):
                kind, i = _ANY, i + 2
            elif pattern[i] == "*":
                kind, i = _STAR, i + 1
            elif pattern[i] == "?":
                kind, i = _ONE, i + 1
            else:
                kind, i = _LIT, i + 1
            kinds.append(kind)
            chars.append(pattern[i - 1] if kind == _LIT else "")
        self._kinds = tuple(kinds)
        self._chars = tuple(chars)
        self._end = len(kinds)
        #: characters that steer the automaton; every other one reads alike ("")
        self._literal = frozenset(chars) | {"/"}
        self._start = self._closure((0,))
        self._steps: dict[tuple[frozenset[int], str], frozenset[int]] = {}

    def _closure(self, states: tuple[int, ...] | list[int]) -> frozenset[int]:
        """``states`` with every state reachable without reading: past ``*``, ``**`` and
        ``**/``, which may match nothing. A state above ``_end`` is "inside" the ``**/`` at
        (state - _end - 1), which must still read a ``/`` to leave."""
        out: set[int] = set()
        for state in states:
            while state not in out:
                out.add(state)
                if state < self._end and self._kinds[state] in (_STAR, _ANY, _DIRS):
                    state += 1
                else:
                    break
        return frozenset(out)

    def _step(self, states: frozenset[int], char: str) -> frozenset[int]:
        nxt: list[int] = []
        end, kinds, chars = self._end, self._kinds, self._chars
        for state in states:
            if state > end:  # inside a **/: any character stays, a / may leave
                nxt.append(state)
                if char == "/":
                    nxt.append(state - end)
                continue
            if state == end:
                continue
            kind = kinds[state]
            if kind == _LIT:
                if chars[state] == char:
                    nxt.append(state + 1)
            elif kind == _ONE:
                if char != "/":
                    nxt.append(state + 1)
            elif kind == _STAR:
                if char != "/":
                    nxt.append(state)
            elif kind == _ANY:
                nxt.append(state)
            else:  # _DIRS: enter the folders part, or read its closing / at once
                nxt.append(end + 1 + state)
                if char == "/":
                    nxt.append(state + 1)
        return self._closure(nxt)

    def matches(self, text: str) -> bool:
        """True when the whole of ``text`` matches (one pass over it)."""
        states, steps, literal = self._start, self._steps, self._literal
        for char in text:
            key = (states, char if char in literal else "")
            found = steps.get(key)
            if found is None:
                if len(steps) >= _MAX_STEPS:
                    steps.clear()
                found = steps[key] = self._step(states, key[1])
            states = found
            if not states:  # nothing can match any more: the rest need not be read
                return False
        return self._end in states


@lru_cache(maxsize=512)
def _compile(pattern: str) -> PathGlob:
    return PathGlob(pattern)


def match(path: str, pattern: str) -> bool:
    """True when ``path`` (a path or file:// URL) matches ``pattern``; linear in the
    path's length (:class:`PathGlob`)."""
    path = as_path(path)
    if "/" not in pattern:
        return _compile(pattern).matches(path.rsplit("/", 1)[-1])
    return _path_glob(pattern).matches(path)


def _path_glob(pattern: str) -> PathGlob:
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
#: ... or this share of the names of one naming style (camera rolls, shot codes, prose...),
#: each generated with random letters and numbers: a character class or ``?`` that fits
#: every name of a style (``[A-Z]*`` on camera rolls) covers a show's clips all the same
ALMOST = 0.8


def blanket(pattern: str, kind: str) -> bool:
    """True when ``pattern`` (a ``clips`` or ``media`` scope glob) matches every probe, or
    most probes of one kind: decided by what it matches, not by comparing strings."""
    return _blanket(pattern, kind)


@lru_cache(maxsize=4096)
def _blanket(pattern: str, kind: str) -> bool:
    test: Callable[[str], bool]
    if kind == CLIPS:
        regex = re.compile(fnmatch.translate(pattern))
        test, groups = (lambda probe: regex.match(probe) is not None), probe_names()
    else:
        test, groups = _path_glob(pattern).matches, probe_paths()
        if "/" not in pattern:  # matches the file name alone, as match() does
            groups = tuple(tuple(p.rsplit("/", 1)[-1] for p in g) for g in groups)
    for number, group in enumerate(groups):
        # which group of names the probes come from: the first two are mixed, the rest
        # one naming style each (every name group gives _FORMS groups of paths)
        names = number if kind == CLIPS else number // _FORMS
        needed, misses = len(group) * (MOST if names < 2 else ALMOST), 0
        for probe in group:
            misses += not test(probe)
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


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = _UPPER.lower()
_TASKS = ("comp", "plate", "roto", "prep", "bg", "fg", "matte", "cg", "lgt", "fx", "dmp")
_PROSE = ("wide", "close", "interview", "cam", "street", "night", "day", "drone", "crowd",
          "car", "rain", "door", "kitchen", "reverse", "insert", "hands", "sky", "sea")


def _styles(rnd: random.Random) -> tuple[Callable[[], str], ...]:
    """Naming styles of real shows, each drawing every letter and number at random."""
    def up(n: int) -> str:
        return "".join(rnd.choice(_UPPER) for _ in range(n))

    def num(n: int) -> str:
        return str(rnd.randrange(10 ** n)).zfill(n)

    def camera() -> str:  # ARRI, RED, Sony, Blackmagic camera-roll clip names
        return rnd.choice((
            f"{up(1)}{num(3)}C{num(3)}_{num(6)}_{up(1)}{num(1)}{up(2)}",
            f"{up(1)}{num(3)}_C{num(3)}_{num(4)}{up(2)}_{num(3)}",
            f"{up(1)}{num(3)}C{num(3)}_{num(8)}",
            f"{up(1)}{num(3)}_{num(8)}_C{num(3)}"))

    def shot() -> str:  # VFX shot and version names
        return (f"{up(rnd.randrange(2, 5))}{rnd.choice(('', '_'))}{num(rnd.randrange(3, 5))}"
                f"{rnd.choice(('', '_' + rnd.choice(_TASKS)))}"
                f"{rnd.choice(('', f'_v{num(3)}'))}")

    def prose() -> str:  # as an assistant editor types them
        words = [rnd.choice(_PROSE) for _ in range(rnd.randrange(1, 4))]
        text = rnd.choice((" ", "_", "-")).join(words)
        return rnd.choice((text, text.title(), f"{text} {up(1)}", f"{text} {num(2)}"))

    def numbered() -> str:  # scene / take numbering
        return rnd.choice((f"{num(rnd.randrange(1, 4))}{rnd.choice(_UPPER + ' ')}-"
                           f"{num(1)}", f"{num(4)}_{rnd.choice(_PROSE)}", f"{num(8)}"))

    def script() -> str:  # not Latin
        alphabet = rnd.choice(("ЖПРАГДЛМНОСТ", "夜景街海雨車門空手", "éüßçñåøØÉÀ", "ΩΔΣΛΠΦΨ"))
        return "".join(rnd.choice(alphabet + " _") for _ in range(rnd.randrange(2, 16)))

    return camera, shot, prose, numbered, script


@lru_cache(maxsize=1)
def probe_names() -> tuple[tuple[str, ...], ...]:
    """Varied clip and file names, in groups: as shows write them, random text, then one
    group per naming style (:func:`_styles`) (generated, the same every run)."""
    rnd = random.Random(20261126)
    written: set[str] = set(_WORDS)
    while len(written) < 200:
        written.add(rnd.choice(_WORDS) + str(rnd.randrange(10000)) * rnd.randrange(2)
                    + rnd.choice(_EXTENSIONS))
    noise: set[str] = set()
    while len(noise) < 200:
        noise.add("".join(rnd.choice(_ALPHABET) for _ in range(rnd.randrange(1, 24))))
    groups = [tuple(sorted(written)), tuple(sorted(noise))]
    for style in _styles(rnd):
        names: set[str] = set()
        for _ in range(2000):
            if len(names) == 100:
                break
            names.add(style() + rnd.choice(("", "", *_EXTENSIONS)))
        groups.append(tuple(sorted(names)))
    return tuple(groups)


_FORMS = 6  # relative, absolute, file://, Windows, remote URL, bare name


@lru_cache(maxsize=1)
def probe_paths() -> tuple[tuple[str, ...], ...]:
    """Varied media paths (as :func:`as_path` gives them) in groups: relative, absolute,
    file:// URL, Windows, remote URL and bare file name, each for both groups of names;
    shallow and deep (generated, the same every run)."""
    rnd = random.Random(11262026)
    groups: list[tuple[str, ...]] = []
    for names in probe_names():
        forms: list[list[str]] = [[] for _ in range(_FORMS)]
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
