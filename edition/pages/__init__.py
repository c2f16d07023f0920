"""The edition-wide pages and files, each module named for what it writes: :mod:`.links`
(``links.json``, the links pages, a page per link), :mod:`.searchpage` (``search.html``),
:mod:`.notfound` (``404.html``), :mod:`.feed` (``feed.xml``), :mod:`.sitemap` (``sitemap.xml``,
``robots.txt``).

Everything here is deterministic: no build time, no random order (issue 6: two builds of the
same sources are byte-identical). Dates in the feed come from the texts' own dates.
"""

from __future__ import annotations

from ..site import SiteWriter
from .feed import feed
from .links import links_json, links_pages
from .notfound import not_found
from .searchpage import search_page
from .sitemap import robots, sitemap


def write_all(writer: SiteWriter) -> None:
    links_json(writer)
    links_pages(writer)
    search_page(writer)
    not_found(writer)
    feed(writer)
    sitemap(writer)  # last: it lists every page written before it
    robots(writer)


__all__ = ["write_all"]
