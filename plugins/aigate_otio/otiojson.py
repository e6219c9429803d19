"""OTIO's JSON, decoded the way OTIO's own reader decodes it, without OTIO.

OTIO parses .otio files with RapidJSON in its normal-precision mode and builds objects with
``std::map::emplace``. Two consequences a general-purpose decoder (the standard library's,
orjson, msgspec) does not reproduce, measured against OTIO 0.18:

- a number literal of 16 or more significant digits, or with an exponent, can come out one
  unit in the last place away from the correctly rounded value (``23.976023976023978``,
  a frame rate OTIO writes itself, is one);
- a key repeated in an object keeps its *first* value (general decoders keep the last), so
  a crafted file could show the gate one clip and an editing tool another;
- a key repeated in a schema object (or holding one) crashes the interpreter (a
  segmentation fault: a repeated ``children`` in a Track does), so such a file is refused
  (:class:`RepeatedKey`), here and before OTIO's reader sees it (:func:`check_keys`).

:func:`loads` therefore uses the standard library's decoder with hooks: every object's key
pairs (first value wins) and every number literal's text (parsed as RapidJSON parses it).
It raises :class:`Unsupported` wherever OTIO would fail or the two could differ (lone UTF-16
surrogates, NaN and infinities, an integer OTIO would truncate), so the caller can hand the
file to OTIO's reader, which then gives the user the error they would see anyway.
"""

from __future__ import annotations

import codecs
import json
import re
import sys
from collections.abc import Callable, Mapping
from typing import IO, Any

from aigate.api import paused_gc

#: the largest timeline file read (a 100,000-clip .otio is ~150 MB)
MAX_BYTES = 1024**3
#: .otioz: the largest expansion of content.otio over its compressed size (OTIO JSON
#: compresses ~10:1; a zip bomb by 1,000:1 or more)
MAX_RATIO = 200

_MAX53 = (1 << 53) - 1
_DBL_MAX = 1.7976931348623157e308
# exact powers of ten as the C++ compiler rounds them (RapidJSON's Pow10 table)
_POW10 = [float(f"1e{n}") for n in range(309)]
# a \u escape of a UTF-16 surrogate (RapidJSON refuses a lone one; Python accepts it)
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_CHUNK = 1 << 20


class Unsupported(ValueError):
    """This file needs OTIO's own reader (it may well be valid: the fast path declines)."""


class RepeatedKey(Exception):
    """A key repeated in an OTIO schema object, or holding one: OTIO's reader may crash on
    it (a segmentation fault) and tools could read either value, so the file is refused."""

    def __init__(self, key: str, schema: Any) -> None:
        where = f"a {schema} object" if isinstance(schema, str) else "an object"
        super().__init__(f"refused: the key {key!r} appears twice in {where} (OTIO's reader "
                         "can crash on it, and tools may read either value)")
        self.key = key


