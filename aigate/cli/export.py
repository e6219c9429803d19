"""``aigate annotate`` and ``aigate render``: write from a checked subject through the
export gate."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from aigate.cli.common import (
    _gate_options,
    _PassThroughParser,
    _subcommand,
    _subject_to_export,
    _warn,
)
from aigate.run.exitcodes import FAIL_ON, ExitCode, gate_exit


def _add_annotate(sub: Any) -> None:
    annotate = _subcommand(
        sub, "annotate", "write a copy of a timeline with the verdicts on its clips",
        "Check IN and write OUT (in OUT's format) with every non-pass clip "
        "carrying its verdict where that format keeps it: markers, EDL comments, FCP labels, "
        "AAF user comments. IN is never modified; OUT is written atomically.",
        "aigate annotate ep101_cut_v12.otio ep101_cut_v12_gate.edl --track V2")
    annotate.add_argument("input", type=Path, metavar="IN", help="the timeline to check")
    annotate.add_argument("output", type=Path, metavar="OUT",
                          help="the annotated copy to write; its suffix picks the format")
    _gate_options(annotate)
    annotate.add_argument("--fail-on", choices=tuple(FAIL_ON), default="lock",
                          help="lowest verdict that makes the exit code 1 (default: lock)")
    annotate.add_argument("--track", metavar="NAME", help="write only this track (e.g. V2); "
                          "without it a multi-track cut to EDL is one EDL per track, "
                          "OUT_V1.edl, OUT_V2.edl, OUT_A1.edl...")
    annotate.add_argument("--allow-loss", action="store_true",
                          help="write even if unflagged clips or the input's own markers "
                          "are lost by the format (they are listed); a flagged clip's "
                          "verdict is never allowed to be lost")
    annotate.set_defaults(run=cmd_annotate)


def cmd_annotate(args: argparse.Namespace) -> int:
    from aigate.core.gate import GateLocked
    from aigate.errors import UsageError
    from aigate.model import Severity
    from aigate.output.report import counts_in_words, printable

    session, gate, subject = _subject_to_export(args, args.input)
    target = args.output.suffix.lstrip(".").lower()
    try:
        results = gate.annotate(subject, target, stage=args.stage, path=args.input,
                                output=args.output)
    except GateLocked as exc:  # written into a final deliverables path: refused
        print(f"{exc}\n{args.output}: not written", file=sys.stderr)
        return ExitCode.GATE
    from aigate.run.discovery import quiet_stdout

    with quiet_stdout(args.output):  # what a writer prints or logs: notes on stderr
        saved = session.plugins.hook.aigate_save_subject(
            subject=subject, path=args.output, track=args.track, allow_loss=args.allow_loss,
            protected=(args.input,), settings=gate.settings)
    if not saved:
        raise UsageError(f"{args.output}: no host plugin can write this subject (none "
                         "implements aigate_save_subject for it)")
    for loss in saved.accepted_losses:
        _warn(f"--allow-loss: {loss}")
    written = ", ".join(printable(str(p)) for p in saved.written)
    for result in results:
        print(f"{written}: {printable(result.name)} [stage {result.stage}] annotated: "
              f"{counts_in_words(result.counts)}")
        for r in result.items:
            if r.verdict is not Severity.PASS and (args.track is None
                                                   or r.item.track == args.track):
                headline = r.headline.rule if r.headline else ""
                print(f"  {r.verdict.label.upper():<4} {printable(r.item.track)} "
                      f"\"{printable(r.item.clip)}\" {r.item.record_in}-{r.item.record_out} "
                      f"{headline}")
    return gate_exit(max((r.verdict for r in results), default=Severity.PASS), args.fail_on)


_RENDER_DESCRIPTION = (
    "Check PROJECT at the stage OUT implies (its config path rules, or --stage) and render it "
    "to OUT with the host's renderer; the encoding options after -- go to the renderer. At "
    "stage final with a lock nothing is rendered and the exit code is 1. OUT is written "
    "atomically.")


class _RenderParser(_PassThroughParser):
    """``aigate render``: its help adds each rendering host's paragraph (hook
    ``aigate_render_help``: the options its renderer takes, from its own allow-list). The
    plugins load only when the help is asked for, never to parse a command line."""

    def format_help(self) -> str:
        from aigate.core.plugins import load_plugins

        hosts = load_plugins().render_help()
        self.description = " ".join([_RENDER_DESCRIPTION, *hosts]) if hosts else (
            f"{_RENDER_DESCRIPTION} No plugin loaded renders (see 'aigate plugins').")
        return super().format_help()


def _add_render(sub: Any) -> None:
    render = _subcommand(
        sub, "render", "render a project through the export gate (melt for Kdenlive/MLT)",
        _RENDER_DESCRIPTION,
        "aigate render edit.kdenlive deliverables/ep101.mp4 -- vcodec=libx264",
        usage="aigate render PROJECT OUT [options] [-- RENDERER OPTION...]")
    render.__class__ = _RenderParser  # "-- ..." reaches the renderer untouched
    render.add_argument("project", type=Path, metavar="PROJECT",
                        help="the project to check and render (e.g. a .kdenlive file)")
    render.add_argument("output", type=Path, metavar="OUT", help="the media file to write")
    _gate_options(render)
    render.set_defaults(run=cmd_render, renderer_args=[])


def cmd_render(args: argparse.Namespace) -> int:
    """The export gate at OUT's stage, then the host's renderer (hook ``aigate_render``)."""
    from aigate.core.gate import GateLocked
    from aigate.errors import UsageError

    session, gate, subject = _subject_to_export(args, args.project)
    try:
        results = gate.guard_export(subject, stage=args.stage, output=args.output,
                                    origin=args.project)
    except GateLocked as exc:
        print(f"{exc}\n{args.output}: not rendered", file=sys.stderr)
        return ExitCode.GATE
    written = session.plugins.hook.aigate_render(subject=subject, path=args.project,
                                                 output=args.output,
                                                 args=list(args.renderer_args),
                                                 settings=gate.settings)
    if written is None:
        raise UsageError(f"{args.project}: no host plugin renders this project (none "
                         "implements aigate_render for it)")
    print(_rendered_line(gate, subject, args, results))
    return ExitCode.OK


def _rendered_line(gate: Any, subject: Any, args: argparse.Namespace,
                   results: list[Any]) -> str:
    """What happened, in words: ``rendered OUT at stage edit (preview); 3 clips would block
    a final render``. A render below final is a preview: the clips a final render would
    refuse are counted by checking the same subject at final (nothing is written)."""
    from aigate.model import Severity
    from aigate.output.report import plural, printable

    stages = sorted({r.stage for r in results})
    line = f"rendered {printable(str(args.output))} at stage {', '.join(stages)}"
    if stages == ["final"]:
        allowed = sum(r.verdict is not Severity.PASS for s in results for r in s.items)
        return (f"{line} (deliverable); no clip locks"
                + (f", {plural(allowed, 'AI clip')} approved or allowed" if allowed else ""))
    final = gate.check(subject, stage="final", path=args.project)
    blocking = sum(r.verdict is Severity.LOCK for s in final for r in s.items)
    if not blocking:
        return f"{line} (preview); no clip would block a final render"
    return f"{line} (preview); {plural(blocking, 'clip')} would block a final render"
