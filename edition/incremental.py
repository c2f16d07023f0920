"""Incremental rebuilds for ``edition serve`` (issue 5).

:class:`IncrementalSite` keeps, between builds, the phase-1 result of every
source (its TEI tree as the reader and the per-text steps left it, before any
quotation was marked in it) and the diagnostics of its last read. On a change it
works out what the change touches and does only that:

* a source (or its sidecar ``NAME.yaml``) changed: that source alone is read
  again with :func:`edition.pipeline.read_text`; a deleted source is dropped and
  a new one is read. Which sources changed is decided from the files'
  ``(mtime, size)`` (only for the sources the watcher's paths concern, or for
  every source when a path names a directory), so atomic saves (write a
  temporary file, rename it over the old one) and editors' temporary files are
  handled the same way.
* a source that no longer reads (any diagnostic of level ``error`` for it)
  keeps its last good version in the site; its diagnostics are kept in
  :attr:`IncrementalSite.problems` until the file reads cleanly again.
* quotations (the choice issue 5 asks to document): detection over the whole
  edition costs seconds (the sample edition) to minutes (100 MB), far over the
  300 ms an edit may take, and a cheaper subset (the edited text against the
  others) still has to index every other text. So an edit does not detect: the
  current links are *carried over* (:func:`revalidate`): a link whose passage
  in the edited text still stands in its block is kept (its offsets moved if
  the passage moved), one whose passage is gone is dropped. Then, once the
  editor is idle, :func:`edition.pipeline.across` runs on the whole in-memory
  edition in a forked process (:class:`BackgroundJob`, cancelled by the next
  save) over copies of the phase-1 trees, and its links replace the carried
  ones if the texts did not change meanwhile (:meth:`IncrementalSite.apply_links`);
  pages whose links changed are rendered and reload. ``quotations.mark`` edits
  trees in place, so marks are applied to copies of the phase-1 trees, and only
  for the texts whose source or links changed (:meth:`IncrementalSite._marked_texts`).
  A crash of the quotation stage (optional, maybe missing) is a warning; the
  site is built without links.
* pages rendered again: the edited text's pages, the pages of every text
  linked to it by a quotation before or after the edit; the index when a title,
  date or page list changed; the edition-wide pages (links pages, comparisons,
  ``links.json``, feed, sitemap) when the links or what they show changed; plus
  the TEI and source copies of those texts. A file whose bytes did not change is
  not written again. Other pages on disk stay as they are.
* a template or static asset changed: every page is rendered again from the
  texts in memory (nothing is re-read); ``edition.yaml`` changed: every source
  is read again.
* the search index (:mod:`edition.search`, seconds of work) is built in the
  background too, after quotation detection, and moved into the site when done.

Pages are rendered into memory first and written only when every page of the
change rendered, so a template error leaves the last good site in place.
"""

from __future__ import annotations

import copy
import os
import posixpath
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from . import export, pipeline
from .config import CONFIG_NAME, PACKAGE_TEMPLATES, Config, load_config
from .errors import Diagnostic, Diagnostics, EditionError, Level, Location
from .model import Edition, Link, Text
from .render.templates import make_env
from .site import SiteWriter
from .sources import META_SUFFIXES, discover, is_ignored
from .tei import XML_ID, serialize

Stamp = tuple[tuple[int, int], ...]


@dataclass(slots=True)
class Cached:
    """The last good phase-1 result of one source."""

    text: Text
    stamp: Stamp


