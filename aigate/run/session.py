"""Checking many files: expand paths, find each file's config, reuse one gate per config,
and keep going when a file is bad."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aigate.config import (
    CONFIG_NAME,
    Config,
    ConfigSource,
    config_path_from_env,
    globs,
    load_config,
    locate_config,
    trusted_roots_from_env,
)
from aigate.core.gate import Gate, load_subject
from aigate.core.plugins import Plugins, load_plugins
from aigate.errors import AigateError, InputError, PluginError, UsageError, describe
from aigate.model import CheckedFile, FailedFile, FileOutcome, InputProblem, SubjectResult
from aigate.output.report import RegisterFormat, Report, ReportFormat
from aigate.run import pinning
from aigate.run.discovery import expand, quiet_stdout, regular


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
    #: seconds one file may take before it is reported as timed out (None: no limit)
    timeout: float | None = None
    #: set by :meth:`portable` for a spread run (:mod:`aigate.run.pinning`): its id (a
    #: worker's sessions are per run), its evaluation date (UTC), the plugin modules the
    #: submitter's AIGATE_PLUGINS names and every plugin the submitter loaded
    run: str | None = None
    today: dt.date | None = None
    plugin_modules: tuple[str, ...] = ()
    plugin_names: tuple[str, ...] = ()
    #: --rate: the frame rate of files that do not state one (EDLs)
    rate: str | None = None

    def portable(self, plugin_names: tuple[str, ...] = ()) -> Options:
        """These options with what the environment says folded in (AIGATE_STAGE,
        AIGATE_CONFIG, AIGATE_TRUSTED_ROOTS, AIGATE_PLUGINS), paths made absolute where
        they were typed, the evaluation date fixed (UTC), so a worker elsewhere decides
        exactly as this process would, whatever its own environment, folder or time zone."""
        stage = self.stage or os.environ.get("AIGATE_STAGE") or None
        roots = self.trusted_roots if self.trusted_roots is not None else (
            trusted_roots_from_env())
        config = self.config or config_path_from_env()
        modules = tuple(n.strip() for n in os.environ.get("AIGATE_PLUGINS", "").split(",")
                        if n.strip())
        return replace(self, stage=stage, config=config.absolute() if config else None,
                       policy=pinning.absolute(self.policy),
                       approvals=self.approvals.absolute() if self.approvals else None,
                       trusted_roots=tuple(p.absolute() for p in roots) if roots is not None
                       else None,
                       run=self.run or os.urandom(16).hex(),
                       today=self.today or pinning.utc_today(),
                       plugin_modules=self.plugin_modules or modules,
                       plugin_names=plugin_names or self.plugin_names)


class Session:
    """Plugins and one :class:`Gate` per config file, shared by every file of a run."""

    def __init__(self, options: Options = Options(), plugins: Plugins | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        self.options = options
        self.plugins = plugins or load_plugins(strict=options.strict_plugins,
                                               extra=options.plugin_modules)
        #: the plugins loaded before any config adds its own (what a worker compares)
        self.base_plugins = tuple(sorted(self.plugins.origins))
        #: receives warnings that are not findings (a blanket approval, a rejected record)
        self.warn = warn or (lambda message: None)
        # a pinned run's options carry the submitter's environment; a worker's own is not read
        self._pinned = options.config or (config_path_from_env() if options.run is None
                                          else None)
        self._inputs: dict[int, tuple[pinning.Input, ...]] = {}
        self._roots = (tuple(p.resolve() for p in options.trusted_roots)
                       if options.trusted_roots is not None else trusted_roots_from_env())
        self._gates: dict[Path | None, Gate | AigateError] = {}
        self._found: dict[Path, ConfigSource] = {}
        self._exclude_told: set[Path | None] = set()
        #: files a folder or glob found that --exclude or a config's exclude left out, with
        #: the pattern: never dropped silently (listed in JSON and --debug, counted)
        self.excluded_files: dict[str, str] = {}
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
                                  require_media=self.options.require_media,
                                  today=self.options.today)
                self._warn_problems()
                for warning in (*config.exposures, *gate.registry.warnings):
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

    def inputs(self, gate: Gate) -> tuple[pinning.Input, ...]:
        """The files ``gate``'s verdicts rest on, by content (hashed once per gate)."""
        if id(gate) not in self._inputs:
            self._inputs[id(gate)] = pinning.gate_inputs(gate)
        return self._inputs[id(gate)]

    def pinned(self) -> list[str]:
        """What a spread run fixed for its workers, as report lines."""
        inputs = tuple(i for gate in self.gates() for i in self.inputs(gate))
        return pinning.describe(self.options.stage, self.options.today or pinning.utc_today(),
                                inputs, self.options.plugin_names or self.base_plugins)

    def check_file(self, path: Path,
                   expected: tuple[pinning.Input, ...] | None = None) -> list[SubjectResult]:
        gate = self.gate(path)
        if expected is not None:  # the submitter's inputs, by content
            pinning.compare(expected, self.inputs(gate))
        subject = load_subject(self.plugins, path, gate.config.rate_for(self.options.rate))
        return gate.check(subject, stage=self.options.stage, path=path)

    def outcome(self, path: Path,
                expected: tuple[pinning.Input, ...] | None = None) -> FileOutcome:
        """One file's results, or its error: never raises for anything one file does (bad
        input, a plugin's exception, deep recursion, running out of memory); only Ctrl-C
        and termination go through. What readers print or warn goes to stderr, never into
        a report on stdout."""
        try:
            regular(path)
            with quiet_stdout(path), pinning.deadline(path, self.options.timeout):
                return CheckedFile(str(path), self.check_file(path, expected))
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
            runner: Runner | None = None, outputs: Iterable[Path] = ()) -> Report:
        """Check every file ``paths`` name, streamed in input order; bad files are reported,
        never stop the others. ``runner`` spreads files over processes or a cluster
        (:mod:`aigate.run.parallel`); by default they are checked here, one by one. The
        files this run writes (``outputs``) are never inputs, whether or not they exist yet:
        a report written into the folder being checked is not read back as a timeline."""
        paths = list(paths)
        unusable = self.load_configs(paths)
        files, problems = expand(paths, self.timeline_suffixes(), self.excluded,
                                 skipped=lambda p, why: self.warn(f"{p}: skipped: {why}"),
                                 not_a_subject=self.plugins.not_a_subject)
        written = {os.path.realpath(o) for o in outputs}
        if written:
            files = [f for f in files if os.path.realpath(f) not in written]
        # a config that could not be used is reported on the files it governs; if it hid
        # them all (its host plugin refused), it is reported itself: never a silent pass
        governed = {self.config_path(f) for f in files} if unusable else set()
        problems += [p for path, p in unusable.items() if path not in governed]
        outcomes: list[FileOutcome] = [FailedFile(p.path, p) for p in problems]
        stream = (runner or self.serial)(files, progress or _no_progress)
        report = Report(itertools.chain(outcomes, stream), stage=self.options.stage,
                        policy=self.options.policy, files=len(files) + len(problems),
                        pinned=self.pinned)
        report.excluded = self.excluded_files
        report.summary.excluded = len(self.excluded_files)
        return report

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
        hit = next((p for p in patterns if globs.match(str(path), p)), None)
        if hit is not None:
            self.excluded_files.setdefault(str(path), hit)
        return hit is not None

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
