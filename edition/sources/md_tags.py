"""Hexo/Jekyll tag blocks in the Markdown reader (the tokens of :mod:`.hexo`):
boxes become ``floatingText type="admonition"``, ``{% blockquote %}`` a
``quote``/``cit``, code tags an ``eg``; unknown tags are reported."""

from __future__ import annotations

import re

from lxml import etree
from markdown_it.tree import SyntaxTreeNode

from ..tei import local, set_line, t, xml_safe
from . import hexo
from .md_base import GLOBAL, append_text, at_div_top, is_empty, uri
from .md_blocks import BlockRules

STYLES = frozenset("default primary success info warning danger tip error important caution".split())
"""Classes of NexT/Butterfly ``{% note CLASS %}`` boxes (kept as ``note/@subtype``)."""


class TagRules(BlockRules):
    """``_block_hexo_*`` rules (single inline tags are in :mod:`.md_inline`)."""

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
        if flow and at_div_top(parent):
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
