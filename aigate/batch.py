"""Checking many files: expand paths, find each file's config, reuse one gate per config,
and keep going when a file is bad."""

from __future__ import annotations

import datetime as dt
import glob
import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import globs
from .config import Config, config_path_from_env, find_config, load_config
from .errors import AigateError, InputError, UsageError
from .gate import Gate, load_subject
from .model import FileOutcome, InputProblem, SubjectResult
from .plugins import Plugins, load_plugins
from .report import Report, ReportFormat


@dataclass(frozen=True)
class Options:
    """What a user can say about a run; everything else comes from config."""

    stage: str | None = None
    policy: str | None = None
    approvals: Path | None = None
    config: Path | None = None
    as_of: dt.date | None = None
    strict_plugins: bool = False
    require_media: bool = False
    #: path globs a folder or glob expansion skips (with each config's ``exclude``)
    exclude: tuple[str, ...] = ()

    def portable(self) -> Options:
        """These options with what the environment says folded in (AIGATE_STAGE,
        AIGATE_CONFIG), so a worker elsewhere decides exactly as this process would."""
        stage = self.stage or os.environ.get("AIGATE_STAGE") or None
        return replace(self, stage=stage, config=self.config or config_path_from_env())


class Session:
    """Plugins and one :class:`Gate` per config file, shared by every file of a run."""

    def __init__(self, options: Options = Options(), plugins: Plugins | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        self.options = options
        self.plugins = plugins or load_plugins(strict=options.strict_plugins)
        #: receives warnings that are not findings (a blanket approval, a rejected record)
        self.warn = warn or (lambda message: None)
        self._fixed = options.config or config_path_from_env()
        self._gates: dict[Path | None, Gate | AigateError] = {}
        self._found: dict[Path, Path | None] = {}

    def config_path(self, near: Path | None) -> Path | None:
        if self._fixed is not None or near is None:
            return self._fixed
        folder = (near if near.is_dir() else near.parent).resolve()
        if folder not in self._found:
            self._found[folder] = find_config(folder)
        return self._found[folder]

    def gate(self, near: Path | None = None) -> Gate:
        """The gate for a file or folder ``near`` (its config found by walking up from
        there), built once per config; without ``near``, the --config/AIGATE_CONFIG one."""
        config_path = self.config_path(near)
        if config_path not in self._gates:
            try:
                if config_path and not config_path.is_file():
                    raise InputError(f"{config_path}: config file not found")
                config = load_config(config_path) if config_path else Config()
                gate = Gate.build(self.plugins, config, policy=self.options.policy,
                                  approvals=self.options.approvals, as_of=self.options.as_of,
                                  require_media=self.options.require_media)
                for warning in gate.registry.warnings:
                    self.warn(warning)
                self._gates[config_path] = gate
            except AigateError as exc:
                self._gates[config_path] = exc
        built = self._gates[config_path]
        if isinstance(built, AigateError):
            raise built
        return built

    def gates(self) -> list[Gate]:
        """Every gate built so far (one per config met)."""
        return [g for g in self._gates.values() if isinstance(g, Gate)]

    def check_file(self, path: Path) -> list[SubjectResult]:
        gate = self.gate(path)
        subject = load_subject(self.plugins, path)
        return gate.check(subject, stage=self.options.stage, path=path)

    def outcome(self, path: Path) -> FileOutcome:
        """One file's results, or its error: never raises for bad input."""
        try:
            return FileOutcome(str(path), self.check_file(path))
        except AigateError as exc:
            return FileOutcome(str(path), error=problem(path, exc))

    def formats(self) -> dict[str, ReportFormat]:
        """The report formats plugins offer, by name."""
        return {f.name: f for group in self.plugins.hook.aigate_report_formats()
                for f in group or ()}

    def timeline_suffixes(self) -> set[str]:
        return {s.lower() for group in self.plugins.hook.aigate_subject_suffixes()
                for s in group or ()}

    def run(self, paths: Iterable[str], progress: Progress | None = None,
            runner: Runner | None = None) -> Report:
        """Check every file ``paths`` name, streamed in input order; bad files are reported,
        never stop the others. ``runner`` spreads files over processes or a cluster
        (:mod:`aigate.parallel`); by default they are checked here, one by one."""
        files, problems = expand(paths, self.timeline_suffixes(), self.excluded,
                                 skipped=lambda p, why: self.warn(f"{p}: skipped: {why}"))
        outcomes = [FileOutcome(p.path, error=p) for p in problems]
        stream = (runner or self.serial)(files, progress or _no_progress)
        return Report(itertools.chain(outcomes, stream), stage=self.options.stage,
                      policy=self.options.policy, files=len(files) + len(problems))

    def excluded(self, path: Path) -> bool:
        """Whether --exclude or the ``exclude`` of the config that applies to ``path``
        names it (a bad config is reported when the file is checked, not here)."""
        patterns = self.options.exclude
        try:
            patterns += self.gate(path).config.exclude
        except AigateError:
            pass
        return any(globs.match(str(path), p) for p in patterns)

    def serial(self, files: Sequence[Path], progress: Progress) -> Iterator[FileOutcome]:
        for done, path in enumerate(files, start=1):
            yield self.outcome(path)
            progress(done, len(files), path)


Progress = Callable[[int, int, Path], None]
Runner = Callable[[Sequence[Path], Progress], Iterator[FileOutcome]]


def _no_progress(done: int, total: int, path: Path) -> None:
    pass


def problem(path: Path | str, exc: BaseException) -> InputProblem:
    message = str(exc)
    prefix = f"{path}: "
    return InputProblem(str(path), message.removeprefix(prefix))


def expand(paths: Iterable[str], suffixes: set[str],
           excluded: Callable[[Path], bool] | None = None,
           skipped: Callable[[Path, str], None] | None = None,
           ) -> tuple[list[Path], list[InputProblem]]:
    """Files named, folders searched recursively for timeline files, globs expanded.
    What a folder or glob finds is left out when ``excluded`` says so, or when it is an
    XML file without a timeline root element (told to ``skipped``); a file named is
    always checked."""
    files: list[Path] = []
    problems: list[InputProblem] = []

    def found(candidates: Iterable[Path]) -> list[Path]:
        kept = []
        for candidate in candidates:
            if excluded is not None and excluded(candidate):
                continue
            why = _not_a_timeline(candidate)
            if why:
                if skipped is not None:
                    skipped(candidate, why)
                continue
            kept.append(candidate)
        return kept

    for text in paths:
        path = Path(text)
        if path.is_dir() and not _is_timeline(path, suffixes):
            files.extend(found(_walk(path, suffixes)))
        elif path.exists():
            files.append(path)
        elif glob.has_magic(text):
            matches = sorted(Path(p) for p in glob.glob(text, recursive=True))
            if not matches:
                problems.append(InputProblem(text, "no file matches this pattern"))
            files.extend(found(p for p in matches if p.is_file()))
        else:
            problems.append(InputProblem(text, "no such file or folder"))
    return list(dict.fromkeys(files)), problems


#: root elements of the XML timeline formats (FCP7 XML, FCPX XML)
TIMELINE_ROOTS = frozenset({"xmeml", "fcpxml"})
_ROOT = re.compile(rb"<(?![?!])([A-Za-z_][\w.:-]*)")
_PROLOGUE = re.compile(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", re.S)


def _not_a_timeline(path: Path) -> str | None:
    """Why an .xml file found in a folder is not a timeline (its root element is something
    else, e.g. a stray settings.xml), or None (a timeline, or undecided: the adapter says)."""
    if path.suffix.lower() != ".xml":
        return None
    try:
        with path.open("rb") as handle:
            head = _PROLOGUE.sub(b"", handle.read(65536))
    except OSError:
        return None
    root = _ROOT.search(head)
    if root is None:
        return None
    tag = root.group(1).decode("ascii", "replace").rsplit(":", 1)[-1]
    return None if tag in TIMELINE_ROOTS else f"not a timeline (root element <{tag}>)"


def _is_timeline(path: Path, suffixes: set[str]) -> bool:
    return path.suffix.lower().lstrip(".") in suffixes and not path.name.startswith(".")


def _walk(folder: Path, suffixes: set[str]) -> list[Path]:
    """Timeline files below ``folder``; a bundle folder (.otiod) is one timeline, not a
    folder to search."""
    found = []
    for root, dirs, names in os.walk(folder):
        here = Path(root)
        for name in list(dirs):
            if _is_timeline(here / name, suffixes):
                found.append(here / name)
                dirs.remove(name)
        found.extend(here / n for n in names if _is_timeline(here / n, suffixes))
    return sorted(found)


def check(subject: Any, *, stage: str | None = None, policy: str | None = None,
          approvals: str | Path | None = None, config: str | Path | None = None,
          as_of: dt.date | None = None) -> list[SubjectResult]:
    """Check a timeline file (path) or an in-memory subject (e.g. an OTIO timeline).

    Returns one :class:`~aigate.model.SubjectResult` per timeline. Raises
    :class:`~aigate.errors.AigateError` subclasses for bad input, never a bare traceback.
    """
    options = Options(stage=stage, policy=policy,
                      approvals=Path(approvals) if approvals else None,
                      config=Path(config) if config else None, as_of=as_of)
    session = Session(options)
    if isinstance(subject, str | Path):
        return session.check_file(Path(subject))
    if subject is None:
        raise UsageError("nothing to check")
    return session.gate().check(subject, stage=stage)
