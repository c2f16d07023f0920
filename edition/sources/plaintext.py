"""Plain-text reader: paragraphs, unmarked headings, letters, numbered points,
lead-in block quotations and note markers/bodies (paired later by ``notes.py``).

The reader only recognises shapes; it never keys on a particular file. Each
rule is a small function over :class:`Para` so that it can be tested alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

from lxml import etree

from ..errors import Diagnostics
from ..tei import ED_NS, E, set_line, t, unset
from .base import Reader, ReadResult, SourceFile
from .book_text import soft_hyphen, vocabulary

ED_SCOPE = f"{{{ED_NS}}}scope"
ED_STATE = f"{{{ED_NS}}}state"

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
# A note marker inside running text: a circled number (with the stray caret some
# conversions leave from superscript markup) or a bracketed number glued to text.
MARKER_RE = re.compile(rf"(?P<caret>\^?)(?P<n>[{CIRCLED}])|(?<=\S)\[(?P<b>\d{{1,3}})\]")
MAYBE_MARKER = re.compile(rf"[{CIRCLED}\[]")
"""Cheap pre-test: most paragraphs have no marker at all."""
BODY_RE = re.compile(rf"^\^?(?P<n>[{CIRCLED}])\s*|^\[(?P<b>\d{{1,3}})\]\s*")

CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
TERMINAL = tuple(".!?;:,。！？；：，、…—") + ("...",)
CLOSERS = "”’\"')）]】」』"
OPENERS = "“‘\"'「『"
CN_NUM_HEAD = re.compile(r"^[一二三四五六七八九十百零〇]+[ \u3000、．.]\s*\S")
CHAPTER_HEAD = re.compile(
    r"^(第[一二三四五六七八九十百零〇\d]+[章节部篇卷]|(Chapter|CHAPTER|Part|PART|Book|BOOK)\s+\w+)"
)
ROMAN = re.compile(r"^(?=[IVXLC])M*(C[MD]|D?C{0,3})(X[CL]|L?X{0,3})(I[XV]|V?I{0,3})\.?$")
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DATE_EN = re.compile(rf"^(?:(?P<d1>\d{{1,2}}) )?(?P<m>{MONTHS}) (?:(?P<d>\d{{1,2}}), )?(?P<y>\d{{4}})\.?$")
DATE_ZH = re.compile(r"^(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*日)?$")
SALUTE = re.compile(
    r"^((My )?[Dd]ear\b.{0,60}|To (the )?[A-Z].{0,60}|Comrades|Sir|Madam|亲爱的.{0,20}|.{1,12}同志们?)[:：,，!！]$"
)
SIGNATURE = re.compile(r"^[A-Z][a-z]{0,12}\.?( [A-Z][\w'’.-]{0,20}){0,3}$|^[\u4e00-\u9fff·]{2,8}$")
NUMBERED = re.compile(r"^(?P<n>\d{1,3})(?:[.)、](?!\d)|）)\s*(?=\S)")
LEADIN_VERB = re.compile(
    r"(wrote|writes|said|says|declared|declares|stated|states|put it|observed|remarked|argued|explained|as follows"
    r"|写道|指出|说|说过|所说|认为|强调)\W{0,3}[:：]$",
    re.I,
)
CITATION = re.compile(r"\bpp?\.\s*\d|\(\s*[^()]*:\s*[^()]*\d{4}\s*\)|,\s*in:\s|第\s*\d+\s*[卷页]")
MONTH_NUM = {m: i + 1 for i, m in enumerate(MONTHS.split("|"))}


@dataclass(slots=True)
class Para:
    text: str
    line: int
    kind: str = "p"
    """p, head, title, dateline, salute, signed, item, quote, note."""
    n: str = ""
    """Printed label: note mark or item number."""
    group: int = 0
    """Block quotation group (paragraphs of one quotation share it)."""
    soft: list[int] = field(default_factory=list)
    """Offsets in ``text`` of hyphens that stood at a line end inside a word, until
    :func:`resolve_hyphens` decides on them."""


def is_cjk(s: str) -> bool:
    return len(CJK_RE.findall(s)) * 2 > len(s.strip())


def split_paragraphs(body: str, first_line: int) -> list[Para]:
    """Blank-line separated paragraphs. Hard-wrapped lines are joined (with a
    space, except between two CJK characters; a word cut by a line-end hyphen
    without one, the hyphen left for :func:`resolve_hyphens`). In a file that writes
    paragraphs on one line (some or all of them), each block decides for itself
    (issue 20): its lines are joined where the block is hard-wrapped (a passage pasted
    from a PDF) and stay apart where they are paragraphs of their own (a title above a
    subtitle)."""
    blocks: list[list[tuple[int, str]]] = []
    buf: list[tuple[int, str]] = []
    for i, raw in enumerate(body.split("\n")):
        line = raw.rstrip("\r").strip(" \t\u3000")
        if not line:
            if buf:
                blocks.append(buf)
                buf = []
            continue
        buf.append((first_line + i, line))
    if buf:
        blocks.append(buf)
    # A line longer than any wrap width: the file does not hard-wrap its paragraphs (at
    # least not all of them), so each block shows whether it is wrapped.
    per_block = max((len(x) for b in blocks for _, x in b), default=0) > 200
    # Where most blocks are not single lines, the file mostly hard-wraps: there a full line
    # that ends a sentence is taken as wrapped too, as it was before blocks decided.
    wrapping = sum(1 for b in blocks if len(b) == 1) < 0.8 * len(blocks)
    out: list[Para] = []
    for b in blocks:
        for run in wrapped_runs(b, wrapping) if per_block else [b]:
            text, soft = _join([x for _, x in run])
            out.append(Para(text, run[0][0], soft=soft))
    return out


WRAP_FILL = 0.8
"""A hard-wrapped line is full: with the next line's first word it would pass 80% of the
block's longest line. Lines pasted from a PDF were set in proportional type, so their
lengths in characters vary; a greedy wrap in characters would pass 100%."""
SENTENCE_END = tuple(".!?:。！？：…")


def _breaks_mid_sentence(line: str) -> bool:
    """The line ends inside a sentence: no final stop (a comma does not end one), or a hyphen."""
    if MAYBE_MARKER.search(line[-8:]):
        line = MARKER_RE.sub("", line[-40:]).rstrip()
    return not line.rstrip(CLOSERS + " ").endswith(SENTENCE_END) or line.endswith("-")


def _cjk_join(left: str, right: str) -> bool:
    return bool(left and right and CJK_RE.match(left[-1]) and CJK_RE.match(right[0]))


def _full(line: str, nxt: str, width: int) -> bool:
    """The next line's first word (character, in CJK) would not have fitted on this line."""
    if _cjk_join(line, nxt):
        return len(line) + 1 > WRAP_FILL * width
    first = nxt.split(maxsplit=1)  # empty for a line of other blanks (no-break spaces)
    return len(line) + 1 + len(first[0] if first else "") > WRAP_FILL * width


