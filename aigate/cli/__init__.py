"""The ``aigate`` command line: one module per command group."""

from aigate.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
