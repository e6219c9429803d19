"""Metadata contract v1 (parsing untrusted declarations into claims) and the monotone merge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from aigate.model import Claim, Provenance, TalentUse, Tool, Trust

CONTRACT_VERSION = 1
NAMESPACE = "aigate"

_IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
GENAI_SOURCE_TYPES = frozenset(
    _IPTC + term
    for term in ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia",
                 "compositeSynthetic")
) | {"http://c2pa.org/digitalsourcetype/trainedAlgorithmicData"}

#: keys the gate itself writes into a clip's aigate metadata when annotating (never a
#: declaration): a value holding only these declares nothing
GATE_KEYS = frozenset({"findings", "verdict"})

PURPOSES = ("ideation", "temp", "previz", "final")
ROLES = ("incidental", "background", "story", "key_character", "key_visual", "setting")
INPUTS = ("proprietary", "personal_data", "copyrighted_reference", "public_figure",
          "deceased_person", "third_party_training")
TALENT_USES = ("likeness", "voice", "digital_replica", "performance_alteration")
#: keys that describe a GenAI use: declaring them without 'generated' is ambiguous (an
#: asset_id or notes alone declare nothing)
DESCRIBES_USE = ("tool", "purpose", "role", "inputs", "talent", "depicts_real_events",
                 "approvals")


def normalise_source_type(value: str) -> str:
    """IPTC terms are http:// URIs; some tools write https:// or a bare term."""
    value = value.strip()
    if value.startswith("https://"):
        value = "http://" + value[len("https://"):]
    elif "/" not in value:
        value = _IPTC + value
    return value


def is_genai_source_type(value: str) -> bool:
    return normalise_source_type(value) in GENAI_SOURCE_TYPES


def parse_contract(raw: Any, source: str, trust: Trust = Trust.CLAIMED,
                   declaration: bool = False) -> Claim:
    """Read one ``aigate`` metadata value (contract v1) into a claim.

    Never raises: anything malformed is listed in ``Claim.problems`` and the usable rest
    is kept. Unknown keys are ignored. Monotone on purpose: a malformed ``generated`` value
    does not make the clip "not AI" if a GenAI source type is also declared.

    A cut declares the same few values on thousands of clips: a value of plain JSON types
    is parsed once (claims are immutable, so one serves every clip declaring it).
    """
    try:
        key = _frozen(raw)
    except RecursionError:  # nested deeper than worth a key: parsed as it is
        key = None
    if key is None:
        return _parse_contract(raw, source, trust, declaration)
    return _parse_frozen(key, source, trust, declaration)