def wrapped_runs(block: list[tuple[int, str]], wrapping: bool = False) -> list[list[tuple[int, str]]]:
    """A block's lines grouped into paragraphs, in a file that writes paragraphs on one line.

    A line break is a wrap when the line is full (:data:`WRAP_FILL`) and breaks inside a
    sentence. In a block where at least half the breaks are wraps (a hard-wrapped passage),
    or in a file that mostly hard-wraps (``wrapping``), a full line that happens to end a
    sentence is wrapped too; a short line ends its paragraph. A block of heading-like lines
    (a title above a subtitle) stays line by line."""
    if len(block) == 1 or all(looks_like_heading(Para(x, n)) for n, x in block):
        return [[ln] for ln in block]
    width = max(len(x) for _, x in block)
    full = [_full(x, nxt, width) for (_, x), (_, nxt) in zip(block, block[1:], strict=False)]
    wraps = [f and _breaks_mid_sentence(x) for f, (_, x) in zip(full, block, strict=False)]
    passage = wrapping or sum(wraps) * 2 >= len(wraps)
    runs = [[block[0]]]
    for k, ln in enumerate(block[1:]):
        if wraps[k] or (passage and full[k]):
            runs[-1].append(ln)
        else:
            runs.append([ln])
    return runs


def _join(lines: list[str]) -> tuple[str, list[int]]:
    """The lines as one paragraph, and the offsets of the line-end hyphens that joined a word."""
    text = lines[0]
    soft: list[int] = []
    for nxt in lines[1:]:
        if _cjk_join(text, nxt):
            text += nxt
        elif text.endswith("-") and text[-2:-1].isalpha() and nxt[:1].isalpha():
            soft.append(len(text) - 1)
            text += nxt
        else:
            text += " " + nxt
    return text, soft


