"""What a build keeps between runs (serve keeps it for the session; ``edition build`` for one run)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from .. import pipeline
from ..config import CONFIG_NAME, PACKAGE_TEMPLATES, Config
from ..errors import Diagnostic, Diagnostics, Level, Location
from ..model import Edition, Link, Text
from ..sources import META_SUFFIXES, is_ignored

Stamp = tuple[tuple[int, int], ...]
"""``(mtime_ns, size)`` of a source and its sidecars."""


@dataclass(slots=True)
class Cached:
    """The last good phase-1 result of one source."""

    text: Text
    stamp: Stamp


@dataclass(slots=True)
class Report:
    """What one run did."""

    kind: str
    """``full``, ``templates``, ``texts``, ``quotations``, ``search`` or ``none`` (nothing relevant changed)."""
    ok: bool = True
    """False when the run failed: the site on disk was left as it was."""
    changed: list[Path] = field(default_factory=list)
    """Sources read again, added or removed."""
    rendered: list[str] = field(default_factory=list)
    """Text ids whose pages were rendered."""
    new_diagnostics: list[Diagnostic] = field(default_factory=list)
    """Diagnostics produced by this run that the last read of the same file did not have
    (to print in the terminal)."""
    fixed: list[Diagnostic] = field(default_factory=list)
    """Errors of the sources read again that are gone."""
    error: str | None = None
    exception: Exception | None = None
    """What made the run fail (a template error, a bug)."""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class BuildState:
    """The kept state of the site of one content directory, built into ``out``.

    ``keep_phase1``: keep each source's phase-1 tree as the reader left it (serve, which
    marks quotations in copies and runs again); ``edition build`` runs once and marks the
    trees in place."""

    content: Path
    out: Path
    keep_phase1: bool = True
    config: Config | None = None
    cache: dict[Path, Cached] = field(default_factory=dict)
    """Source path -> its last good phase-1 result, in the order of the sources."""
    problems: dict[Path, list[Diagnostic]] = field(default_factory=dict)
    """Diagnostics of each source's last read (all levels), by source path."""
    stamps: dict[Path, Stamp] = field(default_factory=dict)
    """Stamp of each source when it was last read (good or not)."""
    config_diags: list[Diagnostic] = field(default_factory=list)
    """Diagnostics of the last full read not tied to one source (``edition.yaml``)."""
    build_diags: list[Diagnostic] = field(default_factory=list)
    """Diagnostics of the last successful assembly and render (quotations, templates, duplicate ids)."""
    edition: Edition | None = None
    """The edition the site shows now."""
    env: jinja2.Environment | None = None
    files_of: dict[str, set[str]] = field(default_factory=dict)
    """Text id -> the site files that belong to it (pages, TEI, source copies)."""
    written: dict[str, int] = field(default_factory=dict)
    """Site path -> hash of the bytes last written there (unchanged files are not written again)."""
    last_changed: set[str] = field(default_factory=set)
    """Site paths whose content changed in the last run."""
    last_error: str | None = None
    built: bool = False
    links: list[Link] = field(default_factory=list)
    """The quotation links the site shows now."""
    links_exact: bool = True
    """False when the links were carried over from before an edit (re-anchored, not detected again)."""
    marked: dict[str, tuple[object, Text]] = field(default_factory=dict)
    """Text id -> (what its marks depend on, the text with a marked copy of its phase-1 tree)."""
    index_key: object = None
    pages_key: object = None
    nav_key: dict[str, object] = field(default_factory=dict)
    """Text id -> what its previous/next links show (they follow the index's reading order)."""
    search_key_built: object = None
    """What the search index in the site was built from (see :meth:`search_key`)."""
    background_bundle: bool = False
    """Make the archival bundle ``export/`` in the background (serve; ``edition build`` makes it
    in its one run) and link it from the pages."""
    bundle_key_built: object = None
    """What the bundle in the site was made from (the texts and links: :meth:`search_key`)."""
    bundle_size: int | None = None
    """The size of the zip the site holds (the index shows it); None before the first."""

    def __post_init__(self) -> None:
        self.content = Path(self.content).resolve()
        self.out = Path(self.out)

    # -- what is wrong now ---------------------------------------------------
    def diagnostics(self) -> list[Diagnostic]:
        from ..errors import relative_location

        items = [*self.config_diags, *self.build_diags]
        for diags in self.problems.values():
            items.extend(diags)
        return Diagnostics([relative_location(d, self.content) for d in items]).sorted()

    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics() if d.level >= Level.ERROR]

    # -- which paths matter ----------------------------------------------------
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

    def sidecars(self, rel: Path) -> list[Path]:
        return [self.content / rel.with_suffix(s) for s in META_SUFFIXES]

    def stamp_of(self, rel: Path) -> Stamp:
        out = []
        for p in [self.content / rel, *self.sidecars(rel)]:
            try:
                st = p.stat()
                out.append((st.st_mtime_ns, st.st_size))
            except OSError:
                out.append((0, -1))
        return tuple(out)

    # -- the texts -------------------------------------------------------------
    def phase1_texts(self, diags: Diagnostics) -> dict[str, Text]:
        """The kept phase-1 texts by id, in the order of the sources (a duplicate id is
        reported and skipped by :func:`edition.pipeline.unique`, as a full read does)."""
        return pipeline.unique((self.cache[rel].text for rel in sorted(self.cache)), diags)

    def quotations_on(self) -> bool:
        return bool(
            self.config is not None and self.config.quotations.enabled and list(pipeline.ACROSS.active())
        )

    def snapshot_key(self) -> object:
        """Identifies the phase-1 texts now in memory (a detection applies only to the texts it saw)."""
        return tuple(sorted((tid, id(tx), tx.digest) for tid, tx in self.phase1_texts(Diagnostics()).items()))

    def detection_due(self) -> bool:
        return self.built and not self.links_exact and self.quotations_on()

    def search_key(self) -> object:
        return (self.snapshot_key(), tuple(self.links))

    def search_due(self) -> bool:
        return self.built and self.edition is not None and self.search_key_built != self.search_key()

    def bundle_key(self) -> object:
        """What the archival bundle is made from: the texts and their links."""
        return self.search_key()

    def bundle_due(self) -> bool:
        return (self.background_bundle and self.built and self.edition is not None
                and self.bundle_key_built != self.bundle_key())


def owner(path: str, rels: Iterable[Path]) -> Path | None:
    """The source a diagnostic's path belongs to (the source itself, or its sidecar)."""
    p = Path(path)
    rels = list(rels)
    if p in rels:
        return p
    if p.suffix.lower() in META_SUFFIXES:
        for r in rels:
            if r.with_suffix(p.suffix) == p:
                return r
    return None


def quotation_warning(diags: Diagnostics, what: str, exc: Exception, consequence: str = "") -> None:
    diags.warning(
        Location(CONFIG_NAME),
        f"quotation {what} failed ({type(exc).__name__}: {exc}){consequence}",
        "across-crash",
    )


__all__ = ["BuildState", "Cached", "Report", "Stamp"]
