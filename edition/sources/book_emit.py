"""TEI output of the book reader (issue 3): the plan of :mod:`.book` becomes
``front``/``body``/``back`` and the ``editorialDecl`` that says what was done."""

from __future__ import annotations

import re

from lxml import etree

from ..tei import XML_ID, E, set_line
from .base import ReadResult
from .book_body import Entry, citation_span
from .book_dates import date_attrs
from .book_layout import Line
from .book_notes import NoteBody
from .book_state import ED_SCOPE, BuildState, GroupPlan, NotesPlan, Work
from .book_text import Run, emit
from .book_works import NotesSection

_PUB_CLOSE = ("salute", "signed", "dateline")


def emit_volume(b: BuildState) -> ReadResult:
    front = E.front()
    _title_page(b, front)
    if b.front_runs:
        div = E.div(type="preface", n="1")
        div.set(XML_ID, "w01")
        div.set(ED_SCOPE, "w01")
        for kind, run in b.front_runs:
            el = E.head() if kind == "head" else E.p()
            set_line(el, run.lines[0].no)
            emit(el, run)
            div.append(el)
        set_line(div, b.front_runs[0][1].lines[0].no)
        front.append(div)
    body = E.body()
    back = E.back()
    for unit in b.order:
        if isinstance(unit, GroupPlan):
            body.append(_group_div(unit, b.chron_n))
        else:
            body.append(_work_div(unit, own_scope=True, chron_n=b.chron_n))
    for np in b.notes_plans:
        if np.section is None and _nothing_left(np):
            continue
        if np.section is None:
            back.append(_notes_div(np))
        elif np is next(p for p in b.notes_plans if p.section is np.section):
            back.append(_section_div(np.section, [p for p in b.notes_plans if p.section is np.section]))
    if b.chronicle is not None:
        back.append(_chronicle_div(b))
    text = E.text()
    if len(front):
        text.append(front)
    text.append(body)
    if len(back):
        text.append(back)
    return ReadResult(text, [_editorial_decl(b)], _source_bibl(b))


def _source_bibl(b: BuildState) -> list[etree._Element]:
    """The printed volume, as its title page gives it, for ``sourceDesc``."""
    lines = b.vol.title_page
    if not lines:
        return []
    bibl = E.bibl(type="volume")
    for k, ln in enumerate(lines):
        if k == 0 and len(lines) > 1:
            el = E.author(ln.text)
        elif re.search(r"\b1[6-9]\d\d\b", ln.text):
            el = E.date(ln.text)
        else:
            el = E.title(ln.text)
        set_line(el, ln.no)
        bibl.append(el)
    if b.vol.dropped:
        bibl.append(
            set_line(
                E.note(" ".join(ln.text for ln in b.vol.dropped), type="distributor"), b.vol.dropped[0].no
            )
        )
    return [bibl]


def _title_page(b: BuildState, front: etree._Element) -> None:
    lines = b.vol.title_page
    if not lines:
        return
    tp = E.titlePage()
    set_line(tp, lines[0].no)
    title = E.docTitle()
    for k, ln in enumerate(lines):
        if k == 0 and len(lines) > 1:
            el = E.docAuthor(ln.text)
            tp.append(el)
        elif re.search(r"\b1[6-9]\d\d\b", ln.text):
            el = E.docDate(ln.text)
            tp.append(el)
        else:
            el = E.titlePart(ln.text)
            title.append(el)
            if title.getparent() is None:
                tp.append(title)
        set_line(el, ln.no)
    front.append(tp)


def _run_into(el: etree._Element, run: Run, start: int = 0, end: int | None = None) -> etree._Element:
    set_line(el, run.line_at(start).no)
    emit(el, run, start, end)
    return el


