"""The default cross-lingual matcher: CC-CEDICT glosses aligned in order.

Chinese is segmented (longest CEDICT match, or jieba) and each word becomes
the set of English keys of its glosses (:func:`.lexicon.en_key`: lemma, then
a crude stem); English words become their keys. Then, in three steps that stay
linear in the corpus:

1. **Candidates.** Every English window of ``WINDOW`` content words indexes
   the pairs of its ``TOP`` rarest keys; every Chinese window looks up the
   pairs of its rarest glosses. A block pair that shares two such pairs is a
   candidate (a pair of rare words in one window is to translation what an
   n-gram is to verbatim reuse: rare by itself, so postings stay short).
2. **Alignment.** In a candidate block pair every (Chinese word, English word)
   that translate each other is a hit weighted by the English word's IDF
   (less for a word of many senses). A chaining DP keeps runs of hits that
   advance on both sides, with a small backward step allowed (word order
   differs inside a clause) and a cost per skipped word: the best chains are
   the translated passages, from their first to their last aligned word,
   widened to the sentence (:func:`.crosslingual.snap`).
3. **Similarity.** Both passages are measured as wholes: the IDF-weighted
   share of Chinese words whose glosses occur in the English passage and of
   English words one of whose Chinese renderings occurs in the Chinese passage
   (as a substring, so segmentation errors do not hide it), times the share of
   that evidence the ordered chain holds.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .corpus import Doc
from .crosslingual import Aligned, Span, register_matcher, snap
from .lexicon import ZH_STOP, en_key, load_lexicon, load_reverse_lexicon
from .normalize import TOKEN_RE, fold_han, fold_word, is_han

WINDOW = 12
"""Content words per candidate window (windows overlap by half)."""
TOP_EN = 6
"""Rarest keys of an English window whose pairs are indexed."""
TOP_ZH = 8
"""Rarest words of a Chinese window whose glosses' pairs are looked up."""
SEED_SENSES = 4
"""Only words of at most this many glosses propose candidates."""
MAX_POSTINGS = 50
"""A key pair in more English windows than this is too common to propose candidates."""
MIN_SHARED = 1
"""Key pairs a block pair must share to be aligned."""
PRIOR = 100
"""Blocks added to the English corpus's size in IDF (see ``align``)."""
OPEN = 1.0
"""DP cost of a gap between two hits of a chain (in IDF units)..."""
EXTEND = 0.12
"""... plus this per skipped word."""
BACK = 6
"""How far (English words) a chain may step back: word order inside a clause."""
REACH = 30
"""Largest step (words, on either side) between two hits of one chain."""
MIN_CHAIN = 3
"""Aligned word pairs a passage needs."""
REGION = 40
"""Words around the rare-word seeds (on each side) that the full alignment looks at."""


@dataclass(slots=True)
class _EnBlock:
    doc: int
    block: int
    text: str
    keys: list[int]
    starts: list[int]
    ends: list[int]


@dataclass(slots=True)
class _ZhBlock:
    doc: int
    block: int
    text: str
    """Folded to simplified characters (offsets as in the source)."""
    keys: list[tuple[int, ...]]
    senses: list[int]
    starts: list[int]
    ends: list[int]


