"""The built-in rules and the ``netflix-genai`` policy pack.

Modelled on Netflix's partner guidance "Using Generative AI in Content Production" (2025),
paraphrased. docs/guidance-mapping.md maps every guideline point to a rule id. The rules
say *what* is wrong; the pack (netflix-genai.yaml) says how severe it is at each stage.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from aigate.api import Item, Provenance, hookimpl
from aigate.policy import Hit, Policy, Rule, RuleCheck

PACK = Path(__file__).with_name("netflix-genai.yaml")


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
        if claim.validation == "Invalid":
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


RULES: tuple[Rule, ...] = (
    Rule("provenance-malformed", "Provenance metadata is malformed", "integrity",
         "Every GenAI use must be disclosed accurately; metadata that cannot be read hides "
         "what the clip is.",
         "the clip's aigate metadata is not a mapping, has wrong types or unknown values",
         "Fix the clip's aigate metadata (see docs/metadata-contract.md).", _malformed),
    Rule("final-deliverable-use", "Generated material in a final deliverable", "final-use",
         "Principle 4: generated material is temporary and not part of the final "
         "deliverables unless the studio approves its final use in writing.",
         "any AI-generated clip",
         "Replace it with non-generated material before picture lock, or get a written "
         "approval granting final-deliverable-use for this clip.", _final_use),
    Rule("tool-unvetted", "Generating tool missing or not vetted", "tools",
         "Principles 2 and 3: tools must not store, reuse or train on production data and "
         "should run in an enterprise-secured environment; only vetted tools are known to.",
         "no tool declared, or a tool not on the policy's vetted_tools list",
         "Declare the tool; if it is new, have it vetted and added to the studio pack's "
         "vetted_tools.", _tool_unvetted),
    Rule("tool-data-use", "Tool trains on or retains production data", "tools",
         "Principle 2: tools must not store, reuse or train on the production's inputs or "
         "outputs.",
         "the vetted tools entry says trains_on_inputs or retains_data",
         "Use a tool configured not to train on or keep production data.", _tool_data_use),
    Rule("tool-not-enterprise", "Tool outside an enterprise-secured environment", "tools",
         "Principle 3: where possible, tools run in an enterprise-secured environment that "
         "protects inputs.",
         "the vetted tools entry has enterprise: false",
         "Prefer the enterprise deployment of the tool.", _tool_not_enterprise),
    Rule("key-creative-element", "Generated key character, key visual or setting", "creative",
         "Written approval: generating main characters, key visual elements or fictional "
         "settings central to the story.",
         "role key_character, key_visual or setting",
         "Get a written approval granting key-creative-element (or 'creative') for the clip.",
         _key_creative),
    Rule("proprietary-data-input", "Studio-proprietary material put into a tool", "data",
         "Written approval: putting the studio's own material (unreleased assets, scripts, "
         "stills) into a GenAI tool.",
         "inputs include proprietary",
         "Get a written approval granting proprietary-data-input (or 'data').",
         _input(("proprietary",), "studio material went into a GenAI tool")),
    Rule("personal-data-input", "Personal data put into a tool", "data",
         "Written approval: putting personal data of cast or crew into a GenAI tool.",
         "inputs include personal_data",
         "Get a written approval granting personal-data-input (or 'data').",
         _input(("personal_data",), "personal data went into a GenAI tool")),
    Rule("third-party-training", "Training on material the production does not own", "data",
         "Written approval: training or fine-tuning on artists', performers' or rights "
         "holders' work without clearance.",
         "inputs include third_party_training",
         "Get rights clearance and a written approval granting third-party-training.",
         _input(("third_party_training",), "a model was trained on others' work")),
    Rule("copyrighted-reference", "Copyrighted material referenced", "rights",
         "Principle 1 and written approval: output must not copy or recreate material the "
         "production does not own; prompts or references pointing at copyrighted works "
         "need approval.",
         "inputs include copyrighted_reference",
         "Remove the reference, or clear it and get a written approval granting "
         "copyrighted-reference (or 'rights').",
         _input(("copyrighted_reference",), "prompts or references point at copyrighted work")),
    Rule("public-figure-reference", "Public figure or deceased person referenced", "rights",
         "Written approval: prompts or references pointing at the likeness of public figures "
         "or deceased people.",
         "inputs include public_figure or deceased_person",
         "Get a written approval granting public-figure-reference (or 'rights').",
         _input(("public_figure", "deceased_person"),
                "the likeness of a public figure or deceased person is referenced")),
    Rule("talent-consent", "Talent likeness, voice or performance without consent", "talent",
         "Principle 5 and written approval: digital performers, voices, likenesses and "
         "changes to a performance's tone, delivery or intent need explicit, documented "
         "consent (and guild compliance).",
         "a talent entry with no consent record covering that talent, use and production",
         "Record the talent's consent for this use and production in the approvals registry.",
         _talent, waived_by="consent"),
    Rule("real-events", "Could be mistaken for real events, people or statements", "ethics",
         "Written approval: nothing that could be taken for real events, people or "
         "statements that never happened, even in the background.",
         "depicts_real_events: true",
         "Rework the material so it cannot be taken as real, or get a written approval "
         "granting real-events.", _real_events),
    Rule("undeclared-ai", "AI material the timeline does not declare", "disclosure",
         "Disclosure: every GenAI use is reported to the studio; material the media or the "
         "studio ledger shows as generated must be declared.",
         "a C2PA manifest, XMP, the ledger or a path pattern says generated and the clip's "
         "own metadata does not",
         "Declare the clip as generated (aigate metadata: generated, tool, purpose) and "
         "disclose the use to the studio.", _undeclared),
    Rule("manifest-invalid", "Content Credentials do not validate", "integrity",
         "Content integrity: a C2PA manifest that no longer matches its media cannot be "
         "relied on, and may hide what the clip is.",
         "a C2PA manifest whose validation state is Invalid (e.g. a hash mismatch)",
         "Go back to the original media from the vendor, or have it re-signed by the tool "
         "that made it.", _manifest_invalid),
    Rule("manifest-unverifiable", "Content Credentials cannot be verified", "integrity",
         "Content integrity: Content Credentials that are present but cannot be read or "
         "validated in full may hide what the clip is; they are not the same as no "
         "credentials. The gate reads media offline, so a manifest kept only at a remote URL "
         "is never fetched and cannot be verified either.",
         "a C2PA manifest store the SDK cannot read or validate offline (damaged, truncated "
         "or padded file, missing signature, unsupported algorithm or structure), a "
         "container that holds one (JUMBF, APP11, caBX, C2PA box) the SDK finds nothing in, "
         "or a remote-only manifest. A rule of its own rather than manifest-invalid: Invalid "
         "means the manifest was checked and the media no longer matches it; unverifiable "
         "means it could not be checked at all, and the remedy differs",
         "Get the media from the vendor with its Content Credentials embedded (not "
         "remote-only) and intact, or re-signed by the tool that made it.",
         _manifest_unverifiable),
    Rule("media-missing", "Media cannot be checked", "integrity",
         "Disclosure and integrity: what cannot be read cannot be cleared.",
         "with --require-media (media.require), a clip whose media is missing, outside the "
         "media roots or unreadable",
         "Relink the media, or add its folder to media.roots / media.remap in aigate.yaml.",
         _media_missing),
    Rule("disclosure-incomplete", "GenAI use not fully disclosed", "disclosure",
         "Disclosure: every intended GenAI use is reported to the studio, with the tool and "
         "the purpose.",
         "an AI clip without tool or purpose",
         "Add tool and purpose to the clip's aigate metadata.", _disclosure),
)


@hookimpl
def aigate_rules() -> tuple[Rule, ...]:
    return RULES


@hookimpl
def aigate_policy_packs() -> dict[str, Path]:
    return {"netflix-genai": PACK}
