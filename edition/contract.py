"""The ``OUT/links.json`` contract (version 1): the texts and the quotation links between them,
as other tools read them. The site writes it (:mod:`edition.pages.links`) with its own
addresses; :mod:`edition.quotations` re-exports it for callers of its public API."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .model import Edition, Link, Passage


def links_json(edition: Edition, links: list[Link], url_for: Callable[[str, str], str],
               passage_url: Callable[[Passage], str] | None = None) -> dict[str, Any]:
    """The ``OUT/links.json`` contract (version 1). ``url_for(text_id, anchor)``
    is the site's; it is called with ``anchor=""`` for a text's own page.
    ``passage_url``: the site's address of a passage itself (its mark), else
    the passage's url is its holding element's."""
    texts = []
    for text in edition.texts.values():
        texts.append({
            "id": text.id,
            "source": text.source.as_posix(),
            "title": text.meta.title,
            "lang": text.meta.lang,
            "url": url_for(text.id, ""),
        })

    def side(p: Passage) -> dict[str, Any]:
        url = passage_url(p) if passage_url is not None else url_for(p.text, p.anchor)
        return {"text": p.text, "anchor": p.anchor, "quote": p.quote, "url": url}

    return {
        "version": 1,
        "texts": texts,
        "links": [
            {"id": lk.id, "kind": lk.kind, "score": lk.score, "direction": lk.direction,
             "a": side(lk.a), "b": side(lk.b)}
            for lk in links
        ],
    }


def dumps(data: object) -> str:
    """The JSON form of the site's data files (``links.json``, the export's reports)."""
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


__all__ = ["dumps", "links_json"]
