"""Inline content of the Markdown reader: text (bare URLs, stray note marks),
emphasis, code, links, images, footnote marks and inline Hexo tags."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree
from markdown_it.tree import SyntaxTreeNode

from ..tei import E, local, set_line, t, xml_safe
from . import hexo
from .md_base import CJK, ED_STATE, append_text, line_groups, uri
from .md_html import HtmlRules

_BARE_URL = re.compile(rf"https?://[^\s<>\"'{CJK}（）\[\]{{}}|\\^`]+[^\s<>\"'{CJK}（）\[\]{{}}|\\^`.,;:!?)]")
_UNDEFINED_NOTE = re.compile(r"\[\^([^\]\s]+)\]")
_LINKABLE = re.compile(f"{_BARE_URL.pattern}|{_UNDEFINED_NOTE.pattern}")
_LIQUID_OUTPUT = re.compile(r"\{\{-?\s*[\w.\[\]'\" |:-]+?\s*-?\}\}")
VIDEO_URLS = {"youtube": "https://www.youtube.com/watch?v=", "vimeo": "https://vimeo.com/"}


class InlineRules(HtmlRules):
    """One method per inline token type (``_inline_<type>``)."""

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
        for g in line_groups(inline):
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
            if n.type == "html_inline" and self.html_pair(n.content, stack, line):
                continue
            handler = getattr(self, f"_inline_{n.type}", None)
            if handler is None:
                append_text(target, n.content or "")
            else:
                handler(n, target, line)
        if buf:
            self.text("".join(buf), stack[-1][0], line)
        self.raw -= raw

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
