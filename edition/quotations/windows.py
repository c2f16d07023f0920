"""Windows of neighbouring sentences and their nearest neighbours across languages.

The search space of :class:`.embedding.EmbeddingMatcher`: each run of one or
two neighbouring sentences of a block is a window (the normalised sum of its
sentence vectors); :func:`exact_scan` finds each window's nearest windows on the
other side exactly (blocked matrix products), and :class:`WindowSpace` keeps what a
passage's score needs afterwards. :mod:`.ann` finds the same approximately.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .cedict import remember
from .parallel import executor
from .sentences import Sentence


@dataclass(slots=True)
class WindowSpace:
    """The windows of the last :meth:`EmbeddingMatcher.pairs` run."""

    wa: list[tuple[int, int]]
    va: np.ndarray
    wb: list[tuple[int, int]]
    vb: np.ndarray
    na: np.ndarray
    nb: np.ndarray
    sa: np.ndarray
    sb: np.ndarray
    sims: np.ndarray | None = None
    """Every window of ``a`` against every window of ``b``, when kept by the
    scan (:attr:`memo_bytes`): the rows of a sentence alone are then read
    from it, not computed."""
    near_b: np.ndarray | None = None
    """When the search was approximate (:mod:`.ann`): each window of ``a``'s
    nearest windows of ``b`` (``near_a``: the converse), among which a
    passage's nearest windows are looked for, not in every window."""
    near_a: np.ndarray | None = None
    ba: np.ndarray = field(init=False)
    """First and last sentence of each window of ``a`` (``bb``, ``eb``: of ``b``)."""
    ea: np.ndarray = field(init=False)
    bb: np.ndarray = field(init=False)
    eb: np.ndarray = field(init=False)
    oa: np.ndarray = field(init=False)
    """The window of each sentence of ``a`` alone (``ob``: of ``b``)."""
    ob: np.ndarray = field(init=False)
    reach: int = field(init=False)
    """Sentences of the widest window, less one."""
    memo_bytes = 64 << 20
    """Memory the rows of :meth:`rows_a` and :meth:`rows_b` may take: the
    window-pair cosines of the whole scan when they fit (:attr:`sims`), else
    the rows computed so far."""
    _rows: dict[tuple[int, int], np.ndarray] = field(init=False)

    def rows_a(self, idx: list[int]) -> np.ndarray:
        """Summed cosines of sentences ``idx`` of ``a`` with every window of ``b``."""
        if self.sims is not None:
            summed: np.ndarray = self.sims[self.oa[idx]].sum(axis=0)
            return summed
        return self._summed(0, idx, self.sa, self.vb)

    def rows_b(self, idx: list[int]) -> np.ndarray:
        """Summed cosines of sentences ``idx`` of ``b`` with every window of ``a``."""
        if self.sims is not None:
            summed: np.ndarray = self.sims[:, self.ob[idx]].sum(axis=1)
            return summed
        return self._summed(1, idx, self.sb, self.va)

    def _summed(self, side: int, idx: list[int], sents: np.ndarray, wins: np.ndarray) -> np.ndarray:
        out = np.zeros(len(wins), dtype=np.float32)
        size = max(1, self.memo_bytes // (4 * max(len(self.va), len(self.vb), 1)))
        for i in idx:
            row = self._rows.get((side, i))
            if row is None:
                row = remember(self._rows, (side, i), wins @ sents[i], size)
            out += row
        return out

    def __post_init__(self) -> None:
        self._rows = {}
        self.oa = np.array([k for k, w in enumerate(self.wa) if w[0] == w[1]], dtype=np.int64)
        self.ob = np.array([k for k, w in enumerate(self.wb) if w[0] == w[1]], dtype=np.int64)
        self.ba = np.array([w[0] for w in self.wa], dtype=np.int64)
        self.ea = np.array([w[1] for w in self.wa], dtype=np.int64)
        self.bb = np.array([w[0] for w in self.wb], dtype=np.int64)
        self.eb = np.array([w[1] for w in self.wb], dtype=np.int64)
        self.reach = int(max((self.ea - self.ba).max(initial=0), (self.eb - self.bb).max(initial=0)))


def nearest_outside(sims: np.ndarray, ends: np.ndarray, begins: np.ndarray, lo: int, hi: int, k: int,
                 reach: int) -> float:
    """Mean of the ``k`` highest ``sims`` of windows not overlapping sentences
    ``lo..hi`` (``sims`` is overwritten). The windows are in order of their
    first sentence, so the overlapping ones lie among those that begin from
    ``lo - reach`` (``reach``: the widest window's sentences less one) to ``hi``."""
    n = len(sims)
    s0 = int(np.searchsorted(begins, lo - reach, side="left"))
    s1 = int(np.searchsorted(begins, hi, side="right"))
    near = ends[s0:s1] >= lo
    left = n - int(near.sum())
    if left <= 0:
        return 0.0
    sims[s0:s1][near] = -np.inf
    k = min(k, left)
    return float(np.partition(sims, n - k)[n - k :].sum()) / k


def products(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b.T``, to the last bit whatever number of BLAS threads this
    process has: a build's blocks run on Dask workers with one thread, and in
    this process with one or all cores (:func:`.parallel.core_for_worker`).
    OpenBLAS computes a product with one row or one column as a matrix times
    a vector (gemv), whose threads split the matrix where its kernels sum in
    another order (a (1, 512) by (512, 1263) product: 2 of 1263 cosines
    differ in their last bit between one thread and two); those go through
    ``einsum``, which calls no BLAS. Products of more rows and columns
    (gemm) gave the same bits on one thread and two in every shape tried,
    from (2, 512) by (512, 2) to (45000, 512) by (512, 1263)."""
    out: np.ndarray = np.einsum("ik,jk->ij", a, b) if len(a) == 1 or len(b) == 1 else a @ b.T
    return out


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12)


def sentence_windows(sents: Sequence[Sentence], vecs: np.ndarray, width: int) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Each run of 1 to ``width`` neighbouring sentences of one block, as the
    normalised sum of their vectors (close to the run's own embedding for this
    averaging encoder, and free)."""
    if not sents:
        return [], vecs[:0]
    # the block of each sentence, numbered along the pool; a window ends w
    # sentences after its start when the sentence there is in the same block
    block = np.fromiter((s.block for s in sents), dtype=np.int64, count=len(sents))
    doc = np.fromiter((s.doc for s in sents), dtype=np.int64, count=len(sents))
    run = np.concatenate([[0], np.cumsum((block[1:] != block[:-1]) | (doc[1:] != doc[:-1]))])
    n = len(sents)
    starts_w, ends_w = [], []
    for w in range(width):
        k = np.arange(n - w)
        ok = k[run[k + w] == run[k]]
        starts_w.append(ok)
        ends_w.append(ok + w)
    # in the pool's order: by start, then by end
    starts = np.concatenate(starts_w)
    ends = np.concatenate(ends_w)
    order = np.lexsort((ends, starts))
    starts, ends = starts[order], ends[order]
    wins = list(zip(starts.tolist(), ends.tolist(), strict=True))
    v = vecs[starts].astype(np.float32, copy=False)
    for d in range(1, width):
        more = ends >= starts + d
        v[more] += vecs[starts[more] + d]
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
    return wins, v


def diagonal_path(i0: int, i1: int, j0: int, j1: int) -> set[tuple[int, int]]:
    """Sentence pairs along the diagonal of a window pair (every sentence of
    both windows, in order), for the detector's chains."""
    out = set()
    for i in range(i0, i1 + 1):
        out.add((i, j0 + round((i - i0) * (j1 - j0) / max(1, i1 - i0))))
    for j in range(j0, j1 + 1):
        out.add((i0 + round((j - j0) * (i1 - i0) / max(1, j1 - j0)), j))
    return out


@dataclass(slots=True)
class WindowScan:
    na: np.ndarray
    """Mean cosine of each row of ``a``'s k nearest rows of ``b``; ``nb`` the converse."""
    nb: np.ndarray
    best_b: np.ndarray
    """Index of each row of ``a``'s nearest row of ``b`` (``cos_b`` its cosine); ``best_a`` the converse."""
    cos_b: np.ndarray
    best_a: np.ndarray
    sims: np.ndarray | None = None
    """The whole product, when the scan was asked to keep it."""


def exact_scan(a: np.ndarray, b: np.ndarray, k: int, rows: int = 512, keep: bool = False) -> WindowScan:
    """Nearest neighbours both ways in one pass over ``a @ b.T``, by blocks of
    ``rows`` (memory stays at ``rows * len(b)`` floats); with ``keep``, in one
    block, the whole product, which the result then holds.

    Under ``edition build --scheduler`` (:func:`.parallel.executor`) the blocks
    are computed on the cluster's workers, ``b`` sent once to each, and merged
    here in the order of the blocks, as one process merges them: the same
    blocks of the same product give the same neighbours, to the last bit."""
    ka, kb = max(1, min(k, len(b))), max(1, min(k, len(a)))
    if keep:
        rows = max(1, len(a))
    starts = list(range(0, len(a), rows))
    ex = executor()
    if ex is not None and ex.workers > 0 and len(starts) > 1:
        blocks: Iterable[_Block] = ex.map(_scan_block, [a[i0 : i0 + rows] for i0 in starts], b, ka, kb, keep)
    else:
        blocks = (_scan_block(a[i0 : i0 + rows], b, ka, kb, keep) for i0 in starts)
    na = np.empty(len(a), dtype=np.float32)
    best_b = np.empty(len(a), dtype=np.int64)
    cos_b = np.empty(len(a), dtype=np.float32)
    col_top = np.full((kb, len(b)), -2.0, dtype=np.float32)  # the kb best cosines of each column so far
    best_a = np.zeros(len(b), dtype=np.int64)
    col_best = np.full(len(b), -2.0, dtype=np.float32)
    kept = None
    for i0, blk in zip(starts, blocks, strict=True):
        n = len(blk.na)
        na[i0 : i0 + n], best_b[i0 : i0 + n], cos_b[i0 : i0 + n] = blk.na, blk.best_b, blk.cos_b
        better = blk.col_max > col_best  # an earlier block keeps a tie, as its rows come first
        best_a[better] = blk.col_arg[better] + i0
        col_best[better] = blk.col_max[better]
        both = np.vstack([col_top, blk.col_top])
        col_top = np.partition(both, len(both) - kb, axis=0)[len(both) - kb :]
        kept = blk.sims
    # sorted first, so that the mean does not depend on how the blocks fell
    return WindowScan(na, np.sort(col_top, axis=0).mean(axis=0), best_b, cos_b, best_a, kept)


@dataclass(slots=True)
class _Block:
    """What :func:`exact_scan` keeps of one block of rows of ``a @ b.T``."""

    na: np.ndarray
    best_b: np.ndarray
    cos_b: np.ndarray
    col_arg: np.ndarray
    """Each column's best row in the block (``col_max``: its cosine)."""
    col_max: np.ndarray
    col_top: np.ndarray
    """Each column's ``kb`` best cosines in the block (all of them in a block of fewer rows)."""
    sims: np.ndarray | None


def _scan_block(a: np.ndarray, b: np.ndarray, ka: int, kb: int, keep: bool) -> _Block:
    sims = products(a, b)
    cols = np.arange(len(b))
    arg = sims.argmax(axis=1)
    carg = sims.argmax(axis=0)
    top = sims if len(sims) <= kb else np.partition(sims, len(sims) - kb, axis=0)[len(sims) - kb :]
    return _Block(np.partition(sims, len(b) - ka, axis=1)[:, len(b) - ka :].mean(axis=1), arg,
                  sims[np.arange(len(sims)), arg], carg, sims[carg, cols], np.array(top), sims if keep else None)
