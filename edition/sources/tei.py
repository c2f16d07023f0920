"""The ``tei`` reader (``format: tei`` or a ``.xml`` file): a TEI P5 document as a source.

So an edition can include texts encoded elsewhere, and an archivist can re-import an
export (issue 22): ``edition export`` -> the bundle's ``tei/*.xml`` as sources -> the
same TEI again.

What is kept:

* the document's ``text`` as it stands (``note``, ``pb``, ``choice``, ``rs``, elements of
  other namespaces...): nothing is converted, unknown elements stay as they are;
* from the header, the metadata the edition needs (title, authors, editors, date,
  language, licence, keywords: :func:`header_meta`; a sidecar ``NAME.yaml`` wins over it),
  and the rest of it in the new header: the source's ``fileDesc`` as a ``biblFull`` in
  ``sourceDesc`` (TEI's way to describe an electronic source), its ``encodingDesc``
  parts, its ``profileDesc`` parts and its ``revisionDesc``.

A document this tool wrote itself (``publicationStmt/idno[@type='text-id']`` and
``sourceDesc/bibl[@type='source-file']``) is read back as it was made: the parts of the
header the build writes again are left out, and the quotation markup (``seg
type="quotation"``, the ``anchor`` pairs of ``standOff/spanGrp``, ``standOff/linkGrp``)
is taken out, since the build finds and marks the quotations again.

Malformed XML is an error at its line (every error lxml reports), and what lxml can
recover is still read so that the other problems show too.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from lxml import etree

from ..errors import Diagnostics
from ..tei import ED_LINE, TEI_NS, XML_LANG, E, local, t
from .base import Reader, ReadResult, SourceFile

FORMAT = "tei"


def _parser(recover: bool) -> etree.XMLParser:
    # no network, no external DTD; entities of the internal subset only (no XXE)
    return etree.XMLParser(
        recover=recover, no_network=True, load_dtd=False, huge_tree=False,
        resolve_entities="internal",  # type: ignore[arg-type]  # lxml >= 5 takes "internal"; its stubs do not know
    )


def parse(data: bytes, recover: bool = False) -> etree._Element | None:
    """The document's root; raises ``XMLSyntaxError`` unless ``recover``."""
    return etree.fromstring(data, _parser(recover))


def _norm(el: etree._Element | None) -> str:
    """Text of ``el`` on one line (comments and processing instructions left out)."""
    if el is None:
        return ""
    parts = [s for s in el.itertext(tag=etree.Element) if isinstance(s, str)]
    return " ".join("".join(parts).split())


def _first(root: etree._Element, path: str) -> etree._Element | None:
    found = root.xpath(path, namespaces={"tei": TEI_NS})
    if isinstance(found, list):
        for x in found:
            if isinstance(x, etree._Element):
                return x
    return None


def _all(root: etree._Element, path: str) -> list[etree._Element]:
    found = root.xpath(path, namespaces={"tei": TEI_NS})
    return [x for x in found if isinstance(x, etree._Element)] if isinstance(found, list) else []


def made_here(root: etree._Element) -> bool:
    """True for a document this tool exported (its header has the text id and the source file)."""
    return (
        _first(root, "tei:teiHeader/tei:fileDesc/tei:publicationStmt/tei:idno[@type='text-id']") is not None
        and _first(root, "tei:teiHeader/tei:fileDesc/tei:sourceDesc/tei:bibl[@type='source-file']") is not None
    )


def _iso(value: str | None) -> str | None:
    from . import iso_date  # the same test as front matter's dates

    return iso_date(value.strip()) if value else None


def _date(root: etree._Element) -> tuple[str | None, int | None]:
    """The text's date: of the original (this tool's header), of its creation, of the letter's
    sending, of the source; ``@when`` or ``@when-iso`` in ISO form (``@notBefore`` is no date)."""
    for path in (
        "tei:teiHeader/tei:fileDesc/tei:sourceDesc/tei:bibl[@type='original']/tei:date",
        "tei:teiHeader/tei:profileDesc/tei:creation//tei:date",
        "tei:teiHeader/tei:profileDesc/tei:correspDesc/tei:correspAction[@type='sent']/tei:date",
        "tei:teiHeader/tei:fileDesc/tei:sourceDesc//tei:date",
    ):
        for d in _all(root, path):
            iso = _iso(d.get("when") or d.get("when-iso"))
            if iso:
                return iso, _line(d)
    return None, None


