"""Running text of a PDF-extracted volume: lines joined into paragraphs,
extraction damage repaired where the volume itself gives the evidence, note
markers found, and the result emitted as TEI mixed content (issue 3).

A paragraph is first a plain string (:class:`Run`) with the positions of its
page breaks and source lines. Repairs, note markers and wrappers (stage
directions, the author's interpolations) are spans over that string; only
:func:`emit` turns them into elements, so the order of the passes does not
matter and no regex ever runs over markup.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field

from lxml import etree

from ..tei import E, set_line
from .book_layout import Line

Attrs = dict[str, str]


@dataclass(slots=True)
class Fix:
    """A repair: ``sic`` at ``[start, end)`` becomes ``corr``."""

    start: int
    end: int
    corr: str
    kind: str
    """hyphenation | ocr | spacing"""


@dataclass(slots=True, eq=False)
class Marker:
    """A candidate note marker at ``[start, end)`` (``n`` as printed)."""

    start: int
    end: int
    n: str
    glued: bool
    chosen: bool = False
    note: etree._Element | None = None
    strong: bool = False
    """A spaced marker in a marker's usual place: after a name, a closing quote or
    punctuation (``Law 2``, ``"Arakcheyevism" 22``), or before a closing parenthesis."""


@dataclass(slots=True)
class Wrap:
    start: int
    end: int
    tag: str
    attrs: Attrs


@dataclass(slots=True)
class Run:
    """The text of one paragraph, heading or note, built from source lines."""

    text: str
    starts: list[int]
    """Offset in ``text`` where each source line starts."""
    lines: list[Line]
    pbs: list[tuple[int, Line]] = field(default_factory=list)
    """(offset, first line of the new page)."""
    fixes: list[Fix] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    wraps: list[Wrap] = field(default_factory=list)

    def line_at(self, offset: int) -> Line:
        return self.lines[max(0, bisect_right(self.starts, offset) - 1)]


def make_run(lines: list[Line]) -> Run:
    """Join lines with a space; a line-end hyphen is kept and joined without a
    space (``Social-`` + ``Democrats``); :func:`find_fixes` decides later
    whether the hyphen was a soft break."""
    parts: list[str] = []
    starts: list[int] = []
    pbs: list[tuple[int, Line]] = []
    pos = 0
    for k, ln in enumerate(lines):
        if k:
            prev = parts[-1]
            sep = "" if prev.endswith("-") and prev[-2:-1].isalpha() else " "
            parts.append(sep)
            pos += len(sep)
        starts.append(pos)
        if ln.pb:
            pbs.append((pos, ln))
        parts.append(ln.text)
        pos += len(ln.text)
    return Run("".join(parts), starts, list(lines), pbs)


# --- the volume's own vocabulary ----------------------------------------------

_WORD = re.compile(r"[A-Za-z]+")
_HYPHENED = re.compile(r"\b[A-Za-z]+(?:-[A-Za-z]+)+\b")


@dataclass(slots=True)
class Vocabulary:
    words: Counter[str]
    """Lower-case letter-only words."""
    hyphened: Counter[str]
    bigrams: Counter[tuple[str, str]]
    spacing: tuple[re.Pattern[str] | None, dict[str, str]] | None = None
    """Found by :func:`_spacing_damage` on first use."""
    abbrevs: Counter[str] = field(default_factory=Counter)
    """Abbreviations the volume prints with a point before a Roman numeral (``Vol``)."""

    def pair_count(self, a: str, b: str) -> int:
        return self.bigrams[(a, b)]


_POINT_NUMERAL = re.compile(r"\. [IVXLC]+\b")
_ABBREV_BEFORE = re.compile(r"(?<![A-Za-z])([A-Z][a-z]{1,4})$")


def _numeral_abbrevs(text: str) -> Counter[str]:
    """Abbreviations printed with their point before a Roman numeral (``Vol. XX``,
    ``Pt. XII``); the numeral is looked for first, as it is the rarer part."""
    out: Counter[str] = Counter()
    for m in _POINT_NUMERAL.finditer(text):
        a = _ABBREV_BEFORE.search(text, max(0, m.start() - 6), m.start())
        if a:
            out[a.group(1)] += 1
    return out


def vocabulary(texts: list[str]) -> Vocabulary:
    joined = "\n".join(texts)
    low = joined.lower()
    toks = _WORD.findall(low)
    return Vocabulary(
        Counter(toks),
        Counter(_HYPHENED.findall(low)),
        Counter(zip(toks, toks[1:], strict=False)),
        abbrevs=_numeral_abbrevs(joined),
    )


# --- repairs -------------------------------------------------------------------

_TOKEN = re.compile(r"(?<![\w/])(?:[A-Za-z][A-Za-z/]*(?:-[A-Za-z/]+)+|[A-Za-z]+/[A-Za-z/]*)(?![\w/])")
"""A word with a hyphen or a slash in it (``Men-sheviks``, ``wou/d``, ``iso/a-tion``)."""
_PREFIXES = frozenset(
    "anti co counter de ex inter intra neo non over post pre pro pseudo quasi re self semi sub super ultra "
    "un under".split()
)
"""Prefixes written with a hyphen on purpose (``re-division``, ``co-operate``):
never joined, never split off."""
_SUFFIXES = frozenset("ness ist ists ism isms tion tions sion sions ary ment ments ity".split())
_SPACED_LETTERS = re.compile(r"\b[a-z](?: [a-z]\b)+")
_INITIAL_SPACE = re.compile(r"\b([A-Z]) (?=\.)")


def find_fixes(run: Run, vocab: Vocabulary) -> None:
    """Repairs with evidence from the volume: hyphenation, ``/`` read for ``l``,
    letters spaced out, one word cut in two, two words run together."""
    text = run.text
    taken: list[tuple[int, int]] = []
    for m in _TOKEN.finditer(text):
        tok = m.group()
        corr, kinds = _repair_token(tok, vocab)
        if corr != tok:
            run.fixes.append(Fix(m.start(), m.end(), corr, "+".join(kinds)))
            taken.append((m.start(), m.end()))
    for m in _SPACED_LETTERS.finditer(text):
        joined = m.group().replace(" ", "")
        if vocab.words[joined] >= 3 and not _overlaps(m.start(), m.end(), taken):
            run.fixes.append(Fix(m.start(), m.end(), joined, "spacing"))
            taken.append((m.start(), m.end()))
    for m in _INITIAL_SPACE.finditer(text):
        run.fixes.append(Fix(m.start(), m.end() + 1, m.group(1) + ".", "spacing"))
        taken.append((m.start(), m.end() + 1))
    _punctuation(run, vocab, taken)
    if vocab.spacing is None:
        vocab.spacing = _spacing_damage(vocab)
    pattern, fixes = vocab.spacing
    if pattern is None:
        run.fixes.sort(key=lambda f: f.start)
        return
    for m in pattern.finditer(text):
        if not _overlaps(m.start(), m.end(), taken):
            run.fixes.append(Fix(m.start(), m.end(), fixes[m.group()], "spacing"))
            taken.append((m.start(), m.end()))
    run.fixes.sort(key=lambda f: f.start)


def _spacing_damage(vocab: Vocabulary) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    """Words cut in two or run together, found once for the whole volume:
    ``at tempted`` when ``tempted`` only ever follows ``at`` and ``attempted``
    is a word of the volume; ``itwill`` when it occurs once and ``it will``
    occurs elsewhere."""
    fixes: dict[str, str] = {}
    for (wa, wb), n in vocab.bigrams.items():
        if (
            n == vocab.words[wb]
            and n <= 2
            and wa.islower()
            and wb.islower()
            and wa not in _PREFIXES
            and vocab.words[wa + wb] >= 2
        ):
            fixes[f"{wa} {wb}"] = wa + wb
    for w, n in vocab.words.items():
        if n == 1 and len(w) >= 6 and w.islower():
            split = _split_run_together(w, vocab)
            if split:
                fixes[w] = split
    if not fixes:
        return None, fixes
    alts = "|".join(re.escape(k) for k in sorted(fixes, key=len, reverse=True))
    return re.compile(rf"\b(?:{alts})\b"), fixes


_ROMAN_ONE = re.compile(r"\b[A-Z][a-z]{0,4}\. ([IVXLC]+1)\b")
"""A Roman numeral after an abbreviation (``Vol. XXV1``, ``Bd. IV1``) ending in the
digit 1: an ``I`` misread, when the volume prints the numeral elsewhere."""
_ABBREV_COMMA = re.compile(r"\b([A-Z][a-z]{1,4}), (?=[IVXLC]+\b)")
_DOUBLE_STOP = re.compile(r"(?<=[A-Za-z)])\.\.(?![.\s]*\.)")
_INNER_STOP = re.compile(r"\b[A-Za-z]+\.[a-z]+\b")
_INNER_STOP_HINT = re.compile(r"[a-z]\.[a-z]{3}")
_HYPHEN_HINT = re.compile(
    r"\b(?:[Tt]he|[Oo]f|[Aa]nd|[Aa]n?|[Ww]ith|[Ff]rom|[Aa]t|over|under|into|onto|upon|about|across|through|against|"
    r"towards|for|by|on|in|to)-|-(?:the|which|that|in|and|an?)\b"
)
_HYPHEN_FOR_SPACE = re.compile(r"\b[A-Za-z]+-[A-Za-z]+\b")
_LEFT_WORDS = frozenset("the of and a an with from at".split())
"""Words never joined by a hyphen to the next one (``the-path``)."""
_PREPOSITIONS = frozenset(
    "over under into onto upon about across through against towards for from by on in at to with of".split()
)
_RIGHT_WORDS = frozenset("the which that in and".split())
"""Words that open a clause after a dash printed as a hyphen (``bloc-the``)."""


def _punctuation(run: Run, vocab: Vocabulary, taken: list[tuple[int, int]]) -> None:
    """Typesetting slips that cannot be anything else: ``Vol. XXV1`` (a Roman
    numeral holds no digit; ``XXVI`` printed elsewhere in the volume), ``Vol, XXI``, ``(E.C.C.I.)..``, ``Con.gresses``
    (when ``Congresses`` is a word of the volume), a hyphen after ``the``
    (``the-path``: a space) or before ``the``/``which`` (``revolution-which``: a
    dash), where the volume has that hyphenated pair only once."""
    text = run.text
    found: list[Fix] = []
    # cheap tests first: these slips are rare and the text is long
    if ". " in text:
        for m in _ROMAN_ONE.finditer(text):
            corr = m.group(1)[:-1] + "I"
            if vocab.words[corr.lower()]:
                found.append(Fix(m.start(1), m.end(1), corr, "ocr"))
    if ", " in text:
        for m in _ABBREV_COMMA.finditer(text):
            if vocab.abbrevs[m.group(1)]:  # ``Vol, XXI`` where the volume prints ``Vol. XX``
                found.append(Fix(m.start(), m.end(), f"{m.group(1)}. ", "punctuation"))
    if ".." in text:
        for m in _DOUBLE_STOP.finditer(text):
            found.append(Fix(m.start(), m.end(), ".", "punctuation"))
    if _INNER_STOP_HINT.search(text):
        for m in _INNER_STOP.finditer(text):
            joined = m.group().replace(".", "")
            if vocab.words[joined.lower()] >= 2 and len(joined) >= 6:
                found.append(Fix(m.start(), m.end(), joined, "punctuation"))
    for m in _HYPHEN_FOR_SPACE.finditer(text) if _HYPHEN_HINT.search(text) else ():
        a, b = m.group().split("-")
        if vocab.hyphened[m.group().lower()] != 1:
            continue
        if a.lower() in _LEFT_WORDS or (
            a in _PREPOSITIONS and b in ("the", "a", "an")
        ):  # "the-path": a space
            found.append(Fix(m.start(), m.end(), f"{a} {b}", "punctuation"))
        elif b in _RIGHT_WORDS:  # "bloc-the Trotskyists", "revolution-which": a dash
            found.append(Fix(m.start(), m.end(), f"{a}—{b}", "punctuation"))
    for f in found:
        if not _overlaps(f.start, f.end, taken):
            run.fixes.append(f)
            taken.append((f.start, f.end))


def _overlaps(a: int, b: int, taken: list[tuple[int, int]]) -> bool:
    return any(a < y and x < b for x, y in taken)


def _split_run_together(w: str, vocab: Vocabulary) -> str | None:
    """``itwill`` -> ``it will`` when both words are common in the volume and
    the volume has the pair elsewhere."""
    best: tuple[int, str] | None = None
    for k in range(2, len(w) - 1):
        a, b = w[:k], w[k:]
        if vocab.words[a] >= 3 and vocab.words[b] >= 3 and len(b) >= 3 and a not in _PREFIXES:
            score = vocab.pair_count(a, b)
            if score >= 1 and (best is None or score > best[0]):
                best = (score, f"{a} {b}")
    return best[1] if best else None


def soft_hyphen(before: str, after: str, vocab: Vocabulary) -> bool:
    """Whether the hyphen of ``before-`` at a line end, continued by ``after`` on the next
    line, was put there by the typesetting (``mis-`` + ``taken``), by the rule
    :func:`find_fixes` applies to a volume: the joined word occurs in the text at least as
    often as the hyphenated one, or ``after`` is a suffix of a capitalised known word.
    The plain reader joins hard-wrapped lines with it too (issue 20)."""
    return "hyphenation" in _repair_token(f"{before}-{after}", vocab)[1]


def _repair_token(tok: str, vocab: Vocabulary) -> tuple[str, list[str]]:
    kinds: list[str] = []
    out = tok
    if "/" in out:
        cand = re.sub(r"(?<=[A-Za-z])/|/(?=[a-z])", "l", out)
        parts = [p for p in re.split(r"-", cand) if p]
        if "/" not in cand and (
            all(vocab.words[p.lower()] >= 1 for p in parts) or vocab.words[cand.replace("-", "").lower()] >= 1
        ):
            out = cand
            kinds.append("ocr")
    if "-" in out and "/" not in out:
        parts = out.split("-")
        if len(parts) == 2:
            a, b = parts
            joined = (a + b).lower()
            hyph = f"{a}-{b}".lower()
            known = vocab.words[joined] or (joined.endswith("s") and vocab.words[joined[:-1]])
            if (
                b[:1].islower()
                and a.lower() not in _PREFIXES
                and (
                    (known and vocab.words[joined] >= vocab.hyphened[hyph])
                    or (b in _SUFFIXES and len(a) >= 4 and vocab.words[a.lower()] >= 1 and a[:1].isupper())
                )
            ):
                out = a + b
                kinds.append("hyphenation")
    return out, kinds


# --- note markers ----------------------------------------------------------------

_GLUED = re.compile(r"(?<=[A-Za-z.,;:)\"”’'])(\d{1,3})(?=[\s).,;:]|$)")
_YEAR_GLUED = re.compile(r"(?<![\d.,-])(1[6-9]\d\d)(\d{1,2})(?=[\s).,;:]|$)")
_SPACED = re.compile(r"(?<=[\w.,;:)\"”’'] )(\d{1,3})(?=[\s).,;:—]|$)")
_SYMBOL = re.compile(
    r"(?<=\S)(\*{1,3}|†{1,2}|‡{1,2})(?=[\s).,;:”\"’]|$)|(?<=[\w.,;:\"”’)] )(\*{1,3}|†{1,2}|‡{1,2})(?=\s|$)"
)
_NOT_BEFORE_SPACED = re.compile(
    r"(?:\b(?:p|pp|No|Nos|Vol|Vols|Book|Part|Chapter|Art|Article|Point|Section|of|in|his|her|its|their|our|"
    r"the|a|an|and|or|by|to|for|on|at|about|over|under|some|all|these|those|first|last|from|with|than|nearly|"
    r"almost|only|every|per|May|"
    + "|".join("January February March April June July August September October November December".split())
    + r")\.? |[\-–] )$"
)
_ROMAN_BEFORE = re.compile(r"\b[A-Z][a-z]{0,4}\. [IVXLC]+$")
"""A Roman numeral after an abbreviation (``Vol. XX``): a digit glued to it is a misprint, not a marker."""


_MAYBE_MARKER = re.compile(r"[\d*†‡]")


def find_markers(run: Run) -> None:
    """Every place a note marker could be. Which ones are markers is decided
    against the notes of the work (:func:`edition.sources.book_notes.choose_markers`)."""
    text = run.text
    out: list[Marker] = []
    if not _MAYBE_MARKER.search(text):
        run.markers = out
        return
    for m in _GLUED.finditer(text):
        if _ROMAN_BEFORE.search(text[max(0, m.start() - 20) : m.start()]) or m.group(1).startswith("0"):
            continue
        prev_char = text[m.start() - 1]
        if prev_char.isupper() and m.start() >= 2 and text[m.start() - 2] == " ":
            continue  # "a 3" style single letters are not words
        out.append(Marker(m.start(), m.end(), m.group(1), True))
    for m in _YEAR_GLUED.finditer(text):
        out.append(Marker(m.start(2), m.end(2), m.group(2), True))
    for m in _SPACED.finditer(text):
        before = text[max(0, m.start() - 30) : m.start()]
        after = text[m.end() : m.end() + 9]
        if m.group(1).startswith("0") or _NOT_BEFORE_SPACED.search(before):
            continue
        if before[-2:-1].isdigit() and not after.startswith(")"):
            continue  # "pp. 324-25 4)" is a marker, "1926 3 times" is not
        if re.match(r" (?:per cent|years?|months?|days?|times|to \d)", after):
            continue
        prev_word = before.rstrip().rsplit(" ", 1)[-1]
        strong = after.startswith((")", ".", ",", ";")) or not after.strip() or prev_word[:1].isupper()
        strong = strong or before.rstrip()[-1:] in "\"”’'.,;:)"
        out.append(Marker(m.start(), m.end(), m.group(1), False, strong=strong))
    for m in _SYMBOL.finditer(text):
        s = m.group(1) or m.group(2)
        start = m.start(1) if m.group(1) else m.start(2)
        if re.match(r"\* \*", text[start - 2 : start + 1]) or re.match(r"\* \*", text[start : start + 3]):
            continue  # a "* * *" divider
        out.append(Marker(start, start + len(s), s, bool(m.group(1))))
    out.sort(key=lambda mk: mk.start)
    run.markers = out


# --- wrappers -------------------------------------------------------------------------

_STAGE_WORDS = re.compile(
    r"\b(?:[Ll]aughter|[Aa]pplause|[Vv]oices?|[Oo]vation|[Cc]heers|[Cc]ommotion|[Uu]proar|[Nn]oise|"
    r"[Ii]nterruption|[Aa]nimation|[Ss]tir|rise and sing)\b"
)
_INTERPOLATION = re.compile(r"\s?[—–-]\s?(?:[A-Z]\. ?){1,2}[A-Z][a-z]{0,3}\.\)$")
"""The author's initials closing a parenthesis: ``(meaning ... — J. St.)``."""


