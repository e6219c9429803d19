"""Provenance from the studio's asset ledger (``ledger:`` in aigate.yaml): a YAML or CSV
register of assets keyed by media sha256, asset id, or media path glob, carrying the
metadata contract v1 fields. The studio keeps it, so its claims are ``trusted``.

YAML::

    aigate_ledger: 1
    assets:
      - {asset_id: NF-0042, media: "**/TEMP_MUSIC_*.wav", generated: true,
         tool: {name: Stable Audio, vendor: Stability AI}, purpose: temp}

CSV: a header row with asset_id, media, sha256 and any of generated, digital_source_type,
tool, tool_vendor, tool_version, purpose, role, inputs (``;``-separated), notes.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from aigate import globs
from aigate.errors import InputError
from aigate.hookspecs import hookimpl
from aigate.model import CheckContext, Claim, Item, Trust
from aigate.provenance import parse_contract
from aigate.yamlfile import Section

KEYS = ("asset_id", "media", "sha256")
CONTRACT = ("generated", "digital_source_type", "tool", "purpose", "role", "inputs", "talent",
            "depicts_real_events", "approvals", "notes", "v")


@dataclass(frozen=True, slots=True)
class Entry:
    asset_id: str | None
    media: str | None
    sha256: str | None
    claim: Claim


@hookimpl
def aigate_claims(items: Sequence[Item], context: CheckContext) -> Iterator[tuple[int, Claim]]:
    path = context.config.ledger
    if path is None:
        return
    try:
        stat = path.stat()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the ledger: {exc.strerror or exc}") from None
    entries = load(path, stat.st_size, stat.st_mtime_ns)
    hashes = any(e.sha256 for e in entries)
    for index, item in enumerate(items):
        asset_id = next((raw.get("asset_id") for _, raw in item.declared
                         if isinstance(raw, dict) and raw.get("asset_id")), None)
        digest = context.sha256(context.media(item)) if hashes else None
        for entry in entries:
            if (digest and entry.sha256 == digest) or \
                    (asset_id and entry.asset_id == asset_id) or \
                    (entry.media and item.media_url and globs.match(item.media_url,
                                                                     entry.media)):
                yield index, entry.claim
                break


@lru_cache(maxsize=4)
def load(path: Path, size: int, mtime_ns: int) -> tuple[Entry, ...]:
    """The ledger's entries (re-read when the file changes: size and mtime are the key)."""
    if path.suffix.lower() == ".csv":
        return tuple(_csv(path))
    doc = Section.from_file(path)
    doc.only("aigate_ledger", "assets")
    entries = []
    for entry in doc.sections("assets"):
        entry.only(*KEYS, *CONTRACT)
        keys = {k: entry.str(k) for k in KEYS}
        if not any(keys.values()):
            entry.fail(f"{entry.where}: needs asset_id, media or sha256 to match clips by")
        contract = {k: entry.data[k] for k in CONTRACT if k in entry.data}
        entries.append(_entry(keys, contract, f"{path.name}:{entry.line()}"))
    return tuple(entries)


def _csv(path: Path) -> Iterator[Entry]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the ledger: {exc}") from None
    reader = csv.DictReader(text.splitlines())
    for row in reader:
        line = reader.line_num
        keys = {k: (row.get(k) or "").strip() or None for k in KEYS}
        if not any(keys.values()):
            raise InputError(f"{path}:{line}: needs asset_id, media or sha256")
        contract: dict[str, Any] = {}
        for key in ("digital_source_type", "purpose", "role", "notes"):
            if row.get(key):
                contract[key] = row[key].strip()
        if row.get("generated"):
            contract["generated"] = row["generated"].strip().lower() in ("true", "yes", "1")
        if row.get("inputs"):
            contract["inputs"] = [x.strip() for x in row["inputs"].split(";") if x.strip()]
        if row.get("tool"):
            contract["tool"] = {"name": row["tool"].strip(),
                                "vendor": (row.get("tool_vendor") or "").strip() or None,
                                "version": (row.get("tool_version") or "").strip() or None}
        yield _entry(keys, contract, f"{path.name}:{line}")


def _entry(keys: dict[str, str | None], contract: dict[str, Any], where: str) -> Entry:
    claim = parse_contract(contract, source="ledger", trust=Trust.TRUSTED)
    return Entry(keys["asset_id"], keys["media"],
                 keys["sha256"].lower() if keys["sha256"] else None,
                 replace(claim, detail=where))
