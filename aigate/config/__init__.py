"""aigate.yaml: finding it, trusting it, reading it; and the YAML and path-pattern helpers
the policy and approvals read with."""

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
    "StageRule",
    "config_path_from_env",
    "find_config",
    "load_config",
    "locate_config",
    "trusted_roots_from_env",
]
