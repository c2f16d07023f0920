"""Write the HTML site of an edition (every file written once, into a
temporary directory that replaces the output only when the build succeeded)."""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import jinja2
from lxml import etree
from markupsafe import Markup

from .config import normalise_lang
from .errors import Diagnostics
from .model import Edition, Link, Passage, Text, seg_id
from .render.html import CiteInfo, QuoteEntry, RenderContext, children, note_label, render
from .render.templates import BundleView, NavItem, NoteView, PageContext, TocEntry, make_env, render_page
from .tei import XML_ID, elements, local, t, text_content

WORK_ID = re.compile(r"^w\d+$")

SITE_EXPORT = "export"
"""Where the site holds the archival bundle (:mod:`edition.export`, issue 22)."""
BUNDLE_NAME = "edition-bundle.zip"
"""The archival bundle's file name, in the site and as ``edition export``'s default."""
SITE_BUNDLE = f"{SITE_EXPORT}/{BUNDLE_NAME}"
SITE_REPORT = f"{SITE_EXPORT}/validation.json"
"""The bundle's TEI validation report, beside the zip (the HTML one stays in the zip: not a page of the site)."""


@dataclass(slots=True)
class Page:
    url: str
    """Path of the page inside the site (``texts/a.html``)."""
    title: str
    text: Text
    element: etree._Element | None = None
    """The work division shown on a work page (None: the whole text)."""
    kind: str = "text"
    """``text``, ``volume`` or ``work``."""
    date: str | None = None
    genre: str | None = None


@dataclass(slots=True)
class SitePlan:
    pages: dict[str, list[Page]] = field(default_factory=dict)
    """Pages of each text: first the text's own page, then its works."""
    anchor_page: dict[str, dict[str, str]] = field(default_factory=dict)
    """text id -> xml:id -> page url."""
    elements: dict[str, dict[str, etree._Element]] = field(default_factory=dict)
    """text id -> xml:id -> element (an XPath search per look-up costs ms on a volume)."""
    passage_anchors: dict[str, dict[str, tuple[str, bool]]] = field(default_factory=dict)
    """text id -> the anchors of the quotation passages marked across other markup
    (``standOff/spanGrp[@type='quotation']/span``): anchor id -> (passage id, whether it opens)."""

    def element(self, text_id: str, xml_id: str) -> etree._Element | None:
        return self.elements.get(text_id, {}).get(xml_id)

    def seg_for(self, passage: Passage) -> str | None:
        """The xml:id that marks a passage, if quotations.mark marked it: its seg's,
        or the span's that names its two anchors (the site shows it from the first)."""
        el = self.element(passage.text, passage.anchor)
        if el is None:
            return None
        for seg in el.iter(t("seg")):
            if seg.get("type") == "quotation" and text_content(seg) == passage.quote:
                return seg.get(XML_ID)
        marks = self.passage_anchors.get(passage.text, {})
        for an in el.iter(t("anchor")):
            pid, opens = marks.get(an.get(XML_ID) or "", ("", False))
            if opens and pid == seg_id(passage):
                return pid
        return None

    def url(self, text_id: str, xml_id: str | None = None) -> str:
        base = self.pages[text_id][0].url
        if not xml_id:  # None or "": the page itself, no fragment
            return base
        page = self.anchor_page.get(text_id, {}).get(xml_id, base)
        return f"{page}#{xml_id}"


def relative(from_page: str, to: str) -> str:
    """Relative URL from one site path to another (works from file://)."""
    path, _, frag = to.partition("#")
    rel = posixpath.relpath(path, posixpath.dirname(from_page) or ".")
    return rel + (f"#{frag}" if frag else "")


def root_of(page_url: str) -> str:
    depth = page_url.count("/")
    return "../" * depth


def human_size(n: int) -> str:
    """``834 bytes``, ``12 kB``, ``1.2 MB`` (decimal units, as browsers show downloads)."""
    if n < 1000:
        return f"{n} bytes"
    size, units = n / 1000, ["kB", "MB", "GB"]
    while size >= 999.5 and len(units) > 1:
        size /= 1000
        units.pop(0)
    return f"{size:.1f} {units[0]}" if size < 9.95 else f"{size:.0f} {units[0]}"


