"""Attribution lines (``作者：…``, ``转载自：[知乎](url)``, ``By …``, ``Source: …``):
at a division's top they become ``byline/docAuthor``, ``docDate`` and
``bibl type="source"``; elsewhere one ``bibl``. A division that opens with one is
a reposted article, described in the header by :func:`repost_bibl`."""

from __future__ import annotations

import re

from lxml import etree
from markdown_it.tree import SyntaxTreeNode

from ..tei import E, local, set_line, t, text_content
from .md_base import DIV_TOP_ALLOWED_BEFORE, append_text, at_div_top, line_groups, move_content
from .md_inline import InlineRules

# --- attribution lines ---------------------------------------------------------
# A key, a colon (full- or half-width; "by"/"via" may do without), a value.
_COLON = r"\s*[:：]\s*"
_AUTHOR = r"作者|作\s+者|原作者|撰文|撰稿|文|author|authors|written by|by"
_TRANSLATOR = r"译者|翻译|译|translator|translators|translated by|translation"
_EDITOR = r"编者|编辑|责编|整理|校对|editor|editors|edited by"
_SOURCE = (
    r"转载自|转载于|转自|转载|来源|来自|出处|原文链接|原文地址|原文|原载于|原载|出自|摘自|选自"
    r"|source|via|reposted from|originally published (?:at|in|on|by)|original|from|link"
)
_DATE = r"日期|时间|发布时间|发表时间|发表于|写于|date|published|posted"
KEY_LINE = re.compile(
    rf"^\s*(?:(?P<author>{_AUTHOR})|(?P<translator>{_TRANSLATOR})|(?P<editor>{_EDITOR})"
    rf"|(?P<source>{_SOURCE})|(?P<date>{_DATE})){_COLON}(?=\S)"
    r"|^\s*(?:(?P<by>by|written by|translated by|edited by)|(?P<via>via|reposted from))\s+(?=\S)",
    re.I,
)
_NAME_SEP = re.compile(r"(\s*(?:、|，|,|/|／|;|；|&|\band\b|\s\|\s)\s*)")
_ISO_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2}))?")
_SENTENCE_END = re.compile(r"[。！？!?]$|\.\s*$")

ATTESTED = {"author", "translator", "editor", "by"}
_NAME_LIKE = re.compile(
    r"^(?:[A-Z\u00c0-\u024f][\w.'’-]*|[\u3400-\u9fff·・]+|of|van|von|de|la|and|&|,)(?:\s+(?:[A-Z\u00c0-\u024f][\w.'’-]*|of|van|von|de|la|and|&|,)){0,6}\s*$|^\[|^https?://"
)


