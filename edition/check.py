"""``edition check``: everything the build would report, without writing a site.

What is checked (issue 5):

* the read phase and the cross-text phase, as the build runs them: metadata
  missing or malformed, encodings, note markers without bodies and bodies
  without markers, quotation problems;
* sidecar metadata files (``NAME.yaml``) that belong to no source (as the build
  does: :func:`.sources.discover`);
* likely extraction damage: a file read as plain text that has the shape of a
  PDF-extracted book;
* the rendered site: every page is rendered into a temporary directory (never
  into the content directory; removed afterwards) and its internal links are
  checked with lxml: a link to a file that is not in the site, or to an
  ``#id`` that the target page does not have, is a warning;
* TEI validity of the generated documents against tei_all, when the schema is
  available.
"""

from __future__ import annotations

import posixpath
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

from .builder import load
from .config import CONFIG_NAME
from .errors import Diagnostics, EditionError, Location, relative_location
from .export import tei_files
from .model import Edition, Text
from .sources import load_source
from .sources.plaintext import PlainReader
from .tei import XML_ID, line_of

LINK_ATTRS = (
    ("a", "href"),
    ("area", "href"),
    ("link", "href"),
    ("img", "src"),
    ("script", "src"),
    ("source", "src"),
    ("iframe", "src"),
    ("audio", "src"),
    ("video", "src"),
)


def check(content: Path, schema: bool = True) -> Diagnostics:
    edition = load(content)
    diags = edition.diagnostics  # every diagnostic of the read and cross-text phases
    _book_shaped(edition, diags)
    _site_links(edition, diags)
    if schema:
        _validate(edition, diags)
    diags.items[:] = [relative_location(d, edition.config.content_dir) for d in diags.items]
    return diags


def _book_shaped(edition: Edition, diags: Diagnostics) -> None:
    """A plain text that has the shape of a PDF-extracted book."""
    for text in edition.texts.values():
        if (
            (text.meta.format or "") in ("", "plain")
            and text.path is not None
            and text.source.suffix in PlainReader.extensions
        ):
            loaded = load_source(edition.config, text.source, Diagnostics())
            if loaded is not None:
                hint = PlainReader().sniff(loaded.src)
                if hint:
                    diags.warning(Location(text.source, 1), hint, "looks-like-book")


# -- internal links of the rendered site ----------------------------------------------


@dataclass(frozen=True, slots=True)
class BrokenLink:
    page: str
    """Site path of the page holding the link (``texts/a.html``)."""
    line: int | None
    """Line of the link in the rendered page."""
    href: str
    target: str
    """Site path the link resolves to (with ``#fragment``)."""
    reason: str
    near_id: str | None = None
    """``id`` of the link's nearest element (or ancestor) that has one: maps back to the source line."""


def render_to_temp(edition: Edition) -> tuple[Path, Path]:
    """Render the whole site into a new temporary directory: (temp dir, site dir)."""
    from .builder import render_site

    tmp = Path(tempfile.mkdtemp(prefix="edition-check-"))
    out = tmp / "site"
    out.mkdir()
    render_site(edition, out, search=False)
    return tmp, out


def broken_links(site: Path, base_url: str = "") -> list[BrokenLink]:
    """Internal links in the site's HTML pages that point at a missing file or id (parsed with lxml.html).

    Relative links are resolved from their page; absolute ones (``/edition/x.html``, or the full
    ``base_url``) from the path of ``base_url`` (``/`` when there is none)."""
    root_path = urllib.parse.urlsplit(base_url).path or "/"
    if not root_path.endswith("/"):
        root_path += "/"
    pages: dict[str, etree._ElementTree] = {}
    for path in sorted(site.rglob("*.html")):
        try:
            pages[path.relative_to(site).as_posix()] = lxml_html.parse(str(path))
        except (etree.ParserError, OSError, ValueError):
            continue
    ids_cache: dict[str, set[str]] = {}

    def ids_of(rel: str) -> set[str]:
        if rel not in ids_cache:
            tree = pages.get(rel)
            found: set[str] = set()
            if tree is not None:
                for el in tree.iter():
                    if isinstance(el.tag, str):
                        if el.get("id"):
                            found.add(el.get("id") or "")
                        if el.tag == "a" and el.get("name"):
                            found.add(el.get("name") or "")
            ids_cache[rel] = found
        return ids_cache[rel]

    out: list[BrokenLink] = []
    for page, tree in pages.items():
        for tag, attr in LINK_ATTRS:
            for el in tree.iter(tag):
                href = el.get(attr)
                if href is None:
                    continue
                href_s = href.strip()
                if base_url and href_s.startswith(base_url):
                    href_s = root_path + href_s[len(base_url) :]
                problem = _resolve(site, page, href_s, ids_of, root_path)
                if problem is not None:
                    target, reason = problem
                    near = el.get("id") or next(
                        (a.get("id") for a in el.iterancestors() if a.get("id")), None
                    )
                    line = el.sourceline if isinstance(el.sourceline, int) else None
                    out.append(BrokenLink(page, line, href, target, reason, near))
    return out


