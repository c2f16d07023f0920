"""From docs to scored, directed hits: the part of detection that is not XML."""

from __future__ import annotations

import gc
import math
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..textfold import fold_text, quoted_at
from .corpus import Corpus, Doc, build_corpus
from .crosslingual import (
    Sentence,
    Translation,
    core_for_worker,
    detect_translations,
    in_background,
)
from .matcher import CrossLingualMatcher, get_matcher
from .monolingual import Match, detect_monolingual


@dataclass(frozen=True, slots=True)
class Span:
    doc: int
    block: int
    start: int
    end: int


@dataclass(slots=True)
class Hit:
    a: Span
    b: Span
    kind: str
    score: float
    direction: str | None = None
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Settings:
    min_words: int = 12
    min_chars: int = 20
    threshold: float = 0.5
    matcher: str = "use"
    crosslingual: bool = True
    exact_pairs: float | None = None
    """For a matcher with an ``exact_budget`` (``use``): sentence pairs it compares
    exactly before handing a pair of languages to the lexical matcher (None:
    its class's default)."""


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def mono_score(m: Match) -> float:
    """Set by hand on the benchmark's quality table (``python -m bench.quotations``):
    coverage of the aligned words, length over the minimum, and the mean IDF
    of the shared words (stock phrases are made of frequent words)."""
    z = 12.0 * (m.coverage - 0.75) + 2.0 * math.log(m.units * m.seeded) + 8.0 * (m.rarity - 0.3)
    return _sigmoid(z)


def translation_score(t: Translation, units: float, calibration: tuple[float, float] = (0.48, 14.0),
                      quoted_logodds: float = 0.0) -> float:
    """``calibration``: the matcher's (centre, slope) for its similarity; the
    default is the lexical ``cedict`` matcher's (the ``use`` matcher's similarity
    is already log-odds, fitted by ``python -m bench.quotations.calibrate`` with
    these length terms as an offset). ``quoted_logodds``: what the matcher
    adds for a passage in quotation marks on one side (``Translation.quoted``;
    the matcher's own ``quoted_logodds``, if it has one)."""
    centre, slope = calibration
    return _sigmoid(slope * (t.sim - centre) + length_terms(t, units) + (quoted_logodds if t.quoted else 0.0))


def length_terms(t: Translation, units: float) -> float:
    """The log-odds :func:`translation_score` adds for a chain of several sentence
    pairs and for a passage longer than the minimum."""
    return 0.5 * (min(len(t.sims), 4) - 1) + 1.0 * math.log(max(units, 1e-3))


def translation_units(src: list[Sentence], tgt: list[Sentence], settings: Settings) -> float:
    """A translated passage's length in quotations of two sentences: Chinese
    characters over twice the minimum, English words likewise (the shorter side)."""
    zh_chars = sum(len(s.text) for s in src)
    en_words = sum(len(s.text.split()) for s in tgt)
    return min(zh_chars / (2 * settings.min_chars), en_words / (2 * settings.min_words))


def scored_translations(docs: list[Doc], matcher: CrossLingualMatcher, src_lang: str, tgt_lang: str,
                        settings: Settings) -> list[tuple[Translation, float]]:
    """The matcher's translated passages long enough to score, with their length
    in :func:`translation_units` (a passage's ends are resized towards the best
    score: similarity and length, as :func:`translation_score` weighs them)."""

    def bonus(s: list[Sentence], t: list[Sentence]) -> float:
        slope = matcher.calibration[1]
        return math.log(max(translation_units(s, t, settings), 1e-3)) / slope

    out = []
    for t in detect_translations(docs, matcher, src_lang, tgt_lang, bonus):
        units = translation_units(t.src, t.tgt, settings)
        if units < 0.6 or (len(t.sims) < 2 and units < 1.0):
            continue  # too short; a single sentence must be as long as two
        out.append((t, units))
    return out


def _token_span(c: Corpus, t0: int, t1: int) -> Span:
    """The larger part of a passage that crosses blocks (documented choice)."""
    di = c.doc_of(t0)
    blocks = c.blk[t0:t1].tolist()
    bi = Counter(blocks).most_common(1)[0][0]
    first = t0 + blocks.index(bi)
    last = t0 + len(blocks) - 1 - blocks[::-1].index(bi)
    return Span(di, bi, int(c.cs[first]), int(c.ce[last]))


