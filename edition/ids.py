"""Stable ``xml:id`` on every division, paragraph and note (per text).

Ids are numbered in document order per kind (``d3``, ``p41``, ``n2``), so the
same source gives the same ids on every build; ids a reader already set (the
works of a volume: ``w01``) are kept. Ids are NCNames, unique in the document.
"""

from __future__ import annotations

from .errors import Diagnostics
from .model import Text
from .tei import XML_ID, local, t

PREFIX = {
    "div": "d",
    "head": "h",
    "p": "p",
    "note": "n",
    "item": "i",
    "list": "l",
    "quote": "q",
    "cit": "c",
    "opener": "o",
    "closer": "c",
    "dateline": "dl",
    "salute": "s",
    "signed": "sg",
    "byline": "by",
    "stage": "st",
    "lg": "lg",
    "l": "v",
    "table": "t",
    "figure": "f",
    "trailer": "tr",
    "titlePart": "tp",
    "bibl": "b",
    "docDate": "dd",
}


def assign(text: Text, diags: Diagnostics) -> None:
    root = text.root
    body = root.find(t("text"))
    if body is None:
        return
    used = {el.get(XML_ID) for el in root.iter() if isinstance(el.tag, str) and el.get(XML_ID)}
    counters: dict[str, int] = {}
    for el in body.iter(*(t(k) for k in PREFIX)):
        if el.get(XML_ID):
            continue
        name = local(el)
        # a bibl inside a note or cit is part of its parent's passage: no id of its own
        parent = el.getparent()
        if name == "bibl" and parent is not None and local(parent) in ("note", "cit"):
            continue
        prefix = PREFIX[name]
        while True:
            counters[prefix] = counters.get(prefix, 0) + 1
            new = f"{prefix}{counters[prefix]}"
            if new not in used:
                break
        el.set(XML_ID, new)
        used.add(new)
