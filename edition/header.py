"""The ``teiHeader`` of each text, built from its metadata (no string templates)."""

from __future__ import annotations

from lxml import etree

from . import __version__
from .config import Config
from .model import TextMeta
from .sources.base import ReadResult
from .tei import NSMAP, XML_ID, XML_LANG, E, lang_name, t

CERT_INFERRED = "medium"


def _person(tag: str, name: str, xml_id: str | None, inferred: bool) -> etree._Element:
    el = E(tag, name)
    if xml_id:
        el.set(XML_ID, xml_id)
    if inferred:
        el.set("cert", CERT_INFERRED)
        el.set("resp", "#edition-editors")
    return el


def make_document(
    text_id: str, rel: str, fmt: str, digest: str, meta: TextMeta, config: Config, result: ReadResult
) -> etree._ElementTree:
    """A whole TEI document: header from ``meta`` + the reader's ``<text>``."""
    inferred = meta.inferred
    title_stmt = E.titleStmt(E.title(meta.title, type="main"))
    for i, a in enumerate(meta.authors):
        title_stmt.append(
            _person("author", a, "author" if i == 0 else f"author{i + 1}", "author" in inferred)
        )
    for ed in meta.editors:
        title_stmt.append(_person("editor", ed, None, "editor" in inferred))
    resp = E.respStmt(E.resp("digital edition"))
    resp.set(XML_ID, "edition-editors")
    for ed in config.editors or ("the edition's editors",):
        resp.append(E.name(ed))
    title_stmt.append(resp)
    src_ed = E.respStmt(
        E.resp("notes signed by the editors of the source"), E.name("editors of the source edition")
    )
    src_ed.set(XML_ID, "source-editor")
    title_stmt.append(src_ed)

    pub = E.publicationStmt(
        E.publisher(config.publisher or config.title),
        E.idno(text_id, type="text-id"),
    )
    if meta.license:
        pub.append(E.availability(E.licence(meta.license)))
    if config.base_url:
        pub.append(E.idno(f"{config.base_url}tei/{text_id}.xml", type="URI"))

    original = E.bibl(E.title(meta.title))
    original.set("type", "original")
    for a in meta.authors:
        original.append(E.author(a))
    if meta.date:
        d = E.date(meta.date, when=meta.date)
        if "date" in inferred:
            d.set("cert", CERT_INFERRED)
        original.append(d)
    if meta.source:
        original.append(E.note(meta.source, type="source"))
    for key, why in sorted(inferred.items()):
        original.append(E.note(f"{key}: {why}", type="inferred", resp="#edition-editors"))
    source_file = E.bibl(
        E.title(rel),
        E.idno(rel, type="path"),
        E.idno(digest, type="sha256"),
        E.note(f"read by edition {__version__} with the '{fmt}' reader"),
        type="source-file",
    )
    source_desc = E.sourceDesc(original, source_file, *result.source_desc)

    encoding = E.encodingDesc(
        E.projectDesc(
            E.p(
                f"Converted from {rel} by edition {__version__}. The source file is never changed; "
                "metadata not stated in it was supplied by the edition's editors (see sourceDesc)."
            )
        ),
        *result.encoding,
    )
    profile = E.profileDesc(E.langUsage(E.language(lang_name(meta.lang), ident=meta.lang)))
    if meta.tags:
        profile.append(E.textClass(E.keywords(*[E.term(k) for k in meta.tags])))
    profile.extend(result.profile_desc)

    header = E.teiHeader(E.fileDesc(title_stmt, pub, source_desc), encoding, profile)
    if result.revision_desc is not None:
        header.append(result.revision_desc)
    root = etree.Element(t("TEI"), nsmap=NSMAP)
    root.set(XML_LANG, meta.lang)
    root.append(header)
    text_el = result.text
    text_el.set(XML_LANG, meta.lang)
    root.append(text_el)
    return etree.ElementTree(root)