@dataclass(slots=True)
class Report:
    """What one (re)build did."""

    kind: str
    """``full``, ``templates``, ``texts`` or ``none`` (nothing relevant changed)."""
    ok: bool = True
    """False when the build raised: the site on disk was left as it was."""
    changed: list[Path] = field(default_factory=list)
    """Sources read again, added or removed."""
    rendered: list[str] = field(default_factory=list)
    """Text ids whose pages were rendered."""
    new_diagnostics: list[Diagnostic] = field(default_factory=list)
    """Diagnostics produced by this build that the last read of the same file did not have
    (to print in the terminal)."""
    fixed: list[Diagnostic] = field(default_factory=list)
    """Errors of the sources read again that are gone."""
    error: str | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def _stamp(paths: Iterable[Path]) -> Stamp:
    out = []
    for p in paths:
        try:
            st = p.stat()
            out.append((st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((0, -1))
    return tuple(out)


class _MemoryWriter(SiteWriter):
    """A :class:`SiteWriter` that keeps what it writes in memory (written to
    disk by the caller once every page rendered)."""

    def __init__(
        self, edition: Edition, out: Path, diags: Diagnostics, env: jinja2.Environment | None
    ) -> None:
        super().__init__(edition, out, diags)
        if env is not None:
            self.env = env  # reuse compiled templates between rebuilds
        self.files: dict[str, bytes] = {}

    def write(self, rel: str, data: str | bytes) -> None:
        if rel in self.written:
            raise RuntimeError(f"{rel} written twice")
        self.written.add(rel)
        self.files[rel] = data.encode("utf-8") if isinstance(data, str) else data


class IncrementalSite:
    """The site of one content directory, built into ``out`` and kept up to date."""

    def __init__(self, content: Path, out: Path) -> None:
        self.content = Path(content).resolve()
        self.out = Path(out)
        self.config: Config | None = None
        self.cache: dict[Path, Cached] = {}
        self.problems: dict[Path, list[Diagnostic]] = {}
        """Diagnostics of each source's last read (all levels), by source path."""
        self.config_diags: list[Diagnostic] = []
        """Diagnostics of the last full read not tied to one source (``edition.yaml``)."""
        self.build_diags: list[Diagnostic] = []
        """Diagnostics of the last successful assembly and render (quotations, templates, duplicate ids)."""
        self._stamps_seen: dict[Path, Stamp] = {}
        """Stamp of each source when it was last read (good or not)."""
        self.edition: Edition | None = None
        self.env: jinja2.Environment | None = None
        self.files_of: dict[str, set[str]] = {}
        """Text id -> the site files that belong to it (pages, TEI, source copies)."""
        self.last_error: str | None = None
        self.built = False
        self.links: list[Link] = []
        """The quotation links the site shows now."""
        self._last_extras_key: object = None
        self._last_index_key: object = None
        self._search_key: object = None
        """What the search index in the site was built from (see :meth:`search_key`)."""
        self._written: dict[str, int] = {}
        """Site path -> hash of the bytes last written there (unchanged files are not written again)."""
        self.last_changed: set[str] = set()
        """Site paths whose content changed in the last build."""
        self.links_exact = True
        """False when the links were carried over from before an edit (re-anchored, not detected again)."""
        self.marked: dict[str, tuple[object, Text]] = {}
        """Text id -> (what its marks depend on, the text with a marked copy of its phase-1 tree)."""

    # -- what is wrong now ---------------------------------------------------
    def diagnostics(self) -> list[Diagnostic]:
        from .check import relative_location

        items = [*self.config_diags, *self.build_diags]
        for diags in self.problems.values():
            items.extend(diags)
        items = [relative_location(d, self.content) for d in items]
        d = Diagnostics(items)
        return d.sorted()

    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics() if d.level >= Level.ERROR]

    # -- classification --------------------------------------------------------
    def template_dirs(self) -> list[Path]:
        return [self.content / "templates", PACKAGE_TEMPLATES]

    def classify(self, paths: Iterable[Path]) -> str:
        """``full``, ``templates`` or ``texts`` for a set of changed paths."""
        kind = "texts"
        for p in paths:
            p = Path(os.path.abspath(p))
            if p == self.content / CONFIG_NAME:
                return "full"
            if any(p.is_relative_to(d) for d in self.template_dirs()):
                kind = "templates"
        return kind

    def relevant(self, path: Path) -> bool:
        """Whether a changed path may matter (editors' temporary files do not)."""
        p = Path(os.path.abspath(path))
        for base in [self.content, *self.template_dirs()]:
            if p.is_relative_to(base):
                rel = p.relative_to(base)
                if base != self.content:
                    name = rel.name
                    return not is_ignored(Path(name)) and not name.startswith(".")
                if rel == Path(CONFIG_NAME):
                    return True
                if rel.parts and rel.parts[0] == "templates":
                    return not is_ignored(Path(rel.name))
                return not is_ignored(rel, self.config)
        return False

    # -- reading ---------------------------------------------------------------
    def _sidecars(self, rel: Path) -> list[Path]:
        return [self.content / rel.with_suffix(s) for s in META_SUFFIXES]

    def _stamp_of(self, rel: Path) -> Stamp:
        return _stamp([self.content / rel, *self._sidecars(rel)])

    def _read_one(self, config: Config, rel: Path) -> tuple[Text | None, list[Diagnostic]]:
        diags = Diagnostics()
        try:
            text = pipeline.read_text(config, rel, diags)
        except Exception as exc:  # a reader that cannot even load must not stop the preview
            if os.environ.get("EDITION_DEBUG"):
                raise
            diags.error(Location(rel), f"cannot be read: {type(exc).__name__}: {exc}", "reader-crash")
            text = None
        return text, diags.items

    def _owner(self, path: str, rels: Iterable[Path]) -> Path | None:
        p = Path(path)
        rels = list(rels)
        if p in rels:
            return p
        if p.suffix.lower() in META_SUFFIXES:
            for r in rels:
                if r.with_suffix(p.suffix) == p:
                    return r
        return None

    def _load_all(self) -> list[Diagnostic]:
        """Read the configuration and every source; fill the cache. Returns new diagnostics."""
        diags = Diagnostics()
        try:
            config = load_config(self.content, diags)  # raises ConfigError when edition.yaml is unusable
        except EditionError:
            self.config_diags = list(diags.items)  # the overlay shows where edition.yaml is wrong
            raise
        rels = discover(config, diags)
        stamps = {rel: self._stamp_of(rel) for rel in rels}
        texts: dict[str, Text] = {}
        if len(rels) >= pipeline.PARALLEL_MIN:
            before = list(diags.items)
            try:
                texts = pipeline.read_all(config, diags, sources=rels)  # in worker processes
            except Exception:
                texts = {}
                diags = Diagnostics(before)
        if not texts:
            # one by one: a source whose reader crashes is an error for that source only
            for rel in rels:
                text, items = self._read_one(config, rel)
                diags.extend(items)
                if text is None:
                    continue
                if text.id in texts:
                    diags.error(
                        Location(rel),
                        f"duplicate text id '{text.id}' (also used by "
                        f"{texts[text.id].source}); set a different 'id' in its metadata; text skipped",
                        "duplicate-id",
                    )
                    continue
                texts[text.id] = text
        self.config = config
        self.cache = {}
        for text in texts.values():
            self.cache[text.source] = Cached(text, stamps[text.source])
        self.problems = {rel: [] for rel in rels}
        glob: list[Diagnostic] = []
        for d in diags.items:
            owner = self._owner(str(d.location.path), rels)
            if owner is None:
                glob.append(d)
            else:
                self.problems[owner].append(d)
        self.config_diags = glob
        self._stamps_seen = {rel: stamps[rel] for rel in rels}
        self.env = None
        return diags.items

    def _scan(self, hints: Iterable[Path] | None = None) -> tuple[list[Path], list[Path], list[Path]]:
        """(changed, added, removed) sources, from the files on disk.

        ``hints``: the paths the watcher reported; when they all name files in the content
        directory, only the sources they concern are looked at (a walk over 1,000 sources costs
        more than the rebuild). Otherwise, or without hints, the whole directory is scanned."""
        assert self.config is not None
        known = set(self.problems) | set(self.cache)
        cands = self._candidates(hints, known) if hints is not None else None
        if cands is None:
            rels = discover(self.config, Diagnostics())
            present = set(rels)
            removed = sorted(r for r in known if r not in present)
        else:
            rels, removed = [], []
            for rel in sorted(cands):
                path = self.content / rel
                if (
                    path.is_file()
                    and not is_ignored(rel, self.config)
                    and rel.suffix.lower() not in META_SUFFIXES
                ):
                    rels.append(rel)
                elif rel in known and not path.exists():
                    removed.append(rel)
        changed, added = [], []
        for rel in rels:
            if rel not in known:
                added.append(rel)
            elif self._stamps_seen.get(rel) != self._stamp_of(rel):
                changed.append(rel)
        return changed, added, removed

    def _candidates(self, hints: Iterable[Path], known: set[Path]) -> set[Path] | None:
        """Sources a set of changed paths may concern; None when only a full scan can tell."""
        out: set[Path] = set()
        for p in hints:
            p = Path(os.path.abspath(p))
            if not p.is_relative_to(self.content) or p == self.content or p.is_dir():
                return None
            rel = p.relative_to(self.content)
            if not p.exists() and rel not in known and not rel.suffix:
                return None  # perhaps a directory that went away
            if rel.suffix.lower() in META_SUFFIXES:
                stem = rel.with_suffix("")
                out |= {r for r in known if r.with_suffix("") == stem}
                if p.parent.is_dir():  # a source that had no sidecar, or is not known yet
                    out |= {q.relative_to(self.content) for q in p.parent.glob(glob_escape(stem.name) + ".*")}
            else:
                out.add(rel)
        return out

    # -- assembling the edition ------------------------------------------------
    def _phase1_texts(self, diags: Diagnostics) -> dict[str, Text]:
        """The cached phase-1 texts by id (a duplicate id is reported and skipped, as the build does)."""
        out: dict[str, Text] = {}
        seen: dict[str, Path] = {}
        for rel in sorted(self.cache):
            text = self.cache[rel].text
            if text.id in seen:
                diags.error(
                    Location(rel),
                    f"duplicate text id '{text.id}' (also used by {seen[text.id]}); "
                    "set a different 'id' in its metadata; text skipped",
                    "duplicate-id",
                )
                continue
            seen[text.id] = rel
            out[text.id] = text
        return out

    def quotations_on(self) -> bool:
        return bool(
            self.config is not None and self.config.quotations.enabled and list(pipeline.ACROSS.active())
        )

    def _assemble(self, detect: bool, changed_ids: set[str] = frozenset()) -> Edition:  # type: ignore[assignment]
        """A fresh Edition from the cached texts.

        ``detect``: run :func:`edition.pipeline.across` on copies of every phase-1 tree (exact links).
        Otherwise keep the current links, re-anchored in the texts that changed (:func:`revalidate`),
        and mark them only in the texts whose links or source changed; the exact links come from a
        background detection (:meth:`detection_snapshot`, :meth:`apply_links`)."""
        assert self.config is not None
        diags = Diagnostics()
        edition = Edition(config=self.config, diagnostics=diags)
        phase1 = self._phase1_texts(diags)
        if not self.quotations_on():
            edition.texts = dict(phase1)
            self.links, self.links_exact, self.marked = [], True, {}
            return edition
        if detect:
            edition.texts = {tid: _copy(tx) for tid, tx in phase1.items()}
            try:
                pipeline.across(edition)
            except Exception as exc:
                # the quotation stage is optional; a crash there must not stop the preview
                edition.links = []
                edition.texts = {tid: _copy(tx) for tid, tx in phase1.items()}  # undo partial marks
                diags.warning(
                    Location(CONFIG_NAME),
                    f"quotation detection failed ({type(exc).__name__}: {exc}); "
                    "the preview shows no quotation links",
                    "across-crash",
                )
            self.links = list(edition.links)
            self.links_exact = True
            keys = _mark_keys(phase1, self.links)
            self.marked = {tid: (keys[tid], tx) for tid, tx in edition.texts.items()}
            return edition
        links = revalidate(self.links, phase1, changed_ids)
        if links != self.links:
            self.links_exact = False
        self.links = links
        edition.links = links
        edition.texts = self._marked_texts(phase1, links, diags)
        return edition

    def _marked_texts(
        self, phase1: dict[str, Text], links: list[Link], diags: Diagnostics
    ) -> dict[str, Text]:
        """Marked copies of the phase-1 trees, re-marking only texts whose source or links changed."""
        keys = _mark_keys(phase1, links)
        stale = {tid for tid in phase1 if self.marked.get(tid, (None,))[0] != keys[tid]}
        if stale:
            # quotations.mark needs both sides of a link; the other side's copy is thrown away
            involved = stale | _neighbours(links, stale)
            assert self.config is not None
            sub = Edition(config=self.config, diagnostics=diags)
            sub.texts = {tid: _copy(phase1[tid]) for tid in involved if tid in phase1}
            touching = [ln for ln in links if ln.a.text in stale or ln.b.text in stale]
            if touching:
                try:
                    from . import quotations

                    quotations.mark(sub, touching)
                except Exception as exc:
                    diags.warning(
                        Location(CONFIG_NAME),
                        f"quotation marking failed ({type(exc).__name__}: {exc})",
                        "across-crash",
                    )
            for tid in stale:
                self.marked[tid] = (keys[tid], sub.texts[tid])
        for tid in list(self.marked):
            if tid not in phase1:
                del self.marked[tid]
        return {tid: self.marked[tid][1] for tid in phase1}

    def _site_files(self, writer: SiteWriter, text: Text) -> set[str]:
        files = {p.url for p in writer.plan.pages.get(text.id, [])}
        files.add(f"tei/{text.id}.xml")
        if text.path is not None:
            files.add(f"sources/{text.source.as_posix()}")
            meta = text.meta.meta_path
            if meta and meta != text.source:
                files.add(f"sources/{meta.as_posix()}")
        return files

    @staticmethod
    def _per_text_key(writer: SiteWriter) -> object:
        """Each text's metadata and pages (what the index and the edition-wide pages list)."""
        try:
            return tuple(
                (
                    tid,
                    repr(tx.meta),
                    tuple((p.url, p.title, p.kind, p.date, p.genre) for p in writer.plan.pages[tid]),
                )
                for tid, tx in sorted(writer.edition.texts.items())
            )
        except Exception:
            return None

    def _extras_key(self, writer: SiteWriter, ids: Iterable[str] | None, per_text: object) -> object:
        """What the edition-wide pages (links pages, comparisons, feed, sitemap, 404...) are made of:
        the links, each text's metadata and pages, and the reading text of every linked passage's
        block in the texts rendered now. None: unknown, render them."""
        try:
            if per_text is None:
                return None
            texts = writer.edition.texts
            rendered = set(texts) if ids is None else set(ids)
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
            return (tuple(writer.edition.links), per_text, tuple(blocks), repr(self.config))
        except Exception:
            return None

    def _render(self, edition: Edition, ids: Iterable[str] | None) -> tuple[_MemoryWriter, dict[str, bytes]]:
        """Render pages of ``ids`` (None: every page and static file) into memory."""
        assert self.config is not None
        if self.env is None:
            self.env = make_env(self.config)
        writer = _MemoryWriter(edition, self.out, edition.diagnostics, self.env)
        full_render = ids is None
        if ids is None:
            writer.static()
            ids = list(edition.texts)
        per_text = self._per_text_key(writer)
        index_key = (per_text, len(edition.links), repr(self.config))
        if full_render or per_text is None or index_key != self._last_index_key:
            writer.index()  # the list of texts: titles, dates, languages, works
        self._last_index_key = index_key if per_text is not None else None
        for tid in ids:
            text = edition.texts.get(tid)
            if text is None:
                continue
            writer.text_pages(text)
            # what edition.builder writes for one text: its pages, its TEI, its source copies
            serialize_text = getattr(export, "serialize_text", None)
            writer.write(f"tei/{tid}.xml", serialize_text(text) if serialize_text else serialize(text.tree))
            if text.path is not None:
                writer.write(f"sources/{text.source.as_posix()}", text.path.read_bytes())
                meta = text.meta.meta_path
                if meta and meta != text.source:
                    writer.write(f"sources/{meta.as_posix()}", (self.config.content_dir / meta).read_bytes())
        key = self._extras_key(writer, ids, per_text)
        if not full_render and key is not None and key == self._last_extras_key and self.built:
            return writer, writer.files  # nothing the edition-wide pages show has changed: keep them
        self._last_extras_key = key
        try:
            from . import extras

            extras.write_all(writer)
        except Exception as exc:  # links.json needs the quotation stage, which may be missing
            if isinstance(exc, EditionError):
                raise
            edition.diagnostics.warning(
                Location(CONFIG_NAME), f"links.json not written ({type(exc).__name__}: {exc})", "extras-crash"
            )
        return writer, writer.files

    # -- builds ----------------------------------------------------------------
    def _state(self) -> tuple[object, ...]:
        return (dict(self.cache), dict(self.problems), list(self.links), self.links_exact, dict(self.marked))

    def _restore(self, state: tuple[object, ...]) -> None:
        self.cache, self.problems, self.links, self.links_exact, self.marked = state  # type: ignore[assignment]

    def _failed(self, report: Report, exc: Exception) -> None:
        report.ok = False
        report.error = str(exc) if isinstance(exc, EditionError) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, EditionError):
            import traceback

            report.error += "\n" + traceback.format_exc()
        self.last_error = report.error

    def full(self, reread: bool = True, detect: bool = True) -> Report:
        """Read (unless ``reread`` is False) and render everything into a new directory swapped in place.

        ``detect``: detect quotations now (as ``edition build`` does); otherwise carry the current
        links over and leave :attr:`links_exact` False, for a background detection."""
        t0 = time.perf_counter()
        report = Report("full" if reread else "templates")
        before = {id(d) for d in self.diagnostics()}
        state = self._state()
        try:
            if reread or self.config is None:
                self._load_all()
            else:
                self.env = None
            t1 = time.perf_counter()
            if reread:
                ids = {c.text.id for c in self.cache.values()}
                edition = self._assemble(detect, ids)
                if not detect and self.quotations_on():
                    self.links_exact = False
            else:
                edition = self._assemble(False)
            t2 = time.perf_counter()
            writer, files = self._render(edition, None)
            t3 = time.perf_counter()
            self._commit_full(files)
            self.files_of = {tid: self._site_files(writer, tx) for tid, tx in edition.texts.items()}
            self.edition = edition
            self._set_global(edition.diagnostics.items)
            report.timings = {
                "read": t1 - t0,
                "across": t2 - t1,
                "render": t3 - t2,
                "write": time.perf_counter() - t3,
            }
            report.rendered = sorted(edition.texts)
            self.built = True
            self.last_error = None
        except Exception as exc:
            if self.built:
                self._restore(state)
            self._failed(report, exc)
        report.new_diagnostics = [d for d in self.diagnostics() if id(d) not in before]
        report.seconds = time.perf_counter() - t0
        return report

    def _set_global(self, *lists: list[Diagnostic]) -> None:
        self.build_diags = [d for items in lists for d in items]

    def _commit_full(self, files: dict[str, bytes]) -> None:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.tmp-", dir=self.out.parent))
        try:
            made: set[str] = set()
            for rel, data in files.items():
                parent = posixpath.dirname(rel)
                if parent and parent not in made:
                    os.makedirs(tmp / parent, exist_ok=True)
                    made.add(parent)
                with open(tmp / rel, "wb") as f:
                    f.write(data)
            from .builder import replace_dir

            self._keep_search(tmp)
            replace_dir(tmp, self.out)
            old = self._written
            self._written = {rel: hash(data) for rel, data in files.items()}
            self.last_changed = {rel for rel, h in self._written.items() if old.get(rel) != h} | (
                set(old) - set(files)
            )
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def update(self, paths: Iterable[Path] = (), detect: bool = False) -> Report:
        """Rebuild what a set of changed paths touches.

        ``detect``: run quotation detection over the whole edition before rendering (exact links at
        once); by default the links are carried over and :attr:`links_exact` says whether a
        background detection is due."""
        paths = list(paths)
        if self.config is None or not self.built:
            return self.full(detect=detect)
        kind = self.classify(paths)
        if kind == "full":
            return self.full(reread=True, detect=detect)
        changed, added, removed = self._scan(paths if paths and kind == "texts" else None)
        if kind == "templates":
            if not (changed or added or removed):
                return self.full(reread=False)
            # sources changed as well: take them in, then render everything
            report = self._update_texts(changed, added, removed, render_all=True, detect=detect)
            report.kind = "templates"
            return report
        if not (changed or added or removed):
            return Report("none")
        return self._update_texts(changed, added, removed, detect=detect)

    def _update_texts(
        self,
        changed: list[Path],
        added: list[Path],
        removed: list[Path],
        render_all: bool = False,
        detect: bool = False,
    ) -> Report:
        assert self.config is not None
        t0 = time.perf_counter()
        report = Report("texts", changed=sorted([*changed, *added, *removed]))
        new_diags: list[Diagnostic] = []
        touched_ids: set[str] = set()
        state = self._state()
        try:
            for rel in removed:
                old = self.cache.pop(rel, None)
                self.problems.pop(rel, None)
                self._stamps_seen.pop(rel, None)
                if old is not None:
                    touched_ids.add(old.text.id)
            for rel in [*changed, *added]:
                stamp = self._stamp_of(rel)
                self._stamps_seen[rel] = stamp
                text, diags = self._read_one(self.config, rel)
                seen = {str(d) for d in self.problems.get(rel, [])}
                now = {str(d) for d in diags}
                report.fixed.extend(
                    d for d in self.problems.get(rel, []) if d.level >= Level.ERROR and str(d) not in now
                )
                self.problems[rel] = diags
                new_diags.extend(d for d in diags if str(d) not in seen)  # the terminal shows what is new
                failed = text is None or any(d.level >= Level.ERROR for d in diags)
                old = self.cache.get(rel)
                if failed and old is not None:
                    continue  # keep serving the last good version; the overlay shows why
                if text is None:
                    continue
                if old is not None:
                    touched_ids.add(old.text.id)
                self.cache[rel] = Cached(text, stamp)
                touched_ids.add(text.id)
            t1 = time.perf_counter()
            if touched_ids and self.quotations_on() and not detect:
                self.links_exact = False
            self._rebuild(touched_ids, report, render_all=render_all, detect=detect)
            report.timings["read"] = t1 - t0
        except Exception as exc:
            # keep the last good site and state; the next change tries again
            self._restore(state)
            for rel in [*changed, *added]:
                self._stamps_seen.pop(rel, None)
            self._failed(report, exc)
        report.new_diagnostics = new_diags
        report.seconds = time.perf_counter() - t0
        return report

    def _rebuild(
        self,
        touched_ids: set[str],
        report: Report,
        render_all: bool = False,
        detect: bool = False,
        links: list[Link] | None = None,
    ) -> None:
        """Assemble the edition and render what ``touched_ids`` (and link changes) touch."""
        assert self.edition is not None
        old_edition = self.edition
        t1 = time.perf_counter()
        if links is not None:
            # exact links from a detection: texts whose links changed are touched
            phase1 = self._phase1_texts(Diagnostics())
            before = _mark_keys(phase1, self.links)
            after = _mark_keys(phase1, links)
            self.links = links
            self.links_exact = True
            edition = self._assemble(False)
            touched_ids = touched_ids | {tid for tid, key in before.items() if after[tid] != key}
        else:
            edition = self._assemble(detect, touched_ids)
        t2 = time.perf_counter()
        affected = set(touched_ids)
        if links is None:  # a changed text shows in the quotation entries of the texts linked to it
            for lks in (old_edition.links, edition.links):
                affected |= _neighbours(lks, touched_ids)
        writer, files = self._render(edition, None if render_all else sorted(affected))
        if render_all:
            self.env = None
        t3 = time.perf_counter()
        new_files_of = dict(self.files_of)
        for tid in affected | set(old_edition.texts) | set(edition.texts):
            if tid in edition.texts:
                if render_all or tid in affected:
                    new_files_of[tid] = self._site_files(writer, edition.texts[tid])
            else:
                new_files_of.pop(tid, None)
        stale: set[str] = set()
        for tid, old_files in self.files_of.items():
            stale |= old_files - new_files_of.get(tid, set())
        stale -= set(files)
        if render_all:
            self._commit_full(files)
        else:
            self._commit_some(files, stale)
        self.files_of = new_files_of
        self.edition = edition
        self._set_global(edition.diagnostics.items)
        report.rendered = (
            sorted(edition.texts) if render_all else sorted(t for t in affected if t in edition.texts)
        )
        report.timings.update({"across": t2 - t1, "render": t3 - t2, "write": time.perf_counter() - t3})
        self.last_error = None

    # -- quotations in the background ------------------------------------------------
    def snapshot_key(self) -> object:
        """Identifies the phase-1 texts now in memory (a detection applies only to the texts it saw)."""
        return tuple(
            sorted((tid, id(tx), tx.digest) for tid, tx in self._phase1_texts(Diagnostics()).items())
        )

    def detection_due(self) -> bool:
        return self.built and not self.links_exact and self.quotations_on()

    def start_detection(self) -> BackgroundJob | None:
        """Detect quotations over every text in a forked process (the preview keeps answering)."""
        if not self.detection_due():
            return None
        assert self.config is not None
        return BackgroundJob.start(self.snapshot_key(), self.config, self._phase1_texts(Diagnostics()))

    def apply_links(self, key: object, links: list[Link]) -> Report:
        """Take the links of a finished detection; render the texts whose links changed."""
        t0 = time.perf_counter()
        report = Report("quotations")
        if key != self.snapshot_key():
            report.kind = "none"  # the texts changed since: a newer detection will come
            return report
        if links == self.links:
            self.links_exact = True
            report.kind = "none"
            return report
        state = self._state()
        try:
            self._rebuild(set(), report, links=links)
        except Exception as exc:
            self._restore(state)
            self._failed(report, exc)
        report.seconds = time.perf_counter() - t0
        return report

    # -- the search index in the background ------------------------------------------
    SEARCH_PARTS = ("pagefind", "search")
    """What :func:`edition.search.index` writes into the site."""

    def search_key(self) -> object:
        return (self.snapshot_key(), tuple(self.links))

    def search_due(self) -> bool:
        return self.built and self.edition is not None and self._search_key != self.search_key()

    def start_search(self) -> BackgroundJob | None:
        """Build the search index of the site as it is now, in a forked process, into a scratch
        directory next to the site."""
        if not self.search_due():
            return None
        scratch = Path(tempfile.mkdtemp(prefix=".search-", dir=self.out.parent))
        return BackgroundJob.run(self.search_key(), _search_child, (self.edition, scratch), "search", scratch)

    def apply_search(self, key: object, scratch: Path) -> Report:
        """Put a finished search index in place (if the texts it indexed are still the ones shown)."""
        report = Report("search")
        try:
            if key != self.search_key():
                report.kind = "none"
                return report
            for name in self.SEARCH_PARTS:
                src, dst = scratch / name, self.out / name
                if not src.exists():
                    continue
                if dst.exists():
                    os.rename(dst, scratch / f".old-{name}")
                os.rename(src, dst)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        self._search_key = key
        self.last_changed = set()  # no page needs reloading for a new index
        return report

    def _keep_search(self, new: Path) -> None:
        """A full render replaces the site directory: carry the search index over."""
        for name in self.SEARCH_PARTS:
            old = self.out / name
            if not old.exists():
                continue
            for f in sorted(old.rglob("*")):
                target = new / f.relative_to(self.out)
                if f.is_dir() or target.exists():
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                os.rename(f, target)

    def detect_now(self) -> Report:
        """Detect quotations in this process and apply them (tests, benchmarks)."""
        if not self.detection_due():
            return Report("none")
        key = self.snapshot_key()
        links = _detect(self.config, self._phase1_texts(Diagnostics()))  # type: ignore[arg-type]
        return self.apply_links(key, links)

    def _commit_some(self, files: dict[str, bytes], stale: set[str]) -> None:
        changed: set[str] = set()
        for rel, data in files.items():
            h = hash(data)
            if self._written.get(rel) == h:
                continue  # the same bytes: leave the file (and its mtime) alone
            path = self.out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
            self._written[rel] = h
            changed.add(rel)
        for rel in stale:
            self._written.pop(rel, None)
            changed.add(rel)
            try:
                (self.out / rel).unlink()
            except FileNotFoundError:
                pass
        self.last_changed = changed


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _detect(config: Config, texts: dict[str, Text]) -> list[Link]:
    """Run the cross-text steps on copies of ``texts``; the links they found."""
    edition = Edition(config=config, diagnostics=Diagnostics())
    edition.texts = {tid: _copy(tx) for tid, tx in texts.items()}
    pipeline.across(edition)
    return list(edition.links)