def resolve_hyphens(paras: list[Para]) -> tuple[int, int]:
    """Remove the line-end hyphens that cut a word (``mis-`` + ``taken``), by the book
    reader's rule with this text's own words as evidence; keep the others (``well-`` +
    ``known``). Returns (removed, kept)."""
    if not any(p.soft for p in paras):
        return 0, 0
    vocab = vocabulary([p.text for p in paras])
    removed = kept = 0
    for p in paras:
        for at in reversed(p.soft):  # from the end, so earlier offsets stay valid
            start, end = at, at + 1
            while start > 0 and p.text[start - 1].isalpha():
                start -= 1
            while end < len(p.text) and p.text[end].isalpha():
                end += 1
            if soft_hyphen(p.text[start:at], p.text[at + 1 : end], vocab):
                p.text = p.text[:at] + p.text[at + 1 :]
                removed += 1
            else:
                kept += 1
        p.soft = []
    return removed, kept


def ends_sentence(s: str) -> bool:
    if MAYBE_MARKER.search(s[-8:]):
        s = MARKER_RE.sub("", s[-40:]).rstrip()
    s = s.rstrip(CLOSERS + " ")
    return s.endswith(TERMINAL)


def looks_like_heading(p: Para) -> bool:
    s = p.text
    if CN_NUM_HEAD.match(s) and len(s) <= 40 and not ends_sentence(s):
        return True
    if CHAPTER_HEAD.match(s) and len(s) <= 80 and not ends_sentence(s):
        return True
    if ends_sentence(s) or s.startswith(tuple(OPENERS)) or MARKER_RE.search(s):
        return False
    if is_cjk(s):
        return len(s) <= 25
    words = s.split()
    return len(s) <= 100 and len(words) <= 16 and (s[0].isupper() or s[0].isdigit()) and not s.endswith("-")


def parse_date(s: str) -> str | None:
    """ISO date of a dateline such as ``March 31, 1927`` or ``1927年3月31日``."""
    m = DATE_EN.match(s)
    if m:
        day = m.group("d") or m.group("d1")
        month = MONTH_NUM[m.group("m")]
        return f"{m.group('y')}-{month:02d}" + (f"-{int(day):02d}" if day else "")
    m = DATE_ZH.match(s)
    if m:
        return f"{m.group('y')}-{int(m.group('m')):02d}" + (
            f"-{int(m.group('d')):02d}" if m.group("d") else ""
        )
    return None


def classify(paras: list[Para]) -> None:
    """Set ``kind`` on each paragraph (in place)."""
    if not paras:
        return
    # Letter parts: a dateline first, a salutation near the start, a signature last.
    letter = False
    if parse_date(paras[0].text):
        paras[0].kind = "dateline"
        letter = True
    for p in paras[:3]:
        if p.kind == "p" and SALUTE.match(p.text):
            p.kind = "salute"
            letter = True
            break
    if letter and len(paras) > 2 and SIGNATURE.match(paras[-1].text) and not ends_sentence(paras[-1].text):
        paras[-1].kind = "signed"

    in_notes = False  # after the first note body of a section, until the next heading
    last_note: Para | None = None
    seen_body = False
    for i, p in enumerate(paras):
        if p.kind != "p":
            continue
        m = BODY_RE.match(p.text)
        if m:
            p.kind, p.n = "note", m.group("n") or f"[{m.group('b')}]"
            in_notes, last_note = True, p
            continue
        nxt = paras[i + 1] if i + 1 < len(paras) else None
        if (
            looks_like_heading(p)
            and nxt is not None
            and (not seen_body or len(nxt.text) > len(p.text) or nxt.kind == "p")
        ):
            p.kind = "head"
            in_notes, last_note = False, None
            continue
        if in_notes and last_note is not None and not _attributed(last_note.text):
            p.kind, p.n = "note-cont", last_note.n
            last_note = p
            continue
        in_notes = False
        seen_body = True
        m2 = NUMBERED.match(p.text)
        if m2:
            p.kind, p.n = "item", m2.group("n")
    # Leading headings before any text: all but the last are the title page.
    lead = 0
    while lead < len(paras) and paras[lead].kind == "head":
        lead += 1
    for p in paras[: max(0, lead - 1)]:
        p.kind = "title"
    _block_quotes(paras)
    _unlabelled_references(paras)


def _attributed(text: str) -> bool:
    from ..notes import attribution

    return attribution(text) is not None


