"""Raw HTML in Markdown: the inline tags that have a TEI counterpart
(``<sup>``, ``<b>``, ``<a href>``...) become TEI; any other HTML is kept as text,
with a warning."""

from __future__ import annotations

import re
from html import unescape as html_unescape

from lxml import etree
from markdown_it.tree import SyntaxTreeNode

from ..tei import E, t
from .md_base import BuilderState, append_text, uri

_HTML_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)(?:\s[^<>]*)?>")
HTML_INLINE = {
    "b": ("hi", "bold"), "strong": ("hi", "bold"), "i": ("hi", "italic"), "em": ("hi", "italic"),
    "cite": ("hi", "italic"), "u": ("hi", "underline"), "s": ("hi", "strikethrough"),
    "del": ("hi", "strikethrough"), "strike": ("hi", "strikethrough"), "sup": ("hi", "sup"),
    "sub": ("hi", "sub"), "mark": ("hi", "mark"), "small": ("hi", "small"), "kbd": ("hi", "kbd"),
    "code": ("code", ""), "a": ("ref", ""), "span": ("", ""), "font": ("", ""), "abbr": ("", ""),
}  # fmt: skip
"""Inline HTML that has a TEI counterpart (anything else stays as text, with a warning)."""


class HtmlRules(BuilderState):
    """Rules for ``html_inline`` and ``html_block`` tokens."""

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

    def _inline_html_inline(self, node: SyntaxTreeNode, el: etree._Element, line: int | None) -> None:
        s = node.content
        if re.fullmatch(r"(?i)<br\s*/?>", s.strip()):
            el.append(E.lb())
        elif s.startswith("<!--"):
            return
        else:
            self.warn(line, f"inline HTML {s[:40]!r} is not converted; kept as text", "md-html")
            append_text(el, s)

    def _block_html_block(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool) -> None:
        content = node.content.strip()
        if re.fullmatch(r"(?s)<!--.*?-->", content):
            return  # a comment (Hexo's "<!-- more -->" excerpt mark): not part of the text
        self.warn(self.line(node), "raw HTML is not converted; kept as text", "md-html")
        p = self.block("p", node, rend="html")
        append_text(p, content)
        parent.append(p)
