"""Translated quotations: a pluggable sentence matcher plus order-respecting chains.

A :class:`CrossLingualMatcher` sees sentences of two languages and proposes
similar pairs; the detector (:func:`detect_translations`) keeps chains of
pairs that advance together on both sides (a translation keeps the order of
its sentences), so one lucky sentence is not enough unless it is long.

The matchers live in their own modules: :mod:`.cedict` (lexical, CC-CEDICT
glosses) and :mod:`.embedding` (``use``, sentence vectors; the default);
sentences and quotation marks in :mod:`.sentences`, the matcher interface in
:mod:`.matcher`, worker processes in
:mod:`.parallel`. Their public names are imported here too.

To add a matcher::

    class LaBSE(CrossLingualMatcher):  # edition.quotations.matcher: the capabilities, with defaults
        name = "labse"
        def supports(self, a, b): return {a, b} == {"zh", "en"}
        def pairs(self, src, tgt): ...  # nearest neighbours, yield (i, j, cos)
    register_matcher(LaBSE())
    # edition.yaml: quotations: {matcher: labse}   (the pipeline passes the name)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .cedict import CedictMatcher
from .corpus import Doc
from .matcher import MATCHERS, CrossLingualMatcher, get_matcher, register_matcher
from .parallel import core_for_worker, in_background, in_parallel
from .sentences import (
    Sentence,
    in_quotation_marks,
    next_sentence,
    open_quotation_at,
    quotation_from,
    split_sentences,
)

__all__ = [
    "MATCHERS",
    "CedictMatcher",
    "CrossLingualMatcher",
    "Sentence",
    "Translation",
    "core_for_worker",
    "detect_translations",
    "get_matcher",
    "in_background",
    "in_parallel",
    "in_quotation_marks",
    "register_matcher",
    "split_sentences",
]




@dataclass(slots=True)
class Translation:
    """A chain of sentence pairs: zh sentences ``zs[i0..i1]``, en ``es[j0..j1]``."""

    src: list[Sentence]
    tgt: list[Sentence]
    sims: list[float]
    sim: float = 0.0
    """Similarity of the whole passages (the matcher's ``passage_similarity``,
    else the mean of the sentence pairs)."""
    src_idx: list[int] = field(default_factory=list)
    """Indices of ``src`` and ``tgt`` among the sentences the matcher saw
    (:func:`split_sentences` of the docs of each language)."""
    tgt_idx: list[int] = field(default_factory=list)
    quoted: bool = False
    """One of the two passages stands in quotation marks (:func:`in_quotation_marks`)."""


def detect_translations(docs: Sequence[Doc], matcher: CrossLingualMatcher, lang_a: str, lang_b: str,
                        length_bonus: Callable[[list[Sentence], list[Sentence]], float] | None = None,
                        ) -> list[Translation]:
    """Chains of the matcher's sentence pairs, each grown or shrunk at its ends
    to the passages of best similarity (plus ``length_bonus`` of the two
    passages: the detector's reward for length, on the similarity's scale).

    A chain of one pair is kept only when the pair reaches the matcher's
    ``single_pair_floor`` and each of its sentences is the other's best
    partner: in a large pool every sentence finds some partner above a fixed
    floor by chance, and scoring those chains made this stage grow faster
    than the corpus (at 10 MB: 24,000 chains scored without this rule, 4,800
    with it; at 30 MB: 102,000 and 14,400)."""
    a_idx = [i for i, d in enumerate(docs) if d.lang == lang_a]
    b_idx = [i for i, d in enumerate(docs) if d.lang == lang_b]
    if not a_idx or not b_idx:
        return []
    src = split_sentences(docs, a_idx)
    tgt = split_sentences(docs, b_idx)
    top_of_i: dict[int, tuple[float, int]] = {}
    top_of_j: dict[int, tuple[float, int]] = {}
    found = list(matcher.pairs(src, lang_a, tgt, lang_b))
    for i, j, s in found:
        top_of_i[i] = max(top_of_i.get(i, (s, j)), (s, j))
        top_of_j[j] = max(top_of_j.get(j, (s, i)), (s, i))
    # the matcher's settings for this run (read once: the pairs are all in, so
    # a matcher that handed the run to another answers for that one now)
    psim = matcher.passage_similarity if matcher.scores_passages else None
    single_floor = matcher.single_pair_floor
    if psim is not None:
        found = _chainable(found, single_floor)
    # chains: (i, j) -> (i+1 or i+2, j+1 or j+2), same docs, DP over sorted pairs
    nodes = sorted(found)
    node_at = {(i, j): k for k, (i, j, _s) in enumerate(nodes)}
    score = [0.0] * len(nodes)
    back = [-1] * len(nodes)
    length = [1] * len(nodes)
    for k, (i, j, s) in enumerate(nodes):
        score[k] = s
        for di, dj in CHAIN_STEPS:
            p = node_at.get((i - di, j - dj))
            if p is None or src[i - di].doc != src[i].doc or tgt[j - dj].doc != tgt[j].doc:
                continue
            if score[p] + s > score[k]:
                score[k], back[k], length[k] = score[p] + s, p, length[p] + 1
    grow, shrink = matcher.resize_gains
    resize_floor = matcher.resize_floor
    used: set[int] = set()
    out: list[Translation] = []
    chains: list[tuple[list[int], list[int], list[float]]] = []
    for k in sorted(range(len(nodes)), key=lambda k: -score[k]):
        if k in used:
            continue
        chain = []
        x = k
        while x != -1 and x not in used:
            chain.append(x)
            x = back[x]
        used.update(chain)
        chain.reverse()
        si = sorted({nodes[x][0] for x in chain})
        sj = sorted({nodes[x][1] for x in chain})
        sims = [nodes[x][2] for x in chain]
        if psim is None:
            out.append(Translation([src[i] for i in si], [tgt[j] for j in sj], sims, sum(sims) / len(sims), si, sj))
            continue
        if len(chain) < 2:
            i, j, s = nodes[chain[0]]
            if s < single_floor or top_of_i[i][1] != j or top_of_j[j][1] != i:
                continue  # one sentence pair alone must be strong, and each sentence's best partner
        chains.append((si, sj, sims))
    if psim is None:
        return out

    def resized(si: list[int], sj: list[int]) -> tuple[list[int], list[int], float, bool]:
        """The chain's passages grown or shrunk to their best value, that
        passage's similarity, and whether it was too far below the bar to try."""
        seen: dict[tuple[tuple[int, ...], tuple[int, ...]], float] = {}  # this chain's passages so far

        def sim_of(ii: list[int], jj: list[int]) -> float:
            key = (tuple(ii), tuple(jj))
            got = seen.get(key)
            if got is None:
                got = seen[key] = float(psim(src, ii, tgt, jj))
            return got

        def value(ii: list[int], jj: list[int]) -> float:
            v = sim_of(ii, jj)
            return v + length_bonus([src[i] for i in ii], [tgt[j] for j in jj]) if length_bonus else v

        sim0 = sim_of(si, sj)
        cur = value(si, sj)
        # grow the passage by a neighbouring sentence (on one side, or on both at
        # the same end) while that raises the similarity, or shrink it by an end;
        # a passage far below the matcher's bar is not worth resizing (most chains
        # are noise, and resizing is most of this stage's time)
        hopeless = sim0 < resize_floor
        for _ in range(0 if hopeless else 6):
            best_ext: tuple[float, list[int], list[int]] | None = None
            for ii, jj, gain in _resizes(si, sj, src, tgt, grow, shrink):
                v = value(ii, jj)
                if v > cur + gain and (best_ext is None or v > best_ext[0]):
                    best_ext = (v, ii, jj)
            if best_ext is None:
                break
            cur, si, sj = best_ext
        return si, sj, sim_of(si, sj), hopeless

    # each chain on its own, on every core when there are many (the workers
    # compute similarities only: what may embed new text stays here)
    done = in_parallel(lambda lo, hi: [resized(si, sj) for si, sj, _s in chains[lo:hi]], len(chains),
                       least=CHAINS_PARALLEL_MIN)
    for (si, sj, sim, hopeless), (_si, _sj, sims) in zip(done, chains, strict=True):
        # a matcher may then take in neighbouring sentences on local evidence;
        # the score stays the one of the passage it extends
        if not hopeless:
            si, sj = matcher.extend(src, si, tgt, sj)
        ps, pt = [src[i] for i in si], [tgt[j] for j in sj]
        ts, tt = matcher.trim_leads(ps, pt)
        (ps, si), (pt, sj) = _inside_quotation(ps, ts, si, docs), _inside_quotation(pt, tt, sj, docs)
        quoted = in_quotation_marks(ps, docs) or in_quotation_marks(pt, docs)
        out.append(Translation(ps, pt, sims, sim, si, sj, quoted))
    return out


