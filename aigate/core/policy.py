"""Rules and policy packs.

A :class:`Rule` is a check contributed by a plugin (stable id, the guideline it comes from,
how to resolve it). A :class:`Policy` is a YAML pack saying which rules are on, how severe
each is at each stage, whether an approval can waive it, and which tools are vetted. Packs
may ``extends:`` another pack (a built-in name or a file) and override per show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NoReturn

from aigate.config.yamlfile import Section, suggest
from aigate.errors import InputError, UsageError
from aigate.model import STAGES, Item, Provenance, Severity, TalentUse, Tool

POLICY_FORMAT = 1


@dataclass(frozen=True, slots=True)
class Hit:
    """One reason a rule fires. ``talent`` is set when a consent record can resolve it."""

    reason: str
    talent: TalentUse | None = None


RuleCheck = Callable[[Item, Provenance, "Policy"], Iterable[Hit]]


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One check derived from a guideline point.

    ``check`` is called only for items that carry provenance (claims); it yields a
    :class:`Hit` per reason the rule fires. Fields are keyword-only, so a field added later
    (with a default) breaks no plugin's rules.

    ``reads_item`` says whether ``check`` looks at its first argument, the item (its
    declared metadata, its name, its place). A rule that judges the provenance and the
    policy alone declares ``reads_item=False``: the gate then judges it once per distinct
    provenance and shares the hits among the clips that have it (a 10,000-clip conform
    with a few hundred distinct claims). Left at True it is judged clip by clip, which is
    always right; declaring False for a check that does read the item would give one
    clip's hits to another.
    """

    id: str
    title: str
    category: str
    guideline: str
    trigger: str
    remediation: str
    check: RuleCheck
    #: what lifts it when the policy lets it be waived: a written "approval", or a talent
    #: "consent" (the rule's hits then name the talent use)
    waived_by: str = "approval"
    #: False: ``check`` ignores the item, so its hits are shared by equal provenance
    reads_item: bool = True
    #: fail-closed: for a rule that says "the gate could not look" (media it could not read,
    #: credentials or metadata it could not verify), its severity per stage that no pack
    #: may go below. A pack that leaves the rule out gets it at these severities; a pack
    #: that sets it lower, switches it off, dates it or makes it waivable is refused.
    floor: Mapping[str, Severity] | None = field(default=None, hash=False)
    #: what to do instead of lowering the floor, said when a pack is refused
    floor_instead: str = ""


@dataclass(frozen=True, slots=True)
class RuleSetting:
    severity: Mapping[str, Severity]
    waivable: bool = True
    enabled: bool = True
    #: the dates between which the rule applies (inclusive; None: open-ended), for
    #: obligations that come into force or end on a date (checked against --as-of)
    effective: dt.date | None = None
    until: dt.date | None = None
    #: True: the pack does not set this rule; this is the rule's fail-closed floor
    from_floor: bool = False

    def in_force(self, as_of: dt.date) -> bool:
        """Whether the rule applies on ``as_of``."""
        return ((self.effective is None or self.effective <= as_of)
                and (self.until is None or as_of <= self.until))


@dataclass(frozen=True, slots=True)
class VettedTool:
    """A tool the studio cleared: who makes it, and how it treats production data."""

    name: str
    vendor: str | None = None
    enterprise: bool = False
    trains_on_inputs: bool = False
    retains_data: bool = False

    def matches(self, tool: Tool) -> bool:
        if (tool.name or "").casefold() != self.name.casefold():
            return False
        return not (self.vendor and tool.vendor
                    and tool.vendor.casefold() != self.vendor.casefold())


@dataclass(frozen=True)
class ShowOverride:
    rules: Mapping[str, RuleSetting] = field(default_factory=dict)
    vetted_tools: tuple[VettedTool, ...] = ()


@dataclass(frozen=True)
class Policy:
    """A resolved pack: ``extends`` chains are already merged in."""

    name: str
    origin: str
    rules: Mapping[str, RuleSetting]
    vetted_tools: tuple[VettedTool, ...] = ()
    shows: Mapping[str, ShowOverride] = field(default_factory=dict)
    description: str = ""
    #: honour only approval records signed by a trusted key (see docs/approvals.md)
    require_signed_approvals: bool = False
    #: every pack file of the ``extends`` chain, the base first (what an attestation hashes)
    files: tuple[str, ...] = ()

    def vetted(self, tool: Tool | None) -> VettedTool | None:
        if tool is None:
            return None
        return next((v for v in self.vetted_tools if v.matches(tool)), None)

    def for_show(self, show: str | None) -> Policy:
        """This policy with the show's overrides applied (itself when there are none)."""
        override = self.shows.get(show) if show else None
        if override is None:
            return self
        return replace(self, rules={**self.rules, **override.rules},
                       vetted_tools=self.vetted_tools + override.vetted_tools)


