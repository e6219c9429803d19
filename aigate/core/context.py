"""What provenance sources may need besides the items (hook ``aigate_claims``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigate.config import Config
from aigate.core.cache import ProvenanceCache
from aigate.core.media import Media, MediaResolver
from aigate.model import STAGES, Item, Stage


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What provenance sources may need besides the items: where the subject lives, the
    config (ledger, patterns, trust anchors), the stage, the media resolver and the
    provenance cache."""

    subject: str
    path: Path | None
    config: Config
    stage: Stage
    resolver: MediaResolver
    cache: ProvenanceCache | None = None
    #: sha256 worked out from the file in this check (each file read at most once)
    _hashed: dict[Path, str | None] = field(default_factory=dict, repr=False, compare=False)

    @property
    def settings(self) -> Mapping[str, Mapping[str, Any]]:
        """Each plugin's validated ``plugin_settings:`` section, by plugin name (a plugin
        reads its own: ``context.settings.get("my_plugin", {})``)."""
        return self.config.settings_by_plugin()

    def media(self, item: Item) -> Media:
        """The item's media file, resolved once per subject (shared by every source); for
        an image sequence, the first frame the clip uses (the host may name the pattern)."""
        if item.sequence is not None:
            frames = self.resolver.frames(item.sequence)[0]
            if frames:
                return self.resolver.resolve(frames[0])
        return self.resolver.resolve(item.media_url)

    def other_media(self, item: Item) -> list[Media]:
        """The item's other media files (:attr:`Item.other_media`, and every frame of its
        image sequence the clip uses but ``media_url``), resolved the same way: a media
        source reads them too (a claim about one is a claim about the clip)."""
        urls: tuple[str, ...] = item.other_media
        if item.sequence is not None:
            frames = self.resolver.frames(item.sequence)[0]
            # sources read media_url themselves: every other frame is other media
            urls = (*urls, *(f for f in frames if f != item.media_url))
        return [self.resolver.resolve(url) for url in urls]

    def sequence_problem(self, item: Item) -> str:
        """Why the frames of the item's image sequence cannot be read ("" when they can, or
        it has none): past the bound, no placeholder, no frames."""
        return self.resolver.frames(item.sequence)[1] if item.sequence is not None else ""

    def sha256(self, media: Media) -> str | None:
        """The media file's sha256; None when the gate may not read it.

        Decisions rest on it (a pinned approval, a ledger entry), so at the final stage it is
        worked out from the file itself, whatever the provenance cache holds; at other
        stages the cache answers when it knows the file (size, mtime, inode and ctime)."""
        from aigate.core.cache import MISS, sha256_value
        from aigate.core.media import file_sha256

        if not media.readable or media.path is None:
            return None
        if media.path in self._hashed:
            return self._hashed[media.path]
        final = self.stage == STAGES[-1]
        cached = self.cache.get("sha256", media, sha256_value) \
            if self.cache and not final else MISS
        if cached is not MISS:
            return str(cached)
        value = self._hashed[media.path] = file_sha256(media.path)
        if self.cache and value is not None:
            self.cache.put("sha256", media, value)
        return value
