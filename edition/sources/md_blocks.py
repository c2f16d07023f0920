"""Block content of the Markdown reader: paragraphs, quotations (with a
closing "— Author" line as ``cit/bibl``), lists, definition lists, tables,
code, rules and footnote bodies; one ``_block_<type>`` method each."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from lxml import etree
from markdown_it.tree import SyntaxTreeNode

from ..tei import E, set_line, t, xml_safe
from .md_attribution import AttributionRules
from .md_base import ED_STATE, append_text, is_empty, line_groups

_ATTRIBUTION = re.compile(r"^\s*(?:——|—|–|―|--|~)\s*(?=\S)")


def only_image(inline: SyntaxTreeNode) -> bool:
    kids = [c for c in inline.children if not (c.type == "text" and not c.content.strip())]
    return len(kids) == 1 and kids[0].type == "image"


class BlockRules(AttributionRules):
    """One method per block token type; :meth:`convert` dispatches by name."""

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
        if inline is not None and only_image(inline):
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
        groups = line_groups(inline) if inline is not None else []
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

    def _block_footnote_reference(self, node: SyntaxTreeNode, parent: etree._Element, flow: bool) -> None:
        label = str(node.meta.get("label", ""))
        note = self.block("note", node, n=xml_safe(label), place="foot")
        note.set(ED_STATE, "body")
        self.convert_all(node.children, note)
        parent.append(note)
