"""Line model of a volume extracted from a PDF (issue 3).

Such a file is double-spaced: every text line is followed by one empty line.
A line holding only spaces marks a paragraph break, a longer run of empty lines
marks a page break (which may cut a sentence), and a long run of space-only
lines is a blank filler page between works. How many empty lines a page break
takes is read from the volume (:func:`page_gap`): three in the sample volume,
more where the extraction left the running heads' lines empty (issue 20). Two text lines with no empty line between
them (a "seam") show where the extraction lost or misplaced something; a seam
whose second line starts with a space is a structural break (a heading, the
notes, the chronicle). This module turns the physical lines into
:class:`Block` runs and knows nothing of works or notes.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

FILLER_BREAKS = 3
"""Space-only lines in a row that make a filler page (a work boundary)."""

_URL = re.compile(r"^(?:www\.|https?://)\S+$", re.I)
_TERMINAL = (".", "!", "?", ":", ";", '"', "”", "’", ")")


@dataclass(slots=True)
class Line:
    no: int
    """1-based physical line number."""
    text: str
    """The line without its leading and trailing spaces."""
    lead: bool
    """The line started with a space (headings and glued structure do)."""
    seam: bool
    """No empty line between this line and the previous text line."""
    page: int
    """Ordinal page of the PDF the line is on (1 = title page)."""
    pb: bool
    """A page break falls just before this line."""


@dataclass(slots=True)
class Block:
    """Text lines between two paragraph breaks (or a structural seam)."""

    lines: list[Line]
    breaks: int
    """Space-only lines before the block (0 after a seam or at the start)."""
    seam: bool = False
    """The block starts at a structural seam (seam + leading space)."""

    @property
    def first(self) -> Line:
        return self.lines[0]

    @property
    def text(self) -> str:
        return " ".join(ln.text for ln in self.lines)


@dataclass(slots=True)
class Layout:
    blocks: list[Block]
    width: int
    """Typical length of a full line (for telling short lines from full ones)."""
    pages: int
    seams: list[int] = field(default_factory=list)
    """Line numbers of seams inside running text (not structural)."""


def page_gap(text: str) -> tuple[int, int | None]:
    """The volume's blank-line model: how many empty lines follow a text line
    (the commonest run) and how many make a page break (the commonest run at
    least two longer; ``None`` when the volume shows no page breaks)."""
    runs: Counter[int] = Counter()
    n = 0
    for raw in text.split("\n"):
        if raw == "":
            n += 1
        else:
            if n:
                runs[n] += 1
            n = 0
    if not runs:
        return 1, None
    line_gap = runs.most_common(1)[0][0]
    longer = [(c, -k) for k, c in runs.items() if k > line_gap + 1]
    if not longer:
        return line_gap, None
    return line_gap, -max(longer)[1]


def breaks_in(blanks: int, line_gap: int, gap: int | None) -> int:
    """Page breaks in a run of ``blanks`` empty lines: each one adds ``gap -
    line_gap`` empty lines to the ordinary spacing (a blank page between two
    breaks shows as one longer run)."""
    if gap is None or blanks < gap:
        return 0
    return max(1, (blanks - line_gap) // (gap - line_gap))


def split_lines(text: str, offset: int = 0) -> Layout:
    """Physical lines -> blocks, with page numbers and seams (``offset`` is added
    to every line number: the lines of front matter before ``text``)."""
    line_gap, gap = page_gap(text)
    blocks: list[Block] = []
    page = 1
    blanks = 0
    breaks = 0
    prev_text = False
    pb_pending = False
    current: list[Line] = []
    seams: list[int] = []
    lengths: Counter[int] = Counter()

    for no, raw in enumerate(text.split("\n"), 1 + offset):
        if raw == "":
            blanks += 1
            prev_text = False
            continue
        pages = breaks_in(blanks, line_gap, gap)
        if pages:
            page += pages
            pb_pending = True
        seam = prev_text and blanks == 0
        blanks = 0
        if not raw.strip():
            breaks += 1
            prev_text = False
            continue
        prev_text = True
        body = raw.strip()
        lead = raw[0] == " "
        line = Line(no, body, lead, seam, page, pb_pending)
        pb_pending = False
        lengths[len(body) // 5] += 1
        if seam:
            seams.append(no)
        structural = seam and lead
        if not current or breaks or structural:
            if current:
                blocks[-1].lines = current
            blocks.append(Block([], breaks, structural))
            current = []
        current.append(line)
        breaks = 0
    if current:
        blocks[-1].lines = current
    width = _full_width(lengths)
    return Layout([b for b in blocks if b.lines], width, page, seams)


def _full_width(lengths: Counter[int]) -> int:
    """The length of a full line: four lines in five are not longer."""
    total = sum(lengths.values())
    if not total:
        return 80
    acc = 0
    for bucket in sorted(lengths):
        acc += lengths[bucket]
        if acc >= total * 0.8:
            return bucket * 5 + 5
    return 80


def is_url(line: str) -> bool:
    return bool(_URL.match(line))


_END_MARKER = re.compile(r"(?<=[.!?;:\"”’)])(?:\d{1,3}|[*†‡]{1,3})$")


def ends_sentence(text: str, marker: bool = False) -> bool:
    """The line closes a sentence (with ``marker``: maybe followed by a note
    marker, ``table.2``)."""
    text = text.rstrip()
    if marker:
        text = _END_MARKER.sub("", text)
    return text.endswith(_TERMINAL)


def looks_like_book(text: str) -> bool:
    """True when ``text`` has the shape of a PDF-extracted book: double-spaced
    lines, space-only paragraph lines and triple empty lines at page breaks."""
    lines = text.split("\n")
    if len(lines) < 60:
        return False
    sample = lines[:4000]
    nonempty = [ln for ln in sample if ln != ""]
    if not nonempty:
        return False
    spaces = sum(1 for ln in nonempty if not ln.strip())
    texts = len(nonempty) - spaces
    # double spacing: almost every text line is followed by an empty line
    followed = sum(1 for a, b in zip(sample, sample[1:], strict=False) if a.strip() and b == "")
    triple = sum(1 for i in range(len(sample) - 3) if sample[i] and sample[i + 1 : i + 4] == ["", "", ""])
    return texts > 20 and followed >= 0.9 * texts and spaces >= 3 and triple >= 1


FOOT_START = re.compile(r"^(?P<s>\*{1,3}|†{1,2}|‡{1,2})\s*(?=[\w“\"‘'(])")
"""A line opening a footnote body with its symbol (``* They were ...``); a
``* * *`` divider is not one."""
_FOOT_MARK = r"(?<=[\w.,;:!?”\"’')]){}(?![*†‡])"
FOOT_ZONE = 8
"""At most so many lines of footnotes at the foot of one page."""


def lift_footnotes(blocks: list[Block]) -> tuple[list[Block], list[list[Line]]]:
    """Footnotes printed at the foot of a page (issue 20): lines from one that
    opens with a symbol down to the page break, when every symbol opening a line
    there marks a word earlier on the same page. They are taken out of the
    running text (so a sentence cut by them joins again) and returned, one list
    of lines per page."""
    lines = [ln for b in blocks for ln in b.lines]
    pages: dict[int, list[Line]] = {}
    for ln in lines:
        pages.setdefault(ln.page, []).append(ln)
    lifted: set[int] = set()
    zones: list[list[Line]] = []
    for page_lines in pages.values():
        zone = _foot_zone(page_lines)
        if zone:
            zones.append(zone)
            lifted.update(id(ln) for ln in zone)
    if not zones:
        return blocks, zones
    out: list[Block] = []
    for b in blocks:
        kept = [ln for ln in b.lines if id(ln) not in lifted]
        if kept:
            out.append(Block(kept, b.breaks, b.seam) if kept[0] is b.first else Block(kept, 1, False))
    return out, zones


def _foot_zone(page: list[Line]) -> list[Line]:
    for z in range(max(1, len(page) - FOOT_ZONE), len(page)):
        m = FOOT_START.match(page[z].text)
        if not m:
            continue
        zone = page[z:]
        text = " ".join(ln.text for ln in page[:z])
        symbols = [f.group("s") for f in (FOOT_START.match(ln.text) for ln in zone) if f]
        if all(re.search(_FOOT_MARK.format(re.escape(sym)), text) for sym in symbols):
            return zone
        return []
    return []

