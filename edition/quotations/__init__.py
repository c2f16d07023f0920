"""Quotations shared between texts, across languages, at scale (issue 4).

Public API (called by the pipeline after every text is read and has ids)::

    links = detect(edition)          # -> list[Link]
    mark(edition, links)             # <seg type="quotation"> + standOff/linkGrp
    data = links_json(edition, links, url_for)   # the OUT/links.json contract

How detection works (details in each module):

- :mod:`.teiio` reads each text's blocks (``p``, ``head``, ``item``, notes'
  paragraphs...) with their xml:ids and reading text;
- :mod:`.corpus` tokenises every block once into flat arrays (words, or Han
  characters), folding case, width, quotes, hyphenation, ``/``-for-``l`` OCR
  slips and traditional characters (:mod:`.normalize`);
- :mod:`.monolingual` finds shared passages in one language with hashed
  n-gram seeds, an inverted index (a sort), chaining and local alignment;
- :mod:`.crosslingual` finds Chinese-English translations with a pluggable
  :class:`CrossLingualMatcher` (default: CC-CEDICT + jieba + OpenCC);
- :mod:`.detector` scores (calibrated on ``bench/quotations``), filters and
  directs the hits.

A passage that crosses two blocks is linked on its larger part (the block
holding most of its tokens); the rest of it is left out of the link.
"""

from __future__ import annotations

from typing import Any

from ..config import CONFIG_NAME, base_lang
from ..contract import links_json
from ..errors import Location
from ..model import Edition, Link, Passage, seg_id
from ..tei import XML_ID, t
from ..textfold import fold_text
from .corpus import Block, Doc
from .crosslingual import CedictMatcher
from .detector import Hit, Settings, find_hits
from .embedding import EmbeddingMatcher
from .matcher import CrossLingualMatcher, get_matcher, register_matcher
from .teiio import insert_anchor, read_blocks, wrap

__all__ = [
    "CedictMatcher",
    "CrossLingualMatcher",
    "EmbeddingMatcher",
    "detect",
    "docs_from_edition",
    "fold_text",
    "get_matcher",
    "links_json",
    "mark",
    "register_matcher",
    "seg_id",
]


def docs_from_edition(edition: Edition) -> list[Doc]:
    docs = []
    for text in edition.texts.values():
        blocks, dates = read_blocks(text.root)
        docs.append(Doc(text.id, base_lang(text.meta.lang or "und"), blocks, text.meta.date, dates))
    return docs


def _passage(doc: Doc, block_idx: int, start: int, end: int) -> Passage:
    b: Block = doc.blocks[block_idx]
    return Passage(doc.id, b.anchor, b.text[start:end], start, end)


def links_from_hits(docs: list[Doc], hits: list[Hit]) -> list[Link]:
    out = []
    for n, h in enumerate(hits, 1):
        out.append(
            Link(
                id=f"quot{n}",
                kind=h.kind,  # type: ignore[arg-type]
                score=round(h.score, 3),
                a=_passage(docs[h.a.doc], h.a.block, h.a.start, h.a.end),
                b=_passage(docs[h.b.doc], h.b.block, h.b.start, h.b.end),
                direction=h.direction,  # type: ignore[arg-type]
            )
        )
    return out


def detect(edition: Edition) -> list[Link]:
    """Every quotation shared by two texts or two distant places of one text."""
    qs = edition.config.quotations
    settings = Settings(
        min_words=qs.min_words,
        min_chars=qs.min_chars,
        threshold=qs.threshold,
        matcher=qs.matcher,
        exact_pairs=qs.exact_pairs,
    )
    docs = docs_from_edition(edition)
    matcher = get_matcher(settings.matcher)
    matcher.handed_over = None  # one registered instance serves every build: forget the last one's
    matcher.approximate = None
    links = links_from_hits(docs, find_hits(docs, settings))
    budget = matcher.exact_budget or 0
    over = matcher.handed_over
    if over:
        edition.diagnostics.info(
            Location(CONFIG_NAME),
            f"quotations: {over[1]:,} sentences in '{over[0]}' and {over[3]:,} in '{over[2]}' are more than the"
            f" '{matcher.name}' matcher embeds ({matcher.ann_sentences or 0:,}); translations between"
            " them were looked for by the lexical 'cedict' matcher, which finds far fewer (README, 'Known limits')",
            "matcher-handed-over",
        )
    near = matcher.approximate
    if near:
        edition.diagnostics.info(
            Location(CONFIG_NAME),
            f"quotations: {near[1]:,} sentences in '{near[0]}' and {near[3]:,} in '{near[2]}' make more pairs than"
            f" the '{matcher.name}' matcher compares exactly ({budget:.2g}, quotations.exact_pairs); their nearest"
            " sentences were searched in an approximate index, which may miss a few translations",
            "matcher-approximate",
        )
    return links


