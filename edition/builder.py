"""One build: read every text, resolve across texts, write the site atomically."""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import export, pipeline
from .config import load_config
from .errors import ConfigError, Diagnostic, Diagnostics, EditionError, Location
from .model import Edition
from .site import SiteWriter


@dataclass(slots=True)
class BuildResult:
    edition: Edition
    out: Path | None
    """Where the site is (None when nothing was written)."""
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def diagnostics(self) -> Diagnostics:
        return self.edition.diagnostics


def check_out_dir(content: Path, out: Path) -> None:
    """Refuse an output directory that is or contains the content, or lies inside it."""
    c, o = content.resolve(), out.resolve()
    if o == c or c.is_relative_to(o):
        raise ConfigError(f"output directory '{out}' contains the content directory; choose another (-o)")
    if o.is_relative_to(c):
        raise ConfigError(f"output directory '{out}' is inside the content directory '{content}'; the tool never writes there")


Progress = Callable[[str, int, int], None]


def load(content: Path, diags: Diagnostics | None = None, progress: Progress | None = None) -> Edition:
    """Phase 1 and 2 without writing anything (``edition check`` uses this)."""
    diags = diags or Diagnostics()
    config = load_config(content, diags)
    edition = Edition(config=config, diagnostics=diags)
    edition.texts = pipeline.read_all(config, diags, progress=(lambda i, n: progress("read", i, n)) if progress else None)
    pipeline.across(edition)
    return edition


def render_site(edition: Edition, out: Path, search: bool = True) -> dict[str, float]:
    """Write every output file into ``out`` (an empty directory)."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    writer = SiteWriter(edition, out, edition.diagnostics)
    writer.static()
    writer.index()
    ids = list(edition.texts)
    jobs = os.cpu_count() or 1
    if jobs > 1 and len(ids) >= pipeline.PARALLEL_MIN and "fork" in mp.get_all_start_methods():
        # Each text's pages, source copy and TEI file are independent: render them in
        # forked workers that inherit the writer (lxml trees do not pickle).
        global _WRITER
        _WRITER = writer
        chunks = [ids[i::jobs * 4] for i in range(jobs * 4)]
        try:
            with mp.get_context("fork").Pool(jobs) as pool:
                for written, items in pool.imap_unordered(_render_chunk, chunks):
                    writer.written.update(written)
                    writer.diags.extend(items)  # what a worker recorded would be lost otherwise
        finally:
            _WRITER = None
    else:
        for tid in ids:
            _render_text(writer, tid)
    from . import extras

    extras.write_all(writer)
    timings["render"] = time.perf_counter() - t0
    if search:
        t1 = time.perf_counter()
        from . import search as search_mod

        search_mod.index(edition, out)
        timings["search"] = time.perf_counter() - t1
    return timings


_WRITER: SiteWriter | None = None


def _render_text(writer: SiteWriter, tid: str) -> None:
    text = writer.edition.texts[tid]
    writer.text_pages(text)
    writer.source(text)
    writer.write(f"tei/{tid}.xml", export.serialize_text(text))


def _render_chunk(ids: list[str]) -> tuple[set[str], list[Diagnostic]]:
    assert _WRITER is not None
    before = len(_WRITER.diags.items)
    for tid in ids:
        _render_text(_WRITER, tid)
    return _WRITER.written, _WRITER.diags.items[before:]


def build(content: Path, out: Path, *, strict: bool = False, search: bool = True,
          progress: Progress | None = None, validate: bool = True) -> BuildResult:
    """Build the site into ``out``; the old ``out`` is replaced only on success."""
    content = Path(content)
    out = Path(out)
    check_out_dir(content, out)
    t0 = time.perf_counter()
    edition = load(content, progress=progress)
    timings = {"read+resolve": time.perf_counter() - t0}
    diags = edition.diagnostics
    if diags.failed(strict):
        return BuildResult(edition, None, timings)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        timings.update(render_site(edition, tmp, search=search))
        t1 = time.perf_counter()
        export.write_site_export(edition, tmp, validate=validate)  # OUT/export/: the archival bundle (issue 22)
        timings["export"] = time.perf_counter() - t1
        replace_dir(tmp, out)
    except EditionError as exc:
        # a template error stops the rendering: reported with everything else
        # collected so far, as a failed build (the last good site stays)
        shutil.rmtree(tmp, ignore_errors=True)
        if not diags.errors:  # raised in a worker process, whose record is lost
            diags.error(exc.location or Location("templates"), str(exc.args[0]), "template")
        return BuildResult(edition, None, timings)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    timings["total"] = time.perf_counter() - t0
    return BuildResult(edition, out, timings)


def replace_dir(new: Path, out: Path) -> None:
    """Swap ``new`` into place of ``out`` with two renames (no half-written site is ever visible at ``out``)."""
    os.chmod(new, 0o755)
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.rmdir(old)
        os.rename(out, old)
        os.rename(new, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(new, out)


__all__ = ["BuildResult", "EditionError", "build", "load"]
