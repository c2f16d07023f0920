"""Reader for a printed book extracted from a PDF as plain text (issue 3).

The volume becomes one TEI ``<text>``: ``front`` (title page, preface),
``body`` (one ``div`` per work, with ``xml:id`` ``w01``, ``w02``... in order;
works under a shared heading are children of one division) and ``back``
(the notes divisions, the biographical chronicle). Notes are paired per work
and put at their markers: notes printed after each work, notes printed together
at the end of the volume (each run given to the work whose markers it matches)
and footnotes from the foot of a page; the printed notes division keeps what
could not be placed, with a warning. Every repair of extraction damage is a
``choice`` of ``sic`` and ``corr`` and is counted in ``editorialDecl``.

The stages live in sibling modules: :mod:`.book_layout` (lines and pages),
:mod:`.book_works` (works, notes sections, chronicle), :mod:`.book_body`
(headings, paragraphs, quotations, closing lines), :mod:`.book_text` (repairs,
markers, mixed content), :mod:`.book_notes` (note bodies and markers),
:mod:`.book_pair` (notes to their markers and works), :mod:`.book_dates`
(dates and the chronicle), :mod:`.book_emit` (TEI).
"""

from __future__ import annotations

import re
from collections import Counter
from difflib import get_close_matches

from ..errors import Diagnostics
from .base import Reader, ReadResult, SourceFile
from .book_body import (
    Entry,
    HeadingEvidence,
    find_quotes,
    parse_body,
    parse_header,
    runs_for,
)
from .book_dates import date_attrs, find_in_chronicle, parse_chronicle, quoted_titles
from .book_emit import emit_volume
from .book_layout import Block, Line, looks_like_book, split_lines
from .book_notes import body_runs, parse_notes
from .book_pair import assign_runs, names, pair
from .book_state import BuildState, GroupPlan, NotesPlan, Work
from .book_text import Run, find_fixes, find_markers, find_wraps, make_run, vocabulary
from .book_works import Group, NotesBlock, NotesSection, WorkPart, segment

__all__ = ["BookReader", "looks_like_book"]

_YEAR = re.compile(r"\b(1[6-9]\d\d|20\d\d)\b")
_CHRONICLE_PUB = re.compile(
    r"\bpublished in (?:the )?(?:(?:magazine|newspaper|journal) )?"
    r"(?P<pub>[A-Z][\w’' -]*?, No\. [\d-]+(?:, [A-Z][a-z]+ \d{1,2})?, \d{4})"
)
"""``is published in the magazine Bolshevik, No. 6, 1927`` in a chronicle entry."""


def _work_kind(title: str, subs: list[str], entries: list[Entry]) -> str:
    """The genre named by the title (English genre words), else by the work's
    shape: a salutation and a signature make a letter."""
    allt = " ".join([title, *subs])
    if re.search(r"\bTheses\b", allt):
        return "theses"
    if title.startswith("Talk") or re.search(r"\bInterview\b", allt):
        return "interview"
    if title.startswith(("Greetings", "To ")):
        return "greeting"
    if title.startswith("Letter"):
        return "letter"
    if any(s.startswith("Report") for s in subs) or title.startswith("Report"):
        return "report"
    if title.startswith("Speech") or any(s.startswith("Speech") for s in subs):
        return "speech"
    if title.startswith("Reply") or any(s.startswith("Reply") for s in subs):
        return "reply"
    if any(e.kind == "opener" for e in entries) and any(e.kind == "signed" for e in entries):
        return "letter"
    return "article"


def _span(a: int, b: int) -> str:
    return f"line {a}" if a == b else f"lines {a}-{b}"


class BookReader(Reader):
    """A volume extracted from a PDF; chosen by ``format: book``."""

    name = "book"
    extensions = ()

    def read(self, src: SourceFile, diags: Diagnostics) -> ReadResult:
        return _Build(src, diags).run()

    def sniff(self, src: SourceFile) -> str | None:
        if looks_like_book(src.body):
            return (
                "looks like a book extracted from a PDF (double-spaced lines, space-only paragraph lines, "
                "page breaks as three empty lines): set 'format: book' in its metadata"
            )
        return None


