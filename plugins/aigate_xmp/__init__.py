"""Provenance from XMP: a sidecar beside the media (same base name, .xmp) and the XMP packet
embedded in the file. Reads Iptc4xmpExt:DigitalSourceType as an attribute, as element text
or as rdf:resource. Parsed as hostile input (defusedxml: no entity expansion). Packets are
found by content in the file's first and last 4 MiB (in UTF-8, UTF-16 or UTF-32), and
wherever the container keeps XMP (:func:`~aigate.api.xmp_places`: a JPEG APP1 segment, a PNG
text chunk, a TIFF tag, an ISO BMFF box or HEIF item, a RIFF chunk, a GIF extension, a
Photoshop resource, an ID3 frame), at any offset and decoded as stored (deflated, hex, in
pieces): a reader finds XMP there however large the file. Unsigned, so the trust is
``claimed``.

XMP that is present but cannot be read (a sidecar that cannot be opened, is not well-formed
or is not XMP at all; an embedded packet cut off before its end; a place the container keeps
XMP in that is too large, damaged or stored in a form not read; a container walk that
stopped before the end of the file) is a problem on the claim (the ``provenance-malformed``
finding), never "no XMP"."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from aigate.api import (
    CheckContext,
    Claim,
    Item,
    Media,
    Tool,
    Trust,
    claim_from_dict,
    claim_to_dict,
    from_other_media,
    hookimpl,
    is_genai_source_type,
    normalise_source_type,
)

IPTC_EXT = "{http://iptc.org/std/Iptc4xmpExt/2008-02-29/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
XMP = "{http://ns.adobe.com/xap/1.0/}"
#: bytes searched at each end of the file (XMP is found there by content, in any container)
HEAD = TAIL = 4 * 1024 * 1024
#: the largest XMP read where the container keeps it (away from the ends); a larger one is
#: a problem, never "no XMP"
MAX_PLACED = 16 * 1024 * 1024
#: the most XMP read from a file's places in all: a file made of XMP places is not read
#: whole (what is past the limit is a problem)
MAX_PLACED_TOTAL = 4 * MAX_PLACED
MAX_SIDECAR = 4 * 1024 * 1024
#: the cache's name for embedded XMP claims: a new reader does not take an older one's
#: answers (before 2 only the file's ends were searched; before 3 compressed, extended,
#: UTF-16 XMP and the places of GIF, PSD, ID3, HEIF, RF64 and TIFF's other images were not)
EMBEDDED = "xmp-embedded/3"
#: an XMP packet: x:xmpmeta (x:xapmeta in old files) or a bare rdf:RDF, which the XMP
#: specification also allows; found by content, wherever it sits in the file. Openings and
#: closings are found separately and paired (:func:`packets`): one regex spanning both
#: rescans the rest of the file for every opening that never closes (quadratic)
OPENING = re.compile(rb"<(x:xmpmeta|x:xapmeta|rdf:RDF)\b")
CLOSING = re.compile(rb"</(x:xmpmeta|x:xapmeta|rdf:RDF)\s*>")
#: packets parsed per file; a file holding more is a problem, never a partial read
MAX_PACKETS = 64
ROOTS = ("{adobe:ns:meta/}xmpmeta", "{adobe:ns:meta/}xapmeta", f"{RDF}RDF")


@hookimpl
def aigate_sidecar_names(media: Path) -> tuple[str, str]:
    """``shot.xmp`` and ``shot.mov.xmp`` beside ``shot.mov``: the sidecars read below (and
    the ones ``aigate attest`` hashes)."""
    return (f"{media.stem}.xmp", f"{media.name}.xmp")


@hookimpl
def aigate_claims(items: Sequence[Item], context: CheckContext) -> Iterator[tuple[int, Claim]]:
    embedded = []
    for index, media, other in _media(items, context):
        if media.path is None:
            continue
        names = aigate_sidecar_names(media.path)
        for sidecar in context.resolver.beside(media, names):
            if sidecar.readable:
                claim = _read(context, [sidecar], "xmp-sidecar", _read_sidecar)[0]
                if claim is not None:  # e.g. a sidecar cached as saying nothing
                    yield index, from_other_media(claim, media.url) if other else claim
        if media.readable:
            embedded.append((index, media, other))
    claims = _read(context, [m for _, m, _ in embedded], EMBEDDED, _read_embedded)
    for (index, media, other), claim in zip(embedded, claims, strict=True):
        if claim is not None:
            yield index, from_other_media(claim, media.url) if other else claim


def _media(items: Sequence[Item], context: CheckContext
           ) -> Iterator[tuple[int, Media, bool]]:
    """Each item's media, then its other media (every media of a clip counts), with
    whether it is other media."""
    main = context.resolver.for_items(items)  # resolved once per subject, shared
    for index, item in enumerate(items):
        if item.media_url:
            yield index, main[index], False
        if item.other_media or item.sequence:
            for media in context.other_media(item):
                yield index, media, True


def _read(context: CheckContext, media: list[Media], key: str,
          read: Callable[[Path], Claim | None]) -> list[Claim | None]:
    """Claims for ``media``, from the cache where it knows the file (one query for all)."""
    cache = context.cache
    known = cache.get_many(key, media) if cache else {}
    out: list[Claim | None] = []
    for m in media:
        if m.path is None:  # not a file here: nothing to read
            out.append(None)
        elif m.path in known:
            value = known[m.path]
            out.append(value and claim_from_dict(value))
        else:
            claim = read(m.path)
            known[m.path] = claim and claim_to_dict(claim)
            if cache:
                cache.put(key, m, known[m.path])
            out.append(claim)
    return out


def _read_sidecar(path: Path) -> Claim:
    where = f"XMP sidecar {path.name}"
    if path.stat().st_size > MAX_SIDECAR:
        return Claim("xmp sidecar", Trust.CLAIMED,
                     problems=(f"{where} is over {MAX_SIDECAR} bytes: not read",))
    try:
        packet = path.read_bytes()
    except OSError as exc:  # present but unreadable is not "no XMP"
        return Claim("xmp sidecar", Trust.CLAIMED,
                     problems=(f"{where} cannot be read ({exc.strerror or exc})",))
    claim = parse_packet(packet, "xmp sidecar", where)
    return claim or Claim("xmp sidecar", Trust.CLAIMED, detail="no digital source type")


def _read_embedded(path: Path) -> Claim | None:
    try:
        with path.open("rb") as handle:
            regions, problems = _regions(handle)
    except OSError:
        return None
    found: list[bytes] = []
    wholes: list[bytes] = []
    opening: int | None = None
    seen: set[bytes] = set()
    for offset, data, placed in regions:
        spans, first = packets(data)
        # a packet found again in a place (one inside the ends is read again; the pages of
        # a TIFF may each hold the same) counts once; the ends' decoys each count
        for start, end in spans:
            if not placed or data[start:end] not in seen:
                found.append(data[start:end])
                seen.add(data[start:end])
        whole = data.strip(b" \t\r\n\x00").removeprefix(b"\xef\xbb\xbf")
        if (placed and first is None and not spans and whole[:1] == b"<"
                and whole[1:2] != b"\x00"):
            # the container says this is XMP: read it whole, whatever its root's prefix
            wholes.append(whole)
        elif first is not None and opening is None:
            opening = offset + first
    if len(found) > MAX_PACKETS:  # a decoy flood: the real packet may be any of them
        return Claim("xmp embedded", Trust.CLAIMED, problems=(
            f"embedded XMP: {len(found)} packets, over the limit of {MAX_PACKETS}: not read",))
    # every packet counts: a decoy packet ahead of the real one must not hide it
    claims = [claim for packet in found
              if (claim := parse_packet(packet, "xmp embedded", "embedded XMP"))]
    # read whole, a place's bytes count when they are XMP that reads: a JPEG 2000 XML box
    # may hold other XML, and what was not found by name was never a problem
    claims += [claim for packet in wholes[:MAX_PACKETS]
               if (claim := parse_packet(packet, "xmp embedded", "embedded XMP"))
               and not claim.problems]
    if problems:
        claims.append(Claim("xmp embedded", Trust.CLAIMED, problems=tuple(problems)))
    if claims:
        return max(claims, key=lambda c: (bool(c.generated), bool(c.problems)))
    if found:
        return None
    if opening is not None:  # a packet that starts and never ends: cut off or damaged
        return Claim("xmp embedded", Trust.CLAIMED,
                     problems=(f"embedded XMP: the packet at byte {opening} has no "
                               "end (cut off or damaged)",))
    return None


def _regions(handle: BinaryIO) -> tuple[list[tuple[int, bytes, bool]], list[str]]:
    """What is searched for XMP packets, as (offset, bytes, whether the container keeps
    XMP there): the file's first and last bytes, and every place the container keeps XMP
    (:func:`~aigate.api.xmp_places`), wherever it is, decoded; each also as UTF-8 when it
    holds a UTF-16 or UTF-32 packet. And the problems: a place too large, damaged or in a
    form not read, a walk that stopped before the file's end."""
    # here, not at load: a check that reads no media never loads the container walkers
    from aigate.api import Unreadable, read_at, read_xmp, xmp_places

    size = handle.seek(0, 2)
    head = read_at(handle, 0, size, HEAD)
    tail_start = max(size - TAIL, len(head))
    regions = [(0, head + read_at(handle, tail_start, size, TAIL), False)]
    problems = []
    total = 0
    for place in xmp_places(handle):
        # a place inside the ends is read again all the same: its packet may be one the
        # search by content does not find (a root under another prefix)
        if place.stopped and max(place.start, len(head)) >= min(place.end, tail_start):
            continue  # what the walk did not reach lies in the ends, searched above
        if total > MAX_PLACED_TOTAL:
            problems.append(f"embedded XMP: the XMP places from byte {place.start} on are "
                            f"past {MAX_PLACED_TOTAL} bytes of XMP read: not read")
            break
        try:
            regions.append((place.start, read_xmp(handle, place, MAX_PLACED), True))
            total += len(regions[-1][1])
        except Unreadable as exc:
            problems.append(f"embedded XMP: {exc}" if place.stopped
                            else f"embedded XMP: the XMP at byte {place.start} {exc}")
    return [*regions, *((offset, text, placed) for offset, data, placed in regions
                        for text in _transcoded(data))], problems


