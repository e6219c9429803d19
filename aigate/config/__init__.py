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
        raise AttributeError(f"module 'aigate.config' has no attribute {name!r}")
    from aigate.config import settings

    value = getattr(settings, name)
    globals()[name] = value
    return value
