"""The machine a benchmark ran on (printed with every figure)."""

from __future__ import annotations

import os
import platform
import sys
import time


def describe() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "unknown"
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                    break
    except OSError:
        pass
    return (
        f"machine: {cpu}; {os.cpu_count()} cores; {mem} RAM; {platform.system()} {platform.release()}; "
        f"Python {sys.version.split()[0]}"
    )


def peak_rss_mib() -> float:
    """Peak resident memory of this process and its finished children (MiB)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


class TreeMemory:
    """Peak proportional memory (PSS: shared pages split between the processes
    that share them) of this process and all its descendants, sampled every
    ``interval`` seconds from ``/proc`` (Linux): forked workers share most of
    their parent's pages, so adding their resident sizes would count those
    twice, and ``ru_maxrss`` sees one process at a time. Elsewhere: None.

    Reading ``smaps_rollup`` makes the kernel walk the process's page tables:
    27 ms for a Python heap of 3.5 GB, three processes at a time while the
    workers run. Every 0.25 s that took a third of one of two cores from the
    run it measured (100 MB of the quotation benchmark: 375 s sampled, 322 s
    not), and more the larger the heap, so the wait after each sample is at
    least ``busy`` times as long as the sample took (the sampler takes at most
    about 1/``busy`` of a core)."""

    busy = 20.0

    def __init__(self, interval: float = 0.25) -> None:
        import threading

        self.interval = interval
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        if os.path.exists("/proc/self/smaps_rollup"):
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    @property
    def peak_mib(self) -> float | None:
        return self.peak_kib / 1024 if self.peak_kib else None

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            t0 = time.perf_counter()
            total = sum(_pss_kib(pid) for pid in _tree(me))
            self.peak_kib = max(self.peak_kib, total)
            self._stop.wait(max(self.interval, self.busy * (time.perf_counter() - t0)))


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as f:
                    todo.extend(int(x) for x in f.read().split())
        except OSError:
            continue
    return out


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