#: a packet's opening in UTF-16 (either byte order: the big-endian form holds this one bytes
#: on) and UTF-32; regular expressions rather than ``bytes.find``, which crawls over the long
#: runs of zero bytes media are padded with
WIDE16 = re.compile(rb"<\x00(?:x\x00:\x00x\x00[ma]\x00p\x00m\x00e\x00t\x00a"
                    rb"|r\x00d\x00f\x00:\x00R\x00D\x00F)")
WIDE32 = re.compile(rb"<\x00\x00\x00(?:x\x00\x00\x00:\x00\x00\x00x|r\x00\x00\x00d\x00\x00\x00f)")


def _transcoded(data: bytes) -> Iterator[bytes]:
    """``data`` from its first UTF-16 or UTF-32 packet opening on, as UTF-8 in each byte
    order (a packet in those encodings is not found by its UTF-8 bytes; the wrong order
    decodes to text holding no packet). From the first opening on covers every later one."""
    for pattern, width in ((WIDE16, 2), (WIDE32, 4)):
        match = pattern.search(data)
        if match is None:
            continue
        little = match.start()
        yield data[little:].decode(f"utf-{8 * width}-le", "replace").encode()
        big = little - width + 1
        if big >= 0:
            yield data[big:].decode(f"utf-{8 * width}-be", "replace").encode()


