"""What every part of the Markdown reader shares: the builder's state (the
source, its diagnostics, line numbers) and small helpers that build TEI with lxml.

The reader is split by responsibility, one mixin per module, stacked in this
order (each may call the ones before it; the block rules also reach the later
ones through ``getattr`` dispatch, as markdown-it's renderer does):
:class:`BuilderState` -> :mod:`.md_html` (raw HTML) -> :mod:`.md_inline` ->
:mod:`.md_attribution` (bylines, sources) -> :mod:`.md_blocks` -> :mod:`.md_tags`
(Hexo/Jekyll tag blocks) -> ``_Builder`` in :mod:`.markdown` (the document).
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import quote

from lxml import etree
from markdown_it.tree import SyntaxTreeNode

from ..errors import Diagnostics
from ..sanitize import is_safe_url
from ..tei import ED_NS, local, set_line, t, xml_safe
from .base import SourceFile

ED_SCOPE = f"{{{ED_NS}}}scope"
ED_STATE = f"{{{ED_NS}}}state"
CJK = r"\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_URI_UNSAFE = re.compile(r"[\s<>\"{}|\\^`\[\]]")

DIV_TOP = frozenset({"head", "byline", "docAuthor", "docDate", "dateline", "argument", "epigraph", "salute"})
GLOBAL = frozenset({"milestone", "note", "figure", "pb", "lb", "cb", "gap", "anchor"})
DIV_TOP_ALLOWED_BEFORE = DIV_TOP | GLOBAL


def uri(s: str) -> str:
    """A value that passes as ``teidata.pointer`` (xsd:anyURI as libxml2 checks it):
    escape spaces, brackets, stray ``%`` and a second ``#``; keep the rest readable.
    A target that could run code is left as written (escaping could disguise it as a
    relative path): :meth:`.HtmlRules.drop_unsafe_targets` removes it and reports it."""
    if not is_safe_url(s):
        return xml_safe(s.strip())
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


def unwrap(el: etree._Element) -> None:
    """Replace ``el`` by its content (text, children, tail) where it stands."""
    parent = el.getparent()
    if parent is None:
        return
    at = parent.index(el)
    kids = list(el)
    before = parent[at - 1] if at else None
    text, tail = el.text or "", el.tail or ""
    for i, c in enumerate(kids):
        parent.insert(at + i, c)  # lxml moves each child with its tail
    parent.remove(el)  # and el with its tail, kept above
    after = kids[-1] if kids else before
    if before is None:
        parent.text = (parent.text or "") + text
    else:
        before.tail = (before.tail or "") + text
    if after is None:
        parent.text = (parent.text or "") + tail
    else:
        after.tail = (after.tail or "") + tail


def is_empty(el: etree._Element) -> bool:
    return not len(el) and not (el.text or "").strip()


def at_div_top(parent: etree._Element) -> bool:
    """True when only a head (or other division-top elements) precede: where TEI
    allows byline/docDate (model.divTop)."""
    if local(parent) not in ("div", "body"):
        return False
    if (parent.text or "").strip():
        return False
    return all(isinstance(c.tag, str) and local(c) in DIV_TOP_ALLOWED_BEFORE for c in parent)


def line_groups(inline: SyntaxTreeNode) -> list[list[SyntaxTreeNode]]:
    """The inline nodes of a paragraph, cut at line breaks."""
    groups: list[list[SyntaxTreeNode]] = [[]]
    for c in inline.children:
        if c.type in ("softbreak", "hardbreak"):
            groups.append([])
        else:
            groups[-1].append(c)
    return groups


class BuilderState:
    """One conversion's state: the token tree of one file to a ``tei:text``."""

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
