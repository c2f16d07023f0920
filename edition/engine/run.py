"""One run of the build engine: :func:`run` (what ``edition build`` and ``edition serve`` call).

``run(state)`` reads every source, resolves across texts and writes the whole site through a
:class:`~.sink.DirectorySink` (a temporary directory swapped into place). ``run(state,
changed=paths)`` on a kept state does what the changed paths touch:

* a source (or its sidecar ``NAME.yaml``) changed: that source alone is read again with
  :func:`edition.pipeline.read_text`; a deleted source is dropped and a new one is read. Which
  sources changed is decided from the files' ``(mtime, size)`` (only for the sources the
  watcher's paths concern, or for every source when a path names a directory), so atomic saves
  and editors' temporary files are handled the same way.
* a source that no longer reads (any diagnostic of level ``error`` for it) keeps its last good
  version in the site; its diagnostics are kept in :attr:`.BuildState.problems` until the file
  reads cleanly again.
* quotations: detection over the whole edition costs seconds to minutes, far over what an edit
  may take, so an edit does not detect (unless ``detect``): the current links are carried over
  (:func:`.links.revalidate`), then a detection over the whole edition runs in the background
  (:mod:`.background`) and its links are applied with ``run(state, links=...)``.
* pages rendered again (into a :class:`~.sink.MemorySink`, written once every page rendered):
  the edited text's pages, the pages of every text linked to it by a quotation before or after
  the edit, of the texts whose previous/next links changed, the index when a title, date or page
  list changed, the edition-wide pages when what they show changed; every text when a text was
  added or removed. A file whose bytes did not change is not written again.
* a template or static asset changed: every page is rendered again from the texts in memory
  (nothing is re-read); ``edition.yaml`` changed: every source is read again.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .. import pipeline
from ..config import load_config
from ..errors import Diagnostic, Diagnostics, EditionError, Level, Location
from ..model import Edition, Link, Text
from ..site import SITE_EXPORT
from ..sources import META_SUFFIXES, discover, is_ignored
from .links import copy_text, mark_keys, marked_texts, neighbours, revalidate
from .render import files_of_text, remember, render_all, render_some
from .sink import DirectorySink, MemorySink
from .state import BuildState, Cached, Report, owner, quotation_warning

SEARCH_PARTS = ("pagefind", "search")
"""What :func:`edition.search.index` writes into the site."""
BACKGROUND_PARTS = (*SEARCH_PARTS, SITE_EXPORT)
"""What serve makes in the background (the search index, the archival bundle): a full run
keeps them until they are made again."""

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class FullRun:
    """How a full run reads and writes (see :func:`run` for each field); an edit's run needs none of it."""

    strict: bool | None = None
    search: bool = False
    bundle: bool = False
    validate: bool = True
    write: bool = True
    jobs: int | None = None
    progress: Progress | None = None


