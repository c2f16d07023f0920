"""Approximate nearest windows, for editions too large to compare every pair.

An inverted-file index (FAISS ``IndexIVFFlat``, inner product on unit
vectors): the windows of one side are clustered by k-means, and a query is
compared exactly with the windows of its :attr:`WindowIndex.nprobe` nearest
clusters only. Nothing is random from run to run: FAISS seeds its k-means
(and its sample of training points), and the search within the clusters
probed is exact, so a build gives the same links every time.

The whole side is searched at once through FAISS (:func:`ann_scan`, in the
process that builds the index). A single passage is searched in numpy
(:meth:`WindowIndex.nearest`) from the same clusters: passages are scored in
forked workers (:func:`.crosslingual.in_parallel`), and an OpenMP runtime
already started in the parent process is not safe to use after a fork.

Issue 22: above :attr:`.embedding.EmbeddingMatcher.exact_budget` the search
used to be handed to the lexical matcher, whose translation recall is about
0.1 at 10 MB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .windows import _Scan


@dataclass(slots=True)
class WindowIndex:
    """The windows of one side, grouped by cluster."""

    index: Any
    """The FAISS index (used in the process that built it only)."""
    centroids: np.ndarray
    """One unit-ish vector per cluster (k-means centroids)."""
    sorted_vecs: np.ndarray
    """The windows' vectors, cluster after cluster."""
    sorted_ids: np.ndarray
    """The window of each row of :attr:`sorted_vecs`."""
    offsets: np.ndarray
    """Where each cluster's rows start in :attr:`sorted_vecs` (and one past the last)."""
    nprobe: int
    """Clusters a query is compared with."""

    @classmethod
    def build(cls, vecs: np.ndarray, nprobe: int, per_list: int = 64) -> WindowIndex:
        """Cluster ``vecs`` (unit rows) into about ``len(vecs) / per_list`` lists."""
        import faiss

        x = np.ascontiguousarray(vecs, dtype=np.float32)
        n, d = x.shape
        nlist = max(1, min(n // 39, round(n / per_list)))  # FAISS wants 39 training points per cluster
        quantizer = faiss.IndexFlatIP(d)
        index = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(x)
        index.add(x)
        index.nprobe = min(nprobe, nlist)
        centroids = quantizer.reconstruct_n(0, nlist)
        assign = quantizer.search(x, 1)[1][:, 0]
        order = np.argsort(assign, kind="stable")
        offsets = np.searchsorted(assign[order], np.arange(nlist + 1))
        return cls(index, centroids, np.ascontiguousarray(x[order]), order.astype(np.int64), offsets,
                   index.nprobe)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Cosines and windows of each query's ``k`` nearest windows (best
        first; window -1 where fewer were found)."""
        d, i = self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return d, i

    def nearest(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Cosines and windows of the ``k`` nearest windows to one query, best
        first, in numpy (fork-safe; same clusters as :meth:`search`)."""
        scores = self.centroids @ q
        probe = np.argpartition(-scores, min(self.nprobe, len(scores)) - 1)[: self.nprobe]
        probe.sort()
        parts = [(int(self.offsets[c]), int(self.offsets[c + 1])) for c in probe.tolist()]
        rows = np.concatenate([np.arange(a, b) for a, b in parts]) if parts else np.zeros(0, np.int64)
        sims = self.sorted_vecs[rows] @ q
        k = min(k, len(sims))
        if k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.lexsort((self.sorted_ids[rows[top]], -sims[top]))]
        return sims[top], self.sorted_ids[rows[top]]


def ann_scan(a: np.ndarray, b: np.ndarray, ia: WindowIndex, ib: WindowIndex, k: int) -> _Scan:
    """What :func:`.windows._scan` finds (each window's nearest window on the
    other side, with its cosine, and the mean cosine of its ``k`` nearest),
    from the indexes of both sides."""
    da, ja = ib.search(a, k)
    db, jb = ia.search(b, k)
    return _Scan(_mean_found(da, ja), _mean_found(db, jb), np.maximum(ja[:, 0], 0), da[:, 0].copy(),
                 np.maximum(jb[:, 0], 0))


def _mean_found(d: np.ndarray, i: np.ndarray) -> np.ndarray:
    """Mean of each row's cosines where a window was found."""
    ok = i >= 0
    out: np.ndarray = (np.where(ok, d, 0.0).sum(axis=1) / np.maximum(ok.sum(axis=1), 1)).astype(np.float32)
    return out


def knn_outside(index: WindowIndex, q: np.ndarray, ends: np.ndarray, begins: np.ndarray, lo: int, hi: int,
                k: int, reach: int) -> float:
    """Mean cosine of unit vector ``q`` with its ``k`` nearest windows that do
    not overlap sentences ``lo..hi`` (the ANN counterpart of
    :func:`.windows._knn_outside`)."""
    overlapping = (hi - lo + 1 + reach) * (reach + 1)
    sims, ids = index.nearest(q, k + overlapping)
    keep = (ends[ids] < lo) | (begins[ids] > hi)
    got = sims[keep][:k]
    return float(got.sum()) / len(got) if len(got) else 0.0


def probes_for(n: int, per_list: int = 64, share: float = 0.03) -> int:
    """Clusters to probe: about ``share`` of them (at least 8)."""
    return max(8, math.ceil(share * max(1, n // per_list)))
