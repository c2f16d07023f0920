"""Cut a volume's blocks into title page, preface, works, notes and chronicle.

The cues are those of the printed book as the extraction left them (issue 3):
filler pages (runs of space-only lines) between works, notes sections,
structural seams, and the shape of title lines (short, no closing
punctuation). A notes section is found by its shape, whatever its heading says
(issue 20): a short line, then blocks opening with the numbers 1..n (or a
footnote symbol); after a work's text, or at the end of the volume with the
numbering starting again for each work. A heading followed at once by another
title is a shared heading (a plenum holding a report and the reply to its
discussion): its works become the children of one group up to the group's
notes. Nothing here depends on one volume's words, titles or line numbers.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .book_layout import FILLER_BREAKS, Block, Layout, Line, ends_sentence, is_url, lift_footnotes
from .book_notes import NOTE_START, SYMBOL_START, choose_markers, parse_notes
from .book_text import find_markers, make_run

MONTHS = "January February March April May June July August September October November December".split()
_MONTH = "|".join(MONTHS)
DATE_LINE = re.compile(
    rf"^(?:(?P<pre>[A-Z][\w\s,.]*?)\s+)?(?P<m1>{_MONTH})\s+(?P<d1>\d{{1,2}})"
    rf"(?:\s*[-–]\s*(?:(?P<m2>{_MONTH})\s+)?(?P<d2>\d{{1,2}}))?(?:,\s*(?P<y>\d{{4}}))?\.?$"
)
"""A date on its own line: ``March 1, 1927``, ``November 22-December 16, 1926``,
``Report Delivered on December 7`` (with a lead-in)."""
ROMAN = re.compile(r"^[IVXL]{1,6}\.?$")
NUMBERED_HEAD = re.compile(r"^(\d{1,2})\.\s+(\S.*)$")
CHRONICLE_EVENT = re.compile(r"\b[A-Z]\. ?[A-Z]\. [A-Z][a-z]+")
FUNCTION_WORDS = frozenset("a an and at by for from in of on or the to with".split())
"""Small words: not capitalised in a title, and a title line that ends on one goes on."""


@dataclass(slots=True)
class NotesBlock:
    """The notes of one work (or of a group): the heading printed before them
    (any words: ``Notes``, ``Annotations``, a work's title in the volume's
    end notes; may be empty) and their blocks."""

    heads: list[Line]
    blocks: list[Block]

    @property
    def first(self) -> Line:
        return self.heads[0] if self.heads else self.blocks[0].first


@dataclass(slots=True)
class NotesSection:
    """Notes of several works printed in one place (at the end of the volume),
    the numbering starting again for each work; which work a run belongs to is
    read from the markers (:mod:`.book`)."""

    heads: list[Line]
    runs: list[NotesBlock]


@dataclass(slots=True)
class WorkPart:
    """One work: its header block and body blocks; notes if it has its own."""

    header: Block
    body: list[Block]
    notes: NotesBlock | None = None


@dataclass(slots=True)
class Group:
    """A shared heading over several works (their notes are one block)."""

    header: Block
    works: list[WorkPart] = field(default_factory=list)
    notes: NotesBlock | None = None


@dataclass(slots=True)
class Volume:
    title_page: list[Line]
    dropped: list[Line]
    """Lines left out on purpose (the publisher's URL)."""
    front: list[Block]
    units: list[WorkPart | Group | NotesSection]
    chronicle: list[Block]
    width: int
    footnotes: list[list[Line]] = field(default_factory=list)
    """Footnotes lifted from the foot of their pages, one list of lines per page."""


def is_short(line: Line, width: int) -> bool:
    return len(line.text) < 0.8 * width


def is_heading_line(text: str) -> bool:
    """A line that could be (part of) a title: starts upper-case or with '(' and
    does not end a sentence (a glued note marker may follow)."""
    if not text or not (text[0].isupper() or text[0] in "(“\"'‘"):
        return False
    stripped = re.sub(r"[\d,]+$", "", text).rstrip()
    if re.search(r"(?:\b[A-Z]\.){2,}(?:\([A-Z]\.\))?$", stripped) or stripped.endswith(")"):
        return True  # an abbreviation (``U.S.S.R.``) or a parenthesis closes the title, not a sentence
    return not stripped.endswith((".", ",", ";", ":", "!", "?"))


def is_title_block(block: Block, width: int) -> bool:
    """A block made of title lines only (at most four short lines)."""
    lines = block.lines
    if len(lines) > 4 or ROMAN.match(lines[0].text) or NUMBERED_HEAD.match(lines[0].text):
        return False
    if lines[0].text.endswith(","):  # a salutation: "Dear Comrades,"
        return False
    if not all(is_heading_line(ln.text) or DATE_LINE.match(ln.text) for ln in lines):
        return False
    return all(
        is_short(ln, width) or ln.text.split()[-1].lower() in FUNCTION_WORDS for ln in lines[:-1]
    ) and (len(lines[-1].text) < 0.95 * width)


def is_note_start(text: str) -> bool:
    return bool(NOTE_START.match(text) or SYMBOL_START.match(text))


def is_bare_date(text: str) -> bool:
    """A date alone on its line, without a lead-in (``May 9, 1927``)."""
    m = DATE_LINE.match(text)
    return bool(m and not m.group("pre"))


def is_chronicle_start(blocks: list[Block], i: int) -> bool:
    """A date line followed by event lines naming a person (``J. V. Stalin ...``),
    and the next block the same."""
    hits = 0
    for b in blocks[i : i + 3]:
        m = DATE_LINE.match(b.lines[0].text)
        if len(b.lines) >= 2 and m and not m.group("pre") and CHRONICLE_EVENT.search(b.lines[1].text):
            hits += 1
    return hits >= 2


def segment(layout: Layout) -> Volume:
    blocks = layout.blocks
    width = layout.width
    title_page: list[Line] = []
    dropped: list[Line] = []
    i = 0
    # title page: everything on the first page of the PDF
    rest: list[Block] = []
    for b in blocks:
        first_lines = [ln for ln in b.lines if ln.page == 1]
        later = [ln for ln in b.lines if ln.page > 1]
        for ln in first_lines:
            (dropped if is_url(ln.text) else title_page).append(ln)
        if later:
            rest.append(Block(later, b.breaks if not first_lines else 0, b.seam))
    rest, footnotes = lift_footnotes(rest)
    blocks = _split_at_page_heads(rest, width)
    # front: from the first page after the title page to the first structural break
    front: list[Block] = []
    while i < len(blocks):
        b = blocks[i]
        if front and (b.seam or b.breaks >= FILLER_BREAKS):
            break
        front.append(b)
        i += 1
    units: list[WorkPart | Group | NotesSection] = []
    chronicle: list[Block] = []
    group: Group | None = None
    note_heads = _note_heads(blocks, width)
    while i < len(blocks):
        if is_chronicle_start(blocks, i):
            chronicle = blocks[i:]
            break
        found = find_notes(blocks, i, width) if any(not isinstance(u, NotesSection) for u in units) else None
        if found is not None and len(found[0]) == 1:
            # one run after a filler page: notes when the volume heads other notes the same
            # way or the text before has their markers, else a work of numbered points
            head = found[0][0].heads[-1].text if found[0][0].heads else ""
            if note_heads[head] < 2 and not _marked_in(_since_notes(units), found[0][0]):
                found = None
        if found is not None:
            # notes of the works before, printed together (at the end of the volume)
            units.append(_section(found[0]))
            group = None
            i = found[1]
            continue
        header = blocks[i]
        i += 1
        if (
            group is None
            and i < len(blocks)
            and is_title_block(header, width)
            and is_title_block(blocks[i], width)
        ):
            group = Group(header)
            units.append(group)
            header = blocks[i]
            i += 1
        work = WorkPart(header, [])
        if group is not None:
            group.works.append(work)
        else:
            units.append(work)
        while i < len(blocks):
            b = blocks[i]
            if b.breaks >= FILLER_BREAKS:
                break  # notes after a filler page are read at the top of the loop
            found = None
            if _is_notes_heading(b.first, width):
                found = find_notes(blocks, i, width, after_text=True)
            elif work.body and _note_number(b.first.text, 0) == 1:
                # notes with no heading at all: their numbers must be the text's markers
                found = find_notes(blocks, i, width, after_text=True, bare=True)
                if found is not None and not _marked_in(work.body, found[0][0]):
                    found = None
            if found is not None:
                runs, i = found
                if len(runs) > 1:
                    units.append(_section(runs))
                elif group is not None:
                    group.notes = runs[0]
                else:
                    work.notes = runs[0]
                group = None
                break
            if b.breaks >= FILLER_BREAKS or (b.seam and is_title_block(b, width)):
                break
            work.body.append(b)
            i += 1
    return Volume(title_page, dropped, front, units, chronicle, width, footnotes)


def _split_at_page_heads(blocks: list[Block], width: int) -> list[Block]:
    """A notes heading at the top of a page may follow the text before it with
    no paragraph line between them, only the page break: split the block there
    when the heading is followed by a first note."""
    out: list[Block] = []
    for bi, b in enumerate(blocks):
        start = 0
        for k in range(1, len(b.lines)):
            ln = b.lines[k]
            after = (
                b.lines[k + 1]
                if k + 1 < len(b.lines)
                else blocks[bi + 1].first
                if bi + 1 < len(blocks)
                else None
            )
            if (
                ln.pb
                and after is not None
                and _note_number(after.text, 0) == 1
                and ends_sentence(b.lines[k - 1].text, marker=True)
                and _is_notes_heading(ln, width)
            ):
                out.append(Block(b.lines[start:k], b.breaks if start == 0 else 1, b.seam and start == 0))
                start = k
        out.append(Block(b.lines[start:], b.breaks if start == 0 else 1, b.seam and start == 0))
    return out


def _note_heads(blocks: list[Block], width: int) -> Counter[str]:
    """How often each line heads a first note in the volume: a notes heading
    recurs (``Notes``, ``Annotations``), a work's title does not."""
    out: Counter[str] = Counter()
    for i in range(len(blocks)):
        opened = _opening(blocks, i, width)
        if opened is not None:
            out[opened[0][-1].text] += 1
    return out


def _since_notes(units: list[WorkPart | Group | NotesSection]) -> list[Block]:
    """The text of the works printed since the last notes, with their headings
    (a title may carry a marker)."""
    out: list[Block] = []
    for u in reversed(units):
        if isinstance(u, NotesSection) or u.notes is not None:
            break
        parts = u.works if isinstance(u, Group) else [u]
        chunk = [u.header] if isinstance(u, Group) else []
        for p in parts:
            chunk += [p.header, *p.body]
        out[:0] = chunk
    return out


def _marked_in(body: list[Block], run: NotesBlock) -> bool:
    """The text has markers for most of the run's notes, in rising order."""
    numbers = [int(b.n) for b in parse_notes(run.blocks).bodies if not b.symbol]
    markers = []
    for b in body:
        r = make_run(b.lines)
        find_markers(r)
        markers.extend(r.markers)
    return len(numbers) > 0 and 2 * len(choose_markers(markers, numbers)) >= len(numbers) + 1


def _section(runs: list[NotesBlock]) -> NotesSection:
    """The section's own heading is the first line before its first note
    (``Authorities``, over a work's title when the runs have sub-headings)."""
    first = runs[0]
    heads, first.heads = first.heads[:1], first.heads[1:]
    return NotesSection(heads, runs)


def _is_notes_heading(line: Line, width: int) -> bool:
    """A short line that could head a notes section, whatever its words: not a
    sentence, not a note, not a date or a section numeral."""
    text = line.text
    return (
        len(text) < 0.6 * width
        and is_heading_line(text)
        and not is_note_start(text)
        and not DATE_LINE.match(text)
        and not ROMAN.match(text)
    )


def _note_number(text: str, last: int) -> int | None:
    """The number of a note starting ``text`` when it can follow note ``last``
    (a few may be lost or run together with the previous body)."""
    m = NOTE_START.match(text)
    if not m:
        return None
    n = int(m.group("n"))
    return n if last < n <= last + 3 else None


def _opening(
    blocks: list[Block], i: int, width: int, bare: bool = False
) -> tuple[list[Line], int, int] | None:
    """Heading lines (one or two, any words) at ``blocks[i]`` followed by a first
    note (``1`` or a symbol): the headings and where the note starts (block, line).
    ``bare``: the notes may have no heading at all."""
    if bare and _note_number(blocks[i].first.text, 0) == 1:
        return [], i, 0
    heads: list[Line] = []
    seen = 0
    for bi in range(i, min(i + 3, len(blocks))):
        if bi > i and blocks[bi].seam:
            return None  # a structural break: the notes (if any) start there
        for k, ln in enumerate(blocks[bi].lines):
            if heads and (_note_number(ln.text, 0) == 1 or SYMBOL_START.match(ln.text)):
                return heads, bi, k
            seen += 1
            if seen > 2 or not _is_notes_heading(ln, width):
                return None
            heads.append(ln)
    return None


def _last_number(lines: list[Line], last: int) -> int:
    """The highest note number started in ``lines`` (a new note inside a block
    follows a line that closes a sentence)."""
    for k, ln in enumerate(lines):
        n = _note_number(ln.text, last)
        if n is not None and (k == 0 or (ends_sentence(lines[k - 1].text) and n == last + 1)):
            last = n
    return last


def find_notes(
    blocks: list[Block], i: int, width: int, after_text: bool = False, bare: bool = False
) -> tuple[list[NotesBlock], int] | None:
    """A notes section starting at ``blocks[i]``, found by its shape (issue 20):
    a heading of any words, then blocks that start with the numbers 1..n (or a
    footnote symbol), the numbering starting again at 1 under a sub-heading for
    each further work. Returns the runs and the index after the section, or
    ``None`` when the blocks are not shaped so: other blocks (a body's numbered
    list with its paragraphs) outnumber the notes. ``after_text``: the section
    follows a work's text, whose last line may look like a heading. ``bare``: the
    section may have no heading (the caller checks the markers)."""
    opened = _opening(blocks, i, width, bare)
    if opened is None:
        return None
    heads, bi, k = opened
    first = Block(blocks[bi].lines[k:], blocks[bi].breaks if k == 0 else 0, False)
    run = NotesBlock(heads, [first])
    runs = [run]
    last = _last_number(first.lines, 0)
    starts, other = 1, 0
    j = bi + 1
    while j < len(blocks):
        b = blocks[j]
        if b.breaks >= FILLER_BREAKS:
            break
        prev_ends = ends_sentence(run.blocks[-1].lines[-1].text)
        if _note_number(b.first.text, last) is not None or SYMBOL_START.match(b.first.text):
            starts += 1
            last = _last_number(b.lines, last)
            run.blocks.append(b)
            j += 1
            continue
        if is_chronicle_start(blocks, j):
            break
        sub = _opening(blocks, j, width) if prev_ends else None
        if sub is None and prev_ends and last > 1 and _note_number(b.first.text, 0) == 1:
            sub = [], j, 0  # the numbering starts again with no heading: the next work's notes
        if sub is not None:
            heads, bi, k = sub
            first = Block(blocks[bi].lines[k:], blocks[bi].breaks if k == 0 else 0, False)
            run = NotesBlock(heads, [first])
            runs.append(run)
            last = _last_number(first.lines, 0)
            starts += 1
            j = bi + 1
            continue
        if b.seam or (prev_ends and is_title_block(b, width)):
            break
        other += 1
        run.blocks.append(b)
        j += 1
    if other > max(2, starts // 2):
        return None
    if after_text and len(runs) == 1 and len(runs[0].heads) == 2 and i + 1 < len(blocks):
        if runs[0].heads[1] is blocks[i + 1].first:
            return None  # one work's notes have one heading: the line before it closes the text
    return runs, j