def _sentence_span(sents: list[Sentence]) -> Span:
    by_block = Counter(s.block for s in sents for _ in range(len(s.text)))
    bi = by_block.most_common(1)[0][0]
    part = [s for s in sents if s.block == bi]
    return Span(part[0].doc, bi, part[0].start, part[-1].end)


def _long_enough(docs: list[Doc], sp: Span, settings: Settings) -> bool:
    """The passage as it will be shown is a quotation's length: 12+ words
    (counted between spaces, so ``C.P.S.U.(B.)`` is one) or 20+ Han characters."""
    text = docs[sp.doc].blocks[sp.block].text[sp.start : sp.end]
    han = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff")
    words = len([w for w in text.split() if any(ch.isalnum() for ch in w) and not
                 all("\u3400" <= ch <= "\u9fff" for ch in w if ch.isalnum())])
    return words / settings.min_words + han / settings.min_chars >= 0.999


def _direction(docs: list[Doc], a: Span, b: Span) -> str | None:
    da, db = docs[a.doc], docs[b.doc]
    ba, bb = da.blocks[a.block], db.blocks[b.block]
    wa, wb = da.date_of(ba.group), db.date_of(bb.group)
    if wa and wb:
        n = min(len(wa), len(wb), 10)
        if wa[:n] != wb[:n]:
            return "a->b" if wa[:n] > wb[:n] else "b->a"
    qa = ba.quoted or quoted_at(ba.text, a.start, a.end)
    qb = bb.quoted or quoted_at(bb.text, b.start, b.end)
    if qa and not qb:
        return "a->b"
    if qb and not qa:
        return "b->a"
    return None


def _overlap(x: Span, y: Span) -> bool:
    return x.doc == y.doc and x.block == y.block and x.start < y.end and y.start < x.end


def _not_a_quotation(docs: list[Doc], h: Hit, titles: list[set[str]]) -> bool:
    """Two kinds of repetition that are not quotations: the editors' apparatus
    repeating itself in one text (a note, a preface, a chronicle's stock line
    "directs the work of a plenum": formulas of the editors), and a title
    cited as a title (a heading, and its listing in a preface, contents or
    chronicle): a passage at least three quarters of which is the text of a heading of
    either text."""
    ba, bb = docs[h.a.doc].blocks[h.a.block], docs[h.b.doc].blocks[h.b.block]
    if h.a.doc == h.b.doc and ba.editorial and bb.editorial:
        return True
    heads = titles[h.a.doc] | titles[h.b.doc]
    for sp, blk in ((h.a, ba), (h.b, bb)):
        folded = fold_text(blk.text[sp.start : sp.end])
        if any(len(t) >= 0.75 * len(folded) and t in folded for t in heads):
            return True
    return False


def dedupe(hits: list[Hit]) -> list[Hit]:
    """Keep the best hit where two hits cover the same pair of places."""
    hits = sorted(hits, key=lambda h: -h.score)
    kept: list[Hit] = []
    by_pair: dict[tuple[int, int], list[Hit]] = {}
    for h in hits:
        key = (min(h.a.doc, h.b.doc), max(h.a.doc, h.b.doc))
        bucket = by_pair.setdefault(key, [])
        if any((_overlap(h.a, k.a) and _overlap(h.b, k.b)) or (_overlap(h.a, k.b) and _overlap(h.b, k.a))
               for k in bucket):
            continue
        bucket.append(h)
        kept.append(h)
    return kept


BACKGROUND_MAX_CHARS = 4_000_000
"""Up to this much text the one-language detection runs in a forked worker
while this process finds the translations (the sample edition's detection:
2.0-2.9 s one after the other on two cores). Above it the translation stage
uses every core itself (:func:`.crosslingual.in_parallel`) and the two stages'
memory peaks must not add up."""


