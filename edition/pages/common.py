"""What the edition-wide pages share: the page frame, the language of the interface, where a
passage is shown."""

from __future__ import annotations

from typing import Any

from ..model import Link, Passage
from ..render.templates import render_page
from ..site import SiteWriter, relative


def valid_links(writer: SiteWriter) -> list[Link]:
    texts = writer.edition.texts
    return [ln for ln in writer.edition.links if ln.a.text in texts and ln.b.text in texts]


def page(writer: SiteWriter, url: str, template: str, title: str, lang: str | None = None, **ctx: Any) -> None:
    base = writer.base(url, title, lang or ui_lang(writer))
    base["breadcrumbs"] = [] if url in ("index.html", "404.html") else [
        {"title": writer.config.title, "url": relative(url, "index.html")}]
    base.update(ctx)  # type: ignore[typeddict-item]
    writer.write(url, render_page(writer.env, template, base, writer.config, writer.diags))


def ui_lang(writer: SiteWriter) -> str:
    return (writer.config.languages or ("en",))[0]


def passage_url(writer: SiteWriter, p: Passage) -> str:
    """Site-relative URL of a passage: its quotation seg if it has one, else its anchor."""
    return writer.plan.url(p.text, writer.plan.seg_for(p) or p.anchor)


def work_title(writer: SiteWriter, p: Passage) -> str | None:
    """Title of the work (inside a volume) that holds a passage, if any."""
    page_url = writer.plan.anchor_page.get(p.text, {}).get(p.anchor)
    return next((pg.title for pg in writer.plan.pages[p.text][1:] if pg.url == page_url), None)


def quoting_side(link: Link) -> tuple[Passage, Passage]:
    """(the passage that quotes, the passage quoted); ``a`` first when the direction is unknown."""
    return (link.b, link.a) if link.direction == "b->a" else (link.a, link.b)


def excerpt_of(s: str, n: int = 140) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


__all__ = ["excerpt_of", "page", "passage_url", "quoting_side", "ui_lang", "valid_links", "work_title"]
