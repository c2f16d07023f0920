"""Issue 22: the approximate window search, and builds on a Dask cluster."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edition.errors import ConfigError
from edition.quotations import parallel
from edition.quotations.windows import WindowSpace, exact_scan
from tests.conftest import missing_tool
from tests.support.ci import bench_corpora


class InProcess:
    """An executor that runs its tasks here, one after the other (and counts them)."""

    workers = 2

    def __init__(self) -> None:
        self.tasks = 0

    def map(self, fn: Callable[..., Any], items: Sequence[Any], *shared: Any) -> list[Any]:
        self.tasks += len(items)
        return [fn(x, *shared) for x in items]


def test_the_scan_merges_blocks_computed_elsewhere_as_it_merges_its_own() -> None:
    rng = np.random.default_rng(3)
    a = rng.standard_normal((1300, 32)).astype(np.float32)
    b = rng.standard_normal((700, 32)).astype(np.float32)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    alone = exact_scan(a, b, 4)
    ex = InProcess()
    with parallel.using(ex):
        spread = exact_scan(a, b, 4)
    assert ex.tasks == 3  # blocks of 512 rows
    for name in ("na", "nb", "best_b", "cos_b", "best_a"):
        assert np.array_equal(getattr(alone, name), getattr(spread, name)), name
    # and the blocks change nothing against one block holding the whole product
    whole = exact_scan(a, b, 4, keep=True)
    assert np.array_equal(alone.best_b, whole.best_b) and np.array_equal(alone.best_a, whole.best_a)
    np.testing.assert_allclose(alone.nb, whole.nb, rtol=1e-6)


def test_the_approximate_index_finds_the_exact_nearest_windows() -> None:
    from edition.quotations.ann import WindowIndex, ann_scan, knn_outside

    rng = np.random.default_rng(5)
    centres = rng.standard_normal((40, 64))
    a = (centres[rng.integers(0, 40, 3000)] + 0.5 * rng.standard_normal((3000, 64))).astype(np.float32)
    b = (centres[rng.integers(0, 40, 2000)] + 0.5 * rng.standard_normal((2000, 64))).astype(np.float32)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    ia, ib = WindowIndex.build(a, nprobe=8), WindowIndex.build(b, nprobe=8)
    found, exact = ann_scan(a, b, ia, ib, 4), exact_scan(a, b, 4)
    got = found.scan
    assert (got.best_b == exact.best_b).mean() > 0.95
    assert (got.best_a == exact.best_a).mean() > 0.95
    assert np.abs(got.na - exact.na).max() < 0.05
    again = ann_scan(a, b, WindowIndex.build(a, nprobe=8), WindowIndex.build(b, nprobe=8), 4)
    assert np.array_equal(found.near_b, again.near_b) and np.array_equal(got.na, again.scan.na)  # no run-to-run chance
    # every cluster probed: the exact neighbours, best first
    d, i = WindowIndex.build(b, nprobe=10_000).search(a[:50], 6)
    sims = a[:50] @ b.T
    assert np.array_equal(i[:, 0], sims.argmax(axis=1))
    np.testing.assert_allclose(d, -np.sort(-sims, axis=1)[:, :6], rtol=1e-5)
    # blocks of queries computed elsewhere give the same
    ex = InProcess()
    with parallel.using(ex):
        d2, i2 = ib.search(a, 16, chunk=1000)
    assert ex.tasks == 3
    d1, i1 = ib.search(a, 16, chunk=1000)  # the same blocks (a product's last bits depend on its shape)
    assert np.array_equal(i1, i2) and np.array_equal(d1, d2)
    # the k nearest windows outside a passage, among its parts' neighbours: windows overlapping it are skipped
    ends = begins = np.arange(len(b))
    j = int(exact.best_b[0])
    outside = knn_outside(a[0], b, found.near_b[:1], ends, begins, j, j, 4)
    assert outside == pytest.approx(float(np.sort(np.delete(b @ a[0], j))[-4:].mean()), abs=0.02)


def test_the_approximate_index_is_the_same_on_any_number_of_threads() -> None:
    """FAISS's products differ in their last bits with its threads, and its
    k-means carried that to the centroids: a build's links depended on the
    machine's cores, and on a Dask nanny's ``OMP_NUM_THREADS=1``."""
    import faiss

    from edition.quotations.ann import WindowIndex

    rng = np.random.default_rng(5)
    centres = rng.standard_normal((40, 512))
    x = (centres[rng.integers(0, 40, 4000)] + 0.5 * rng.standard_normal((4000, 512))).astype(np.float16)
    x = (x / np.linalg.norm(x.astype(np.float32), axis=1, keepdims=True)).astype(np.float32)
    before = faiss.omp_get_max_threads()
    built = []
    try:
        for threads in (1, 2):
            faiss.omp_set_num_threads(threads)
            built.append(WindowIndex.build(x, nprobe=8))
            assert faiss.omp_get_max_threads() == threads  # as the caller left it
    finally:
        faiss.omp_set_num_threads(before)
    one, two = built
    for name in ("centroids", "sorted_ids", "offsets"):
        assert np.array_equal(getattr(one, name), getattr(two, name)), name


def test_a_scheduler_is_named_as_the_help_says() -> None:
    from edition.distributed import parse_scheduler

    assert parse_scheduler("local") == ("local", None)
    assert parse_scheduler("local:3") == ("local", 3)
    assert parse_scheduler("tcp://10.0.0.5:8786") == ("tcp", None)
    for bad in ("lokal", "local:0", "local:x", "tcp://host", "8786"):
        with pytest.raises(ConfigError, match="expected 'local'"):
            parse_scheduler(bad)


@pytest.mark.parametrize("search", ["exact", "approximate"])
def test_a_build_on_a_local_cluster_writes_the_links_of_a_single_process_build(
        search: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        missing_tool("Dask (dask[distributed], in the test extra)")
    kjv, cuv = bench_corpora()
    from bench.distributed import write_edition
    from bench.quotations.generate import generate
    from edition.builder import build
    from edition.distributed import DaskExecutor
    from edition.quotations.ann import WindowIndex

    docs, _plants = generate(kjv, cuv, 160_000, seed=11)
    content = write_edition(docs, tmp_path)
    if search == "exact":
        # the scan in blocks, as for a large edition (a small one keeps the whole product in one block)
        monkeypatch.setattr(WindowSpace, "memo_bytes", 0)
    else:  # the approximate index, as above quotations.exact_pairs; its queries in blocks of 512
        with (content / "edition.yaml").open("a", encoding="utf-8") as f:
            f.write("quotations:\n  exact_pairs: 1000\n")
        monkeypatch.setattr(WindowIndex, "chunk", 512)
    alone = build(content, tmp_path / "alone", search=False)
    assert alone.out is not None and alone.edition.links
    assert any("approximate index" in e.message for e in alone.diagnostics.items) == (search == "approximate")
    tasks: list[str] = []
    real_map = DaskExecutor.map

    def counted(self: DaskExecutor, fn: Callable[..., Any], items: Sequence[Any], *shared: Any) -> list[Any]:
        tasks.extend(fn.__name__ for _ in items)
        return real_map(self, fn, items, *shared)

    monkeypatch.setattr(DaskExecutor, "map", counted)
    environment = dict(os.environ)
    spread = build(content, tmp_path / "spread", search=False, scheduler="local:2")
    assert spread.out is not None
    # the workers' settings stayed theirs (a nanny sets OMP_NUM_THREADS=1 where it starts them: a
    # library loaded afterwards, as FAISS is, read it and computed on one thread here)
    assert dict(os.environ) == environment
    assert tasks.count("_read_one") == len(docs)  # edition.pipeline reads each text on a worker
    # both directions' blocks went to the workers
    assert tasks.count("_scan_block" if search == "exact" else "_search_block") >= 4
    assert (tmp_path / "spread" / "links.json").read_bytes() == (tmp_path / "alone" / "links.json").read_bytes()
    assert [e.message for e in spread.diagnostics.items] == [e.message for e in alone.diagnostics.items]