def run(
    state: BuildState,
    changed: Iterable[Path] | None = None,
    *,
    detect: bool = True,
    links: list[Link] | None = None,
    strict: bool | None = None,
    search: bool = False,
    bundle: bool = False,
    validate: bool = True,
    write: bool = True,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> Report:
    """Bring the site of ``state`` up to date; what was done.

    ``changed``: the paths that changed since the last run (None: build everything).
    ``detect``: detect quotations now over the whole edition (else carry the links over an
    edit and leave :attr:`.BuildState.links_exact` False, for a detection in the background).
    ``links``: the links of a finished detection, to apply. ``strict``: write nothing when the
    sources have errors (or, True, warnings) ``edition build`` fails on; None (serve): keep
    the last good version of a source that fails. ``search``: build the search index into the
    site (full runs only). ``bundle``: write the archival bundle ``export/`` (:func:`edition.export.write_site_export`,
    its TEI checked against tei_all when ``validate``; full runs only: serve makes it in the
    background, :attr:`.BuildState.background_bundle`); the pages link it.
    ``write``: False to read and resolve only (``edition check``).
    A run that fails leaves the site and the state as they were: ``Report.ok`` is False,
    ``Report.exception`` says why."""
    paths = list(changed) if changed is not None else None
    if links is not None:
        return _apply_links(state, links)
    if paths is None or state.config is None or not state.built:
        how = FullRun(strict, search, bundle, validate, write, jobs, progress)
        return _full(state, True, detect, how)
    kind = state.classify(paths)
    if kind == "full":
        return _full(state, True, detect, FullRun(jobs=jobs))
    edits = _scan(state, paths if paths and kind == "texts" else None)
    if kind == "templates":
        if not any(edits):
            return _full(state, False, detect, FullRun(jobs=jobs))
        # sources changed as well: take them in, then render everything
        report = _update_texts(state, *edits, render_all_pages=True, detect=detect)
        report.kind = "templates"
        return report
    if not any(edits):
        return Report("none")
    return _update_texts(state, *edits, detect=detect)


# -- saving and restoring the state around a run that may fail ---------------------------------

_KEPT = ("cache", "problems", "links", "links_exact", "marked", "index_key", "pages_key", "nav_key")


def _save(state: BuildState) -> dict[str, object]:
    out: dict[str, object] = {}
    for name in _KEPT:
        value = getattr(state, name)
        out[name] = (
            dict(value) if isinstance(value, dict) else list(value) if isinstance(value, list) else value
        )
    return out


def _restore(state: BuildState, saved: dict[str, object]) -> None:
    for name, value in saved.items():
        setattr(state, name, value)


def failure(state: BuildState, report: Report, exc: Exception) -> None:
    """Record a failed run in ``report`` and ``state.last_error``."""
    report.ok = False
    report.exception = exc
    report.error = str(exc) if isinstance(exc, EditionError) else f"{type(exc).__name__}: {exc}"
    if not isinstance(exc, EditionError):
        report.error += "\n" + traceback.format_exc()
    state.last_error = report.error


# -- reading -----------------------------------------------------------------------------------


def _load_all(state: BuildState, jobs: int | None, progress: Progress | None) -> Diagnostics:
    """Read the configuration and every source into the state; the diagnostics of the read."""
    diags = Diagnostics()
    try:
        config = load_config(state.content, diags)  # raises ConfigError when edition.yaml is unusable
    except EditionError:
        state.config_diags = list(diags.items)  # the overlay shows where edition.yaml is wrong
        raise
    rels = discover(config, diags)
    stamps = {rel: state.stamp_of(rel) for rel in rels}
    step = (lambda i, n: progress("read", i, n)) if progress else None
    texts = pipeline.read_all(config, diags, sources=rels, jobs=jobs, progress=step)
    state.config = config
    state.cache = {text.source: Cached(text, stamps[text.source]) for text in texts.values()}
    state.problems = {rel: [] for rel in rels}
    glob: list[Diagnostic] = []
    for d in diags.items:
        src = owner(str(d.location.path), rels)
        if src is None:
            glob.append(d)
        else:
            state.problems[src].append(d)
    state.config_diags = glob
    state.stamps = stamps
    state.env = None
    return diags


def _read_one(state: BuildState, rel: Path) -> tuple[Text | None, list[Diagnostic]]:
    assert state.config is not None
    diags = Diagnostics()
    try:
        text = pipeline.read_text(state.config, rel, diags)
    except Exception as exc:  # a reader that cannot even load must not stop the preview
        if os.environ.get("EDITION_DEBUG"):
            raise
        diags.error(Location(rel), f"cannot be read: {type(exc).__name__}: {exc}", "reader-crash")
        text = None
    return text, diags.items


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _candidates(state: BuildState, hints: Iterable[Path], known: set[Path]) -> set[Path] | None:
    """Sources a set of changed paths may concern; None when only a full scan can tell."""
    out: set[Path] = set()
    for p in hints:
        p = Path(os.path.abspath(p))
        if not p.is_relative_to(state.content) or p == state.content or p.is_dir():
            return None
        rel = p.relative_to(state.content)
        if not p.exists() and rel not in known and not rel.suffix:
            return None  # perhaps a directory that went away
        if rel.suffix.lower() in META_SUFFIXES:
            stem = rel.with_suffix("")
            out |= {r for r in known if r.with_suffix("") == stem}
            if p.parent.is_dir():  # a source that had no sidecar, or is not known yet
                out |= {q.relative_to(state.content) for q in p.parent.glob(glob_escape(stem.name) + ".*")}
        else:
            out.add(rel)
    return out


def _scan(state: BuildState, hints: Iterable[Path] | None) -> tuple[list[Path], list[Path], list[Path]]:
    """(changed, added, removed) sources, from the files on disk.

    ``hints``: the paths the watcher reported; when they all name files in the content
    directory, only the sources they concern are looked at (a walk over 1,000 sources costs
    more than the rebuild). Otherwise, or without hints, the whole directory is scanned."""
    assert state.config is not None
    known = set(state.problems) | set(state.cache)
    cands = _candidates(state, hints, known) if hints is not None else None
    if cands is None:
        rels = discover(state.config, Diagnostics())
        present = set(rels)
        removed = sorted(r for r in known if r not in present)
    else:
        rels, removed = [], []
        for rel in sorted(cands):
            path = state.content / rel
            if (
                path.is_file()
                and not is_ignored(rel, state.config)
                and rel.suffix.lower() not in META_SUFFIXES
            ):
                rels.append(rel)
            elif rel in known and not path.exists():
                removed.append(rel)
    changed, added = [], []
    for rel in rels:
        if rel not in known:
            added.append(rel)
        elif state.stamps.get(rel) != state.stamp_of(rel):
            changed.append(rel)
    return changed, added, removed


# -- resolving ---------------------------------------------------------------------------------


def _assemble(
    state: BuildState, detect: bool, changed_ids: set[str] | None = None, diags: Diagnostics | None = None
) -> Edition:
    """An Edition of the kept texts, quotations resolved.

    ``detect``: run :func:`edition.pipeline.across` over every text (on copies of the phase-1
    trees when the state keeps them). Otherwise keep the current links, re-anchored in the texts
    that changed, and mark them only in the texts whose links or source changed."""
    assert state.config is not None
    diags = diags if diags is not None else Diagnostics()
    edition = Edition(config=state.config, diagnostics=diags)
    phase1 = state.phase1_texts(diags)
    if not state.quotations_on():
        edition.texts = dict(phase1)
        state.links, state.links_exact, state.marked = [], True, {}
        return edition
    if detect and not state.keep_phase1:  # edition build: one run, the trees are marked in place
        edition.texts = dict(phase1)
        pipeline.across(edition)
        state.links, state.links_exact = list(edition.links), True
        return edition
    if detect:
        edition.texts = {tid: copy_text(tx) for tid, tx in phase1.items()}
        try:
            pipeline.across(edition)
        except Exception as exc:
            # the quotation stage is optional; a crash there must not stop the preview
            edition.links = []
            edition.texts = {tid: copy_text(tx) for tid, tx in phase1.items()}  # undo partial marks
            quotation_warning(diags, "detection", exc, "; the preview shows no quotation links")
        state.links = list(edition.links)
        state.links_exact = True
        keys = mark_keys(phase1, state.links)
        state.marked = {tid: (keys[tid], tx) for tid, tx in edition.texts.items()}
        return edition
    carried = revalidate(state.links, phase1, changed_ids or set())
    if carried != state.links:
        state.links_exact = False
    state.links = carried
    edition.links = carried
    edition.texts = marked_texts(state.config, phase1, carried, state.marked, diags)
    return edition


# -- full runs ---------------------------------------------------------------------------------


def _full(state: BuildState, reread: bool, detect: bool, how: FullRun) -> Report:
    """Read (unless ``reread`` is False) and render everything into a new directory swapped in place."""
    t0 = time.perf_counter()
    report = Report("full" if reread else "templates")
    before = {id(d) for d in state.diagnostics()}
    saved = _save(state)
    try:
        read_diags: Diagnostics | None = None
        if reread or state.config is None:
            read_diags = _load_all(state, how.jobs, how.progress)
        first = len(read_diags.items) if read_diags is not None else 0
        t1 = time.perf_counter()
        if reread:
            edition = _assemble(state, detect, {c.text.id for c in state.cache.values()}, read_diags)
            if not detect and state.quotations_on():
                state.links_exact = False
        else:
            edition = _assemble(state, False)
        t2 = time.perf_counter()
        report.timings = {"read": t1 - t0, "across": t2 - t1}
        state.edition = edition
        if how.strict is not None and edition.diagnostics.failed(how.strict):
            report.ok = False  # edition build: nothing is written
            return report
        if not how.write:
            return report
        sink = DirectorySink(state.out, keep=BACKGROUND_PARTS if state.keep_phase1 else ())

        def make_bundle() -> int:
            from .. import export

            t5 = time.perf_counter()
            size, _ = export.write_site_export(edition, sink.path, validate=how.validate)  # OUT/export/ (issue 22)
            report.timings["export"] = time.perf_counter() - t5
            return size

        try:
            writer = render_all(edition, sink, jobs=how.jobs, bundle=how.bundle or state.background_bundle,
                                make_bundle=make_bundle if how.bundle else None, bundle_size=state.bundle_size)
            t3 = time.perf_counter()
            report.timings["render"] = t3 - t2 - report.timings.get("export", 0.0)
            if how.search:
                from .. import search as search_index

                search_index.index(edition, sink.path)
                report.timings["search"] = time.perf_counter() - t3
            t4 = time.perf_counter()
            sink.commit()
            report.timings["write"] = time.perf_counter() - t4
        except BaseException:
            sink.discard()
            raise
        old = state.written
        state.written = sink.hashes
        state.last_changed = {rel for rel, h in state.written.items() if old.get(rel) != h} | (
            set(old) - set(state.written)
        )
        state.env = writer.env
        state.files_of = {tid: files_of_text(writer, tx) for tid, tx in edition.texts.items()}
        state.build_diags = list(edition.diagnostics.items[first:])
        remember(state, writer)
        report.rendered = sorted(edition.texts)
        state.built = True
        state.last_error = None
    except Exception as exc:
        if state.built:
            _restore(state, saved)
        failure(state, report, exc)
    except BaseException:
        if state.built:
            _restore(state, saved)
        raise
    finally:
        report.new_diagnostics = [d for d in state.diagnostics() if id(d) not in before]
        report.seconds = time.perf_counter() - t0
    return report


# -- runs after an edit ------------------------------------------------------------------------


def _update_texts(
    state: BuildState,
    changed: list[Path],
    added: list[Path],
    removed: list[Path],
    render_all_pages: bool = False,
    detect: bool = False,
) -> Report:
    t0 = time.perf_counter()
    report = Report("texts", changed=sorted([*changed, *added, *removed]))
    touched: set[str] = set()
    saved = _save(state)
    stamps = dict(state.stamps)
    try:
        for rel in removed:
            old = state.cache.pop(rel, None)
            state.problems.pop(rel, None)
            state.stamps.pop(rel, None)
            if old is not None:
                touched.add(old.text.id)
        for rel in [*changed, *added]:
            stamp = state.stamp_of(rel)
            state.stamps[rel] = stamp
            text, diags = _read_one(state, rel)
            seen = {str(d) for d in state.problems.get(rel, [])}
            now = {str(d) for d in diags}
            report.fixed.extend(
                d for d in state.problems.get(rel, []) if d.level >= Level.ERROR and str(d) not in now
            )
            state.problems[rel] = diags
            report.new_diagnostics.extend(
                d for d in diags if str(d) not in seen
            )  # the terminal shows what is new
            failed = text is None or any(d.level >= Level.ERROR for d in diags)
            old = state.cache.get(rel)
            if failed and old is not None:
                continue  # keep serving the last good version; the overlay shows why
            if text is None:
                continue
            if old is not None:
                touched.add(old.text.id)
            state.cache[rel] = Cached(text, stamp)
            touched.add(text.id)
        t1 = time.perf_counter()
        if touched and state.quotations_on() and not detect:
            state.links_exact = False
        _rebuild(state, touched, report, render_all_pages=render_all_pages, detect=detect)
        report.timings["read"] = t1 - t0
    except BaseException as exc:
        # keep the last good site and state; the next change tries again
        _restore(state, saved)
        state.stamps = stamps
        if not isinstance(exc, Exception):
            raise
        failure(state, report, exc)
    finally:
        report.seconds = time.perf_counter() - t0
    return report


def _apply_links(state: BuildState, links: list[Link]) -> Report:
    """Take the links of a finished detection; render the texts whose links changed."""
    t0 = time.perf_counter()
    report = Report("quotations")
    if links == state.links:
        state.links_exact = True
        return Report("none")
    saved = _save(state)
    try:
        _rebuild(state, set(), report, links=links)
    except BaseException as exc:
        _restore(state, saved)
        if not isinstance(exc, Exception):
            raise
        failure(state, report, exc)
    report.seconds = time.perf_counter() - t0
    return report


def _rebuild(
    state: BuildState,
    touched: set[str],
    report: Report,
    render_all_pages: bool = False,
    detect: bool = False,
    links: list[Link] | None = None,
) -> None:
    """Resolve the kept texts again and render what ``touched`` (and link changes) touch."""
    assert state.edition is not None and state.config is not None
    old_edition = state.edition
    t1 = time.perf_counter()
    if links is not None:
        # exact links from a detection: texts whose links changed are touched
        phase1 = state.phase1_texts(Diagnostics())
        before = mark_keys(phase1, state.links)
        after = mark_keys(phase1, links)
        state.links = links
        state.links_exact = True
        edition = _assemble(state, False)
        touched = touched | {tid for tid, key in before.items() if after[tid] != key}
    else:
        edition = _assemble(state, detect, touched)
    t2 = time.perf_counter()
    if render_all_pages:
        sink = DirectorySink(state.out, keep=BACKGROUND_PARTS)
        try:
            # templates changed: compiled anew
            writer = render_all(edition, sink, bundle=state.background_bundle, bundle_size=state.bundle_size)
            sink.commit()
        except BaseException:
            sink.discard()
            raise
        old = state.written
        state.written = sink.hashes
        state.last_changed = {rel for rel, h in state.written.items() if old.get(rel) != h} | (
            set(old) - set(state.written)
        )
        state.files_of = {tid: files_of_text(writer, tx) for tid, tx in edition.texts.items()}
        state.env = writer.env
        remember(state, writer)
        rendered = set(edition.texts)
    else:
        affected = set(touched)
        if links is None:  # a changed text shows in the quotation entries of the texts linked to it
            for lks in (old_edition.links, edition.links):
                affected |= neighbours(lks, touched)
        if set(old_edition.texts) != set(edition.texts):
            affected |= set(edition.texts)  # links between texts by their source path may change
        memory = MemorySink(state.out)
        writer, rendered = render_some(state, edition, affected, memory)
        files_of = dict(state.files_of)
        for tid in rendered | set(old_edition.texts):
            if tid in edition.texts:
                if tid in rendered:
                    files_of[tid] = files_of_text(writer, edition.texts[tid])
            else:
                files_of.pop(tid, None)
        stale: set[str] = set()
        for tid, old_files in state.files_of.items():
            stale |= old_files - files_of.get(tid, set())
        state.last_changed = memory.commit(state.written, stale)
        state.files_of = files_of
    t3 = time.perf_counter()
    state.edition = edition
    state.build_diags = list(edition.diagnostics.items)
    report.rendered = sorted(t for t in rendered if t in edition.texts)
    report.timings.update({"across": t2 - t1, "render": t3 - t2})
    state.last_error = None


__all__ = ["BACKGROUND_PARTS", "SEARCH_PARTS", "failure", "run"]
