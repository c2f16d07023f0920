"""The quotation links of the edition: ``links.json``, the links page (one per sort order, with
the network of texts), and one page per link showing its two passages side by side."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from markupsafe import Markup, escape

from ..contract import dumps
from ..contract import links_json as contract
from ..model import Link, Passage
from ..site import SiteWriter, compare_url, relative, safe_id
from ..tei import text_content
from ..textfold import tokenize
from .common import excerpt_of, page, passage_url, quoting_side, valid_links, work_title


def links_json(writer: SiteWriter) -> None:
    """``OUT/links.json`` (the contract is :func:`edition.contract.links_json`'s): each
    passage's ``url`` opens the passage itself, highlighted, where it was marked."""
    data = contract(writer.edition, valid_links(writer), lambda tid, anchor: writer.plan.url(tid, anchor),
                    lambda p: passage_url(writer, p))
    writer.write("links.json", dumps(data))


@dataclass(slots=True)
class Pair:
    quoting: str
    quoted: str
    directed: bool
    links: list[Link] = field(default_factory=list)

    @property
    def mean_score(self) -> float:
        return sum(ln.score for ln in self.links) / len(self.links)

    @property
    def kinds(self) -> str:
        counts: dict[str, int] = defaultdict(int)
        for ln in self.links:
            counts[ln.kind] += 1
        return ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))


SORTS = {
    "links.html": ("count", "most links first"),
    "links-by-text.html": ("text", "by title of the quoting text"),
    "links-by-score.html": ("score", "highest mean score first"),
}
"""The links page in each order: sorting works with JavaScript off (one page per order)."""


def pairs_of(writer: SiteWriter) -> list[Pair]:
    pairs: dict[tuple[str, str, bool], Pair] = {}
    for ln in valid_links(writer):
        quoting, quoted = quoting_side(ln)
        key = (quoting.text, quoted.text, ln.direction is not None)
        if ln.direction is None and key[0] > key[1]:
            key = (quoted.text, quoting.text, False)
        pairs.setdefault(key, Pair(key[0], key[1], key[2])).links.append(ln)
    return list(pairs.values())


def sort_pairs(pairs: list[Pair], how: str, titles: dict[str, str]) -> list[Pair]:
    if how == "text":
        return sorted(pairs, key=lambda p: (titles[p.quoting], titles[p.quoted]))
    if how == "score":
        return sorted(pairs, key=lambda p: (-p.mean_score, titles[p.quoting], titles[p.quoted]))
    return sorted(pairs, key=lambda p: (-len(p.links), titles[p.quoting], titles[p.quoted]))


def links_pages(writer: SiteWriter) -> None:
    edition = writer.edition
    titles = {tid: tx.meta.title for tid, tx in edition.texts.items()}
    langs = {tid: tx.meta.lang for tid, tx in edition.texts.items()}
    pairs = pairs_of(writer)
    svg = network_svg(writer, pairs)
    for url, (how, _label) in SORTS.items():
        rows = []
        for p in sort_pairs(pairs, how, titles):
            items = []
            for ln in sorted(p.links, key=lambda x: (-x.score, x.id)):
                qg, qd = quoting_side(ln)
                items.append({
                    "id": ln.id, "kind": ln.kind, "score": f"{ln.score:.2f}",
                    "quoting": {"excerpt": excerpt_of(qg.quote), "lang": langs[qg.text], "work": work_title(writer, qg),
                                "url": relative(url, passage_url(writer, qg))},
                    "quoted": {"excerpt": excerpt_of(qd.quote), "lang": langs[qd.text], "work": work_title(writer, qd),
                               "url": relative(url, passage_url(writer, qd))},
                    "compare": relative(url, compare_url(ln)),
                })
            rows.append({
                "quoting": titles[p.quoting], "quoted": titles[p.quoted], "directed": p.directed,
                "quoting_lang": langs[p.quoting], "quoted_lang": langs[p.quoted],
                "quoting_url": relative(url, writer.plan.url(p.quoting)),
                "quoted_url": relative(url, writer.plan.url(p.quoted)),
                "count": len(p.links), "kinds": p.kinds, "score": f"{p.mean_score:.2f}", "links": items,
                "anchor": f"pair-{safe_id(p.quoting)}--{safe_id(p.quoted)}{'' if p.directed else '--shared'}",
            })
        sorts = [{"url": u, "label": lab, "key": k, "current": u == url} for u, (k, lab) in SORTS.items()]
        page(writer, url, "links.html", "Quotations", rows=rows, sort=how, sorts=sorts, svg=svg,
             total=sum(len(p.links) for p in pairs))
    for ln in valid_links(writer):
        compare_page(writer, ln)


