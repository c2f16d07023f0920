"""Inner structure of one work of a PDF-extracted volume (issue 3).

A work's body blocks become a flat list of :class:`Entry` (headings,
paragraphs, dividers, the closing lines); block quotations are found over that
list; :func:`edition.sources.book.BookReader` then nests them into divisions.
Headings are told from paragraph tails by what follows the paragraph line and
by their shape (a Roman numeral alone, ``N. Title In Capitals`` with no
closing period, ``First Question``, upper case), never by length alone.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .book_layout import Block, Line, ends_sentence
from .book_text import Run, make_run
from .book_works import (
    DATE_LINE,
    FUNCTION_WORDS,
    NUMBERED_HEAD,
    ROMAN,
    is_bare_date,
)

SIGNATURE = re.compile(r"^(?:[A-Z]\. ){1,3}[A-Z][a-z]+(?:-[A-Z][a-z]+)?\.?$")
"""A signature: initials and a surname alone on a line (``J. Stalin``)."""
PUBLICATION = re.compile(
    r"^(?:Published|Printed|First published|The (?:newspaper|magazine|journal)|[A-Z]\. (?:[A-Z]\. )?[A-Z][a-z]+, [A-Z])"
    r"|\bNo\. ?\d+"
)
MILESTONE = re.compile(r"^\*(?: \*){2,}$")
_SPEECH_VERB = re.compile(
    r"\b(?:said|says|say|wrote|writes|declared|declares|stated|states|observed|remarked|put it|words)\s*:$"
)
_CITATION = re.compile(
    r"\s*\((?:[Ss]ee |cf\. )?[^()]*?(?:\bVols?\.|\bibid\b|\bp\.|\bpp\.|\bNo\.|\b1[89]\d\d\b|[Ll]etter)[^()]*\)\s*[.;,]?\s*$"
)


@dataclass(slots=True)
class Entry:
    kind: str
    """p, section, subsection, series, milestone, salute, signed, dateline, publication, opener"""
    lines: list[Line]
    n: str | None = None
    title: list[Line] = field(default_factory=list)
    run: Run | None = None
    title_run: Run | None = None
    quote: int = 0
    """Block quotation this paragraph belongs to (0 = none)."""
    moved: bool = False
    rejoined: int = 0
    """Paragraph breaks inside a sentence removed from this paragraph."""
    split: bool = False
    """A paragraph break without its paragraph line, restored before this paragraph."""
    """A paragraph put back here from the notes, where the extraction had spliced it."""
    series: str = ""
    """For a heading of a series (``First Question``): the series' name (``question``)."""

    @property
    def line(self) -> Line:
        return self.lines[0] if self.lines else self.title[0]


@dataclass(slots=True)
class Header:
    title: list[Line]
    subtitles: list[list[Line]]
    date: Line | None


def opening(text: str) -> str:
    """The first two words of a heading line, the key by which a volume shows
    that a line opens a subtitle (``Reply to``, ``A Lecture``)."""
    return " ".join(text.lower().split()[:2])


def _plain(text: str) -> str:
    return re.sub(r"[^a-z ]", "", text.lower().replace("’", "'")).strip()


@dataclass(slots=True)
class HeadingEvidence:
    """What the volume shows about its headings (issue 20: no list of words).

    A header line after the title is a subtitle when it is wholly in
    parentheses, when its first two words open a line of another work's header
    (the volume's own recurring subtitles: ``Reply to ...``), or when a title
    quoted elsewhere in the volume (the chronicle) ends where the line begins;
    otherwise it continues the title."""

    openings: Counter[str] = field(default_factory=Counter)
    """How many headers have a line opening with these two words."""
    quoted: frozenset[str] = frozenset()
    """Titles the volume quotes (letters and spaces only, lower case)."""

    @classmethod
    def of(cls, headers: list[Block], quoted: list[str]) -> HeadingEvidence:
        openings: Counter[str] = Counter()
        for b in headers:
            openings.update({opening(ln.text) for ln in b.lines if not DATE_LINE.match(ln.text)})
        return cls(openings, frozenset(_plain(q) for q in quoted))

    def starts_subtitle(self, title: list[Line], line: Line) -> bool:
        text = line.text
        if text.startswith("(") and text.rstrip(" .,").endswith(")"):
            return True
        if self.openings[opening(text)] >= 2:
            return True
        sofar = _plain(re.sub(r"\d+$", "", " ".join(ln.text for ln in title)))
        return bool(sofar) and sofar in self.quoted


