"""Slow work of a kept build state, run in a forked child while the preview keeps answering:
quotation detection over every text (then the links are applied with ``run(state, links=...)``),
the search index and the archival bundle (moved into the site when done). Each is dropped when
the texts changed meanwhile (its key no longer matches)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..errors import Diagnostics
from ..model import Edition, Link
from ..site import SITE_BUNDLE, SITE_EXPORT
from ..workers import BackgroundJob
from .links import detect
from .render import render_index
from .run import SEARCH_PARTS, run
from .sink import MemorySink
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


def _bundle(edition: Edition, scratch: Path) -> int:
    """Write the site's ``export/`` files into ``scratch``; the zip's size."""
    from .. import export

    tei = export.tei_files(edition)  # the bytes of the site's tei/ (the same function writes them)
    files, _ = export.site_export_files(edition, tei, export.links_json_of(edition), validate=True)
    for rel, data in files.items():
        (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
        (scratch / rel).write_bytes(data)
    return len(files[SITE_BUNDLE])


def start_bundle(state: BuildState) -> BackgroundJob | None:
    """Make the archival bundle (issue 22) of the site as it is now, in a forked process, into a
    scratch directory next to the site.

    Why in the background, as the search index: ``edition build`` writes the bundle and every
    page links it, and a Hugo or MkDocs user expects the preview to be the site the build
    makes, links that work included. But the bundle zips every text and validates the changed
    ones against tei_all (compiling it takes 6-9 s): at each save that would slow the
    save-reload path many times over. So the preview makes it once the editor is idle (after
    the quotations and the search index), a save cancels it, and the index shows the new size
    when it is in place; until then a request for it waits (:mod:`edition.serve.http`)."""
    if not state.bundle_due():
        return None
    assert state.edition is not None
    # what the bundle's header lists of the build's decisions: every diagnostic now (a full
    # build's are of its one run; the preview's, of the run of each text)
    edition = Edition(state.edition.config, state.edition.texts, Diagnostics(state.diagnostics()),
                      state.edition.links)
    scratch = Path(tempfile.mkdtemp(prefix=".bundle-", dir=state.out.parent))
    return BackgroundJob.run(state.bundle_key(), _bundle, (edition, scratch), "bundle", scratch)


def _move_into_site(scratch: Path, out: Path, name: str) -> None:
    """Rename ``scratch/name`` to ``out/name``; what stood there is moved into ``scratch``
    first (removed with it), so the site never lacks the part for longer than two renames."""
    if (out / name).exists():
        os.rename(out / name, scratch / f".old-{name}")
    os.rename(scratch / name, out / name)


def apply_bundle(state: BuildState, key: object, scratch: Path, size: int) -> Report:
    """Put a finished bundle in place (if the texts it holds are still the ones shown) and
    render the index again when the zip's size changed."""
    report = Report("bundle")
    try:
        if key != state.bundle_key():
            return Report("none")
        changed = {p.relative_to(scratch).as_posix() for p in (scratch / SITE_EXPORT).rglob("*") if p.is_file()}
        _move_into_site(scratch, state.out, SITE_EXPORT)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    state.bundle_key_built = key
    if size != state.bundle_size:
        state.bundle_size = size
        memory = MemorySink(state.out)
        render_index(state, memory)
        changed |= memory.commit(state.written, ())
    state.last_changed = changed
    return report


def apply_search(state: BuildState, key: object, scratch: Path) -> Report:
    """Put a finished search index in place (if the texts it indexed are still the ones shown)."""
    report = Report("search")
    try:
        if key != state.search_key():
            return Report("none")
        for name in SEARCH_PARTS:
            if (scratch / name).exists():
                _move_into_site(scratch, state.out, name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    state.search_key_built = key
    state.last_changed = set()  # no page needs reloading for a new index
    return report


__all__ = ["apply_bundle", "apply_links", "apply_search", "detect_now", "start_bundle", "start_detection", "start_search"]