def floored(rule: Rule, setting: RuleSetting | None) -> RuleSetting | None:
    """The setting the gate applies for ``rule``: ``setting``, never below the rule's floor
    (the floor itself, marked ``from_floor``, when the pack does not set the rule).

    A loaded pack never goes below a floor (:func:`load_policy` refuses it); this also holds
    a :class:`Policy` built in code to the floor."""
    floor = rule.floor
    if floor is None:
        return setting
    if setting is None:
        return RuleSetting(severity=dict(floor), waivable=False, from_floor=True)
    if (setting.enabled and not setting.waivable and setting.effective is None
            and setting.until is None
            and all(setting.severity.get(s, Severity.PASS) >= floor[s] for s in floor)):
        return setting
    return replace(setting, enabled=True, waivable=False, effective=None, until=None,
                   severity={s: max(setting.severity.get(s, Severity.PASS), floor.get(s,
                                    Severity.PASS)) for s in (*STAGES, *floor)})


def with_floors(policy: Policy, rules: Mapping[str, Rule]) -> Policy:
    """``policy`` with every fail-closed floor of ``rules`` applied (see :func:`floored`)."""
    settings = {rule.id: floored(rule, policy.rules.get(rule.id)) for rule in rules.values()
                if rule.floor is not None}
    if all(policy.rules.get(rule_id) is s for rule_id, s in settings.items()):
        return policy
    return replace(policy, rules={**policy.rules,
                                  **{k: s for k, s in settings.items() if s is not None}})


def load_policy(ref: str | Path, rules: Mapping[str, Rule], packs: Mapping[str, Path],
                base_dir: Path | None = None) -> Policy:
    """Load a pack by built-in name or file path, following ``extends``.

    ``rules`` are the rule ids plugins contributed (for validation); ``packs`` the built-in
    pack files by name. Every problem is an InputError naming file, line and key; so is a
    rule set below its fail-closed floor (:attr:`Rule.floor`). A rule with a floor that the
    pack does not set gets its floor (``RuleSetting.from_floor``).
    """
    return with_floors(_load(str(ref), rules, packs, base_dir, ()), rules)


def _locate(ref: str, packs: Mapping[str, Path], base_dir: Path | None) -> Path:
    if ref in packs:
        return packs[ref]
    path = Path(ref).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        return path
    known = ", ".join(sorted(packs)) or "none"
    raise UsageError(f"policy {ref!r} is neither a built-in pack ({known}) nor a file")


def _load(ref: str, rules: Mapping[str, Rule], packs: Mapping[str, Path],
          base_dir: Path | None, chain: tuple[Path, ...]) -> Policy:
    path = _locate(ref, packs, base_dir)
    # compared as the file system sees them: ./pack.yaml, ../dir/pack.yaml and a link
    # to it are one pack, and a cycle through any spelling is found
    real = path.resolve()
    if real in chain:
        raise InputError(f"{path}: 'extends' makes a cycle: "
                         + " -> ".join(str(p) for p in (*chain, real)))
    if not path.is_file():
        raise InputError(f"{path}: policy file not found")
    doc = Section.from_file(path)
    doc.only("aigate_policy", "name", "description", "extends", "vetted_tools", "rules", "shows",
             "require_signed_approvals")
    version = doc.get("aigate_policy", int, POLICY_FORMAT)
    if version != POLICY_FORMAT:
        doc.fail(f"aigate_policy: format {version} is not supported (expected 1)",
                 "aigate_policy")

    parent_ref = doc.text("extends")
    if parent_ref:
        parent = _load(parent_ref, rules, packs, path.parent, (*chain, real))
    else:
        parent = Policy(name="", origin="", rules={})

    own_rules = _rule_settings(doc.section("rules"), rules, parent.rules)
    shows = dict(parent.shows)
    show_section = doc.section("shows")
    for show, entry in show_section.children() if show_section else ():
        entry.only("rules", "vetted_tools")
        merged = {**parent.rules, **own_rules}
        shows[show] = ShowOverride(rules=_rule_settings(entry.section("rules"), rules, merged),
                                   vetted_tools=_vetted_tools(entry))
    return Policy(
        name=doc.text("name") or path.stem,
        origin=str(path),
        rules={**parent.rules, **own_rules},
        vetted_tools=parent.vetted_tools + _vetted_tools(doc),
        shows=shows,
        description=doc.text("description") or parent.description,
        require_signed_approvals=doc.flag("require_signed_approvals",
                                          parent.require_signed_approvals),
        files=(*parent.files, str(path)),
    )