def parse_header(block: Block, evidence: HeadingEvidence | None = None) -> Header:
    ev = evidence or HeadingEvidence()
    title: list[Line] = [block.lines[0]]
    subs: list[list[Line]] = []
    date: Line | None = None
    for ln in block.lines[1:]:
        if DATE_LINE.match(ln.text) and date is None:
            date = ln
        elif date is not None or (not subs and ev.starts_subtitle(title, ln)) or (subs and ev.starts_subtitle([], ln)):
            subs.append([ln])
        elif subs:
            subs[-1].append(ln)
        else:
            title.append(ln)
    return Header(title, subs, date)


def is_title_case(text: str) -> bool:
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*", text)
    content = [w for w in words if w.lower() not in FUNCTION_WORDS and len(w) > 2]
    if not content:
        return False
    caps = sum(1 for w in content if w[0].isupper())
    return caps / len(content) >= 0.7


def _is_upper_title(text: str) -> bool:
    return len(text) >= 6 and " " in text and text.isupper()


def _title_lines(lines: list[Line], k: int) -> int:
    """How many lines from ``lines[k]`` a heading takes: it goes on while a line
    ends with a function word (``...in the Period of`` / ``Imperialism``)."""
    j = k
    while j + 1 < len(lines) and (
        lines[j].text.split()[-1].lower() in FUNCTION_WORDS
        or (lines[j + 1].text[:1].islower() and not _title_ends(lines[j].text))
    ):
        j += 1
    return j - k + 1


def _title_ends(text: str) -> bool:
    """A heading line that closes a sentence (``(B.)`` at the end does not)."""
    t = re.sub(r"(?:[A-Z]\.){2,}(?:\([A-Z]\.\))?$", "", text.rstrip())
    return t.endswith((".", ",", ";", ":", "!"))


def heading_series(blocks: list[Block]) -> dict[str, tuple[int, str]]:
    """Headings of one series in a work, found by their recurrence (issue 20):
    two or more short title lines, each standing where a heading can (first
    in its paragraph, or first on a page after a closed sentence), that differ
    in one word only (``First Question`` ... ``Tenth Question``, ``The First
    Evening`` ...). Maps each to its place in the series and the series' name
    (the last word they share, lower-cased: the division's type)."""
    cands: list[str] = []
    for b in blocks:
        for k, ln in enumerate(b.lines):
            if k and not (ln.pb and ends_sentence(b.lines[k - 1].text)):
                continue
            words = ln.text.split()
            if (
                2 <= len(words) <= 4
                and is_title_case(ln.text)
                and not _title_ends(ln.text)
                and not DATE_LINE.match(ln.text)
                and not NUMBERED_HEAD.match(ln.text)
            ):
                cands.append(ln.text)
    groups: dict[tuple[int, tuple[str, ...]], list[str]] = {}
    for text in cands:
        words = text.split()
        for p in range(len(words)):
            groups.setdefault((p, tuple(w if i != p else "" for i, w in enumerate(words))), []).append(text)
    out: dict[str, tuple[int, str]] = {}
    for (p, shape), texts in groups.items():
        if len(texts) >= 2 and len(set(texts)) == len(texts):
            shared = [w for i, w in enumerate(shape) if i != p and w[:1].isalpha()]
            if not shared:
                continue
            for n, text in enumerate(texts, 1):
                out.setdefault(text, (n, shared[-1].lower()))
    return out


def _split_at_headings(blocks: list[Block], series: dict[str, tuple[int, str]]) -> list[Block]:
    """A heading at the top of a page may follow the previous paragraph with no
    paragraph line between them (only the page break)."""
    out: list[Block] = []
    for b in blocks:
        start = 0
        for k in range(1, len(b.lines)):
            ln = b.lines[k]
            if (
                ln.pb
                and ends_sentence(b.lines[k - 1].text)
                and (ROMAN.match(ln.text) or ln.text in series)
            ):
                out.append(Block(b.lines[start:k], b.breaks if start == 0 else 1, b.seam and start == 0))
                start = k
        out.append(Block(b.lines[start:], b.breaks if start == 0 else 1, b.seam and start == 0))
    return out


