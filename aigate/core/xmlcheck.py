"""XML timelines (FCP7 XML, FCPXML, MLT, Kdenlive) that declare entities are refused before
any reader sees them, with one line saying why.

No timeline needs an entity declaration. One can make a reader expand text a thousandfold
(a "billion laughs"), read a file of the machine into the document (an external entity), or
make the gate see a clip name other than the one an editing tool shows (a reader that does
not expand them, or refuses them). The declarations sit in the DTD, before the root
element: the document is parsed (by expat, which never fetches anything) only that far.
"""

from __future__ import annotations

import xml.parsers.expat
from pathlib import Path
from typing import Any

from aigate.errors import InputError

#: the most of a document read looking for its root element (a prolog is a few lines)
HEAD_BYTES = 1024 * 1024


class _Root(Exception):
    """The root element began: no declaration can follow."""


def entity_declaration(data: bytes) -> tuple[str, int] | None:
    """``(what, line)`` of the first entity declaration in the document's DTD (an internal
    subset's ``<!ENTITY``, parameter and unparsed entities included), or None when there is
    none. Bytes that are not XML give None: the reader then says what is wrong."""
    parser = xml.parsers.expat.ParserCreate()
    found: list[tuple[str, int]] = []

    def declared(name: str, parameter: bool, *rest: Any) -> None:
        kind = "parameter entity" if parameter else "entity"
        found.append((f"{kind} {'%' if parameter else '&'}{name};",
                      parser.CurrentLineNumber))
        raise _Root

    def unparsed(name: str, *rest: Any) -> None:
        found.append((f"unparsed entity {name}", parser.CurrentLineNumber))
        raise _Root

    def root(*args: Any) -> None:
        raise _Root

    parser.EntityDeclHandler = declared
    parser.UnparsedEntityDeclHandler = unparsed
    parser.StartElementHandler = root
    try:
        parser.Parse(data, True)
    except _Root:
        pass
    except (xml.parsers.expat.ExpatError, ValueError):
        pass  # not well-formed (or cut at HEAD_BYTES before the root): not ours to say
    return found[0] if found else None


def refuse_xml_entities(path: Path, data: bytes | None = None) -> None:
    """Raise :class:`InputError` naming the file, the line and the declaration when the XML
    document at ``path`` (or ``data``, its bytes) declares an entity."""
    if data is None:
        try:
            with open(path, "rb") as handle:
                data = handle.read(HEAD_BYTES)
        except OSError:
            return  # the reader reports a file it cannot open
    if b"<!ENTITY" not in data[:HEAD_BYTES] and b"\x00" not in data[:4]:
        return  # the common case (UTF-8 or a single-byte encoding), without a parse
    found = entity_declaration(data[:HEAD_BYTES])
    if found is not None:
        what, line = found
        raise InputError(f"{path}: refused: line {line} declares an XML {what} (a timeline "
                         "needs none; entities can expand a document a thousandfold, read "
                         "files into it, or show the gate other names than the editor "
                         "sees): remove the <!DOCTYPE ...> [...] declarations")
