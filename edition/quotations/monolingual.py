"""Monolingual reuse: hashed n-gram seeds -> chains -> local alignment.

1. Seeds (linear, numpy): every run of ``n`` tokens (5 words, or 6 Han
   characters) is hashed; sorting the hashes groups equal shingles; groups
   seen 2..``max_df`` times give seed pairs (a shingle seen more often is a
   stock phrase and gives no evidence). A seed with no other seed on the
   same diagonal within a few tokens is a chance collision and is dropped.
2. Chains: seeds of one pair of documents, in order, joined when both sides
   advance by a few tokens (edits) or one side jumps (elision, up to
   ``ELIDE_GAP`` tokens).
3. Alignment of each chain's region with :class:`difflib.SequenceMatcher` on
   token ids, with OCR-tolerant equality and split/glued words for the
   unequal parts, then edge extension. The aligned counts give the kind and
   the features of the score.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

import numpy as np

from ..textfold import ocr_equal
from .corpus import Corpus

N_WORD = 5
N_HAN = 6
MAX_DF = 40
NEIGHBOUR = 12
"""A seed needs another seed on its diagonal within this many tokens."""
GAP = 12
ELIDE_GAP = 120
NEAR = 300
"""Inside one work, seeds closer than this many tokens are not a quotation."""

_MUL = np.uint64(0x9E3779B97F4A7C15)


@dataclass(slots=True)
class Match:
    """An aligned pair of token ranges ``[a0, a1)``, ``[b0, b1)`` (global positions)."""

    a0: int
    a1: int
    b0: int
    b1: int
    kind: str
    matched_a: int
    matched_b: int
    coverage: float
    rarity: float
    units: float
    """Matched length over the minimum length (>= 1 means long enough)."""
    seeded: float
    """Share of the passage covered by seeds (shingles that are not stock phrases)."""
    han_share: float


def shingle_hashes(c: Corpus) -> tuple[np.ndarray, np.ndarray]:
    """(hash, global start position) of every shingle that stays inside one doc."""
    rng = np.random.default_rng(20261122)
    rnd = rng.integers(1, 2**63 - 1, size=max(1, len(c.vocab)), dtype=np.uint64)
    hs: list[np.ndarray] = []
    ps: list[np.ndarray] = []
    for di, doc in enumerate(c.docs):
        lo, hi = int(c.doc_off[di]), int(c.doc_off[di + 1])
        n = N_HAN if doc.lang == "zh" else N_WORD
        m = hi - lo - n + 1
        if m <= 0:
            continue
        toks = rnd[c.ids[lo:hi]]
        h = np.zeros(m, dtype=np.uint64)
        for k in range(n):
            h = h * _MUL + toks[k : k + m]
        # salt by shingle size so 5-word and 6-char shingles never collide
        h ^= np.uint64(n)
        hs.append(h)
        ps.append(np.arange(lo, lo + m, dtype=np.int64))
    if not hs:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    return np.concatenate(hs), np.concatenate(ps)


def seed_pairs(c: Corpus, max_df: int = MAX_DF) -> tuple[np.ndarray, np.ndarray]:
    """Seed pairs (pa < pb, global positions) of shingles shared 2..max_df times."""
    h, pos = shingle_hashes(c)
    if h.size < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.argsort(h, kind="stable")
    hs = h[order]
    del h
    brk = np.flatnonzero(hs[1:] != hs[:-1]) + 1
    starts = np.concatenate(([0], brk))
    lens = np.diff(np.concatenate((starts, [hs.size])))
    del hs, brk
    pa_parts: list[np.ndarray] = []
    pb_parts: list[np.ndarray] = []
    for size in range(2, max_df + 1):
        st = starts[lens == size]
        if st.size == 0:
            continue
        iu, ju = np.triu_indices(size, k=1)
        a = pos[order[st[:, None] + iu[None, :]]].ravel()
        b = pos[order[st[:, None] + ju[None, :]]].ravel()
        pa_parts.append(a)
        pb_parts.append(b)
    if not pa_parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pa = np.concatenate(pa_parts)
    pb = np.concatenate(pb_parts)
    swap = pa > pb
    pa, pb = np.where(swap, pb, pa), np.where(swap, pa, pb)
    # not a quotation: the same place, or nearby places of one work
    same_grp = c.grp[pa] == c.grp[pb]
    keep = ~(same_grp & (pb - pa < NEAR))
    pa, pb = pa[keep], pb[keep]
    if pa.size == 0:
        return pa, pb
    # drop chance collisions: keep seeds with a neighbour on the same diagonal
    diag = pb - pa
    o = np.lexsort((pa, diag))
    pa, pb, diag = pa[o], pb[o], diag[o]
    near = (diag[1:] == diag[:-1]) & (pa[1:] - pa[:-1] <= NEIGHBOUR)
    ok = np.zeros(pa.size, dtype=bool)
    ok[1:] |= near
    ok[:-1] |= near
    pa, pb = pa[ok], pb[ok]
    o = np.lexsort((pb, pa))
    return pa[o], pb[o]


def chains(c: Corpus, pa: np.ndarray, pb: np.ndarray) -> list[tuple[int, int, int, int, int, int]]:
    """Group seeds into chains: (a_first, a_last, b_first, b_last, n_seeds,
    tokens of side a covered by seeds)."""
    n_of = [N_HAN if d.lang == "zh" else N_WORD for d in c.docs]
    da = np.searchsorted(c.doc_off, pa, side="right") - 1
    db = np.searchsorted(c.doc_off, pb, side="right") - 1
    o = np.lexsort((pb, pa, db, da))
    out: list[tuple[int, int, int, int, int, int]] = []
    active: list[list[int]] = []  # [a_first, a_last, b_first, b_last, n, covered]
    cur = (-1, -1)
    for i in o.tolist():
        key = (int(da[i]), int(db[i]))
        a, b = int(pa[i]), int(pb[i])
        if key != cur:
            out.extend(tuple(x) for x in active)  # type: ignore[misc]
            active = []
            cur = key
        best = None
        still: list[list[int]] = []
        for ch in active:
            if a - ch[1] > ELIDE_GAP:
                out.append(tuple(ch))  # type: ignore[arg-type]
                continue
            still.append(ch)
            da_, db_ = a - ch[1], b - ch[3]
            if da_ < 0 or db_ < 0 or (da_ == 0 and db_ == 0):
                continue
            if max(da_, db_) <= GAP and abs(da_ - db_) <= 4 or (min(da_, db_) <= GAP and max(da_, db_) <= ELIDE_GAP):
                if best is None or abs(da_ - db_) < abs(a - best[1] - (b - best[3])):
                    best = ch
        active = still
        if best is not None:
            best[5] += min(n_of[key[0]], a - best[1])
            best[1], best[3], best[4] = a, b, best[4] + 1
        else:
            active.append([a, a, b, b, 1, n_of[key[0]]])
    out.extend(tuple(x) for x in active)  # type: ignore[misc]
    return out


def _unequal(va: list[str], vb: list[str]) -> tuple[int, int]:
    """Matched tokens in a 'replace' region: OCR-equal tokens one to one, or a
    word split in two or three on one side (``it will``/``itwill``, ``i t s``)."""
    i = j = ma = mb = 0
    while i < len(va) and j < len(vb):
        if ocr_equal(va[i], vb[j]):
            i, j, ma, mb = i + 1, j + 1, ma + 1, mb + 1
            continue
        hit = False
        for k in (2, 3):
            if j + k <= len(vb) and va[i] == "".join(vb[j : j + k]):
                i, j, ma, mb, hit = i + 1, j + k, ma + 1, mb + k, True
                break
            if i + k <= len(va) and vb[j] == "".join(va[i : i + k]):
                i, j, ma, mb, hit = i + k, j + 1, ma + k, mb + 1, True
                break
        if not hit:
            i, j = i + 1, j + 1
    return ma, mb


def _eq(c: Corpus, x: int, y: int) -> bool:
    ix, iy = int(c.ids[x]), int(c.ids[y])
    return ix == iy or ocr_equal(c.vocab[ix], c.vocab[iy])


def _extend(c: Corpus, a0: int, a1: int, b0: int, b1: int, alo: int, ahi: int, blo: int, bhi: int
            ) -> tuple[int, int, int, int]:
    """Grow the region while tokens agree; one disagreeing token is crossed
    when the two tokens beyond it agree (a changed first or last word)."""
    v, ids = c.vocab, c.ids

    def glued(x0: int, x1: int, y: int) -> bool:  # tokens x0..x1-1 written as one word y
        return "".join(v[int(ids[k])] for k in range(x0, x1)) == v[int(ids[y])]

    while True:
        if a0 > alo and b0 > blo and _eq(c, a0 - 1, b0 - 1):
            a0, b0 = a0 - 1, b0 - 1
        elif a0 - 2 >= alo and b0 > blo and glued(a0 - 2, a0, b0 - 1):
            a0, b0 = a0 - 2, b0 - 1
        elif b0 - 2 >= blo and a0 > alo and glued(b0 - 2, b0, a0 - 1):
            a0, b0 = a0 - 1, b0 - 2
        elif a0 - 3 >= alo and b0 - 3 >= blo and _eq(c, a0 - 2, b0 - 2) and _eq(c, a0 - 3, b0 - 3):
            a0, b0 = a0 - 3, b0 - 3
        elif (j := _back_across_elision(c, a0, b0, alo, blo)) is not None:
            a0, b0 = j
        else:
            break
    while True:
        if a1 < ahi and b1 < bhi and _eq(c, a1, b1):
            a1, b1 = a1 + 1, b1 + 1
        elif a1 + 2 <= ahi and b1 < bhi and glued(a1, a1 + 2, b1):
            a1, b1 = a1 + 2, b1 + 1
        elif b1 + 2 <= bhi and a1 < ahi and glued(b1, b1 + 2, a1):
            a1, b1 = a1 + 1, b1 + 2
        elif a1 + 2 < ahi and b1 + 2 < bhi and _eq(c, a1 + 1, b1 + 1) and _eq(c, a1 + 2, b1 + 2):
            a1, b1 = a1 + 3, b1 + 3
        elif (j := _across_elision(c, a1, b1, ahi, bhi)) is not None:
            a1, b1 = j
        else:
            break
    return a0, a1, b0, b1


def _across_elision(c: Corpus, a1: int, b1: int, ahi: int, bhi: int) -> tuple[int, int] | None:
    """After an elision mark on one side (``...``, ``……``), find where the text
    resumes on the other side: a run of 3 agreeing tokens within ELIDE_GAP.
    Short tails after an elision have too few shingles to seed a chain."""
    for x1, y1, xhi, yhi, swap in ((a1, b1, ahi, bhi, False), (b1, a1, bhi, ahi, True)):
        if x1 + 2 >= xhi or not c.ell[x1]:
            continue
        for y in range(y1 + 1, min(yhi - 2, y1 + ELIDE_GAP)):
            if (c.ids[y] == c.ids[x1] and c.ids[y + 1] == c.ids[x1 + 1] and c.ids[y + 2] == c.ids[x1 + 2]):
                return (y + 3, x1 + 3) if swap else (x1 + 3, y + 3)
    return None


def _back_across_elision(c: Corpus, a0: int, b0: int, alo: int, blo: int) -> tuple[int, int] | None:
    """Before an elision mark on one side, find where the text was left on the
    other: the 3 tokens before the mark, agreeing, within ELIDE_GAP before the
    region (a short head before an elision has too few shingles to seed)."""
    for x0, y0, xlo, ylo, swap in ((a0, b0, alo, blo, False), (b0, a0, blo, alo, True)):
        if x0 - 3 < xlo or not c.ell[x0]:
            continue
        for y in range(y0 - 1, max(ylo + 1, y0 - ELIDE_GAP), -1):
            if (c.ids[y] == c.ids[x0 - 1] and c.ids[y - 1] == c.ids[x0 - 2] and c.ids[y - 2] == c.ids[x0 - 3]):
                return (y - 2, x0 - 3) if swap else (x0 - 3, y - 2)
    return None


def align(c: Corpus, a0: int, a1: int, b0: int, b1: int, min_words: int, min_chars: int,
          log_total: float, covered: int | None = None) -> Match | None:
    ids = c.ids
    sa = ids[a0:a1].tolist()
    sb = ids[b0:b1].tolist()
    sm = difflib.SequenceMatcher(None, sa, sb, autojunk=False)
    ops = sm.get_opcodes()
    # trim unmatched ends (a seed region can end inside an edit)
    while ops and ops[0][0] != "equal":
        ops.pop(0)
    while ops and ops[-1][0] != "equal":
        ops.pop()
    if not ops:
        return None
    ia0, ib0 = ops[0][1], ops[0][3]
    ia1, ib1 = ops[-1][2], ops[-1][4]
    ma = mb = 0
    elided_a = elided_b = 0
    edited = False
    ocr = 0  # tokens matched only as OCR-equal (glued, split, misread)
    matched_pos: list[int] = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            ma += i2 - i1
            mb += j2 - j1
            matched_pos.extend(range(a0 + i1, a0 + i2))
            continue
        if tag == "delete" and c.ell[b0 + j1]:
            elided_b += i2 - i1  # b skipped a's words and marks it
            continue
        if tag == "insert" and c.ell[a0 + i1]:
            elided_a += j2 - j1
            continue
        if tag == "replace":
            va = [c.vocab[x] for x in sa[i1:i2]]
            vb = [c.vocab[x] for x in sb[j1:j2]]
            if (i2 - i1) - (j2 - j1) >= 1 and c.ell[b0 + j1]:
                elided_b += (i2 - i1) - (j2 - j1)
                va = va[-(j2 - j1):] if j2 > j1 else []
            elif (j2 - j1) - (i2 - i1) >= 1 and c.ell[a0 + i1]:
                elided_a += (j2 - j1) - (i2 - i1)
                vb = vb[-(i2 - i1):] if i2 > i1 else []
            xa, xb = _unequal(va, vb)
            ma += xa
            mb += xb
            ocr += xa
            if xa < len(va) or xb < len(vb) or len(va) != len(vb) or va != vb:
                # OCR-equal tokens keep the quotation verbatim; anything else is an edit
                if not (xa == len(va) and xb == len(vb)):
                    edited = True
        else:
            edited = True
    la = (ia1 - ia0) - elided_b
    lb = (ib1 - ib0) - elided_a
    if la <= 0 or lb <= 0:
        return None
    coverage = min(ma / la, mb / lb)
    han = int(c.han[a0 + ia0 : a0 + ia1].sum())
    words = ma - min(han, ma)
    units = words / max(1, min_words) + min(han, ma) / max(1, min_chars)
    if matched_pos:
        f = c.freq[ids[np.asarray(matched_pos)]]
        idf = np.log((c.n_tokens + 1) / (f + 1.0))
        rarity = float(idf.mean()) / max(1.0, log_total)
    else:
        rarity = 0.0
    kind = "elided" if (elided_a or elided_b) else ("edited" if edited else "verbatim")
    # ``covered`` counts side a's tokens under seeds; words that b elided have none
    # tokens matched as OCR-equal inside the aligned passage count as half a seed:
    # damage breaks every shingle it touches, so a short damaged quotation has few
    seeded = 1.0 if covered is None else min(1.0, (covered + ocr / 2) / max(1, la))
    return Match(a0 + ia0, a0 + ia1, b0 + ib0, b0 + ib1, kind, ma, mb, coverage, rarity, units, seeded,
                 han / max(1, ia1 - ia0))


def detect_monolingual(c: Corpus, min_words: int, min_chars: int) -> list[Match]:
    pa, pb = seed_pairs(c)
    if pa.size == 0:
        return []
    log_total = math.log(c.n_tokens + 1)
    out: list[Match] = []
    for a_first, a_last, b_first, b_last, n, covered in chains(c, pa, pb):
        da = c.doc_of(a_first)
        db = c.doc_of(b_first)
        na = N_HAN if c.docs[da].lang == "zh" else N_WORD
        nb = N_HAN if c.docs[db].lang == "zh" else N_WORD
        if n < 2:
            continue
        # seeds must cover half a passage of the minimum length (see align's
        # ``seeded``): skip hopeless chains before aligning them
        need = min_chars if na == N_HAN else min_words
        if covered < 0.5 * need:
            continue
        a0, a1, b0, b1 = a_first, a_last + na, b_first, b_last + nb
        alo, ahi = int(c.doc_off[da]), int(c.doc_off[da + 1])
        blo, bhi = int(c.doc_off[db]), int(c.doc_off[db + 1])
        if da == db:  # the two sides of a self-match must not overlap
            ahi = min(ahi, b0)
            blo = max(blo, a1)
            if a1 > b0:
                continue
        e0, e1, b0, b1 = _extend(c, a0, a1, b0, b1, alo, ahi, blo, bhi)
        # words reached by extension agree exactly but were not seeds: half credit
        covered += ((a0 - e0) + (e1 - a1)) // 2
        a0, a1 = e0, e1
        # align's length in units counts matched words of side a: at most its
        # words and Han characters, so a region too short for one unit is not
        # aligned (nine in ten of the sample edition's chains)
        han = int(c.han[a0:a1].sum())
        if (a1 - a0 - han) / max(1, min_words) + han / max(1, min_chars) < 1.0:
            continue
        m = align(c, a0, a1, b0, b1, min_words, min_chars, log_total, covered)
        # long enough, counting only words that are not part of a stock phrase
        if m is None or m.units < 1.0 or m.units * m.seeded < 0.8:
            continue
        out.append(m)
    return out