def _group_div(g: GroupPlan, chron_n: int) -> etree._Element:
    div = E.div(type="part")
    div.set(ED_SCOPE, g.scope)
    set_line(div, g.header.title[0].no)
    div.append(_run_into(E.head(), g.header_runs[0]))
    for r in g.header_runs[1:]:
        div.append(_run_into(E.head(type="sub"), r))
    if g.header.date is not None and g.date:
        dl = E.dateline(set_line(E.date(g.header.date.text, **g.date), g.header.date.no))
        set_line(dl, g.header.date.no)
        div.append(dl)
    for w in g.works:
        div.append(_work_div(w, own_scope=False, chron_n=chron_n))
    return div


def _work_div(w: Work, own_scope: bool, chron_n: int = 0) -> etree._Element:
    div = E.div(type=w.kind, n=str(w.n))
    div.set(XML_ID, w.id)
    if own_scope:
        div.set(ED_SCOPE, w.scope)
    set_line(div, w.header.title[0].no)
    div.append(_run_into(E.head(), w.header_runs[0]))
    for r in w.header_runs[1:]:
        div.append(_run_into(E.head(type="sub"), r))
    in_header = w.header.date is not None and w.date_line is w.header.date
    if in_header and w.date and w.header.date is not None:
        text = w.header.date.text
        pre = w.date_pre
        date_text = text[len(pre) :].strip() if pre else text
        dl = E.dateline(set_line(E.date(date_text, **w.date), w.header.date.no))
        if pre:
            dl.text = pre + " "
        set_line(dl, w.header.date.no)
        div.append(dl)
    elif w.date and w.date_line is not None and w.date.get("evidence") in ("external", "internal"):
        d = E.date(**w.date)
        set_line(d, w.date_line.no)
        dd = E.docDate(d)
        set_line(dd, w.date_line.no)
        div.append(dd)
    _entries(div, w)
    if w.chronicle_pub is not None:
        text, line = w.chronicle_pub
        bibl = E.bibl(text, type="publication", resp="#edition-editors", source=f"#w{chron_n:02d}")
        div.append(set_line(E.trailer(set_line(bibl, line)), line))
    return div


def _entries(div: etree._Element, w: Work) -> None:
    container = div
    section: etree._Element | None = None
    entries = w.entries
    k = 0
    while k < len(entries):
        e = entries[k]
        # the Roman numeral of a section and a divider are not emitted as text: their page break is
        if e.lines and e.lines[0].pb and (e.kind in ("section", "milestone") or e.run is None):
            pb = E.pb(n=str(e.lines[0].page))
            set_line(pb, e.lines[0].no)
            container.append(pb)
        if e.kind in ("section", "series"):
            section = E.div(type="section" if e.kind == "section" else e.series)
            if e.n:
                section.set("n", e.n)
            set_line(section, e.line.no)
            head_run = e.title_run if e.kind == "section" else e.run
            if head_run is not None:
                section.append(_run_into(E.head(), head_run))
            elif e.lines:
                section.append(_head_from_lines(e))
            div.append(section)
            container = section
        elif e.kind == "subsection":
            sub = E.div(type="subsection", n=e.n or "")
            set_line(sub, e.line.no)
            assert e.run is not None
            sub.append(_run_into(E.head(), e.run))
            (section if section is not None else div).append(sub)
            container = sub
        elif e.kind == "milestone":
            m = E.milestone(unit="section", rend=e.lines[0].text)
            set_line(m, e.line.no)
            container.append(m)
        elif e.kind == "opener":
            assert e.run is not None
            container.append(set_line(E.opener(_run_into(E.salute(), e.run)), e.line.no))
        elif e.kind in _PUB_CLOSE:
            closer = E.closer()
            set_line(closer, e.line.no)
            while k < len(entries) and entries[k].kind in _PUB_CLOSE:
                ce = entries[k]
                assert ce.run is not None
                if ce.kind == "dateline":
                    got = w.date if w.date_line is ce.lines[0] else None
                    date = _run_into(E.date(**(got or {})), ce.run)
                    dl = E.dateline(date)
                    set_line(dl, ce.line.no)
                    closer.append(dl)
                else:
                    closer.append(_run_into(E.salute() if ce.kind == "salute" else E.signed(), ce.run))
                k += 1
            div.append(closer)  # the work's closing lines, after its last section
            continue
        elif e.kind == "publication":
            assert e.run is not None
            tr = E.trailer(_run_into(E.bibl(type="publication"), e.run))
            set_line(tr, e.line.no)
            div.append(tr)
        elif e.quote:
            group = [e]
            while k + 1 < len(entries) and entries[k + 1].quote == e.quote:
                k += 1
                group.append(entries[k])
            container.append(_quote(group))
        else:
            assert e.run is not None
            p = _run_into(E.p(), e.run)
            if e.moved:
                p.set("rend", "relocated")
                p.set("resp", "#edition-editors")
            container.append(p)
        k += 1


