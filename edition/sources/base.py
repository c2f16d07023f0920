"""The reader interface: one source file in, one TEI ``<text>`` out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from ..errors import Diagnostics, Location
from ..model import TextMeta


@dataclass(slots=True)
class SourceFile:
    """A decoded source handed to a reader."""

    rel: Path
    """Path relative to the content directory (what messages show)."""
    path: Path
    """Absolute path."""
    text: str
    """The whole file decoded as UTF-8 (front matter included)."""
    meta: TextMeta
    body_line: int = 1
    """1-based line where the body starts (after YAML front matter)."""

    @property
    def body(self) -> str:
        """The text after the front matter (line numbers: add ``body_line - 1``)."""
        if self.body_line <= 1:
            return self.text
        return "".join(self.text.splitlines(keepends=True)[self.body_line - 1 :])

    def loc(self, line: int | None = None) -> Location:
        return Location(self.rel, line)


@dataclass(slots=True)
class ReadResult:
    """What a reader returns."""

    text: etree._Element
    """A ``tei:text`` element (front?/body/back?). Elements carry ``ed:line``."""
    encoding: list[etree._Element] = field(default_factory=list)
    """Children for the header's ``encodingDesc`` (e.g. ``editorialDecl`` saying what was corrected)."""
    source_desc: list[etree._Element] = field(default_factory=list)
    """Extra children for ``sourceDesc`` (e.g. a ``bibl`` for a reposted article)."""
    profile_desc: list[etree._Element] = field(default_factory=list)
    """Extra children for ``profileDesc`` (the ``tei`` reader: the source's ``creation``, ``correspDesc``...)."""
    revision_desc: etree._Element | None = None
    """A ``revisionDesc`` for the header (the ``tei`` reader: the source's own)."""


class Reader(ABC):
    """Base class of every reader. Register subclasses in ``edition.sources.READERS``."""

    name: ClassVar[str]
    """Value of the ``format`` metadata key that selects this reader."""
    extensions: ClassVar[tuple[str, ...]] = ()
    """File suffixes (lower case, with dot) read by default."""

    @abstractmethod
    def read(self, src: SourceFile, diags: Diagnostics) -> ReadResult:
        """Build the TEI ``<text>``; record problems in ``diags`` and keep going."""

    @classmethod
    def embedded_meta(cls, text: str) -> tuple[dict[str, Any], dict[str, int]]:
        """Metadata the source states itself (a TEI header), as front matter keys with their
        lines; a sidecar or front matter wins over it. Must not raise."""
        return {}, {}

    def sniff(self, src: SourceFile) -> str | None:
        """Optionally say why another reader would fit better (``edition check`` shows it)."""
        return None
