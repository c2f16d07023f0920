"""What moves between the pipeline's stages.

A :class:`Text` holds one source's TEI tree; stages change ``tree`` in place.
An :class:`Edition` holds every text of a build and what is found across them
(:class:`Link` quotations). Nothing here is a dict of strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from lxml import etree

from .config import Config
from .errors import Diagnostics

LinkKind = Literal["verbatim", "elided", "edited", "translation"]


@dataclass(slots=True)
class TextMeta:
    """Metadata of one text, from front matter or a sidecar ``NAME.yaml``."""

    title: str
    lang: str
    """BCP 47 tag as given (``zh-Hans``, ``en``); see :func:`edition.config.normalise_lang`."""
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    date: str | None = None
    """ISO 8601 date or year (``1927-03-31``, ``1906``), as TEI ``@when`` wants it."""
    source: str | None = None
    """Where the text comes from: a bibliographic line or URL."""
    license: str | None = None
    format: str | None = None
    """Reader to force (``plain``, ``markdown``, ``book``, ``tei``)."""
    inferred: dict[str, str] = field(default_factory=dict)
    """Keys whose values the editor inferred, with the reason (``{"author": "notes signed 托洛茨基注"}``)."""
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    meta_path: Path | None = None
    """File the metadata was read from (sidecar), relative to the content directory."""
    meta_line: dict[str, int] = field(default_factory=dict)
    """Line of each key in the metadata file, for messages."""


@dataclass(slots=True)
class Text:
    """One source text and its TEI document."""

    id: str
    """Stable id used in URLs, file names and cross-links (``trotsky-results``)."""
    source: Path
    """Path relative to the content directory; used in every message."""
    meta: TextMeta
    tree: etree._ElementTree
    """The TEI document; stages change it in place."""
    path: Path | None = None
    """Absolute path of the source file (None for texts made in memory)."""
    digest: str = ""
    """sha256 of the source bytes and its metadata: what incremental rebuilds compare."""

    @property
    def root(self) -> etree._Element:
        return self.tree.getroot()


@dataclass(frozen=True, slots=True)
class Passage:
    """One side of a quotation link: an exact span inside one element."""

    text: str
    """Text id."""
    anchor: str
    """xml:id of the element holding the passage (a ``p``, ``quote``, ``note``...)."""
    quote: str
    """The passage exactly as it stands in the text's reading (corrected) form."""
    start: int = 0
    """Character offsets of ``quote`` in the anchor element's reading text."""
    end: int = 0


def seg_id(p: Passage) -> str:
    """The xml:id :func:`edition.quotations.mark` gives a passage (stable: the site computes it too)."""
    return f"{p.anchor}-q{p.start}-{p.end}"


@dataclass(frozen=True, slots=True)
class Link:
    """A quotation shared by two passages."""

    id: str
    kind: LinkKind
    score: float
    a: Passage
    b: Passage
    direction: Literal["a->b", "b->a"] | None = None
    """``a->b``: a quotes b."""


@dataclass(slots=True)
class Edition:
    config: Config
    texts: dict[str, Text] = field(default_factory=dict)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    links: list[Link] = field(default_factory=list)