CHAINS_PARALLEL_MIN = 64
"""From this many chains on, they are resized on every core (the sample
edition has about 190; forking two workers costs a few hundredths of a second)."""


def _inside_quotation(before: list[Sentence], after: list[Sentence], idx: list[int], docs: Sequence[Doc]
                      ) -> tuple[list[Sentence], list[int]]:
    """The passage ``after`` (``before`` it lost its lead-ins; ``idx``: its
    sentences' indices) cut to the quotation it opens, and those indices.

    A passage opens a quotation when a lead-in was left out (:meth:`trim_leads`
    judged ``斯大林驳斥他：“`` the quoting text's own words), or when it starts
    right after an opening mark (``“And Jesus went with him``). What stands
    before the lead-in, and after the matching closing mark (``”对自力更生缺乏信心。``;
    ``grew worse,” Cubits these``, where no sentence ends), is the quoting
    text's own, however close its subject. A passage that starts right after
    an elision mark inside a quotation opened before it (``“This shall be the
    law of the leper . . . Then shall the priest command …:" And``) ends at
    that quotation's closing mark too; not one that starts inside a quotation
    elsewhere, as the speech of a narrative is marked too (``说：「耶和华是神！
    耶和华是神！」``). Nothing is cut when no lead-in was left out and the
    passage starts on a word outside any quotation (``神说：「要有光」``
    translates ``And God said, Let there be light``, and goes on past the mark)."""
    k = next((k for k, (b, a) in enumerate(zip(before, after, strict=True)) if b.lead and not a.lead), None)
    if k is not None:
        first = before[k]
        at = first.start + first.lead - 1
    else:
        k, first = 0, after[0]
        at = first.start - 1
    text = docs[first.doc].blocks[first.block].text
    close = quotation_from(text, at)
    if close is None and first.elided_before:
        opened = open_quotation_at(text, first.start)
        close = quotation_from(text, opened) if opened is not None else None
    if close is None:
        return after[k:], idx[k:]
    kept: list[Sentence] = []
    kept_idx: list[int] = []
    for s, i in zip(after[k:], idx[k:], strict=True):
        if (s.block, s.start) > (first.block, close):
            break
        if s.block == first.block and close < s.end:
            body = s.text[: close - s.start].rstrip()
            if len(body) < 4:
                break
            s = Sentence(s.doc, s.block, s.start, s.start + len(body), body, s.elided_before, s.lead, s.opens)
        kept.append(s)
        kept_idx.append(i)
    if not kept:  # the quotation is a word or two (“No,” he said): not the passage found
        return after[k:], idx[k:]
    return kept, kept_idx