def _head_from_lines(e: Entry) -> etree._Element:
    h = E.head(" ".join(ln.text for ln in e.lines))
    set_line(h, e.line.no)
    return h


def _quote(group: list[Entry]) -> etree._Element:
    quote = E.quote()
    set_line(quote, group[0].line.no)
    last = group[-1]
    assert last.run is not None
    span = citation_span(last.run.text)
    if span is not None and any(start < span[0] < end for start, end in _atom_spans(last.run)):
        span = None
    for e in group:
        assert e.run is not None
        p = E.p()
        if e is last and span is not None:
            _run_into(p, e.run, 0, len(e.run.text[: span[0]].rstrip()))
        else:
            _run_into(p, e.run)
        quote.append(p)
    if span is None:
        return quote
    bibl = _run_into(E.bibl(), last.run, span[0], span[1])
    cit = E.cit(quote, bibl)
    set_line(cit, group[0].line.no)
    return cit


def _atom_spans(run: Run) -> list[tuple[int, int]]:
    spans = [(f.start, f.end) for f in run.fixes]
    spans += [(w.start, w.end) for w in run.wraps]
    return spans


def _heads(div: etree._Element, lines: list[Line]) -> None:
    for ln in lines:
        if ln.pb:
            div.append(set_line(E.pb(n=str(ln.page)), ln.no))
        div.append(set_line(E.head(ln.text), ln.no))


def _nothing_left(np: NotesPlan) -> bool:
    """No heading, and every note at its marker: the division would be empty."""
    return (
        (np.foot or not np.block.heads)
        and not np.stray
        and all(body.placed and not body.pbs for body in np.bodies)
    )


def _section_div(section: NotesSection, plans: list[NotesPlan]) -> etree._Element:
    """Notes of several works printed together: one division, one per work inside."""
    div = E.div(type="notes")
    set_line(div, (section.heads or [section.runs[0].first])[0].no)
    _heads(div, section.heads)
    for np in plans:
        if not _nothing_left(np):
            div.append(_notes_div(np))
    return div


def _notes_div(np: NotesPlan) -> etree._Element:
    div = E.div(type="notes")
    div.set(ED_SCOPE, np.scope)
    set_line(div, np.block.first.no)
    _heads(div, np.block.heads)
    for blk in np.stray:
        p = E.p(" ".join(ln.text for ln in blk.lines))
        set_line(p, blk.first.no)
        div.append(p)
    for body in np.bodies:
        if not body.placed:
            note = note_element(body, np.scope)
            note.set("place", "end")  # where it stands: the notes division
            div.append(note)
        for ln in body.pbs:
            pb = E.pb(n=str(ln.page))
            set_line(pb, ln.no)
            div.append(pb)
    return div


def note_element(b: NoteBody, scope: str) -> etree._Element:
    """A note body as TEI, for its marker or for the notes division."""
    authorial = b.authorial
    el = E.note(
        n=b.n,
        type="authorial" if authorial else "editorial",
        resp="#author" if authorial else "#source-editor",
        place="foot" if b.symbol else "end",
    )
    el.set(ED_SCOPE, scope)
    set_line(el, b.first.no)
    if len(b.runs) == 1:
        emit(el, b.runs[0])
    else:
        for r in b.runs:
            p = E.p()
            set_line(p, r.lines[0].no)
            emit(p, r)
            el.append(p)
    return el


