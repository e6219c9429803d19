"""The version of aigate, as pyproject.toml declares it. Its own module, below every layer,
so a layer that stamps what it writes with the version does not go through the package root
(which reaches the public API)."""

from __future__ import annotations

from functools import cache


@cache
def version() -> str:
    """The version pyproject.toml declares: from the installed package's metadata, else (a
    source tree on the path, not installed) from the pyproject.toml beside the package."""
    from importlib import metadata

    try:
        return metadata.version("aigate")
    except metadata.PackageNotFoundError:
        import tomllib
        from pathlib import Path

        try:
            with open(Path(__file__).resolve().parent.parent / "pyproject.toml", "rb") as f:
                return str(tomllib.load(f)["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "0+unknown"
