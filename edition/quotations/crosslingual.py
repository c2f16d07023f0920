"""Translated quotations: a pluggable sentence matcher plus order-respecting chains.

A :class:`CrossLingualMatcher` sees sentences of two languages and proposes
similar pairs; the detector (:func:`detect_translations`) keeps chains of
pairs that advance together on both sides (a translation keeps the order of
its sentences), so one lucky sentence is not enough unless it is long.

The default matcher, ``cedict``, is lexical: jieba segments the Chinese,
CC-CEDICT glosses each word as English keys (lemma, then stem: :func:`.lexicon.en_key`), and a sentence pair scores the
IDF-weighted share of words that translate each other. Candidates come from
an inverted index on *pairs* of rare stems (each sentence contributes pairs of
its rarest items), which keeps the work linear in the corpus.

To add an embedding model later::

    class LaBSE:
        name = "labse"
        def supports(self, a, b): return {a, b} == {"zh", "en"}
        def pairs(self, src, tgt): ...  # nearest neighbours, yield (i, j, cos)
    register_matcher(LaBSE())
    # edition.yaml: quotations: {matcher: labse}   (the pipeline passes the name)
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, TypeVar

import numpy as np

from .corpus import Doc
from .lexicon import (
    KEYS,
    RENDERING_CHARS,
    ZH_STOP,
    en_key,
    load_lexicon,
    load_longest_from,
    load_reverse_lexicon,
)
from .matcher import MATCHERS as MATCHERS  # the registry, also known by this module's name
from .matcher import CrossLingualMatcher, register_matcher
from .matcher import get_matcher as get_matcher
from .normalize import HAN, TOKEN_RE, fold_han, fold_word, is_han

T = TypeVar("T")

_SENT_END = re.compile(r"(?<![A-Z])[.?!。？！]+[\"'”’」』)）]*\s+|[。？！]+[”’」』）]*|\n+")
"""Strong sentence ends only: a translation keeps sentences, not always clauses.
Not a colon: ``神说：「要有光」`` is one sentence, ``And God said, Let there be
light``; cutting there cost the benchmark 10 of 132 translations (seeds 1 and 4)."""
_LEAD_IN = re.compile(r"[：:]\s*[\"“‘'「『]")
"""The end of a lead-in: a colon before an opening quotation mark."""
_TRIM = " \t\n\u00a0\u3000\"'“”‘’「」『』«»()（）[]【】-—,，、"


_ELISION = re.compile(r"…|\.\.\.|\. \. \.")
"""An elision mark: ``…``, ``……``, ``...``, ``. . .``."""


@dataclass(frozen=True, slots=True)
class Sentence:
    doc: int
    block: int
    start: int
    end: int
    text: str
    elided_before: bool = False
    """An elision mark stands between the previous sentence of the block and
    this one (or opens this one): the quotation may leave out what its
    original has there."""
    lead: int = 0
    """Characters of a lead-in that opens the sentence (``斯大林驳斥他：“``,
    ``He replied: "``): the words that introduce a quotation, which a
    translated quotation may leave out (:meth:`without_lead`)."""
    opens: bool = False
    """The sentence, after its lead-in, starts a quotation in marks that goes
    on at least to its end: the first sentence of what its text quotes."""

    def without_lead(self) -> Sentence:
        """The sentence after its lead-in (itself if it has none)."""
        if not self.lead:
            return self
        return Sentence(self.doc, self.block, self.start + self.lead, self.end, self.text[self.lead :],
                        self.elided_before, 0, self.opens)


def split_sentences(docs: Sequence[Doc], doc_idx: Iterable[int]) -> list[Sentence]:
    out: list[Sentence] = []
    for di in doc_idx:
        for bi, b in enumerate(docs[di].blocks):
            text = b.text
            pos = 0
            prev = 0  # end of the block's last sentence kept
            for m in _SENT_END.finditer(text):
                prev = _add(out, di, bi, text, pos, m.end(), prev)
                pos = m.end()
            _add(out, di, bi, text, pos, len(text), prev)
    return out


def _add(out: list[Sentence], di: int, bi: int, text: str, s: int, e: int, prev: int) -> int:
    """Append the sentence ``text[s:e]`` (trimmed) if long enough; the end of
    the last sentence kept."""
    while s < e and text[s] in _TRIM:
        s += 1
    while e > s and text[e - 1] in " \t\n\u00a0\u3000\"'”’」』":
        e -= 1
    if e - s < 4:
        return prev
    elided = prev > 0 and _ELISION.search(text, max(0, prev - 5), s + 2) is not None
    found = _LEAD_IN.search(text, s, e)
    lead = found.end() - s if found and found.end() < e - 1 else 0
    close = _quotation_opened_before(text, s + lead)
    out.append(Sentence(di, bi, s, e, text[s:e], elided, lead, close is not None and close >= e))
    return e


PARALLEL_MIN = 20000
"""Below this many sentences the cross-lingual stage runs in one process."""
_WORK: Callable[[int, int], list[Any]] | None = None


def _work(lo_hi: tuple[int, int]) -> list[Any]:
    assert _WORK is not None
    return _WORK(*lo_hi)


def _jobs() -> int:
    """Worker processes to use: ``EDITION_JOBS``, else the cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return int(os.environ.get("EDITION_JOBS", "0")) or (len(affinity(0)) if affinity else os.cpu_count() or 1)


def in_background(fn: Callable[[], T]) -> Callable[[], T]:
    """Start ``fn()`` in a forked worker process now; the function returned
    waits for its result. With one core (or ``EDITION_JOBS=1``, or no fork)
    ``fn`` runs when its result is asked for. A worker that fails or dies
    hands ``fn`` back to the caller, so that its error is raised there."""
    if _jobs() < 2 or "fork" not in mp.get_all_start_methods():
        return fn
    ctx = mp.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)

    def child() -> None:
        try:
            value: tuple[bool, Any] = (True, fn())
        except BaseException:  # re-run in the caller, which raises it with its traceback
            value = (False, None)
        sender.send(value)
        sender.close()

    proc = ctx.Process(target=child, daemon=True)
    proc.start()
    sender.close()

    def result() -> T:
        try:
            ok, value = receiver.recv()
        except (EOFError, OSError):
            ok, value = False, None
        finally:
            receiver.close()
            proc.join()
        return value if ok else fn()

    return result


