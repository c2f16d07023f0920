"""Notes of a PDF-extracted volume: the bodies of a ``Notes`` block, and their
markers in the text chosen against each work's own numbering (issue 3).

A body starts ``N.``, ``N.The``, ``N.  Text`` or ``N Text`` (one volume may use
several styles), or with a symbol (``*``, ``**``, ``†``...). A line that begins
with digits continues the previous body unless its number is the next one and
the previous line closed a sentence, or it opens a paragraph. Markers are
chosen as the longest rising sequence of candidates whose numbers are the
work's note numbers, so years, page ranges and counts in the prose are never
taken for markers (``in 19121`` = 1912 + note 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .book_layout import Block, Line, ends_sentence
from .book_text import Marker, Run, make_run

NOTE_START = re.compile(r"^(?P<n>\d{1,3})(?:\.\s*|\s+)(?=\S)(?P<rest>.*)$")
"""A note body's first line: its number, then its text (``1.``, ``1.The``, ``1 Text``)."""
SYMBOL_START = re.compile(r"^(?P<s>\*{1,3}|†{1,2}|‡{1,2})\s*(?P<rest>\S.*)$")
"""A footnote's first line: its symbol, then its text."""
_AUTHOR_SIGN = re.compile(r"[—–-]\s*(?!Ed\.)(?:[A-Z]\. ?){1,2}[A-Z][a-z]{0,3}\.\s*$")
"""The author's initials closing a note (``—J. St.``); ``—Ed.`` is the editor's."""
_EDITOR_SIGN = re.compile(r"[—–-]\s*Ed\.\s*$")


@dataclass(slots=True)
class NoteBody:
    n: str
    symbol: bool
    paras: list[list[Line]] = field(default_factory=list)
    """Paragraphs of the body, as source lines (the number stays on the first)."""
    number_len: int = 0
    """Length of the printed number and its punctuation on the first line."""
    runs: list[Run] = field(default_factory=list)
    duplicate_of: NoteBody | None = None
    misplaced: list[Block] = field(default_factory=list)
    """Paragraphs of the text spliced into this body (moved back to the work)."""
    placed: bool = False
    pbs: list[Line] = field(default_factory=list)
    """Page breaks inside the body: they stay in the notes division, in order."""

    @property
    def first(self) -> Line:
        return self.paras[0][0]

    @property
    def text(self) -> str:
        return " ".join(ln.text for p in self.paras for ln in p)

    @property
    def authorial(self) -> bool:
        return bool(_AUTHOR_SIGN.search(self.text))


@dataclass(slots=True)
class ParsedNotes:
    bodies: list[NoteBody]
    stray: list[Block]
    """Text before the first body (kept, reported)."""


def parse_notes(blocks: list[Block]) -> ParsedNotes:
    bodies: list[NoteBody] = []
    stray: list[Block] = []
    last_num = 0
    current: NoteBody | None = None
    extra: list[Block] = []

    def close_extra() -> None:
        nonlocal extra
        if current is not None and extra:
            _settle_extra(current, extra)
        extra = []

    for b in blocks:
        for k, ln in enumerate(b.lines):
            block_start = k == 0
            prev_ends = k > 0 and ends_sentence(b.lines[k - 1].text)
            m = NOTE_START.match(ln.text)
            s = SYMBOL_START.match(ln.text)
            start_num = False
            if m:
                n = int(m.group("n"))
                rest = m.group("rest")
                if block_start and (
                    n == last_num + 1 or (last_num == 0 and n <= 3) or last_num < n <= last_num + 3
                ):
                    start_num = True
                elif n == last_num + 1 and prev_ends and rest[:1].isupper():
                    start_num = True
            if start_num and m:
                close_extra()
                last_num = int(m.group("n"))
                current = NoteBody(m.group("n"), False, [[ln]], len(ln.text) - len(m.group("rest")))
                bodies.append(current)
                continue
            if s and (block_start or prev_ends):
                close_extra()
                current = NoteBody(s.group("s"), True, [[ln]], len(ln.text) - len(s.group("rest")))
                if ln.seam and bodies and bodies[-1].symbol and bodies[-1].text == ln.text:
                    current.duplicate_of = bodies[-1]
                bodies.append(current)
                continue
            if current is None:
                if block_start:
                    stray.append(Block([ln], b.breaks))
                else:
                    stray[-1].lines.append(ln)
                continue
            if block_start:
                extra.append(Block([ln], b.breaks))
            elif extra:
                extra[-1].lines.append(ln)
            else:
                current.paras[-1].append(ln)
    close_extra()
    return ParsedNotes(bodies, stray)


def _settle_extra(note: NoteBody, extra: list[Block]) -> None:
    """Paragraphs after a body that do not start a note. If the body stops in
    mid-sentence and the last paragraph completes it, the paragraphs between
    belong to the text and were spliced in by the extraction."""
    cut = not ends_sentence(note.paras[-1][-1].text)
    if cut and len(extra) >= 2:
        note.misplaced.extend(extra[:-1])
        note.paras[-1].extend(extra[-1].lines)
        return
    for b in extra:
        if not ends_sentence(note.paras[-1][-1].text) and b.first.text[:1].islower():
            note.paras[-1].extend(b.lines)
        else:
            note.paras.append(list(b.lines))


def choose_markers(markers: list[Marker], numbers: list[int]) -> list[Marker]:
    """The markers that are note markers: the heaviest strictly rising sequence
    of candidates whose values are note numbers (glued candidates, spaced ones in
    a marker's usual place, and consecutive numbers weigh more)."""
    wanted = set(numbers)
    cands = [mk for mk in markers if mk.n.isdigit() and int(mk.n) in wanted]
    if not cands:
        return []
    vals = [int(mk.n) for mk in cands]
    score = [0.0] * len(cands)
    back = [-1] * len(cands)
    for i, mk in enumerate(cands):
        w = 2.0 if mk.glued else (1.6 if mk.strong else 1.4)
        best, arg = 0.0, -1
        for j in range(i):
            if vals[j] < vals[i]:
                s = score[j] + (0.5 if vals[j] == vals[i] - 1 else -0.1 * (vals[i] - vals[j] - 1))
                if s > best:
                    best, arg = s, j
        if arg < 0 and vals[i] != min(numbers):
            best = -0.1 * (vals[i] - min(numbers))
        score[i] = best + w
        back[i] = arg
    i = max(range(len(cands)), key=lambda k: (score[k], -k))
    chosen: list[Marker] = []
    while i >= 0:
        chosen.append(cands[i])
        i = back[i]
    chosen.reverse()
    return chosen


def body_runs(note: NoteBody) -> list[Run]:
    """One run per paragraph; the printed number is cut from the first."""
    runs = []
    for k, para in enumerate(note.paras):
        run = make_run(para)
        if k == 0:
            _cut_prefix(run, note.number_len)
        note.pbs.extend(ln for _, ln in run.pbs)
        run.pbs = []
        runs.append(run)
    note.runs = runs
    return runs


def _cut_prefix(run: Run, n: int) -> None:
    run.text = run.text[n:]
    run.starts = [max(0, s - n) for s in run.starts]
    run.pbs = [(max(0, off - n), ln) for off, ln in run.pbs]