def _child_signals() -> None:
    import signal

    # the parent's handlers were inherited with the fork: this process must die on terminate(),
    # and Ctrl-C (sent to the whole process group) is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _search_child(conn: Any, edition: Edition, out: Path) -> None:
    import signal

    _child_signals()
    # search.index runs the Pagefind binary as a child of this process: on terminate(), stop it
    # and reap it before leaving, so no orphan (or zombie) is left behind
    os.setpgrp()

    def on_term(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            os.killpg(0, signal.SIGTERM)
        except OSError:
            pass
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.02)
        os._exit(1)

    signal.signal(signal.SIGTERM, on_term)
    try:
        from . import search

        diags = Diagnostics()
        search.index(edition, out, diags)
        conn.send(("ok", [str(d) for d in diags.items]))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _detect_child(conn: Any, config: Config, texts: dict[str, Text]) -> None:
    _child_signals()
    try:
        conn.send(("ok", _detect(config, texts)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


@dataclass(slots=True)
class BackgroundJob:
    """Slow work over a snapshot of the site's state, in a forked child process: quotation
    detection (:func:`_detect_child`) and the search index (:func:`_search_child`).

    A child process, not a thread: that work is pure Python for the most part and would hold the
    GIL against the preview's own rebuilds; a child can also be stopped at once when the editor
    saves again (:meth:`cancel`). The child inherits the snapshot (fork) and sends back its
    result through a pipe."""

    key: object
    process: Any
    conn: Any
    started: float = 0.0
    closed: bool = False
    kind: str = "quotations"
    """``quotations`` or ``search``."""
    scratch: Path | None = None
    """Where the child writes (removed when the job is cancelled or its result is dropped)."""

    @classmethod
    def start(cls, key: object, config: Config, texts: dict[str, Text]) -> BackgroundJob:
        """Quotation detection over ``texts``."""
        return cls.run(key, _detect_child, (config, texts), "quotations")

    @classmethod
    def run(
        cls, key: object, target: Any, args: tuple[Any, ...], kind: str, scratch: Path | None = None
    ) -> BackgroundJob:
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=target, args=(send, *args), daemon=True, name=f"edition-{kind}")
        proc.start()
        send.close()
        return cls(key, proc, recv, time.perf_counter(), kind=kind, scratch=scratch)

    def ready(self) -> bool:
        try:
            return bool(self.conn.poll())
        except (OSError, EOFError):
            return True

    def result(self) -> Any:
        """What the child sent (raises RuntimeError when it failed)."""
        try:
            status, value = self.conn.recv()
        except (EOFError, OSError) as exc:
            raise RuntimeError(f"{self.kind} worker stopped ({type(exc).__name__})") from None
        finally:
            self.close()
        if status != "ok":
            raise RuntimeError(value)
        return value

    def cancel(self) -> None:
        if not self.closed and self.process.is_alive():
            self.process.terminate()
        self.close()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.process.join(5)
        if self.process.is_alive():  # pragma: no cover - terminate() did not take
            self.process.kill()
            self.process.join(5)
        try:
            self.conn.close()
        except OSError:
            pass
        self.process.close()


DetectionJob = BackgroundJob


def _copy(text: Text) -> Text:
    """The text with a copy of its tree (quotations.mark edits trees in place)."""
    return Text(
        id=text.id,
        source=text.source,
        meta=text.meta,
        tree=copy.deepcopy(text.tree),
        path=text.path,
        digest=text.digest,
    )


def _mark_keys(texts: dict[str, Text], links: list[Link]) -> dict[str, object]:
    """What each text's marked tree depends on: its phase-1 tree and the links that touch it."""
    by_text: dict[str, list[Link]] = {}
    for ln in links:
        by_text.setdefault(ln.a.text, []).append(ln)
        if ln.b.text != ln.a.text:
            by_text.setdefault(ln.b.text, []).append(ln)
    return {tid: (id(tx), tx.digest, tuple(by_text.get(tid, ()))) for tid, tx in texts.items()}


def _reading_texts(text: Text, anchors: set[str]) -> dict[str, str]:
    """xml:id -> reading text of the blocks named by ``anchors``, as quotation detection reads
    them (``quotations.teiio.read_blocks`` takes ``tei.text_content`` of each block)."""
    from .tei import text_content

    return {
        el.get(XML_ID) or "": text_content(el)
        for el in text.root.iter()
        if isinstance(el.tag, str) and el.get(XML_ID) in anchors
    }


def revalidate(links: list[Link], texts: dict[str, Text], changed: set[str]) -> list[Link]:
    """Links carried over an edit: dropped when a side's text is gone or its passage no longer
    stands in its block; re-anchored (new offsets) when the passage moved inside the block."""
    from dataclasses import replace

    wanted: dict[str, set[str]] = {}
    for ln in links:
        for p in (ln.a, ln.b):
            if p.text in changed:
                wanted.setdefault(p.text, set()).add(p.anchor)
    readings: dict[str, dict[str, str]] = {}
    out: list[Link] = []
    for ln in links:
        if ln.a.text not in texts or ln.b.text not in texts:
            continue
        sides = []
        for p in (ln.a, ln.b):
            if p.text in changed:
                if p.text not in readings:
                    readings[p.text] = _reading_texts(texts[p.text], wanted.get(p.text, set()))
                block = readings[p.text].get(p.anchor)
                if block is None:
                    break
                if block[p.start : p.end] != p.quote:
                    i = block.find(p.quote)
                    if i < 0:
                        break
                    p = replace(p, start=i, end=i + len(p.quote))
            sides.append(p)
        else:
            out.append(replace(ln, a=sides[0], b=sides[1]) if (sides[0], sides[1]) != (ln.a, ln.b) else ln)
    return out


def _neighbours(links: list[Link], ids: set[str]) -> set[str]:
    out: set[str] = set()
    for link in links:
        if link.a.text in ids or link.b.text in ids:
            out.add(link.a.text)
            out.add(link.b.text)
    return out


__all__ = ["BackgroundJob", "DetectionJob", "IncrementalSite", "Report", "revalidate"]