@contextmanager
def core_for_worker(busy: bool) -> Iterator[None]:
    """While a forked worker is busy (``busy``; see :func:`in_background`),
    this process's matrix products run on one core fewer than the machine has
    (at least one): BLAS threads that wait for a busy core spin."""
    if not busy:
        yield
        return
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    with threadpool_limits(limits=max(1, _jobs() - 1), user_api="blas"):
        yield


def in_parallel(fn: Callable[[int, int], list[T]], n: int, least: int = PARALLEL_MIN) -> list[T]:
    """``fn(0, n)``, computed by chunks in forked worker processes (one per core)
    when ``n`` is at least ``least``: the workers inherit every index already
    built, and only their results travel back. ``EDITION_JOBS=1`` keeps one
    process."""
    global _WORK
    jobs = _jobs()
    if jobs < 2 or n < least or "fork" not in mp.get_all_start_methods():
        return fn(0, n)
    step = -(-n // (jobs * 4))
    chunks = [(lo, min(n, lo + step)) for lo in range(0, n, step)]
    _WORK = fn
    try:
        with mp.get_context("fork").Pool(jobs) as pool:
            parts = pool.map(_work, chunks)
    finally:
        _WORK = None
    return [x for part in parts for x in part]


# ---------------------------------------------------------------------------
# the default lexical matcher


class CedictMatcher(CrossLingualMatcher):
    """Chinese <-> English through CC-CEDICT glosses (jieba + OpenCC + stems)."""

    name = "cedict"
    scores_passages = True
    top_items = 10
    max_candidates = 20
    min_similarity = 0.25
    keep = 3
    """English sentences kept per Chinese sentence: the pairs above
    :attr:`min_similarity` grow with the pool (chance shares of words), and
    every one may start a chain to score and resize; 3 kept the benchmark's
    2 MB table as 5 did, and the chain stage linear from 10 to 30 MB (at 5:
    3.6x the time for 3x the text)."""
    calibration = (0.48, 14.0)
    """(centre, slope) of the detector's logistic on :meth:`passage_similarity`."""
    resize_gains = (0.03, 0.05)
    """How much :meth:`passage_similarity` must gain for a passage to grow by a
    sentence, or to shrink by one."""
    resize_floor = 0.3
    """Passages below this similarity are not resized (the bar is 0.48)."""
    single_pair_floor = 0.35
    """A chain of one sentence pair below this similarity is dropped unscored."""

    def supports(self, lang_a: str, lang_b: str) -> bool:
        return {lang_a, lang_b} == {"zh", "en"}

    # -- sentence representations ----------------------------------------
    @staticmethod
    def english_items(text: str, memo: dict[str, str | None] | None = None) -> list[str]:
        """The keys of an English text's words (``memo``: each token met so far
        with its key, None for a Han character or a stopword; a text repeats
        its words, and keying one costs Unicode folding)."""
        memo = {} if memo is None else memo
        words = TOKEN_RE.findall(text)
        for w in set(words).difference(memo):
            memo[w] = None if is_han(w[0]) else en_key(fold_word(w))
        return [k for k in map(memo.__getitem__, words) if k is not None]

    def __init__(self, segmenter: str = "cedict") -> None:
        self.segmenter = segmenter
        """``cedict``: longest dictionary match (no start-up cost, and every word
        it yields is in the lexicon); ``jieba``: jieba's segmenter (about 1 s to
        load its model, better on words CEDICT lacks)."""

    def segment(self, simp: str) -> list[str]:
        if self.segmenter == "jieba":
            import jieba  # type: ignore[import-untyped]

            return list(jieba.lcut(simp, HMM=False))
        return _max_match(simp)

    def chinese_items(self, text: str) -> list[tuple[str, ...]]:
        """One stem set per Chinese content word (unknown words: per character)."""
        lex = load_lexicon()
        simp = "".join(fold_han(ch) for ch in text)
        out: list[tuple[str, ...]] = []
        for w in self.segment(simp):
            if not _HAN_ANY.search(w):
                key = en_key(fold_word(w.strip()))
                if key is not None:
                    out.append((key,))
                continue
            if w in ZH_STOP:
                continue
            stems = lex.get(w)
            if stems:
                if len(w) > 1 or len(stems) <= 6:  # many-sense single characters are noise
                    out.append(stems)
                continue
            # unknown word (jieba glued two words): longest dictionary words inside it
            i = 0
            while i < len(w):
                for k in range(min(4, len(w) - i), 0, -1):
                    s = lex.get(w[i : i + k])
                    if s and (k > 1 or (len(s) <= 6 and w[i] not in ZH_STOP)):
                        out.append(s)
                        i += k
                        break
                else:
                    i += 1
        return out

    def pairs(self, src: Sequence[Sentence], src_lang: str, tgt: Sequence[Sentence], tgt_lang: str
              ) -> Iterable[tuple[int, int, float]]:
        if src_lang == "en":
            for j, i, s in self.pairs(tgt, tgt_lang, src, src_lang):
                yield i, j, s
            return
        self.prepare(src, tgt)
        self._build_index()
        yield from in_parallel(self._pairs_of, len(self._zh_items))

    max_post = 30
    """Posting lists longer than this are not followed (fixed, so the work stays
    linear in the corpus)."""
    block = 4096
    """Chinese sentences whose candidates are looked up and counted at once."""

    def _build_index(self) -> None:
        """The English side's inverted indexes, as sorted arrays (a Python dict
        of tens of millions of tuple keys is slow to look up once it no longer
        fits the caches, and large): each English sentence under every pair of
        its :attr:`top_items` rarest stems that some Chinese word glosses to,
        and under each of its rare stems (in at most :attr:`max_post`
        sentences). Lists longer than :attr:`max_post` are left out: they are
        never followed."""
        en, df, weight = self._en_items, self._df, self._weight
        glossed = load_reverse_lexicon()  # stems some Chinese word translates to
        sid = {st: k for k, st in enumerate(sorted(df))}
        nv = max(1, len(sid))
        top = np.full((len(en), self.top_items), -1, dtype=np.int64)
        en_sets: list[set[str]] = []
        en_total: list[float] = []  # each English sentence's IDF mass
        rare_st: list[int] = []
        rare_j: list[int] = []
        for j, items in enumerate(en):
            es = set(items)
            en_sets.append(es)
            en_total.append(math.fsum(weight[st] for st in es))
            # keys from the rarest words that *can* be matched: names CEDICT
            # does not know would make rare but useless keys
            uniq = sorted((st for st in es if st in glossed), key=lambda st: (df[st], st))[: self.top_items]
            top[j, : len(uniq)] = [sid[st] for st in uniq]
            for st in es:
                if df[st] <= self.max_post:
                    rare_st.append(sid[st])
                    rare_j.append(j)
        keys, js = [], []
        for a, b in combinations(range(self.top_items), 2):
            ok = top[:, b] >= 0
            lo = np.minimum(top[ok, a], top[ok, b])
            hi = np.maximum(top[ok, a], top[ok, b])
            keys.append(lo * nv + hi)
            js.append(np.flatnonzero(ok))
        key = np.concatenate(keys) if keys else np.zeros(0, np.int64)
        jj = np.concatenate(js) if js else np.zeros(0, np.int64)
        order = np.lexsort((jj, key))  # each list in the order of the English sentences
        key, jj = key[order], jj[order]
        ukey, count = np.unique(key, return_counts=True)
        keep = count <= self.max_post
        follow = np.repeat(keep, count)
        self._pair_keys = ukey[keep]
        self._pair_start = np.concatenate(([0], np.cumsum(count[keep])))[:-1]
        self._pair_len = count[keep]
        self._pair_post = jj[follow].astype(np.int32)
        rs, rj = np.asarray(rare_st, dtype=np.int64), np.asarray(rare_j, dtype=np.int32)
        order = np.lexsort((rj, rs))
        self._rare_post = rj[order]
        self._rare_start = np.searchsorted(rs[order], np.arange(nv + 1))
        self._sid, self._nv, self._en_sets, self._en_total = sid, nv, en_sets, en_total

    _sid: dict[str, int]
    _nv: int
    _pair_keys: np.ndarray
    _pair_start: np.ndarray
    _pair_len: np.ndarray
    _pair_post: np.ndarray
    _rare_start: np.ndarray
    _rare_post: np.ndarray
    _en_sets: list[set[str]]
    _en_total: list[float]

    def _pairs_of(self, lo: int, hi: int) -> list[tuple[int, int, float]]:
        """The pairs of Chinese sentences ``lo..hi-1`` (after :meth:`pairs` built the indexes)."""
        out: list[tuple[int, int, float]] = []
        for b in range(lo, hi, self.block):
            out.extend(self._pairs_of_block(b, min(hi, b + self.block)))
        return out

    def _pairs_of_block(self, lo: int, hi: int) -> list[tuple[int, int, float]]:
        zh, df, weight, sid, nv = self._zh_items, self._df, self._weight, self._sid, self._nv
        max_post = self.max_post
        # the keys each sentence looks up, in the order it meets them
        q_i: list[int] = []  # sentence (from lo)
        q_key: list[int] = []  # a pair of stems, for the pair index
        r_i: list[int] = []
        r_w: list[int] = []  # the word, for the rare-stem index
        r_st: list[int] = []
        for i in range(lo, hi):
            words = zh[i]
            if len(words) < 3:
                continue
            ranked = sorted(words, key=lambda ss: -max(weight.get(s, 0.0) for s in ss))
            top = []
            for ss in ranked[: self.top_items]:
                known = sorted((s for s in ss if df.get(s)), key=lambda s: df[s])[:2]
                if known:
                    top.append([sid[s] for s in known])
            for w1, w2 in combinations(top, 2):
                seen_pairs = set()
                for s1 in w1:
                    for s2 in w2:
                        if s1 == s2:
                            continue
                        key = s1 * nv + s2 if s1 < s2 else s2 * nv + s1
                        if key in seen_pairs:
                            continue
                        seen_pairs.add(key)
                        q_i.append(i - lo)
                        q_key.append(key)
            for w, ss in enumerate(words):
                for st in ss:
                    k = sid.get(st)
                    if k is not None and df[st] <= max_post:
                        r_i.append(i - lo)
                        r_w.append(w)
                        r_st.append(k)
        nj = len(self._en_sets) + 1
        # English sentences under each pair key: one count per key met
        qk, qi = np.asarray(q_key, dtype=np.int64), np.asarray(q_i, dtype=np.int64)
        at = np.searchsorted(self._pair_keys, qk)
        at[at == len(self._pair_keys)] = 0
        hit = self._pair_keys[at] == qk if len(self._pair_keys) else np.zeros(len(qk), bool)
        lens = self._pair_len[at[hit]]
        p_codes = np.repeat(qi[hit], lens) * nj + _expand(self._pair_post, self._pair_start[at[hit]], lens)
        p_code, p_first, p_count = np.unique(p_codes, return_index=True, return_counts=True)
        # and English sentences sharing two rare words (each in <= max_post sentences)
        rst = np.asarray(r_st, dtype=np.int64)
        r_start = self._rare_start[rst]
        r_len = self._rare_start[rst + 1] - r_start
        nw = max(r_w, default=0) + 1
        words_of = np.asarray(r_i, dtype=np.int64) * nw + np.asarray(r_w, dtype=np.int64)
        wj = np.unique(_expand(self._rare_post, r_start, r_len) + np.repeat(words_of, r_len) * nj)  # a word once
        s_codes = (wj // nj // nw) * nj + wj % nj
        s_code, s_first, s_count = np.unique(s_codes, return_index=True, return_counts=True)
        two = s_count >= 2
        codes = np.concatenate((p_code, s_code[two]))
        count = np.concatenate((p_count, s_count[two]))
        met = np.concatenate((p_first, len(p_codes) + s_first[two]))
        code, inv = np.unique(codes, return_inverse=True)
        total = np.bincount(inv, weights=count, minlength=len(code)).astype(np.int64)
        first = np.full(len(code), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, inv, met)
        # the most shared keys first, ties in the order met; the first
        # max_candidates of each sentence
        sent = code // nj
        order = np.lexsort((first, -total, sent))
        sent, cand = sent[order], (code % nj)[order]
        starts = np.flatnonzero(np.r_[True, sent[1:] != sent[:-1]]) if len(sent) else np.zeros(0, np.int64)
        bounds = np.r_[starts, len(sent)]
        out: list[tuple[int, int, float]] = []
        for g in range(len(starts)):
            a = int(bounds[g])
            i = lo + int(sent[a])
            best = cand[a : min(int(bounds[g + 1]), a + self.max_candidates)].tolist()
            out.extend(self._scored(i, best))
        return out

    def _scored(self, i: int, best: list[int]) -> list[tuple[int, int, float]]:
        """Chinese sentence ``i``'s best few English candidates by similarity."""
        words, weight, en_sets, en_total = self._zh_items[i], self._weight, self._en_sets, self._en_total
        # a word weighs as its commonest known sense; an unknown word (a name
        # CEDICT lacks) weighs little, as it cannot be matched anyway
        wz = _word_weights(words, weight)
        total_z = sum(wz)
        if total_z <= 0:
            return []
        word_of: dict[str, list[int]] = defaultdict(list)
        for k, ss in enumerate(words):
            for s in ss:
                word_of[s].append(k)
        scored: list[tuple[float, int]] = []
        for j in best:
            es = en_sets[j]
            shared = es & word_of.keys()
            total_e = en_total[j]
            if not shared or total_e <= 0:
                continue
            mz = sum(wz[k] for k in sorted({k for s in shared for k in word_of[s]}))
            me = math.fsum(weight[s] for s in shared)  # exact: a set's order varies by process
            rz, re_ = mz / total_z, me / total_e
            sim = 0.0 if rz + re_ == 0 else 2 * rz * re_ / (rz + re_)
            if sim >= self.min_similarity:
                scored.append((sim, j))
        # the few best English sentences per Chinese sentence: keeps the chain
        # stage linear (the noise floor rises with the size of the pool)
        return [(i, j, sim) for sim, j in sorted(scored, reverse=True)[: self.keep]]

    _df: dict[str, int] = {}
    _n: int = 1
    _weight: dict[str, float] = {}

    def prepare(self, src: Sequence[Sentence], tgt: Sequence[Sentence]) -> None:
        """Gloss the Chinese sentences ``src`` and key the English ``tgt``, for
        :meth:`pairs` and :meth:`passage_similarity`."""
        zh = in_parallel(lambda lo, hi: [self.chinese_items(s.text) for s in src[lo:hi]], len(src))
        # glosses that came back from worker processes are copies, one per use:
        # share one tuple per distinct gloss again (as the lexicon does)
        canon: dict[tuple[str, ...], tuple[str, ...]] = {}
        zh = [[canon.setdefault(ss, ss) for ss in words] for words in zh]
        keyed: dict[str, str | None] = {}
        en = [self.english_items(s.text, keyed) for s in tgt]
        df: dict[str, int] = defaultdict(int)
        for items in en:
            for st in set(items):
                df[st] += 1
        self._df, self._n = df, len(en) + 1
        self._weight = {st: math.log(self._n / (k + 0.5)) for st, k in df.items()}
        self._zh_items, self._en_items = zh, en
        KEYS.save()
        self._memo_w: dict[int, list[float]] = {}
        self._memo_pieces: dict[int, frozenset[str]] = {}
        self._memo_rendered: dict[tuple[int, str], bool] = {}

    _zh_items: list[list[tuple[str, ...]]] = []
    _en_items: list[list[str]] = []

    memo_size = 100_000
    """Entries each memo of :meth:`passage_similarity` keeps before it starts
    afresh: resizing asks about the same few sentences again and again, and
    memory must not grow with the corpus."""
    pieces_memo_size = 4096
    """Chinese sentences whose substrings :meth:`_pieces` keeps (a few kB each:
    with 100,000 of them the benchmark's peak at 100 MB was 3.78 GB, with
    4,096 3.22 GB)."""

    def _zh_weights(self, i: int) -> list[float]:
        """Each word of Chinese sentence ``i`` weighs as its commonest known sense."""
        got = self._memo_w.get(i)
        if got is None:
            got = _remember(self._memo_w, i, _word_weights(self._zh_items[i], self._weight), self.memo_size)
        return got

    def _rendered_in(self, i: int, stem: str, src: Sequence[Sentence]) -> bool:
        """Whether one of the Chinese renderings of English ``stem`` stands in
        Chinese sentence ``i`` (as a substring, in simplified script)."""
        key = (i, stem)
        got = self._memo_rendered.get(key)
        if got is None:
            got = _remember(self._memo_rendered, key, not self._pieces(i, src).isdisjoint(
                _reverse_lexicon().get(stem, ())), self.memo_size)
        return got

    def _pieces(self, i: int, src: Sequence[Sentence]) -> frozenset[str]:
        """Every substring of Chinese sentence ``i`` (simplified) as long as a
        rendering may be (:data:`.lexicon.RENDERING_CHARS`)."""
        got = self._memo_pieces.get(i)
        if got is None:
            simp = "".join(fold_han(ch) for ch in src[i].text)
            pieces = frozenset(simp[a : a + n] for n in range(1, RENDERING_CHARS + 1) for a in range(len(simp) - n + 1))
            got = _remember(self._memo_pieces, i, pieces, self.pieces_memo_size)
        return got

    def passage_similarity(self, src: Sequence[Sentence], src_idx: list[int], tgt: Sequence[Sentence],
                           tgt_idx: list[int]) -> float:
        """Similarity of two whole passages (sentences ``src_idx`` of the last
        :meth:`pairs` run's Chinese side, ``tgt_idx`` of its English side), both
        ways: Chinese words whose glosses occur in the English, and English
        words one of whose Chinese renderings occurs *as a substring* of the
        Chinese (so segmentation errors do not hide a match); times how well
        the shared words keep their order."""
        weight = self._weight
        unseen = math.log(self._n / 0.5)
        words = [w for i in src_idx for w in self._zh_items[i]]
        en = [x for j in tgt_idx for x in self._en_items[j]]
        if not words or not en:
            return 0.0
        es = set(en)
        wz = [w for i in src_idx for w in self._zh_weights(i)]
        mz = sum(w for ss, w in zip(words, wz, strict=True) if not es.isdisjoint(ss))
        zstems = {s for ss in words for s in ss}
        # exact sums (math.fsum): a set of strings iterates in an order that
        # varies from process to process, and a float sum with it
        ws = {st: weight.get(st, unseen) for st in es}
        total_e = math.fsum(ws.values())
        me = math.fsum(w for st, w in ws.items()
                       if st in zstems or any(self._rendered_in(i, st, src) for i in src_idx))
        total_z = sum(wz)
        if total_z <= 0 or total_e <= 0:
            return 0.0
        rz, re_ = mz / total_z, me / total_e
        sim = 0.0 if rz + re_ == 0 else 2 * rz * re_ / (rz + re_)
        return sim * (0.4 + 0.6 * _order(words, en))


def _order(words: list[tuple[str, ...]], en: list[str]) -> float:
    """How far the shared words keep their order: the longest increasing run of
    English positions, taken in Chinese order, over the shared words (1.0 for
    a translation that keeps its order, about 0.5 or less for a bag of words)."""
    pos: dict[str, list[int]] = defaultdict(list)
    for k, st in enumerate(en):
        pos[st].append(k)
    used: set[int] = set()
    seq: list[int] = []
    for ss in words:
        cands = sorted(k for st in ss for k in pos.get(st, ()) if k not in used)
        if not cands:
            continue
        # the first unused English position after the last one taken, else the first
        last = seq[-1] if seq else -1
        k = next((x for x in cands if x > last), cands[0])
        used.add(k)
        seq.append(k)
    if len(seq) < 3:
        return 0.5
    tails: list[int] = []
    for x in seq:
        i = bisect_left(tails, x)
        if i == len(tails):
            tails.append(x)
        else:
            tails[i] = x
    return len(tails) / len(seq)


K = TypeVar("K")
V = TypeVar("V")


def _remember(memo: dict[K, V], key: K, value: V, size: int) -> V:
    """``memo[key] = value``, the memo emptied first once it holds ``size`` entries."""
    if len(memo) >= size:
        memo.clear()
    memo[key] = value
    return value


def _reverse_lexicon() -> dict[str, tuple[str, ...]]:
    """English stem -> Chinese headwords glossed by it (cached with the lexicon)."""
    return load_reverse_lexicon()


def _max_match(text: str, longest: int = 6) -> list[str]:
    """Forward longest-match segmentation on the CEDICT headwords; runs of
    non-Han characters stay whole."""
    lex = load_lexicon()
    first = load_longest_from()
    out: list[str] = []
    for m in _HAN_RUNS.finditer(text):
        run = m.group()
        if not is_han(run):
            out.extend(run.split())
            continue
        i, n = 0, len(run)
        while i < n:
            k = min(longest, n - i, first.get(run[i], 1))
            while k > 1 and run[i : i + k] not in lex:
                k -= 1
            out.append(run[i : i + k])
            i += k
    return out


_HAN_RUNS = re.compile(f"[{HAN}]+|[^{HAN}]+")
"""A run of Han characters, or of others."""
_HAN_ANY = re.compile(f"[{HAN}]")
"""A Han character anywhere in a string."""


register_matcher(CedictMatcher())
register_matcher(type("JiebaCedictMatcher", (CedictMatcher,), {"name": "cedict-jieba"})("jieba"))


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


_CLOSER = {"“": "”", "「": "」", "『": "』", '"': '"'}
"""Closing mark of each opening one (not single quotes: their closing mark is
also an apostrophe)."""


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
    close = _quotation_from(text, at)
    if close is None and first.elided_before:
        opened = _open_quotation_at(text, first.start)
        close = _quotation_from(text, opened) if opened is not None else None
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


def _quotation_from(text: str, at: int) -> int | None:
    """Where the quotation that ``text[at]`` opens closes (its matching closing
    mark, nested marks of the same kind skipped), or None when ``text[at]``
    opens none (:func:`_may_open`), or no mark closes it in ``text``."""
    if not (0 <= at < len(text) and _may_open(text, at)):
        return None
    opener, closer, depth = text[at], _CLOSER[text[at]], 1
    for x in range(at + 1, len(text)):
        if text[x] == closer:
            depth -= 1
            if depth == 0:
                return x
        elif text[x] == opener:
            depth += 1
    return None


def _open_quotation_at(text: str, pos: int) -> int | None:
    """The opening mark of the innermost quotation still open at ``pos`` in
    ``text`` (marks read from the start, a straight ``"`` opening only where
    :func:`_quotation_from` lets it), or None."""
    stack: list[int] = []
    for x in range(pos):
        c = text[x]
        if stack and c == _CLOSER[text[stack[-1]]]:
            stack.pop()
        elif _may_open(text, x):
            stack.append(x)
    return stack[-1] if stack else None


def _may_open(text: str, at: int) -> bool:
    """Whether ``text[at]`` is a mark that opens a quotation there: a straight
    ``"`` only at the start or after a space, a bracket, a dash or a colon;
    after a word or a full stop it closes one (``"No." Then``)."""
    c = text[at]
    closer = _CLOSER.get(c)
    if closer is None:
        return False
    return closer != c or at == 0 or text[at - 1].isspace() or text[at - 1] in "([{:—–-"


def in_quotation_marks(sents: list[Sentence], docs: Sequence[Doc]) -> bool:
    """Whether a passage stands between quotation marks: an opening mark right
    before its first sentence (spaces aside) and the matching closing mark
    after its last, in one block. Evidence that the passage quotes something,
    not proof: texts also quote what an edition lacks."""
    first, last = sents[0], sents[-1]
    if first.block != last.block:
        return False
    close = _quotation_opened_before(docs[first.doc].blocks[first.block].text, first.start)
    return close is not None and close >= last.end


def _quotation_opened_before(text: str, pos: int) -> int | None:
    """Where the quotation closes that a mark right before ``pos`` (spaces
    aside) opens, or None (:func:`_quotation_from`)."""
    at = pos - 1
    while at >= 0 and text[at].isspace():
        at -= 1
    return _quotation_from(text, at)


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


def _word_weights(words: list[tuple[str, ...]], weight: dict[str, float]) -> list[float]:
    """Each Chinese word's weight: its commonest known sense's (the lowest IDF
    of its glosses); 1.0 for a word none of whose glosses the English side has."""
    return [min((weight[s] for s in ss if s in weight), default=1.0) for ss in words]


def _expand(post: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The entries of the posting lists ``post[start:start+length]``, one list
    after another."""
    total = int(length.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    begin = np.repeat(start - (np.cumsum(length) - length), length)
    return post[begin + np.arange(total)].astype(np.int64)


def next_sentence(seq: list[int], pool: Sequence[Sentence], end: int, same_block: bool = False) -> int | None:
    """The sentence of ``pool`` just before (``end`` 0) or after (1) the run
    ``seq``, if it is in the same doc (and, with ``same_block``, the same block)."""
    k = seq[0] - 1 if end == 0 else seq[-1] + 1
    if not 0 <= k < len(pool) or pool[k].doc != pool[seq[0]].doc:
        return None
    return None if same_block and pool[k].block != pool[seq[0]].block else k


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
