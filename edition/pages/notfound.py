"""``404.html``, the page a static host serves for any missing path."""

from __future__ import annotations

from urllib.parse import urlsplit

from ..render.templates import render_page
from ..site import SITE_BUNDLE, SITE_REPORT, SiteWriter
from .common import ui_lang


def not_found(writer: SiteWriter) -> None:
    """404.html is served for any missing path, so relative links would break below the
    root: it links from the site's own path (the path of ``base_url``), or ``/``."""
    root = urlsplit(writer.config.base_url).path or "/" if writer.config.base_url else "/"
    base = writer.base("404.html", "Page not found", ui_lang(writer))
    base["root"] = root if root.endswith("/") else root + "/"
    base["canonical"] = ""
    if base["bundle"] is not None:  # from the root too
        base["bundle"] = {**base["bundle"], "url": base["root"] + SITE_BUNDLE, "report_url": base["root"] + SITE_REPORT}
    writer.write("404.html", render_page(writer.env, "404.html", base, writer.config, writer.diags))


__all__ = ["not_found"]
