"""aigate.yaml: finding it, trusting it, reading it; and the YAML and path-pattern helpers
the policy and approvals read with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aigate.config.settings import (
        CONFIG_ENV,
        CONFIG_NAME,
        DEFAULT_POLICY,
        DEFAULT_STAGE_RULES,
        HOOK_READ_MODES,
        TRUSTED_ROOTS_ENV,
        Config,
        ConfigOrigin,
        ConfigSource,
        HookSettings,
        MediaSettings,
        PluginSettings,
        Remap,
        StageRule,
        config_path_from_env,
        find_config,
        load_config,
        locate_config,
        trusted_roots_from_env,
    )

__all__ = [
    "CONFIG_ENV",
    "CONFIG_NAME",
    "DEFAULT_POLICY",
    "DEFAULT_STAGE_RULES",
    "HOOK_READ_MODES",
    "TRUSTED_ROOTS_ENV",
    "Config",
    "ConfigOrigin",
    "ConfigSource",
    "HookSettings",
    "MediaSettings",
    "PluginSettings",
    "Remap",
    "StageRule",
    "config_path_from_env",
    "find_config",
    "load_config",
    "locate_config",
    "trusted_roots_from_env",
]


def __getattr__(name: str) -> Any:
    # loaded on first use: the YAML helpers and the user-cache store below are used where
    # no config is (the OTIO import hook asks whether anything could govern a file)
    if name not in __all__:
        # a submodule by attribute (aigate.config.globs after `import aigate.config`), as
        # when this package imported the settings, and with them its helpers, eagerly
        return _submodule(name)
    from aigate.config import settings

    value = getattr(settings, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _submodule(name: str) -> Any:
    import importlib

    if not name.startswith("_"):
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise  # a module it imports is missing: say so
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