def rapidjson_number(text: str) -> int | float:
    """The value OTIO's reader stores for a JSON number literal: an ``int`` (int64) or a
    ``float``, computed with RapidJSON's normal-precision algorithm step by step."""
    n, pos = len(text), 0
    minus = text.startswith("-")
    if minus:
        pos = 1
    i = i64 = 0
    use64 = use_double = False
    significant = 0
    d = 0.0
    if text[pos] == "0":
        pos += 1
    else:
        i = ord(text[pos]) - 48
        pos += 1
        limit, last = (214748364, "8") if minus else (429496729, "5")
        while pos < n and text[pos].isdigit():
            if i >= limit and (i != limit or text[pos] > last):
                i64, use64 = i, True
                break
            i = i * 10 + ord(text[pos]) - 48
            pos += 1
            significant += 1
    if use64:
        limit, last = ((0x0CCCCCCCCCCCCCCC, "8") if minus else (0x1999999999999999, "5"))
        while pos < n and text[pos].isdigit():
            if i64 >= limit and (i64 != limit or text[pos] > last):
                d, use_double = float(i64), True
                break
            i64 = i64 * 10 + ord(text[pos]) - 48
            pos += 1
            significant += 1
    if use_double:
        while pos < n and text[pos].isdigit():
            d = d * 10 + (ord(text[pos]) - 48)
            pos += 1
    exp_frac = 0
    if pos < n and text[pos] == ".":
        pos += 1
        if not use_double:
            if not use64:
                i64 = i
            while pos < n and text[pos].isdigit():
                if i64 > _MAX53:
                    break
                i64 = i64 * 10 + ord(text[pos]) - 48
                pos += 1
                exp_frac -= 1
                if i64 != 0:
                    significant += 1
            d, use_double = float(i64), True
        while pos < n and text[pos].isdigit():
            if significant < 17:
                d = d * 10.0 + (ord(text[pos]) - 48)
                exp_frac -= 1
                if d > 0.0:
                    significant += 1
            pos += 1
    exp = 0
    if pos < n and text[pos] in "eE":
        pos += 1
        if not use_double:
            d, use_double = float(i64 if use64 else i), True
        exp_minus = False
        if text[pos] == "+":
            pos += 1
        elif text[pos] == "-":
            exp_minus, pos = True, pos + 1
        exp = ord(text[pos]) - 48
        pos += 1
        if exp_minus:
            max_exp = (exp_frac + 2147483639) // 10
            while pos < n:
                exp = exp * 10 + ord(text[pos]) - 48
                pos += 1
                if exp > max_exp:
                    break  # RapidJSON consumes the rest of the digits unchanged
            exp = -exp
        else:
            max_exp = 308 - exp_frac
            while pos < n:
                exp = exp * 10 + ord(text[pos]) - 48
                pos += 1
                if exp > max_exp:
                    raise Unsupported(f"number too big: {text[:40]}")
    if use_double:
        p = exp + exp_frac
        if p < -308:
            d = d / _POW10[308]
            p += 308
        d = 0.0 if p < -308 else d * _POW10[p] if p >= 0 else d / _POW10[-p]
        if d > _DBL_MAX:
            raise Unsupported(f"number too big: {text[:40]}")
        return -d if minus else d
    if use64:
        # int64 as it is; a uint64 above int64's range loses its top bit in OTIO
        return -i64 if minus else i64 & 0x7FFFFFFFFFFFFFFF
    return -i if minus else i


def _float(text: str) -> float | int:
    # up to 15 digits and no exponent: RapidJSON's fast path is exact, as float() is
    if len(text) < 16 and "e" not in text and "E" not in text:
        return float(text)
    return rapidjson_number(text)


def _int(text: str) -> int | float:
    return int(text) if len(text) < 19 else rapidjson_number(text)


def _constant(text: str) -> Any:
    raise Unsupported(f"{text} in a number field")


def _first_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        found.setdefault(key, value)
    return found


def _refuse_repeats(pairs: list[tuple[str, Any]], found: dict[str, Any],
                    holds: Callable[[Any], bool]) -> None:
    """Raise :class:`RepeatedKey` when a repeated key is in a schema object, or one of its
    values holds a schema object (``holds`` says which decoded values do): OTIO's reader
    crashes on either. Elsewhere a repeat keeps its first value, as OTIO's reader does."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen and ("OTIO_SCHEMA" in found or holds(seen[key]) or holds(value)):
            raise RepeatedKey(key, found.get("OTIO_SCHEMA"))
        seen.setdefault(key, value)


def _holds_schema(value: Any) -> bool:
    """Whether a value :func:`loads` decoded holds a schema object (a tuple there)."""
    kind = type(value)
    if kind is tuple:
        return True
    if kind is dict:
        return any(_holds_schema(v) for v in value.values())
    return kind is list and any(_holds_schema(v) for v in value)


_SCHEMA = object()  # check_keys: an object that is, or holds, a schema object


def _holds_marked(value: Any) -> bool:
    return value is _SCHEMA or (type(value) is list and any(_holds_marked(v) for v in value))


def _checking_hook(pairs: list[tuple[str, Any]]) -> Any:
    found = dict(pairs)
    if len(found) != len(pairs):
        found = _first_wins(pairs)
        _refuse_repeats(pairs, found, _holds_marked)
    if "OTIO_SCHEMA" in found or any(map(_holds_marked, found.values())):
        return _SCHEMA
    return None  # nothing kept: the check holds no copy of the document


# RapidJSON (as OTIO reads) also takes Inf, -Inf and -NaN for numbers; the standard library
# does not (it takes Infinity and NaN)
_RAPIDJSON_ONLY = re.compile(r"(?<![\w.])(?:Inf|-NaN)(?![\w])")
_SPACE = re.compile(r"[ \t\n\r]*")


def check_keys(text: str) -> None:
    """Raise :class:`RepeatedKey` where :func:`loads` would, for a document OTIO's reader is
    about to read (its reader crashes on some). Text that is not JSON passes: OTIO's reader
    then says what is wrong with it. One pass of the standard library's decoder, keeping
    nothing: a fraction of OTIO's own read."""
    decoder = json.JSONDecoder(object_pairs_hook=_checking_hook, parse_float=_ignore,
                               parse_int=_ignore, parse_constant=_ignore, strict=False)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 5000))  # the caller bounds the nesting (1,000 levels)
    try:
        with paused_gc():
            for attempt in (text, None):
                if attempt is None:  # not JSON to Python: maybe JSON to RapidJSON
                    if "Inf" not in text and "-NaN" not in text:
                        return
                    attempt = _RAPIDJSON_ONLY.sub(_as_python, text)
                try:
                    decoder.raw_decode(attempt, _start(attempt))
                    return
                except (ValueError, RecursionError):
                    continue
    finally:
        sys.setrecursionlimit(limit)