def network_svg(writer: SiteWriter, pairs: list[Pair]) -> Markup:
    """The texts on a circle, one line per pair of texts (wider: more links; arrow: who quotes whom).

    A static picture made at build time; every node links to its text."""
    texts = sorted(writer.edition.texts.values(), key=lambda x: (x.meta.date or "9999", x.id))
    if not texts:
        return Markup("")
    w, h, r = 760, 400, 140
    cx, cy = w / 2, h / 2
    pos: dict[str, tuple[float, float]] = {}
    for i, tx in enumerate(texts):
        a = -math.pi / 2 + 2 * math.pi * i / len(texts)
        pos[tx.id] = (round(cx + r * math.cos(a), 1), round(cy + r * math.sin(a), 1))
    out = [f'<svg class="network" viewBox="0 0 {w} {h}" aria-labelledby="net-title net-desc" '
           f'xmlns="http://www.w3.org/2000/svg">',
           '<title id="net-title">Network of quotations between the texts</title>',
           f'<desc id="net-desc">{len(texts)} texts; {len(pairs)} pairs of texts share quotations.</desc>',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" markerHeight="10" '
           'markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="currentColor"/></marker></defs>']
    for p in pairs:
        (x1, y1), (x2, y2) = pos[p.quoting], pos[p.quoted]
        if p.quoting == p.quoted:  # quotations inside one text (the works of a volume): a loop
            # the loop goes up; labels stand beside the nodes (or below the bottom one)
            c1 = (x1 - 24, y1 - 58)
            c2 = (x1 + 24, y1 - 58)
            out.append(f'<path class="edge" d="M{x1} {y1} C{c1[0]:.1f} {c1[1]:.1f} {c2[0]:.1f} {c2[1]:.1f} {x1} {y1}" '
                       f'stroke-width="{1 + math.log2(len(p.links)):.1f}" '
                       f'fill="none"><title>{xml_escape(writer.edition.texts[p.quoting].meta.title)}: {len(p.links)} link(s) inside the text</title></path>')
            continue
        # stop the line at the edge of the node circle
        dx, dy = x2 - x1, y2 - y1
        d = math.hypot(dx, dy) or 1
        sx, sy = x1 + dx / d * 14, y1 + dy / d * 14
        ex, ey = x2 - dx / d * 14, y2 - dy / d * 14
        marker = ' marker-end="url(#arrow)"' if p.directed else ""
        out.append(f'<line class="edge" x1="{sx:.1f}" y1="{sy:.1f}" x2="{ex:.1f}" y2="{ey:.1f}" '
                   f'stroke-width="{1 + math.log2(len(p.links)):.1f}"{marker}>'
                   f'<title>{len(p.links)} link(s)</title></line>')
    for tx in texts:
        x, y = pos[tx.id]
        anchor = "end" if x < cx - 1 else ("start" if x > cx + 1 else "middle")
        lx = x + (-20 if anchor == "end" else 20 if anchor == "start" else 0)
        ly = y + (0 if anchor != "middle" else (-22 if y < cy else 30))
        if anchor == "middle" and y < cy:  # the top node: label beside it, the loop goes up
            anchor, lx, ly = "start", x + 20, y
        label = excerpt_of(tx.meta.title, 30)
        out.append(f'<a href={quoteattr(relative("links.html", writer.plan.url(tx.id)))}>'
                   f'<circle class="node" cx="{x}" cy="{y}" r="12"/>'
                   f'<text x="{lx}" y="{ly + 5}" text-anchor="{anchor}" lang={quoteattr(tx.meta.lang)}>{xml_escape(label)}</text></a>')
    out.append("</svg>")
    return Markup("".join(out))


