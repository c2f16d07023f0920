"""Write the TEI documents (private bookkeeping stripped), ``links.json``, and the archival
bundle (issue 22): ``edition export [CONTENT] -o edition-bundle.zip``, also written by
``build`` into ``OUT/export/``.

The bundle (a zip; every entry under ``edition-bundle/``)::

    corpus.xml          one teiCorpus: the shared header (title, editors, licence, the
                        conventions and the build's decisions), the quotation links in
                        standOff, every text's TEI (ids prefixed "<text id>." to stay unique)
    tei/<id>.xml        each text's TEI document, as in OUT/tei/
    links.json          the quotation links (the site's OUT/links.json)
    sources/...         the sources, their sidecars and edition.yaml, byte for byte
    validation.json     each XML file checked against tei_all (RELAX NG): valid, or errors with line
    validation.html     the same for people
    manifest.json       the tool's version and every other file's size and sha256
    README.txt          what is where, and how to read the texts back in (format: tei)

Exporting unchanged content twice gives the same bytes: entries sorted, one fixed
timestamp and permission, nothing in a file that depends on the time or the machine.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from lxml.builder import ElementMaker

from . import __version__
from .config import CONFIG_NAME
from .contract import dumps
from .errors import Diagnostics, Level
from .model import Edition, Text
from .site import BUNDLE_NAME, SITE_BUNDLE, SITE_EXPORT
from .tei import NSMAP, XML_ID, E, indent_blocks, lang_name, serialize, t, xml_safe

ROOT = "edition-bundle"
"""Folder every entry of the zip lies in (an unzipped bundle does not spill into the current directory)."""
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
"""The earliest time a zip can hold: every entry has it, so the bytes do not depend on when."""
FORMAT_VERSION = 1


def serialize_text(text: Text) -> bytes:
    """The exported TEI document of one text (private attributes removed)."""
    return serialize(text.tree)


def tei_files(edition: Edition) -> dict[str, bytes]:
    """``tei/<id>.xml`` -> bytes, for every text."""
    return {f"tei/{tid}.xml": serialize_text(text) for tid, text in sorted(edition.texts.items())}


# -- validation ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    line: int | None
    message: str


@dataclass(slots=True)
class FileValidation:
    path: str
    """Path inside the bundle (``tei/x.xml``, ``corpus.xml``)."""
    valid: bool | None
    """None when it was not validated (no schema)."""
    errors: list[SchemaProblem] = field(default_factory=list)


@dataclass(slots=True)
class ValidationReport:
    schema: str | None
    """``tei_all (TEI P5 4.3.0), sha256 …`` or None when no schema was found."""
    note: str
    files: list[FileValidation]

    @property
    def invalid(self) -> list[FileValidation]:
        return [f for f in self.files if f.valid is False]

    def as_json(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "schema": self.schema,
            "note": self.note,
            "valid": None if self.schema is None else not self.invalid,
            "files": [
                {"path": f.path, "valid": f.valid, "errors": [{"line": e.line, "message": e.message} for e in f.errors]}
                for f in self.files
            ],
        }


def tei_names(files: dict[str, bytes]) -> list[str]:
    """The files the report covers: what the export made (the sources are as they came)."""
    return sorted(n for n in files if n == "corpus.xml" or (n.startswith("tei/") and n.endswith(".xml")))


def validate_files(files: dict[str, bytes]) -> ValidationReport:
    """Check each XML file against tei_all, parsed from its bytes (so lines are the file's).

    Results are cached per (schema, document) sha256 (:func:`edition.schema.problems_in`)."""
    from . import schema

    names = tei_names(files)
    path = schema.schema_path()
    if path is None:
        note = "not validated: no TEI schema on the machine that exported (python -m edition.schema fetch)"
        return ValidationReport(None, note, [FileValidation(n, None) for n in names])
    schema_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    label = f"tei_all.rng, sha256 {schema_sha}"
    if schema_sha == schema.SCHEMA_SHA256:
        label = f"tei_all.rng (TEI P5 {schema.TEI_VERSION}), sha256 {schema_sha}"
    out: list[FileValidation] = []
    for name in names:
        hit = schema.problems_in(files[name])
        out.append(FileValidation(name, not hit, [SchemaProblem(line, msg) for line, msg in hit]))
    note = "Validated with lxml (libxml2) RELAX NG; the Schematron rules of tei_all are not checked"
    return ValidationReport(label, note, out)


H = ElementMaker()  # HTML, no namespace


def report_html(report: ValidationReport, title: str) -> bytes:
    """The validation report as a page (lxml builder, no string templates)."""
    rows = []
    for f in report.files:
        status = "not validated" if f.valid is None else ("valid" if f.valid else f"{len(f.errors)} error(s)")
        errs = H.ul(*[H.li(H.code(f"{f.path}:{e.line}" if e.line else f.path), f": {e.message}") for e in f.errors])
        cells = [H.td(H.code(f.path)), H.td(status, {"class": "ok" if f.valid else "bad"})]
        cells.append(H.td(errs) if f.errors else H.td())
        rows.append(H.tr(*cells))
    invalid = len(report.invalid)
    summary = (report.note if report.schema is None else
               f"{len(report.files) - invalid} of {len(report.files)} file(s) valid against {report.schema}. {report.note}.")
    page = H.html(
        {"lang": "en"},
        H.head(H.meta(charset="utf-8"), H.title(f"TEI validation: {title}"),
               H.style("body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
                       "td{vertical-align:top;padding:.2rem .6rem}.ok{color:#060}.bad{color:#a00}")),
        H.body(H.h1(f"TEI validation: {title}"), H.p(summary),
               H.table(H.thead(H.tr(H.th("file"), H.th("result"), H.th("errors (line: message)"))), H.tbody(*rows))),
    )
    return b"<!DOCTYPE html>\n" + etree.tostring(page, encoding="utf-8", method="html") + b"\n"


# -- the corpus ------------------------------------------------------------------------------


def id_prefix(tid: str) -> str:
    """Prefix of a text's ids inside corpus.xml (an NCName: ``1927-letter`` -> ``_1927-letter.``)."""
    return f"{tid}." if tid[:1].isalpha() or tid[:1] == "_" else f"_{tid}."


def _prefixed(doc: etree._Element, tid: str, tids: set[str]) -> etree._Element:
    """``doc`` with every xml:id prefixed and the pointers to them (``#p1``, ``other.xml#p2``) following."""
    pre = id_prefix(tid)
    ids = {el.get(XML_ID) for el in doc.iter() if isinstance(el.tag, str) and el.get(XML_ID)}

    def point(token: str) -> str:
        if token.startswith("#") and token[1:] in ids:
            return f"#{pre}{token[1:]}"
        doc_name, hash_, frag = token.partition(".xml#")
        if hash_ and doc_name in tids and frag:
            return f"#{id_prefix(doc_name)}{frag}"
        return token

    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for key, raw in el.attrib.items():
            name, value = str(key), str(raw)
            if name == XML_ID:
                el.set(XML_ID, pre + value)
            elif not name.startswith("{") and "#" in value:
                new = " ".join(point(tok) for tok in value.split())
                if new != " ".join(value.split()):
                    el.set(name, new)
    return doc


def _paras(*texts: str) -> list[etree._Element]:
    return [E.p(x) for x in texts]


CONVENTIONS = {
    "correction": (
        "Corrections are never silent: where a reader corrects the source (the book reader: damage done by the "
        "text's extraction from a PDF, words split by the typesetting), the source's reading and the correction "
        "stand together in choice/sic+corr, and each text's editorialDecl counts them; TEI read from elsewhere keeps "
        "its own choice (sic+corr, abbr+expan, orig+reg). The site and the quotation search read the corrected form.",
    ),
    "normalization": (
        "Text is kept as the source has it. Readers join hard-wrapped lines (without a space between CJK "
        "characters) and say in each text's encodingDesc what else they normalised.",
    ),
    "quotation": (
        "Quotation marks of the source are kept as characters; block quotations are quote or cit elements.",
    ),
    "segmentation": (
        "Every division, paragraph and note has an xml:id numbered in document order per kind (d3, p12, n2; "
        "works of a volume w05), stable from build to build of the same source. Printed pages are pb/@n.",
    ),
    "interpretation": (
        "Notes stand where their marker stood (note/@place, @n as printed); note/@type and @resp say who "
        "signed them (editorial: #source-editor, authorial: #author, translator).",
        "A quotation shared by two texts is a seg[@type='quotation'] in each (or two anchors named by a "
        "standOff/spanGrp/span where the passage crosses other markup), and a standOff/linkGrp[@type='quotation']/"
        "link whose @target points at both passages, @type the kind (verbatim, elided, edited, translation), "
        "@cert the score (a probability) and @subtype the direction (quotes, quoted-by) when it is known.",
    ),
}


_SITE_CODES = frozenset({"search", "template"})
"""What writing the site reports (``build`` only): not about the texts, and ``export`` would not see it."""


def _decisions(edition: Edition) -> list[etree._Element]:
    """The build's bookkeeping namespace, and what it decided and reported, as an editorialDecl."""
    decl = E.editorialDecl()
    decl.set(XML_ID, "build-decisions")
    decl.append(E.p(
        "While building, the tool records its own bookkeeping in the namespace urn:x-edition:ns:1 (prefix ed:): "
        "ed:line (the source line of an element), ed:state (a note marker or body not yet paired, a quotation not "
        "yet resolved), ed:scope (where note numbering restarts). It is removed from every exported document; "
        "the decisions it led to are listed here as the build reported them (path:line: level: message, paths "
        "relative to sources/)."))
    items = sorted(
        (d for d in edition.diagnostics if d.level < Level.ERROR and d.code not in _SITE_CODES),
        key=lambda d: (str(d.location.path), d.location.line or 0, d.message),
    )
    if items:
        decl.append(E.p(E.list(*[E.item(xml_safe(str(d))) for d in items])))
    else:
        decl.append(E.p("The build reported nothing."))
    return [decl]


def corpus_header(edition: Edition, sources: dict[str, list[tuple[str, bytes]]]) -> etree._Element:
    cfg = edition.config
    title_stmt = E.titleStmt(E.title(cfg.title, type="main"))
    if cfg.subtitle:
        title_stmt.append(E.title(str(cfg.subtitle), type="sub"))
    for ed in cfg.editors:
        title_stmt.append(E.editor(ed))
    resp = E.respStmt(E.resp("digital edition"), *[E.name(ed) for ed in cfg.editors or ("the edition's editors",)])
    resp.set(XML_ID, "edition-editors")
    title_stmt.append(resp)
    n_links = len(edition.links)
    extent = E.extent(
        E.measure(f"{len(edition.texts)} text(s)", unit="texts", quantity=str(len(edition.texts))), ", ",
        E.measure(f"{n_links} quotation link(s)", unit="links", quantity=str(n_links)),
    )
    pub = E.publicationStmt(E.publisher(cfg.publisher or cfg.title))
    if cfg.license:
        pub.append(E.availability(E.licence(str(cfg.license))))
    if cfg.base_url:
        pub.append(E.idno(cfg.base_url, type="URI"))
    bibls = E.listBibl()
    for tid, text in sorted(edition.texts.items()):
        bibl = E.bibl(E.title(text.meta.title), *[E.author(a) for a in text.meta.authors])
        bibl.set("corresp", f"#{id_prefix(tid)[:-1]}")
        if text.meta.date:
            bibl.append(E.date(text.meta.date, when=text.meta.date))
        for rel, data in sources.get(tid, []):
            bibl.append(E.idno(f"sources/{rel}", type="path"))
            bibl.append(E.idno(hashlib.sha256(data).hexdigest(), type="sha256"))
        bibl.append(E.ptr(target=f"tei/{tid}.xml"))
        bibls.append(bibl)
    bibls.insert(0, E.head(f"The {len(edition.texts)} text(s). Each text's own header describes its source; the"
                           f" sources are in sources/, byte for byte, and each text's TEI in tei/, as exported by"
                           f" edition {__version__}."))
    source_desc = E.sourceDesc(bibls)
    editorial = E.editorialDecl(*[E(k, *_paras(*v)) for k, v in CONVENTIONS.items()])
    encoding = E.encodingDesc(
        E.projectDesc(E.p(str(cfg.description) if cfg.description else f"The edition {cfg.title}.")),
        editorial,
        *_decisions(edition),
        E.appInfo(E.application(E.label("edition"), ident="edition", version=__version__)),
    )
    langs = list(cfg.languages) or sorted({x.meta.lang for x in edition.texts.values()})
    profile = E.profileDesc(E.langUsage(*[E.language(lang_name(lang), ident=lang) for lang in langs]))
    return E.teiHeader(E.fileDesc(title_stmt, extent, pub, source_desc), encoding, profile)


def corpus(edition: Edition, tei: dict[str, bytes], sources: dict[str, list[tuple[str, bytes]]]) -> bytes:
    """One teiCorpus: the shared header, the quotation links once each, every text's TEI."""
    root = etree.Element(t("teiCorpus"), nsmap=NSMAP)
    root.append(corpus_header(edition, sources))
    tids = set(edition.texts)
    docs: list[etree._Element] = []
    for tid in sorted(edition.texts):
        doc = _prefixed(etree.fromstring(tei[f"tei/{tid}.xml"]), tid, tids)
        doc.set(XML_ID, id_prefix(tid)[:-1])  # the id the shared header's bibl/@corresp points at
        docs.append(doc)
    grp = E.linkGrp(type="quotation")
    seen: set[str] = set()
    for doc in docs:
        for link in doc.iterfind(f"{t('standOff')}/{t('linkGrp')}/{t('link')}"):
            lid = (link.get(XML_ID) or "").split(".", 1)[-1]
            if lid in seen:
                continue
            seen.add(lid)
            copy = deepcopy(link)
            copy.set(XML_ID, lid)
            copy.tail = None
            grp.append(copy)
    if len(grp):
        root.append(E.standOff(grp))
    root.extend(docs)
    for child in root:
        indent_blocks(child, 1)
    root.text = "\n  "
    for child in root:
        child.tail = "\n  "
    root[-1].tail = "\n"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"


# -- the bundle ------------------------------------------------------------------------------


def source_files(edition: Edition) -> dict[str, list[tuple[str, bytes]]]:
    """Each text's source and sidecar (paths relative to the content directory), byte for byte."""
    out: dict[str, list[tuple[str, bytes]]] = {}
    content = edition.config.content_dir
    for tid, text in sorted(edition.texts.items()):
        files = []
        path = text.path or content / text.source
        if path.is_file():
            files.append((text.source.as_posix(), path.read_bytes()))
        meta = text.meta.meta_path
        if meta and meta != text.source and (content / meta).is_file():
            files.append((meta.as_posix(), (content / meta).read_bytes()))
        out[tid] = files
    return out


README = """\
{title}: an archival bundle made by edition {version}

corpus.xml        one teiCorpus: the shared header (title, editors, licence, the encoding
                  conventions and what the build decided), the quotation links (standOff),
                  every text's TEI (ids prefixed with the text's id, to stay unique)
tei/<id>.xml      each text's TEI P5 document
links.json        every quotation link (format: the edition's README, "links.json")
sources/          the sources, their metadata files and edition.yaml, byte for byte
validation.json   each XML file checked against tei_all (RELAX NG): valid, or errors with line
validation.html   the same, to read in a browser
manifest.json     the tool's version; size and sha256 of every other file

To read the texts back in (the same TEI comes out, but for the file each header says it
was converted from): put tei/*.xml and sources/edition.yaml in a new content directory
and run `edition build` or `edition export` on it; .xml files are read as TEI.
"""


def bundle(edition: Edition, links_json: bytes, validate: bool = True,
           tei: dict[str, bytes] | None = None) -> tuple[dict[str, bytes], ValidationReport]:
    """Every file of the bundle (path inside it -> bytes) and the validation report.
    ``tei``: the texts' documents when already serialised (:func:`tei_files`)."""
    tei = tei if tei is not None else tei_files(edition)
    sources = source_files(edition)
    files: dict[str, bytes] = dict(tei)
    files["links.json"] = links_json
    for pairs in sources.values():
        for rel, data in pairs:
            files[f"sources/{rel}"] = data
    cfg_path = edition.config.content_dir / CONFIG_NAME
    if cfg_path.is_file():
        files[f"sources/{CONFIG_NAME}"] = cfg_path.read_bytes()
    files["corpus.xml"] = corpus(edition, tei, sources)
    files["README.txt"] = README.format(title=edition.config.title, version=__version__).encode("utf-8")
    if validate:
        report = validate_files(files)
    else:
        names = tei_names(files)
        report = ValidationReport(None, "not validated (--no-validate)", [FileValidation(n, None) for n in names])
    files["validation.json"] = dumps(report.as_json()).encode("utf-8")
    files["validation.html"] = report_html(report, edition.config.title)
    files["manifest.json"] = dumps(manifest(edition, files)).encode("utf-8")
    return files, report


def manifest(edition: Edition, files: dict[str, bytes]) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "tool": {"name": "edition", "version": __version__},
        "edition": edition.config.title,
        "texts": len(edition.texts),
        "files": [
            {"path": name, "size": len(files[name]), "sha256": hashlib.sha256(files[name]).hexdigest()}
            for name in sorted(files) if name != "manifest.json"
        ],
    }


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A zip of ``files`` under :data:`ROOT`/, the same bytes for the same files."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{ROOT}/{name}", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, whatever the machine: the permissions below then mean the same
            info.external_attr = 0o100644 << 16
            zf.writestr(info, files[name], compresslevel=6)  # 9 takes twice as long for 1-2 % less
    return buf.getvalue()


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def links_json_of(edition: Edition) -> bytes:
    """The site's ``links.json`` without writing a site (the site's page plan gives the URLs)."""
    from .pages.links import links_json
    from .site import InMemory, SiteWriter

    files = InMemory()
    links_json(SiteWriter(edition, files, Diagnostics()))
    return files.files["links.json"]


