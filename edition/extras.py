"""Edition-wide pages and files: links.json, the links page, 404, sitemap, robots.txt, feed."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .site import SiteWriter


def write_all(writer: SiteWriter) -> None:
    links_json(writer)


def links_json(writer: SiteWriter) -> None:
    from . import export

    edition = writer.edition
    try:
        from . import quotations
    except ImportError:  # pragma: no cover
        return

    def url_for(text_id: str, anchor: str) -> str:
        return writer.plan.url(text_id, anchor)

    data = quotations.links_json(edition, edition.links, url_for)
    writer.write("links.json", export.dumps(data))
