"""Raw HTML in Markdown, and every link target the reader made, without active
content (issue 21).

* The inline tags that have a TEI counterpart (``<sup>``, ``<b>``, ``<a href>``...)
  become TEI; ``<script>``/``<style>`` inside a paragraph are left out with their
  content; any other HTML is kept as text, as before.
* What :func:`edition.sanitize.clean_html` leaves out of raw HTML (scripts,
  frames, objects, forms, ``style``, ``on*`` handlers, ``javascript:`` and other
  unsafe URLs) is gone from the TEI, and a warning at the HTML's line names it.
* :meth:`HtmlRules.drop_unsafe_targets` runs once over the finished body: a
  ``ref`` whose target is not safe (from ``[x](javascript:…)``, ``<a href>``, a
  Hexo ``{% post_link %}``...) is unwrapped, so its text stays as plain text; a
  ``graphic`` with such a URL is removed (its description stays).

HTML is read with lxml and cleaned with nh3, never matched with regexes.
"""

from __future__ import annotations

import lxml.html
from lxml import etree
from markdown_it.tree import SyntaxTreeNode

from ..sanitize import DROPPED_WITH_CONTENT, SAFE_SCHEMES, TAGS, clean_html, is_safe_url
from ..tei import ED_LINE, E, local, t
from .md_base import BuilderState, append_text, unwrap, uri

HTML_INLINE = {
    "b": ("hi", "bold"), "strong": ("hi", "bold"), "i": ("hi", "italic"), "em": ("hi", "italic"),
    "cite": ("hi", "italic"), "u": ("hi", "underline"), "s": ("hi", "strikethrough"),
    "del": ("hi", "strikethrough"), "strike": ("hi", "strikethrough"), "sup": ("hi", "sup"),
    "sub": ("hi", "sub"), "mark": ("hi", "mark"), "small": ("hi", "small"), "kbd": ("hi", "kbd"),
    "code": ("code", ""), "a": ("ref", ""), "span": ("", ""), "font": ("", ""), "abbr": ("", ""),
}  # fmt: skip
"""Inline HTML that has a TEI counterpart (anything else stays as text, with a warning)."""
SCHEMES = ", ".join(f"{x}:" for x in sorted(SAFE_SCHEMES))


def parse_fragment(html: str) -> list[etree._Element | str]:
    """The top-level nodes of an HTML fragment as lxml reads it (elements, comments,
    leading text); [] when lxml cannot read it."""
    try:
        return list(lxml.html.fragments_fromstring(html))
    except Exception:  # noqa: BLE001 - lxml raises ParserError, ValueError, even AssertionError
        return []


def start_tag(html: str) -> etree._Element | None:
    """The element of a lone start tag (``<a href="x">``, ``<br/>``), else None."""
    nodes = parse_fragment(html.strip())
    if len(nodes) != 1 or isinstance(nodes[0], str) or not isinstance(nodes[0].tag, str):
        return None
    return nodes[0]


def end_tag(html: str) -> str | None:
    """The lower-case name of an end tag (``</a>``: markdown-it's html_inline gives
    ``</`` name, optional space, ``>``), else None."""
    s = html.strip()
    if not (s.startswith("</") and s.endswith(">")):
        return None
    name = s[2:-1].strip().lower()
    return name if name and name.replace("-", "").isalnum() else None


def only_comments(html: str) -> bool:
    """True for a fragment of comments and white space only (Hexo's ``<!-- more -->``)."""
    nodes = parse_fragment(html)
    return bool(nodes) and all(
        not n.strip() if isinstance(n, str) else isinstance(n, etree._Comment) for n in nodes
    )


def _active(item: str) -> bool:
    """An item of :attr:`.Cleaned.dropped` that could act: an event handler, an
    unsafe URL, or a style that calls a CSS function (``url()``, ``expression()``)."""
    return item.startswith(("on", "href=", "src=")) or (item.startswith("style=") and "(" in item)