def _chronicle_div(b: BuildState) -> etree._Element:
    assert b.chronicle is not None
    div = E.div(type="chronicle", n=str(b.chron_n))
    div.set(XML_ID, f"w{b.chron_n:02d}")
    div.set(ED_SCOPE, f"w{b.chron_n:02d}")
    first = b.vol.chronicle[0].first
    set_line(div, first.no)
    for year, line, entries in b.chronicle.years:
        ydiv = E.div(type="year", n=str(year))
        set_line(ydiv, line.no if line is not None else (entries[0].date_line.no if entries else first.no))
        if line is not None:
            set_line(ydiv, line.no)
            head = E.head()
            set_line(head, line.no)
            if " " in line.text:
                choice = E.choice(
                    E.sic(line.text),
                    E.corr(line.text.replace(" ", ""), resp="#edition-editors", type="spacing"),
                )
                set_line(choice, line.no)
                head.append(choice)
                b.stats["spacing"] += 1
            else:
                head.text = line.text
            ydiv.append(head)
        lst = set_line(E.list(type="gloss"), entries[0].date_line.no if entries else first.no)
        for entry in entries:
            if entry.attrs:
                d = E.date(entry.date_line.text, **entry.attrs)
                set_line(d, entry.date_line.no)
                if entry.date_line.pb:
                    lst.append(E.label(set_line(E.pb(n=str(entry.date_line.page)), entry.date_line.no), d))
                else:
                    lst.append(E.label(d))
                set_line(lst[-1], entry.date_line.no)
            run = getattr(entry, "run", None)
            item = E.item()
            set_line(item, (entry.lines[0] if entry.lines else entry.date_line).no)
            if run is not None:
                _run_into(item, run)
            lst.append(item)
        if len(lst):
            ydiv.append(lst)
        div.append(ydiv)
    return div


def _editorial_decl(b: BuildState) -> etree._Element:
    s = b.stats
    decl = E.editorialDecl()
    decl.append(
        E.correction(
            E.p(
                f"Extraction damage repaired by the book reader where the volume itself gives the evidence "
                f"(each repair kept as choice/sic/corr with resp='#edition-editors' and the kind of repair in corr/@type): "
                f"{s['ocr']} misread letters (type 'ocr': '/' for 'l', '1' for 'I' in a Roman numeral), "
                f"{s['spacing']} spacing errors (type 'spacing': letters spaced out, words cut in two or run together), "
                f"{s['punctuation']} punctuation slips (type 'punctuation': a stray point or comma, a hyphen "
                "printed for a space or a dash). "
                f"{s['spliced']} paragraph(s) of the text found spliced into a note were moved back to the end of "
                f"their work (rend='relocated')."
            )
        )
    )
    decl.append(
        E.hyphenation(
            E.p(
                f"Line-end and in-line hyphens kept as printed, except {s['hyphenation']} word(s) split by the "
                "typesetting whose joined form occurs elsewhere in the volume (corr type='hyphenation')."
            ),
            eol="some",
        )
    )
    decl.append(
        E.normalization(
            E.p(
                "Lines joined into paragraphs; page breaks of the PDF kept as pb with the ordinal page; empty "
                f"lines, filler pages and the publisher's URL line left out; {s['rejoined']} paragraph break(s) "
                "inside a sentence (a paragraph line followed by a lower-case continuation) removed; "
                f"{s['split']} paragraph break(s) restored where a short line closing a sentence was followed "
                "by more text with no paragraph line (lost at a page break). "
                "Notes paired with their markers "
                "against each work's own numbering and placed there; notes without a marker stay in the notes "
                "division."
            )
        )
    )
    return decl


__all__ = ["emit_volume", "note_element", "date_attrs"]
