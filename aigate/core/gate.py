"""The engine: one subject in, one verdict per item out. The CLI, the OTIO hooks, host
add-ons and the Python API all come through :class:`Gate`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aigate.config import Config
from aigate.core import stage as stages
from aigate.core.approvals import ClipIdentity, Registry, identity, load_registry
from aigate.core.cache import ProvenanceCache
from aigate.core.context import CheckContext
from aigate.core.gcpause import paused_gc
from aigate.core.media import MediaResolver
from aigate.core.plugins import Plugins
from aigate.core.policy import Hit, Policy, Rule, RuleSetting, load_policy, with_floors
from aigate.core.provenance import merge
from aigate.errors import AigateError, InputError, UsageError
from aigate.model import (
    NO_PROVENANCE,
    Claim,
    Collected,
    Finding,
    Item,
    ItemResult,
    Provenance,
    Severity,
    SubjectResult,
)


class GateLocked(AigateError):
    """Raised at the final stage when a subject's verdict is lock: nothing may be exported.

    ``results`` holds every locked subject. The message's first line is what an editor
    needs at a glance (how many clips are locked, in which timeline, what to do); after it
    come each locked clip with its track, record timecode and rules, then each rule's
    remediation once. Control characters in names are shown as escapes: a host prints this
    message, and a clip name must not forge lines of it or drive the terminal.
    """

    def __init__(self, results: list[SubjectResult]) -> None:
        from aigate.errors import printable as p

        self.results = results
        lines: list[str] = []
        remedies: dict[str, str] = {}
        for result in results:
            for r in result.locked():
                locks = [f for f in r.findings if f.severity is Severity.LOCK]
                remedies.update((f.rule, f.remediation) for f in locks if f.remediation)
                lines.append(f'  {p(result.name)}: {p(r.item.track)} "{p(r.item.clip)}" '
                             f"{r.item.record_in}-{r.item.record_out} "
                             f"({p(', '.join(f.rule for f in locks))})")
        count = sum(len(r.locked()) for r in results)
        names = ", ".join(f'"{p(r.name)}"' for r in results)
        first = (f"aigate: export refused at stage final: {count} locked clip(s) in {names}; "
                 "fix or get them approved, then export again (details below)")
        todo = [f"  {p(rule)}: {p(remedy)}" for rule, remedy in remedies.items()]
        super().__init__("\n".join([first, "locked:", *lines, "what to do:", *todo,
                                    "each clip's reasons: aigate check FILE --stage final"]))


@dataclass
class Gate:
    """Everything a check needs besides the subject: plugins, config, policy, approvals."""

    plugins: Plugins
    config: Config
    policy: Policy
    rules: dict[str, Rule]
    registry: Registry
    as_of: dt.date
    cache: ProvenanceCache | None = None
    #: False: no media file is looked at (the import hook where no config asks for it)
    read_media: bool = True
    #: True: judge what the subject declares only, so a host may leave out the clips that
    #: declare nothing (the import hook where no config governs the file: with media unread
    #: and no path rule or ledger, such a clip passes); results then hold only the others
    declared_only: bool = False
    #: the day the gate judges as "today": the submitter's date (UTC) when a run is spread
    #: over workers (:mod:`aigate.run.pinning`), never a worker's clock or time zone
    today: dt.date = field(default_factory=dt.date.today)

    @classmethod
    def build(cls, plugins: Plugins, config: Config | None = None, *,
              policy: str | Path | None = None, approvals: Path | None = None,
              as_of: dt.date | None = None, require_media: bool = False,
              today: dt.date | None = None) -> Gate:
        """Load the policy and approvals a config (and explicit overrides) point at."""
        config = config or Config()
        if require_media and not config.media.require:
            config = replace(config, media=replace(config.media, require=True,
                                                   timeline_only=""))
        plugins.add_modules(config.plugins, f"config {config.path}")
        config = plugins.validate_settings(config)
        rules, packs = plugins.rules(), plugins.packs()  # a name from two plugins: an error
        base = Path.cwd() if policy else config.base_dir
        loaded = load_policy(policy or config.policy, rules, packs, base)
        registry = load_registry(approvals or config.approvals, config.trusted_keys,
                                 loaded.require_signed_approvals)
        return cls(plugins=plugins, config=config, policy=loaded, rules=rules,
                   registry=registry, as_of=as_of or today or dt.date.today(),
                   today=today or dt.date.today(),
                   cache=ProvenanceCache(config.cache) if config.cache else None)

    @property
    def exposures(self) -> list[str]:
        """Why what the gate trusts (key files, the approvals registry) can be rewritten by
        anyone: each a warning, and a refusal at stage final."""
        return [*self.config.exposures, *self.registry.exposures]

    @property
    def settings(self) -> Mapping[str, Mapping[str, Any]]:
        """Each plugin's validated ``plugin_settings:`` section by plugin name: what a host
        holding the gate (a hook script, an add-on) reads its own settings from."""
        return self.config.settings_by_plugin()

    def collect(self, subject: Any, path: Path | None = None) -> list[Collected]:
        collected = self.plugins.hook.aigate_collect(subject=subject, path=path,
                                                     settings=self.settings,
                                                     declared_only=self.declared_only)
        if collected is None:
            raise UsageError(f"no host plugin recognises {type(subject).__name__} subjects "
                             "(see 'aigate plugins')")
        return collected

    def checked(self, subject: Any, *, stage: str | None = None, path: Path | None = None,
                stage_path: Path | str | None = None,
                purpose: stages.Purpose = stages.Purpose.CHECK,
                stage_source: str = "--stage",
                export: bool = False) -> list[tuple[Collected, SubjectResult]]:
        """Each timeline in ``subject`` with its result. ``stage_path`` (default ``path``) is
        matched against the config's stage path rules: the file checked, or for an export
        its output path. ``purpose`` says which: see :mod:`aigate.core.stage` for the order;
        ``stage_source`` names where ``stage`` was given, for a refusal's message."""
        request = stages.Request.read(stage, stage_source)
        if purpose is stages.Purpose.EXPORT:
            # refused before anything is collected: a refusal does not depend on the subject
            stages.resolve(purpose, request, None, self.path_stage(stage_path or path))
        with paused_gc():  # a check makes a few objects per clip and no cycle
            return [(c, self.check_collected(c, request, path, stage_path or path, purpose,
                                             export))
                    for c in self.collect(subject, path)]

    def path_stage(self, path: Path | str | None) -> stages.PathStage | None:
        """What the config's stage path rules give ``path``, with the rule, for messages."""
        rule = self.config.stage_rule_for_path(path)
        if rule is None or path is None:
            return None
        return stages.PathStage(rule.stage, rule.pattern, str(path),
                                str(self.config.path) if self.config.path
                                else "the built-in rules")

    def check(self, subject: Any, *, stage: str | None = None, path: Path | None = None,
              stage_path: Path | str | None = None) -> list[SubjectResult]:
        """Check every timeline in ``subject`` (purpose check: ``stage`` is the caller's
        question and may be lower than the path rule; nothing is written)."""
        return [r for _, r in self.checked(subject, stage=stage, path=path,
                                           stage_path=stage_path)]

    def annotate(self, subject: Any, target: str | None, *, stage: str | None = None,
                 path: Path | None = None, output: Path | None = None) -> list[SubjectResult]:
        """Check, then let the host show the verdicts on the subject itself (it changes).

        An annotated copy written where a stage path rule applies (``output`` under
        ``deliverables/``) is an export: checked at that stage at least, and refused with
        :class:`GateLocked` at final with a lock, before anything is written."""
        export = output is not None and self.path_stage(output) is not None
        results = []
        for collected, result in self.checked(
                subject, stage=stage, path=path, stage_path=output if export else None,
                purpose=stages.Purpose.EXPORT if export else stages.Purpose.CHECK):
            if not self.plugins.hook.aigate_present(collected=collected, result=result,
                                                    target=target, settings=self.settings):
                raise UsageError(f"no host plugin can annotate {collected.host} subjects "
                                 "(none implements aigate_present for them)")
            results.append(result)
        if export:
            self._refuse_export(results)
        return results

    def guard_export(self, subject: Any, *, stage: str | None = None,
                     output: Path | str | None = None, annotate: bool = False,
                     stage_source: str = "the stage argument",
                     origin: Path | str | None = None) -> list[SubjectResult]:
        """The export gate: check at the export's stage, show the verdicts on the subject
        first if ``annotate``, let hosts act, and raise :class:`GateLocked` when a timeline
        is locked at the final stage, so nothing is written.

        The stage is never below what the config's path rules give ``output``: a ``stage``
        (or AIGATE_STAGE) asking for less raises :class:`aigate.core.stage.StageRefused`, naming
        ``stage_source``; timeline metadata may raise it, never lower it.

        ``origin`` is the file the subject was read from (the timeline, the .kdenlive or
        .blend project): relative media resolve against its folder and it is in the media
        roots, exactly as ``aigate check ORIGIN`` does, so where the export is written never
        changes what the gate reads. Without it relative media resolve against nothing
        (they are not found: a lock at final), never against the output's folder.

        .. versionadded:: hook API 1.6 ``origin``
        """
        target = Path(output).suffix.lstrip(".").lower() if output else None
        path = Path(origin) if origin else None
        results = []
        for collected, result in self.checked(subject, stage=stage, path=path,
                                              stage_path=output,
                                              purpose=stages.Purpose.EXPORT,
                                              stage_source=stage_source, export=True):
            if annotate:
                self.plugins.hook.aigate_present(collected=collected, result=result,
                                                 target=target, settings=self.settings)
            self.plugins.hook.aigate_enforce(collected=collected, result=result,
                                             settings=self.settings)
            results.append(result)
        self._refuse_export(results)
        return results

    def _refuse_export(self, results: list[SubjectResult]) -> None:
        """What no export at final may do: go out locked, or be judged as of another day
        (``--as-of`` answers what the gate said on a date; a deliverable is judged today,
        with today's approvals and rules)."""
        final = [r for r in results if r.stage == "final"]
        if final and self.as_of != self.today:
            raise UsageError(f"an export at stage final is judged as of today, not "
                             f"{self.as_of}: --as-of is for 'aigate check' (what the gate "
                             "said on a date); it writes no deliverable")
        locked = [r for r in final if r.verdict is Severity.LOCK]
        if locked:
            raise GateLocked(locked)

    def check_collected(self, collected: Collected, request: stages.Request,
                        path: Path | None, stage_path: Path | str | None,
                        purpose: stages.Purpose = stages.Purpose.CHECK,
                        export: bool = False) -> SubjectResult:
        where = f"{path or collected.name}: timeline metadata aigate.stage"
        declared = self.plugins.hook.aigate_resolve_stage(collected=collected, path=path,
                                                          config=self.config)
        resolved = stages.resolve(purpose, request, declared, self.path_stage(stage_path),
                                  where)
        stage = resolved.stage
        exposed = self.exposures
        if stage == "final" and exposed:
            raise InputError(f"{exposed[0].partition(': ')[0]}: refused at stage final: "
                             f"{exposed[0].partition(': ')[2]}")
        # the floors again: a Policy made in code (not loaded) is held to them too
        policy = with_floors(self.policy.for_show(self.config.show), self.rules)
        active = [(rule, policy.rules[rule.id]) for rule in self.rules.values()
                  if rule.id in policy.rules and policy.rules[rule.id].enabled
                  and policy.rules[rule.id].in_force(self.as_of)]
        # media resolve where the subject came from; an export's output folder is never a
        # stand-in for it (the same cut written elsewhere reads the same media)
        folder: Path | None = path.parent if path else None
        if folder is None and not export:
            folder = Path(stage_path).parent if stage_path else Path.cwd()
        context = CheckContext(subject=collected.name, path=path, config=self.config,
                               stage=stage, cache=self.cache,
                               resolver=self.media_resolver(
                                   folder, reads=self.read_media,
                                   bundled=self.plugins.bundled_media(path)))
        items = collected.items
        claims: dict[int, list[Claim]] = {}
        for source in self.plugins.hook.aigate_claims(items=items, context=context):
            for index, claim in source or ():
                claims.setdefault(index, []).append(claim)
        if self.cache is not None:
            self.cache.flush()
        # most clips of a cut carry no claim: they pass without touching the rules
        results = [ItemResult(item, NO_PROVENANCE, ()) for item in items]
        for result, media in zip(results, context.resolver.known_for(items), strict=True):
            if result.item.sequence is not None:  # its frames, not the pattern's name
                media = context.media(result.item)
            if media is not None and media.detail:
                result.media_note = media.detail
            elif result.item.media_unknown and self.read_media:  # media it cannot name
                result.media_note = result.item.media_unknown
        # clips with the same provenance get the same rule hits: worked out once (the
        # approvals and waivers that depend on the clip's identity stay per clip)
        shared: dict[Provenance, list[tuple[Rule, RuleSetting, Severity, list[Hit]]]] = {}
        for index in sorted(claims):
            item = items[index]
            provenance = merge(claims[index])
            findings = self.evaluate(item, provenance, stage, policy, active, context, shared)
            results[index] = ItemResult(item, provenance, findings,
                                        media_note=results[index].media_note)
        if self.cache is not None:  # the hashes approval scopes asked for
            self.cache.flush()
        return SubjectResult(name=collected.name, path=path, stage=stage, policy=policy.name,
                             host=collected.host, items=tuple(results),
                             config=str(self.config.path) if self.config.path else None,
                             as_of=None if self.as_of == self.today else self.as_of,
                             episode=_episode(collected.metadata.get("episode")),
                             timeline_only=self.config.media.timeline_only)

    def media_resolver(self, folder: Path | None, **options: Any) -> MediaResolver:
        """Media resolved as this gate resolves them for a subject from ``folder`` (its
        file's folder; None: relative media are found nowhere): the one place check, export,
        attest, drafts and credentials agree on where a clip's media is."""
        roots = self.config.media.roots or tuple(
            p for p in (folder, self.config.base_dir) if p is not None)
        return MediaResolver(folder, roots, self.config.media.remap, **options)

    def evaluate(self, item: Item, provenance: Provenance, stage: str, policy: Policy,
                 active: Iterable[tuple[Rule, RuleSetting]],
                 context: CheckContext,
                 shared: dict[Provenance, list[tuple[Rule, RuleSetting, Severity, list[Hit]]]]
                 | None = None) -> tuple[Finding, ...]:
        """The item's findings. ``shared`` (one per subject: same stage, policy and rules)
        keeps the hits of the rules that never look at the item, by provenance, so clips
        declaring the same thing are judged once; each finding is still located on its
        clip and waived by that clip's own identity."""
        findings = []
        where: str | None = None
        evidence: tuple[str, ...] = ()
        clip: ClipIdentity | None = None
        for rule, setting, severity, hits in self._rule_hits(item, provenance, stage, policy,
                                                             active, shared):
            for hit in hits:
                if where is None or clip is None:  # once per flagged item, not per finding
                    where, evidence = location(item), provenance.evidence
                    clip = identity(item.clip, context.media(item), provenance.claims,
                                    context.sha256)
                reason = hit.reason
                if setting.from_floor:  # the severity is aigate's, not the pack's: say so
                    reason += (f" (severity: aigate's fail-closed floor; policy {policy.name} "
                               f"does not set {rule.id})")
                finding = Finding(rule=rule.id, severity=severity, where=where,
                                  reason=reason, remediation=rule.remediation,
                                  evidence=evidence)
                if setting.waivable and severity > Severity.INFO:
                    finding = self._waive(rule, finding, hit, clip, provenance)
                findings.append(finding)
        return tuple(findings)

    @staticmethod
    def _rule_hits(item: Item, provenance: Provenance, stage: str, policy: Policy,
                   active: Iterable[tuple[Rule, RuleSetting]],
                   shared: dict[Provenance, list[tuple[Rule, RuleSetting, Severity, list[Hit]]]]
                   | None) -> list[tuple[Rule, RuleSetting, Severity, list[Hit]]]:
        """Each firing rule with its setting, severity at ``stage`` and hits, in rule order."""
        try:
            known = shared.get(provenance) if shared is not None else None
        except TypeError:  # a plugin's claim holding something unhashable: not shared
            shared = known = None
        views = _tool_views(provenance)
        if known is None:
            known = []
            for rule, setting in active:
                severity = setting.severity[stage]
                if severity is Severity.PASS:
                    continue
                # a rule that reads the item is judged per item, below
                hits = [] if rule.reads_item else _hits(rule, item, views, policy)
                known.append((rule, setting, severity, hits))
            if shared is not None:
                shared[provenance] = known
        return [(rule, setting, severity,
                 _hits(rule, item, views, policy) if rule.reads_item else hits)
                for rule, setting, severity, hits in known
                if hits or rule.reads_item]

    def _waive(self, rule: Rule, finding: Finding, hit: Hit, clip: ClipIdentity,
               provenance: Provenance) -> Finding:
        """The finding, waived if a registry record covers it, else saying why none does."""
        severity = finding.severity
        show, episode = self.config.show, self.config.episode
        if hit.talent is not None:
            consent = self.registry.consent_for(hit.talent, show, self.as_of)
            undescribed = (consent is not None and rule.waived_by == "described-consent"
                           and not consent.description.strip())
            if consent is not None and not undescribed:  # the reason is now the consent's
                use = hit.talent.use.replace("_", " ")
                return replace(finding, severity=Severity.INFO, waived_from=severity,
                               approval=consent.id, approver=f"{consent.talent} (consent)",
                               reason=f"{hit.talent.name} ({use}): waived by consent "
                                      f"{consent.id} on file for this production")
            why = (f"consent {consent.id!r} has no 'description' of the use" if consent
                   else self.registry.why_not_consent(hit.talent, show, self.as_of))
        else:
            match = self.registry.approval_for(rule.id, rule.category, clip, show, episode,
                                               self.as_of)
            if match is not None:
                approval, by = match
                return replace(finding, severity=Severity.INFO, waived_from=severity,
                               approval=approval.id, approver=approval.approver,
                               reason=f"{finding.reason} [matched by {by}]")
            why = self.registry.why_not(rule.id, rule.category, clip, show, episode,
                                        self.as_of, provenance.approvals)
        return replace(finding, reason=f"{finding.reason} ({why})") if why else finding