def site_export_files(edition: Edition, tei: dict[str, bytes], links_json: bytes,
                      validate: bool = True) -> tuple[dict[str, bytes], ValidationReport]:
    """The site's ``export/`` files (site path -> bytes): the zip, its validation report and manifest."""
    files, report = bundle(edition, links_json, validate=validate, tei=tei)
    out = {SITE_BUNDLE: zip_bytes(files)}
    for name in ("validation.json", "manifest.json"):
        out[f"{SITE_EXPORT}/{name}"] = files[name]
    return out, report


def write_site_export(edition: Edition, site: Path, validate: bool = True) -> tuple[int, ValidationReport]:
    """``build``'s copy: ``OUT/export/edition-bundle.zip``, its validation report and manifest
    beside it, made from the site's ``tei/`` and ``links.json``; the zip's size (the index shows it)."""
    tei = {f"tei/{tid}.xml": (site / "tei" / f"{tid}.xml").read_bytes() for tid in sorted(edition.texts)}
    files, report = site_export_files(edition, tei, (site / "links.json").read_bytes(), validate)
    for rel, data in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(data)
    return len(files[SITE_BUNDLE]), report


def invalid_messages(report: ValidationReport, edition: Edition) -> Iterator[tuple[Path, str]]:
    """``(source, message)`` for each schema error, the source being the text's (for messages)."""
    by_file = {f"tei/{tid}.xml": text.source for tid, text in edition.texts.items()}
    for f in report.invalid:
        src = by_file.get(f.path, Path(f.path))
        for e in f.errors[:20]:
            where = f"{f.path}:{e.line}" if e.line else f.path
            yield src, f"exported TEI ({where}) is not valid tei_all: {e.message}"


@dataclass(slots=True)
class ExportResult:
    edition: Edition
    out: Path | None
    """The zip written (None when the content had errors, or warnings with ``strict``)."""
    report: ValidationReport | None = None


def export(edition: Edition, out: Path, *, strict: bool = False, validate: bool = True) -> ExportResult:
    """``edition export``: write the bundle of an edition read as ``build`` reads it
    (:func:`edition.builder.load`, called by the command line) to ``out``."""
    if edition.diagnostics.failed(strict):
        return ExportResult(edition, None)
    files, report = bundle(edition, links_json_of(edition), validate=validate)
    write_atomic(Path(out), zip_bytes(files))
    return ExportResult(edition, Path(out), report)


__all__ = ["BUNDLE_NAME", "site_export_files", "write_site_export", "ExportResult", "export", "ValidationReport", "bundle", "corpus", "serialize_text", "tei_files", "zip_bytes"]
