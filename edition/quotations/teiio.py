"""The TEI side: read passages out of the trees, mark links back into them.

Reading: each *block* (the smallest element that holds running text: ``p``,
``head``, ``item``, ``l``, ``ab``, a ``note`` or ``quote`` without paragraphs...)
with an ``xml:id`` becomes one :class:`Block` whose text is
:func:`edition.tei.text_content` (notes, ``sic``/``orig`` skipped). An inline
``quote`` stays part of its paragraph.

Marking: the passage ``[start, end)`` of the block's reading text is wrapped in
``<seg type="quotation" xml:id="...">``. The span may cross ``hi``, ``pb``,
``note``, ``choice``: a boundary that falls at the very edge of an inline
element is lifted out of it; if the two boundaries still sit in different
elements (the span would overlap markup), two ``<anchor>`` s are inserted
instead and a ``<span from to>`` in ``standOff/spanGrp`` names the passage.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ..tei import XML_ID, local, t
from .corpus import Block

LEAF = frozenset("p head item l ab stage trailer byline dateline signed salute docDate cell label".split())
"""Elements whose reading text is one block."""
PARA_LIKE = LEAF | {"note", "quote"}


def _has_leaf(el: etree._Element) -> bool:
    return any(isinstance(d.tag, str) and local(d) in LEAF for d in el.iterdescendants())


def _inside_leaf(el: etree._Element) -> bool:
    """True for an element inside another block (stopping at a note, whose
    text the outer block does not read)."""
    p = el.getparent()
    while p is not None:
        name = local(p)
        if name == "note":
            return False
        if name in LEAF:
            return True
        p = p.getparent()
    return False


def block_elements(root: etree._Element) -> list[etree._Element]:
    body = root.find(t("text"))
    if body is None:
        return []
    out = []
    for el in body.iter(*(t(x) for x in PARA_LIKE)):
        name = local(el)
        if _inside_leaf(el) and name != "note":
            continue
        if name in ("note", "quote") and _has_leaf(el):
            continue
        if name == "quote" and _inside_leaf(el):
            continue
        if el.get(XML_ID):
            out.append(el)
    return out


def group_of(el: etree._Element) -> etree._Element | None:
    """The work (top-level typed ``div`` of ``body``/``front``/``back``) holding ``el``."""
    work = None
    p = el.getparent()
    while p is not None:
        up = p.getparent()
        if local(p) == "div" and p.get("type") and up is not None and local(up) in ("body", "front", "back"):
            work = p
        p = up
    return work


def work_date(div: etree._Element) -> str | None:
    for d in div.iter(t("date"), t("docDate")):
        anc = d.getparent()
        in_note = False
        while anc is not None and anc is not div:
            if local(anc) == "note":
                in_note = True
                break
            anc = anc.getparent()
        if not in_note and d.get("when"):
            return d.get("when")
    return None


def _quoted(el: etree._Element) -> bool:
    p: etree._Element | None = el
    while p is not None:
        if local(p) in ("quote", "cit"):
            return True
        p = p.getparent()
    return False


def _editorial(el: etree._Element) -> bool:
    """The editors' apparatus: an editor's note, or the front and back matter
    around the works (a volume's preface, its chronicle, its endnotes)."""
    return any((local(a) == "note" and a.get("type") == "editorial") or local(a) in ("front", "back")
               for a in el.iterancestors())


def read_blocks(root: etree._Element) -> tuple[list[Block], dict[str, str]]:
    from ..tei import text_content

    blocks: list[Block] = []
    dates: dict[str, str] = {}
    for el in block_elements(root):
        g = group_of(el)
        gid = g.get(XML_ID) or "" if g is not None else ""
        if g is not None and gid and gid not in dates:
            d = work_date(g)
            if d:
                dates[gid] = d
        blocks.append(Block(el.get(XML_ID) or "", text_content(el), gid, _quoted(el), local(el), _editorial(el)))
    return blocks, dates


# ---------------------------------------------------------------------------
# marking


@dataclass(slots=True)
class _Piece:
    owner: etree._Element
    is_tail: bool
    offset: int  # reading offset of the string's first char
    length: int

    @property
    def container(self) -> etree._Element:
        if self.is_tail:
            parent = self.owner.getparent()
            assert parent is not None
            return parent
        return self.owner

    @property
    def index(self) -> int:
        """Children index after which the string sits (-1: the container's text)."""
        if not self.is_tail:
            return -1
        return self.container.index(self.owner)

    def get(self) -> str:
        return (self.owner.tail if self.is_tail else self.owner.text) or ""

    def set(self, s: str) -> None:
        if self.is_tail:
            self.owner.tail = s
        else:
            self.owner.text = s


def _pieces(el: etree._Element, skip: tuple[str, ...] = ("note",)) -> list[_Piece]:
    """The strings of ``el`` that make its reading text (as :func:`text_content`)."""
    out: list[_Piece] = []
    pos = 0

    def walk(e: etree._Element) -> None:
        nonlocal pos
        name = local(e)
        if name in skip or not name:
            return
        parent = e.getparent()
        if name in ("sic", "orig", "abbr") and parent is not None and local(parent) == "choice":
            return
        if e.text:
            out.append(_Piece(e, False, pos, len(e.text)))
            pos += len(e.text)
        for c in e:
            walk(c)
            if c.tail:
                out.append(_Piece(c, True, pos, len(c.tail)))
                pos += len(c.tail)

    walk(el)
    return out


def _locate(pieces: list[_Piece], x: int, is_end: bool) -> tuple[_Piece, int] | None:
    for pc in pieces:
        if (not is_end and pc.offset <= x < pc.offset + pc.length) or (
            is_end and pc.offset < x <= pc.offset + pc.length
        ):
            return pc, x - pc.offset
    return None


def _point(pc: _Piece, off: int, anchor_el: etree._Element, is_end: bool
           ) -> tuple[etree._Element, int, int]:
    """(container, string index, offset), lifted out of inline elements when
    the boundary is at their edge and they are not the anchor element."""
    container, idx = pc.container, pc.index
    s = pc.get()
    while container is not anchor_el:
        parent = container.getparent()
        if parent is None:
            break
        if not is_end and idx == -1 and off == 0:
            # start at the very beginning of an inline element: start before it
            idx, off, container = parent.index(container) - 1, None, parent  # type: ignore[assignment]
        elif is_end and off == len(s) and (idx == len(container) - 1 or (idx == -1 and len(container) == 0)):
            # end at the very end of an inline element: end after it (before its tail)
            idx, off, container = parent.index(container), 0, parent
        else:
            break
        if off is None:  # start lifted: the position is the end of the previous string
            prev = (container.text or "") if idx == -1 else (container[idx].tail or "")
            off = len(prev)
        s = (container.text or "") if idx == -1 else (container[idx].tail or "")
    return container, idx, off


def _get(container: etree._Element, idx: int) -> str:
    return (container.text or "") if idx == -1 else (container[idx].tail or "")


def _set(container: etree._Element, idx: int, s: str) -> None:
    if idx == -1:
        container.text = s or None
    else:
        container[idx].tail = s or None


def wrap(anchor_el: etree._Element, start: int, end: int, sid: str) -> bool:
    """Wrap the reading-text span in ``<seg>``; False if it cannot be nested."""
    pieces = _pieces(anchor_el)
    a = _locate(pieces, start, False)
    b = _locate(pieces, end, True)
    if a is None or b is None:
        return False
    ca, ia, oa = _point(a[0], a[1], anchor_el, False)
    cb, ib, ob = _point(b[0], b[1], anchor_el, True)
    if ca is not cb or ib < ia:
        return False
    seg = etree.Element(t("seg"))
    seg.set("type", "quotation")
    seg.set(XML_ID, sid)
    if ia == ib:
        s = _get(ca, ia)
        seg.text = s[oa:ob] or None
        seg.tail = s[ob:] or None
        _set(ca, ia, s[:oa])
        ca.insert(ia + 1, seg)
        return True
    s = _get(ca, ia)
    seg.text = s[oa:] or None
    _set(ca, ia, s[:oa])
    last = ca[ib]
    tail = last.tail or ""
    moving = list(ca)[ia + 1 : ib + 1]
    last.tail = tail[:ob] or None
    for ch in moving:
        seg.append(ch)
    seg.tail = tail[ob:] or None
    ca.insert(ia + 1, seg)
    return True


def insert_anchor(anchor_el: etree._Element, x: int, is_end: bool, aid: str) -> bool:
    pieces = _pieces(anchor_el)
    loc = _locate(pieces, x, is_end)
    if loc is None:
        return False
    pc, off = loc
    s = pc.get()
    an = etree.Element(t("anchor"))
    an.set(XML_ID, aid)
    an.tail = s[off:] or None
    pc.set(s[:off] or "")
    if not s[:off]:
        pc.set("")
        if pc.is_tail:
            pc.owner.tail = None
        else:
            pc.owner.text = None
    container, idx = pc.container, pc.index
    container.insert(idx + 1, an)
    return True
