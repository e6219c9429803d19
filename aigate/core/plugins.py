"""The plugin manager: built-ins, then the ``aigate`` entry-point group, then modules named in
AIGATE_PLUGINS or a config's ``plugins:``.

Nothing is registered at import time: :func:`load_plugins` builds a fresh manager. A plugin
that fails to load (import error, hook with a misspelt name or wrong arguments, even a
``SystemExit`` at import) becomes a :class:`LoadProblem` that ``aigate`` prints; with
``strict`` it is a :class:`PluginError`. A module registered from two sources (an entry point
and AIGATE_PLUGINS, say) loads once.

Every hook implementation is guarded: whatever it raises besides the gate's own errors
(:class:`~aigate.errors.AigateError`) and a Ctrl-C, ``SystemExit`` and ``GeneratorExit``
included, comes out of the hook call as a :class:`HookError` naming the plugin and the hook,
so a misbehaving plugin makes that file an error, never a clean exit.

What plugins contribute by name (rule ids, policy pack names, report format names) must be
unique: two plugins offering the same name is a :class:`PluginError` naming both, never one
silently replacing the other.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from aigate.config.yamlfile import suggest
from aigate.core import hookspecs, installed
from aigate.core.formats import AnyFormat, RegisterFormat, ReportFormat
from aigate.core.policy import Rule
from aigate.errors import AigateError, InputError, PluginError, Terminated, describe, one_line

if TYPE_CHECKING:
    from aigate.config import Config

ENTRY_POINT_GROUP = "aigate"

#: The built-in plugins, in registration order. Each uses only the public hooks.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "aigate_otio",
    "aigate_blender",
    "aigate_kdenlive",
    "aigate_metadata",
    "aigate_c2pa",
    "aigate_xmp",
    "aigate_ledger",
    "aigate_paths",
    "aigate_guidance",
    "aigate_reports",
)


@dataclass(frozen=True, slots=True)
class PluginInfo:
    name: str
    origin: str  # "builtin", "entry point <dist>", "AIGATE_PLUGINS", "config <path>"
    location: str
    hooks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LoadProblem:
    name: str
    origin: str
    message: str

    def __str__(self) -> str:
        return f"plugin {self.name!r} ({self.origin}) not loaded: {self.message}"


class HookError(PluginError):
    """A plugin's hook raised something other than the gate's own errors: the file being
    checked is an error naming the plugin and the hook (never a pass, never an exit)."""

    def __init__(self, plugin: str, hook: str, exc: BaseException | None,
                 message: str | None = None) -> None:
        #: what the plugin raised (None once sent across processes: only the text travels)
        self.plugin, self.hook, self.exc = plugin, hook, exc
        if message is None:
            what = f": {describe(exc)}" if exc is not None else ""
            message = f"plugin {plugin!r} failed in {hook}{what}"
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        # picklable for worker processes, whatever the plugin's own exception is
        return (HookError, (self.plugin, self.hook, None, str(self)))


def _passes_through(exc: BaseException) -> bool:
    """The gate's own errors keep their message; a Ctrl-C or a termination signal stays one
    (exit 130, 143)."""
    return isinstance(exc, AigateError | KeyboardInterrupt | Terminated)


def _guard(function: Callable[..., Any], plugin: str, hook: str) -> Callable[..., Any]:
    @functools.wraps(function)
    def guarded(*args: Any) -> Any:
        try:
            result = function(*args)
        except BaseException as exc:
            if _passes_through(exc):
                raise
            raise HookError(plugin, hook, exc) from exc
        # a hook may answer lazily (a generator): guard the iteration too
        if isinstance(result, Iterator):
            result = _guarded_iter(result, plugin, hook)
        if hook in _CONTRIBUTING and result is not None:
            result = [_guard_contribution(value, plugin) for value in result]
        return result
    return guarded


class GuardedPlugin:
    """What pluggy registers for a plugin: each of its hook implementations wrapped by
    :func:`_guard` (wrappers around other implementations are left as they are), under
    the same attribute names, with the same hookimpl marks and signatures (the guard keeps
    ``__wrapped__``, so pluggy checks the plugin's own argument names). ``plugin`` is the
    module or object itself."""

    def __init__(self, plugin: object, name: str, manager: pluggy.PluginManager) -> None:
        self.plugin = plugin
        for attr in dir(plugin):
            opts = manager.parse_hookimpl_opts(plugin, attr)
            if opts is None:
                continue
            function = getattr(plugin, attr)
            if not (opts.get("wrapper") or opts.get("hookwrapper")):
                function = _guard(function, name, opts.get("specname") or attr)
            setattr(self, attr, function)


#: hooks whose answers carry the plugin's code, called later (rule checks, report parts)
_CONTRIBUTING = ("aigate_rules", "aigate_report_formats")


def _guard_contribution(value: Any, plugin: str) -> Any:
    if isinstance(value, Rule):
        return replace(value, check=_guard(value.check, plugin, f"rule {value.id}"))
    if isinstance(value, ReportFormat):
        where = f"report format {value.name}"
        return replace(value, head=_guard(value.head, plugin, where),
                       subject=_guard(value.subject, plugin, where),
                       tail=_guard(value.tail, plugin, where),
                       problem=_guard(value.problem, plugin, where))
    if isinstance(value, RegisterFormat):
        return replace(value, write=_guard(value.write, plugin,
                                           f"register format {value.name}"))
    return value


def _guarded_iter(items: Iterator[Any], plugin: str, hook: str) -> Iterator[Any]:
    while True:
        try:
            value = next(items)
        except StopIteration:
            return
        except BaseException as exc:
            if _passes_through(exc):
                raise
            raise HookError(plugin, hook, exc) from exc
        yield value  # a GeneratorExit thrown in here (the reader stopped) is not the plugin's


@dataclass
class Plugins:
    """A plugin manager and the record of how each plugin got there."""

    manager: pluggy.PluginManager
    strict: bool = False
    origins: dict[str, str] = field(default_factory=dict)
    problems: list[LoadProblem] = field(default_factory=list)
    #: module names already tried (loaded or not): a second source does not load it again
    tried: set[str] = field(default_factory=set)
    #: an entry point's name -> the plugin name it registered under (its module's)
    aliases: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # backstop for what the per-implementation guard cannot see (hook wrappers)
        self.manager.add_hookcall_monitoring(_before_call, _after_call)

    @property
    def hook(self) -> Any:
        return self.manager.hook

    def add(self, plugin: object, name: str, origin: str) -> bool:
        """Register ``plugin``; a failure is recorded (or raised when strict), never silent."""
        # the same module under another name (an entry point named differently from the
        # module AIGATE_PLUGINS names) is one plugin: its hooks must run once
        if self.manager.has_plugin(name) or self.registered(plugin):
            return True
        unmarked = self._unmarked_hooks(plugin)
        if unmarked:
            self._problem(name, origin, unmarked)
            return False
        # pluggy is handed the plugin with each hook implementation already guarded (a
        # bug names the plugin and the hook): nothing of pluggy's is changed after
        guarded = GuardedPlugin(plugin, name, self.manager)
        try:
            self.manager.register(guarded, name=name)
            # a hookimpl whose name matches no spec is a typo, not an optional extra
            self.manager.check_pending()
        except Exception as exc:
            if self.manager.is_registered(guarded):
                self.manager.unregister(guarded)
            self._problem(name, origin, one_line(exc) + self._did_you_mean(plugin))
            return False
        self.origins[name] = origin
        return True

    def registered(self, plugin: object) -> bool:
        """Whether ``plugin`` (the module or object itself) is registered, under any name."""
        return any(getattr(p, "plugin", None) is plugin for p in self.manager.get_plugins())

    def _specs(self) -> list[str]:
        return [n for n in dir(self.manager.hook) if n.startswith("aigate_")
                and getattr(self.manager.hook, n).spec is not None]

    def _unmarked_hooks(self, plugin: object) -> str:
        """Functions named like a hook but not marked ``@hookimpl``, which pluggy would
        silently never call: a hook's name without the mark, or a misspelt one (named with
        the hook it is closest to). Other ``aigate_*`` helpers are the plugin's own."""
        import inspect

        specs = self._specs()
        found = []
        for attr in dir(plugin):
            function = getattr(plugin, attr, None) if attr.startswith("aigate_") else None
            if not inspect.isroutine(function) or hasattr(function, "aigate_impl"):
                continue
            if attr in specs:
                found.append(f"{attr!r} is not marked @hookimpl (from aigate.api): it would "
                             "never be called")
            elif hint := suggest(attr, specs):
                found.append(f"unknown hook {attr!r}{hint}, not marked @hookimpl either")
        return "; ".join(found)

    def _did_you_mean(self, plugin: object) -> str:
        """For a hook implementation whose name is no spec: the closest spec's name."""
        specs = self._specs()
        hints = []
        for attr in dir(plugin):
            function = getattr(plugin, attr, None)
            if getattr(function, "aigate_impl", None) is not None and attr not in specs:
                hint = suggest(attr, specs)
                if hint:
                    hints.append(f"{attr!r}{hint}")
        return f" ({'; '.join(hints)})" if hints else ""

    def add_module(self, module_name: str, origin: str) -> bool:
        self.tried.add(module_name)
        try:
            module = importlib.import_module(module_name)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # SystemExit(0) at import must not end the run clean
            self._problem(module_name, origin, f"import failed: {one_line(exc)}")
            return False
        return self.add(module, module_name, origin)

    def add_modules(self, names: Iterable[str], origin: str) -> None:
        for name in names:
            if name and name not in self.tried and not self.manager.has_plugin(name):
                self.add_module(name, origin)

    def _problem(self, name: str, origin: str, message: str) -> None:
        problem = LoadProblem(name, origin, message)
        if self.strict:
            raise PluginError(str(problem))
        self.problems.append(problem)

    def contributions(self, hook: str) -> list[tuple[str, Any]]:
        """Each plugin's answer to an argument-less hook, with the plugin's name, in the
        order pluggy calls them (latest registered first); plugins answering None left out."""
        caller = getattr(self.manager.hook, hook)
        answers = []
        for impl in reversed(caller.get_hookimpls()):
            if impl.wrapper or impl.hookwrapper:
                continue
            # guarded (see add): a plugin's bug names the plugin, and so do its rules
            answer = impl.function()
            if answer is not None:
                answers.append((impl.plugin_name, answer))
        return answers

    def rules(self) -> dict[str, Rule]:
        """Every contributed rule by id; one id from two plugins is an error naming both."""
        return _unique(((p, r.id, r) for p, group in self.contributions("aigate_rules")
                        for r in group), "rule id")

    def packs(self) -> dict[str, Path]:
        """Every built-in policy pack by name; one name from two plugins is an error."""
        return _unique(((p, name, Path(path))
                        for p, group in self.contributions("aigate_policy_packs")
                        for name, path in dict(group).items()), "policy pack")

    def report_formats(self, kind: type[AnyFormat]) -> dict[str, AnyFormat]:
        """The formats of one kind by name: :class:`~aigate.core.formats.ReportFormat` (``check
        --format``) or :class:`~aigate.core.formats.RegisterFormat` (``register --format``). A name
        is unique within its kind (``json`` is both); one from two plugins is an error."""
        what = "register format" if kind.__name__ == "RegisterFormat" else "report format"
        return _unique(((p, f.name, f)
                        for p, group in self.contributions("aigate_report_formats")
                        for f in group if isinstance(f, kind)), what)

    def not_a_subject(self, path: Path) -> str | None:
        """Why a file a search found is not a subject, as its host plugin sees it (hook
        ``aigate_not_a_subject``), or None."""
        why = self.hook.aigate_not_a_subject(path=path)
        return str(why) if why else None

    def bundled_media(self, path: Path | None) -> frozenset[str]:
        """The media the subject file ``path`` packs inside itself (hook
        ``aigate_bundled_media``): there, but not read."""
        if path is None:
            return frozenset()
        return frozenset(self.hook.aigate_bundled_media(path=path) or ())

    def sidecar_names(self, media: Path) -> tuple[str, ...]:
        """The files beside ``media`` that provenance sources read as its own (hook
        ``aigate_sidecar_names``), each name once, in the order the plugins give them."""
        return tuple(dict.fromkeys(name for group in self.hook.aigate_sidecar_names(media=media)
                                   for name in group or ()))

    def render_help(self) -> list[str]:
        """Each rendering host's paragraph for ``aigate render --help``."""
        return [text for _, text in self.contributions("aigate_render_help")]

    def validate_settings(self, config: Config) -> Config:
        """``config`` with each ``plugin_settings:`` section as its plugin validated it
        (hook ``aigate_validate_settings``). A section for a plugin that is not loaded, or
        that no plugin answers for, is an :class:`~aigate.errors.InputError` naming the
        file and line: settings nobody reads would be a silent misconfiguration."""
        from aigate.config import PluginSettings

        validated: list[PluginSettings] = []
        names = [n for n, _ in self.manager.list_name_plugin()]
        for entry in config.plugin_settings:
            if entry.name in self.aliases and not self.manager.has_plugin(entry.name):
                raise InputError(f"{entry.where}: plugin_settings: {entry.name!r} is the "
                                 "entry point of plugin "
                                 f"{self.aliases[entry.name]!r}; its settings go under "
                                 f"{self.aliases[entry.name]!r} (a plugin is named by its "
                                 "module however it is registered)")
            if not self.manager.has_plugin(entry.name):
                raise InputError(f"{entry.where}: plugin_settings: no plugin named "
                                 f"{entry.name!r} is loaded{suggest(entry.name, names)} "
                                 "(see 'aigate plugins')")
            values = self.hook.aigate_validate_settings(
                name=entry.name, settings=entry.values, where=entry.where)
            if values is None:
                raise InputError(f"{entry.where}: plugin_settings: plugin {entry.name!r} "
                                 "takes no settings (no aigate_validate_settings answers "
                                 "for it)")
            validated.append(replace(entry, values=dict(values)))
        return replace(config, plugin_settings=tuple(validated))

    def info(self) -> list[PluginInfo]:
        """Every registered plugin with where it came from and the hooks it implements."""
        out = []
        for name, plugin in self.manager.list_name_plugin():
            hooks = sorted(h.name for h in self.manager.get_hookcallers(plugin) or ())
            own = plugin.plugin if isinstance(plugin, GuardedPlugin) else plugin
            out.append(PluginInfo(name=name, origin=self.origins.get(name, "registered"),
                                  location=_location(own), hooks=tuple(hooks)))
        return out