def parse_body(blocks: list[Block], width: int = 0) -> list[Entry]:
    """Entries of a work's body; ``width`` is the length of a full line (0: unknown)."""
    entries: list[Entry] = []
    last_sub = 0
    series = heading_series(blocks)
    for bi, b in enumerate(_split_at_headings(blocks, series)):
        lines = b.lines
        k = 0
        while k < len(lines):
            text = lines[k].text
            rest = lines[k + 1 :]
            if ROMAN.match(text):
                entry = Entry("section", [lines[k]], text.rstrip("."))
                k += 1
                nxt = lines[k].text if k < len(lines) else ""
                if (
                    nxt
                    and nxt[:1].isupper()
                    and not _title_ends(nxt)
                    and (is_title_case(nxt) or _is_upper_title(nxt))
                ):
                    span = _title_lines(lines, k)
                    entry.title = lines[k : k + span]
                    k += span
                entries.append(entry)
                last_sub = 0
                continue
            if k == 0 and MILESTONE.match(text):
                entries.append(Entry("milestone", [lines[k]]))
                k += 1
                continue
            if text in series:
                n, name = series[text]
                entries.append(Entry("series", [lines[k]], str(n), series=name))
                k += 1
                continue
            m = NUMBERED_HEAD.match(text)
            if m and k == 0 and rest is not None:
                span = _title_lines(lines, k)
                head = " ".join(ln.text for ln in lines[k : k + span])
                n = int(m.group(1))
                after = lines[k + span].text if k + span < len(lines) else ""
                if (
                    not _title_ends(head)
                    and is_title_case(m.group(2))
                    and (n == last_sub + 1 or n == 1)
                    and (not after or after[:1].isupper())
                    and k + span < len(lines) + 1
                ):
                    entries.append(Entry("subsection", lines[k : k + span], str(n)))
                    last_sub = n
                    k += span
                    continue
            if _is_upper_title(text) and not ends_sentence(text):
                entries.append(Entry("section", [], None, [lines[k]]))
                k += 1
                continue
            break
        if k < len(lines):
            entries.append(Entry("p", lines[k:]))
        del bi
    if width:
        _split_short(entries, width)
    _merge_broken(entries)
    _closing(entries)
    _opening(entries)
    return entries


def _split_short(entries: list[Entry], width: int) -> None:
    """A short line that closes a sentence ends its paragraph even where the
    paragraph line is missing (lost at a page break): in justified text only a
    paragraph's last line is short."""
    k = 0
    while k < len(entries):
        e = entries[k]
        if e.kind == "p":
            for i, ln in enumerate(e.lines[:-1]):
                if (
                    len(ln.text) < 0.75 * width
                    and ends_sentence(ln.text)
                    and e.lines[i + 1].text[:1].isupper()
                ):
                    rest = Entry("p", e.lines[i + 1 :])
                    rest.split = True
                    e.lines = e.lines[: i + 1]
                    entries.insert(k + 1, rest)
                    break
        k += 1


def _merge_broken(entries: list[Entry]) -> None:
    """A paragraph break inside a sentence (the previous paragraph stops without
    punctuation, the next starts in lower case) is an extraction error."""
    k = 1
    while k < len(entries):
        a, b = entries[k - 1], entries[k]
        if (
            a.kind == "p"
            and b.kind == "p"
            and not ends_sentence(a.lines[-1].text)
            and not a.lines[-1].text.endswith(("—", "-", ","))
            and b.lines[0].text[:1].islower()
            and not re.match(r"[a-z]\)", b.lines[0].text)
        ):
            a.lines.extend(b.lines)
            a.rejoined += 1
            del entries[k]
            continue
        k += 1


def _closing(entries: list[Entry]) -> None:
    """Signature, date and publication lines at the end of a work."""
    # publication: trailing paragraphs made only of publication lines
    k = len(entries)
    while k > 0 and entries[k - 1].kind == "p":
        e = entries[k - 1]
        sig = next((i for i, ln in enumerate(e.lines) if SIGNATURE.match(ln.text)), None)
        if sig is not None:
            _split_signed(entries, k - 1, sig)
            return
        if PUBLICATION.search(e.lines[0].text) and len(e.lines) <= 3:
            e.kind = "publication"
            k -= 1
            continue
        if len(e.lines) == 1 and is_bare_date(e.lines[0].text):
            e.kind = "dateline"
            k -= 1
            continue
        # a date line at the end of the last paragraph (a page break may hide the paragraph line)
        m = DATE_LINE.match(e.lines[-1].text)
        if len(e.lines) > 1 and m and not m.group("pre") and ends_sentence(e.lines[-2].text):
            entries.insert(k, Entry("dateline", [e.lines.pop()]))
        break