class CedictMatcher:
    """Chinese <-> English through CC-CEDICT glosses (see the module's docstring)."""

    name = "cedict"

    def __init__(self, segmenter: str = "cedict", name: str = "cedict") -> None:
        self.segmenter = segmenter
        """``cedict``: longest dictionary match (no start-up cost, and every word
        it yields is in the lexicon); ``jieba``: jieba's segmenter (about 1 s to
        load its model, better on words CEDICT lacks)."""
        self.name = name

    def supports(self, lang_a: str, lang_b: str) -> bool:
        return {lang_a, lang_b} == {"zh", "en"}

    # -- analysis ------------------------------------------------------------
    def _segment(self, simp: str) -> list[tuple[int, int]]:
        if self.segmenter == "jieba":
            import jieba  # type: ignore[import-untyped]

            return [(s, e) for _w, s, e in jieba.tokenize(simp, HMM=False)]
        return _max_match(simp)

    def align(self, docs: Sequence[Doc], src: Sequence[int], tgt: Sequence[int]) -> Iterable[Aligned]:
        if docs and src and docs[src[0]].lang != "zh":
            for a in self.align(docs, tgt, src):
                yield Aligned(a.tgt, a.src, a.similarity, a.evidence, a.features)
            return
        ids: dict[str, int] = {}
        en = [_english(docs[d], d, ids) for d in tgt]
        en_blocks = [b for bl in en for b in bl]
        df: dict[int, int] = defaultdict(int)
        for b in en_blocks:
            for k in set(b.keys):
                df[k] += 1
        # IDF with a prior of PRIOR blocks lacking every word: a tiny corpus
        # (one article and its source) must not make every word common
        n = len(en_blocks) + PRIOR
        idf = {k: math.log(n / (c + 0.5)) for k, c in df.items()}
        zh = [b for d in src for b in self._chinese(docs[d], d, ids, df)]
        index = _index(en_blocks, df, glossable={ids[s] for s in load_reverse_lexicon() if s in ids})
        rev = load_reverse_lexicon()
        names = {v: k for k, v in ids.items()}
        for zb in zh:
            for bi, sd in _candidates(zb, index, df):
                eb = en_blocks[bi]
                # align every word, in the region the rare words point at
                hits = _hits(zb, eb, idf, max(0, sd.i0 - REGION), sd.i1 + REGION, max(0, sd.j0 - REGION),
                             sd.j1 + REGION)
                for chain in _chains(hits):
                    a = _measure(zb, eb, chain, idf, rev, names)
                    if a is not None:
                        yield a

    def _chinese(self, doc: Doc, d: int, ids: dict[str, int], df: dict[int, int]) -> list[_ZhBlock]:
        lex = load_lexicon()
        out = []
        for bi, b in enumerate(doc.blocks):
            simp = "".join(fold_han(ch) for ch in b.text)
            zb = _ZhBlock(d, bi, simp, [], [], [], [])
            for s, e in self._segment(simp):
                w = simp[s:e]
                if not is_han(w[0]):
                    for m in TOKEN_RE.finditer(w):
                        k = en_key(fold_word(m.group()))
                        if k is not None:
                            _put(zb, (ids.setdefault(k, len(ids)),), 1, s + m.start(), s + m.end())
                    continue
                if w in ZH_STOP:
                    continue
                stems = lex.get(w)
                if stems:
                    _put(zb, tuple(ids.setdefault(x, len(ids)) for x in stems), len(stems), s, e)
                    continue
                # a word the dictionary lacks (jieba glued two): the dictionary words inside it
                i = 0
                while i < len(w):
                    for k in range(min(4, len(w) - i), 0, -1):
                        sub = lex.get(w[i : i + k])
                        if sub and (k > 1 or w[i] not in ZH_STOP):
                            _put(zb, tuple(ids.setdefault(x, len(ids)) for x in sub), len(sub), s + i, s + i + k)
                            i += k
                            break
                    else:
                        i += 1
            out.append(zb)
        return out


def _put(zb: _ZhBlock, keys: tuple[int, ...], senses: int, s: int, e: int) -> None:
    zb.keys.append(keys)
    zb.senses.append(senses)
    zb.starts.append(s)
    zb.ends.append(e)


def _english(doc: Doc, d: int, ids: dict[str, int]) -> list[_EnBlock]:
    out = []
    for bi, b in enumerate(doc.blocks):
        eb = _EnBlock(d, bi, b.text, [], [], [])
        for m in TOKEN_RE.finditer(b.text):
            w = m.group()
            if is_han(w[0]):
                continue
            k = en_key(fold_word(w))
            if k is None:
                continue
            eb.keys.append(ids.setdefault(k, len(ids)))
            eb.starts.append(m.start())
            eb.ends.append(m.end())
        out.append(eb)
    return out


# --- 1. candidates ----------------------------------------------------------------


def _index(blocks: list[_EnBlock], df: dict[int, int], glossable: set[int]
           ) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """Pair of rare keys -> the English windows ``(block, first word)`` holding both."""
    index: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    step = WINDOW // 2
    for bi, b in enumerate(blocks):
        for w0 in range(0, max(1, len(b.keys) - step), step):
            win = {k for k in b.keys[w0 : w0 + WINDOW] if k in glossable}
            top = sorted(sorted(win, key=lambda k: (df[k], k))[:TOP_EN])
            for x in range(len(top)):
                for y in range(x + 1, len(top)):
                    index[(top[x], top[y])].append((bi, w0))
    return {p: post for p, post in index.items() if len(post) <= MAX_POSTINGS}


