"""Full-text search index (Pagefind); see issue 6."""

from __future__ import annotations

from pathlib import Path

from .model import Edition


def index(edition: Edition, out: Path) -> None:
    """Not built yet: the site has no search index."""
    return None
