"""aigate: a compliance gate for generative-AI material in editorial and VFX pipelines.

The Python API is one call, :func:`check`; :class:`GateLocked` is what an export at the
final stage raises when the verdict is lock. Heavy modules load on first use, so
``import aigate`` (and ``aigate --version``) stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["GateLocked", "__version__", "check"]

if TYPE_CHECKING:
    from .batch import check
    from .gate import GateLocked


def __getattr__(name: str) -> Any:
    if name == "check":
        from .batch import check

        return check
    if name == "GateLocked":
        from .gate import GateLocked

        return GateLocked
    raise AttributeError(f"module 'aigate' has no attribute {name!r}")
