"""Render an edition's site into a sink: every page (:func:`render_all`), or the pages a change
touches (:func:`render_some`). :func:`render_text` is the one place that says what belongs to a text."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import jinja2

from .. import export, pipeline, workers
from ..errors import Diagnostic, Diagnostics
from ..model import Edition, Text
from ..pages import write_all as write_edition_pages
from ..render.templates import make_env
from ..site import SiteWriter
from ..tei import XML_ID
from .sink import DirectorySink, Sink
from .state import BuildState


def render_text(writer: SiteWriter, text: Text) -> None:
    """A text's pages, its TEI file and the copies of its source and sidecar."""
    writer.text_pages(text)
    writer.source(text)
    writer.write(f"tei/{text.id}.xml", export.serialize_text(text))


def files_of_text(writer: SiteWriter, text: Text) -> set[str]:
    """The site paths :func:`render_text` writes for ``text``."""
    files = {p.url for p in writer.plan.pages.get(text.id, [])}
    files.add(f"tei/{text.id}.xml")
    if text.path is not None:
        files.add(f"sources/{text.source.as_posix()}")
        meta = text.meta.meta_path
        if meta and meta != text.source:
            files.add(f"sources/{meta.as_posix()}")
    return files


def _render_chunk(writer: SiteWriter, ids: list[str]) -> tuple[set[str], dict[str, int], list[Diagnostic]]:
    before = len(writer.diags.items)
    for tid in ids:
        render_text(writer, writer.edition.texts[tid])
    assert isinstance(writer.sink, DirectorySink)
    return writer.written, writer.sink.hashes, writer.diags.items[before:]


def render_all(
    edition: Edition, sink: Sink, env: jinja2.Environment | None = None, jobs: int | None = None, *,
    bundle: bool = False, make_bundle: Callable[[], int] | None = None, bundle_size: int | None = None,
) -> SiteWriter:
    """Write every file of the site into ``sink``.

    ``bundle``: the pages link the archival bundle ``export/`` (issue 22). ``make_bundle``
    writes it (``edition build``), once every other file is written (it is made from the site's
    TEI files and ``links.json``), and returns the zip's size; else ``bundle_size`` is the size
    of the zip the site holds (serve makes it in the background). The index, which shows the
    size, is written last."""
    writer = SiteWriter(edition, sink, edition.diagnostics, env, bundle=bundle)
    writer.static()
    ids = list(edition.texts)
    n = workers.jobs_for(len(ids), pipeline.PARALLEL_MIN, jobs) if isinstance(sink, DirectorySink) else 1
    if n > 1:
        # Each text's pages, source copy and TEI file are independent: render them in
        # forked workers that inherit the writer (lxml trees do not pickle) and write
        # into the sink's directory themselves.
        chunks = [ids[i :: n * 4] for i in range(n * 4)]
        for written, hashes, items in workers.fork_map(_render_chunk, writer, chunks, n, ordered=False):
            writer.written.update(written)
            sink.hashes.update(hashes)
            writer.diags.extend(items)  # what a worker recorded would be lost otherwise
    else:
        for tid in ids:
            render_text(writer, edition.texts[tid])
    write_edition_pages(writer)
    if make_bundle is not None:
        bundle_size = make_bundle()
    writer.index(bundle_size)
    return writer


def render_index(state: BuildState, sink: Sink) -> None:
    """The index alone (serve: the archival bundle made in the background has a new size)."""
    assert state.edition is not None and state.config is not None
    if state.env is None:
        state.env = make_env(state.config)
    writer = SiteWriter(state.edition, sink, Diagnostics(), state.env, bundle=state.background_bundle)
    writer.index(state.bundle_size)
    state.index_key = index_key(state, writer)


def index_key(state: BuildState, writer: SiteWriter, per_text: object = None) -> object:
    """What the index shows: each text's metadata and pages (``per_text``, when already
    computed), the number of links, the configuration, the archival bundle's size."""
    per_text = per_text_key(writer) if per_text is None else per_text
    return (per_text, len(writer.edition.links), repr(state.config), state.bundle_size)