def header_meta(root: etree._Element) -> tuple[dict[str, Any], dict[str, int]]:
    """Metadata keys (as front matter names them) stated by a TEI header, with their lines."""
    data: dict[str, Any] = {}
    lines: dict[str, int] = {}

    def put(key: str, value: Any, el: etree._Element | None) -> None:
        if value:
            data[key] = value
            line = _line(el) if el is not None else None
            if line:
                lines[key] = line

    title_stmt = _first(root, "tei:teiHeader/tei:fileDesc/tei:titleStmt")
    if title_stmt is not None:
        title = next((x for x in (_first(title_stmt, f"tei:title{which}") for which in
                                  ("[@type='main']", "[not(@type)]", "")) if x is not None), None)
        put("title", _norm(title), title)
        authors = _all(title_stmt, "tei:author")
        put("author", [n for n in (_norm(a) for a in authors) if n], authors[0] if authors else None)
        editors = _all(title_stmt, "tei:editor")
        put("editor", [n for n in (_norm(a) for a in editors) if n], editors[0] if editors else None)
    date, line = _date(root)
    if date:
        data["date"] = date
        if line:
            lines["date"] = line
    lang_el = root if root.get(XML_LANG) else _first(root, "tei:text[@xml:lang]")
    if lang_el is not None:
        put("lang", (lang_el.get(XML_LANG) or "").strip(), lang_el)
    else:
        language = _first(root, "tei:teiHeader/tei:profileDesc/tei:langUsage/tei:language[@ident]")
        if language is not None:
            put("lang", (language.get("ident") or "").strip(), language)
    licence = _first(root, "tei:teiHeader/tei:fileDesc/tei:publicationStmt/tei:availability/tei:licence")
    if licence is not None:
        put("license", _norm(licence) or licence.get("target"), licence)
    terms = _all(root, "tei:teiHeader/tei:profileDesc/tei:textClass/tei:keywords[not(@scheme)]/tei:term")
    put("tags", [n for n in (_norm(x) for x in terms) if n], terms[0] if terms else None)
    if made_here(root):
        original = _first(root, "tei:teiHeader/tei:fileDesc/tei:sourceDesc/tei:bibl[@type='original']")
        if original is not None:
            src = _first(original, "tei:note[@type='source']")
            put("source", _norm(src), src)
            inferred: dict[str, str] = {}
            for note in _all(original, "tei:note[@type='inferred']"):
                key, _, why = _norm(note).partition(": ")
                if key and why:
                    inferred[key] = why
            put("inferred", inferred, original)
        text_id = _first(root, "tei:teiHeader/tei:fileDesc/tei:publicationStmt/tei:idno[@type='text-id']")
        put("id", _norm(text_id), text_id)
    return data, lines


def _unwrap(el: etree._Element) -> None:
    """Replace ``el`` by its content (text, children, tail), merging the strings around it."""
    parent = el.getparent()
    if parent is None:
        return
    idx = parent.index(el)
    prev = el.getprevious()

    def add_before(s: str | None) -> None:
        if not s:
            return
        if prev is None:
            parent.text = (parent.text or "") + s
        else:
            prev.tail = (prev.tail or "") + s

    add_before(el.text)
    children = list(el)
    for i, c in enumerate(children):
        parent.insert(idx + i, c)
    if children:
        children[-1].tail = (children[-1].tail or "") + (el.tail or "") or None
    else:
        add_before(el.tail)
    el.tail = None
    parent.remove(el)


def _drop(el: etree._Element) -> None:
    """Remove ``el`` (an empty ``anchor``) and keep its tail."""
    tail, el.tail = el.tail, None
    parent = el.getparent()
    if parent is None:
        return
    prev = el.getprevious()
    if tail:
        if prev is None:
            parent.text = (parent.text or "") + tail
        else:
            prev.tail = (prev.tail or "") + tail
    parent.remove(el)


