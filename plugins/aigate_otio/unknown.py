"""Why a clip plays media its references do not name, in the editor's words: one wording
for OTIO's reader (:mod:`.collect`) and the fast path (:mod:`.fastread`), whose items are
equal field by field.

A reference names its media (an external file, an image sequence), or plays none (a
generator: black, bars, a colour), or names nothing the gate can look at: a
MissingReference (what OTIO's EDL reader gives an event whose source is only a reel, and
what a Clip without a reference becomes), an external reference without a URL, no
reference under the clip's active key, a reference of a kind that names no file. The gate
cannot look at what such a clip plays (a conform relinks it later, by reel or by name)."""

from __future__ import annotations

from typing import Any

#: the clip's active reference is missing (or absent)
NO_REFERENCE = "no media reference"
#: the clip's active reference names no file
NO_FILE = "media reference names no file"
#: where OTIO's EDL reader keeps an event's reel (``metadata["cmx_3600"]["reel"]``)
EDL_KEY = "cmx_3600"


def other(key: str, why: str) -> str:
    """``why`` said of the clip's reference under ``key`` (not the active one)."""
    if why == NO_REFERENCE:
        return f"media reference {key!r} is missing"
    return f"media reference {key!r} names no file"


def with_reel(why: str, edl: Any) -> str:
    """``why``, naming the reel the EDL gave the clip (``edl`` is the clip's
    ``cmx_3600`` metadata, as plain values) where there is one: what a conform relinks."""
    reel = edl.get("reel") if isinstance(edl, dict) else None
    if isinstance(reel, str) and reel.strip():
        return f"{why} (reel {reel.strip()})"
    return why
