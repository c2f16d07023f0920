"""Forked worker processes for the quotation stage (one machine; see :mod:`edition.distributed` for several)."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")
R = TypeVar("R")

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
# another machine's workers (issue 22): set by :func:`edition.distributed.connect`


@runtime_checkable
class Executor(Protocol):
    """Runs independent tasks on workers that may be other processes or
    machines: what it is given and what it returns travels pickled."""

    workers: int

    def map(self, fn: Callable[..., R], items: Sequence[Any], *shared: Any) -> list[R]:
        """``[fn(item, *shared) for item in items]``, in order; ``shared`` is
        sent to each worker once, not once per item."""
        ...


_EXECUTOR: list[Executor] = []


def executor() -> Executor | None:
    """The executor of the build that is running, if it has one (``edition build --scheduler``)."""
    return _EXECUTOR[-1] if _EXECUTOR else None


@contextmanager
def using(ex: Executor) -> Iterator[Executor]:
    """Make ``ex`` :func:`executor` while the block runs."""
    _EXECUTOR.append(ex)
    try:
        yield ex
    finally:
        _EXECUTOR.remove(ex)