def _split_signed(entries: list[Entry], idx: int, sig: int) -> None:
    e = entries[idx]
    lines = e.lines
    new: list[Entry] = []
    before = lines[:sig]
    if before:
        # "With communist greetings," closes the letter; longer text is a paragraph
        if len(before) == 1 and before[0].text.endswith(","):
            new.append(Entry("salute", before))
        else:
            new.append(Entry("p", before))
    new.append(Entry("signed", [lines[sig]]))
    tail = lines[sig + 1 :]
    if tail and DATE_LINE.match(tail[0].text) and not PUBLICATION.search(tail[0].text):
        new.append(Entry("dateline", [tail[0]]))
        tail = tail[1:]
    if tail:
        new.append(Entry("publication", tail))
    entries[idx : idx + 1] = new
    # a salutation alone in the paragraph before the signature
    if idx > 0 and entries[idx - 1].kind == "p" and len(entries[idx - 1].lines) == 1:
        t = entries[idx - 1].lines[0].text
        if t.endswith(",") and len(t) < 40:
            entries[idx - 1].kind = "salute"


def _opening(entries: list[Entry]) -> None:
    """A salutation: a work that closes with a signature and opens with one
    short line ending in a comma (``My dear Kate,``)."""
    if entries and entries[0].kind == "p" and len(entries[0].lines) == 1:
        t = entries[0].lines[0].text
        if t.endswith(",") and len(t) < 40 and any(e.kind == "signed" for e in entries):
            entries[0].kind = "opener"


def find_quotes(entries: list[Entry]) -> None:
    """Block quotations: paragraphs opened by a quote mark after a lead-in that
    ends with a colon, running over paragraphs until the quote closes; or one
    unquoted paragraph after ``... said:``."""
    qid = 0
    k = 0
    while k < len(entries):
        e = entries[k]
        prev = entries[k - 1] if k else None
        if e.kind != "p" or prev is None or prev.kind != "p" or not prev.lines[-1].text.endswith(":"):
            k += 1
            continue
        first = e.lines[0].text
        if first[:1] in '"“':
            qid += 1
            j = k
            while True:
                entries[j].quote = qid
                if _closes(" ".join(ln.text for ln in entries[j].lines)):
                    break
                if (
                    j + 1 < len(entries)
                    and entries[j + 1].kind == "p"
                    and entries[j + 1].lines[0].text[:1] in '"“'
                ):
                    j += 1
                    continue
                break
            k = j + 1
            continue
        if (
            _SPEECH_VERB.search(prev.lines[-1].text)
            and len(e.lines) <= 4
            and '"' not in first
            and "“" not in first
        ):
            qid += 1
            e.quote = qid
        k += 1


def _closes(text: str) -> bool:
    t = _CITATION.sub("", text).rstrip()
    t = re.sub(r"\s*(?:\d{1,3}|\*+)$", "", t).rstrip(" .")
    straight = text.count('"')
    if straight:
        return straight % 2 == 0 and t.endswith(('"', "”"))
    return text.count("“") <= text.count("”") and t.endswith(("”", "’"))


def citation_span(text: str) -> tuple[int, int] | None:
    """Where the citation after a closing quote sits (``(see Vol. XXII, p. 218).``)."""
    m = _CITATION.search(text)
    if not m:
        return None
    before = text[: m.start()].rstrip()
    if not before.endswith(('"', "”", "’", "'")) and not re.search(r"[\"”]\s*(?:\d{1,3}|\*+)?$", before):
        return None
    start = m.start() + (len(m.group()) - len(m.group().lstrip()))
    return start, len(text.rstrip())


def runs_for(entry: Entry) -> None:
    if entry.lines:
        entry.run = make_run(entry.lines)
    if entry.title:
        entry.title_run = make_run(entry.title)
