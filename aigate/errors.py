"""Errors the gate raises on purpose. Each carries one line a user can act on."""

from __future__ import annotations


class AigateError(Exception):
    """Base class: the message is one line naming the file and the place."""


class UsageError(AigateError):
    """The command line or API call was wrong (exit code 2)."""


class InputError(AigateError):
    """A timeline, policy, config or approvals file could not be used (exit code 2)."""


class PluginError(AigateError):
    """A plugin failed to load or misbehaved while --strict-plugins is on."""