class _Build(BuildState):
    """Plans the volume (works, groups, notes), repairs and dates it, pairs its notes, emits TEI."""

    # --- plan -------------------------------------------------------------------------

    def run(self) -> ReadResult:
        layout = split_lines(self.src.body, self.src.body_line - 1)
        self.layout = layout
        vol = segment(layout)
        self.vol = vol
        year = self._volume_year(vol.title_page)
        self.chronicle = parse_chronicle(vol.chronicle, year) if vol.chronicle else None
        headers = [
            h
            for u in vol.units
            if not isinstance(u, NotesSection)
            for h in ([u.header, *(p.header for p in u.works)] if isinstance(u, Group) else [u.header])
        ]
        self.headings = HeadingEvidence.of(headers, quoted_titles(self.chronicle) if self.chronicle else [])
        self.order = []
        works: list[Work] = []
        groups: list[GroupPlan] = []
        notes_plans: list[NotesPlan] = []
        # w01 is the preface (front), the chronicle takes the last number
        n = 1 if vol.front else 0
        waiting: list[Work] = []
        """Works since the last notes printed: those a notes section may belong to."""
        for unit in vol.units:
            if isinstance(unit, NotesSection):
                # in document order among the notes divisions; segment() finds a section only after a work
                notes_plans.extend(self._plan_section(unit, waiting or works[-1:]))
                waiting = []
            elif isinstance(unit, Group):
                gh = parse_header(unit.header, self.headings)
                first = n + 1
                last = n + len(unit.works)
                g = GroupPlan(
                    gh,
                    [make_run(gh.title), *[make_run(s) for s in gh.subtitles]],
                    f"w{first:02d}-w{last:02d}",
                )
                groups.append(g)
                for part in unit.works:
                    n += 1
                    w = self._plan_work(part, n, g.scope)
                    w.group = g
                    g.works.append(w)
                    works.append(w)
                if unit.notes:
                    g.notes = self._plan_notes(unit.notes, g.scope, g.works)
                    notes_plans.append(g.notes)
                    waiting = []
                else:
                    waiting.extend(g.works)
                self.order.append(g)
            else:
                n += 1
                w = self._plan_work(unit, n, f"w{n:02d}")
                works.append(w)
                self.order.append(w)
                if unit.notes:
                    w.notes = self._plan_notes(unit.notes, w.scope, [w])
                    notes_plans.append(w.notes)
                    waiting = []
                else:
                    waiting.append(w)
        for zone in vol.footnotes if works else []:
            plan = self._plan_footnotes(zone, works)
            if plan is not None:
                notes_plans.append(plan)
        self.works = works
        self.groups = groups
        self.notes_plans = notes_plans
        self.front_runs = self._plan_front(vol.front)
        self.chron_n = n + 1
        self._repair_all()
        self._dates()
        for np in notes_plans:
            pair(self, np)
        self._check_titles()
        return self._emit()

    def _volume_year(self, lines: list[Line]) -> int | None:
        years = [int(y) for ln in lines for y in _YEAR.findall(ln.text)]
        return years[-1] if years else None

    def _plan_work(self, part: WorkPart, n: int, scope: str) -> Work:
        header = parse_header(part.header, self.headings)
        entries = parse_body(part.body, self.layout.width)
        find_quotes(entries)
        subs = [" ".join(ln.text for ln in s) for s in header.subtitles]
        if header.date is not None:
            subs.append(header.date.text)
        w = Work(
            f"w{n:02d}",
            n,
            header,
            [make_run(header.title), *[make_run(s) for s in header.subtitles]],
            entries,
            _work_kind(" ".join(ln.text for ln in header.title), subs, entries),
            scope,
        )
        for e in entries:
            runs_for(e)
            self.stats["rejoined"] += e.rejoined
            self.stats["split"] += e.split
        return w

    def _plan_notes(self, block: NotesBlock, scope: str, works: list[Work]) -> NotesPlan:
        parsed = parse_notes(block.blocks)
        for body in parsed.bodies:
            body_runs(body)
            if body.misplaced:
                target = works[-1]
                for b in body.misplaced:
                    e = Entry("p", list(b.lines), moved=True)
                    runs_for(e)
                    # the text's last paragraph: before the closing lines
                    k = len(target.entries)
                    while k > 0 and target.entries[k - 1].kind in (
                        "publication",
                        "dateline",
                        "signed",
                        "salute",
                    ):
                        k -= 1
                    target.entries.insert(k, e)
                    self.warn(
                        b.first.no,
                        f"{_span(b.first.no, b.lines[-1].no)}: a paragraph of the text spliced into note "
                        f"{body.n} of {target.id} '{target.title}'; moved to the end of the work",
                        "book-note-spliced",
                    )
                    self.stats["spliced"] += 1
            if body.duplicate_of is not None:
                self.warn(
                    body.first.no,
                    f"footnote line in the notes of {names(works)} repeats the one before it ('{body.text}')",
                    "book-note-duplicate",
                )
        return NotesPlan(block, parsed.bodies, parsed.stray, scope, works)

    def _plan_section(self, section: NotesSection, candidates: list[Work]) -> list[NotesPlan]:
        plans: list[NotesPlan] = []
        for run, target in zip(section.runs, assign_runs(section.runs, candidates), strict=True):
            plan = self._plan_notes(run, target.scope, [target])
            plan.section = section
            target.notes = plan
            plans.append(plan)
        return plans

    def _plan_footnotes(self, zone: list[Line], works: list[Work]) -> NotesPlan | None:
        """Footnotes from the foot of a page join the notes of the work printed
        there (in page order), or make its only notes (a new plan, returned)."""
        w = works[0]
        for cand in works:
            if cand.header.title[0].no < zone[0].no:
                w = cand
        block = Block(zone, 1)
        bodies = parse_notes([block]).bodies
        for body in bodies:
            body_runs(body)
        plan = w.group.notes if w.group is not None and w.group.notes is not None else w.notes
        if plan is not None:
            plan.bodies = sorted([*plan.bodies, *bodies], key=lambda b: b.first.no)
            return None
        w.notes = NotesPlan(NotesBlock([], [block]), bodies, [], w.scope, [w], foot=True)
        return w.notes

    def _plan_front(self, blocks: list[Block]) -> list[tuple[str, Run]]:
        """The preface: a heading, then paragraphs. Such a preface may have no
        paragraph lines at all; a short line that closes a sentence ends a paragraph."""
        out: list[tuple[str, Run]] = []
        width = self.layout.width
        for b in blocks:
            lines = list(b.lines)
            if not out and len(lines[0].text) < 0.5 * width and not lines[0].text.endswith("."):
                out.append(("head", make_run([lines[0]])))
                lines = lines[1:]
            para: list[Line] = []
            for ln in lines:
                para.append(ln)
                if ln.text.endswith((".", "!", "?", "”", '"')) and len(ln.text) < 0.8 * width:
                    out.append(("p", make_run(para)))
                    para = []
            if para:
                out.append(("p", make_run(para)))
        return out

    # --- repairs, markers -------------------------------------------------------------

    def _all_runs(self) -> list[Run]:
        runs = [r for _, r in self.front_runs]
        for g in self.groups:
            runs.extend(g.header_runs)
        for w in self.works:
            runs.extend(w.runs())
        for np in self.notes_plans:
            for b in np.bodies:
                runs.extend(b.runs)
        self.chron_runs = self._chronicle_runs()
        runs.extend(self.chron_runs)
        return runs

    def _chronicle_runs(self) -> list[Run]:
        if self.chronicle is None:
            return []
        out = []
        for _, _, entries in self.chronicle.years:
            for e in entries:
                if e.lines:
                    e.run = make_run(e.lines)
                    out.append(e.run)
        return out

    def _repair_all(self) -> None:
        runs = self._all_runs()
        vocab = vocabulary([r.text for r in runs])
        for r in runs:
            find_fixes(r, vocab)
            for f in r.fixes:
                for kind in f.kind.split("+"):
                    self.stats[kind] += 1
        for g in self.groups:
            for r in g.header_runs:
                find_markers(r)
        for w in self.works:
            for e in w.entries:
                if e.run:
                    find_wraps(e.run, bool(e.quote))
            for r in w.runs():
                find_markers(r)

    # --- dates -------------------------------------------------------------------------

    def _dates(self) -> None:
        year: int | None = None
        for g in self.groups:
            if g.header.date is not None:
                got = date_attrs(g.header.date.text, None)
                if got:
                    g.date = got[0]
        for w in self.works:
            if w.group and w.group.date and year is None:
                year = int(next(iter(w.group.date.values()))[:4])
            if w.header.date is not None:
                got = date_attrs(w.header.date.text, year)
                if got:
                    w.date, year, w.date_pre = got
                    w.date_line = w.header.date
                    continue
            for e in w.entries:
                if e.kind == "dateline":
                    got = date_attrs(e.lines[0].text, year)
                    if got:
                        w.date, year, _ = got
                        w.date_line = e.lines[0]
            if w.date is None:
                for e in w.entries:
                    if e.kind == "publication":
                        text = " ".join(ln.text for ln in e.lines)
                        m = re.search(
                            r"(?:January|February|March|April|May|June|July|August|September|October|November|December) \d{1,2}, \d{4}",
                            text,
                        )
                        if m:
                            got = date_attrs(m.group(), year)
                            if got:
                                w.date = {
                                    **got[0],
                                    "type": "publication",
                                    "evidence": "internal",
                                    "resp": "#edition-editors",
                                }
                                w.date_line = e.lines[0]
                                year = got[1]
            if w.date is None and self.chronicle is not None:
                subs = [" ".join(ln.text for ln in s) for s in w.header.subtitles]
                titles = [w.title] + [f"{w.title}. {s}" for s in subs]
                found = find_in_chronicle(self.chronicle, titles)
                if found and found[0].attrs:
                    w.date = {
                        **found[0].attrs,
                        "evidence": "external",
                        "resp": "#edition-editors",
                        "source": f"#w{self.chron_n:02d}",
                    }
                    w.date_line = found[0].date_line
                    if not any(e.kind == "publication" for e in w.entries):
                        m = _CHRONICLE_PUB.search(found[0].text)
                        if m:
                            line = next(
                                (ln.no for ln in found[0].lines if "publish" in ln.text),
                                found[0].date_line.no,
                            )
                            w.chronicle_pub = (m.group("pub"), line)
            if w.date is None:
                self.warn(w.header.title[0].no, f"no date found for {w.id} '{w.title}'", "book-no-date")
            elif "when" in w.date and not w.date["when"].startswith("-"):
                year = int(w.date["when"][:4])

    # --- titles -----------------------------------------------------------------------

    def _check_titles(self) -> None:
        """Title words the volume never uses elsewhere (``Dviation``), and titles
        that differ from the chronicle's quotation of them."""
        all_text = "\n".join(r.text for r in self._all_text_runs(exclude_titles=True))
        words = re.findall(r"[A-Za-z][A-Za-z’'-]*[A-Za-z]", all_text)
        counts: Counter[str] = Counter(words)
        known = [w for w, c in counts.items() if c >= 2]
        quoted = quoted_titles(self.chronicle) if self.chronicle else []
        heads = [(g.header, g.header_runs) for g in self.groups] + [
            (w.header, w.header_runs) for w in self.works
        ]
        for w in self.works:
            for e in w.entries:
                run = e.title_run or (e.run if e.kind in ("subsection", "series") else None)
                if run is None:
                    continue
                for word in re.findall(r"[A-Za-z][A-Za-z’'-]*[A-Za-z]", run.text):
                    if counts[word] > 1 or counts[word.lower()] or len(word) < 4:
                        continue
                    low = word.lower()
                    near = [k.lower() for k in known if len(k) == len(word) and k[:1].lower() == low[:1]]
                    # same length: a misprinted letter, not another form of the word (Maintains/maintain)
                    guess = get_close_matches(low, near, n=1, cutoff=0.8)
                    if guess:
                        self.warn(
                            run.lines[0].no,
                            f"heading word '{word}' occurs nowhere else in the volume; did you mean '{guess[0]}'?",
                            "book-title-spelling",
                        )
        for header, _ in heads:
            title = " ".join(ln.text for ln in header.title)
            for word in re.findall(r"[A-Za-z][A-Za-z’'-]*[A-Za-z]", title):
                if counts[word] or counts[word.lower()] or counts[word.capitalize()] or len(word) < 4:
                    continue
                near = [
                    k for k in known if abs(len(k) - len(word)) <= 2 and k[:1].lower() == word[:1].lower()
                ]
                guess = get_close_matches(word, near, n=1, cutoff=0.8)
                if not guess and "-" in word:
                    # a word lost before the hyphen: "Fifth-Union" for "Fifth All-Union"
                    a, _, b = word.partition("-")
                    m = re.search(rf"\b{re.escape(a)} [A-Z][a-z]+-{re.escape(b)}\b", all_text)
                    guess = [m.group()] if m else []
                if not guess and "-" not in word:
                    continue  # a rare word, not a misprint of a word the volume uses
                hint = f"; did you mean '{guess[0]}'?" if guess else ""
                self.warn(
                    header.title[0].no,
                    f"title word '{word}' occurs nowhere else in the volume{hint}",
                    "book-title-spelling",
                )
            for q in quoted:
                qn = re.sub(r"[^a-z ]", "", q.lower().replace("’", "'"))
                tn = re.sub(r"[^a-z ]", "", title.lower().replace("’", "'"))
                qset, tset = qn.split(), tn.split()
                if (
                    qn != tn
                    and len(tset) >= 4
                    and set(tset) <= set(qset)
                    and len(qset) - len(tset) <= 2
                    and qn.replace("the ", "") == tn.replace("the ", "")
                ):
                    self.warn(
                        header.title[0].no,
                        f"title '{title}' differs from the chronicle's '{q.strip()}'",
                        "book-title-spelling",
                    )

    def _all_text_runs(self, exclude_titles: bool) -> list[Run]:
        runs = [r for _, r in self.front_runs] + list(self.chron_runs)
        for w in self.works:
            for e in w.entries:
                if e.run:
                    runs.append(e.run)
                if e.title_run:
                    runs.append(e.title_run)
            if not exclude_titles:
                runs.extend(w.header_runs)
        for np in self.notes_plans:
            for b in np.bodies:
                runs.extend(b.runs)
        return runs

    # --- TEI ---------------------------------------------------------------------------

    def _emit(self) -> ReadResult:
        return emit_volume(self)