# ---------------------------------------------------------------------------
# TEI


def _standoff_group(root: Any, tag: str, type_: str) -> Any:
    from lxml import etree

    so = root.find(t("standOff"))
    if so is None:
        so = etree.SubElement(root, t("standOff"))
    for g in so.findall(t(tag)):
        if g.get("type") == type_:
            return g
    g = etree.SubElement(so, t(tag))
    g.set("type", type_)
    return g


def mark(edition: Edition, links: list[Link]) -> None:
    """Mark every linked passage in place and list the links in standOff.

    Each passage becomes ``<seg type="quotation" xml:id="{seg_id}">`` (or an
    ``<anchor>`` pair plus ``standOff/spanGrp/span`` when the span overlaps
    markup). Each text involved gets ``standOff/linkGrp[@type='quotation']``
    with one ``<link xml:id target="#here OTHER.xml#there" type=KIND
    cert=SCORE subtype=quotes|quoted-by>``; ``cert`` holds the score (a
    probability, as ``teidata.probCert`` allows) and ``subtype`` the direction
    seen from the first target.
    """
    from lxml import etree

    # 1. mark passages, outer spans first so that inner ones nest inside them
    target_of: dict[tuple[str, str, int, int], str] = {}
    passages = {(p.text, p.anchor, p.start, p.end): p for lk in links for p in (lk.a, lk.b)}
    by_text: dict[str, list[Passage]] = {}
    for p in passages.values():
        by_text.setdefault(p.text, []).append(p)
    for tid, plist in by_text.items():
        text = edition.texts.get(tid)
        if text is None:
            continue
        root = text.root
        index = {el.get(XML_ID): el for el in root.iter() if isinstance(el.tag, str) and el.get(XML_ID)}
        for p in sorted(plist, key=lambda p: (p.anchor, p.start, -(p.end - p.start))):
            el = index.get(p.anchor)
            sid = seg_id(p)
            key = (p.text, p.anchor, p.start, p.end)
            if el is None:
                continue
            if sid in index:  # marked by an earlier run
                target_of[key] = sid
                continue
            if wrap(el, p.start, p.end, sid):
                target_of[key] = sid
                continue
            # overlapping markup: anchors (end first, so the start offset stays valid)
            if insert_anchor(el, p.end, True, f"{sid}-e") and insert_anchor(el, p.start, False, f"{sid}-s"):
                grp = _standoff_group(root, "spanGrp", "quotation")
                span = etree.SubElement(grp, t("span"))
                span.set(XML_ID, sid)
                span.set("from", f"#{sid}-s")
                span.set("to", f"#{sid}-e")
                target_of[key] = sid
            index[sid] = el
    # 2. links, in every text they touch
    for lk in links:
        ka = (lk.a.text, lk.a.anchor, lk.a.start, lk.a.end)
        kb = (lk.b.text, lk.b.anchor, lk.b.start, lk.b.end)
        if ka not in target_of or kb not in target_of:
            continue
        sides = [(lk.a, ka, kb, "quotes" if lk.direction == "a->b" else "quoted-by")]
        if lk.b.text != lk.a.text:
            sides.append((lk.b, kb, ka, "quotes" if lk.direction == "b->a" else "quoted-by"))
        for here, kh, ko, sub in sides:
            text = edition.texts.get(here.text)
            if text is None:
                continue
            grp = _standoff_group(text.root, "linkGrp", "quotation")
            link = etree.SubElement(grp, t("link"))
            link.set(XML_ID, lk.id)
            link.set("type", lk.kind)
            if lk.direction:
                link.set("subtype", sub)
            link.set("cert", f"{lk.score:.3f}")
            there = f"#{target_of[ko]}" if ko[0] == here.text else f"{ko[0]}.xml#{target_of[ko]}"
            link.set("target", f"#{target_of[kh]} {there}")