def _resolve(
    site: Path, page: str, href: str, ids_of: object, root_path: str = "/"
) -> tuple[str, str] | None:
    """None when ``href`` is fine (or external); else (target, reason)."""
    parts = urllib.parse.urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith("//"):
        return None  # external (http:, mailto:, data:, javascript:...)
    path = urllib.parse.unquote(parts.path)
    frag = urllib.parse.unquote(parts.fragment)
    if not path:
        target = page
    else:
        if path.startswith("/"):
            if not (path + "/").startswith(root_path) and path != root_path.rstrip("/"):
                return path, f"points outside the site (its root is '{root_path}')"
            joined = posixpath.normpath("/" + path[len(root_path) :]).lstrip("/") or "."
        else:
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
        if joined.startswith("../") or joined == "..":
            return joined, "points outside the site"
        target = joined
    file = site / target if target not in ("", ".") else site
    if file.is_dir() or path.endswith("/"):
        target = posixpath.join(target, "index.html") if target not in ("", ".") else "index.html"
        file = site / target
    if not file.is_file():
        return target + (f"#{frag}" if frag else ""), "no such file in the site"
    if frag and target.endswith(".html"):
        assert callable(ids_of)
        if frag not in ids_of(target) and frag != "top":
            return f"{target}#{frag}", f"no element with id '{frag}' on that page"
    return None


def _site_links(edition: Edition, diags: Diagnostics) -> None:
    if diags.errors and not edition.texts:
        return
    try:
        tmp, site = render_to_temp(edition)
    except EditionError as exc:  # a template error: already recorded with its location
        if not any(d.code == "template" for d in diags.items):
            diags.error(exc.location or Location(CONFIG_NAME), str(exc), "render")
        return
    try:
        found = broken_links(site, edition.config.base_url)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # the same broken target on many pages comes from a template: report it once
    from .site import plan

    source_of: dict[str, Path] = {}
    sp = plan(edition)
    for tid, pages in sp.pages.items():
        for p in pages:
            source_of[p.url] = edition.texts[tid].source
    groups: dict[tuple[str, str], list[BrokenLink]] = {}
    for b in found:
        groups.setdefault((b.target, b.reason), []).append(b)
    for (_target, reason), items in sorted(groups.items()):
        first = items[0]
        sources = {source_of.get(b.page) for b in items}
        where = f"{first.page}:{first.line}" if first.line else first.page
        more = len({b.page for b in items}) - 1
        also = f" (and on {more} other page{'s' if more != 1 else ''})" if more > 0 else ""
        msg = f"broken link '{first.href}' on {where}: {reason}{also}"
        if len(sources) == 1 and None not in sources:
            src = next(iter(sources))
            assert src is not None
            loc = Location(src, _source_line(edition, src, first.near_id))
        else:
            loc = Location(f"site/{first.page}", first.line)
            msg = f"broken link '{first.href}': {reason}{also}; it comes from a template or an edition-wide page"
        diags.warning(loc, msg, "broken-link")


def _source_line(edition: Edition, source: Path, xid: str | None) -> int | None:
    """The source line of the element with xml:id ``xid`` (where the link stands), if the reader recorded it."""
    if not xid:
        return None
    from .tei import line_of

    for text in edition.texts.values():
        if text.source == source:
            for el in _by_id(text.root, xid):
                return line_of(el)
    return None


def _by_id(root: etree._Element, xid: str) -> Iterator[etree._Element]:
    found = root.xpath("//*[@xml:id=$id]", id=xid)
    if isinstance(found, list):
        yield from (el for el in found if isinstance(el, etree._Element))


# -- TEI validity ------------------------------------------------------------------------


def _validate(edition: Edition, diags: Diagnostics) -> None:
    try:
        from . import schema as schema_mod
    except ImportError:
        return
    path = schema_mod.schema_path()
    if path is None:
        diags.info(
            Location(CONFIG_NAME),
            "TEI schema not found; run 'python -m edition.schema fetch' to validate",
            "schema-missing",
        )
        return
    by_id = {f"tei/{tid}.xml": text for tid, text in edition.texts.items()}
    for rel, data in tei_files(edition).items():
        found = schema_mod.problems_in(data)  # cached per document, as the export's report
        if not found:
            continue
        doc = etree.fromstring(data)
        text = by_id.get(rel)
        for line, message in found[:20]:
            source_line = _tei_source_line(doc, line, text) if text and line else None
            loc = Location(text.source, source_line) if text else Location(rel)
            diags.error(loc, f"generated TEI ({rel}:{line}) is not valid tei_all: {message}", "tei-invalid")


def _tei_source_line(doc: etree._Element, tei_line: int, text: Text) -> int | None:
    """The source line of the element at ``tei_line`` of the exported TEI: the exported
    copy has no ``ed:line``, so the nearest element with an ``xml:id`` there (itself or an
    ancestor) is looked up in the text's own tree, whose elements carry it."""
    at = None
    for el in doc.iter(etree.Element):
        line = el.sourceline
        if isinstance(line, int) and line <= tei_line:
            at = el
        elif isinstance(line, int):
            break
    while at is not None:
        xid = at.get(XML_ID)
        if xid:
            return next((line_of(el) for el in _by_id(text.root, xid)), None)
        at = at.getparent()
    return None