def per_text_key(writer: SiteWriter) -> object:
    """Each text's metadata and pages (what the index and the edition-wide pages list)."""
    return tuple(
        (tid, repr(tx.meta), tuple((p.url, p.title, p.kind, p.date, p.genre) for p in writer.plan.pages[tid]))
        for tid, tx in sorted(writer.edition.texts.items())
    )


def nav_keys(writer: SiteWriter) -> dict[str, object]:
    """Text id -> the previous and next texts its page links to (in the index's order)."""
    order, _ = writer.reading_order
    out: dict[str, object] = {}
    for i, tx in enumerate(order):
        prev = order[i - 1] if i > 0 else None
        nxt = order[i + 1] if i + 1 < len(order) else None
        out[tx.id] = tuple((x.id, x.meta.title) if x is not None else None for x in (prev, nxt))
    return out


def pages_key(state: BuildState, writer: SiteWriter, ids: Iterable[str], per_text: object) -> object:
    """What the edition-wide pages (links pages, comparisons, feed, sitemap, 404...) are made of:
    the links, each text's metadata and pages, and the reading text of every linked passage's
    block in the texts rendered now."""
    texts = writer.edition.texts
    rendered = set(ids)
    wanted: dict[str, set[str]] = {}
    for ln in writer.edition.links:
        for p in (ln.a, ln.b):
            if p.text in rendered and p.text in texts:
                wanted.setdefault(p.text, set()).add(p.anchor)
    blocks = []
    for tid, anchors in sorted(wanted.items()):
        for el in texts[tid].root.iter():
            if isinstance(el.tag, str) and el.get(XML_ID) in anchors:
                blocks.append((tid, el.get(XML_ID), "".join(str(x) for x in el.itertext())))
    return (tuple(writer.edition.links), per_text, tuple(blocks), repr(state.config))


def remember(state: BuildState, writer: SiteWriter) -> None:
    """After a full render: what the next partial render compares with."""
    edition = writer.edition
    per_text = per_text_key(writer)
    state.index_key = index_key(state, writer, per_text)
    state.pages_key = pages_key(state, writer, edition.texts, per_text)
    state.nav_key = nav_keys(writer)


def render_some(
    state: BuildState, edition: Edition, ids: set[str], sink: Sink
) -> tuple[SiteWriter, set[str]]:
    """Render the pages of ``ids`` into ``sink``, the pages of the texts whose previous/next
    links changed, and the index and edition-wide pages when what they show changed. Returns
    the writer and the ids of the texts rendered."""
    assert state.config is not None
    if state.env is None:
        state.env = make_env(state.config)
    writer = SiteWriter(edition, sink, edition.diagnostics, state.env, bundle=state.background_bundle)
    per_text = per_text_key(writer)
    key = index_key(state, writer, per_text)
    if key != state.index_key:
        writer.index(state.bundle_size)  # the list of texts: titles, dates, languages, works
    state.index_key = key
    nav = nav_keys(writer)
    ids = {tid for tid in ids if tid in edition.texts}
    ids |= {tid for tid, key in nav.items() if state.nav_key.get(tid) != key}
    state.nav_key = nav
    for tid in sorted(ids):
        render_text(writer, edition.texts[tid])
    key = pages_key(state, writer, ids, per_text)
    if key != state.pages_key:
        state.pages_key = key
        # the sitemap lists every page of the site, also those that stay as they are
        for tid, text in edition.texts.items():
            if tid not in ids:
                writer.written.update(files_of_text(writer, text))
        writer.written.add("index.html")
        write_edition_pages(writer)
    # else nothing the edition-wide pages show has changed: keep them
    return writer, ids


__all__ = ["files_of_text", "index_key", "remember", "render_all", "render_index", "render_some", "render_text"]
