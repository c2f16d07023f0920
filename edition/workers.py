"""Worker processes: the one module of the tool that forks (issue 21).

Three uses. :func:`fork_map` spreads independent work (reading sources, rendering texts) over a
pool of forked processes that inherit what the parent holds (lxml trees do not pickle, a fork
needs no pickling of them). :class:`BackgroundJob` runs one slow task (quotation detection,
the search index) in one forked child that the preview can cancel when the editor saves again.
:func:`in_background` starts one function in a forked child and hands back a way to wait for
its result (the quotation stage's monolingual search while the cross-lingual one runs here).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")
R = TypeVar("R")


def can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


def jobs_for(count: int, least: int, jobs: int | None = None) -> int:
    """How many worker processes for ``count`` items: 1 (this process) below ``least`` items,
    on one core, or where processes cannot be forked."""
    n = jobs or os.cpu_count() or 1
    return n if n > 1 and count >= least and can_fork() else 1


def cores() -> int:
    """Worker processes a stage may use: ``EDITION_JOBS``, else the cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return int(os.environ.get("EDITION_JOBS", "0")) or (len(affinity(0)) if affinity else os.cpu_count() or 1)


def in_background(fn: Callable[[], T]) -> Callable[[], T]:
    """Start ``fn()`` in a forked worker process now; the function returned
    waits for its result. With one core (or ``EDITION_JOBS=1``, or no fork)
    ``fn`` runs when its result is asked for. A worker that fails or dies
    hands ``fn`` back to the caller, so that its error is raised there."""
    if cores() < 2 or not can_fork():
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


_INHERITED: Any = None
_FUNCTION: Callable[[Any, Any], Any] | None = None


def _call(item: Any) -> Any:
    assert _FUNCTION is not None
    return _FUNCTION(_INHERITED, item)


def fork_map(
    fn: Callable[[Any, T], R],
    inherited: Any,
    items: Sequence[T],
    jobs: int,
    *,
    ordered: bool = True,
    chunksize: int = 1,
) -> Iterator[R]:
    """``fn(inherited, item)`` for each item in ``jobs`` forked processes.

    ``inherited`` reaches the workers through the fork (not pickled); each result is pickled
    back. ``ordered``: results in the order of ``items`` (else as they finish)."""
    global _INHERITED, _FUNCTION
    _INHERITED, _FUNCTION = inherited, fn
    try:
        with mp.get_context("fork").Pool(jobs) as pool:
            results: Iterable[R] = (
                pool.imap(_call, items, chunksize=chunksize)
                if ordered
                else pool.imap_unordered(_call, items, chunksize=chunksize)
            )
            yield from results
    finally:
        _INHERITED, _FUNCTION = None, None


def _child_signals() -> None:
    # the parent's handlers were inherited with the fork: this process must die on terminate(),
    # and Ctrl-C (sent to the whole process group) is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _own_group() -> None:
    """Make this child the leader of a process group; on terminate(), stop and reap whatever it
    started (the Pagefind binary, a worker pool) before leaving: no orphan, no zombie."""
    os.setpgrp()
    leader = os.getpid()

    def on_term(signum: int, frame: object) -> None:
        if os.getpid() != leader:  # a worker this child forked (a pool's): die as by default
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            os.killpg(0, signal.SIGTERM)
        except OSError:
            pass
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.02)
        os._exit(1)

    signal.signal(signal.SIGTERM, on_term)


def _child(conn: Any, target: Callable[..., Any], args: tuple[Any, ...]) -> None:
    _child_signals()
    _own_group()
    try:
        conn.send(("ok", target(*args)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


@dataclass(slots=True)
class BackgroundJob:
    """Slow work over a snapshot of the site's state in a forked child process: quotation
    detection and the search index.

    A child process, not a thread: that work is pure Python for the most part and would hold the
    GIL against the preview's own rebuilds; a child can also be stopped at once when the editor
    saves again (:meth:`cancel`). The child inherits the snapshot (fork) and sends back what
    ``target`` returns through a pipe. It is not a daemon process, so that it may start workers
    of its own (quotation detection does); :meth:`cancel` and :meth:`close` always join it."""

    key: object
    process: Any
    conn: Any
    started: float = 0.0
    closed: bool = False
    kind: str = "quotations"
    """``quotations`` or ``search``."""
    scratch: Path | None = None
    """Where the child writes (removed when the job is cancelled or its result is dropped)."""

    @classmethod
    def run(
        cls,
        key: object,
        target: Callable[..., Any],
        args: tuple[Any, ...],
        kind: str,
        scratch: Path | None = None,
    ) -> BackgroundJob:
        ctx = mp.get_context("fork")
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(send, target, args), daemon=False, name=f"edition-{kind}")
        proc.start()
        send.close()
        return cls(key, proc, recv, time.perf_counter(), kind=kind, scratch=scratch)

    def ready(self) -> bool:
        try:
            return bool(self.conn.poll())
        except (OSError, EOFError):
            return True

    def result(self) -> Any:
        """What the child sent (raises RuntimeError when it failed)."""
        try:
            status, value = self.conn.recv()
        except (EOFError, OSError) as exc:
            raise RuntimeError(f"{self.kind} worker stopped ({type(exc).__name__})") from None
        finally:
            self.close()
        if status != "ok":
            raise RuntimeError(value)
        return value

    def cancel(self) -> None:
        if not self.closed and self.process.is_alive():
            self.process.terminate()
        self.close()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.process.join(5)
        if self.process.is_alive():  # pragma: no cover - terminate() did not take
            self.process.kill()
            self.process.join(5)
        try:
            self.conn.close()
        except OSError:
            pass
        self.process.close()


# ---------------------------------------------------------------------------
# another machine's workers (issue 22): set by :func:`edition.distributed.connect`; reading
# (:func:`edition.pipeline.read_all`) and the quotation scan ask :func:`executor` for them


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


__all__ = ["BackgroundJob", "Executor", "can_fork", "cores", "executor", "fork_map", "in_background", "jobs_for", "using"]
