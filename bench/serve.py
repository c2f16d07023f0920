"""Live-preview benchmarks (issue 5): ``python -m bench.serve [--texts 1000] [--edits 500] [--quick]``.

1. The sample edition (``content/``, copied to a temporary directory first; ``content/`` itself is
   never edited): a real :class:`edition.serve.LiveServer` on a free loopback port and a real HTTP
   client waiting on ``/__edition/livereload/<epoch>``. Timed: from the moment a source is saved
   to the moment the client gets the reload event, for a plain text with no quotation link, a
   plain text linked by quotations, and an edit inside the book (``stalin-works-9.txt``; skipped
   with a message when the book does not read). Quotation detection runs in the background
   (as ``edition serve`` does); its time is reported on its own.
2. A generated edition of N plain texts with planted quotations: the full build
   (``edition.builder.build``, what ``edition build`` runs), then one text edited: the
   incremental rebuild (fast path) and the background quotation detection.
3. Memory: resident set size of the server process over M successive edits through the watcher.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import stat
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.machine import describe
from edition import engine
from edition.builder import build
from edition.serve import LiveServer

REPO = Path(__file__).resolve().parent.parent
PLAIN_UNLINKED = "sep-socialism-in-one-country.txt"
PLAIN_LINKED = "trotsky-letter-1927-03-31.txt"
BOOK = "stalin-works-9.txt"


def rss_mib() -> float:
    try:
        import psutil

        return float(psutil.Process().memory_info().rss) / 2**20
    except ImportError:
        with open("/proc/self/status", encoding="utf-8") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    return float("nan")


def copy_edition(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    for p in dst.rglob("*"):
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    return dst


def get_json(url: str, timeout: float = 60) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


def edit_middle(path: Path, n: int) -> str:
    """Change one word in the middle of a file (alternating, so the file really changes)."""
    text = path.read_text(encoding="utf-8")
    marker = f" edited-{n}"
    prev = f" edited-{n - 1}"
    if prev in text:
        text = text.replace(prev, marker, 1)
    else:
        mid = len(text) // 2
        cut = text.index(" ", mid)
        text = text[:cut] + marker + text[cut:]
    path.write_text(text, encoding="utf-8")
    return marker.strip()


def timed_edit(live: LiveServer, path: Path, n: int, page: str | None) -> tuple[float, float, bool]:
    """(seconds from save to the reload event, build seconds, page shows the edit)."""
    since = live.epoch
    got: dict[str, float] = {}

    def client() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            data = get_json(f"{live.url}__edition/livereload/{since}?timeout=30")
            if data["epoch"] > since:
                got["t"] = time.perf_counter()
                return

    t = threading.Thread(target=client)
    t.start()
    time.sleep(0.05)  # the client's request is waiting
    t0 = time.perf_counter()
    marker = edit_middle(path, n)
    t.join(90)
    if "t" not in got:
        return float("nan"), float("nan"), False
    shown = True
    if page:
        with urllib.request.urlopen(live.url + page, timeout=60) as r:
            body = r.read().decode("utf-8")
        shown = marker in body
    build_s = live.last_report.seconds if live.last_report else float("nan")
    return got["t"] - t0, build_s, shown


def fmt(xs: list[float]) -> str:
    xs = [x for x in xs if x == x]
    if not xs:
        return "n/a"
    return f"median {statistics.median(xs) * 1000:.0f} ms, min {min(xs) * 1000:.0f} ms, max {max(xs) * 1000:.0f} ms (n={len(xs)})"


def bench_sample(repeat: int, wait_links: float) -> None:
    print("\n== 1. sample edition: save -> reload event (real server, real HTTP client) ==")
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        content = copy_edition(REPO / "content", Path(tmp) / "content")
        lines: list[str] = []
        live = LiveServer(content, "127.0.0.1", 0, debounce=0.05, out=lines.append, quiet=False)
        t0 = time.perf_counter()
        live.start()
        print(f"server up in {time.perf_counter() - t0:.2f} s (first build, quotations not yet detected)")
        try:
            assert live.site is not None
            t1 = time.perf_counter()
            while not live.site.links_exact and time.perf_counter() - t1 < wait_links:
                time.sleep(0.2)
            if live.site.links_exact:
                print(
                    f"background quotation detection: {len(live.site.links)} link(s), "
                    f"applied {time.perf_counter() - t1:.1f} s after start"
                )
            else:
                print(
                    f"background quotation detection not finished after {wait_links:.0f} s; "
                    f"timing edits without quotation links"
                )
                live.detect_quotations = False
            cases = [
                (PLAIN_UNLINKED, "plain text, no quotation link"),
                (PLAIN_LINKED, "plain text linked by quotations"),
            ]
            for name, label in cases:
                src = content / name
                tid = src.stem
                times, builds, ok = [], [], True
                for n in range(repeat):
                    dt, b, shown = timed_edit(live, src, n, f"texts/{tid}.html")
                    times.append(dt)
                    builds.append(b)
                    ok = ok and shown
                    time.sleep(0.3)
                print(f"{label} ({name}): {fmt(times)}; build {fmt(builds)}; page shows the edit: {ok}")
            book = content / BOOK
            rel = Path(BOOK)
            book_ok = rel in live.site.cache and not any(
                d.level >= 2 for d in live.site.problems.get(rel, [])
            )
            if not book_ok:
                why = "; ".join(str(d) for d in live.site.problems.get(rel, [])[:3]) or "not read"
                print(f"book edit ({BOOK}): skipped, the book does not read: {why}")
            else:
                times, builds = [], []
                for n in range(max(2, repeat // 2)):
                    dt, b, _ = timed_edit(live, book, n, None)
                    times.append(dt)
                    builds.append(b)
                    time.sleep(0.3)
                r = live.last_report
                parts = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in (r.timings if r else {}).items())
                print(f"book edit ({BOOK}): {fmt(times)}; build {fmt(builds)}; last build: {parts}")
        finally:
            live.stop()


WORDS = (
    "the of and to in a is that for it as was with be by on not he this are or his from at which but have "
    "they you were her she there been one all we their has would when if so no will more can what out up "
    "about who them some could into him than then its time only revolution proletariat peasantry party "
    "state power question congress soviet workers class bourgeoisie theory practice china opposition "
    "bolshevik menshevik kulak comintern plenum resolution thesis dictatorship industrialisation"
).split()


def generate(root: Path, n: int, seed: int = 5) -> Path:
    rng = random.Random(seed)
    root.mkdir(parents=True)
    (root / "edition.yaml").write_text("title: Generated edition\nlanguages: [en]\n", encoding="utf-8")
    quotes = [" ".join(rng.choice(WORDS) for _ in range(24)) for _ in range(max(1, n // 10))]
    for i in range(n):
        paras = []
        for _ in range(rng.randint(6, 12)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(40, 90))]
            paras.append(words[0].capitalize() + " " + " ".join(words[1:]) + ".")
        if i % 5 == 0:  # a planted quotation shared with other texts
            q = quotes[rng.randrange(len(quotes))]
            k = rng.randrange(len(paras))
            paras[k] = paras[k][:-1] + ', "' + q + '."'
        (root / f"t{i:05d}.txt").write_text("\n\n".join(paras) + "\n", encoding="utf-8")
        (root / f"t{i:05d}.yaml").write_text(
            f"title: Text {i}\nlang: en\ndate: {1900 + i % 100}\n", encoding="utf-8"
        )
    return root


def bench_generated(n: int) -> None:
    print(f"\n== 2. generated edition of {n} texts: one edit vs the full build ==")
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        content = generate(Path(tmp) / "content", n)
        size = sum(p.stat().st_size for p in content.iterdir()) / 2**20
        t0 = time.perf_counter()
        result = build(content, Path(tmp) / "out", search=False)
        full = time.perf_counter() - t0
        tm = ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items())
        print(
            f"full build (edition build, all cores): {full:.2f} s for {len(result.edition.texts)} texts, "
            f"{size:.1f} MiB, {len(result.edition.links)} quotation link(s) ({tm})"
        )
        site = engine.BuildState(content, Path(tmp) / "serve" / "site")
        t0 = time.perf_counter()
        r = engine.run(site, detect=True)
        print(
            f"live preview's first build (one process, quotations detected): {time.perf_counter() - t0:.2f} s "
            f"({', '.join(f'{k} {v:.2f} s' for k, v in r.timings.items())})"
        )
        times = []
        for k in range(5):
            path = content / f"t{(k * 37) % n:05d}.txt"
            edit_middle(path, k)
            r = engine.run(site, [path], detect=False)
            assert r.ok, r.error
            times.append(r.seconds)
        r_last = r
        t0 = time.perf_counter()
        rd = engine.detect_now(site)
        detect = time.perf_counter() - t0
        med = statistics.median(times)
        print(
            f"one text edited: rebuild {fmt(times)} = {med / full * 100:.1f}% of the full build "
            f"(last: {', '.join(f'{k} {v * 1000:.0f} ms' for k, v in r_last.timings.items())}; "
            f"{len(r_last.rendered)} text(s) rendered)"
        )
        print(
            f"then background quotation detection over all {n} texts: {detect:.2f} s "
            f"({len(rd.rendered)} text(s) re-rendered because their links changed)"
        )


def bench_memory(edits: int) -> None:
    print(f"\n== 3. memory over {edits} successive edits (through the watcher; links carried over) ==")
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        content = copy_edition(REPO / "content", Path(tmp) / "content")
        # background workers off: they run in forked processes, the figure is the server's own memory
        live = LiveServer(
            content, "127.0.0.1", 0, debounce=0.02, out=lambda s: None, detect_quotations=False, search=False
        )
        live.start()
        try:
            names = [PLAIN_UNLINKED, PLAIN_LINKED, "trotsky-results-and-prospects-zh.txt"]
            samples = []
            base = rss_mib()
            for n in range(edits):
                since = live.epoch
                edit_middle(content / names[n % len(names)], n)
                if not live.wait_for_epoch(since + 1, 30):
                    print(f"edit {n}: no reload within 30 s")
                if n % max(1, edits // 10) == 0 or n == edits - 1:
                    samples.append((n + 1, rss_mib()))
            print("RSS (MiB) after edit: " + ", ".join(f"{k}: {v:.0f}" for k, v in samples))
            print(
                f"start {base:.0f} MiB, end {samples[-1][1]:.0f} MiB, growth {samples[-1][1] - samples[0][1]:+.1f} MiB "
                f"between edit {samples[0][0]} and edit {samples[-1][0]}; {live.builds} rebuilds"
            )
        finally:
            live.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__.split("\n")[0])
    ap.add_argument("--texts", type=int, default=1000, help="texts in the generated edition (default 1000)")
    ap.add_argument(
        "--edits", type=int, default=500, help="successive edits for the memory figure (default 500)"
    )
    ap.add_argument("--repeat", type=int, default=7, help="edits per timed case (default 7)")
    ap.add_argument(
        "--wait-links",
        type=float,
        default=240.0,
        help="seconds to wait for the sample edition's quotation detection (default 240)",
    )
    ap.add_argument("--quick", action="store_true", help="small figures: 100 texts, 50 edits, 3 repeats")
    args = ap.parse_args(argv)
    if args.quick:
        args.texts, args.edits, args.repeat = 100, 50, 3
    print(describe())
    try:
        load = os.getloadavg()
        print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    except OSError:
        pass
    bench_sample(args.repeat, args.wait_links)
    bench_generated(args.texts)
    bench_memory(args.edits)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
