"""``aigate doctor``'s checks: is the gate live for files here? The command only prints them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from aigate.errors import AigateError
from aigate.model import Diagnostic

if TYPE_CHECKING:
    from aigate.run.session import Session


def diagnose(session: Session, where: Path) -> list[Diagnostic]:
    """Every check for a timeline or folder ``where``, read as ``check`` would read it: the
    kill switch, which aigate.yaml governs it (and how far it is trusted), its policy, the
    plugins that failed to load and each plugin's own ``aigate_doctor`` checks."""
    disabled = os.environ.get("AIGATE_DISABLE")
    checks = [Diagnostic("AIGATE_DISABLE", not disabled,
                         "set: every aigate hook lets material through" if disabled
                         else "not set")]
    source = session.config_source(where)
    # discovery without trusted roots: a delivery's own aigate.yaml would be obeyed
    checks.append(Diagnostic("config", source.origin != "discovered", source.describe(),
                             fails_open=False))
    if source.path is None:
        beside = _config_beside(where)
        if beside is not None:
            checks.append(Diagnostic(
                "config beside", False, f"no aigate.yaml governs {where}, but {beside} sits "
                "in a folder beside it: a config governs only what is below its own folder "
                "(move it up to the show's root, or pin it with --config)", fails_open=False))
    try:
        gate = session.gate(where)  # as check does: this also loads the config's plugins
        checks.append(Diagnostic("policy", True, f"{gate.policy.name} ({gate.policy.origin}), "
                                 f"{len(gate.rules)} rules"))
        checks += [Diagnostic("trusted files", False, said, fails_open=False)
                   for said in gate.exposures]
    except AigateError as exc:
        checks.append(Diagnostic("policy", False, str(exc)))
    checks += [Diagnostic(f"plugin {p.name}", False, f"{p.origin}: {p.message}")
               for p in session.plugins.problems]
    checks += [d for group in session.plugins.hook.aigate_doctor() for d in group or ()]
    return checks


def _config_beside(where: Path) -> Path | None:
    """An aigate.yaml in a folder next to ``where``'s folder (or next to one above it, up
    to three levels): one that looks meant for these timelines but governs none of them."""
    from aigate.config import CONFIG_NAME

    folder = where.resolve() if where.is_dir() else where.resolve().parent
    for level, here in enumerate((folder, *folder.parents)):
        if level > 3 or here.parent == here:
            return None
        try:
            siblings = sorted(p for p in here.parent.iterdir() if p.is_dir() and p != here)
        except OSError:
            return None
        for sibling in siblings:
            if (sibling / CONFIG_NAME).is_file():
                return sibling / CONFIG_NAME
    return None


def fails_open(checks: list[Diagnostic]) -> list[Diagnostic]:
    """The checks that mean material could pass unchecked here."""
    return [c for c in checks if not c.ok and c.fails_open]
