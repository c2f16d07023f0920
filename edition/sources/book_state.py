"""The plan of a PDF-extracted volume (issue 3), shared by the book reader's stages:
:mod:`.book` makes it, :mod:`.book_pair` puts its notes at their markers and
:mod:`.book_emit` writes it as TEI. Here so that none of them imports another's plan."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..errors import Diagnostics
from ..tei import ED_NS
from .base import SourceFile
from .book_body import Entry, Header, HeadingEvidence
from .book_dates import Chronicle
from .book_layout import Block, Layout, Line
from .book_notes import NoteBody
from .book_text import Run
from .book_works import NotesBlock, NotesSection, Volume

ED_SCOPE = f"{{{ED_NS}}}scope"


@dataclass(slots=True)
class Work:
    id: str
    n: int
    header: Header
    header_runs: list[Run]
    """Title then each subtitle."""
    entries: list[Entry]
    kind: str
    scope: str
    group: GroupPlan | None = None
    notes: NotesPlan | None = None
    date: dict[str, str] | None = None
    date_year: int | None = None
    date_line: Line | None = None
    date_pre: str = ""
    chronicle_pub: tuple[str, int] | None = None
    """Publication data quoted from the chronicle (text, line) when the work prints none."""

    @property
    def title(self) -> str:
        return " ".join(ln.text for ln in self.header.title)

    def runs(self) -> list[Run]:
        out = list(self.header_runs)
        for e in self.entries:
            if e.title_run:
                out.append(e.title_run)
            if e.run:
                out.append(e.run)
        return out


@dataclass(slots=True)
class GroupPlan:
    header: Header
    header_runs: list[Run]
    scope: str
    works: list[Work] = field(default_factory=list)
    notes: NotesPlan | None = None
    date: dict[str, str] | None = None


@dataclass(slots=True)
class NotesPlan:
    block: NotesBlock
    bodies: list[NoteBody]
    stray: list[Block]
    scope: str
    works: list[Work]
    section: NotesSection | None = None
    """The notes section of several works this plan is one run of."""
    foot: bool = False
    """Only footnotes from the foot of the work's pages: no notes division of its own."""


class BuildState:
    """One volume as the reader goes: the source, its diagnostics and counts, and the plan
    (set by :meth:`.book._Build.run`, in that order)."""

    layout: Layout
    vol: Volume
    chronicle: Chronicle | None
    headings: HeadingEvidence
    order: list[Work | GroupPlan]
    """Works and groups of the body, in order."""
    works: list[Work]
    groups: list[GroupPlan]
    notes_plans: list[NotesPlan]
    front_runs: list[tuple[str, Run]]
    """The preface: (``head`` or ``p``, its run)."""
    chron_n: int
    """The chronicle's number (it takes the last)."""
    chron_runs: list[Run]

    def __init__(self, src: SourceFile, diags: Diagnostics) -> None:
        self.src = src
        self.diags = diags
        self.stats: Counter[str] = Counter()

    def warn(self, line: int | None, message: str, code: str) -> None:
        self.diags.warning(self.src.loc(line), message, code)