def _unique(named: Iterable[tuple[str, str, Any]], what: str) -> dict[str, Any]:
    """``{name: value}`` from ``(plugin, name, value)``; a name two plugins give is an error."""
    found: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for plugin, name, value in named:
        if name in found:
            if owner[name] == plugin:
                raise PluginError(f"{what} {name!r} is contributed twice by plugin {plugin!r}")
            # answers come latest-registered first: name the earlier plugin first
            raise PluginError(f"{what} {name!r} is contributed by two plugins: "
                              f"{plugin!r} and {owner[name]!r}")
        found[name], owner[name] = value, plugin
    return found


def load_plugins(*, extra: Iterable[str] = (), strict: bool = False,
                 entry_points: bool = True) -> Plugins:
    """A new manager with the built-ins, entry points, AIGATE_PLUGINS and ``extra`` modules."""
    manager = pluggy.PluginManager("aigate")
    manager.add_hookspecs(hookspecs)
    plugins = Plugins(manager, strict=strict)
    plugins.add_modules(DEFAULT_PLUGINS, "builtin")
    if entry_points:
        # remembered per installed distributions: the scan reads every one's metadata
        for ep in installed.entry_points(ENTRY_POINT_GROUP):
            origin = f"entry point {ep.dist or ep.value}"
            plugins.tried.add(ep.module)
            try:
                loaded = ep.load()
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # SystemExit at import is a load problem too
                plugins._problem(ep.name, origin, f"import failed: {one_line(exc)}")
                continue
            # a module is named by its import name however it is registered (entry point,
            # AIGATE_PLUGINS, config), so its plugin_settings section is too; an entry
            # point's own name is kept as an alias, to say where the settings go instead
            name = loaded.__name__ if isinstance(loaded, ModuleType) else ep.name
            if name != ep.name:
                plugins.aliases[ep.name] = name
            plugins.add(loaded, name, origin)
    env = os.environ.get("AIGATE_PLUGINS", "")
    plugins.add_modules((n.strip() for n in env.split(",")), "AIGATE_PLUGINS")
    plugins.add_modules(extra, "argument")
    return plugins


def _before_call(hook: str, impls: Sequence[pluggy.HookImpl],
                 kwargs: Mapping[str, object]) -> None:
    pass


def _after_call(outcome: pluggy.Result[Any], hook: str, impls: Sequence[pluggy.HookImpl],
                kwargs: Mapping[str, object]) -> None:
    exc = outcome.exception
    if exc is None or _passes_through(exc):
        return
    wrappers = [i.plugin_name for i in impls if i.wrapper or i.hookwrapper]
    outcome.force_exception(HookError(", ".join(wrappers) or "unknown", hook, exc))


def _location(plugin: object) -> str:
    if isinstance(plugin, ModuleType):
        return getattr(plugin, "__file__", None) or plugin.__name__
    return f"{type(plugin).__module__}.{type(plugin).__qualname__}"