def _rule_settings(section: Section | None, rules: Mapping[str, Rule],
                   inherited: Mapping[str, RuleSetting]) -> dict[str, RuleSetting]:
    out: dict[str, RuleSetting] = {}
    if section is None:
        return out
    for rule_id, entry in section.children():
        if rule_id not in rules:
            section.fail(f"unknown rule id {rule_id!r}{suggest(rule_id, rules)}; "
                         "see 'aigate rules'", rule_id)
        entry.only("enabled", "severity", "waivable", "effective", "until")
        rule = rules[rule_id]
        # a floor rule no parent sets starts from its floor: only what is written is judged
        base = inherited.get(rule_id) or floored(rule, None)
        severity = dict(base.severity) if base else {}
        if "severity" in entry:
            severity.update(_severity(entry))
        missing = [s for s in STAGES if s not in severity]
        # a rule switched off needs no severity (a rule no parent pack configures, e.g. a
        # dated pack's, can be turned off without inventing one)
        if missing and entry.flag("enabled", base.enabled if base else True):
            entry.fail(f"{entry.where}.severity: no severity for stage(s) {', '.join(missing)}",
                       "severity")
        out[rule_id] = RuleSetting(
            severity=severity,
            waivable=entry.flag("waivable", base.waivable if base else True),
            enabled=entry.flag("enabled", base.enabled if base else True),
            effective=_day(entry, "effective", base.effective if base else None),
            until=_day(entry, "until", base.until if base else None),
        )
        start, end = out[rule_id].effective, out[rule_id].until
        if start and end and end < start:
            entry.fail(f"{entry.where}: 'until' {end} is before 'effective' {start}", "until")
        if rule.floor is not None:
            _hold_floor(rule, rule.floor, out[rule_id], entry)
    return out


def _hold_floor(rule: Rule, floor: Mapping[str, Severity], setting: RuleSetting,
                entry: Section) -> None:
    """Refuse a pack entry that weakens a fail-closed floor, naming the file, the line and
    the key, and what to do instead: a pack may raise a floor, never lower it."""
    def refuse(key: str, what: str, section: Section = entry) -> NoReturn:
        instead = rule.floor_instead or (f"fix what it finds instead (aigate explain "
                                         f"{rule.id})")
        section.fail(f"{section.name(key)}: {what}: {rule.id} is a fail-closed floor (what "
                     f"the gate could not look at is never clean), which a pack may raise, "
                     f"never lower; {instead}", key)

    if not setting.enabled:
        refuse("enabled", "false switches it off")
    for key, day in (("effective", setting.effective), ("until", setting.until)):
        if day is not None:
            refuse(key, "a date would leave it out of force on other days")
    if setting.waivable:
        refuse("waivable", "true would let an approval waive it")
    low = [s for s in STAGES if setting.severity[s] < floor.get(s, Severity.PASS)]
    if low:
        stage = low[-1]  # the latest stage below: final first, where it matters most
        per_stage = entry.section("severity") if isinstance(entry.data.get("severity"),
                                                             dict) else None
        what = (f"{setting.severity[stage].label} is below the floor "
                f"{floor[stage].label}")
        if per_stage is not None and stage in per_stage:
            refuse(stage, what, per_stage)
        refuse("severity", f"{what} at {stage}")


def _day(entry: Section, key: str, inherited: dt.date | None) -> dt.date | None:
    """A rule's date (YAML date or YYYY-MM-DD text), else the inherited one."""
    value = entry.get(key, (dt.date, str))
    if value is None:
        return inherited
    if isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        entry.fail(f"{entry.name(key)}: {value!r} is not a date (YYYY-MM-DD)", key)


def _severity(entry: Section) -> dict[str, Severity]:
    value = entry.get("severity", (str, dict))
    if isinstance(value, str):  # one word for every stage
        return {stage: _parse_severity(entry, value, "severity") for stage in STAGES}
    per_stage = entry.section("severity")
    assert per_stage is not None
    per_stage.only(*STAGES)
    return {stage: _parse_severity(per_stage, per_stage.text(stage), stage)
            for stage in STAGES if stage in per_stage}


def _parse_severity(section: Section, text: str, key: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError as exc:
        section.fail(f"{section.name(key)}: {exc}", key)


def _vetted_tools(section: Section) -> tuple[VettedTool, ...]:
    tools = []
    for entry in section.sections("vetted_tools"):
        entry.only("name", "vendor", "enterprise", "trains_on_inputs", "retains_data", "notes")
        name = entry.text("name")
        if not name:
            entry.fail(f"{entry.where}: a vetted tool needs a 'name'")
        tools.append(VettedTool(
            name=name,
            vendor=entry.text("vendor"),
            enterprise=entry.flag("enterprise", False),
            trains_on_inputs=entry.flag("trains_on_inputs", False),
            retains_data=entry.flag("retains_data", False),
        ))
    return tuple(tools)