@dataclass(slots=True)
class _Seed:
    """Where the windows of a candidate block pair met: the region to align."""

    i0: int
    i1: int
    j0: int
    j1: int
    pairs: set[tuple[int, int]]


def _candidates(zb: _ZhBlock, index: dict[tuple[int, int], list[tuple[int, int]]], df: dict[int, int]
                ) -> Iterable[tuple[int, _Seed]]:
    """English blocks whose windows share ``MIN_SHARED`` pairs of rare keys with
    windows of the Chinese block."""
    seeds: dict[int, _Seed] = {}
    step = WINDOW // 2
    for w0 in range(0, max(1, len(zb.keys) - step), step):
        # a word is as rare as its commonest gloss (the sense a translation is
        # likeliest to use); words of many senses propose nothing
        words: list[tuple[int, int, list[int]]] = []
        for i in range(w0, min(w0 + WINDOW, len(zb.keys))):
            if zb.senses[i] <= SEED_SENSES:
                known = [k for k in zb.keys[i] if k in df]
                if known:
                    words.append((max(df[k] for k in known), i, known))
        words.sort()
        top = words[:TOP_ZH]
        for x in range(len(top)):
            _d, i1, ks1 = top[x]
            for y in range(x + 1, len(top)):
                _d, i2, ks2 = top[y]
                for k1 in ks1:
                    for k2 in ks2:
                        if k1 == k2:
                            continue
                        p = (k1, k2) if k1 < k2 else (k2, k1)
                        for bi, j0 in index.get(p, ()):
                            sd = seeds.get(bi)
                            if sd is None:
                                seeds[bi] = _Seed(w0, w0 + WINDOW, j0, j0 + WINDOW, {p})
                            else:
                                sd.i0, sd.i1 = min(sd.i0, w0), max(sd.i1, w0 + WINDOW)
                                sd.j0, sd.j1 = min(sd.j0, j0), max(sd.j1, j0 + WINDOW)
                                sd.pairs.add(p)
    for bi, sd in seeds.items():
        if len(sd.pairs) >= MIN_SHARED:
            yield bi, sd


# --- 2. alignment -------------------------------------------------------------------


@dataclass(slots=True)
class _Chain:
    zh: list[int]
    en: list[int]
    weight: float


def _specificity(zb: _ZhBlock, i: int) -> float:
    """How much a hit on Chinese word ``i`` is worth: a word of few senses is
    strong evidence, a single character of many senses (which some English
    word of any sentence will match) weak."""
    f = 1.0 if zb.senses[i] <= 3 else math.sqrt(3 / zb.senses[i])
    return f if zb.ends[i] - zb.starts[i] > 1 else 0.6 * f


def _hits(zb: _ZhBlock, eb: _EnBlock, idf: dict[int, float], i0: int, i1: int, j0: int, j1: int
          ) -> list[tuple[int, int, float]]:
    """Every (Chinese word, English word) of the region that translate each other."""
    pos: dict[int, list[int]] = defaultdict(list)
    for j in range(j0, min(j1, len(eb.keys))):
        pos[eb.keys[j]].append(j)
    hits: list[tuple[int, int, float]] = []
    for i in range(i0, min(i1, len(zb.keys))):
        f = _specificity(zb, i)
        best: dict[int, float] = {}
        for k in zb.keys[i]:
            for j in pos.get(k, ()):
                w = idf[k] * f
                if w > best.get(j, 0.0):
                    best[j] = w
        hits.extend((i, j, w) for j, w in best.items())
    return hits


