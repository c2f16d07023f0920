"""Markdown reader (markdown-it-py): headings become nested divisions, and a
file that reposts several articles becomes one ``div type="article"`` each.

The parser is markdown-it-py's CommonMark preset with tables, strikethrough,
footnotes and definition lists (mdit-py-plugins) and Hexo/Jekyll tags (:mod:`.hexo`). The token
stream is walked as a :class:`~markdown_it.tree.SyntaxTreeNode` tree and each
node type has one small method that builds TEI with lxml (``_block_<type>``,
``_inline_<type>``), in the way markdown-it's renderer has one rule per token.

What the reader decides beyond plain Markdown:

* *Attribution lines* (``作者：…``, ``转载自：[知乎](url)``, ``By …``, ``Source: …``)
  right after a heading, bare or inside a tag block, become ``byline/docAuthor``,
  ``docDate`` and ``bibl type="source"``; elsewhere they become one ``bibl``.
* The heading level whose divisions carry such attribution is the *article*
  level: those divisions get ``type="article"``, their own ``ed:scope`` (note
  numbering restarts per article) and one ``bibl`` each in the header's
  ``sourceDesc``.
* Tag blocks (``{% note info %}``...) that hold other content become
  ``floatingText type="admonition" subtype="info"``: inserted text, not a
  note on the text, so the notes stage and the note lists leave them alone.
  ``{% blockquote %}`` is a ``quote``/``cit``, ``{% codeblock %}`` an ``eg``;
  unknown tags are reported with their line, never printed as braces.
* Footnotes follow the notes protocol (:mod:`edition.notes`): markers are
  ``ref type="noteref" ed:state="marker"``; bodies are ``note ed:state="body"``
  where the definition stands.

Every block element carries ``ed:line``, a 1-based line of the file. Any input
gives a tree: problems are diagnostics, never exceptions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from functools import cache
from html import unescape as html_unescape
from typing import ClassVar
from urllib.parse import quote

from lxml import etree
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from ..errors import Diagnostics
from ..tei import ED_NS, XML_LANG, E, local, set_line, t, text_content
from . import hexo
from .base import Reader, ReadResult, SourceFile

ED_SCOPE = f"{{{ED_NS}}}scope"
ED_STATE = f"{{{ED_NS}}}state"

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
CJK = r"\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_BREAK = re.compile(rf"(?<=[{CJK}])\n(?=[{CJK}])")
_BARE_URL = re.compile(rf"https?://[^\s<>\"'{CJK}（）\[\]{{}}|\\^`]+[^\s<>\"'{CJK}（）\[\]{{}}|\\^`.,;:!?)]")
_UNDEFINED_NOTE = re.compile(r"\[\^([^\]\s]+)\]")
_LINKABLE = re.compile(f"{_BARE_URL.pattern}|{_UNDEFINED_NOTE.pattern}")
_HTML_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)(?:\s[^<>]*)?>")
HTML_INLINE = {
    "b": ("hi", "bold"), "strong": ("hi", "bold"), "i": ("hi", "italic"), "em": ("hi", "italic"),
    "cite": ("hi", "italic"), "u": ("hi", "underline"), "s": ("hi", "strikethrough"),
    "del": ("hi", "strikethrough"), "strike": ("hi", "strikethrough"), "sup": ("hi", "sup"),
    "sub": ("hi", "sub"), "mark": ("hi", "mark"), "small": ("hi", "small"), "kbd": ("hi", "kbd"),
    "code": ("code", ""), "a": ("ref", ""), "span": ("", ""), "font": ("", ""), "abbr": ("", ""),
}  # fmt: skip
"""Inline HTML that has a TEI counterpart (anything else stays as text, with a warning)."""
_LIQUID_OUTPUT = re.compile(r"\{\{-?\s*[\w.\[\]'\" |:-]+?\s*-?\}\}")
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_URI_UNSAFE = re.compile(r"[\s<>\"{}|\\^`\[\]]")
_ATTRIBUTION = re.compile(r"^\s*(?:——|—|–|―|--|~)\s*(?=\S)")

DIV_TOP = frozenset({"head", "byline", "docAuthor", "docDate", "dateline", "argument", "epigraph", "salute"})
STYLES = frozenset("default primary success info warning danger tip error important caution".split())
"""Classes of NexT/Butterfly ``{% note CLASS %}`` boxes (kept as ``note/@subtype``)."""
VIDEO_URLS = {"youtube": "https://www.youtube.com/watch?v=", "vimeo": "https://vimeo.com/"}
GLOBAL = frozenset({"milestone", "note", "figure", "pb", "lb", "cb", "gap", "anchor"})
DIV_TOP_ALLOWED_BEFORE = DIV_TOP | GLOBAL


@cache
def parser() -> MarkdownIt:
    """The shared parser (markdown-it keeps no state between ``parse`` calls)."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.use(deflist_plugin)
    # Leave footnote definitions where they stand: bodies pair with markers per
    # article scope (edition.notes), not in one list at the end of the file.
    md.disable("footnote_tail")
    md.use(hexo.hexo_plugin)
    return md