def works_of(text: Text) -> list[etree._Element]:
    body = text.root.find(f"{t('text')}/{t('body')}")
    if body is None:
        return []
    return [d for d in body.iter(t("div")) if WORK_ID.match(d.get(XML_ID) or "")]


def div_title(div: etree._Element) -> str:
    head = div.find(t("head"))
    if head is not None:
        return " ".join(text_content(head).split())
    return div.get("n") or div.get(XML_ID) or ""


def div_date(div: etree._Element) -> str | None:
    for d in div.iter(t("date")):
        if d.get("when"):
            return d.get("when")
    return None


def plan(edition: Edition) -> SitePlan:
    sp = SitePlan()
    for tid, text in edition.texts.items():
        main = Page(f"texts/{tid}.html", text.meta.title, text)
        works = works_of(text)
        pages = [main]
        anchors: dict[str, str] = {}
        if works:
            main.kind = "volume"
            for w in works:
                wid = w.get(XML_ID) or ""
                p = Page(f"texts/{tid}/{wid}.html", div_title(w), text, w, "work", div_date(w), w.get("type"))
                pages.append(p)
                for el in w.iter():
                    if isinstance(el.tag, str) and el.get(XML_ID):
                        anchors[el.get(XML_ID) or ""] = p.url
        index: dict[str, etree._Element] = {}
        for el in text.root.iter():
            xid = el.get(XML_ID) if isinstance(el.tag, str) else None
            if xid:
                index[xid] = el
                if xid not in anchors:
                    anchors[xid] = main.url
        # a passage marked by two anchors is shown from the first: on its page
        marks: dict[str, tuple[str, bool]] = {}
        for grp in text.root.iter(t("spanGrp")):
            if grp.get("type") != "quotation":
                continue
            for span in grp.iter(t("span")):
                pid, first, last = span.get(XML_ID), (span.get("from") or "")[1:], (span.get("to") or "")[1:]
                if pid and first in index and last in index:
                    marks[first], marks[last] = (pid, True), (pid, False)
                    anchors[pid] = anchors[first]
        sp.elements[tid] = index
        sp.pages[tid] = pages
        sp.anchor_page[tid] = anchors
        sp.passage_anchors[tid] = marks
    return sp


def toc_of(el: etree._Element, page_url: str, depth: int = 1, skip: Callable[[etree._Element], bool] | None = None) -> list[TocEntry]:
    out: list[TocEntry] = []
    for div in el.iterchildren(t("div")):
        if skip and skip(div):
            continue
        title = div_title(div) if div.find(t("head")) is not None else ""
        xid = div.get(XML_ID)
        if title and xid:
            out.append({"title": title, "url": f"#{xid}", "level": depth})
        out.extend(toc_of(div, page_url, depth + 1, skip))
    return out


class FileSink(Protocol):
    """Where the writer's files go (``edition.engine.sink``: a directory, or memory)."""

    def write(self, rel: str, data: bytes) -> None: ...


