"""Notes of a PDF-extracted volume put at their markers (issue 3), and the runs
of a notes section printed for several works given to their works (issue 20).

Which markers are note markers is read against each work's own numbering
(:func:`.book_notes.choose_markers`); which work a run of end notes belongs to
is read from the same evidence: the first work, in order, whose text holds
enough of the run's markers.
"""

from __future__ import annotations

from .book_emit import note_element
from .book_notes import NoteBody, choose_markers, parse_notes
from .book_state import BuildState, NotesPlan, Work
from .book_text import Marker, Run, find_markers
from .book_works import NotesBlock


def marker_candidates(w: Work) -> list[Marker]:
    """Every place in ``w`` a note marker could be (chosen later, per notes)."""
    out: list[Marker] = []
    for r in w.runs():
        find_markers(r)
        out.extend(r.markers)
    return out


def assign_runs(runs: list[NotesBlock], candidates: list[Work]) -> list[Work]:
    """The work of each run of a notes section: the next work, in order, whose
    text has at least half of the run's markers in rising order; failing that,
    the one with the most. ``candidates`` are the works printed since the last
    notes (never empty)."""
    markers = {id(w): marker_candidates(w) for w in candidates}
    out: list[Work] = []
    at = 0
    for run in runs:
        bodies = parse_notes(run.blocks).bodies
        numbers = [int(b.n) for b in bodies if not b.symbol]
        symbols = {b.n for b in bodies if b.symbol}
        rest = candidates[at:] or candidates[-1:]
        scores = [_score(markers[id(w)], numbers, symbols) for w in rest]
        enough = max(1, (len(numbers) + len(symbols) + 1) // 2)
        k = next((i for i, sc in enumerate(scores) if sc >= enough), None)
        if k is None:
            k = max(range(len(rest)), key=lambda i: (scores[i], -i))
        out.append(rest[k])
        at = candidates.index(rest[k]) + 1
    return out


def _score(markers: list[Marker], numbers: list[int], symbols: set[str]) -> int:
    found = len(choose_markers(markers, numbers)) if numbers else 0
    return found + sum(1 for mk in markers if mk.n in symbols)


def pair(build: BuildState, np: NotesPlan) -> None:
    """Put the notes of ``np`` at their markers (numbered ones against the works'
    own numbering, symbols in order where their counts agree); warn about the rest."""
    runs: list[Run] = []
    if np.works[0].group is not None and np.works[0].group.notes is np:
        runs.extend(np.works[0].group.header_runs)
    for w in np.works:
        runs.extend(w.runs())
    markers = [mk for r in runs for mk in r.markers]
    owner: dict[int, Work] = {}
    for w in np.works:
        for r in w.runs():
            for mk in r.markers:
                owner[id(mk)] = w
    numbered = [b for b in np.bodies if not b.symbol and b.duplicate_of is None]
    numbers = [int(b.n) for b in numbered]
    chosen = choose_markers(markers, numbers)
    by_n = {int(mk.n): mk for mk in chosen}
    for b in numbered:
        found = by_n.get(int(b.n))
        if found is None:
            continue
        found.chosen = True
        found.note = note_element(b, np.scope)
        b.placed = True
    # symbol footnotes: paired in order when each symbol has as many bodies as markers
    sym_marks = [mk for mk in markers if not mk.n.isdigit()]
    sym_bodies = [b for b in np.bodies if b.symbol and b.duplicate_of is None]
    kinds = sorted({mk.n for mk in sym_marks} | {b.n for b in sym_bodies}, key=lambda s: (len(s), s))
    for kind in kinds:
        ms = [mk for mk in sym_marks if mk.n == kind]
        bs = [b for b in sym_bodies if b.n == kind]
        if len(ms) == len(bs):
            for mk, b in zip(ms, bs, strict=True):
                mk.chosen = True
                mk.note = note_element(b, np.scope)
                b.placed = True
            continue
        for mk in ms:
            mk.chosen = True  # kept as a marker without its note
        if not bs:
            # no bodies at all: one report per work, naming it
            for w in np.works:
                mine = [mk for mk in ms if owner.get(id(mk)) is w]
                if mine:
                    build.warn(
                        _marker_line(mine[0], runs),
                        f"{len(mine)} '{kind}' footnote marker(s) in {w.id} '{w.title}' have no footnote body "
                        f"(lines {_lines_of(mine, runs)})",
                        "book-footnote-unpaired",
                    )
            continue
        if not ms:
            msg = f"{len(bs)} '{kind}' footnote body(ies) in the notes of {_scope_name(np)} have no marker in the text"
            build.warn(bs[0].first.no, msg, "book-footnote-unpaired")
            continue
        msg = (
            f"{len(ms)} '{kind}' footnote markers but {len(bs)} bodies in {_scope_name(np)}: "
            f"cannot pair them; bodies kept in the notes division (markers at lines {_lines_of(ms, runs)})"
        )
        build.warn(_marker_line(ms[0], runs), msg, "book-footnote-unpaired")
    for b in numbered:
        if not b.placed:
            w = _owner_of(b, chosen, owner, np)
            seam = _seam_between(build.layout.seams, b, chosen, runs)
            hint = (
                f"; the text has a seam at line {seam}, where the marker may have been lost" if seam else ""
            )
            build.warn(
                b.first.no,
                f"note {b.n} of {w.id} '{w.title}' has no marker in the text; kept in the notes division{hint}",
                "book-note-unplaced",
            )
    for b in np.bodies:
        text = b.text[b.number_len :].strip()
        if not b.symbol and len(text) < 30 and not text.endswith((".", ")", "”", '"')):
            build.warn(
                b.first.no,
                f"note {b.n} of {names(np.works[-1:])} seems truncated: '{text}'",
                "book-note-truncated",
            )
    for blk in np.stray:
        build.warn(blk.first.no, "text in the notes division before the first note", "book-note-stray")


def _lines_of(markers: list[Marker], runs: list[Run]) -> str:
    shown = [str(_marker_line(mk, runs)) for mk in markers[:12]]
    return ", ".join(shown) + (", ..." if len(markers) > 12 else "")


def _scope_name(np: NotesPlan) -> str:
    return names(np.works)


def names(works: list[Work]) -> str:
    return " and ".join(f"{w.id} '{w.title}'" for w in works)


def _marker_line(mk: Marker, runs: list[Run]) -> int:
    for r in runs:
        if any(m is mk for m in r.markers):
            return r.line_at(mk.start).no
    return 0


def _owner_of(b: NoteBody, chosen: list[Marker], owner: dict[int, Work], np: NotesPlan) -> Work:
    n = int(b.n)
    before = [mk for mk in chosen if int(mk.n) < n]
    after = [mk for mk in chosen if int(mk.n) > n]
    if after:
        return owner.get(id(after[0]), np.works[-1])
    if before:
        return owner.get(id(before[-1]), np.works[-1])
    return np.works[-1]


def _seam_between(seams: list[int], b: NoteBody, chosen: list[Marker], runs: list[Run]) -> int | None:
    n = int(b.n)
    lo = max((_marker_line(mk, runs) for mk in chosen if int(mk.n) < n), default=0)
    hi = min((_marker_line(mk, runs) for mk in chosen if int(mk.n) > n), default=10**9)
    between = [s for s in seams if lo <= s <= hi]
    return between[0] - 1 if between else None