def xml_safe(s: str) -> str:
    """Characters XML 1.0 cannot hold become U+FFFD (lxml would raise)."""
    return _INVALID_XML.sub("\ufffd", s) if _INVALID_XML.search(s) else s


def uri(s: str) -> str:
    """A value that passes as ``teidata.pointer`` (xsd:anyURI as libxml2 checks it):
    escape spaces, brackets, stray ``%`` and a second ``#``; keep the rest readable."""
    s = _URI_UNSAFE.sub(lambda m: quote(m.group(0)), xml_safe(s.strip()))
    s = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", s)
    if s.count("#") > 1:
        head, _, frag = s.partition("#")
        s = head + "#" + frag.replace("#", "%23")
    if re.match(r"[^/?#]*:", s) and not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", s):
        s = "./" + s  # "://x" or ":x" would read as an empty scheme
    return s


def append_text(el: etree._Element, s: str) -> None:
    """Append ``s`` to the end of ``el``'s content (its last child's tail or its text)."""
    if not s:
        return
    s = xml_safe(s)
    try:
        last = el[-1]  # O(1), where len(el) walks every child
    except IndexError:
        el.text = (el.text or "") + s
    else:
        last.tail = (last.tail or "") + s


def move_content(src: etree._Element, dst: etree._Element) -> None:
    """Append the text and children of ``src`` to ``dst``."""
    append_text(dst, src.text or "")
    for c in list(src):
        dst.append(c)


def is_empty(el: etree._Element) -> bool:
    return not len(el) and not (el.text or "").strip()


class MarkdownReader(Reader):
    """Markdown (CommonMark + GFM tables + footnotes + Hexo/Jekyll tags) to TEI."""

    name: ClassVar[str] = "markdown"
    extensions: ClassVar[tuple[str, ...]] = (".md", ".markdown")

    def read(self, src: SourceFile, diags: Diagnostics) -> ReadResult:
        try:
            return _Builder(src, diags).build()
        except Exception as exc:  # noqa: BLE001 - a reader must never take the build down
            diags.error(
                src.loc(src.body_line),
                f"the Markdown reader failed ({type(exc).__name__}: {exc}); "
                "the text is kept as plain paragraphs",
                "reader-failed",
            )
            return _fallback(src)


def _fallback(src: SourceFile) -> ReadResult:
    body = E.body()
    line = src.body_line
    for block in re.split(r"(\n\s*\n)", src.body):
        if block.strip():
            body.append(set_line(E.p(xml_safe(block.strip())), line))
        line += block.count("\n")
    if not len(body):
        body.append(set_line(E.p(), src.body_line))
    return ReadResult(text=E.text(body))