class InMemory:
    """A sink that keeps the files in memory (a file of the site wanted without a site:
    ``links.json`` for ``edition export``)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def write(self, rel: str, data: bytes) -> None:
        self.files[rel] = data


class SiteWriter:
    """Renders the pages of an edition into a sink (each file once)."""

    def __init__(
        self, edition: Edition, sink: FileSink, diags: Diagnostics, env: jinja2.Environment | None = None,
        bundle: bool = False,
    ) -> None:
        self.edition = edition
        self.bundle = bundle
        """Pages link the archival bundle ``export/`` (issue 22): only when the run writes it."""
        self.config = edition.config
        self.sink = sink
        self.diags = diags
        self.env: jinja2.Environment = env or make_env(edition.config)  # serve reuses compiled templates
        self.plan = plan(edition)
        self.written: set[str] = set()
        self.quotes = self._quote_entries()

    @functools.cached_property
    def reading_order(self) -> tuple[list[Text], dict[str, int]]:
        """Texts in the order of the index page, and each text's position (sorted once
        per build: sorting per page made a 10,000-text build quadratic)."""
        order = sorted(self.edition.texts.values(), key=lambda x: (x.meta.date or "9999", x.meta.title))
        return order, {x.id: k for k, x in enumerate(order)}

    # -- helpers ------------------------------------------------------------
    def write(self, rel: str, data: str | bytes) -> None:
        if rel in self.written:
            raise RuntimeError(f"{rel} written twice")  # a bug, not a content error
        self.written.add(rel)
        self.sink.write(rel, data.encode("utf-8") if isinstance(data, str) else data)

    def base(self, page_url: str, title: str, lang: str) -> PageContext:
        return PageContext(
            site_title=self.config.title,
            site_subtitle=self.config.subtitle,
            base_url=self.config.base_url,
            root=root_of(page_url),
            lang=normalise_lang(lang),  # BCP 47 case (zh-hans -> zh-Hans, zh_CN -> zh-CN)
            title=title,
            description=self.config.description or "",
            canonical=(self.config.base_url + page_url) if self.config.base_url else "",
            breadcrumbs=[],
            prev=None,
            next=None,
            toc=[],
            notes=[],
            bundle=self.bundle_view(page_url),
            extra={},
        )

    def bundle_view(self, page_url: str, size: int | None = None) -> BundleView | None:
        """The links to the bundle from ``page_url`` (relative: any base URL, ``file://`` and the
        preview), or None when this run writes no bundle (no dead link)."""
        if not self.bundle:
            return None
        return BundleView(url=relative(page_url, SITE_BUNDLE), report_url=relative(page_url, SITE_REPORT),
                          size=human_size(size) if size is not None else "")

    def _quote_entries(self) -> dict[str, dict[str, list[QuoteEntry]]]:
        """text id -> xml:id of the block after which to show -> entries."""
        out: dict[str, dict[str, list[QuoteEntry]]] = {}
        texts = self.edition.texts
        for link in self.edition.links:
            for here, there, rel in ((link.a, link.b, "a"), (link.b, link.a, "b")):
                if here.text not in texts or there.text not in texts:
                    continue
                if link.direction is None:
                    relation = "shared with"
                elif (link.direction == "a->b") == (rel == "a"):
                    relation = "quotes"
                else:
                    relation = "quoted in"
                other = texts[there.text]
                title = other.meta.title
                page = self.plan.anchor_page.get(there.text, {}).get(there.anchor)
                if page and page != self.plan.pages[there.text][0].url:
                    title = f"{title}: {next((p.title for p in self.plan.pages[there.text] if p.url == page), '')}"
                block = self._block_of(here.text, here.anchor)
                entry = QuoteEntry(relation, title, there.quote, other.meta.lang, link.kind, link.score,
                                   self.plan.url(there.text, self.plan.seg_for(there) or there.anchor),
                                   compare_url(link))
                out.setdefault(here.text, {}).setdefault(block, []).append(entry)
        return out

    @functools.cached_property
    def _by_source(self) -> dict[str, str]:
        """Text id by source path (relative to the content directory)."""
        return {tx.source.as_posix(): tid for tid, tx in self.edition.texts.items()}

    def _source_link(self, text: Text, target: str, url_for: Callable[[str, str], str]) -> str | None:
        """The page of the source a relative link of ``text`` names (``b.md#p3``:
        that text's paragraph p3), or None (an address, a file that is no text)."""
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
            return None
        path = posixpath.normpath(posixpath.join(text.source.parent.as_posix(), unquote(parts.path)))
        tid = self._by_source.get(path)
        return url_for(tid, parts.fragment) if tid is not None else None

    def _block_of(self, text_id: str, anchor: str) -> str:
        """The xml:id of the rendered block (p, item, quote) holding ``anchor``."""
        el = self.plan.element(text_id, anchor)
        while el is not None and local(el) not in ("p", "item", "quote", "head"):
            el = el.getparent()
        parent = el.getparent() if el is not None else None
        if el is not None and local(el) == "p" and parent is not None and local(parent) == "note":
            return anchor
        return (el.get(XML_ID) if el is not None else None) or anchor

    def render_fragment(self, el: etree._Element, text: Text, page: Page,
                        title: dict[str, str | Markup] | None = None) -> tuple[Markup, list[NoteView]]:
        """Render ``el`` for ``page``. With ``title`` (a dict to fill), the division's own
        ``head`` becomes the page's h1 (``title["html"]``, ``title["id"]``) instead of
        standing again under it in the body (a work page would show its title twice)."""

        def url_for(tid: str, xid: str) -> str:
            return relative(page.url, self.plan.url(tid, xid))

        def source_link(target: str) -> str | None:
            return self._source_link(text, target, url_for)

        ctx = RenderContext(text.id, text.meta.lang, url_for, quotes=self.quotes.get(text.id, {}), source_link=source_link,
                            rel=lambda u: relative(page.url, u), cite=cite_info(self.config, text, page),
                            passages=self.plan.passage_anchors.get(text.id, {}))
        ctx.depth = 1
        ctx.page = _page_before(el)  # the printed page a work starts on
        head = el.find(t("head")) if title is not None else None
        if title is not None and head is not None:
            title["html"] = children(head, ctx)  # first: its notes come first, as in the text
            title["id"] = head.get(XML_ID) or ""
            ctx.skip.append(head)
        html = render(el, ctx)
        notes = [
            NoteView(id=n.id, mark=n.mark, kind=n.kind, label=note_label(n.kind, text.meta.lang), html=n.html)
            for n in ctx.notes
            if n.kind != "inline"
        ]
        return html, notes

    # -- pages --------------------------------------------------------------
    def text_pages(self, text: Text) -> None:
        pages = self.plan.pages[text.id]
        main = pages[0]
        works = pages[1:]
        root = text.root.find(t("text"))
        assert root is not None
        lang = text.meta.lang
        ctx = self.base(main.url, text.meta.title, lang)
        ctx["description"] = text_description(text)  # Open Graph and <meta name=description> per text
        ctx["meta"] = text.meta
        ctx["text_id"] = text.id
        ctx["tei_url"] = relative(main.url, f"tei/{text.id}.xml")
        ctx["source_url"] = relative(main.url, f"sources/{text.source.as_posix()}")
        ctx["breadcrumbs"] = [{"title": self.config.title, "url": relative(main.url, "index.html")}]
        work_ids = {id(p.element) for p in works}
        if works:
            # the volume page: front matter, the list of works, back matter; works on their own pages
            parts: list[Markup] = []
            notes: list[NoteView] = []
            for child in root:
                if local(child) == "body":
                    continue
                html, ns = self.render_fragment(child, text, main)
                parts.append(html)
                notes.extend(ns)
            ctx["content"] = Markup("".join(parts))
            ctx["notes"] = notes
            ctx["works"] = [
                {"title": p.title, "url": relative(main.url, p.url), "date": p.date, "genre": p.genre,
                 "parent": _parent_title(p.element)}
                for p in works
            ]
            front = root.find(t("front"))
            ctx["toc"] = toc_of(front if front is not None else root, main.url)
            self.write(main.url, render_page(self.env, "volume.html", ctx, self.config, self.diags))
            for i, p in enumerate(works):
                assert p.element is not None
                wctx = self.base(p.url, p.title, lang)
                wctx["description"] = f"{p.title} ({p.date}), in {text_description(text)}" if p.date else f"{p.title}, in {text_description(text)}"
                wctx["meta"] = text.meta
                wctx["text_id"] = text.id
                wctx["tei_url"] = relative(p.url, f"tei/{text.id}.xml")
                wctx["source_url"] = relative(p.url, f"sources/{text.source.as_posix()}")
                wctx["breadcrumbs"] = [
                    {"title": self.config.title, "url": relative(p.url, "index.html")},
                    {"title": text.meta.title, "url": relative(p.url, main.url)},
                ]
                if i > 0:
                    wctx["prev"] = NavItem(title=works[i - 1].title, url=relative(p.url, works[i - 1].url))
                if i + 1 < len(works):
                    wctx["next"] = NavItem(title=works[i + 1].title, url=relative(p.url, works[i + 1].url))
                title: dict[str, str | Markup] = {}
                html, notes = self.render_fragment(p.element, text, p, title)
                wctx["content"] = html
                wctx["notes"] = notes
                wctx["toc"] = toc_of(p.element, p.url)
                wctx["extra"] = {"date": p.date, "genre": p.genre, "title_html": title.get("html"),
                                 "title_id": title.get("id")}
                self.write(p.url, render_page(self.env, "text.html", wctx, self.config, self.diags))
            del work_ids
            return
        # previous / next text, in the order of the index page
        order, position = self.reading_order
        i = position[text.id]
        if i > 0:
            ctx["prev"] = NavItem(title=order[i - 1].meta.title, url=relative(main.url, self.plan.url(order[i - 1].id)))
        if i + 1 < len(order):
            ctx["next"] = NavItem(title=order[i + 1].meta.title, url=relative(main.url, self.plan.url(order[i + 1].id)))
        html, notes = self.render_fragment(root, text, main)
        ctx["content"] = html
        ctx["notes"] = notes
        body = root.find(t("body"))
        ctx["toc"] = toc_of(body, main.url) if body is not None else []
        self.write(main.url, render_page(self.env, "text.html", ctx, self.config, self.diags))

    def index(self, bundle_size: int | None = None) -> None:
        """The list of texts; with the archival bundle's size when it is known (written last by
        a full run, so that the zip is made by then; serve: the zip the site holds now)."""
        ctx = self.base("index.html", self.config.title, (self.config.languages or ("en",))[0])
        ctx["bundle"] = self.bundle_view("index.html", bundle_size)
        ctx["texts"] = [
            {
                "id": tx.id,
                "title": tx.meta.title,
                "authors": tx.meta.authors,
                "date": tx.meta.date,
                "lang": tx.meta.lang,
                "url": self.plan.pages[tx.id][0].url,
                "works": len(self.plan.pages[tx.id]) - 1,
                "inferred": sorted(tx.meta.inferred),
            }
            for tx in sorted(self.edition.texts.values(), key=lambda x: (x.meta.date or "9999", x.meta.title))
        ]
        ctx["extra"] = {"editors": list(self.config.editors), "links": len(self.edition.links)}
        self.write("index.html", render_page(self.env, "index.html", ctx, self.config, self.diags))

    def static(self) -> None:
        for base in reversed(self.config.template_dirs):
            static = base / "static"
            if static.is_dir():
                for f in sorted(static.rglob("*")):
                    if f.is_file():
                        rel = "assets/" + f.relative_to(static).as_posix()
                        if rel in self.written:
                            self.written.discard(rel)  # the edition's own file overrides the package's
                        self.write(rel, f.read_bytes())

    def source(self, text: Text) -> None:
        """Copy a text's source file and its sidecar, byte for byte."""
        if text.path is None:
            return
        self.write(f"sources/{text.source.as_posix()}", text.path.read_bytes())
        meta = text.meta.meta_path
        if meta and meta != text.source:
            self.write(f"sources/{meta.as_posix()}", (self.config.content_dir / meta).read_bytes())


def _page_before(el: etree._Element) -> str:
    """``n`` of the last page break before ``el`` in document order ("" if none)."""
    found = elements(el, "preceding::tei:pb[@n][1]")
    return (found[0].get("n") or "") if found else ""


def text_description(text: Text) -> str:
    """One line about a text: its own description, else author, title and date."""
    m = text.meta
    if m.description:
        return " ".join(m.description.split())
    who = ", ".join(m.authors)
    return f"{who + ': ' if who else ''}{m.title}{f' ({m.date})' if m.date else ''}"


def _parent_title(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    parent = el.getparent()
    if parent is not None and local(parent) == "div" and not WORK_ID.match(parent.get(XML_ID) or ""):
        return div_title(parent) or None
    return None


# -- addresses and citations of the site's pages ---------------------------------------------


def compare_url(link: Link) -> str:
    return f"links/{safe_id(link.id)}.html"


def safe_id(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", s).strip("-") or "link"


def cite_info(config: Any, text: Any, page: Any) -> CiteInfo:
    """The formatted citation of a page (the paragraph's place is added by the renderer):
    ``Author, “Work”, in Volume (date), in Edition``; the permalink is absolute with ``base_url``."""
    meta = text.meta
    who = ", ".join(meta.authors)
    if getattr(page, "kind", "text") == "work":
        what = f"“{page.title}”, in {meta.title}"
        date = getattr(page, "date", None) or meta.date
    else:
        what = f"“{meta.title}”"
        date = meta.date
    parts = [p for p in (who, what) if p]
    citation = ", ".join(parts) + (f" ({date})" if date else "")
    if config.title and config.title != meta.title:
        citation += f", in {config.title}"
    url = (config.base_url + page.url) if config.base_url else page.url
    return CiteInfo(citation, url)


__all__ = ["BUNDLE_NAME", "SITE_BUNDLE", "SITE_EXPORT", "SITE_REPORT", "InMemory", "SiteWriter", "cite_info", "compare_url", "plan", "relative", "safe_id"]