def strip_quotation_markup(root: etree._Element) -> None:
    """Take out what the build's quotation step put in (it marks the passages again)."""
    anchors: set[str] = set()
    for span in _all(root, "tei:standOff/tei:spanGrp[@type='quotation']/tei:span"):
        for ref in (span.get("from"), span.get("to")):
            if ref and ref.startswith("#"):
                anchors.add(ref[1:])
    text = root.find(t("text"))
    if text is not None:
        for seg in list(text.iter(t("seg"))):
            if seg.get("type") == "quotation":
                _unwrap(seg)
        for an in list(text.iter(t("anchor"))):
            if an.get(f"{{{_XML}}}id") in anchors:
                _drop(an)


_XML = "http://www.w3.org/XML/1998/namespace"
_HEADER_KEPT = ("fileDesc", "encodingDesc", "profileDesc", "revisionDesc")


class TEIReader(Reader):
    name = FORMAT
    extensions = (".xml",)

    @classmethod
    def embedded_meta(cls, src_text: str) -> tuple[dict[str, Any], dict[str, int]]:
        """The header's metadata, for :func:`edition.sources.load_source` (a sidecar wins over it).
        Never raises: a document that does not parse states nothing (``read`` reports why)."""
        try:
            root = parse(src_text.encode("utf-8"), recover=True)
        except etree.XMLSyntaxError:
            return {}, {}
        if root is None or local(root) not in ("TEI", "TEI.2"):
            return {}, {}
        _into_tei_namespace(root)
        return header_meta(root)

    def read(self, src: SourceFile, diags: Diagnostics) -> ReadResult:
        data = src.text.encode("utf-8")
        parser = _parser(recover=False)
        try:
            root: etree._Element | None = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            # this parser's own log (the exception's is lxml's global one, with earlier documents' errors)
            seen: set[tuple[int, str]] = set()
            for err in parser.error_log:
                if err.level_name not in ("ERROR", "FATAL") or (err.line, err.message) in seen:
                    continue
                seen.add((err.line, err.message))
                diags.error(src.loc(err.line if err.line > 0 else None), f"not well-formed XML: {err.message}", "xml")
            if not seen:
                diags.error(src.loc(exc.lineno or None), f"not well-formed XML: {exc.msg}", "xml")
            try:
                root = parse(data, recover=True)
            except etree.XMLSyntaxError:
                root = None
        if root is None:
            return ReadResult(text=_empty_text())
        name = local(root)
        if name == "teiCorpus":
            diags.error(src.loc(_line(root)), "a teiCorpus holds several documents: the tei reader reads one"
                        " TEI document per file (an export's corpus.xml is not a source; its tei/*.xml are)", "tei")
            return ReadResult(text=_empty_text())
        if name not in ("TEI", "TEI.2"):
            diags.error(src.loc(_line(root)), f"not a TEI document: the root element is <{root.tag}>,"
                        " not <TEI>; nothing is read from it", "tei")
            return ReadResult(text=_empty_text())
        if _into_tei_namespace(root):
            diags.warning(src.loc(_line(root)), f"<{name}> is not in the TEI namespace ({TEI_NS}): read as"
                          " TEI P5, its elements moved into that namespace", "tei")
        lost = [str(a).replace(f"{{{_XML}}}", "xml:") for a in root.attrib if a not in (XML_LANG, "version")]
        if lost:
            diags.info(src.loc(_line(root)), f"attributes of <{name}> not carried over (the document gets a new root):"
                       f" {', '.join(lost)}", "tei-dropped")
        for ent in list(root.iter(etree.Entity)):
            # an entity the document does not define itself (an external DTD's, a file's): never
            # fetched; dropped, since the exported document would not parse with it
            diags.warning(src.loc(_line_of(ent)), f"entity {ent.text} is declared outside the document: not read,"
                          " left out", "tei-entity")
            _drop(ent)
        for el in root.iter():
            if isinstance(el.tag, str) and _line(el):
                el.set(ED_LINE, str(_line(el)))
        ours = made_here(root)
        if ours:
            strip_quotation_markup(root)
        text = root.find(t("text"))
        for child in root:
            if not isinstance(child.tag, str) or child is text or child.tag == t("teiHeader"):
                continue
            if ours and child.tag == t("standOff") and all(
                local(g) in ("linkGrp", "spanGrp") and g.get("type") == "quotation" for g in child
            ):
                continue  # the quotation links, found again by the build
            diags.warning(src.loc(_line(child)), f"<{_name(child)}> outside <text> is not carried over"
                          " (the tei reader keeps the header and the text)", "tei-dropped")
        if text is None:
            diags.error(src.loc(_line(root)), "no <text> in this TEI document: nothing to publish", "tei")
            return ReadResult(text=_empty_text())
        result = ReadResult(text=text)
        header = root.find(t("teiHeader"))
        if header is None:
            diags.warning(src.loc(_line(root)), "no <teiHeader>: metadata comes from the sidecar only", "tei")
            return result
        for part in header:
            if isinstance(part.tag, str) and local(part) not in _HEADER_KEPT:
                diags.warning(src.loc(_line(part)), f"<{_name(part)}> of the teiHeader is not carried over",
                              "tei-dropped")
        _header_parts(header, ours, result)
        return result


