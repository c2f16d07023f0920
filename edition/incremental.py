"""Incremental rebuilds for ``edition serve`` (issue 5).

:class:`IncrementalSite` keeps, between builds, the phase-1 result of every
source (its TEI tree as the reader and the per-text steps left it, before any
quotation was marked in it) and the diagnostics of its last read. On a change it
works out what the change touches and does only that:

* a source (or its sidecar ``NAME.yaml``) changed: that source alone is read
  again with :func:`edition.pipeline.read_text`; a deleted source is dropped and
  a new one is read. Which sources changed is decided from the files'
  ``(mtime, size)``, not from the watcher's event paths, so atomic saves
  (write a temporary file, rename it over the old one) and missed events are
  handled the same way.
* a source that no longer reads (any diagnostic of level ``error`` for it)
  keeps its last good version in the site; its diagnostics are kept in
  :attr:`IncrementalSite.problems` until the file reads cleanly again.
* quotations: :func:`edition.pipeline.across` runs on a fresh in-memory
  :class:`~edition.model.Edition` whose trees are copies of the cached phase-1
  trees. No source is read again. We run it over every text rather than a
  subset because one edit can create or remove a link with any other text, and
  ``quotations.mark`` edits trees in place: re-running it on an already marked
  tree would mark passages twice, hence the copies. The copies are skipped when
  detection is disabled. A crash of that step (the quotation stage is optional
  and may be missing) is reported as a warning and the site is built without
  links.
* pages rendered again: the edited text's pages, the pages of every text
  linked to it by a quotation before or after the edit, the index,
  ``links.json``; plus the TEI and source copies of those texts. Other pages on
  disk stay as they are.
* a template or static asset changed: every page is rendered again from the
  texts in memory (nothing is re-read); ``edition.yaml`` changed: full rebuild.

Pages are rendered into memory first and written only when every page of the
change rendered, so a template error leaves the last good site in place.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from . import export, pipeline
from .config import CONFIG_NAME, PACKAGE_TEMPLATES, Config, load_config
from .errors import Diagnostic, Diagnostics, EditionError, Level, Location
from .model import Edition, Link, Text
from .render.templates import make_env
from .site import SiteWriter
from .sources import META_SUFFIXES, discover, is_ignored
from .tei import serialize

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
    """Diagnostics produced by this build (to print in the terminal)."""
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

    def __init__(self, edition: Edition, out: Path, diags: Diagnostics, env: jinja2.Environment | None) -> None:
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

    # -- what is wrong now ---------------------------------------------------
    def diagnostics(self) -> list[Diagnostic]:
        items = [*self.config_diags, *self.build_diags]
        for diags in self.problems.values():
            items.extend(diags)
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
        text = pipeline.read_text(config, rel, diags)
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
        config = load_config(self.content, diags)  # raises ConfigError when edition.yaml is unusable
        rels = discover(config, diags)
        stamps = {rel: self._stamp_of(rel) for rel in rels}
        texts = pipeline.read_all(config, diags, sources=rels)
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

    def _scan(self) -> tuple[list[Path], list[Path], list[Path]]:
        """(changed, added, removed) sources, from the files on disk."""
        assert self.config is not None
        rels = discover(self.config, Diagnostics())
        known = set(self.problems) | set(self.cache)
        changed, added = [], []
        for rel in rels:
            if rel not in known:
                added.append(rel)
            elif self._stamps_seen.get(rel) != self._stamp_of(rel):
                changed.append(rel)
        present = set(rels)
        removed = sorted(r for r in known if r not in present)
        return changed, added, removed

    # -- assembling the edition ------------------------------------------------
    def _assemble(self) -> Edition:
        """A fresh Edition from the cached texts, with quotations detected across them."""
        assert self.config is not None
        diags = Diagnostics()
        edition = Edition(config=self.config, diagnostics=diags)
        detect = self.config.quotations.enabled
        seen: dict[str, Path] = {}
        for rel in sorted(self.cache):
            text = self.cache[rel].text
            if text.id in seen:
                diags.error(Location(rel), f"duplicate text id '{text.id}' (also used by {seen[text.id]}); "
                            "set a different 'id' in its metadata; text skipped", "duplicate-id")
                continue
            seen[text.id] = rel
            if detect:
                # quotations.mark edits trees in place: work on a copy of the phase-1 tree
                text = Text(id=text.id, source=text.source, meta=text.meta, tree=copy.deepcopy(text.tree),
                            path=text.path, digest=text.digest)
            edition.texts[text.id] = text
        try:
            pipeline.across(edition)
        except Exception as exc:  # the quotation stage is optional; a crash there must not stop the preview
            edition.links = []
            diags.warning(Location(CONFIG_NAME), f"quotation detection failed ({type(exc).__name__}: {exc}); "
                          "the preview shows no quotation links", "across-crash")
        return edition

    def _site_files(self, writer: SiteWriter, text: Text) -> set[str]:
        files = {p.url for p in writer.plan.pages.get(text.id, [])}
        files.add(f"tei/{text.id}.xml")
        if text.path is not None:
            files.add(f"sources/{text.source.as_posix()}")
            meta = text.meta.meta_path
            if meta and meta != text.source:
                files.add(f"sources/{meta.as_posix()}")
        return files

    def _render(self, edition: Edition, ids: Iterable[str] | None) -> tuple[_MemoryWriter, dict[str, bytes]]:
        """Render pages of ``ids`` (None: every page and static file) into memory."""
        assert self.config is not None
        if self.env is None:
            self.env = make_env(self.config)
        writer = _MemoryWriter(edition, self.out, edition.diagnostics, self.env)
        if ids is None:
            writer.static()
            ids = list(edition.texts)
        writer.index()
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
        try:
            from . import extras

            extras.write_all(writer)
        except Exception as exc:  # links.json needs the quotation stage, which may be missing
            if isinstance(exc, EditionError):
                raise
            edition.diagnostics.warning(Location(CONFIG_NAME), f"links.json not written ({type(exc).__name__}: {exc})",
                                        "extras-crash")
        return writer, writer.files

    # -- builds ----------------------------------------------------------------
    def full(self, reread: bool = True) -> Report:
        """Read (unless ``reread`` is False) and render everything into a new directory swapped in place."""
        t0 = time.perf_counter()
        report = Report("full" if reread else "templates")
        before = {id(d) for d in self.diagnostics()}
        try:
            if reread or self.config is None:
                self._load_all()
            else:
                self.env = None
            t1 = time.perf_counter()
            edition = self._assemble()
            t2 = time.perf_counter()
            writer, files = self._render(edition, None)
            t3 = time.perf_counter()
            self._commit_full(files)
            self.files_of = {tid: self._site_files(writer, tx) for tid, tx in edition.texts.items()}
            self.edition = edition
            self._set_global(edition.diagnostics.items)
            report.timings = {"read": t1 - t0, "across": t2 - t1, "render": t3 - t2, "write": time.perf_counter() - t3}
            report.rendered = sorted(edition.texts)
            self.built = True
            self.last_error = None
        except Exception as exc:
            report.ok = False
            report.error = str(exc) if isinstance(exc, EditionError) else f"{type(exc).__name__}: {exc}"
            self.last_error = report.error
            if isinstance(exc, EditionError) and exc.location is not None:
                pass
            elif not isinstance(exc, EditionError):
                import traceback

                report.error += "\n" + traceback.format_exc()
        report.new_diagnostics = [d for d in self.diagnostics() if id(d) not in before]
        report.seconds = time.perf_counter() - t0
        return report

    def _set_global(self, *lists: list[Diagnostic]) -> None:
        self.build_diags = [d for items in lists for d in items]

    def _commit_full(self, files: dict[str, bytes]) -> None:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.tmp-", dir=self.out.parent))
        try:
            for rel, data in files.items():
                path = tmp / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            from .builder import replace_dir

            replace_dir(tmp, self.out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def update(self, paths: Iterable[Path] = ()) -> Report:
        """Rebuild what a set of changed paths touches."""
        paths = list(paths)
        if self.config is None or not self.built:
            return self.full()
        kind = self.classify(paths)
        if kind == "full":
            return self.full(reread=True)
        if kind == "templates":
            changed, added, removed = self._scan()
            if not (changed or added or removed):
                return self.full(reread=False)
            # sources changed as well: take them in, then render everything
            report = self._update_texts(changed, added, removed, render_all=True)
            report.kind = "templates"
            return report
        changed, added, removed = self._scan()
        if not (changed or added or removed):
            return Report("none")
        return self._update_texts(changed, added, removed)

    def _update_texts(self, changed: list[Path], added: list[Path], removed: list[Path],
                      render_all: bool = False) -> Report:
        assert self.config is not None and self.edition is not None
        t0 = time.perf_counter()
        report = Report("texts", changed=sorted([*changed, *added, *removed]))
        new_diags: list[Diagnostic] = []
        old_edition = self.edition
        touched_ids: set[str] = set()
        old_problems = dict(self.problems)
        old_cache = dict(self.cache)
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
                self.problems[rel] = diags
                new_diags.extend(diags)
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
            edition = self._assemble()
            t2 = time.perf_counter()
            affected = set(touched_ids)
            for links in (old_edition.links, edition.links):
                affected |= _neighbours(links, touched_ids)
            writer, files = self._render(edition, None if render_all else sorted(affected))
            if render_all:
                self.env = None
            t3 = time.perf_counter()
            new_files_of = dict(self.files_of)
            for tid in affected | set(old_edition.texts):
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
            report.rendered = sorted(t for t in affected if t in edition.texts) if not render_all else sorted(edition.texts)
            report.timings = {"read": t1 - t0, "across": t2 - t1, "render": t3 - t2, "write": time.perf_counter() - t3}
            self.last_error = None
        except Exception as exc:
            # keep the last good site and state; the next change tries again
            self.cache = old_cache
            self.problems = old_problems
            for rel in [*changed, *added]:
                self._stamps_seen.pop(rel, None)
            report.ok = False
            report.error = str(exc) if isinstance(exc, EditionError) else f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, EditionError):
                import traceback

                report.error += "\n" + traceback.format_exc()
            self.last_error = report.error
        report.new_diagnostics = new_diags
        report.seconds = time.perf_counter() - t0
        return report

    def _commit_some(self, files: dict[str, bytes], stale: set[str]) -> None:
        for rel, data in files.items():
            path = self.out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        for rel in stale:
            try:
                (self.out / rel).unlink()
            except FileNotFoundError:
                pass


def _neighbours(links: list[Link], ids: set[str]) -> set[str]:
    out: set[str] = set()
    for link in links:
        if link.a.text in ids or link.b.text in ids:
            out.add(link.a.text)
            out.add(link.b.text)
    return out


__all__ = ["IncrementalSite", "Report"]