CHAIN_STEPS = ((1, 1), (1, 2), (2, 1), (1, 0), (0, 1))
"""How far a chain of sentence pairs may advance on each side from one pair to the next."""


def _chainable(pairs: list[tuple[int, int, float]], single_floor: float) -> list[tuple[int, int, float]]:
    """The pairs that can take part in a passage: every pair with a neighbour
    a chain step away (before or after it), and the pairs strong enough to be
    one alone. The others would each be a chain of one pair below
    ``single_floor``, dropped unscored: they are most of a large pool's pairs
    (chance shares of words), and leaving them out of the chains' search
    changes no passage."""
    at = {(i, j) for i, j, _s in pairs}
    return [(i, j, s) for i, j, s in pairs
            if s >= single_floor or any((i - di, j - dj) in at or (i + di, j + dj) in at for di, dj in CHAIN_STEPS)]


def _resizes(si: list[int], sj: list[int], src: Sequence[Sentence], tgt: Sequence[Sentence], grow: float,
             shrink: float) -> Iterable[tuple[list[int], list[int], float]]:
    """The passages one step from ``(si, sj)``, with the gain each must show."""

    def nb(seq: list[int], pool: Sequence[Sentence], end: int) -> list[int] | None:
        k = next_sentence(seq, pool, end)
        return None if k is None else [k, *seq] if end == 0 else [*seq, k]

    for end in (0, 1):
        ea, eb = nb(si, src, end), nb(sj, tgt, end)
        if ea is not None:
            yield ea, sj, grow
        if eb is not None:
            yield si, eb, grow
        if ea is not None and eb is not None:
            yield ea, eb, grow
    if len(si) > 1:
        yield si[1:], sj, shrink
        yield si[:-1], sj, shrink
    if len(sj) > 1:
        yield si, sj[1:], shrink
        yield si, sj[:-1], shrink
