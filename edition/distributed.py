"""Scale-out on Dask (issue 22): ``edition build --scheduler local|local:N|tcp://HOST:PORT``.

An edition that outgrows one machine's cores builds on a Dask cluster: the
sources are read on the workers, one task per text (a text's TEI tree travels
back as XML bytes: lxml trees do not pickle), and the cross-lingual candidate
search is split in blocks: the blocks of rows of the exact window-similarity
scan (:func:`.quotations.windows._scan`), or the blocks of queries of the
approximate one (:meth:`.quotations.ann.WindowIndex.search`), what every
block needs sent once to each worker. Everything else runs in the process
that called ``edition build``, which merges the workers' results in the
order of the blocks, so that ``links.json`` is byte for byte the one a
single-process build writes (the blocks are the same, and so is each
block's matrix product, to the last bit).

``local`` starts a ``LocalCluster`` on this machine with one single-threaded
worker process per core (``local:N``: N workers); ``tcp://HOST:PORT`` joins a
running scheduler, whose workers must have this package (and its version)
installed. Dask is an optional dependency: ``pip install 'edition[dask]'``.

What is not distributed (yet): embedding the sentences (the largest cost of
a first build: a few milliseconds a sentence), the one-language detection,
the clustering of the approximate index and the scoring of passages; the site
is written by this process (in forked workers on a large edition, as without
a scheduler). Steps that a plugin adds to :data:`.pipeline.PER_TEXT` run on
the workers only if the plugin is imported there too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import ConfigError
from .workers import using

R = TypeVar("R")


@dataclass(slots=True)
class DaskExecutor:
    """:class:`.quotations.parallel.Executor` on a ``distributed.Client``."""

    client: Any
    """The ``distributed.Client``."""
    workers: int
    """Workers the cluster had when the build started."""

    def map(self, fn: Callable[..., R], items: Sequence[Any], *shared: Any) -> list[R]:
        if not items:
            return []
        sent = [self.client.scatter(x, broadcast=True) if _large(x) else x for x in shared]
        futures = [self.client.submit(fn, item, *sent, pure=False) for item in items]
        try:
            results: list[R] = self.client.gather(futures)
        finally:
            for f in (*futures, *sent):
                if hasattr(f, "release"):
                    f.release()
        return results


def _large(x: Any) -> bool:
    """Whether ``x`` is worth sending once to every worker (an array of a megabyte or more)."""
    return getattr(x, "nbytes", 0) >= 1 << 20


def parse_scheduler(spec: str) -> tuple[str, int | None]:
    """``("local", workers or None)`` or ``("tcp", None)``; a :class:`ConfigError` for anything else."""
    if spec == "local":
        return "local", None
    if spec.startswith("local:"):
        n = spec.removeprefix("local:")
        if n.isdigit() and int(n) > 0:
            return "local", int(n)
    if spec.startswith(("tcp://", "tls://")) and ":" in spec.split("://", 1)[1]:
        return "tcp", None
    raise ConfigError(f"--scheduler '{spec}': expected 'local', 'local:N' (N workers) or tcp://HOST:PORT")


def local_workers() -> int:
    """Workers of ``--scheduler local``: ``EDITION_JOBS``, else one per core this process may use."""
    affinity = getattr(os, "sched_getaffinity", None)
    return int(os.environ.get("EDITION_JOBS", "0")) or (len(affinity(0)) if affinity else os.cpu_count() or 1)


@contextmanager
def _environment_kept() -> Iterator[None]:
    """This process's environment as it was before the block: a Dask nanny
    sets its workers' variables (``OMP_NUM_THREADS=1``, ``PYTHONHASHSEED``...)
    in the environment of the process that starts them, where a library
    loaded afterwards (FAISS's OpenMP runtime) read them, so that the
    build's own computations ran on other settings than without
    ``--scheduler`` (a nanny that restarts a worker sets them again)."""
    before = dict(os.environ)
    try:
        yield
    finally:
        for key in set(os.environ) - set(before):
            del os.environ[key]
        os.environ.update(before)


@contextmanager
def connect(spec: str | None) -> Iterator[DaskExecutor | None]:
    """While the block runs, the build's per-text reading and its candidate
    search go to the cluster that ``spec`` names (nothing changes for None)."""
    if not spec:
        yield None
        return
    kind, n = parse_scheduler(spec)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError(
            f"--scheduler {spec} needs Dask: pip install 'edition[dask]' (dask[distributed])"
        ) from None
    cluster = None
    if kind == "local":
        with _environment_kept():
            cluster = LocalCluster(n_workers=n or local_workers(), threads_per_worker=1, processes=True,
                                   dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(spec, timeout=30)
        except OSError as exc:
            raise ConfigError(f"--scheduler {spec}: cannot reach the scheduler: {exc}") from None
    try:
        workers = len(client.scheduler_info().get("workers", {}))
        ex = DaskExecutor(client, workers)
        with using(ex):
            yield ex
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