def monolingual_hits(docs: list[Doc], c: Corpus, settings: Settings) -> list[Hit]:
    hits = []
    for m in detect_monolingual(c, settings.min_words, settings.min_chars):
        score = mono_score(m)
        if score < settings.threshold:
            continue
        a = _token_span(c, m.a0, m.a1)
        b = _token_span(c, m.b0, m.b1)
        if not (_long_enough(docs, a, settings) and _long_enough(docs, b, settings)):
            continue  # the part kept (the larger one, if the passage crosses blocks) is too short
        hits.append(Hit(a, b, m.kind, score, _direction(docs, a, b),
                        {"coverage": m.coverage, "rarity": m.rarity, "units": m.units, "seeded": m.seeded}))
    return hits


def translation_hits(docs: list[Doc], matcher: CrossLingualMatcher, pairs: list[tuple[str, str]],
                     settings: Settings) -> list[Hit]:
    hits = []
    for src_lang, tgt_lang in pairs:
        found = scored_translations(docs, matcher, src_lang, tgt_lang, settings)
        calibration = matcher.calibration  # known once the matcher ran
        quoted_logodds = matcher.quoted_logodds
        for t, units in found:
            score = translation_score(t, units, calibration, quoted_logodds)
            if score < settings.threshold:
                continue
            a = _sentence_span(t.src)
            b = _sentence_span(t.tgt)
            hits.append(Hit(a, b, "translation", score, _direction(docs, a, b),
                            {"sim": t.sim, "mean_sim": sum(t.sims) / len(t.sims), "pairs": len(t.sims),
                             "units": units, "quoted": float(t.quoted)}))
    return hits


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep the objects alive before detection (the texts, their blocks) out of
    the sight of Python's cyclic garbage collector while it runs: each of its
    collections walked them again, and there are millions at 100 MB (100 MB of
    the benchmark: 362 and 367 s before, 322 and 356 s after, on a noisy
    machine; with the collector off, 295 s but 250 MB more at the peak). New
    objects are collected as ever; the forked workers also copy fewer pages,
    as the collector no longer writes to the frozen objects' headers."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def find_hits(docs: list[Doc], settings: Settings = Settings(), corpus: Corpus | None = None) -> list[Hit]:
    with frozen_heap():
        return _find_hits(docs, settings, corpus)


def _find_hits(docs: list[Doc], settings: Settings, corpus: Corpus | None) -> list[Hit]:
    pairs: list[tuple[str, str]] = []
    matcher: CrossLingualMatcher | None = None
    if settings.crosslingual:
        matcher = get_matcher(settings.matcher)
        default = type(matcher).exact_budget
        if default is not None:  # one registered instance serves every run: set its budget each time
            matcher.exact_budget = default if settings.exact_pairs is None else settings.exact_pairs
        langs = sorted({d.lang for d in docs})
        for i, la in enumerate(langs):
            for lb in langs[i + 1 :]:
                if matcher.supports(la, lb):
                    pairs.append(("zh", "en") if {la, lb} == {"zh", "en"} else (la, lb))

    def mono() -> list[Hit]:
        return monolingual_hits(docs, corpus if corpus is not None else build_corpus(docs), settings)

    size = sum(len(b.text) for d in docs for b in d.blocks)
    mono_hits = in_background(mono) if pairs and corpus is None and size <= BACKGROUND_MAX_CHARS else mono
    # while a worker finds the one-language quotations, this process's matrix
    # products leave it its core (sample edition: 2.0 s -> 1.9 s on two cores)
    with core_for_worker(mono_hits is not mono):
        cross_hits = translation_hits(docs, matcher, pairs, settings) if matcher is not None else []
    hits = mono_hits() + cross_hits
    titles = [{t for b in d.blocks if b.kind == "head" for t in [fold_text(b.text)] if len(t) >= 12} for d in docs]
    hits = dedupe([h for h in hits if not _not_a_quotation(docs, h, titles)])
    # stable order: by first side's place
    for h in hits:
        if (h.b.doc, h.b.block, h.b.start) < (h.a.doc, h.a.block, h.a.start):
            h.a, h.b = h.b, h.a
            if h.direction:
                h.direction = "b->a" if h.direction == "a->b" else "a->b"
    hits.sort(key=lambda h: (h.a.doc, h.a.block, h.a.start, h.b.doc, h.b.block, h.b.start))
    return hits
