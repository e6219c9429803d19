"""``aigate init``: a commented aigate.yaml for a show, never over an existing one."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from aigate.cli.common import _subcommand
from aigate.run.exitcodes import ExitCode

TEMPLATE = """\
# aigate.yaml for {show}: aigate finds it by walking up from a timeline's folder, so it
# governs every timeline below this folder. Every key is in the configuration reference.

# The production: selects the pack's per-show overrides, scopes approvals, and is the
# production a talent consent must name.
show: {show}
# The episode, when this folder holds one (scopes approvals with scope.episodes);
# the register otherwise takes it from timeline metadata or the file name.
# episode: "101"

# The policy: a built-in pack (netflix-genai) or a studio pack file extending it.
policy: netflix-genai

# The approvals registry: signed written approvals and talent consents, one YAML file
# per record (aigate approvals request drafts them; aigate approvals sign signs them).
approvals: approvals/
# Whose signatures on approval records are trusted (aigate approvals keygen prints the
# line to paste here):
# trusted_keys:
#   - {{approver: Dana Ruiz, file: keys/dana-ruiz.pub}}

# Stages by path: an export into deliverables/ or named *_FINAL* is checked at final.
stages:
  - {{match: "**/deliverables/**", stage: final}}
  - {{match: "*_FINAL*", stage: final}}

# Where media may be read from (default: the timeline's folder and this folder), and
# how paths from other machines map here, as a conform relinks:
# media:
#   roots: [/mnt/{show_slug}/media]
#   remap:
#     - {{from: /Volumes/{show_slug}, to: /mnt/{show_slug}}}
"""


def _add_init(sub: Any) -> None:
    init = _subcommand(
        sub, "init", "write a commented aigate.yaml for a show here",
        "Write aigate.yaml (show, policy, approvals, stages, media roots, each commented) "
        "into FOLDER and make its approvals/ folder; an existing aigate.yaml is never "
        "overwritten. 'aigate doctor' accepts what it writes.",
        "aigate init --show NIGHTFALL")
    init.add_argument("folder", nargs="?", type=Path, default=Path("."), metavar="FOLDER",
                      help="the show's root folder (default: here)")
    init.add_argument("--show", help="the production's name (default: the folder's name)")
    init.set_defaults(run=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    import re

    from aigate.config import CONFIG_NAME
    from aigate.errors import UsageError
    from aigate.output.files import atomic_path

    folder: Path = args.folder
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder")
    target = folder / CONFIG_NAME
    if target.exists() or target.is_symlink():
        raise UsageError(f"{target}: already there; aigate init never overwrites a config")
    show = args.show or folder.resolve().name
    if not show or any(c in show for c in "\n\r\"{}#"):
        raise UsageError(f"--show {show!r}: give the production's name (no quotes, braces "
                         "or #)")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", show) or "show"
    text = TEMPLATE.format(show=show if re.fullmatch(r"[\w .-]+", show) else f'"{show}"',
                           show_slug=slug)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    (folder / "approvals").mkdir(exist_ok=True)
    print(f"{target}: written for show {show}; next: 'aigate doctor {folder}'")
    return ExitCode.OK
