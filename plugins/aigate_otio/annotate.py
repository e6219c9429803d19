"""Putting the gate's verdicts where an editor sees them, in the channels each format keeps
(verified with the real adapters, OTIO 0.18):

- every format: a marker on the clip, "AIGATE LOCK <rule>", coloured RED (LOCK) / YELLOW
  (WARN) / GREEN (APPROVED: AI, a record waived it) / CYAN (ALLOWED: AI, info by the
  policy's severity, which is not an approval), with the findings in its metadata; the
  findings and verdict under the clip's metadata["aigate"];
- CMX 3600 EDL: the marker becomes a LOC line (name upper-cased), and each finding a
  ``* AIGATE ...`` comment line (metadata["cmx_3600"]["comments"]);
- FCP7 XML: marker name and comment (metadata["fcp_xml"]["comment"]) and the clip's label
  colour (metadata["fcp_xml"]["labels"]["label2"]);
- AAF: the clip's UserComments (media reference metadata["AAF"]["UserComments"]["AIGATE"]),
  the most severe finding first;
- FCPX: the marker (only completed / not completed survives: RED and GREEN).

The marker names the headline finding: the most severe, then the first in the policy's
rule order. Everything aigate wrote before is recognised by its AIGATE prefix and replaced,
never duplicated, so annotating twice (or OTIO running a hook twice) gives the same file.
Writing the result, per format and verified, is export.py's.
"""

from __future__ import annotations

from typing import Any

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from aigate.api import GATE_KEYS, Collected, Finding, ItemResult, Severity, Shade, SubjectResult

from .collect import NAMESPACE, plain

PREFIX = "AIGATE"
MARKER_COLOURS = {Shade.LOCK: otio.schema.MarkerColor.RED,
                  Shade.WARN: otio.schema.MarkerColor.YELLOW,
                  Shade.APPROVED: otio.schema.MarkerColor.GREEN,
                  Shade.ALLOWED: otio.schema.MarkerColor.CYAN,
                  Shade.NOTE: otio.schema.MarkerColor.WHITE}
FCP_LABELS = {Shade.LOCK: "Rose", Shade.WARN: "Yellow", Shade.APPROVED: "Forest",
              Shade.ALLOWED: "Cerulean", Shade.NOTE: "Lavender"}


def annotate(collected: Collected, result: SubjectResult, target: str | None) -> None:
    for clip, item_result in zip(collected.handles, result.items, strict=True):
        _clear(clip)
        if item_result.verdict is not Severity.PASS:
            _mark(clip, item_result, (target or "otio").lower().lstrip("."))


def label(result: ItemResult) -> str:
    return f"{PREFIX} {Shade.of(result).value.upper()} {headline(result).rule}"


def headline(result: ItemResult) -> Finding:
    """The finding a marker names (:attr:`ItemResult.headline`; a marked clip has one)."""
    finding = result.headline
    assert finding is not None, "only clips with findings are marked"
    return finding


def line(finding: Finding, ai: bool = True) -> str:
    """A finding as one comment line; an info finding says whether a record approved it
    (``APPROVED ... (waived by ID)``), the policy allowed it (``ALLOWED``), or it is a note
    on a clip no source calls AI (``NOTE``: media not read while cutting)."""
    if finding.waived:
        return (f"{PREFIX} APPROVED {finding.rule} (waived by {finding.approval}): "
                f"{finding.reason}")
    word = ("ALLOWED" if ai else "NOTE") if finding.severity is Severity.INFO \
        else finding.severity.label.upper()
    return f"{PREFIX} {word} {finding.rule}: {finding.reason}"


