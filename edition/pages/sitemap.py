"""``sitemap.xml`` (every HTML page, with ``base_url``) and ``robots.txt``, which points to it."""

from __future__ import annotations

from lxml import etree
from lxml.builder import ElementMaker

from ..site import SiteWriter

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"


def sitemap(writer: SiteWriter) -> None:
    """sitemap.xml lists every HTML page (absolute URLs: only with ``base_url``)."""
    base = writer.config.base_url
    if not base:
        return
    S = ElementMaker(namespace=SITEMAP, nsmap={None: SITEMAP})  # noqa: N806
    # index.html is written after this (last in a full run, when the archival bundle's size is known)
    pages = sorted({"index.html", *(p for p in writer.written if p.endswith(".html") and p != "404.html")})
    root = S.urlset(*(S.url(S.loc(base + p)) for p in pages))
    etree.indent(root, space="")
    writer.write("sitemap.xml", etree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")


def robots(writer: SiteWriter) -> None:
    lines = ["User-agent: *", "Allow: /"]
    if writer.config.base_url:
        lines.append(f"Sitemap: {writer.config.base_url}sitemap.xml")
    writer.write("robots.txt", "\n".join(lines) + "\n")


__all__ = ["robots", "sitemap"]