def _as_python(match: re.Match[str]) -> str:
    return "Infinity" if match.group() == "Inf" else "NaN"


def _start(text: str) -> int:
    """Where the JSON value starts (past the whitespace JSON allows before it)."""
    space = _SPACE.match(text)
    return space.end() if space else 0


def _ignore(text: str) -> None:
    return None


def read_text(stream: IO[bytes], limit: int) -> str:
    """The whole stream as strict UTF-8 text, holding one copy of the document (not the
    bytes and the text at once): appended chunk by chunk, the text grows in place. More
    than ``limit`` bytes is :class:`Unsupported`."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    text, read = "", 0
    try:
        while True:
            chunk = stream.read(_CHUNK)
            read += len(chunk)
            if read > limit:
                raise Unsupported(f"over {limit} bytes")
            part = decoder.decode(chunk, final=not chunk)
            # `text += part` as a statement of its own: CPython then resizes the text in
            # place (`text += decoder.decode(...)` measured 30x slower: a copy per chunk)
            text += part
            if not chunk:
                break
    except UnicodeDecodeError as exc:
        raise Unsupported("not UTF-8") from exc
    return text


def loads(text: str, schemas: Mapping[str, Callable[[dict[str, Any]], Any]]) -> Any:
    """Decode an .otio document as OTIO's reader would see it. Every JSON object with an
    ``OTIO_SCHEMA`` key goes (as a dict, the first value of a repeated key kept, innermost
    first) to ``schemas[its schema]``, and the result replaces it, as OTIO's reader turns
    schema objects into OTIO objects; other objects stay dicts. A schema not in
    ``schemas``, or an object reference, is :class:`Unsupported`; a key repeated in a
    schema object (or holding one) is :class:`RepeatedKey`."""
    if "\\u" in text:
        if _SURROGATE.search(text):
            raise Unsupported("UTF-16 surrogate escapes")
        if "\\u0000" in text:  # OTIO's bindings cut a key at a NUL: only OTIO reads it
            raise Unsupported("NUL escapes")

    def pairs_hook(pairs: list[tuple[str, Any]]) -> Any:
        found = dict(pairs)
        if len(found) != len(pairs):
            found = _first_wins(pairs)
            _refuse_repeats(pairs, found, _holds_schema)
        if "OTIO_SCHEMA" not in found:
            return found
        schema = found["OTIO_SCHEMA"]
        build = schemas.get(schema) if type(schema) is str else None
        if build is None or "OTIO_REF_ID" in found:
            raise Unsupported(f"schema {schema!r}" if build is None else "object references")
        return build(found)

    decoder = json.JSONDecoder(object_pairs_hook=pairs_hook, parse_float=_float,
                               parse_int=_int, parse_constant=_constant)
    try:
        with paused_gc():
            return decoder.decode(text)
    except Unsupported:
        raise
    except (ValueError, RecursionError) as exc:
        raise Unsupported(f"JSON: {exc}") from exc
