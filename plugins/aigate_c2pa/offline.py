"""The SDK's settings for every read: offline, always.

A C2PA manifest may live at a URL written inside the media file, and a certificate may name
an OCSP responder; reading a delivery must never contact a host its author chose. Every
read goes through a Context built from :func:`offline_settings` (never the SDK's default
context, which fetches). The Context is built once per process and per trust list: the key
holds the process id, so a forked ``--jobs`` worker or a Dask worker builds its own rather
than using one inherited across ``fork``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

#: c2pa-rs settings that keep a read offline (verified with c2pa-python 0.38 / SDK 0.91):
#: no remote manifest fetch, no OCSP fetch, an empty host allow-list (which blocks every
#: request the SDK's HTTP resolvers would make, did:web and timestamps included) and no
#: redirects.
OFFLINE: dict[str, dict[str, Any]] = {
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False, "verify_trust": True},
    "core": {"allowed_network_hosts": [], "allow_redirects": False},
}


def offline_settings(anchors: str | None) -> dict[str, Any]:
    """The settings for one read: :data:`OFFLINE`, plus the trust anchors when given."""
    settings: dict[str, Any] = {key: dict(value) for key, value in OFFLINE.items()}
    if anchors:
        settings["trust"] = {"trust_anchors": anchors}
    return settings


def reader_context(sdk: Any, anchors: str | None) -> Any:
    """This process's offline Context for ``anchors`` (raises when the SDK refuses the
    settings: the caller then does not read, rather than read with the defaults)."""
    return _context(sdk, os.getpid(), anchors)


@lru_cache(maxsize=8)
def _context(sdk: Any, pid: int, anchors: str | None) -> Any:
    settings = sdk.Settings.from_dict(offline_settings(anchors))
    try:
        return sdk.Context(settings)
    finally:
        settings.close()


def signing_context(sdk: Any, anchors: str | None, timestamp_url: str | None) -> Any:
    """A Context for signing: offline like every read (the ingredients are read with it),
    except that the one host the config names as time-stamp authority may be asked."""
    settings_dict = offline_settings(anchors)
    if timestamp_url:
        host = urlsplit(timestamp_url).hostname
        settings_dict["core"]["allowed_network_hosts"] = [host] if host else []
    settings = sdk.Settings.from_dict(settings_dict)
    try:
        return sdk.Context(settings)
    finally:
        settings.close()
