"""The plugin manager: built-ins, then the ``aigate`` entry-point group, then modules named in
AIGATE_PLUGINS or a config's ``plugins:``.

Nothing is registered at import time: :func:`load_plugins` builds a fresh manager. A plugin
that fails to load (import error, hook with a misspelt name or wrong arguments) becomes a
:class:`LoadProblem` that ``aigate`` prints; with ``strict`` it is a :class:`PluginError`.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from . import hookspecs
from .errors import PluginError

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


@dataclass
class Plugins:
    """A plugin manager and the record of how each plugin got there."""

    manager: pluggy.PluginManager
    strict: bool = False
    origins: dict[str, str] = field(default_factory=dict)
    problems: list[LoadProblem] = field(default_factory=list)

    @property
    def hook(self) -> Any:
        return self.manager.hook

    def add(self, plugin: object, name: str, origin: str) -> bool:
        """Register ``plugin``; a failure is recorded (or raised when strict), never silent."""
        if self.manager.has_plugin(name):
            return True
        try:
            self.manager.register(plugin, name=name)
            # a hookimpl whose name matches no spec is a typo, not an optional extra
            self.manager.check_pending()
        except Exception as exc:
            if self.manager.is_registered(plugin):
                self.manager.unregister(plugin)
            self._problem(name, origin, _one_line(exc))
            return False
        self.origins[name] = origin
        return True

    def add_module(self, module_name: str, origin: str) -> bool:
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            self._problem(module_name, origin, f"import failed: {_one_line(exc)}")
            return False
        return self.add(module, module_name, origin)

    def add_modules(self, names: Iterable[str], origin: str) -> None:
        for name in names:
            if name and not self.manager.has_plugin(name):
                self.add_module(name, origin)

    def _problem(self, name: str, origin: str, message: str) -> None:
        problem = LoadProblem(name, origin, message)
        if self.strict:
            raise PluginError(str(problem))
        self.problems.append(problem)

    def info(self) -> list[PluginInfo]:
        """Every registered plugin with where it came from and the hooks it implements."""
        out = []
        for name, plugin in self.manager.list_name_plugin():
            hooks = sorted(h.name for h in self.manager.get_hookcallers(plugin) or ())
            out.append(PluginInfo(name=name, origin=self.origins.get(name, "registered"),
                                  location=_location(plugin), hooks=tuple(hooks)))
        return out


def load_plugins(*, extra: Iterable[str] = (), strict: bool = False,
                 entry_points: bool = True) -> Plugins:
    """A new manager with the built-ins, entry points, AIGATE_PLUGINS and ``extra`` modules."""
    manager = pluggy.PluginManager("aigate")
    manager.add_hookspecs(hookspecs)
    plugins = Plugins(manager, strict=strict)
    plugins.add_modules(DEFAULT_PLUGINS, "builtin")
    if entry_points:
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            origin = f"entry point {ep.dist.name if ep.dist else ep.value}"
            try:
                loaded = ep.load()
            except Exception as exc:
                plugins._problem(ep.name, origin, f"import failed: {_one_line(exc)}")
                continue
            plugins.add(loaded, ep.name, origin)
    env = os.environ.get("AIGATE_PLUGINS", "")
    plugins.add_modules((n.strip() for n in env.split(",")), "AIGATE_PLUGINS")
    plugins.add_modules(extra, "argument")
    return plugins


def _location(plugin: object) -> str:
    if isinstance(plugin, ModuleType):
        return getattr(plugin, "__file__", None) or plugin.__name__
    return f"{type(plugin).__module__}.{type(plugin).__qualname__}"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
