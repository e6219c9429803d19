"""The built-in rules and the ``netflix-genai`` policy pack.

Modelled on Netflix's partner guidance "Using Generative AI in Content Production" (2025),
paraphrased. docs/guidance-mapping.md maps every guideline point to a rule id. The rules
say *what* is wrong; the pack (netflix-genai.yaml) says how severe it is at each stage.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from aigate.api import (
    CheckContext,
    Claim,
    Hit,
    Item,
    Policy,
    Provenance,
    Rule,
    RuleCheck,
    Severity,
    hookimpl,
)

from . import disclosure

PACK = Path(__file__).with_name("netflix-genai.yaml")
#: dated packs over netflix-genai for obligations in force on a date (the project's
#: reading of each source, not legal advice): see docs/guidance-mapping.md
DATED_PACKS = ("eu-ai-act-art50", "sag-aftra-2026")
NOT_LEGAL_ADVICE = "(aigate's reading of the source, not legal advice)"

INFO, WARN, LOCK = Severity.INFO, Severity.WARN, Severity.LOCK
#: fail-closed floors (``Rule.floor``) of the rules that say the gate could not read or
#: verify something: the built-in pack's severities, which no pack may go below and which
#: a pack that leaves the rule out gets (see docs/policy.md)
INTEGRITY_FLOOR = {"import": WARN, "edit": WARN, "review": LOCK, "final": LOCK}
MEDIA_FLOOR = {"import": INFO, "edit": INFO, "review": WARN, "final": LOCK}
NO_MEDIA_ACCESS = ("a show with no media access says so in aigate.yaml instead (media: "
                   "{required: false, reason: ...}), and every report then says its "
                   "provenance came from the timeline alone")


def _malformed(item: Item, prov: Provenance, policy: Policy) -> Iterator[Hit]:
    if prov.problems:
        yield Hit("provenance metadata is malformed: " + "; ".join(prov.problems))


def _final_use(item: Item, prov: Provenance, policy: Policy) -> Iterator[Hit]:
    if prov.ai:
        purpose = f", purpose {prov.purpose}" if prov.purpose else ""
        yield Hit(f"generated material ({prov.tool or 'tool not declared'}{purpose}) is in the "
                  "cut; it is temporary unless a written approval covers final use")


def _tool_unvetted(item: Item, prov: Provenance, policy: Policy) -> Iterator[Hit]:
    if not prov.ai:
        return
    if prov.tool is None:
        yield Hit("the generating tool is not declared, so it cannot be vetted")
    elif policy.vetted(prov.tool) is None:
        yield Hit(f"tool {prov.tool} is not on the policy's vetted tools list")


def _tool_data_use(item: Item, prov: Provenance, policy: Policy) -> Iterator[Hit]:
    vetted = policy.vetted(prov.tool) if prov.ai else None
    if vetted and (vetted.trains_on_inputs or vetted.retains_data):
        what = " and ".join(w for w, on in (("trains on", vetted.trains_on_inputs),
                                             ("retains", vetted.retains_data)) if on)
        yield Hit(f"tool {prov.tool} {what} production inputs or outputs")


def _tool_not_enterprise(item: Item, prov: Provenance, policy: Policy) -> Iterator[Hit]:
    vetted = policy.vetted(prov.tool) if prov.ai else None
    if vetted and not vetted.enterprise:
        yield Hit(f"tool {prov.tool} does not run in an enterprise-secured environment")


def _key_creative(item: Item, prov: Provenance, policy: Policy) -> Iterator[Hit]:
    if prov.ai and prov.role in ("key_character", "key_visual", "setting"):
        yield Hit(f"generated {prov.role.replace('_', ' ')}: main characters, key visuals and "
                  "central settings need written approval")


def _input(kinds: tuple[str, ...], text: str) -> RuleCheck:
    def check(item: Item, prov: Provenance, policy: Policy) -> Iterator[Hit]:
        found = [k for k in kinds if k in prov.inputs] if prov.ai else []
        if found:
            yield Hit(f"inputs {', '.join(found)}: {text}")
    return check


def _talent(item: Item, prov: Provenance, policy: Policy) -> Iterator[Hit]:
    if prov.ai:
        for talent in prov.talent:
            yield Hit(f"{talent.name} ({talent.use.replace('_', ' ')}) has no documented "
                      "consent for this production", talent=talent)


def _real_events(item: Item, prov: Provenance, policy: Policy) -> Iterator[Hit]:
    if prov.ai and prov.depicts_real_events:
        yield Hit("generated material could be taken for real events, people or statements")


def _disclosure(item: Item, prov: Provenance, policy: Policy) -> Iterator[Hit]:
    if prov.ai:
        missing = [k for k, v in (("tool", prov.tool), ("purpose", prov.purpose)) if not v]
        if missing:
            yield Hit(f"disclosure incomplete: {' and '.join(missing)} not declared")


def _undeclared(item: Item, prov: Provenance, policy: Policy) -> Iterator[Hit]:
    if prov.ai and not any(c.declaration and c.generated for c in prov.claims):
        sources = ", ".join(c.evidence for c in prov.claims if c.generated)
        yield Hit(f"generated according to {sources}, but the timeline does not declare it")


def _manifest_invalid(item: Item, prov: Provenance, policy: Policy) -> Iterator[Hit]:
    for claim in prov.claims:
        if claim.validation == "Invalid" and "signingCredential.expired:" in (claim.detail
                                                                             or ""):
            yield Hit(f"the media's Content Credentials do not validate ({claim.detail})")
        elif claim.validation == "Invalid":
            yield Hit(f"the media's Content Credentials do not validate ({claim.detail}): "
                      "it changed after signing, or the manifest is damaged")


def _manifest_unverifiable(item: Item, prov: Provenance, policy: Policy) -> Iterator[Hit]:
    for claim in prov.claims:
        if claim.validation == "Unverifiable":
            yield Hit(f"the media carries Content Credentials that cannot be verified "
                      f"({claim.detail}): what they say about the clip is unknown")


def _media_missing(item: Item, prov: Provenance, policy: Policy) -> Iterator[Hit]:
    for claim in prov.claims:
        if claim.source == "media":
            yield Hit(f"media cannot be checked: {claim.detail}")


def _media_required(item: Item, prov: Provenance, policy: Policy) -> Iterator[Hit]:
    for claim in prov.claims:
        if claim.source == "media (required)":
            yield Hit(f"media cannot be checked (media are required): {claim.detail}")


def _declared(item: Item, key: str) -> object:
    """A value the clip's own aigate metadata declares (clip first, then its media
    reference), for contract keys only the dated packs read."""
    for _, raw in item.declared:
        if isinstance(raw, dict) and raw.get(key) not in (None, ""):
            return raw[key]
    return None


#: talent uses that put a real person's likeness, voice or performance on screen (Art. 3(60)
#: deep fakes resemble existing persons; SAG-AFTRA digital replicas)
_REPLICA_USES = ("likeness", "voice", "digital_replica")
_PERSON_USES = (*_REPLICA_USES, "performance_alteration")
#: what ``depicts_real`` may list (Art. 3(60): existing persons, objects, places, entities
#: or events)
_REAL_THINGS = ("persons", "objects", "places", "entities", "events")


def _deepfake_label(item: Item, prov: Provenance, policy: Policy) -> Iterator[Hit]:
    if not prov.ai:
        return
    listed = _declared(item, "depicts_real")
    listed = [listed] if isinstance(listed, str) else listed if isinstance(listed, list) \
        else []
    declared = [str(x) for x in listed if str(x) in _REAL_THINGS]
    real = [what for what, on in (
        ("real events", prov.depicts_real_events or "events" in declared),
        ("a real person's likeness, voice or performance",
         any(t.use in _PERSON_USES for t in prov.talent) or "persons" in declared),
        ("a public figure or deceased person",
         any(i in ("public_figure", "deceased_person") for i in prov.inputs)),
        *((f"real {thing}", True) for thing in ("objects", "places", "entities")
          if thing in declared)) if on]
    disclosed = any(c.source == disclosure.SOURCE for c in prov.claims)
    if real and not disclosed:
        label = _declared(item, "disclosure_label")
        yield Hit(f"realistic generated depiction of {' and '.join(real)} (a deep fake) with "
                  "no disclosure shown at or before it: a title card named in "
                  "plugin_settings.aigate_guidance.disclosure_cards"
                  + (f" (the clip's disclosure_label {str(label)[:60]!r} is untrusted "
                     "metadata, not a disclosure anyone sees)" if label is not None else ""))


def _replica_description(item: Item, prov: Provenance, policy: Policy) -> Iterator[Hit]:
    if prov.ai:
        for talent in prov.talent:
            if talent.use in _REPLICA_USES:
                yield Hit(f"{talent.name} ({talent.use.replace('_', ' ')}): a digital replica "
                          "needs consent describing this use reasonably specifically",
                          talent=talent)


def _synthetic_performer(item: Item, prov: Provenance, policy: Policy) -> Iterator[Hit]:
    if prov.ai and _declared(item, "synthetic_performer") is True:
        yield Hit("a synthetic performer is in the cut: the union is to be given notice "
                  "(record it as a written approval granting synthetic-performer)")


DATED_RULES: tuple[Rule, ...] = (
    Rule(id="deepfake-disclosure", title="Deep fake without a disclosure label",
         category="disclosure",
         guideline="EU AI Act (Regulation (EU) 2024/1689), Article 50(4), applying from "
         "2026-08-02 (Art. 113): deployers disclose that a deep fake is generated or "
         "manipulated. A deep fake (Art. 3(60)) resembles existing persons, objects, places, "
         "entities or events and would falsely appear authentic: an AI alteration of a real "
         "performance is one. The disclosure is clear and distinguishable at the latest at "
         "the first exposure (Art. 50(5)), so not in the end credits alone; in an evidently "
         "artistic or fictional work, made in a way that does not hamper its display or "
         "enjoyment. See the Commission's guidelines on Article 50 and its Code of Practice "
         "on marking and labelling of AI-generated content (June 2026). " + NOT_LEGAL_ADVICE,
         trigger="an AI clip depicting real events, a real person's likeness, voice or "
         "performance, a public figure, or real objects, places or entities (depicts_real), "
         "with no title card named in plugin_settings.aigate_guidance.disclosure_cards "
         "shown at or before it",
         remediation="Disclose it where the audience meets it first (an opening title card "
         "or on-screen label, not the end credits alone), and name that card in aigate.yaml "
         "(plugin_settings: {aigate_guidance: {disclosure_cards: [CARD_NAME]}}); a "
         "disclosure_label in the clip's metadata alone does not count.",
         check=_deepfake_label),
    Rule(id="replica-consent-description",
         title="Digital replica consent without a described use", category="talent",
         guideline="SAG-AFTRA TV/Theatrical agreement of 2023 (ratified 2023-12-05), "
         "continued by the 2026 agreement (term to 2030-06-30): consent to a digital replica "
         "must be clear and conspicuous and include a reasonably specific description of the "
         "intended use. " + NOT_LEGAL_ADVICE,
         trigger="an AI clip using a performer's likeness, voice or digital replica with no "
         "consent record for it whose 'description' says how it is used",
         remediation="Record the performer's consent with a 'description' of this use in the "
         "approvals registry.", check=_replica_description, waived_by="described-consent",
         reads_item=False),
    Rule(id="synthetic-performer", title="Synthetic performer: notice to the union",
         category="talent",
         guideline="SAG-AFTRA TV/Theatrical agreement 2026 (term 2026-07-01 to 2030-06-30): a "
         "synthetic performer needs a showing of significant added value and notice to the "
         "union. " + NOT_LEGAL_ADVICE,
         trigger="an AI clip declaring synthetic_performer: true in its aigate metadata",
         remediation="Give the union notice and record it as a written approval granting "
         "synthetic-performer for the clip.", check=_synthetic_performer),
)


RULES: tuple[Rule, ...] = (
    Rule(id="provenance-malformed",
         title="Provenance metadata is malformed",
         category="integrity",
         guideline="Every GenAI use must be disclosed accurately; metadata that cannot be read "
                   "hides what the clip is.",
         trigger="the clip's aigate metadata is not a mapping, has wrong types or unknown values",
         remediation="Fix the clip's aigate metadata (see docs/metadata-contract.md).",
         reads_item=False,
         check=_malformed,
         floor=INTEGRITY_FLOOR),
    Rule(id="final-deliverable-use",
         title="Generated material in a final deliverable",
         category="final-use",
         guideline="Principle 4: generated material is temporary and not part of the final "
                   "deliverables unless the studio approves its final use in writing.",
         trigger="any AI-generated clip",
         remediation="Replace it with non-generated material before picture lock, or get a "
                     "written approval granting final-deliverable-use for this clip.",
         reads_item=False,
         check=_final_use),
    Rule(id="tool-unvetted",
         title="Generating tool missing or not vetted",
         category="tools",
         guideline="Principles 2 and 3: tools must not store, reuse or train on production data "
                   "and should run in an enterprise-secured environment; only vetted tools are "
                   "known to.",
         trigger="no tool declared, or a tool not on the policy's vetted_tools list",
         remediation="Declare the tool; if it is new, have it vetted and added to the studio "
                     "pack's vetted_tools.",
         reads_item=False,
         check=_tool_unvetted),
    Rule(id="tool-data-use",
         title="Tool trains on or retains production data",
         category="tools",
         guideline="Principle 2: tools must not store, reuse or train on the production's inputs "
                   "or outputs.",
         trigger="the vetted tools entry says trains_on_inputs or retains_data",
         remediation="Use a tool configured not to train on or keep production data.",
         reads_item=False,
         check=_tool_data_use),
    Rule(id="tool-not-enterprise",
         title="Tool outside an enterprise-secured environment",
         category="tools",
         guideline="Principle 3: where possible, tools run in an enterprise-secured environment "
                   "that protects inputs.",
         trigger="the vetted tools entry has enterprise: false",
         remediation="Prefer the enterprise deployment of the tool.",
         reads_item=False,
         check=_tool_not_enterprise),
    Rule(id="key-creative-element",
         title="Generated key character, key visual or setting",
         category="creative",
         guideline="Written approval: generating main characters, key visual elements or "
                   "fictional settings central to the story.",
         trigger="role key_character, key_visual or setting",
         remediation="Get a written approval granting key-creative-element (or 'creative') for "
                     "the clip.",
         reads_item=False,
         check=_key_creative),
    Rule(id="proprietary-data-input",
         title="Studio-proprietary material put into a tool",
         category="data",
         guideline="Written approval: putting the studio's own material (unreleased assets, "
                   "scripts, stills) into a GenAI tool.",
         trigger="inputs include proprietary",
         remediation="Get a written approval granting proprietary-data-input (or 'data').",
         reads_item=False,
         check=_input(("proprietary",), "studio material went into a GenAI tool")),
    Rule(id="personal-data-input",
         title="Personal data put into a tool",
         category="data",
         guideline="Written approval: putting personal data of cast or crew into a GenAI tool.",
         trigger="inputs include personal_data",
         remediation="Get a written approval granting personal-data-input (or 'data').",
         reads_item=False,
         check=_input(("personal_data",), "personal data went into a GenAI tool")),
    Rule(id="third-party-training",
         title="Training on material the production does not own",
         category="data",
         guideline="Written approval: training or fine-tuning on artists', performers' or rights "
                   "holders' work without clearance.",
         trigger="inputs include third_party_training",
         remediation="Get rights clearance and a written approval granting third-party-training.",
         reads_item=False,
         check=_input(("third_party_training",), "a model was trained on others' work")),
    Rule(id="copyrighted-reference",
         title="Copyrighted material referenced",
         category="rights",
         guideline="Principle 1 and written approval: output must not copy or recreate material "
                   "the production does not own; prompts or references pointing at copyrighted "
                   "works need approval.",
         trigger="inputs include copyrighted_reference",
         remediation="Remove the reference, or clear it and get a written approval granting "
                     "copyrighted-reference (or 'rights').",
         reads_item=False,
         check=_input(("copyrighted_reference",),
                      "prompts or references point at copyrighted work")),
    Rule(id="public-figure-reference",
         title="Public figure or deceased person referenced",
         category="rights",
         guideline="Written approval: prompts or references pointing at the likeness of public "
                   "figures or deceased people.",
         trigger="inputs include public_figure or deceased_person",
         remediation="Get a written approval granting public-figure-reference (or 'rights').",
         reads_item=False,
         check=_input(("public_figure", "deceased_person"),
                "the likeness of a public figure or deceased person is referenced")),
    Rule(id="talent-consent",
         title="Talent likeness, voice or performance without consent",
         category="talent",
         guideline="Principle 5 and written approval: digital performers, voices, likenesses and "
                   "changes to a performance's tone, delivery or intent need explicit, documented "
                   "consent (and guild compliance).",
         trigger="a talent entry with no consent record covering that talent, use and production",
         remediation="Record the talent's consent for this use and production in the approvals "
                     "registry.",
         reads_item=False,
         check=_talent,
         waived_by="consent"),
    Rule(id="real-events",
         title="Could be mistaken for real events, people or statements",
         category="ethics",
         guideline="Written approval: nothing that could be taken for real events, people or "
                   "statements that never happened, even in the background.",
         trigger="depicts_real_events: true",
         remediation="Rework the material so it cannot be taken as real, or get a written "
                     "approval granting real-events.",
         reads_item=False,
         check=_real_events),
    Rule(id="undeclared-ai",
         title="AI material the timeline does not declare",
         category="disclosure",
         guideline="Disclosure: every GenAI use is reported to the studio; material the media or "
                   "the studio ledger shows as generated must be declared.",
         trigger="a C2PA manifest, XMP, the ledger or a path pattern says generated and the "
                 "clip's own metadata does not",
         remediation="Declare the clip as generated (aigate metadata: generated, tool, purpose) "
                     "and disclose the use to the studio.",
         reads_item=False,
         check=_undeclared),
    Rule(id="manifest-invalid",
         title="Content Credentials do not validate",
         category="integrity",
         guideline="Content integrity: a C2PA manifest that no longer matches its media cannot be "
                   "relied on, and may hide what the clip is.",
         trigger="a C2PA manifest whose validation state is Invalid (e.g. a hash mismatch)",
         remediation="Go back to the original media from the vendor, or have it re-signed by the "
                     "tool that made it.",
         reads_item=False,
         check=_manifest_invalid,
         floor=INTEGRITY_FLOOR),
    Rule(id="manifest-unverifiable",
         title="Content Credentials cannot be verified",
         category="integrity",
         guideline="Content integrity: Content Credentials that are present but cannot be read or "
                   "validated in full may hide what the clip is; they are not the same as no "
                   "credentials. The gate reads media offline, so a manifest kept only at a "
                   "remote URL is never fetched and cannot be verified either.",
         trigger="a C2PA manifest store the SDK cannot read or validate offline (damaged, "
                 "truncated or padded file, missing signature, unsupported algorithm or "
                 "structure), a container that holds one (JUMBF, APP11, caBX, C2PA box) the SDK "
                 "finds nothing in, a remote-only manifest, or media whose bytes match no "
                 "container the gate identifies (what it holds cannot be read; containers are "
                 "identified by content, never by the file's name). A rule of its own rather than "
                 "manifest-invalid: Invalid means the manifest was checked and the media no "
                 "longer matches it; unverifiable means it could not be checked at all, and the "
                 "remedy differs",
         remediation="Get the media from the vendor with its Content Credentials embedded (not "
                     "remote-only) and intact, or re-signed by the tool that made it.",
         reads_item=False,
         check=_manifest_unverifiable,
         floor=INTEGRITY_FLOOR),
    Rule(id="media-missing",
         title="Media cannot be checked",
         category="integrity",
         guideline="Disclosure and integrity: what cannot be read cannot be cleared.",
         trigger="a clip whose media (or other media, or a frame of its image sequence) is "
                 "missing, outside the media roots, unreadable, packed in a bundle, or past "
                 "the frame bound, or that plays media the timeline does not name (a missing "
                 "media reference, an EDL event whose source is only a reel, an empty path; "
                 "a generator such as colour, bars or a title plays none); at final that is "
                 "never clean. A show with no media access says so in aigate.yaml (media: "
                 "{required: false, reason: ...}), and then every report says its provenance "
                 "came from the timeline alone",
         remediation="Relink the media (a clip without a media reference: link it to its "
                     "file), or add its folder to media.roots / media.remap in aigate.yaml; a "
                     "show with no media access says media: {required: false, reason: ...}.",
         reads_item=False,
         check=_media_missing,
         floor=MEDIA_FLOOR,
         floor_instead=NO_MEDIA_ACCESS),
    Rule(id="media-required",
         title="Media cannot be checked (media required)",
         category="integrity",
         guideline="Disclosure and integrity: what cannot be read cannot be cleared.",
         trigger="with --require-media (media: {required: true}), a clip without readable "
                 "media (no reference at all included), at every stage",
         remediation="Relink the media, or add its folder to media.roots / media.remap in "
                     "aigate.yaml.",
         reads_item=False,
         check=_media_required,
         floor=INTEGRITY_FLOOR,
         floor_instead="media are required only with --require-media or media: {required: "
                       "true}: leave both out to judge unread media by media-missing; "
                       + NO_MEDIA_ACCESS),
    Rule(id="disclosure-incomplete",
         title="GenAI use not fully disclosed",
         category="disclosure",
         guideline="Disclosure: every intended GenAI use is reported to the studio, with the tool "
                   "and the purpose.",
         trigger="an AI clip without tool or purpose",
         remediation="Add tool and purpose to the clip's aigate metadata.",
         reads_item=False,
         check=_disclosure),
)


@hookimpl
def aigate_validate_settings(name: str, settings: Mapping[str, Any],
                             where: str) -> Mapping[str, Any] | None:
    return disclosure.validate(settings, where) if name == disclosure.NAME else None


@hookimpl
def aigate_claims(items: Sequence[Item], context: CheckContext
                  ) -> Iterator[tuple[int, Claim]]:
    yield from disclosure.cards_shown(items, context)


@hookimpl
def aigate_rules() -> tuple[Rule, ...]:
    return RULES + DATED_RULES


@hookimpl
def aigate_policy_packs() -> dict[str, Path]:
    return {"netflix-genai": PACK,
            **{name: PACK.with_name(f"{name}.yaml") for name in DATED_PACKS}}
