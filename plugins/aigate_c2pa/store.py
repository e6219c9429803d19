"""A manifest store report (the SDK's JSON) turned into a claim, read defensively: it is
hostile input.

The validation state decides the claim's trust: Trusted and Valid are signed statements,
Invalid is a manifest that no longer matches its media (``manifest-invalid``), and any
other state is one the gate cannot vouch for (``manifest-unverifiable``). The generating
tool is the softwareAgent of the action whose digitalSourceType is generative (the active
manifest's actions first, then its ingredients'), not the first action's agent nor the
claim generator, which is the answer only when no generative action names an agent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aigate.api import Claim, Tool, Trust, is_genai_source_type, normalise_source_type

SOURCE = "c2pa"
TRUST = {"Trusted": Trust.TRUSTED, "Valid": Trust.VALID}
INVALID = "Invalid"
#: the validation label of a manifest the gate could not validate in full (its evidence
#: reads ``c2pa (unverifiable): ...``)
UNVERIFIABLE = "Unverifiable"
#: the validation code of a signing certificate past its validity
EXPIRED = "signingCredential.expired"


@dataclass(frozen=True, slots=True)
class Action:
    """One action of a ``c2pa.actions*`` assertion, as far as the gate reads it."""

    source_type: str | None
    agent: Tool | None
    #: the manifest the action is in (its claim generator is the fallback tool)
    manifest: dict


def unverifiable(detail: str) -> Claim:
    """Content Credentials are there but could not be validated in full."""
    return Claim(SOURCE, Trust.HINT, detail=detail, validation=UNVERIFIABLE)


def claim_from_store(store: Any) -> Claim:
    """What a manifest store report says (see the module docstring)."""
    if not isinstance(store, dict) or not isinstance(store.get("manifests"), dict):
        return Claim(SOURCE, Trust.HINT, problems=("manifest store JSON has no manifests",))
    reported = store.get("validation_state")
    state: str = reported if isinstance(reported, str) else INVALID
    manifests = store["manifests"]
    active = manifests.get(store.get("active_manifest"))
    if not isinstance(active, dict):
        return Claim(SOURCE, Trust.HINT, problems=("manifest store has no active manifest",),
                     validation=state)
    actions = list(_actions(active, manifests, set()))
    generative = [a for a in actions if a.source_type and is_genai_source_type(a.source_type)]
    codes: list[str] = [s["code"] for s in store.get("validation_status") or []
                        if isinstance(s, dict) and isinstance(s.get("code"), str)]
    detail = state + (f" ({', '.join(codes[:3])})" if codes else "")
    if state == INVALID and EXPIRED in codes and not _time_stamped(active):
        # said as what it is: not evidence that the media changed
        detail = (f"{EXPIRED}: the signing certificate has expired and no time-stamp "
                  "proves the manifest was signed while it was valid")
    if state not in (*TRUST, INVALID):  # fail closed on a state the gate does not know
        detail = f"validation state {state[:40]!r} is not Trusted, Valid or Invalid"
        state = UNVERIFIABLE
    return Claim(SOURCE, TRUST.get(state, Trust.CLAIMED if state == INVALID else Trust.HINT),
                 generated=bool(generative),
                 digital_source_type=(generative or actions or [Action(None, None, {})])[0]
                 .source_type,
                 tool=generating_tool(generative), detail=detail, validation=state)


def _time_stamped(manifest: dict) -> bool:
    info = manifest.get("signature_info")
    return isinstance(info, dict) and isinstance(info.get("time"), str)


def generating_tool(generative: list[Action]) -> Tool | None:
    """The first generative action's named agent; else the claim generator of the manifest
    holding the first generative action."""
    for action in generative:
        if action.agent is not None:
            return action.agent
    return _generator(generative[0].manifest) if generative else None


def _actions(manifest: dict, manifests: dict, seen: set[int]) -> Iterator[Action]:
    """Every action, the manifest's own first, then its ingredients' (depth first)."""
    if id(manifest) in seen:  # a hostile store may loop
        return
    seen.add(id(manifest))
    for assertion in manifest.get("assertions") or []:
        if not isinstance(assertion, dict):
            continue
        label = assertion.get("label")
        if not isinstance(label, str) or not label.startswith("c2pa.actions"):
            continue
        data = assertion.get("data")
        if not isinstance(data, dict):
            continue
        listed = data.get("softwareAgents")
        agents: list[Any] = listed if isinstance(listed, list) else []
        for action in data.get("actions") or []:
            if isinstance(action, dict):
                source_type = action.get("digitalSourceType")
                agent = _agent(action.get("softwareAgent"))
                index = action.get("softwareAgentIndex")
                if agent is None and isinstance(index, int) and 0 <= index < len(agents):
                    agent = _agent(agents[index])
                yield Action(normalise_source_type(source_type)
                             if isinstance(source_type, str) else None, agent, manifest)
    for ingredient in manifest.get("ingredients") or []:
        if isinstance(ingredient, dict):
            label = ingredient.get("active_manifest")
            if isinstance(label, str) and isinstance(manifests.get(label), dict):
                yield from _actions(manifests[label], manifests, seen)


def _agent(value: Any) -> Tool | None:
    if isinstance(value, str) and value:
        return Tool(name=value)
    if isinstance(value, dict) and isinstance(value.get("name"), str) and value["name"]:
        version = value.get("version")
        return Tool(name=value["name"], version=version if isinstance(version, str) else None)
    return None


def _generator(manifest: dict) -> Tool | None:
    info = manifest.get("claim_generator_info")
    if isinstance(info, list) and info:
        return _agent(info[0])
    generator = manifest.get("claim_generator")
    return Tool(name=generator.split("/")[0]) if isinstance(generator, str) else None
