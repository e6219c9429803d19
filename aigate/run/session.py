"""Checking many files: expand paths, find each file's config, reuse one gate per config,
and keep going when a file is bad."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import glob
import io
import itertools
import os
import re
import stat
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import globs
from .config import (
    CONFIG_NAME,
    Config,
    ConfigSource,
    config_path_from_env,
    load_config,
    locate_config,
    trusted_roots_from_env,
)
from .errors import AigateError, InputError, PluginError, UsageError, describe
from .gate import Gate, load_subject
from .model import CheckedFile, FailedFile, FileOutcome, InputProblem, SubjectResult
from .plugins import Plugins, load_plugins
from .report import RegisterFormat, Report, ReportFormat


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
    #: folders whose aigate.yaml files may govern (None: AIGATE_TRUSTED_ROOTS decides)
    trusted_roots: tuple[Path, ...] | None = None
    #: path globs a folder or glob expansion skips (with each config's ``exclude``)
    exclude: tuple[str, ...] = ()

    def portable(self) -> Options:
        """These options with what the environment says folded in (AIGATE_STAGE,
        AIGATE_CONFIG, AIGATE_TRUSTED_ROOTS), so a worker elsewhere decides exactly as this
        process would."""
        stage = self.stage or os.environ.get("AIGATE_STAGE") or None
        roots = self.trusted_roots if self.trusted_roots is not None else (
            trusted_roots_from_env())
        return replace(self, stage=stage, config=self.config or config_path_from_env(),
                       trusted_roots=roots)


class Session:
    """Plugins and one :class:`Gate` per config file, shared by every file of a run."""

    def __init__(self, options: Options = Options(), plugins: Plugins | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        self.options = options
        self.plugins = plugins or load_plugins(strict=options.strict_plugins)
        #: receives warnings that are not findings (a blanket approval, a rejected record)
        self.warn = warn or (lambda message: None)
        self._pinned = options.config or config_path_from_env()
        self._roots = (tuple(p.resolve() for p in options.trusted_roots)
                       if options.trusted_roots is not None else trusted_roots_from_env())
        self._gates: dict[Path | None, Gate | AigateError] = {}
        self._found: dict[Path, ConfigSource] = {}
        self._exclude_told: set[Path | None] = set()
        self._warned_problems = len(self.plugins.problems)

    def config_source(self, near: Path | None) -> ConfigSource:
        """Which aigate.yaml governs ``near`` and how far it is trusted (see
        :func:`aigate.config.locate_config`)."""
        if self._pinned is not None or near is None:
            return locate_config(near, pinned=self._pinned, roots=self._roots)
        folder = (near if near.is_dir() else near.parent).resolve()
        if folder not in self._found:
            self._found[folder] = locate_config(folder, pinned=None, roots=self._roots)
        return self._found[folder]

    def config_path(self, near: Path | None) -> Path | None:
        return self.config_source(near).path

    def gate(self, near: Path | None = None) -> Gate:
        """The gate for a file or folder ``near`` (its config found by walking up from
        there), built once per config; without ``near``, the --config/AIGATE_CONFIG one.
        Raises for a config its origin does not allow (see :class:`ConfigSource`)."""
        source = self.config_source(near)
        config_path = source.path
        if config_path not in self._gates:
            try:
                refused = source.refusal()
                if refused is not None:
                    raise refused
                if config_path and not config_path.is_file():
                    raise InputError(f"{config_path}: config file not found")
                config = (load_config(config_path, allow_plugins=source.may_load_plugins)
                          if config_path else Config())
                gate = Gate.build(self.plugins, config, policy=self.options.policy,
                                  approvals=self.options.approvals, as_of=self.options.as_of,
                                  require_media=self.options.require_media)
                self._warn_problems()
                for warning in gate.registry.warnings:
                    self.warn(warning)
                if config.strict_plugins and self.plugins.problems:
                    raise PluginError(f"{config_path}: strict_plugins: "
                                      + "; ".join(map(str, self.plugins.problems)))
                self._gates[config_path] = gate
            except AigateError as exc:
                self._gates[config_path] = exc
        built = self._gates[config_path]
        if isinstance(built, AigateError):
            raise built
        return built

    def _warn_problems(self) -> None:
        """Plugin load problems not yet told (a config's ``plugins:`` adds some)."""
        for problem in self.plugins.problems[self._warned_problems:]:
            self.warn(str(problem))
        self._warned_problems = len(self.plugins.problems)

    def gates(self) -> list[Gate]:
        """Every gate built so far (one per config met)."""
        return [g for g in self._gates.values() if isinstance(g, Gate)]

    def check_file(self, path: Path) -> list[SubjectResult]:
        gate = self.gate(path)
        subject = load_subject(self.plugins, path)
        return gate.check(subject, stage=self.options.stage, path=path)

    def outcome(self, path: Path) -> FileOutcome:
        """One file's results, or its error: never raises for anything one file does (bad
        input, a plugin's exception, deep recursion, running out of memory); only Ctrl-C
        and termination go through. What readers print or warn goes to stderr, never into
        a report on stdout."""
        try:
            regular(path)
            with quiet_stdout(path):
                return CheckedFile(str(path), self.check_file(path))
        except AigateError as exc:
            return FailedFile(str(path), problem(path, exc))
        except Exception as exc:  # isolation: one file never stops a run
            return FailedFile(str(path), InputProblem(str(path), describe(exc)))

    def load_configs(self, paths: Iterable[str]) -> dict[Path | None, InputProblem]:
        """Build the gate of every config that can govern files under ``paths`` before they
        are expanded, so a host plugin a config names contributes its suffixes to the
        search. Returns why each config that cannot be used could not, by its path."""
        nears: list[Path | None] = []
        if self._pinned is not None:
            nears.append(None)
        else:
            for text in paths:
                path = Path(text)
                if path.is_dir():
                    nears.append(path)
                    nears.extend(Path(root) for root, _, names in os.walk(path)
                                 if CONFIG_NAME in names)
        unusable: dict[Path | None, InputProblem] = {}
        for near in nears:
            try:
                self.gate(near)
            except AigateError as exc:
                config = self.config_path(near)
                where, _, message = str(exc).partition(": ")
                unusable[config] = (InputProblem(where, message)
                                    if where.startswith(str(config)) and message
                                    else problem(str(config), exc))
        return unusable

    def formats(self) -> dict[str, ReportFormat]:
        """The report formats plugins offer ``check``, by name (a name two plugins give is
        an error naming both)."""
        return self.plugins.report_formats(ReportFormat)

    def register_formats(self) -> dict[str, RegisterFormat]:
        """The disclosure register formats plugins offer ``register``, by name."""
        return self.plugins.report_formats(RegisterFormat)

    def timeline_suffixes(self) -> set[str]:
        return {s.lower() for group in self.plugins.hook.aigate_subject_suffixes()
                for s in group or ()}

    def run(self, paths: Iterable[str], progress: Progress | None = None,
            runner: Runner | None = None) -> Report:
        """Check every file ``paths`` name, streamed in input order; bad files are reported,
        never stop the others. ``runner`` spreads files over processes or a cluster
        (:mod:`aigate.parallel`); by default they are checked here, one by one."""
        paths = list(paths)
        unusable = self.load_configs(paths)
        files, problems = expand(paths, self.timeline_suffixes(), self.excluded,
                                 skipped=lambda p, why: self.warn(f"{p}: skipped: {why}"))
        # a config that could not be used is reported on the files it governs; if it hid
        # them all (its host plugin refused), it is reported itself: never a silent pass
        governed = {self.config_path(f) for f in files} if unusable else set()
        problems += [p for path, p in unusable.items() if path not in governed]
        outcomes: list[FileOutcome] = [FailedFile(p.path, p) for p in problems]
        stream = (runner or self.serial)(files, progress or _no_progress)
        return Report(itertools.chain(outcomes, stream), stage=self.options.stage,
                      policy=self.options.policy, files=len(files) + len(problems))

    def excluded(self, path: Path) -> bool:
        """Whether --exclude or the ``exclude`` of the config that applies to ``path``
        names it (a bad config is reported when the file is checked, not here). A config
        that is merely discovered (not pinned, not inside the trusted roots) may sit in a
        delivery: its ``exclude`` would hide the delivery's own timelines, so it is not
        honoured (said once), as its ``plugins`` are not."""
        patterns = self.options.exclude
        try:
            config = self.gate(path).config
        except AigateError:
            config = None
        if config is not None and config.exclude:
            source = self.config_source(path)
            if source.may_load_plugins:
                patterns += config.exclude
            elif source.path not in self._exclude_told:
                self._exclude_told.add(source.path)
                self.warn(f"{source.path}: exclude: not honoured in a discovered config (pin "
                          "it with --config, or list its folder in AIGATE_TRUSTED_ROOTS): "
                          "every timeline is checked")
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


def regular(path: Path) -> None:
    """Refuse what must never be opened: FIFOs, devices and sockets (opening one can block
    forever), and symlink loops. Folders pass (a bundle such as .otiod is one)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{path}: symlink loop: not followed") from None
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return
    kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file")
    raise InputError(f"{path}: {kind}, not a regular file: skipped, never opened")


@contextlib.contextmanager
def quiet_stdout(path: Path) -> Iterator[None]:
    """Keep stdout for the report while a file is read and checked: what adapters print
    (the AAF adapter's "Unable find slot_id...") and the warnings they raise are sent to
    stderr, each line naming the file."""
    printed = io.StringIO()
    try:
        with warnings.catch_warnings(record=True) as caught, \
                contextlib.redirect_stdout(printed):
            warnings.simplefilter("always")
            yield
    finally:
        notes = [line for line in printed.getvalue().splitlines() if line.strip()]
        notes += [f"{w.category.__name__}: {w.message}" for w in caught]
        for note in dict.fromkeys(notes):
            print(f"aigate: note: {path}: {note}", file=sys.stderr)


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
            files.extend(walked := found(_walk(path, suffixes)))
            if not walked:
                problems.append(InputProblem(text, "no timeline file in this folder "
                                             f"(searched recursively for {_listed(suffixes)})"))
        elif path.exists() or path.is_symlink():  # a loop or dangling link: reported later
            files.append(path)
        elif glob.has_magic(text):
            matches = sorted(Path(p) for p in glob.glob(text, recursive=True))
            chosen = [p for p in matches
                      if p.is_file() or (p.is_dir() and _is_timeline(p, suffixes))]
            if not matches:
                problems.append(InputProblem(text, "no file matches this pattern"))
            elif not chosen:
                problems.append(InputProblem(text, f"the pattern matches {len(matches)} "
                                             "folder(s) or other entries but no timeline file"))
            files.extend(found(chosen))
        else:
            problems.append(InputProblem(text, "no such file or folder"))
    return list(dict.fromkeys(files)), problems


def _listed(suffixes: set[str]) -> str:
    return ", ".join(f".{s}" for s in sorted(suffixes)) or "no suffix: no host plugin loaded"


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
    # a hidden timeline is still a timeline; "._name" is macOS's AppleDouble companion file
    return path.suffix.lower().lstrip(".") in suffixes and not path.name.startswith("._")


def _walk(folder: Path, suffixes: set[str]) -> list[Path]:
    """Timeline files below ``folder``; a bundle folder (.otiod) is one timeline, not a
    folder to search. Symlinked folders are followed (a delivery often links its reels in),
    each real folder once, so a link loop ends."""
    found = []
    seen = {os.path.realpath(folder)}
    for root, dirs, names in os.walk(folder, followlinks=True):
        here = Path(root)
        for name in list(dirs):
            if _is_timeline(here / name, suffixes):
                found.append(here / name)
                dirs.remove(name)
                continue
            real = os.path.realpath(here / name)
            if real in seen:
                dirs.remove(name)
            else:
                seen.add(real)
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
