"""The pipeline as data: named, ordered steps (after markdown-it-py's ``Ruler``).

Phase 1 runs per text (read, attach notes, assign ids) and can run in worker
processes; phase 2 sees the whole edition (quotations, links) and runs once.
A plugin can insert a step with ``PER_TEXT.after("attach_notes", "x", fn)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from lxml import etree

from . import ids, notes, workers
from .config import Config
from .errors import Diagnostic, Diagnostics, Location
from .header import make_document
from .model import Edition, Text
from .sources import discover, load_source

F = TypeVar("F")


@dataclass(slots=True)
class Ruler(Generic[F]):
    """An ordered list of named steps."""

    rules: list[tuple[str, F]] = field(default_factory=list)
    disabled: set[str] = field(default_factory=set)

    def names(self) -> list[str]:
        return [n for n, _ in self.rules]

    def _index(self, name: str) -> int:
        try:
            return self.names().index(name)
        except ValueError:
            raise KeyError(f"no pipeline step named '{name}' (steps: {', '.join(self.names())})") from None

    def push(self, name: str, fn: F) -> None:
        self.rules.append((name, fn))

    def before(self, ref: str, name: str, fn: F) -> None:
        self.rules.insert(self._index(ref), (name, fn))

    def after(self, ref: str, name: str, fn: F) -> None:
        self.rules.insert(self._index(ref) + 1, (name, fn))

    def at(self, name: str, fn: F) -> None:
        self.rules[self._index(name)] = (name, fn)

    def disable(self, name: str) -> None:
        self._index(name)
        self.disabled.add(name)

    def active(self) -> Iterable[tuple[str, F]]:
        return [(n, f) for n, f in self.rules if n not in self.disabled]


TextStep = Callable[[Text, Diagnostics], None]
EditionStep = Callable[[Edition], None]

PER_TEXT: Ruler[TextStep] = Ruler([("attach_notes", notes.attach), ("assign_ids", ids.assign)])


def _detect_quotations(edition: Edition) -> None:
    if not edition.config.quotations.enabled:
        return
    try:
        from . import quotations
    except ImportError:  # pragma: no cover - the package is part of the tool
        return
    links = quotations.detect(edition)
    quotations.mark(edition, links)
    edition.links = links


ACROSS: Ruler[EditionStep] = Ruler([("quotations", _detect_quotations)])


def read_text(config: Config, rel: Path, diags: Diagnostics) -> Text | None:
    """Phase 1 for one source: read it and run the per-text steps."""
    loaded = load_source(config, rel, diags)
    if loaded is None:
        return None
    reader = loaded.reader()
    try:
        result = reader.read(loaded.src, diags)
    except Exception as exc:  # a reader bug must not stop the other texts
        diags.error(
            Location(rel), f"the {reader.name} reader failed: {type(exc).__name__}: {exc}", "reader-crash"
        )
        if os.environ.get("EDITION_DEBUG"):
            raise
        return None
    tree = make_document(
        loaded.id, rel.as_posix(), reader.name, loaded.digest, loaded.src.meta, config, result
    )
    text = Text(
        id=loaded.id, source=rel, meta=loaded.src.meta, tree=tree, path=loaded.src.path, digest=loaded.digest
    )
    for _name, step in PER_TEXT.active():
        step(text, diags)
    return text


def _read_worker(config: Config, rel: Path) -> tuple[bytes | None, Text | None, list[Diagnostic]]:
    diags = Diagnostics()
    text = read_text(config, rel, diags)
    if text is None:
        return None, None, diags.items
    xml = etree.tostring(text.tree)
    text.tree = None  # type: ignore[assignment]  # lxml trees do not pickle; sent as bytes
    return xml, text, diags.items


def _read_one(rel: Path, config: Config) -> tuple[bytes | None, Text | None, list[Diagnostic]]:
    """:func:`_read_worker` as a Dask worker calls it (the item first, the shared config after)."""
    return _read_worker(config, rel)


PARALLEL_MIN = 64
"""Below this many sources, reading in worker processes costs more than it saves."""


def read_all(
    config: Config,
    diags: Diagnostics,
    sources: list[Path] | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Text]:
    """Phase 1 over every source (in parallel for large editions)."""
    rels = discover(config, diags) if sources is None else sources
    texts: list[Text] = []
    ex = workers.executor()
    jobs = workers.jobs_for(len(rels), PARALLEL_MIN, jobs)
    results: Iterable[tuple[bytes | None, Text | None, list[Diagnostic]]] | None = None
    if ex is not None and len(rels) > 1:  # edition build --scheduler (edition/distributed.py)
        results = ex.map(_read_one, rels, config)
    elif jobs > 1:
        results = workers.fork_map(_read_worker, config, rels, jobs, chunksize=32)
    if results is not None:
        for i, (xml, text, items) in enumerate(results):
            diags.extend(items)
            if text is not None and xml is not None:
                text.tree = etree.ElementTree(etree.fromstring(xml))
                texts.append(text)
            if progress:
                progress(i + 1, len(rels))
    else:
        for i, rel in enumerate(rels):
            text = read_text(config, rel, diags)
            if text is not None:
                texts.append(text)
            if progress:
                progress(i + 1, len(rels))
    return unique(texts, diags)


def unique(texts: Iterable[Text], diags: Diagnostics) -> dict[str, Text]:
    """The texts by id, in the order given; a text whose id is taken is reported and skipped."""
    out: dict[str, Text] = {}
    for text in texts:
        if text.id in out:
            other = out[text.id]
            diags.error(
                Location(text.source),
                f"duplicate text id '{text.id}' (also used by {other.source}); set a different 'id' in its metadata; text skipped",
                "duplicate-id",
            )
            continue
        out[text.id] = text
    return out


def across(edition: Edition) -> None:
    """Phase 2: steps that see every text."""
    for _name, step in ACROSS.active():
        step(edition)
