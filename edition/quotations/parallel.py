"""Worker processes for the quotation stage: forked on one machine (through :mod:`edition.workers`,
the one module that starts processes), or a Dask cluster's that the build passes in (:func:`using`;
:mod:`edition.distributed`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from .. import workers
from ..workers import Executor, executor, in_background, using

T = TypeVar("T")

PARALLEL_MIN = 20000
"""Below this many sentences the cross-lingual stage runs in one process."""


@contextmanager
def core_for_worker(busy: bool) -> Iterator[None]:
    """While a forked worker is busy (``busy``; see :func:`in_background`),
    this process's matrix products run on one core fewer than the machine has
    (at least one): BLAS threads that wait for a busy core spin."""
    if not busy:
        yield
        return
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    with threadpool_limits(limits=max(1, workers.cores() - 1), user_api="blas"):
        yield


def _chunk(fn: Callable[[int, int], list[T]], lo_hi: tuple[int, int]) -> list[T]:
    return fn(*lo_hi)


def in_parallel(fn: Callable[[int, int], list[T]], n: int, least: int = PARALLEL_MIN) -> list[T]:
    """``fn(0, n)``, computed by chunks in forked worker processes (one per core,
    :func:`edition.workers.fork_map`) when ``n`` is at least ``least``: the
    workers inherit every index already built, and only their results travel
    back. ``EDITION_JOBS=1`` keeps one process."""
    jobs = workers.cores()
    if jobs < 2 or n < least or not workers.can_fork():
        return fn(0, n)
    step = -(-n // (jobs * 4))
    chunks = [(lo, min(n, lo + step)) for lo in range(0, n, step)]
    parts = list(workers.fork_map(_chunk, fn, chunks, jobs))
    return [x for part in parts for x in part]


__all__ = ["PARALLEL_MIN", "Executor", "core_for_worker", "executor", "in_background", "in_parallel", "using"]