def packets(data: bytes) -> tuple[list[tuple[int, int]], int | None]:
    """The XMP packets in ``data`` as (start, end) offsets, in order and not overlapping
    (each opening paired with the first closing of its kind that starts after it), and,
    when none closes, the offset of the first opening. Linear in ``len(data)``."""
    closings: dict[bytes, tuple[list[int], list[int]]] = {}
    for match in CLOSING.finditer(data):
        starts, ends = closings.setdefault(match.group(1), ([], []))
        starts.append(match.start())
        ends.append(match.end())
    found: list[tuple[int, int]] = []
    first: int | None = None
    resume = 0
    for match in OPENING.finditer(data):
        if match.start() < resume:  # inside the packet just found
            continue
        starts, ends = closings.get(match.group(1), ([], []))
        at = bisect.bisect_left(starts, match.end())
        if at == len(starts):
            first = match.start() if first is None else first
            continue
        found.append((match.start(), ends[at]))
        resume = ends[at]
    return found, (None if found else first)


def parse_packet(packet: bytes, source: str, where: str) -> Claim | None:
    """The digital source type (and creator tool) an XMP packet declares, or None."""
    from defusedxml import DefusedXmlException  # only when a packet was found
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root = fromstring(packet, forbid_dtd=True)
    except DefusedXmlException:
        return Claim(source, Trust.CLAIMED,
                     problems=(f"{where}: DTD or entity declarations refused (possible entity "
                               "bomb)",))
    except (ParseError, ValueError) as exc:
        return Claim(source, Trust.CLAIMED, problems=(f"{where}: not well-formed XML ({exc})",))
    if root.tag not in ROOTS:
        return Claim(source, Trust.CLAIMED, problems=(
            f"{where}: not an XMP packet (root element {str(root.tag)[:80]!r})",))
    source_type = tool = None
    for element in root.iter():
        value = element.attrib.get(f"{IPTC_EXT}DigitalSourceType")
        if value is None and element.tag == f"{IPTC_EXT}DigitalSourceType":
            value = element.attrib.get(f"{RDF}resource") or (element.text or "").strip()
        # of several declared types a generative one wins: a packet naming a capture first
        # and a trained model after still declares GenAI
        if value and (source_type is None or (is_genai_source_type(normalise_source_type(
                value)) and not is_genai_source_type(source_type))):
            source_type = normalise_source_type(value)
        creator = element.attrib.get(f"{XMP}CreatorTool")
        if creator is None and element.tag == f"{XMP}CreatorTool":
            creator = (element.text or "").strip()
        if creator and tool is None:
            tool = Tool(name=creator)
    if source_type is None:
        return None
    return Claim(source, Trust.CLAIMED, generated=is_genai_source_type(source_type),
                 digital_source_type=source_type, tool=tool, detail=where)
