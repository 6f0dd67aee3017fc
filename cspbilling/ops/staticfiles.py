"""Static files: compressed, with content hashes in their names, once collected."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class CollectedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed manifest storage; until `collectstatic` has written a manifest
    (tests, a management command in a fresh clone), plain names served from the app folders.

    `cspbilling serve` always collects at start, so what it serves has hashed names, which
    WhiteNoise answers with a far-future Cache-Control.
    """

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:
            return name
        return super().stored_name(name)
