"""``feed.xml``: an Atom feed of the texts (deterministic: dates come from the texts' own dates,
never the build's time)."""

from __future__ import annotations

from lxml import etree
from lxml.builder import ElementMaker

from ..site import SiteWriter, safe_id
from ..tei import XML_LANG
from .common import ui_lang

ATOM = "http://www.w3.org/2005/Atom"


def atom_date(date: str | None) -> str:
    """``1927`` -> ``1927-01-01T00:00:00Z`` (Atom wants a full timestamp)."""
    d = (date or "1970")[:10]
    parts = d.split("-")
    while len(parts) < 3:
        parts.append("01")
    return "-".join(parts) + "T00:00:00Z"


def feed(writer: SiteWriter) -> None:
    """An Atom feed of the texts (newest by date first). Ids and links are absolute when
    ``base_url`` is set, as Atom wants; otherwise relative to the feed."""
    A = ElementMaker(namespace=ATOM, nsmap={None: ATOM})  # noqa: N806 - the element maker, as in lxml docs
    cfg = writer.config
    base = cfg.base_url
    texts = sorted(writer.edition.texts.values(), key=lambda x: (x.meta.date or "", x.id), reverse=True)
    updated = max((atom_date(x.meta.date) for x in texts), default=atom_date(None))
    urn = f"urn:edition:{safe_id(cfg.title)}"
    root = A.feed(A.title(cfg.title))
    root.set(XML_LANG, ui_lang(writer))
    if cfg.subtitle:
        root.append(A.subtitle(cfg.subtitle))
    root.extend([A.id(base or urn), A.updated(updated), A.link(rel="self", href=base + "feed.xml"),
                 A.link(rel="alternate", type="text/html", href=base + "index.html")])
    for name in list(cfg.editors) or [cfg.publisher or "The editors"]:
        root.append(A.author(A.name(name)))
    for tx in texts:
        url = base + writer.plan.url(tx.id)
        entry = A.entry(A.title(tx.meta.title), A.id(url if base else f"{urn}:{tx.id}"),
                        A.link(rel="alternate", type="text/html", href=url), A.updated(atom_date(tx.meta.date)))
        entry.set(XML_LANG, tx.meta.lang)
        entry.extend(A.author(A.name(a)) for a in tx.meta.authors)
        summary = tx.meta.description or tx.meta.source or ""
        if summary:
            entry.append(A.summary(" ".join(summary.split())))
        root.append(entry)
    etree.indent(root, space="")
    writer.write("feed.xml", etree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")


__all__ = ["atom_date", "feed"]
