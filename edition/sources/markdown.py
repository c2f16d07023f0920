"""Markdown reader (markdown-it-py): headings become nested divisions, and a
file that reposts several articles becomes one ``div type="article"`` each.

The parser is markdown-it-py's CommonMark preset with tables, strikethrough,
footnotes and definition lists (mdit-py-plugins) and Hexo/Jekyll tags (:mod:`.hexo`). The token
stream is walked as a :class:`~markdown_it.tree.SyntaxTreeNode` tree and each
node type has one small method that builds TEI with lxml (``_block_<type>``,
``_inline_<type>``), in the way markdown-it's renderer has one rule per token.
The rules live in one module per responsibility, stacked as mixins (see
:mod:`.md_base`): raw HTML and its sanitising (:mod:`.md_html`), inline content
(:mod:`.md_inline`), attribution lines (:mod:`.md_attribution`), blocks
(:mod:`.md_blocks`) and Hexo/Jekyll tag blocks (:mod:`.md_tags`); this module
holds the parser, the reader and the document-level passes.

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
* Raw HTML stays text, as it was written, unless it holds active content: scripts,
  frames, objects, forms, ``style``, ``on*`` handlers and ``javascript:``/``data:``
  and other unsafe link targets are left out (nh3; :mod:`.md_html`, issue 21), each
  time with a warning at its line. Link and image targets of any origin get the same check.
* Footnotes follow the notes protocol (:mod:`edition.notes`): markers are
  ``ref type="noteref" ed:state="marker"``; bodies are ``note ed:state="body"``
  where the definition stands.

Every block element carries ``ed:line``, a 1-based line of the file. Any input
gives a tree: problems are diagnostics, never exceptions.
"""

from __future__ import annotations

import re
from functools import cache
from typing import ClassVar

from lxml import etree
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from ..errors import Diagnostics
from ..tei import XML_LANG, E, local, set_line, t, text_content, xml_safe
from . import hexo
from .base import Reader, ReadResult, SourceFile
from .md_attribution import attribution_of, repost_bibl
from .md_base import CJK, DIV_TOP, ED_SCOPE, GLOBAL
from .md_tags import TagRules

_CJK_BREAK = re.compile(rf"(?<=[{CJK}])\n(?=[{CJK}])")


class _Parser(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # noqa: N802 - markdown-it's name
        """Every link is a link: markdown-it would leave ``[x](javascript:…)`` as
        literal text, silently; the reader's own check (:meth:`.HtmlRules.drop_unsafe_targets`)
        keeps the text, drops the target and says so (issue 21)."""
        return True


@cache
def parser() -> MarkdownIt:
    """The shared parser (markdown-it keeps no state between ``parse`` calls)."""
    md = _Parser("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.use(deflist_plugin)
    # Leave footnote definitions where they stand: bodies pair with markers per
    # article scope (edition.notes), not in one list at the end of the file.
    md.disable("footnote_tail")
    md.use(hexo.hexo_plugin)
    return md


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


class _Builder(TagRules):
    """One conversion: the token tree of one file to a ``tei:text``."""

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
        self.drop_unsafe_targets(body)  # before mark_articles copies link targets to the header
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
        unsafe = c["md-html-unsafe"] + c["md-unsafe-url"]
        if unsafe:
            said.append(
                f"{unsafe} piece(s) of active content (scripts, event handlers, javascript: and other "
                "unsafe link targets) left out (reported as warnings); the text around them is kept."
            )
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
        attributed = [lvl for lvl, d in self.divs if attribution_of(d)]
        if not attributed:
            if self.body is not None and attribution_of(self.body):
                # one reposted article: its byline and source stand at the top of the body
                bibl = repost_bibl(self.body, 1)
                bibl.insert(0, E.title(self.src.meta.title))
                return [bibl]
            return []
        level = min(attributed)
        out: list[etree._Element] = []
        for n, (_lvl, div) in enumerate((x for x in self.divs if x[0] == level), start=1):
            div.set("type", "article")
            div.set(ED_SCOPE, f"article-{n}")
            out.append(repost_bibl(div, n))
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
