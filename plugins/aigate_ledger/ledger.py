"""The ledger file read (YAML or CSV, see :mod:`aigate_ledger`) and indexed: loaded only
where aigate.yaml names a ledger."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from aigate.api import Claim, InputError, Section, Trust, parse_contract

KEYS = ("asset_id", "media", "sha256")
CONTRACT = ("generated", "digital_source_type", "tool", "purpose", "role", "inputs", "talent",
            "depicts_real_events", "approvals", "notes", "v")


@dataclass(frozen=True, slots=True)
class Entry:
    asset_id: str | None
    media: str | None
    sha256: str | None
    claim: Claim


@dataclass(frozen=True, slots=True)
class Ledger:
    """The ledger's entries, indexed by the keys clips are matched by."""

    entries: tuple[Entry, ...]
    by_sha256: dict[str, Entry]
    by_asset_id: dict[str, Entry]
    globbed: tuple[Entry, ...]

    @classmethod
    def of(cls, entries: tuple[Entry, ...]) -> Ledger:
        by_sha256: dict[str, Entry] = {}
        by_asset_id: dict[str, Entry] = {}
        for entry in entries:  # the first entry of a key wins, as it is listed
            if entry.sha256:
                by_sha256.setdefault(entry.sha256, entry)
            if entry.asset_id:
                by_asset_id.setdefault(entry.asset_id, entry)
        return cls(entries, by_sha256, by_asset_id, tuple(e for e in entries if e.media))


@lru_cache(maxsize=4)
def load(path: Path, size: int, mtime_ns: int, inode: int = 0, ctime_ns: int = 0) -> Ledger:
    """The ledger's entries (re-read when the file changes: its stat is the key)."""
    if path.suffix.lower() == ".csv":
        return Ledger.of(tuple(_csv(path)))
    doc = Section.from_file(path)
    doc.only("aigate_ledger", "assets")
    entries = []
    for entry in doc.sections("assets"):
        entry.only(*KEYS, *CONTRACT)
        keys = {k: entry.text(k) for k in KEYS}
        if not any(keys.values()):
            entry.fail(f"{entry.where}: needs asset_id, media or sha256 to match clips by")
        contract = {k: entry.data[k] for k in CONTRACT if k in entry.data}
        entries.append(_entry(keys, contract, f"{path.name}:{entry.line()}"))
    return Ledger.of(tuple(entries))


def _csv(path: Path) -> Iterator[Entry]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the ledger: {exc}") from None
    import csv  # only a CSV ledger needs it

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
