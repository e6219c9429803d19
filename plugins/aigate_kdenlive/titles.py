"""The pictures a Kdenlive title shows: a ``kdenlivetitle`` producer draws its items from
XML (``xmldata``, else the title file its ``resource`` names), and an image or SVG item
draws a file (``<content url=...>``) or an image written into the title (``base64``).

A named file is media of the clip. What cannot be read is said, so that at final it is a
lock: an image written into the title, an SVG that shows other images, an image named
relative to the folder melt runs in (melt resolves it there, not beside the project), a
title that cannot be read.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from .project import prop

SERVICE = "kdenlivetitle"
#: the title items that draw a file
PICTURES = ("QGraphicsPixmapItem", "QGraphicsSvgItem")
#: a title file read for its items at most this large (Kdenlive's are a few kB)
MAX_TITLE = 16 * 1024 * 1024


def pictures(producer: ET.Element, folder: Path) -> tuple[tuple[str, ...], str]:
    """The files a title producer draws, and why some picture in it cannot be read ("" when
    all can); ``folder`` holds a title file named by a relative ``resource``."""
    if (prop(producer, "mlt_service") or "") != SERVICE:
        return (), ""
    text = prop(producer, "xmldata")
    name = f"title {producer.get('id')!r}"
    if not (text or "").strip():
        resource = (prop(producer, "resource") or "").strip()
        if not resource:
            return (), ""
        file = folder / resource
        try:
            if file.stat().st_size > MAX_TITLE:
                return (), f"{name}: its title file {resource} is too large to read"
            text = file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return (), f"{name}: its title file {resource} cannot be read"
    try:
        root = SafeET.fromstring(text or "")
    except (ET.ParseError, DefusedXmlException):
        return (), f"{name}: its title XML cannot be read, so what it draws is unknown"
    found: list[str] = []
    unknown: list[str] = []
    for item in root.iter("item"):
        if item.get("type") not in PICTURES:
            continue
        for content in item.iter("content"):
            url = (content.get("url") or "").strip()
            path = str(folder / url) if url else ""
            if content.get("base64"):
                unknown.append("an image written into the title")
            elif url and not Path(url).is_absolute():
                unknown.append(f"image {url} named relative to the folder melt runs in")
                found.append(path)
            elif url:
                found.append(url)
            if item.get("type") == "QGraphicsSvgItem" and _shows_images(content, path):
                unknown.append(f"an SVG ({url or 'written into the title'}) showing images")
    why = f"{name}: {', '.join(dict.fromkeys(unknown))}" if unknown else ""
    return tuple(dict.fromkeys(found)), why


def _shows_images(content: ET.Element, path: str) -> bool:
    """Whether an SVG item may draw another picture (an ``<image>`` element, a base64 SVG
    not looked into)."""
    if content.get("base64"):
        return True
    text = content.text or ""
    if path:
        try:
            with open(path, "rb") as handle:
                text = handle.read(MAX_TITLE).decode("utf-8", errors="replace")
        except OSError:
            return False  # the file itself is media: a missing one is said there
    return "<image" in text or ":image" in text
