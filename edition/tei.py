"""TEI namespace constants, element builders and small tree helpers.

Every stage builds XML through :data:`E` (``lxml.builder.ElementMaker``) or
``etree.SubElement``; never through string templates.
Attributes in the :data:`ED` namespace (``ed:line``, ``ed:state``...) are our
own bookkeeping (source line numbers, pending links); :func:`strip_private`
removes them before export so the exported TEI is valid against tei_all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from copy import deepcopy
from typing import Any, Protocol

from lxml import etree
from lxml.builder import ElementMaker

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
ED_NS = "urn:x-edition:ns:1"
"""Private namespace for build bookkeeping; never exported."""

NSMAP: Any = {None: TEI_NS}  # lxml takes None for the default namespace; its stubs do not
NS = {"tei": TEI_NS, "ed": ED_NS}
"""Prefix map for XPath: ``el.xpath('//tei:p', namespaces=NS)``."""



class Maker(Protocol):
    """What :class:`lxml.builder.ElementMaker` makes: ``E.p("text", {"n": "1"})``."""

    def __getattr__(self, tag: str) -> Callable[..., etree._Element]: ...

    def __call__(self, tag: str, *children: Any, **attrib: str) -> etree._Element: ...


E: Maker = ElementMaker(namespace=TEI_NS, nsmap=NSMAP)

XML_ID = f"{{{XML_NS}}}id"
XML_LANG = f"{{{XML_NS}}}lang"
ED_LINE = f"{{{ED_NS}}}line"
ED_STATE = f"{{{ED_NS}}}state"


_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(s: str) -> str:
    """Characters XML 1.0 cannot hold become U+FFFD (lxml would raise)."""
    return _INVALID_XML.sub("\ufffd", s) if _INVALID_XML.search(s) else s


def t(tag: str) -> str:
    """Clark name of a TEI element: ``t('p') == '{http://www.tei-c.org/ns/1.0}p'``."""
    return f"{{{TEI_NS}}}{tag}"


def local(el: etree._Element) -> str:
    """Local name of an element ('' for comments and processing instructions)."""
    tag = el.tag
    try:
        return _LOCAL[tag]
    except KeyError:
        name = tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
        if len(_LOCAL) < 4096:
            _LOCAL[tag] = name
        return name


_LOCAL: dict[object, str] = {}
"""Each tag met so far with its local name (the stages ask about every element again and again)."""


def set_line(el: etree._Element, line: int | None) -> etree._Element:
    """Remember the 1-based source line an element came from."""
    if line:
        el.set(ED_LINE, str(line))
    return el


def unset(el: etree._Element, name: str) -> None:
    """Remove attribute ``name`` of ``el`` if it has one (not of its descendants)."""
    if name in el.attrib:
        del el.attrib[name]


def line_of(el: etree._Element | None) -> int | None:
    """Source line of ``el`` or of its nearest ancestor that has one."""
    while el is not None:
        v = el.get(ED_LINE)
        if v:
            return int(v)
        el = el.getparent()
    return None


def elements(el: etree._Element, path: str) -> list[etree._Element]:
    """The elements an XPath finds from ``el`` (prefixes of :data:`NS`)."""
    found = el.xpath(path, namespaces=NS)
    return [x for x in found if isinstance(x, etree._Element)] if isinstance(found, list) else []


def iter_tei(root: etree._Element, *tags: str) -> Iterator[etree._Element]:
    """Iterate TEI elements with the given local names, in document order."""
    return root.iter(*(t(x) for x in tags))


def text_content(el: etree._Element, skip: tuple[str, ...] = ("note",)) -> str:
    """The reading text of ``el``: its text without the contents of ``skip``
    elements (notes by default) and, inside ``choice``, only ``corr``/``reg``/``expan``."""
    parts: list[str] = []

    def walk(e: etree._Element) -> None:
        name = local(e)
        if name in skip:
            return
        parent = e.getparent()
        if name in ("sic", "orig", "abbr") and parent is not None and local(parent) == "choice":
            return
        if e.text and name:
            parts.append(e.text)
        for c in e:
            walk(c)
            if c.tail:
                parts.append(c.tail)

    walk(el)
    return "".join(parts)


def strip_private(root: etree._Element) -> etree._Element:
    """Remove every attribute in the private namespace and its declaration (in place)."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name in [a for a in el.attrib if str(a).startswith(f"{{{ED_NS}}}")]:
            del el.attrib[name]
    etree.cleanup_namespaces(root)
    return root


def serialize(root: etree._Element | etree._ElementTree, *, private: bool = False) -> bytes:
    """Pretty, deterministic UTF-8 serialisation with XML declaration."""
    if isinstance(root, etree._ElementTree):
        root = root.getroot()
    root = deepcopy(root)
    if not private:
        strip_private(root)
    indent_blocks(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"


BLOCK_CONTAINERS = frozenset(
    "TEI teiHeader fileDesc titleStmt editionStmt publicationStmt sourceDesc profileDesc langUsage "
    "encodingDesc editorialDecl projectDesc correction normalization hyphenation appInfo revisionDesc "
    "respStmt availability text front back body div titlePage docTitle docImprint listBibl standOff linkGrp "
    "listRelation list opener closer cit quote sp spGrp msDesc biblFull textClass keywords "
    "particDesc listPerson person tagsDecl classDecl taxonomy category".split()
)


def indent_blocks(el: etree._Element, level: int = 0) -> None:
    """Indent element-only content (header, divisions) and leave mixed content
    (paragraphs, heads, notes' text) byte-exact. ``etree.indent`` would add
    whitespace inside mixed content and so change the text."""
    if local(el) not in BLOCK_CONTAINERS:
        return
    children = [c for c in el if isinstance(c.tag, str)]
    if not children or (el.text and el.text.strip()) or any(c.tail and c.tail.strip() for c in el):
        return
    if len(children) != len(el):  # comments or PIs: leave as they are
        return
    pad = "\n" + "  " * (level + 1)
    el.text = pad
    for c in children:
        indent_blocks(c, level + 1)
        c.tail = pad
    children[-1].tail = "\n" + "  " * level


_LANG_NAMES = {
    "en": "English",
    "zh": "Chinese",
    "fr": "French",
    "de": "German",
    "ru": "Russian",
    "und": "undetermined",
}


def lang_name(tag: str) -> str:
    """The English name of a language tag, as TEI's ``<language>`` gives it."""
    base = tag.split("-")[0]
    name = _LANG_NAMES.get(base, tag)
    if tag.startswith("zh-Hans"):
        return "Chinese (simplified script)"
    if tag.startswith("zh-Hant"):
        return "Chinese (traditional script)"
    return name