def _tool_views(provenance: Provenance) -> tuple[Provenance, ...]:
    """The provenance once per tool its claims name, most trusted first: every rule judges
    every named tool, so a source naming a vetted tool cannot hide the unvetted one another
    source (the timeline itself) declares."""
    tools = dict.fromkeys(c.tool for c in provenance.claims if c.tool is not None)
    if len(tools) < 2:
        return (provenance,)
    return tuple(replace(provenance, tool=tool) for tool in tools)


#: findings one rule makes on one clip, listed one by one; the rest are one finding saying
#: how many (metadata with a million malformed entries is still a bounded report)
MAX_HITS = 32


def _hits(rule: Rule, item: Item, views: tuple[Provenance, ...], policy: Policy) -> list[Hit]:
    """A rule's hits on the first view it flags (one verdict per rule, not one per tool),
    at most :data:`MAX_HITS` of them and one more that counts the rest: none is dropped
    from the verdict, and the findings a clip holds stay bounded whatever its metadata."""
    for view in views:
        hits: list[Hit] = []
        more = 0
        for hit in rule.check(item, view, policy):
            if len(hits) < MAX_HITS:
                hits.append(hit)
            else:
                more += 1
        if more:
            hits.append(Hit(f"{more} more reason(s) of the same kind, not listed"))
        if hits:
            return hits
    return []


def _episode(value: object) -> str | None:
    """A timeline metadata episode, as text (a number or a short name), else None."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text[:64] if text else None


def location(item: Item) -> str:
    return f'{item.track} "{item.clip}" {item.record_in}-{item.record_out}'


def load_subject(plugins: Plugins, path: Path, rate: tuple[str, str] | None = None) -> Any:
    """Read a file into a subject through whichever host plugin claims its suffix; ``rate``
    (value, where given) for a file that does not state its own (an EDL)."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    subject = plugins.hook.aigate_load_subject(path=path, rate=rate)
    if subject is None:
        raise InputError(f"{path}: no host plugin reads {path.suffix or 'extensionless'} "
                         "files (see 'aigate plugins')")
    return subject