class AttributionRules(InlineRules):
    """Recognise attribution lines and build their TEI."""

    def key_lines(self, inline: SyntaxTreeNode) -> list[tuple[str, etree._Element, int | None]] | None:
        """The lines of a paragraph as (kind, content, line) if every one is an attribution line."""
        for g in line_groups(inline):  # cheap test first: no rendering (and no warnings twice)
            plain = "".join(n.content for x in g for n in x.walk() if n.type in ("text", "code_inline"))
            if not g or g[0].type != "text" or not KEY_LINE.match(plain):
                return None
        out = []
        for i, line_el in enumerate(self.inline_lines(inline)):
            text = line_el.text or ""
            m = KEY_LINE.match(text_content(line_el))
            if not m or m.end() > len(text):
                return None
            kind = next(k for k, v in m.groupdict().items() if v is not None)
            value = text_content(line_el)[m.end() :].strip()
            if kind in ATTESTED and (len(value) > 60 or _SENTENCE_END.search(value)):
                return None
            if kind in ("by", "via") and not _NAME_LIKE.match(value):
                return None  # "By the way, ...": a byline without a colon must look like a name
            if len(value) > 300 or not value:
                return None
            if (
                kind == "source"
                and line_el.find(t("ref")) is None
                and (len(value) > 80 or _SENTENCE_END.search(value))
            ):
                return None  # "原文：" may open a quotation; a source line is short or a link
            if kind == "date" and not re.search(r"\d|[〇一二三四五六七八九十]+年", value):
                return None
            line_el.set("key", m.group(0))
            line_el.text = text[m.end() :]
            out.append((kind, line_el, self.line(inline, i)))
        return out or None

    def attribution(self, inline: SyntaxTreeNode, parent: etree._Element, in_block: bool) -> bool:
        """At the top of a division: attribution lines become byline/docDate/bibl."""
        if not at_div_top(parent):
            return False
        lines = self.key_lines(inline)
        if lines is None:
            return False
        bylines, dates, sources = [], [], []
        for kind, el, line in lines:
            key = str(el.attrib.pop("key"))
            if kind in ("author", "by", "translator", "editor"):
                byline = set_line(E.byline(key), line)
                role = {"translator": "translator", "editor": "editor"}.get(kind)
                if role is None and re.match(r"\s*translated", key, re.I):
                    role = "translator"
                for name, sep in names(el):
                    if role:
                        person = etree.SubElement(byline, t("name"), role=role)
                    else:
                        person = etree.SubElement(byline, t("docAuthor"))
                    move_content(name, person)
                    append_text(byline, sep)
                bylines.append(byline)
            elif kind == "date":
                d = set_line(E.docDate(key), line)
                value = text_content(el)
                m = _ISO_DATE.search(value)
                if m:
                    y, mo, da = m.group(1), int(m.group(2)), m.group(3)
                    if 1 <= mo <= 12:
                        d.set(
                            "when", f"{y}-{mo:02d}" + (f"-{int(da):02d}" if da and 1 <= int(da) <= 31 else "")
                        )
                move_content(el, d)
                dates.append(d)
            else:
                b = set_line(E.bibl(key, type="source"), line)
                move_content(el, b)
                sources.append(b)
        # TEI: byline and docDate belong to the division's top, before any bibl
        for el in bylines + dates + sources:
            parent.append(el)
        return True

    def attribution_bibl(
        self, lines: list[tuple[str, etree._Element, int | None]], node: SyntaxTreeNode
    ) -> etree._Element:
        """Attribution lines in the middle of a division: one ``bibl``, a line each."""
        bibl = self.block("bibl", node, type="source")
        for i, (kind, el, _line) in enumerate(lines):
            if i:
                bibl.append(E.lb())
            append_text(bibl, str(el.attrib.pop("key")))
            if kind in ("author", "by"):
                for name, sep in names(el):
                    move_content(name, etree.SubElement(bibl, t("author")))
                    append_text(bibl, sep)
            elif kind in ("translator", "editor"):
                for name, sep in names(el):
                    move_content(name, etree.SubElement(bibl, t("editor"), role=kind))
                    append_text(bibl, sep)
            else:
                move_content(el, bibl)
        return bibl


def names(el: etree._Element) -> list[tuple[etree._Element, str]]:
    """Names in an attribution value (``A、B and C``), each with the separator after it.
    A value holding markup (a link) is one name."""
    if len(el):
        one = etree.Element(t("seg"))
        move_content(el, one)
        return [(one, "")]
    parts = _NAME_SEP.split((el.text or "").strip())
    out = []
    for i in range(0, len(parts), 2):
        seg = etree.Element(t("seg"))
        seg.text = parts[i]
        sep = parts[i + 1] if i + 1 < len(parts) else ""
        if parts[i].strip():
            out.append((seg, sep))
        elif out:
            out[-1] = (out[-1][0], out[-1][1] + sep)
    return out


def attribution_of(div: etree._Element) -> bool:
    """Whether the division opens with a byline or a source (not one cited further down)."""
    for c in div:
        name = local(c)
        if name in ("byline", "docAuthor") or (name == "bibl" and c.get("type") == "source"):
            return True
        if name not in DIV_TOP_ALLOWED_BEFORE:
            return False
    return False


def repost_bibl(div: etree._Element, n: int) -> etree._Element:
    """The header's description of one reposted article: title, authors, source."""
    bibl = E.bibl(type="article", n=str(n))
    head = div.find(t("head"))
    if head is not None:
        bibl.append(E.title(" ".join(text_content(head).split())))
    for person in div.iterchildren(t("byline")):
        for a in person:
            if local(a) == "docAuthor":
                bibl.append(E.author(" ".join(text_content(a).split())))
            elif local(a) == "name":
                bibl.append(E.editor(" ".join(text_content(a).split()), role=a.get("role", "editor")))
    for src in div.iterchildren(t("bibl")):
        if src.get("type") != "source":
            continue
        refs = [r for r in src.iter(t("ref")) if r.get("target")]
        for r in refs:
            bibl.append(E.ref(" ".join(text_content(r).split()), target=r.get("target", "")))
        if not refs:
            bibl.append(E.note(" ".join(text_content(src).split()), type="source"))
    for d in div.iterchildren(t("docDate")):
        date = E.date(" ".join(text_content(d).split()))
        if d.get("when"):
            date.set("when", d.get("when", ""))
        bibl.append(date)
    return bibl