def _mark(clip: otio.schema.Clip, result: ItemResult, target: str) -> None:
    verdict = result.verdict
    findings = [_finding_record(f) for f in result.findings]
    reason = headline(result).reason
    # a clip without a source range is marked at its start, at the cut's rate (the one
    # collect.timeline_rate gives every item), never at a rate of its own guessing
    start = clip.source_range.start_time if clip.source_range else RationalTime(
        0, result.item.rate)
    clip.markers.append(otio.schema.Marker(
        name=label(result),
        marked_range=TimeRange(start, RationalTime(0, start.rate)),
        color=MARKER_COLOURS[Shade.of(result)],
        metadata={NAMESPACE: {"verdict": verdict.label, "findings": findings},
                  "fcp_xml": {"comment": reason}}))
    declared = _section(clip.metadata, NAMESPACE, missing={})
    if declared is not None:  # a malformed (non-mapping) declaration is left as it is
        clip.metadata[NAMESPACE] = {**declared, "verdict": verdict.label, "findings": findings}
    if target == "edl":
        cmx = _section(clip.metadata, "cmx_3600") or {}
        cmx["comments"] = [*cmx.get("comments", []),
                           *(line(f, result.ai) for f in result.findings)]
        clip.metadata["cmx_3600"] = cmx
    elif target == "xml":
        fcp = _section(clip.metadata, "fcp_xml") or {}
        fcp["labels"] = {**fcp.get("labels", {}), "label2": FCP_LABELS[Shade.of(result)]}
        clip.metadata["fcp_xml"] = fcp
    elif target == "aaf":
        reference = clip.media_reference
        if reference is None:
            reference = clip.media_reference = otio.schema.MissingReference()
        aaf = _section(reference.metadata, "AAF") or {}
        comments = {**aaf.get("UserComments", {}),
                    # the most severe first: Avid shows the start of a comment column
                    PREFIX: "; ".join(line(f, result.ai)[len(PREFIX) + 1:] for f in sorted(
                        result.findings, key=lambda f: -f.severity))}
        reference.metadata["AAF"] = {**aaf, "UserComments": comments}


def _finding_record(finding: Finding) -> dict[str, Any]:
    return {"rule": finding.rule, "severity": finding.severity.label,
            "message": finding.message, "approval": finding.approval,
            "waived_from": finding.waived_from.label if finding.waived_from else None}


def _section(metadata: Any, key: str, missing: Any = None) -> Any:
    """``metadata[key]`` as a plain dict; ``missing`` when absent, None when not a mapping."""
    if key not in metadata.keys():
        return missing if missing is not None else {}
    value = plain(metadata[key])
    return value if isinstance(value, dict) else None


def _clear(clip: otio.schema.Clip) -> None:
    """Remove what an earlier annotation wrote (EDL round trips upper-case marker names)."""
    markers = clip.markers
    annotated = False
    for index in reversed(range(len(markers))):
        if markers[index].name.upper().startswith(PREFIX + " "):
            del markers[index]
            annotated = True
    metadata = clip.metadata
    if not len(metadata):
        return
    declared = _section(metadata, NAMESPACE)
    if declared and any(k in declared for k in GATE_KEYS):
        rest = {k: v for k, v in declared.items() if k not in GATE_KEYS}
        if rest:
            metadata[NAMESPACE] = rest
        else:
            del metadata[NAMESPACE]
    cmx = _section(metadata, "cmx_3600")
    if cmx and any(str(c).startswith(PREFIX) for c in cmx.get("comments", [])):
        cmx["comments"] = [c for c in cmx["comments"] if not str(c).startswith(PREFIX)]
        metadata["cmx_3600"] = cmx
    fcp = _section(metadata, "fcp_xml")
    labels = fcp.get("labels") if fcp else None
    # our label colour, on a clip that carried our marker (the XML keeps no other trace)
    if annotated and isinstance(labels, dict) and labels.get("label2") in FCP_LABELS.values():
        fcp["labels"] = {k: v for k, v in labels.items() if k != "label2"}
        metadata["fcp_xml"] = fcp
    # the AAF writer takes UserComments from the media reference; the reader puts them on
    # the clip: clear both
    reference = clip.media_reference
    for holder in (clip, reference) if reference is not None else (clip,):
        aaf = _section(holder.metadata, "AAF")
        comments = aaf.get("UserComments") if aaf else None
        if isinstance(comments, dict) and PREFIX in comments:
            aaf["UserComments"] = {k: v for k, v in comments.items() if k != PREFIX}
            holder.metadata["AAF"] = aaf