class HtmlRules(BuilderState):
    """Rules for ``html_inline`` and ``html_block`` tokens, and the link-target check."""

    def sanitised(self, html: str, line: int | None, what: str, active_only: bool = False) -> str:
        """``html`` without active content; a warning names what was left out (with
        ``active_only``, only what could act: a tag that becomes TEI loses its other
        attributes anyway, as it always did, and ``<span style="color:red">`` is no news)."""
        cleaned = clean_html(html)
        dropped = [x for x in cleaned.dropped if not active_only or _active(x)]
        if dropped:
            snippet = " ".join(html.split())
            snippet = snippet if len(snippet) <= 40 else snippet[:39] + "…"
            rest = "the rest is kept as text" if cleaned.html.strip() else "nothing else was in it"
            self.warn(
                line,
                f"{what} {snippet!r}: left out {', '.join(dropped)} (active content is never "
                f"published); {rest}",
                "md-html-unsafe",
            )
        return cleaned.html

    def html_pair(self, html: str, stack: list[tuple[etree._Element, str]], line: int | None) -> bool:
        """``<sup>``, ``<b>``... and their end tags become ``hi``/``code``; ``<script>``
        and the like are left out with their content. False for any other HTML."""
        name = end_tag(html)
        if name is not None:  # an end tag closes the innermost matching element
            if name not in HTML_INLINE and name not in DROPPED_WITH_CONTENT:
                return False
            names = [x[1] for x in stack]
            if name not in names[1:]:
                return name in DROPPED_WITH_CONTENT  # a stray </script>: nothing to keep
            while stack[-1][1] != name:
                stack.pop()
            stack.pop()
            return True
        el = start_tag(html)
        if el is None:
            return False
        name = str(el.tag).lower()
        if name in DROPPED_WITH_CONTENT:
            self.sanitised(html, line, "inline HTML")
            # its content goes into an element outside the tree, up to the end tag
            stack.append((etree.Element(t("seg")), name))
            return True
        if name not in HTML_INLINE:
            return False
        # the tag itself is not kept (only a safe href is): report only what could act
        self.sanitised(html, line, "inline HTML", active_only=True)
        tag, rend = HTML_INLINE[name]
        href = el.get("href") if name == "a" else None
        if not tag or (href is not None and not is_safe_url(href)):
            # <span>, <font>, or a link to code: no meaning for the text; their content stays
            stack.append((stack[-1][0], name))
            return True
        attrs = {"rend": rend} if rend else {}
        if href is not None and href.strip():
            attrs = {"target": uri(href)}
        child = etree.SubElement(stack[-1][0], t(tag), attrs)
        stack.append((child, name))
        return True

    def _inline_html_inline(self, node: SyntaxTreeNode, el: etree._Element, line: int | None) -> None:
        s = node.content
        if s.startswith("<!--"):
            return
        tag = start_tag(s)
        if tag is not None and str(tag.tag).lower() == "br":
            el.append(E.lb())
            return
        name = end_tag(s)
        if name is not None and name not in TAGS:
            return  # the end of an element left out (its start tag was reported)
        kept = self.sanitised(s, line, "inline HTML")
        if kept != s:
            append_text(el, kept)
            return
        self.warn(line, f"inline HTML {s[:40]!r} is not converted; kept as text", "md-html")
        append_text(el, s)

    def _block_html_block(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool) -> None:
        content = node.content.strip()
        if only_comments(content):
            return  # a comment (Hexo's "<!-- more -->" excerpt mark): not part of the text
        kept = self.sanitised(content, self.line(node), "raw HTML").strip()
        if kept == content:
            self.warn(self.line(node), "raw HTML is not converted; kept as text", "md-html")
        if kept:
            p = self.block("p", node, rend="html")
            append_text(p, kept)
            parent.append(p)

    def drop_unsafe_targets(self, body: etree._Element) -> None:
        """Unwrap each ``ref`` whose target could run code (its text stays) and remove
        each such ``graphic``, with a warning at the nearest line known."""
        for el in list(body.iter(t("ref"), t("graphic"))):
            attr = "target" if local(el) == "ref" else "url"
            value = el.get(attr)
            if value is None or is_safe_url(value):
                continue
            line = next((int(a.get(ED_LINE, "")) for a in el.iterancestors() if a.get(ED_LINE)), None)
            shown = value if len(value) <= 60 else value[:59] + "…"
            if attr == "target":
                self.warn(
                    line,
                    f"link target {shown!r} left out: only {SCHEMES} and relative links are published; "
                    "the link's text is kept",
                    "md-unsafe-url",
                )
                unwrap(el)
            else:
                self.warn(
                    line,
                    f"image source {shown!r} left out: only {SCHEMES} and relative URLs are published; "
                    "its description is kept",
                    "md-unsafe-url",
                )
                unwrap(el)
