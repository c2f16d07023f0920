"""The lexical cross-lingual matcher, ``cedict``: Chinese <-> English through CC-CEDICT.

jieba (or longest-match on CC-CEDICT's headwords) segments the Chinese,
CC-CEDICT glosses each word as English keys (lemma, then stem:
:func:`.lexicon.en_key`), and a sentence pair scores the IDF-weighted share of
words that translate each other. Candidates come from an inverted index on
*pairs* of rare stems (each sentence contributes pairs of its rarest items),
which keeps the work linear in the corpus.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import TypeVar

import numpy as np

from ..textfold import HAN, TOKEN_RE, fold_han, fold_word, is_han
from .lexicon import (
    KEYS,
    RENDERING_CHARS,
    ZH_STOP,
    en_key,
    load_lexicon,
    load_longest_from,
    load_reverse_lexicon,
)
from .matcher import CrossLingualMatcher, register_matcher
from .parallel import in_parallel
from .sentences import Sentence


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
            got = remember(self._memo_w, i, _word_weights(self._zh_items[i], self._weight), self.memo_size)
        return got

    def _rendered_in(self, i: int, stem: str, src: Sequence[Sentence]) -> bool:
        """Whether one of the Chinese renderings of English ``stem`` stands in
        Chinese sentence ``i`` (as a substring, in simplified script)."""
        key = (i, stem)
        got = self._memo_rendered.get(key)
        if got is None:
            got = remember(self._memo_rendered, key, not self._pieces(i, src).isdisjoint(
                _reverse_lexicon().get(stem, ())), self.memo_size)
        return got

    def _pieces(self, i: int, src: Sequence[Sentence]) -> frozenset[str]:
        """Every substring of Chinese sentence ``i`` (simplified) as long as a
        rendering may be (:data:`.lexicon.RENDERING_CHARS`)."""
        got = self._memo_pieces.get(i)
        if got is None:
            simp = "".join(fold_han(ch) for ch in src[i].text)
            pieces = frozenset(simp[a : a + n] for n in range(1, RENDERING_CHARS + 1) for a in range(len(simp) - n + 1))
            got = remember(self._memo_pieces, i, pieces, self.pieces_memo_size)
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


def remember(memo: dict[K, V], key: K, value: V, size: int) -> V:
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


register_matcher(CedictMatcher())
register_matcher(type("JiebaCedictMatcher", (CedictMatcher,), {"name": "cedict-jieba"})("jieba"))
