"""Quotation links across runs: detected on copies of the phase-1 trees, carried over an edit
(:func:`revalidate`), marked again only in the texts whose source or links changed."""

from __future__ import annotations

import copy
from dataclasses import replace

from .. import pipeline
from ..config import Config
from ..errors import Diagnostics
from ..model import Edition, Link, Text
from ..tei import XML_ID, text_content


def copy_text(text: Text) -> Text:
    """The text with a copy of its tree (quotations.mark edits trees in place)."""
    return Text(
        id=text.id,
        source=text.source,
        meta=text.meta,
        tree=copy.deepcopy(text.tree),
        path=text.path,
        digest=text.digest,
    )


def detect(config: Config, texts: dict[str, Text]) -> list[Link]:
    """Run the cross-text steps on copies of ``texts``; the links they found."""
    edition = Edition(config=config, diagnostics=Diagnostics())
    edition.texts = {tid: copy_text(tx) for tid, tx in texts.items()}
    pipeline.across(edition)
    return list(edition.links)


def mark_keys(texts: dict[str, Text], links: list[Link]) -> dict[str, object]:
    """What each text's marked tree depends on: its phase-1 tree and the links that touch it."""
    by_text: dict[str, list[Link]] = {}
    for ln in links:
        by_text.setdefault(ln.a.text, []).append(ln)
        if ln.b.text != ln.a.text:
            by_text.setdefault(ln.b.text, []).append(ln)
    return {tid: (id(tx), tx.digest, tuple(by_text.get(tid, ()))) for tid, tx in texts.items()}


def neighbours(links: list[Link], ids: set[str]) -> set[str]:
    """The texts linked to any of ``ids`` (and those of ``ids`` that have links)."""
    out: set[str] = set()
    for link in links:
        if link.a.text in ids or link.b.text in ids:
            out.add(link.a.text)
            out.add(link.b.text)
    return out


def _reading_texts(text: Text, anchors: set[str]) -> dict[str, str]:
    """xml:id -> reading text of the blocks named by ``anchors``, as quotation detection reads
    them (``quotations.teiio.read_blocks`` takes ``tei.text_content`` of each block)."""
    return {
        el.get(XML_ID) or "": text_content(el)
        for el in text.root.iter()
        if isinstance(el.tag, str) and el.get(XML_ID) in anchors
    }


def revalidate(links: list[Link], texts: dict[str, Text], changed: set[str]) -> list[Link]:
    """Links carried over an edit: dropped when a side's text is gone or its passage no longer
    stands in its block; re-anchored (new offsets) when the passage moved inside the block."""
    wanted: dict[str, set[str]] = {}
    for ln in links:
        for p in (ln.a, ln.b):
            if p.text in changed:
                wanted.setdefault(p.text, set()).add(p.anchor)
    readings: dict[str, dict[str, str]] = {}
    out: list[Link] = []
    for ln in links:
        if ln.a.text not in texts or ln.b.text not in texts:
            continue
        sides = []
        for p in (ln.a, ln.b):
            if p.text in changed:
                if p.text not in readings:
                    readings[p.text] = _reading_texts(texts[p.text], wanted.get(p.text, set()))
                block = readings[p.text].get(p.anchor)
                if block is None:
                    break
                if block[p.start : p.end] != p.quote:
                    i = block.find(p.quote)
                    if i < 0:
                        break
                    p = replace(p, start=i, end=i + len(p.quote))
            sides.append(p)
        else:
            out.append(replace(ln, a=sides[0], b=sides[1]) if (sides[0], sides[1]) != (ln.a, ln.b) else ln)
    return out


def marked_texts(
    config: Config,
    phase1: dict[str, Text],
    links: list[Link],
    marked: dict[str, tuple[object, Text]],
    diags: Diagnostics,
) -> dict[str, Text]:
    """Marked copies of the phase-1 trees, re-marking only texts whose source or links changed
    (``marked``, updated: text id -> (what its marks depend on, the marked text))."""
    keys = mark_keys(phase1, links)
    stale = {tid for tid in phase1 if marked.get(tid, (None,))[0] != keys[tid]}
    if stale:
        # quotations.mark needs both sides of a link; the other side's copy is thrown away
        involved = stale | neighbours(links, stale)
        sub = Edition(config=config, diagnostics=diags)
        sub.texts = {tid: copy_text(phase1[tid]) for tid in involved if tid in phase1}
        touching = [ln for ln in links if ln.a.text in stale or ln.b.text in stale]
        if touching:
            try:
                from .. import quotations

                quotations.mark(sub, touching)
            except Exception as exc:
                from .state import quotation_warning

                quotation_warning(diags, "marking", exc)
        for tid in stale:
            marked[tid] = (keys[tid], sub.texts[tid])
    for tid in list(marked):
        if tid not in phase1:
            del marked[tid]
    return {tid: marked[tid][1] for tid in phase1}


__all__ = ["copy_text", "detect", "mark_keys", "marked_texts", "neighbours", "revalidate"]