def find_wraps(run: Run, in_quote: bool) -> None:
    """Stage directions ``(Applause.)`` and the author's interpolations
    ``(meaning ... — J. St.)`` (inside quotations)."""
    text = run.text
    for start, end in _paren_spans(text):
        inner = text[start:end]
        if _INTERPOLATION.search(inner):
            run.wraps.append(Wrap(start, end, "seg", {"type": "interpolation", "resp": "#author"}))
        elif inner[1:2].isupper() and _STAGE_WORDS.search(inner) and len(inner) < 400:
            run.wraps.append(Wrap(start, end, "stage", {"type": "delivery"}))


_PAREN = re.compile(r"[()]")


def _paren_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    stack: list[int] = []
    for m in _PAREN.finditer(text):
        k, ch = m.start(), m.group()
        if ch == "(":
            stack.append(k)
        elif ch == ")" and stack:
            start = stack.pop()
            if not stack:
                spans.append((start, k + 1))
    return spans


# --- emission ---------------------------------------------------------------------------


def emit(parent: etree._Element, run: Run, start: int = 0, end: int | None = None) -> None:
    """Append ``run.text[start:end]`` to ``parent`` as mixed content: page breaks,
    repairs as ``choice``, chosen markers (their note or a ``ref``), wrappers."""
    end = len(run.text) if end is None else end
    items: list[tuple[int, int, int, object]] = []  # (start, order, end, item)
    for f in run.fixes:
        items.append((f.start, 1, f.end, f))
    for mk in run.markers:
        if mk.chosen:
            items.append((mk.start, 1, mk.end, mk))
    for off, ln in run.pbs:
        items.append((off, 0, off, ln))
    atoms = sorted(
        (i for i in items if start <= i[0] and i[2] <= end and (i[0] < end or i[1] == 0)),
        key=lambda i: (i[0], i[1]),
    )
    wraps = sorted(
        (w for w in run.wraps if start <= w.start and w.end <= end), key=lambda w: (w.start, -w.end)
    )
    _emit_range(parent, run, start, end, atoms, wraps)


