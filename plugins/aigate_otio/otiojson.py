"""OTIO's JSON, decoded the way OTIO's own reader decodes it, without OTIO.

OTIO parses .otio files with RapidJSON in its normal-precision mode and builds objects with
``std::map::emplace``. Two consequences a general-purpose decoder (the standard library's,
orjson, msgspec) does not reproduce, measured against OTIO 0.18:

- a number literal of 16 or more significant digits, or with an exponent, can come out one
  unit in the last place away from the correctly rounded value (``23.976023976023978``,
  a frame rate OTIO writes itself, is one);
- a key repeated in an object keeps its *first* value (general decoders keep the last), so
  a crafted file could show the gate one clip and an editing tool another.

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
from collections.abc import Callable, Mapping
from typing import IO, Any

from aigate.gcpause import paused_gc

_MAX53 = (1 << 53) - 1
_DBL_MAX = 1.7976931348623157e308
# exact powers of ten as the C++ compiler rounds them (RapidJSON's Pow10 table)
_POW10 = [float(f"1e{n}") for n in range(309)]
# a \u escape of a UTF-16 surrogate (RapidJSON refuses a lone one; Python accepts it)
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_CHUNK = 1 << 20


class Unsupported(ValueError):
    """This file needs OTIO's own reader (it may well be valid: the fast path declines)."""


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
    ``schemas``, or an object reference, is :class:`Unsupported`."""
    if "\\u" in text and _SURROGATE.search(text):
        raise Unsupported("UTF-16 surrogate escapes")

    def pairs_hook(pairs: list[tuple[str, Any]]) -> Any:
        found = dict(pairs)
        if len(found) != len(pairs):
            found = _first_wins(pairs)
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
