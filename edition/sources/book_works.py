"""Cut a volume's blocks into title page, preface, works, notes and chronicle.

The cues are those of the printed book as the extraction left them (issue 3):
filler pages (runs of space-only lines) between works, a ``Notes`` heading
after a work's last line, structural seams, and the shape of title lines
(short, no closing punctuation). A heading followed at once by another title
is a shared heading (a plenum holding a report and the reply to its
discussion): its works become the children of one group up to the group's
notes. Nothing here depends on one volume's titles or line numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .book_layout import FILLER_BREAKS, Block, Layout, Line, ends_sentence, is_url

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
ORDINALS = (
    "First Second Third Fourth Fifth Sixth Seventh Eighth Ninth Tenth Eleventh Twelfth Thirteenth "
    "Fourteenth Fifteenth Sixteenth Seventeenth Eighteenth Nineteenth Twentieth"
).split()
QUESTION_HEAD = re.compile(rf"^(?P<ord>{'|'.join(ORDINALS)}) Question$")
NOTE_START = re.compile(r"^(?P<n>\d{1,3})(?:\.\s*|\s+)(?=\S)(?P<rest>.*)$")
SYMBOL_START = re.compile(r"^(?P<s>\*{1,3}|†{1,2}|‡{1,2})\s*(?P<rest>\S.*)$")
NOTES_HEAD = re.compile(r"^Notes$")
SUBTITLE = re.compile(r"^(?:Reply to|Report |Speech |Theses |Talk |Greetings |Article |\()")
CHRONICLE_EVENT = re.compile(r"\b[A-Z]\. ?[A-Z]\. [A-Z][a-z]+")
_FUNCTION_WORDS = frozenset("a an and at by for from in of on or the to with".split())


@dataclass(slots=True)
class NotesBlock:
    head: Line
    blocks: list[Block]


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
    units: list[WorkPart | Group]
    chronicle: list[Block]
    width: int


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
        is_short(ln, width) or ln.text.split()[-1].lower() in _FUNCTION_WORDS for ln in lines[:-1]
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
    blocks = rest
    # front: from the first page after the title page to the first structural break
    front: list[Block] = []
    while i < len(blocks):
        b = blocks[i]
        if front and (b.seam or b.breaks >= FILLER_BREAKS):
            break
        front.append(b)
        i += 1
    units: list[WorkPart | Group] = []
    chronicle: list[Block] = []
    group: Group | None = None
    while i < len(blocks):
        if is_chronicle_start(blocks, i):
            chronicle = blocks[i:]
            break
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
            if NOTES_HEAD.match(b.first.text):
                notes, i = _read_notes(blocks, i, width)
                if group is not None:
                    group.notes = notes
                    group = None
                else:
                    work.notes = notes
                break
            if b.breaks >= FILLER_BREAKS or (b.seam and is_title_block(b, width)):
                break
            work.body.append(b)
            i += 1
    return Volume(title_page, dropped, front, units, chronicle, width)


def _read_notes(blocks: list[Block], i: int, width: int) -> tuple[NotesBlock, int]:
    """The notes block starting at ``blocks[i]`` (its first line is the heading).
    It ends at a filler page, at a structural seam that does not start a note,
    or at a title block after a finished note."""
    head_block = blocks[i]
    head = head_block.first
    out: list[Block] = []
    if len(head_block.lines) > 1:
        out.append(Block(head_block.lines[1:], 0, False))
    i += 1
    while i < len(blocks):
        b = blocks[i]
        if b.breaks >= FILLER_BREAKS:
            break
        if not is_note_start(b.first.text):
            if b.seam or is_chronicle_start(blocks, i):
                break
            prev = out[-1].lines[-1].text if out else ""
            if ends_sentence(prev) and is_title_block(b, width):
                break
        out.append(b)
        i += 1
    return NotesBlock(head, out), i