def _emit_range(
    parent: etree._Element,
    run: Run,
    start: int,
    end: int,
    atoms: list[tuple[int, int, int, object]],
    wraps: list[Wrap],
) -> None:
    pos = start
    ai = 0
    wi = 0
    while pos < end or ai < len(atoms):
        next_atom = max(atoms[ai][0], pos) if ai < len(atoms) else end
        while wi < len(wraps) and wraps[wi].start < pos:
            wi += 1  # a wrapper overlapping an atom it cannot contain: dropped
        next_wrap = wraps[wi].start if wi < len(wraps) else end
        nxt = min(next_atom, next_wrap, end)
        if nxt > pos:
            _append_text(parent, run.text[pos:nxt])
            pos = nxt
            continue
        if wi < len(wraps) and wraps[wi].start == pos and (ai >= len(atoms) or atoms[ai][0] >= pos):
            w = wraps[wi]
            inner_atoms = [
                a for a in atoms[ai:] if a[0] >= w.start and a[2] <= w.end and (a[0] < w.end or a[1] == 0)
            ]
            if any(a[0] < w.end < a[2] for a in atoms[ai:]):
                wi += 1
                continue
            el = etree.SubElement(parent, _tei(w.tag), w.attrs)
            set_line(el, run.line_at(w.start).no)
            _emit_range(el, run, w.start, w.end, inner_atoms, [x for x in wraps[wi + 1 :] if x.end <= w.end])
            ai += len(inner_atoms)
            wi += 1
            while wi < len(wraps) and wraps[wi].start < w.end:
                wi += 1
            pos = w.end
            continue
        if ai < len(atoms) and atoms[ai][0] <= pos:
            _, _, a_end, item = atoms[ai]
            ai += 1
            if isinstance(item, Line):
                pb = etree.SubElement(parent, _tei("pb"), n=str(item.page))
                set_line(pb, item.no)
            elif isinstance(item, Fix):
                el = E.choice(
                    E.sic(run.text[item.start : item.end]),
                    E.corr(item.corr, resp="#edition-editors", type=item.kind),
                )
                set_line(el, run.line_at(item.start).no)
                parent.append(el)
            elif isinstance(item, Marker):
                if item.note is not None:
                    parent.append(item.note)
                else:
                    ref = E.ref(item.n, type="noteref", n=item.n)
                    set_line(ref, run.line_at(item.start).no)
                    parent.append(ref)
            pos = max(pos, a_end)
            continue
        break


def _tei(tag: str) -> str:
    return f"{{http://www.tei-c.org/ns/1.0}}{tag}"


def _append_text(parent: etree._Element, s: str) -> None:
    if not s:
        return
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + s
    else:
        parent.text = (parent.text or "") + s