def _marked(writer: SiteWriter, p: Passage, other: Passage | None = None, first: bool = True
            ) -> tuple[Markup, int]:
    """The whole element that holds the passage, the passage itself marked; with
    ``other`` (the passage on the other side, in the same language), the words
    that differ between the two are marked again inside it (how many runs: the
    second value)."""
    found = writer.plan.element(p.text, p.anchor)
    whole = " ".join(text_content(found).split()) if found is not None else p.quote
    quote = " ".join(p.quote.split())
    at = whole.find(quote)
    inner, n = (_differing(quote, " ".join(other.quote.split()), first) if other is not None
                else (escape(quote), 0))
    if at < 0:
        return Markup(f'<mark class="quotation">{inner}</mark>'), n
    return Markup(f"{escape(whole[:at])}<mark class=\"quotation\">{inner}</mark>{escape(whole[at + len(quote):])}"), n


def _differing(quote: str, other: str, first: bool) -> tuple[Markup, int]:
    """``quote`` with its words that are not in ``other`` (in order, as folded
    for detection: case, quote styles, widths, hyphenation, script) in
    ``<span class="differs">``: what a quotation changed, or what it left out.
    The two sides are aligned in one order (``first``: ``quote`` is the first),
    so that what stays unmarked is the same words on both."""
    from difflib import SequenceMatcher

    mine, theirs = tokenize(quote), tokenize(other)
    a, b = ([x.form for x in mine], [x.form for x in theirs])
    sm = SequenceMatcher(None, *((a, b) if first else (b, a)), autojunk=False)
    spans: list[list[int]] = []
    for op in sm.get_opcodes():
        tag, i1, i2 = (op[0], op[1], op[2]) if first else (op[0], op[3], op[4])
        if tag != "equal" and i2 > i1:
            s, e = mine[i1].start, mine[i2 - 1].end
            if spans and not quote[spans[-1][1] : s].strip():
                spans[-1][1] = e  # one run with the words just before
            else:
                spans.append([s, e])
    out, pos = [], 0
    for s, e in spans:
        out.append(f'{escape(quote[pos:s])}<span class="differs">{escape(quote[s:e])}</span>')
        pos = e
    out.append(str(escape(quote[pos:])))
    return Markup("".join(out)), len(spans)


def compare_page(writer: SiteWriter, link: Link) -> None:
    """A passage and the passage that quotes it side by side (two columns on wide screens)."""
    url = compare_url(link)
    qg, qd = quoting_side(link)
    diff = link.kind != "translation"  # one language: the words that differ are shown
    sides = []
    runs = 0
    for role, p, o in ((("Quoting" if link.direction else "Passage A"), qg, qd),
                       (("Quoted" if link.direction else "Passage B"), qd, qg)):
        tx = writer.edition.texts[p.text]
        work = work_title(writer, p)
        marked, n = _marked(writer, p, o if diff else None, first=p is qg)
        runs += n
        sides.append({"role": role, "title": tx.meta.title, "work": work, "lang": tx.meta.lang,
                      "authors": ", ".join(tx.meta.authors), "date": tx.meta.date,
                      "html": marked, "url": relative(url, passage_url(writer, p))})
    title = f"{writer.edition.texts[qg.text].meta.title} ↔ {writer.edition.texts[qd.text].meta.title}"
    page(writer, url, "compare.html", excerpt_of(title, 120), sides=sides,
         link={"kind": link.kind, "score": f"{link.score:.2f}", "direction": link.direction, "id": link.id},
         links_url=relative(url, "links.html"), diff=runs > 0)


__all__ = ["SORTS", "Pair", "compare_page", "links_json", "links_pages", "network_svg"]