def _frozen(value: Any) -> Any:
    """A hashable key that equals another value's only when the two are the same JSON
    value with the same Python types (1, 1.0 and True differ; -0.0 and 0.0 too), or None
    for anything else (another mapping type, a host's own containers)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is float:
        return (float, repr(value))
    if kind is int or kind is bool or value is None:
        return (kind, value)
    if kind is list:
        entries = tuple(_frozen(v) for v in value)
        return None if None in entries else (list, entries)
    if kind is dict:
        if not all(type(k) is str for k in value):
            return None
        pairs = tuple((k, _frozen(v)) for k, v in value.items())
        return None if any(v is None for _, v in pairs) else (dict, pairs)
    return None


def _thawed(key: Any) -> Any:
    """The value :func:`_frozen` made ``key`` from (an equal one, of the same types)."""
    if type(key) is str:
        return key
    kind, content = key
    if kind is float:
        return float(content)
    if kind is list:
        return [_thawed(v) for v in content]
    if kind is dict:
        return {k: _thawed(v) for k, v in content}
    return content


@lru_cache(maxsize=4096)
def _parse_frozen(key: Any, source: str, trust: Trust, declaration: bool) -> Claim:
    return _parse_contract(_thawed(key), source, trust, declaration)


def _parse_contract(raw: Any, source: str, trust: Trust, declaration: bool) -> Claim:
    if not isinstance(raw, Mapping):
        return Claim(source, trust, declaration=declaration,
                     problems=(f"'{NAMESPACE}' metadata is {_kind(raw)}, expected a mapping",))
    problems = _Problems()

    def text(key: str, choices: Sequence[str] = ()) -> str | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            problems.append(f"'{key}' is {_kind(value)}, expected a string")
            return None
        if choices and value not in choices:
            problems.append(f"'{key}' is {_short(value)}, expected one of {', '.join(choices)}")
            return None
        return value

    def flag(key: str) -> bool | None:
        value = raw.get(key)
        if value is None or isinstance(value, bool):
            return value
        problems.append(f"'{key}' is {_kind(value)}, expected true or false")
        return None

    version = raw.get("v", CONTRACT_VERSION)
    if version != CONTRACT_VERSION:
        problems.append(f"contract version {_short(version)} is not supported (expected 1)")

    generated = flag("generated")
    source_type = text("digital_source_type")
    if source_type is not None:
        source_type = normalise_source_type(source_type)
    ai = bool(generated) or (source_type is not None and source_type in GENAI_SOURCE_TYPES)
    if generated is None and source_type is None and "generated" not in raw and \
            any(k in raw for k in DESCRIBES_USE):
        problems.append("neither 'generated' nor 'digital_source_type' is declared")

    return Claim(
        source=source,
        trust=trust,
        generated=ai,
        digital_source_type=source_type,
        tool=_tool(raw.get("tool"), problems),
        purpose=text("purpose", PURPOSES),
        role=text("role", ROLES),
        inputs=_choices(raw.get("inputs"), "inputs", INPUTS, problems),
        talent=_talent(raw.get("talent"), problems),
        depicts_real_events=bool(flag("depicts_real_events")),
        approvals=_strings(raw.get("approvals"), "approvals", problems),
        notes=text("notes"),
        asset_id=text("asset_id"),
        problems=problems.bounded(),
        declaration=declaration,
    )


#: problems one claim (and one clip's merged provenance) lists; the rest are counted
MAX_PROBLEMS = 20


class _Problems(list[str]):
    """A claim's problems as they are found: past :data:`MAX_PROBLEMS` only counted, so a
    million malformed entries never become a million messages, even for a moment."""

    more = 0

    def append(self, text: str) -> None:
        if len(self) < MAX_PROBLEMS:
            super().append(text)
        else:
            self.more += 1

    def bounded(self) -> tuple[str, ...]:
        if not self.more:
            return tuple(self)
        return (*self, f"... and {self.more} more problem(s) not listed")


def bounded(problems: Sequence[str]) -> tuple[str, ...]:
    """The first :data:`MAX_PROBLEMS` problems, and one saying how many more there were:
    malformed metadata with a million bad entries is one finding of bounded size."""
    if len(problems) <= MAX_PROBLEMS:
        return tuple(problems)
    return (*problems[:MAX_PROBLEMS],
            f"... and {len(problems) - MAX_PROBLEMS} more problem(s) not listed")


#: how much each declared value concerns the policy, for the monotone merge (higher wins)
_CONCERN = {
    "purpose": {p: rank for rank, p in enumerate(PURPOSES)},  # final is the most concerning
    "role": {"incidental": 0, "background": 0, "story": 1, "key_character": 2,
             "key_visual": 2, "setting": 2},
}


def merge(claims: Iterable[Claim]) -> Provenance:
    """Merge claims monotonically: a source can add concerns, never erase one another
    source states. AI if any claim says so; inputs, talent, approvals and problems are the
    union of all claims; depicts_real_events if any says so; purpose and role are the most
    concerning any claim states (of equals, the most trusted); the tool shown is the most
    trusted claim's, and the gate's rules judge every tool any claim names."""
    given = tuple(claims)
    try:
        return _merge_cached(given)
    except TypeError:  # a plugin's claim holding something unhashable
        return _merge(given)


@lru_cache(maxsize=4096)
def _merge_cached(claims: tuple[Claim, ...]) -> Provenance:
    # the same claims on many clips merge once (and so share one Provenance)
    return _merge(claims)


def _merge(claims: tuple[Claim, ...]) -> Provenance:
    # most trusted first; of equals, the subject's own declaration (it is the most detailed)
    ranked = sorted(claims, key=lambda c: (-c.trust, not c.declaration))
    if not ranked:
        return _EMPTY

    def first(attr: str) -> Any:
        return next((getattr(c, attr) for c in ranked if getattr(c, attr)), None)

    def worst(attr: str) -> Any:
        concern = _CONCERN[attr]
        values = [getattr(c, attr) for c in ranked if getattr(c, attr)]
        # max() keeps the first of equals: the most trusted
        return max(values, key=lambda v: concern.get(v, len(concern)), default=None)

    claims = tuple(ranked)
    return Provenance(
        claims=claims,
        ai=any(c.generated for c in claims),
        tool=first("tool"),
        purpose=worst("purpose"),
        role=worst("role"),
        inputs=_union(c.inputs for c in claims),
        talent=_union(c.talent for c in claims),
        depicts_real_events=any(c.depicts_real_events for c in claims),
        approvals=_union(c.approvals for c in claims),
        asset_id=first("asset_id"),
        problems=bounded([f"{c.source}: {p}" for c in claims for p in c.problems]),
    )


_EMPTY = Provenance()


def _union(groups: Iterable[tuple[Any, ...]]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(v for group in groups for v in group))


def _kind(value: Any) -> str:
    """What a malformed value is, for a problem (a value's text cut short: a problem is
    never the size of the input)."""
    if isinstance(value, str):
        return f"a string ({_short(value)})"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, Sequence):
        return "a list"
    if isinstance(value, int | float | bool) or value is None:
        return f"{type(value).__name__} {_short(value)}"
    return type(value).__name__


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value) if not isinstance(value, int) or value.bit_length() < 200 else "(huge)"
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _list(value: Any, key: str, problems: list[str]) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        problems.append(f"'{key}' is {_kind(value)}, expected a list")
        return []
    return list(value)


def _strings(value: Any, key: str, problems: list[str]) -> tuple[str, ...]:
    out = []
    for entry in _list(value, key, problems):
        if isinstance(entry, str):
            out.append(entry)
        else:
            problems.append(f"'{key}' has {_kind(entry)}, expected strings")
    return tuple(out)


def _choices(value: Any, key: str, choices: Sequence[str], problems: list[str]) -> tuple[str, ...]:
    out = []
    for entry in _strings(value, key, problems):
        if entry in choices:
            out.append(entry)
        else:
            problems.append(f"'{key}' has unknown value {_short(entry)}")
    return tuple(out)


def _tool(value: Any, problems: list[str]) -> Tool | None:
    if value is None:
        return None
    if isinstance(value, str):  # a bare name is a common shorthand; accept it
        return Tool(name=value)
    if not isinstance(value, Mapping):
        problems.append(f"'tool' is {_kind(value)}, expected a mapping")
        return None
    fields = {}
    for key in ("name", "version", "vendor"):
        entry = value.get(key)
        if entry is None or isinstance(entry, str):
            fields[key] = entry
        elif isinstance(entry, int | float) and not isinstance(entry, bool) and key == "version":
            fields[key] = str(entry)
        else:
            problems.append(f"'tool.{key}' is {_kind(entry)}, expected a string")
    tool = Tool(**fields)
    return tool if tool.name else None


def _talent(value: Any, problems: list[str]) -> tuple[TalentUse, ...]:
    out = []
    for entry in _list(value, "talent", problems):
        if not isinstance(entry, Mapping):
            problems.append(f"'talent' has {_kind(entry)}, expected a mapping")
            continue
        name, use, consent = entry.get("name"), entry.get("use"), entry.get("consent")
        if not isinstance(name, str) or not name:
            problems.append("a 'talent' entry has no name")
            continue
        if use not in TALENT_USES:
            # unknown use still needs consent: treat it as the broadest one
            problems.append(f"talent {_short(name)} has use {_short(use)}, expected one of "
                            f"{', '.join(TALENT_USES)}")
            use = "digital_replica"
        if consent is not None and not isinstance(consent, str):
            problems.append(f"talent {_short(name)} consent is {_kind(consent)}, expected a "
                            "string")
            consent = None
        out.append(TalentUse(name=name, use=use, consent=consent))
    return tuple(out)


def claim_to_dict(claim: Claim) -> dict[str, Any]:
    """A claim as plain JSON values (for the provenance cache)."""
    data = {f: getattr(claim, f) for f in Claim.__dataclass_fields__}
    data["trust"] = claim.trust.name
    data["tool"] = None if claim.tool is None else {
        "name": claim.tool.name, "version": claim.tool.version, "vendor": claim.tool.vendor}
    data["talent"] = [{"name": t.name, "use": t.use, "consent": t.consent}
                      for t in claim.talent]
    return data


def claim_from_dict(data: dict[str, Any]) -> Claim:
    """A claim from :func:`claim_to_dict`'s form. Strict: a value of the wrong type (a
    damaged or hand-edited cache row) raises ValueError or TypeError, never makes a claim
    that says less than was stored."""
    if not isinstance(data, dict):
        raise TypeError("a stored claim is a mapping")
    values = dict(data)
    for key in ("generated", "depicts_real_events", "declaration"):
        if not isinstance(values.get(key, False), bool):
            raise TypeError(f"stored claim {key!r} is not true or false")
    for key in ("source", "digital_source_type", "purpose", "role", "notes", "asset_id",
                "detail", "validation"):
        if not isinstance(values.get(key), str | None):
            raise TypeError(f"stored claim {key!r} is not text")
    if not isinstance(values.get("source"), str):
        raise TypeError("stored claim has no source")
    values["trust"] = Trust[values["trust"]]
    tool = values.get("tool")
    if tool is not None and not (isinstance(tool, dict) and all(
            isinstance(v, str | None) for v in tool.values())):
        raise TypeError("stored claim 'tool' is not a mapping of text")
    values["tool"] = Tool(**tool) if tool else None
    talent = values.get("talent") or []
    if not isinstance(talent, list) or not all(
            isinstance(t, dict) and isinstance(t.get("name"), str)
            and isinstance(t.get("use"), str) and isinstance(t.get("consent"), str | None)
            for t in talent):
        raise TypeError("stored claim 'talent' is not a list of mappings of text")
    values["talent"] = tuple(TalentUse(**t) for t in talent)
    for key in ("inputs", "approvals", "problems"):
        entries = values.get(key) or []
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise TypeError(f"stored claim {key!r} is not a list of text")
        values[key] = tuple(entries)
    return Claim(**values)


def from_other_media(claim: Claim, url: str | None) -> Claim:
    """A media source's claim about one of a clip's other media (``Item.other_media``, e.g.
    the full resolution behind a proxy): it adds concerns as any claim does (generated,
    tools, problems) but gives the clip no identity and no approval, which belong to the
    media the clip plays."""
    where = f"other media {url}"
    return replace(claim, asset_id=None, approvals=(),
                   detail=f"{claim.detail}; {where}" if claim.detail else where)
