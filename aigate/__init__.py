"""aigate: a compliance gate for generative-AI material in editorial and VFX pipelines.

The Python API is one call, :func:`check`; :class:`GateLocked` is what an export at the
final stage raises when the verdict is lock; :func:`gate_for` is the gate a host's own hooks
use. Plugins import from :mod:`aigate.api` (everything public, documented there); the names
here are the same objects. Heavy modules load on first use, so ``import aigate`` (and
``aigate --version``) stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["HOOK_API_VERSION", "ExitCode", "Gate", "GateLocked", "__version__", "check",
           "gate_for"]

if TYPE_CHECKING:
    __version__: str

    from aigate.api import HOOK_API_VERSION, ExitCode, Gate, GateLocked, check, gate_for


def __getattr__(name: str) -> Any:
    if name == "__version__":
        # read on first use (metadata is a few milliseconds), then an ordinary attribute
        from aigate.version import version as _version

        globals()["__version__"] = version = _version()
        return version
    if name in ("check", "GateLocked", "Gate", "gate_for", "ExitCode", "HOOK_API_VERSION"):
        from aigate import api

        return getattr(api, name)
    raise AttributeError(f"module 'aigate' has no attribute {name!r}")