def _block_quotes(paras: list[Para]) -> None:
    """Paragraphs after a lead-in ending in a colon become one block quotation:
    (a) paragraphs opened by a quote mark, until one closes it; or (b) after a
    verb of saying, unmarked paragraphs up to the one that carries the
    quotation's reference marker (within six paragraphs)."""
    group = 0
    i = 0
    while i < len(paras) - 1:
        lead = paras[i]
        if lead.kind != "p" or not lead.text.rstrip().endswith((":", "：")):
            i += 1
            continue
        j = i + 1
        taken: list[Para] = []
        if paras[j].kind == "p" and paras[j].text.startswith(tuple(OPENERS)):
            while j < len(paras) and paras[j].kind == "p" and len(taken) < 8:
                taken.append(paras[j])
                core = MARKER_RE.sub("", paras[j].text).rstrip("。. ")
                if core.endswith(tuple(CLOSERS)) or core.endswith("……"):
                    break
                j += 1
                if j < len(paras) and not paras[j].text.startswith(tuple(OPENERS)):
                    taken = taken[:1]
                    break
        elif LEADIN_VERB.search(lead.text):
            for k in range(j, min(j + 6, len(paras))):
                if paras[k].kind != "p":
                    break
                if re.search(r"\[\d{1,3}\]$|[" + CIRCLED + r"]$", paras[k].text.rstrip()):
                    taken = paras[j : k + 1]
                    break
        if taken:
            group += 1
            for q in taken:
                q.kind, q.group = "quote", group
            i += len(taken)
        i += 1


def _unlabelled_references(paras: list[Para]) -> None:
    """A bracketed marker ``[1]`` whose body is the unlabelled citation line at
    the end of the text (as in web articles copied with their reference list)."""
    labelled = {p.n for p in paras if p.kind == "note"}
    wanted = []
    for p in paras:
        if p.kind in ("note", "note-cont") or "[" not in p.text:
            continue
        for m in MARKER_RE.finditer(p.text):
            if m.group("b") and f"[{m.group('b')}]" not in labelled:
                wanted.append(f"[{m.group('b')}]")
    if not wanted:
        return
    tail: list[Para] = []
    for p in reversed(paras):
        if p.kind == "p" and CITATION.search(p.text) and len(tail) < len(wanted):
            tail.insert(0, p)
        else:
            break
    for n, p in zip(wanted[-len(tail) :] if tail else [], tail, strict=True):
        p.kind, p.n = "note-unlabelled", n


# --- building TEI ------------------------------------------------------------


def inline(parent: etree._Element, text: str, line: int, stats: dict[str, int]) -> None:
    """Append ``text`` to ``parent`` with note markers as ``ref`` elements."""
    if not MAYBE_MARKER.search(text):
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + text
        else:
            parent.text = (parent.text or "") + text
        return
    pos = 0
    last: etree._Element | None = None

    def put(s: str) -> None:
        if not s:
            return
        if last is None:
            parent.text = (parent.text or "") + s
        else:
            last.tail = (last.tail or "") + s

    for m in MARKER_RE.finditer(text):
        put(text[pos : m.start()])
        n = m.group("n") or f"[{m.group('b')}]"
        ref = etree.SubElement(parent, t("ref"), {"type": "noteref", "n": n, ED_STATE: "marker"})
        ref.text = n
        set_line(ref, line)
        if m.group("caret"):
            stats["caret"] += 1
        last = ref
        pos = m.end()
    put(text[pos:])