class _Builder:
    """One conversion: the token tree of one file to a ``tei:text``."""

    def __init__(self, src: SourceFile, diags: Diagnostics) -> None:
        self.src = src
        self.diags = diags
        self.origin: list[int] = []
        self.inline_notes: dict[object, list[SyntaxTreeNode]] = {}
        self.body: etree._Element | None = None
        self.raw = 0
        """Inside ``{% raw %}``: braces are the author's text, not a stray tag."""
        self.changes: Counter[str] = Counter()
        """What the conversion did beyond plain Markdown, for the header's editorialDecl."""
        self.divs: list[tuple[int, etree._Element]] = []
        """Every division made from a heading, with its level, in document order."""

    # --- helpers -------------------------------------------------------------

    def line(self, node: SyntaxTreeNode | None, offset: int = 0) -> int | None:
        """1-based file line of a node (its first line plus ``offset`` lines)."""
        while node is not None and not node.is_root:
            m = node.map
            if m is not None:
                i = min(m[0] + offset, len(self.origin) - 1)
                return self.origin[i] + self.src.body_line if i >= 0 else self.src.body_line
            node = node.parent
        return None

    def warn(self, line: int | None, message: str, code: str) -> None:
        self.diags.warning(self.src.loc(line), message, code)
        self.changes[code] += 1

    def block(self, tag: str, node: SyntaxTreeNode | None, **attrs: str | None) -> etree._Element:
        el = etree.Element(t(tag), {k: v for k, v in attrs.items() if v is not None})
        set_line(el, self.line(node))
        return el

    # --- the document --------------------------------------------------------

    def build(self) -> ReadResult:
        text, self.origin = hexo.split_tag_lines(self.src.body)
        env: dict[str, object] = {}
        tokens = parser().parse(text, env)
        notes = env.get("footnotes", {})
        self.inline_notes = {
            k: SyntaxTreeNode(v["tokens"]).children
            for k, v in (notes.get("list", {}) if isinstance(notes, dict) else {}).items()
            if isinstance(v, dict) and v.get("tokens")
        }
        root = SyntaxTreeNode(tokens)
        body = self.body = E.body()
        set_line(body, self.src.body_line)
        stack: list[tuple[int, etree._Element]] = [(0, body)]
        for node in root.children:
            if node.type == "heading":
                level = int(node.tag[1:]) if node.tag[1:].isdigit() else 1
                while stack[-1][0] >= level:
                    stack.pop()
                div = self.block("div", node)
                div.append(self.inline_into(self.block("head", node), node))
                stack[-1][1].append(div)
                stack.append((level, div))
                self.divs.append((level, div))
            else:
                self.convert(node, stack[-1][1], flow=True)
        if not len(body):
            self.warn(self.src.body_line, "the Markdown body is empty", "empty")
        if all(local(c) in GLOBAL | DIV_TOP for c in body):
            # TEI wants a paragraph or a division in a body (milestones alone will not do)
            body.append(set_line(E.p(), self.src.body_line))
        sources = self.mark_articles()
        self.tidy(body)
        return ReadResult(text=E.text(body), encoding=self.editorial_decl(len(sources)), source_desc=sources)

    def editorial_decl(self, articles: int) -> list[etree._Element]:
        """Say in the header what the conversion changed (nothing is changed silently)."""
        c = self.changes
        said = []
        if c["tag-block"]:
            said.append(
                f"{c['tag-block']} Hexo/Jekyll tag block(s) (note and the like) encoded as TEI: "
                "attribution lines as byline/docAuthor and bibl[@type='source'], other content as "
                "floatingText[@type='admonition']; the tags themselves are not kept."
            )
        if articles:
            said.append(
                f"{articles} reposted article(s): one div[@type='article'] each, described in sourceDesc "
                "by a bibl[@type='article']."
            )
        if c["md-html"]:
            said.append(f"{c['md-html']} piece(s) of raw HTML kept as plain text.")
        dropped = c["md-tag-unknown"] + c["md-tag-stray"]
        if dropped:
            said.append(
                f"{dropped} template tag(s) with no meaning in the edition left out (reported as warnings)."
            )
        if c["cjk-join"]:
            said.append(
                f"{c['cjk-join']} line break(s) between Chinese characters joined (Markdown soft breaks)."
            )
        if not said:
            return []
        return [E.editorialDecl(E.normalization(*[E.p(x) for x in said]))]

    def mark_articles(self) -> list[etree._Element]:
        """Divisions at the level of the first one with a byline or source are articles."""
        attributed = [lvl for lvl, d in self.divs if _attribution_of(d)]
        if not attributed:
            if self.body is not None and _attribution_of(self.body):
                # one reposted article: its byline and source stand at the top of the body
                bibl = _repost_bibl(self.body, 1)
                bibl.insert(0, E.title(self.src.meta.title))
                return [bibl]
            return []
        level = min(attributed)
        out: list[etree._Element] = []
        for n, (_lvl, div) in enumerate((x for x in self.divs if x[0] == level), start=1):
            div.set("type", "article")
            div.set(ED_SCOPE, f"article-{n}")
            out.append(_repost_bibl(div, n))
        return out

    def tidy(self, body: etree._Element) -> None:
        """Join lines broken between two CJK characters (a browser would show a
        space) and mark blocks written in another script than the text's language."""
        base = self.src.meta.lang.split("-")[0].lower()
        for el in body.iter():
            if el.text and "\n" in el.text:
                el.text, n = _CJK_BREAK.subn("", el.text)
                self.changes["cjk-join"] += n
            if el.tail and "\n" in el.tail:
                el.tail, n = _CJK_BREAK.subn("", el.tail)
                self.changes["cjk-join"] += n
        for el in body.iter(t("p"), t("head"), t("item"), t("cell")):
            lang = other_script(text_content(el, skip=("note", "code", "ref", "graphic")), base)
            if lang:
                el.set(XML_LANG, lang)

    # --- blocks ----------------------------------------------------------------

    def convert(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool = False) -> None:
        """Append the TEI of a block node to ``parent``. ``flow``: ``parent`` is a
        division or the body (where attribution lines may become a byline)."""
        handler: Callable[[SyntaxTreeNode, etree._Element, bool], None] | None = getattr(
            self, f"_block_{node.type}", None
        )
        if handler is None:
            self.warn(
                self.line(node),
                f"Markdown element '{node.type}' is not supported; kept as text",
                "md-unknown",
            )
            p = self.block("p", node)
            append_text(p, node.content or "")
            if not is_empty(p):
                parent.append(p)
            return
        handler(node, parent, flow)

    def convert_all(self, nodes: Iterable[SyntaxTreeNode], parent: etree._Element) -> None:
        for c in nodes:
            self.convert(c, parent)

    def _block_heading(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool) -> None:
        # A heading inside a quotation, list or box: no division can open there.
        p = self.block("p", node, rend=f"heading {node.tag}")
        parent.append(self.inline_into(p, node))

    def _block_paragraph(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool) -> None:
        inline = node.children[0] if node.children else None
        if flow and inline is not None and self.attribution(inline, parent, in_block=False):
            return
        if inline is not None and _only_image(inline):
            fig = self.figure(inline.children[0], node)
            parent.append(fig)
            return
        p = self.inline_into(self.block("p", node), node)
        if not is_empty(p):
            parent.append(p)

    def _block_blockquote(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool) -> None:
        children = list(node.children)
        quote = self.block("quote", node)
        bibl = None
        last = children[-1] if children else None
        inline = last.children[0] if last is not None and last.type == "paragraph" and last.children else None
        groups = _line_groups(inline) if inline is not None else []
        lead = groups[-1][0] if groups and groups[-1] else None
        if (
            inline is not None
            and lead is not None
            and lead.type == "text"
            and _ATTRIBUTION.match(lead.content)
            and (len(groups) > 1 or len(children) > 1)
            and sum(len(n.content) for n in groups[-1]) <= 200
        ):
            # "— Author, Work" as the last line: <cit><quote>...</quote><bibl>...</bibl></cit>
            self.convert_all(children[:-1], quote)
            if len(groups) > 1:
                p = self.block("p", last)
                for i, g in enumerate(groups[:-1]):
                    if i:
                        append_text(p, "\n")
                    self.inlines(g, p, self.line(inline, i))
                quote.append(p)
            line = self.line(inline, len(groups) - 1)
            bibl = set_line(etree.Element(t("bibl")), line)
            self.inlines(groups[-1], bibl, line)
            bibl.text = _ATTRIBUTION.sub("", bibl.text or "", count=1)
        else:
            self.convert_all(children, quote)
        if bibl is not None and len(quote):
            cit = self.block("cit", node)
            cit.append(quote)
            cit.append(bibl)
            parent.append(cit)
        elif len(quote) or not is_empty(quote):
            parent.append(quote)

    def _item_content(self, node: SyntaxTreeNode, item: etree._Element) -> None:
        for c in node.children:
            if c.type == "paragraph" and c.hidden:  # tight list: no <p> around the item's text
                if len(item) or item.text:
                    item.append(E.lb())
                self.inline_into(item, c)
            else:
                self.convert(c, item)

    def _block_dl(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool) -> None:
        """A definition list: ``list type="gloss"`` of label/item pairs (several
        definitions of one term share its item)."""
        lst = self.block("list", node, type="gloss")
        item: etree._Element | None = None
        for c in node.children:
            if c.type == "dt" or item is None:
                label = self.block("label", c)
                if c.type == "dt":
                    self.inline_into(label, c)
                lst.append(label)
                item = self.block("item", c)
                lst.append(item)
                if c.type == "dt":
                    continue
            self._item_content(c, item)
        # a term with no definition still needs its item
        parent.append(lst)

    def _list(self, node: SyntaxTreeNode, parent: etree._Element, ordered: bool) -> None:
        attrs = (
            {"type": "ordered", "rend": "numbered"} if ordered else {"type": "unordered", "rend": "bulleted"}
        )
        lst = self.block("list", node, **attrs)
        start = int(node.attrs.get("start", 1)) if ordered else 1
        for i, item in enumerate(node.children):
            it = self.block("item", item, n=str(start + i) if ordered else None)
            self._item_content(item, it)
            lst.append(it)
        parent.append(lst)

    def _block_bullet_list(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool) -> None:
        self._list(node, parent, ordered=False)

    def _block_ordered_list(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool) -> None:
        self._list(node, parent, ordered=True)

    def _block_table(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool) -> None:
        table = self.block("table", node)
        for section in node.children:
            for tr in section.children:
                row = self.block("row", tr, role="label" if section.type == "thead" else None)
                for cell_node in tr.children:
                    style = str(cell_node.attrs.get("style", ""))
                    align = style.split(":", 1)[1] if style.startswith("text-align:") else None
                    cell = self.block("cell", tr, rend=align)
                    self.inline_into(cell, cell_node)
                    row.append(cell)
                table.append(row)
        parent.append(table)

    def _code(self, node: SyntaxTreeNode, parent: etree._Element, lang: str, content: str) -> None:
        eg = self.block("eg", node)
        content = content.rstrip("\n")
        if lang:
            code = etree.SubElement(eg, t("code"), lang=xml_safe(lang))
            append_text(code, content)
        else:
            append_text(eg, content)
        parent.append(eg)

    def _block_fence(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool) -> None:
        self._code(node, parent, node.info.split()[0] if node.info.strip() else "", node.content)

    def _block_code_block(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool) -> None:
        self._code(node, parent, "", node.content)

    def _block_hr(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool) -> None:
        parent.append(self.block("milestone", node, unit="section", rend="hr"))

    def _block_html_block(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool) -> None:
        content = node.content.strip()
        if re.fullmatch(r"(?s)<!--.*?-->", content):
            return  # a comment (Hexo's "<!-- more -->" excerpt mark): not part of the text
        self.warn(self.line(node), "raw HTML is not converted; kept as text", "md-html")
        p = self.block("p", node, rend="html")
        append_text(p, content)
        parent.append(p)

    def _block_footnote_reference(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool) -> None:
        label = str(node.meta.get("label", ""))
        note = self.block("note", node, n=xml_safe(label), place="foot")
        note.set(ED_STATE, "body")
        self.convert_all(node.children, note)
        parent.append(note)

    # Hexo/Jekyll tags ------------------------------------------------------------

    def _block_hexo_block(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool) -> None:
        self.changes["tag-block"] += 1
        name, args = str(node.meta.get("name")), str(node.meta.get("args", ""))
        line = self.line(node)
        if node.meta.get("unclosed"):
            self.warn(
                line,
                f"tag block {{% {name} %}} is not closed (no {{% end{name} %}}); "
                "it is taken to end at the next blank line",
                "md-tag-unclosed",
            )
        if name in hexo.TRANSPARENT_TAGS:
            if name not in ("raw", "verbatim"):
                self.warn(
                    line,
                    f"Liquid tag {{% {name} %}} has no meaning here; its content is kept",
                    "md-tag-liquid",
                )
            for c in node.children:
                self.convert(c, parent, flow)
            return
        if name in hexo.DROPPED_TAGS:
            self.diags.info(
                self.src.loc(line), f"{{% {name} %}} block left out of the text", "md-tag-dropped"
            )
            return
        if name in hexo.CODE_TAGS:
            raw = node.children[0] if node.children else None
            words = hexo.parse_args(args)
            lang = next((a[5:] for a in words if a.startswith("lang:")), "")
            if name == "highlight" and words and not lang:
                lang = words[0]  # {% highlight ruby linenos %}
            self._code(node, parent, lang, raw.content if raw is not None else "")
            return
        if name in hexo.QUOTE_TAGS:
            self.tag_quote(node, parent, name, args)
            return
        if name not in hexo.ADMONITION_TAGS:
            self.warn(
                line,
                f"unknown tag block {{% {name} %}}: its content is kept in a box (floatingText)",
                "md-tag-unknown",
            )
        children = list(node.children)
        if flow and _at_div_top(parent):
            # attribution paragraphs (作者：…, 转载自：…) become byline/bibl of the division
            rest = []
            for c in children:
                inline = c.children[0] if c.type == "paragraph" and c.children else None
                if inline is None or not self.attribution(inline, parent, in_block=True):
                    rest.append(c)
            if not rest:
                return
            children = rest
        elif all(c.type == "paragraph" for c in children) and children:
            lines = [self.key_lines(c.children[0]) for c in children if c.children]
            if all(x is not None for x in lines):
                parent.append(self.attribution_bibl([y for x in lines if x for y in x], node))
                return
        words = hexo.parse_args(args)
        subtype = (
            words[0]
            if name in ("note", "alert", "callout", "notel") and words and words[0] in STYLES
            else name
        )
        # A box is inserted text, not a note on the text: floatingText keeps it out of the
        # notes machinery (pairing, note lists, popovers) and may hold any block content.
        box = self.block("floatingText", node, type="admonition", subtype=xml_safe(subtype))
        inner = etree.SubElement(box, t("body"))
        set_line(inner, self.line(node))
        if name in ("details", "folding", "fold", "collapse", "spoiler", "hideToggle", "hidetoggle") and args:
            head = etree.SubElement(inner, t("head"))
            set_line(head, self.line(node))
            head.text = xml_safe(args.strip("'\""))
        for c in children:
            self.convert(c, inner)
        if any(local(c) not in GLOBAL | {"head"} for c in inner):
            parent.append(box)
        else:  # nothing a TEI body can hold alone (a footnote body, a milestone): no box
            for kept in list(inner):
                if local(kept) != "head":
                    parent.append(kept)

    def tag_quote(self, node: SyntaxTreeNode, parent: etree._Element, name: str, args: str) -> None:
        """``{% blockquote [author[, source]] [link] [source_link_title] %}`` (Hexo's syntax)."""
        quote = self.block("quote", node, rend="pullquote" if name == "pullquote" else None)
        self.convert_all(node.children, quote)
        if name == "pullquote" or not args:
            parent.append(quote)
            return
        bibl = self.block("bibl", node)
        m = re.search(r"(?:https?://|/)\S*", args)
        before, link, after = (args[: m.start()], m.group(0), args[m.end() :]) if m else (args, "", "")
        author, _, title = before.strip().partition(",")
        if author.strip():
            etree.SubElement(bibl, t("author")).text = xml_safe(author.strip())
        if title.strip():
            append_text(bibl, ", ")
            etree.SubElement(bibl, t("title")).text = xml_safe(title.strip())
        if link:
            if len(bibl):
                append_text(bibl, " ")
            ref = etree.SubElement(bibl, t("ref"), target=uri(link))
            ref.text = xml_safe(after.strip() or link)
        cit = self.block("cit", node)
        cit.append(quote)
        cit.append(bibl)
        parent.append(cit)

    def _block_hexo_raw(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool) -> None:
        self._code(node, parent, "", node.content)

    def _block_hexo_tag(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool) -> None:
        p = self.block("p", node)
        self.hexo_inline(node, p, self.line(node))
        if (
            len(p) == 1
            and local(p[0]) == "figure"
            and not (p.text or "").strip()
            and not (p[0].tail or "").strip()
        ):
            fig = p[0]
            set_line(fig, self.line(node))
            parent.append(fig)
        elif not is_empty(p):
            parent.append(p)

    # --- attribution (bylines and sources) ---------------------------------------

    def key_lines(self, inline: SyntaxTreeNode) -> list[tuple[str, etree._Element, int | None]] | None:
        """The lines of a paragraph as (kind, content, line) if every one is an attribution line."""
        for g in _line_groups(inline):  # cheap test first: no rendering (and no warnings twice)
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
        if not _at_div_top(parent):
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
                for name, sep in _names(el):
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
                for name, sep in _names(el):
                    move_content(name, etree.SubElement(bibl, t("author")))
                    append_text(bibl, sep)
            elif kind in ("translator", "editor"):
                for name, sep in _names(el):
                    move_content(name, etree.SubElement(bibl, t("editor"), role=kind))
                    append_text(bibl, sep)
            else:
                move_content(el, bibl)
        return bibl

    # --- inline content -------------------------------------------------------

    def inline_into(self, el: etree._Element, node: SyntaxTreeNode) -> etree._Element:
        """Append the inline content of a block node (its ``inline`` child) to ``el``."""
        for c in node.children:
            if c.type == "inline":
                raw = bool(c.meta.get("hexo_raw"))
                self.raw += raw
                try:
                    self.inlines(c.children, el, self.line(c))
                finally:
                    self.raw -= raw
        return el

    def inline_lines(self, inline: SyntaxTreeNode) -> list[etree._Element]:
        """The inline content split at line breaks, one ``seg`` per source line."""
        out = []
        for g in _line_groups(inline):
            seg = etree.Element(t("seg"))
            self.inlines(g, seg, self.line(inline))
            out.append(seg)
        return out

    def inlines(self, nodes: Iterable[SyntaxTreeNode], el: etree._Element, line: int | None) -> None:
        buf: list[str] = []  # runs of text and soft breaks are joined first (lxml text appends are slow)
        stack: list[tuple[etree._Element, str]] = [(el, "")]  # open inline HTML elements (<sup>...</sup>)
        raw = 0  # inside {% raw %}...{% endraw %} written within the line
        for n in nodes:
            if n.type in ("text", "softbreak"):
                buf.append(n.content if n.type == "text" else "\n")
                continue
            target = stack[-1][0]
            if buf:
                self.text("".join(buf), target, line)
                buf = []
            if n.type == "hexo_tag" and n.meta.get("name") in hexo.RAW_TAGS:
                raw += 1
                self.raw += 1
                continue
            if n.type == "hexo_tag" and raw and str(n.meta.get("name"))[3:] in hexo.RAW_TAGS:
                raw -= 1
                self.raw -= 1
                continue
            if n.type == "html_inline" and self.html_pair(n.content, stack):
                continue
            handler = getattr(self, f"_inline_{n.type}", None)
            if handler is None:
                append_text(target, n.content or "")
            else:
                handler(n, target, line)
        if buf:
            self.text("".join(buf), stack[-1][0], line)
        self.raw -= raw

    def html_pair(self, html: str, stack: list[tuple[etree._Element, str]]) -> bool:
        """``<sup>``, ``<b>``... and their end tags become ``hi``/``code``; False if not one of those."""
        m = _HTML_TAG.fullmatch(html.strip())
        if m is None or m.group(2).lower() not in HTML_INLINE:
            return False
        name = m.group(2).lower()
        if m.group(1):  # an end tag closes the innermost matching element
            names = [x[1] for x in stack]
            if name not in names[1:]:
                return False
            while stack[-1][1] != name:
                stack.pop()
            stack.pop()
            return True
        tag, rend = HTML_INLINE[name]
        if not tag:  # <span>, <font>: no meaning for the text; their content stays
            stack.append((stack[-1][0], name))
            return True
        attrs = {"rend": rend} if rend else {}
        if name == "a":
            href = re.search(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", m.group(0))
            target = next((g for g in href.groups() if g is not None), "") if href else ""
            if target.strip():
                attrs = {"target": uri(html_unescape(target))}
        child = etree.SubElement(stack[-1][0], t(tag), attrs)
        stack.append((child, name))
        return True

    def text(self, s: str, el: etree._Element, line: int | None) -> None:
        """Plain text; bare URLs become ``ref``, an undefined ``[^n]`` a note marker."""
        if "{%" in s and not self.raw:
            at = (line + s.count("\n", 0, s.index("{%"))) if line else line
            self.warn(at, "'{%' without a closing '%}': not a tag; kept as text", "md-tag-stray")
        if "{{" in s and not self.raw and (m := _LIQUID_OUTPUT.search(s)):
            at = (line + s.count("\n", 0, m.start())) if line else line
            self.warn(at, f"Liquid output {m.group(0)[:40]} is not evaluated; kept as text", "md-liquid")
        if "http" not in s and "[^" not in s:
            append_text(el, s)
            return
        pos = 0
        for m in _LINKABLE.finditer(s):
            append_text(el, s[pos : m.start()])
            if m.group(0).startswith("[^"):
                label = m.group(1)
                ref = etree.SubElement(el, t("ref"), type="noteref", n=xml_safe(label))
                ref.set(ED_STATE, "marker")
                ref.text = xml_safe(label)
            elif local(el) == "ref":
                append_text(el, m.group(0))
            else:
                etree.SubElement(el, t("ref"), target=uri(m.group(0))).text = xml_safe(m.group(0))
            pos = m.end()
        append_text(el, s[pos:])

    def _inline_hardbreak(self, node: SyntaxTreeNode, el: etree._Element, line: int | None) -> None:
        el.append(E.lb())

    def _hi(self, rend: str, node: SyntaxTreeNode, el: etree._Element, line: int | None) -> None:
        hi = etree.SubElement(el, t("hi"), rend=rend)
        self.inlines(node.children, hi, line)

    def _inline_em(self, node: SyntaxTreeNode, el: etree._Element, line: int | None) -> None:
        self._hi("italic", node, el, line)

    def _inline_strong(self, node: SyntaxTreeNode, el: etree._Element, line: int | None) -> None:
        self._hi("bold", node, el, line)

    def _inline_s(self, node: SyntaxTreeNode, el: etree._Element, line: int | None) -> None:
        self._hi("strikethrough", node, el, line)

    def _inline_code_inline(self, node: SyntaxTreeNode, el: etree._Element, line: int | None) -> None:
        append_text(etree.SubElement(el, t("code")), node.content)

    def _inline_link(self, node: SyntaxTreeNode, el: etree._Element, line: int | None) -> None:
        href = str(node.attrs.get("href", ""))
        ref = etree.SubElement(el, t("ref"))
        if href.strip():
            ref.set("target", uri(href))
        self.inlines(node.children, ref, line)

    def _inline_image(self, node: SyntaxTreeNode, el: etree._Element, line: int | None) -> None:
        el.append(self.figure(node, None, line))

    def figure(
        self, img: SyntaxTreeNode, block: SyntaxTreeNode | None, line: int | None = None
    ) -> etree._Element:
        fig = self.block("figure", block) if block is not None else etree.Element(t("figure"))
        title = str(img.attrs.get("title", "") or "")
        if title:
            head = etree.SubElement(fig, t("head"))
            set_line(head, self.line(block) if block is not None else line)
            append_text(head, title)
        etree.SubElement(fig, t("graphic"), url=uri(str(img.attrs.get("src", ""))) or "#")
        alt = "".join(c.content for c in img.walk() if c.type == "text")
        if alt.strip():
            append_text(etree.SubElement(fig, t("figDesc")), alt)
        return fig

    def _inline_html_inline(self, node: SyntaxTreeNode, el: etree._Element, line: int | None) -> None:
        s = node.content
        if re.fullmatch(r"(?i)<br\s*/?>", s.strip()):
            el.append(E.lb())
        elif s.startswith("<!--"):
            return
        else:
            self.warn(line, f"inline HTML {s[:40]!r} is not converted; kept as text", "md-html")
            append_text(el, s)

    def _inline_footnote_ref(self, node: SyntaxTreeNode, el: etree._Element, line: int | None) -> None:
        meta = node.meta
        label = meta.get("label")
        if label is None:  # an inline footnote ^[...]: its body is here already
            note = etree.SubElement(el, t("note"), place="foot")
            set_line(note, line)
            tokens = self.inline_notes.get(meta.get("id"))
            if tokens:
                self.inlines(tokens, note, line)
            return
        ref = etree.SubElement(el, t("ref"), type="noteref", n=xml_safe(str(label)))
        ref.set(ED_STATE, "marker")
        ref.text = xml_safe(str(label))

    def _inline_hexo_tag(self, node: SyntaxTreeNode, el: etree._Element, line: int | None) -> None:
        offset = int(node.meta.get("offset", 0))
        self.hexo_inline(node, el, (line + offset) if line else line)

    def hexo_inline(self, node: SyntaxTreeNode, el: etree._Element, line: int | None) -> None:
        """A single tag: images and links are converted; anything else is reported."""
        name, args = str(node.meta.get("name", "")), str(node.meta.get("args", ""))
        words = hexo.parse_args(args)
        urls = [w for w in words if hexo.URL.match(w)]
        if name in ("img", "image", "asset_img", "asset_image", "fancybox", "picture") and urls:
            src = urls[0]
            rest = [w for w in words[words.index(src) + 1 :] if not re.fullmatch(r"\d+(px|%)?", w)]
            fig = etree.Element(t("figure"))
            etree.SubElement(fig, t("graphic"), url=uri(src))
            if rest:
                append_text(etree.SubElement(fig, t("figDesc")), " ".join(rest))
            el.append(fig)
        elif name in (
            "link",
            "post_link",
            "asset_link",
            "btn",
            "button",
            "iframe",
            "youtube",
            "vimeo",
            "bilibili",
            "video",
        ):
            target = urls[0] if urls else (words[0] if name in ("post_link", "asset_link") and words else "")
            if not target and words and name in VIDEO_URLS:
                target = VIDEO_URLS[name] + words[0]
            label = " ".join(w for w in words if w != target and w not in ("true", "false")) or target
            ref = etree.SubElement(el, t("ref"))
            if target:
                ref.set("target", uri(target))
            append_text(ref, label.strip(", "))
        elif name in hexo.TRANSPARENT_TAGS or name.startswith("end") and name[3:] in hexo.TRANSPARENT_TAGS:
            return  # {% raw %}...{% endraw %} inside a line: the text between is kept
        elif name.startswith("end"):
            self.warn(line, f"{{% {name} %}} without its opening tag; left out", "md-tag-stray")
        elif name in hexo.PAIRED_TAGS:
            self.warn(
                line,
                f"{{% {name} %}} opens a block only on a line of its own; the tag is left out, the text kept",
                "md-tag-stray",
            )
        else:
            self.warn(line, f"tag {{% {name} %}} is not supported; left out of the text", "md-tag-unknown")


# --- small functions ----------------------------------------------------------


_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+")
_ENGLISH = re.compile(r"\b(?:the|and|of|to|in|is|that|with|for)\b", re.I)
CJK_LANGS = frozenset({"zh", "ja", "ko", "yue", "wuu", "lzh"})


def other_script(text: str, base: str) -> str | None:
    """A language tag for a block plainly written in another script than the
    text's language (a Latin paragraph in a Chinese text, or the reverse); None
    when in doubt. Only scripts are told apart: Latin text that is not plainly
    English is ``und-Latn``."""
    cjk = len(_CJK_CHAR.findall(text))
    words = _LATIN_WORD.findall(text)
    if base in CJK_LANGS:
        if cjk or len(words) < 3 or sum(map(len, words)) < 12:
            return None
        ascii_only = all(w.isascii() for w in words)
        return "en" if ascii_only and len(_ENGLISH.findall(text)) >= 2 else "und-Latn"
    if base in ("", "und") or cjk < 4 or sum(map(len, words)) * 9 > cjk:
        return None
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    if re.search(r"[\uac00-\ud7af]", text):
        return "ko"
    return "zh"


def _at_div_top(parent: etree._Element) -> bool:
    """True when only a head (or other division-top elements) precede: where TEI
    allows byline/docDate (model.divTop)."""
    if local(parent) not in ("div", "body"):
        return False
    if (parent.text or "").strip():
        return False
    return all(isinstance(c.tag, str) and local(c) in DIV_TOP_ALLOWED_BEFORE for c in parent)


def _only_image(inline: SyntaxTreeNode) -> bool:
    kids = [c for c in inline.children if not (c.type == "text" and not c.content.strip())]
    return len(kids) == 1 and kids[0].type == "image"


def _line_groups(inline: SyntaxTreeNode) -> list[list[SyntaxTreeNode]]:
    """The inline nodes of a paragraph, cut at line breaks."""
    groups: list[list[SyntaxTreeNode]] = [[]]
    for c in inline.children:
        if c.type in ("softbreak", "hardbreak"):
            groups.append([])
        else:
            groups[-1].append(c)
    return groups


def _names(el: etree._Element) -> list[tuple[etree._Element, str]]:
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


def _attribution_of(div: etree._Element) -> bool:
    """Whether the division opens with a byline or a source (not one cited further down)."""
    for c in div:
        name = local(c)
        if name in ("byline", "docAuthor") or (name == "bibl" and c.get("type") == "source"):
            return True
        if name not in DIV_TOP_ALLOWED_BEFORE:
            return False
    return False


def _repost_bibl(div: etree._Element, n: int) -> etree._Element:
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