def _name(el: etree._Element) -> str:
    return local(el) if str(el.tag).startswith(f"{{{TEI_NS}}}") else str(el.tag)


def _line(el: etree._Element) -> int | None:
    """The element's line in the file (lxml's ``sourceline``), None when unknown."""
    line = el.sourceline
    return line if isinstance(line, int) and line > 0 else None


def _line_of(el: etree._Element) -> int | None:
    at: etree._Element | None = el
    while at is not None:
        if _line(at):
            return _line(at)
        at = at.getparent()
    return None


def _empty_text() -> etree._Element:
    return E.text(E.body(E.p()))


def _into_tei_namespace(root: etree._Element) -> bool:
    """Move a document without namespace (TEI P4's ``TEI.2``, or no ``xmlns``) into TEI's; True if it did."""
    if isinstance(root.tag, str) and root.tag.startswith("{"):
        return False
    for el in root.iter():
        if isinstance(el.tag, str) and not el.tag.startswith("{"):
            el.tag = t("TEI" if el.tag == "TEI.2" else el.tag)
    return True


def _header_parts(header: etree._Element, ours: bool, result: ReadResult) -> None:
    """The header's parts the new header keeps (what :func:`edition.header.make_document`
    writes from the metadata is left out)."""
    file_desc = header.find(t("fileDesc"))
    if file_desc is not None:
        source_desc = file_desc.find(t("sourceDesc"))
        if ours:
            if source_desc is not None:
                result.source_desc.extend(
                    deepcopy(c) for c in source_desc
                    if isinstance(c.tag, str) and not (c.tag == t("bibl") and c.get("type") in ("original", "source-file"))
                )
        elif file_desc.find(t("titleStmt")) is not None and file_desc.find(t("publicationStmt")) is not None:
            # TEI's description of an electronic source: its whole fileDesc, in a biblFull
            result.source_desc.append(E.biblFull(*[deepcopy(c) for c in file_desc if isinstance(c.tag, str)]))
        elif source_desc is not None:
            result.source_desc.extend(deepcopy(c) for c in source_desc if isinstance(c.tag, str))
    encoding = header.find(t("encodingDesc"))
    if encoding is not None:
        parts = [c for c in encoding if isinstance(c.tag, str)]
        if ours and parts and parts[0].tag == t("projectDesc"):
            parts = parts[1:]  # "Converted from <file> by edition": written again
        result.encoding.extend(deepcopy(c) for c in parts)
    profile = header.find(t("profileDesc"))
    if profile is not None:
        for c in profile:
            if not isinstance(c.tag, str) or c.tag == t("langUsage"):
                continue  # the language is metadata, written again
            if c.tag == t("textClass") and all(k.tag == t("keywords") and k.get("scheme") is None for k in c):
                continue  # keywords are the text's tags, written again
            result.profile_desc.append(deepcopy(c))
    revision = header.find(t("revisionDesc"))
    if revision is not None:
        result.revision_desc = deepcopy(revision)


__all__ = ["TEIReader", "header_meta", "made_here", "parse", "strip_quotation_markup"]
