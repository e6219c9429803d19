"""The host's name and the file suffixes it reads: known without importing the reader."""

from __future__ import annotations

HOST = "kdenlive"
SUFFIXES = ("kdenlive", "mlt")
