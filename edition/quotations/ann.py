"""Approximate nearest windows, for editions too large to compare every pair (issue 22).

An inverted file: the windows of one side are clustered by FAISS's k-means
(seeded, trained on a seeded sample), and a query is compared exactly with
the windows of its :attr:`WindowIndex.nprobe` nearest clusters only. Nothing
is left to chance from run to run, so a build gives the same links every time.

The comparison is grouped by cluster: the queries that probe a cluster are
compared with its windows in one matrix product. FAISS's own search of an
inverted file compares one query at a time, and took four to five times as
long here for the same pairs. The index is plain numpy arrays, so blocks of
queries can be searched on a Dask cluster (:func:`.parallel.executor`) or in
forked workers.

Above :attr:`.embedding.EmbeddingMatcher.exact_budget` the search used to be
handed to the lexical matcher, whose translation recall is about 0.1 at 10 MB.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .parallel import executor
from .windows import WindowScan, products


@dataclass(slots=True)
class WindowIndex:
    """The windows of one side, grouped by cluster."""

    centroids: np.ndarray
    """One vector per cluster (k-means centroids)."""
    sorted_vecs: np.ndarray
    """The windows' vectors, cluster after cluster."""
    sorted_ids: np.ndarray
    """The window of each row of :attr:`sorted_vecs`."""
    offsets: np.ndarray
    """Where each cluster's rows start in :attr:`sorted_vecs` (and one past the last)."""
    nprobe: int
    """Clusters a query is compared with."""
    chunk: ClassVar[int] = 16384
    """Queries in a block of :meth:`search` (a task on a Dask worker)."""

    @classmethod
    def build(cls, vecs: np.ndarray, nprobe: int) -> WindowIndex:
        """Cluster ``vecs`` (unit rows) into about ``4 * sqrt(len(vecs))`` lists
        (the usual rule for an inverted file), trained on at most 40 points per list."""
        import faiss

        x = np.ascontiguousarray(vecs, dtype=np.float32)
        n, d = x.shape
        nlist = max(1, min(n // 39, round(4 * math.sqrt(n))))  # FAISS wants 39 training points per cluster
        km = faiss.Kmeans(d, nlist, niter=10, seed=1234, spherical=True, max_points_per_centroid=40,
                          verbose=False)
        with _one_thread(faiss):
            km.train(x)
            centroids = np.ascontiguousarray(km.centroids, dtype=np.float32)
            small = n * nlist <= 1 << 26
            assign = products(x, centroids).argmax(axis=1) if small else km.index.search(x, 1)[1][:, 0]
        order = np.argsort(assign, kind="stable")
        offsets = np.searchsorted(assign[order], np.arange(nlist + 1))
        return cls(centroids, np.ascontiguousarray(x[order]), order.astype(np.int64), offsets, min(nprobe, nlist))

    def search(self, queries: np.ndarray, k: int, chunk: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Cosines and windows of each query's ``k`` nearest windows, best
        first (ties: the lower window first; window -1 and cosine -inf where
        fewer were found), by blocks of ``chunk`` queries (:attr:`chunk`); on
        the cluster's workers under ``edition build --scheduler``."""
        q = np.ascontiguousarray(queries, dtype=np.float32)
        step = chunk or self.chunk
        parts = [q[c0 : c0 + step] for c0 in range(0, len(q), step)]
        ex = executor()
        if ex is not None and ex.workers > 0 and len(parts) > 1:
            done = ex.map(_search_block, parts, self, k)
        else:
            done = [_search_block(p, self, k) for p in parts]
        if not done:
            return np.zeros((0, k), np.float32), np.zeros((0, k), np.int64)
        return np.vstack([d for d, _i in done]), np.vstack([i for _d, i in done])


@contextmanager
def _one_thread(faiss: Any) -> Iterator[None]:
    """FAISS (its k-means, its exhaustive search) on one OpenMP thread while
    the block runs. Its cosines differ in their last bits with the number of
    threads (its bundled OpenBLAS splits each product among them: 2,705 of
    45,000 windows' best cosines differ between one thread and two at 10 MB
    of the benchmark), which moves a few points to another cluster, and k-means
    carries that to every centroid: the index, and the links, depended on the
    cores of the machine, and on whether a Dask cluster had started before
    FAISS was loaded (its nanny sets ``OMP_NUM_THREADS=1`` in this process's
    environment, :func:`.distributed.connect`). On one thread it is the same
    index everywhere (the 10 MB benchmark's two indexes: 9.5 s on one
    thread, 12.4 s on two, on a loaded two-core machine)."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _search_block(part: np.ndarray, ix: WindowIndex, k: int) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`WindowIndex.search` of one block of queries: each cluster's ``k``
    best windows for the queries that probe it, then the best ``k`` of those."""
    n, nlist = len(part), len(ix.centroids)
    nprobe = min(ix.nprobe, nlist)
    scores = products(part, ix.centroids)
    if nprobe < nlist:
        probes = np.argpartition(-scores, nprobe - 1, axis=1)[:, :nprobe]
    else:
        probes = np.broadcast_to(np.arange(nlist), (n, nlist))
    flat = probes.ravel()
    order = np.argsort(flat, kind="stable")
    bounds = np.searchsorted(flat[order], np.arange(nlist + 1))
    cand_d = np.full((n, nprobe * k), -np.inf, dtype=np.float32)
    cand_i = np.full((n, nprobe * k), -1, dtype=np.int64)
    for c in range(nlist):
        lo, hi = int(ix.offsets[c]), int(ix.offsets[c + 1])
        at = order[bounds[c] : bounds[c + 1]]
        if hi == lo or not len(at):
            continue
        rows, slot = at // nprobe, at % nprobe
        sims = products(part[rows], ix.sorted_vecs[lo:hi])
        kk = min(k, hi - lo)
        if kk < hi - lo:
            top = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
        else:
            top = np.broadcast_to(np.arange(kk), (len(rows), kk))
        cols = slot[:, None] * k + np.arange(kk)[None, :]
        cand_d[rows[:, None], cols] = np.take_along_axis(sims, top, axis=1)
        cand_i[rows[:, None], cols] = ix.sorted_ids[lo + top]
    width = cand_d.shape[1]
    best = np.argpartition(-cand_d, k - 1, axis=1)[:, :k] if k < width else np.broadcast_to(np.arange(width), (n, width))
    bd, bi = np.take_along_axis(cand_d, best, axis=1), np.take_along_axis(cand_i, best, axis=1)
    rank = _rank(bd, bi)
    d_out = np.full((n, k), -np.inf, dtype=np.float32)
    i_out = np.full((n, k), -1, dtype=np.int64)
    d_out[:, : bd.shape[1]] = np.take_along_axis(bd, rank, axis=1)
    i_out[:, : bi.shape[1]] = np.take_along_axis(bi, rank, axis=1)
    return d_out, i_out


def _rank(d: np.ndarray, i: np.ndarray) -> np.ndarray:
    """Per row, the order of ``d`` descending, ties by ``i`` ascending (-1 last)."""
    by_i = np.argsort(np.where(i < 0, np.iinfo(np.int64).max, i), axis=1, kind="stable")
    by_d = np.argsort(-np.take_along_axis(d, by_i, axis=1), axis=1, kind="stable")
    out: np.ndarray = np.take_along_axis(by_i, by_d, axis=1)
    return out


@dataclass(slots=True)
class AnnScan:
    """What :func:`ann_scan` found: :class:`.windows._Scan`'s fields, and each
    window's :attr:`kept` nearest windows on the other side."""

    scan: WindowScan
    near_b: np.ndarray
    """Each window of ``a``'s nearest windows of ``b`` (-1: none), best first; ``near_a`` the converse."""
    near_a: np.ndarray


def ann_scan(a: np.ndarray, b: np.ndarray, ia: WindowIndex, ib: WindowIndex, k: int, kept: int = 16) -> AnnScan:
    """What :func:`.windows._scan` finds (each window's nearest window on the
    other side, with its cosine, and the mean cosine of its ``k`` nearest),
    from the indexes of both sides; and each window's ``kept`` nearest."""
    da, ja = ib.search(a, max(k, kept))
    db, jb = ia.search(b, max(k, kept))
    scan = WindowScan(_mean_found(da[:, :k], ja[:, :k]), _mean_found(db[:, :k], jb[:, :k]), np.maximum(ja[:, 0], 0),
                 np.where(ja[:, 0] >= 0, da[:, 0], -1.0).astype(np.float32), np.maximum(jb[:, 0], 0))
    return AnnScan(scan, ja, jb)


def _mean_found(d: np.ndarray, i: np.ndarray) -> np.ndarray:
    """Mean of each row's cosines where a window was found."""
    ok = i >= 0
    out: np.ndarray = (np.where(ok, d, 0.0).sum(axis=1) / np.maximum(ok.sum(axis=1), 1)).astype(np.float32)
    return out


def knn_outside(q: np.ndarray, vecs: np.ndarray, near: np.ndarray, ends: np.ndarray, begins: np.ndarray,
                lo: int, hi: int, k: int) -> float:
    """Mean cosine of ``q`` (a passage's unit vector) with its ``k`` nearest
    windows that do not overlap sentences ``lo..hi`` of the other side,
    looked for among ``near`` (the nearest windows of the passage's own
    windows: the neighbours of a sum of vectors are mostly among its parts'),
    the ANN counterpart of :func:`.windows._knn_outside`."""
    cand = np.unique(near[near >= 0])
    cand = cand[(ends[cand] < lo) | (begins[cand] > hi)]
    if not len(cand):
        return 0.0
    sims = vecs[cand] @ q
    k = min(k, len(sims))
    return float(np.partition(sims, len(sims) - k)[len(sims) - k :].sum()) / k
