"""``search.html``: the page the search index (:mod:`edition.search`) answers on."""

from __future__ import annotations

from ..site import SiteWriter
from .common import page


def search_page(writer: SiteWriter) -> None:
    page(writer, "search.html", "search.html", "Search")


__all__ = ["search_page"]
