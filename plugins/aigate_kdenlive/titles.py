"""The pictures Qt draws for a title: a ``kdenlivetitle`` producer draws its items from XML
(``xmldata``, else the title file its ``resource`` names), and an image or SVG item draws a
file (``<content url=...>``) or an image written into the title (``base64``); a filter's
rich text (the ``qtext`` filter's ``html``) draws the images its HTML names.

A named file is media of the clip. What cannot be read is said, so that at final it is a
lock: an image written into the title, an SVG that shows other images, an image named
relative to the folder melt runs in (melt resolves it there, not beside the project), a
title that cannot be read, an image in rich text given as data or fetched from the web.
"""

from __future__ import annotations

import re
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


#: where HTML and CSS name an image: ``<img src=...>``, ``background=...``, ``url(...)``
_HTML_PICTURE = re.compile(
    r"""(?:\bsrc|\bbackground)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"""
    r"""|url\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*))\s*\)""", re.IGNORECASE)


def rich_text_pictures(element: ET.Element, folder: Path) -> tuple[tuple[str, ...], str]:
    """The files the rich text of a filter, transition or link draws (any property holding
    HTML: Qt's text renderer shows the images it names), and why some cannot be read."""
    found: list[str] = []
    unknown: list[str] = []
    for child in element.findall("property"):
        text = child.text or ""
        if "<" not in text and "url(" not in text:
            continue
        for match in _HTML_PICTURE.finditer(text):
            url = next(g for g in match.groups() if g is not None).strip()
            if not url or url.startswith("#"):
                continue
            name = url.removeprefix("file://")
            if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", name) and not Path(name).is_absolute():
                unknown.append(f"{url[:60]} (given as data or fetched, not a file)")
            elif not Path(name).is_absolute():
                unknown.append(f"image {name} named relative to the folder melt runs in")
                found.append(str(folder / name))
            else:
                found.append(name)
    label = f"{element.tag} {element.get('id')!r}" if element.get("id") else element.tag
    why = f"rich text of {label}: {', '.join(dict.fromkeys(unknown))}" if unknown else ""
    return tuple(dict.fromkeys(found)), why