def build(paras: list[Para], lang_cjk: bool) -> tuple[etree._Element, dict[str, int]]:
    stats = {"caret": 0}
    text_el = E.text()
    titles = [p for p in paras if p.kind == "title"]
    if titles:
        front = etree.SubElement(text_el, t("front"))
        page = etree.SubElement(front, t("titlePage"))
        doc_title = etree.SubElement(page, t("docTitle"))
        for k, p in enumerate(titles):
            tp = etree.SubElement(doc_title, t("titlePart"), type="main" if k == len(titles) - 1 else "sup")
            tp.text = p.text
            set_line(tp, p.line)
    body = etree.SubElement(text_el, t("body"))
    rest = [p for p in paras if p.kind != "title"]
    has_heads = any(p.kind == "head" for p in rest)
    div: etree._Element | None = None
    scope = 0
    container: etree._Element | None = None  # open list / quote / note / opener
    last_note: etree._Element | None = None

    def new_div(kind: str | None = None) -> etree._Element:
        nonlocal scope, container, last_note
        scope += 1
        d = etree.SubElement(body, t("div"), {ED_SCOPE: str(scope)})
        if kind:
            d.set("type", kind)
        container, last_note = None, None
        return d

    for p in rest:
        if p.kind == "head":
            div = new_div("chapter" if has_heads else None)
            h = etree.SubElement(div, t("head"))
            inline(h, p.text, p.line, stats)
            set_line(h, p.line)
            continue
        if div is None:
            div = new_div("fragment" if has_heads else None)
        if p.kind in ("dateline", "salute"):
            if container is None or container.tag != t("opener"):
                container = etree.SubElement(div, t("opener"))
                set_line(container, p.line)
            el = etree.SubElement(container, t(p.kind))
            if p.kind == "dateline":
                date = etree.SubElement(el, t("date"))
                when = parse_date(p.text)
                if when:
                    date.set("when", when)
                date.text = p.text
            else:
                inline(el, p.text, p.line, stats)
            set_line(el, p.line)
            continue
        if p.kind == "signed":
            closer = etree.SubElement(div, t("closer"))
            set_line(closer, p.line)
            el = etree.SubElement(closer, t("signed"))
            el.text = p.text
            set_line(el, p.line)
            container = None
            continue
        if p.kind == "item":
            if container is None or container.tag != t("list"):
                container = etree.SubElement(div, t("list"), type="ordered", rend="numbered")
                set_line(container, p.line)
            item = etree.SubElement(container, t("item"), n=p.n)
            inline(item, NUMBERED.sub("", p.text, count=1), p.line, stats)
            set_line(item, p.line)
            continue
        if p.kind == "quote":
            if container is None or container.tag != t("quote") or container.get("n") != str(p.group):
                container = etree.SubElement(div, t("quote"), type="block", n=str(p.group))
                set_line(container, p.line)
            para = etree.SubElement(container, t("p"))
            inline(para, p.text, p.line, stats)
            set_line(para, p.line)
            continue
        if p.kind in ("note", "note-unlabelled"):
            last_note = etree.SubElement(div, t("note"), {"n": p.n, ED_STATE: "body"})
            set_line(last_note, p.line)
            if p.kind == "note-unlabelled":
                last_note.set("type", "reference")
                bibl = etree.SubElement(last_note, t("bibl"))
                bibl.text = p.text
                set_line(bibl, p.line)
            else:
                para = etree.SubElement(last_note, t("p"))
                inline(para, BODY_RE.sub("", p.text, count=1), p.line, stats)
                set_line(para, p.line)
                # a caret on the body's own mark is the same artefact as on markers
                if p.text.startswith("^"):
                    stats["caret"] += 1
                # markers inside a note body are not markers of the text
                for r in para.iter(t("ref")):
                    unset(r, ED_STATE)
            container = None
            continue
        if p.kind == "note-cont" and last_note is not None:
            para = etree.SubElement(last_note, t("p"))
            para.text = p.text
            set_line(para, p.line)
            continue
        container = None
        para = etree.SubElement(div, t("p"))
        inline(para, p.text, p.line, stats)
        set_line(para, p.line)
    if div is None:
        new_div()
        etree.SubElement(body[-1], t("p"))
    return text_el, stats


class PlainReader(Reader):
    name: ClassVar[str] = "plain"
    extensions: ClassVar[tuple[str, ...]] = (".txt", ".text")

    def read(self, src: SourceFile, diags: Diagnostics) -> ReadResult:
        paras = split_paragraphs(src.body, src.body_line)
        joined, kept = resolve_hyphens(paras)
        classify(paras)
        text_el, stats = build(paras, src.meta.lang.startswith("zh"))
        encoding: list[etree._Element] = []
        notes: list[str] = []
        if stats["caret"]:
            notes.append(
                f"{stats['caret']} stray '^' before note marks (left by superscript markup in the "
                "conversion) were removed; the mark itself is kept."
            )
        for p in paras:
            if p.kind in ("p", "item", "quote") and not ends_sentence(p.text):
                diags.warning(
                    src.loc(p.line),
                    f"{'numbered point ' + p.n if p.kind == 'item' else 'paragraph'} ends without final "
                    f"punctuation ('…{p.text[-20:]}'): possibly truncated",
                    "truncated",
                )
            if p.kind == "note-unlabelled":
                diags.info(
                    src.loc(p.line),
                    f"unlabelled citation taken as the body of reference {p.n}",
                    "note-unlabelled",
                )
        decl: list[etree._Element] = []
        if joined or kept:
            decl.append(
                E.hyphenation(
                    E.p(
                        f"Hard-wrapped lines joined into paragraphs; {joined} word(s) cut by a hyphen at a line "
                        "end joined where the text has the joined form elsewhere, "
                        f"{kept} line-end hyphen(s) kept as printed."
                    ),
                    eol="some" if kept else "none",
                )
            )
        if notes:
            decl.append(E.normalization(*[E.p(n) for n in notes]))
        if decl:
            encoding.append(E.editorialDecl(*decl))
        return ReadResult(text=text_el, encoding=encoding)

    def sniff(self, src: SourceFile) -> str | None:
        from . import book_sniff

        return book_sniff(src.text)
