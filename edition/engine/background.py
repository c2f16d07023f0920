"""Slow work of a kept build state, run in a forked child while the preview keeps answering:
quotation detection over every text (then the links are applied with ``run(state, links=...)``)
and the search index (moved into the site when done). Both are dropped when the texts changed
meanwhile (their key no longer matches)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..errors import Diagnostics
from ..model import Edition, Link
from ..workers import BackgroundJob
from .links import detect
from .run import SEARCH_PARTS, run
from .state import BuildState, Report


def start_detection(state: BuildState) -> BackgroundJob | None:
    """Detect quotations over every text in a forked process."""
    if not state.detection_due():
        return None
    assert state.config is not None
    texts = state.phase1_texts(Diagnostics())
    return BackgroundJob.run(state.snapshot_key(), detect, (state.config, texts), "quotations")


def apply_links(state: BuildState, key: object, links: list[Link]) -> Report:
    """Take the links of a finished detection over the texts ``key`` names (nothing when the
    texts changed since: a newer detection will come)."""
    if key != state.snapshot_key():
        return Report("none")
    return run(state, links=links)


def detect_now(state: BuildState) -> Report:
    """Detect quotations in this process and apply them (tests, benchmarks)."""
    if not state.detection_due():
        return Report("none")
    assert state.config is not None
    key = state.snapshot_key()
    return apply_links(state, key, detect(state.config, state.phase1_texts(Diagnostics())))


def _index(edition: Edition, out: Path) -> list[str]:
    from .. import search

    diags = Diagnostics()
    search.index(edition, out, diags)
    return [str(d) for d in diags.items]


def start_search(state: BuildState) -> BackgroundJob | None:
    """Build the search index of the site as it is now, in a forked process, into a scratch
    directory next to the site."""
    if not state.search_due():
        return None
    scratch = Path(tempfile.mkdtemp(prefix=".search-", dir=state.out.parent))
    return BackgroundJob.run(state.search_key(), _index, (state.edition, scratch), "search", scratch)


def apply_search(state: BuildState, key: object, scratch: Path) -> Report:
    """Put a finished search index in place (if the texts it indexed are still the ones shown)."""
    report = Report("search")
    try:
        if key != state.search_key():
            return Report("none")
        for name in SEARCH_PARTS:
            src, dst = scratch / name, state.out / name
            if not src.exists():
                continue
            if dst.exists():
                os.rename(dst, scratch / f".old-{name}")
            os.rename(src, dst)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    state.search_key_built = key
    state.last_changed = set()  # no page needs reloading for a new index
    return report


__all__ = ["apply_links", "apply_search", "detect_now", "start_detection", "start_search"]