def _chains(hits: list[tuple[int, int, float]], most: int = 3, reach: int = REACH, min_hits: int = MIN_CHAIN,
            min_score: float = 3.5) -> list[_Chain]:
    """The best runs of hits that advance on both sides (DP over hits sorted by
    Chinese position), at most ``most`` of them, not overlapping."""
    if len(hits) < min_hits:
        return []
    hits.sort()
    score = [0.0] * len(hits)
    back = [-1] * len(hits)
    first = 0
    for q, (iq, jq, wq) in enumerate(hits):
        score[q] = wq
        while hits[first][0] < iq - reach:
            first += 1
        for p in range(first, q):
            ip, jp, _ = hits[p]
            if ip == iq or jp == jq:
                continue
            dj = jq - jp
            if dj > reach or dj < -BACK:
                continue
            skip = (iq - ip - 1) + (dj - 1 if dj > 0 else -dj * 3)
            v = score[p] + wq - (OPEN + EXTEND * skip if skip else 0.0)
            if v > score[q]:
                score[q], back[q] = v, p
    out: list[_Chain] = []
    taken_i: list[tuple[int, int]] = []
    taken_j: list[tuple[int, int]] = []
    for q in sorted(range(len(hits)), key=lambda q: -score[q]):
        if len(out) >= most or score[q] < min_score:
            break
        zi, ej = [], []
        x = q
        while x != -1:
            zi.append(hits[x][0])
            ej.append(hits[x][1])
            x = back[x]
        if len(set(zi)) < min_hits:
            continue
        i0, i1, j0, j1 = min(zi), max(zi), min(ej), max(ej)
        if any(a <= i1 and i0 <= b for a, b in taken_i) or any(a <= j1 and j0 <= b for a, b in taken_j):
            continue
        taken_i.append((i0, i1))
        taken_j.append((j0, j1))
        out.append(_Chain(zi[::-1], ej[::-1], score[q]))
    return out


# --- 3. similarity ------------------------------------------------------------------


def _measure(zb: _ZhBlock, eb: _EnBlock, ch: _Chain, idf: dict[int, float], rev: dict[str, tuple[str, ...]],
             names: dict[int, str]) -> Aligned | None:
    ci0, ci1, cj0, cj1 = min(ch.zh), max(ch.zh), min(ch.en), max(ch.en)
    zs, ze = snap(zb.text, zb.starts[ci0], zb.ends[ci1])
    es, ee = snap(eb.text, eb.starts[cj0], eb.ends[cj1])
    # the aligned core: first to last aligned word on each side
    zi = range(ci0, ci1 + 1)
    ej = range(cj0, cj1 + 1)
    en_set = {eb.keys[j] for j in ej}
    zh_keys = {k for i in zi for k in zb.keys[i]}
    seg = zb.text[zb.starts[ci0] : zb.ends[ci1]]
    total_z = matched_z = 0.0
    for i in zi:
        known = [idf[k] for k in zb.keys[i] if k in idf]
        w = min(known) if known else 1.0
        total_z += w
        if any(k in en_set for k in zb.keys[i]):
            matched_z += w
    total_e = matched_e = 0.0
    for k in {eb.keys[j] for j in ej}:
        w = idf[k]
        total_e += w
        if k in zh_keys or any(h in seg for h in rev.get(names[k], ()) if len(h) > 1):
            matched_e += w
    if total_z <= 0 or total_e <= 0 or matched_z <= 0:
        return None
    rz, re_ = matched_z / total_z, matched_e / total_e
    f1 = 2 * rz * re_ / (rz + re_) if rz + re_ else 0.0
    n = len(set(ch.zh))
    multi = sum(1 for i in set(ch.zh) if zb.ends[i] - zb.starts[i] > 1) / n
    senses = sum(zb.senses[i] for i in set(ch.zh)) / n
    feats = {"f1": f1, "rz": rz, "re": re_, "hits": float(n), "score": ch.weight, "cz": n / len(zi),
             "ce": len(set(ch.en)) / len(ej), "multi": multi, "senses": senses}
    return Aligned(Span(zb.doc, zb.block, zs, ze), Span(eb.doc, eb.block, es, ee), calibrated(feats), float(n), feats)


def calibrated(f: dict[str, float]) -> float:
    """Probability that an alignment is a translation: a logistic model fitted on
    the benchmark (``python -m bench.quotations``; planted KJV/CUV translations
    against everything else the aligner proposed), cut at precision 0.9."""
    z = 3.6 * f["f1"] + 3.85 * math.log(max(f["score"], 1e-3)) + 5.0 * math.log(f["hits"]) + 3.5 * f["multi"] - 21.7
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _max_match(text: str, longest: int = 6) -> list[tuple[int, int]]:
    """Forward longest-match segmentation on the CEDICT headwords: ``(start, end)``
    of each word; runs of non-Han characters stay whole."""
    lex = load_lexicon()
    out: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        if not is_han(text[i]):
            j = i + 1
            while j < n and not is_han(text[j]):
                j += 1
            out.append((i, j))
            i = j
            continue
        for k in range(min(longest, n - i), 0, -1):
            if k == 1 or text[i : i + k] in lex:
                out.append((i, i + k))
                i += k
                break
    return out


register_matcher(CedictMatcher())
register_matcher(CedictMatcher("jieba", "cedict-jieba"))
