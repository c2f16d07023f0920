"""Build benchmarks (issue 2): ``python -m bench.build [--texts 10000] [--repeat 1]``.

1. the sample edition (content/), full build without quotation detection and
   without the search index, best of 3;
2. a generated edition of N short plain texts (~5 KB, one or two notes each),
   using every core; pages per second, peak memory, and whether two builds of
   the same sources are byte-identical.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import tempfile
import time
from pathlib import Path

from bench.machine import describe, peak_rss_mib
from edition.builder import build

REPO = Path(__file__).resolve().parent.parent
WORDS = (
    "the of and to in a is that for it as was with be by on not he this are or his from at which but have an "
    "they you were her she there been one all we their has would when if so no will more can what out up "
    "about who them some could into him than then its time only revolution proletariat peasantry party "
    "state power question congress soviet workers class bourgeoisie theory practice china opposition"
).split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def make_text(rng: random.Random, i: int) -> str:
    parts = [f"Chapter {i} of the generated edition", ""]
    size = 0
    n_notes = rng.randint(1, 2)
    placed = 0
    while size < 4800:
        para = " ".join(sentence(rng) for _ in range(rng.randint(3, 7)))
        if placed < n_notes and rng.random() < 0.3:
            placed += 1
            para += f"[{placed}]"
        parts += [para, ""]
        size += len(para) + 1
    while placed < n_notes:
        placed += 1
        parts[2] += f"[{placed}]"
    for k in range(1, n_notes + 1):
        parts += [f"[{k}] A note body of the generated text number {i}. —Ed.", ""]
    return "\n".join(parts)


def generate(root: Path, n: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "edition.yaml").write_text("title: Generated\nquotations: {enabled: false}\n", encoding="utf-8")
    total = 0
    for i in range(n):
        text = make_text(rng, i)
        total += len(text.encode())
        (root / f"t{i:05d}.txt").write_text(text, encoding="utf-8")
        (root / f"t{i:05d}.yaml").write_text(
            f"title: Text {i}\nlang: en\nauthor: Generator\n", encoding="utf-8"
        )
    return total


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def sample(tmp: Path) -> None:
    content = tmp / "sample"
    shutil.copytree(REPO / "content", content)
    cfg = content / "edition.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "\nquotations: {enabled: false}\n", encoding="utf-8")
    times = []
    for k in range(3):
        t0 = time.perf_counter()
        res = build(content, tmp / f"sample-site{k}", search=False)
        times.append(time.perf_counter() - t0)
    if res.out is None:
        print(
            f"sample edition: BUILD FAILED ({res.diagnostics.errors} errors); figures below are for the read phase only"
        )
    print(
        f"sample edition ({len(res.edition.texts)} texts, no quotation detection, no search index): "
        f"best {min(times):.2f} s, median {sorted(times)[1]:.2f} s  [target < 5 s]"
    )
    for stage, secs in res.timings.items():
        print(f"  {stage}: {secs:.3f} s")


def generated(tmp: Path, n: int) -> None:
    content = tmp / "gen"
    size = generate(content, n)
    print(f"generated edition: {n} texts, {size / 1e6:.1f} MB")
    t0 = time.perf_counter()
    res = build(content, tmp / "gen-site-1", search=False)
    secs = time.perf_counter() - t0
    pages = sum(1 for _ in (tmp / "gen-site-1" / "texts").iterdir()) + 1
    print(f"  full build: {secs:.2f} s, {pages / secs:.0f} pages/s ({pages} pages)  [target >= 1700 pages/s]")
    for stage, s in res.timings.items():
        print(f"    {stage}: {s:.3f} s")
    print(f"  peak memory (max of this process and workers): {peak_rss_mib():.0f} MiB  [target < 1024 MiB]")
    build(content, tmp / "gen-site-2", search=False)
    same = tree_digest(tmp / "gen-site-1") == tree_digest(tmp / "gen-site-2")
    print(f"  two builds byte-identical: {same}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--texts", type=int, default=10000, help="size of the generated edition (default 10000)")
    args = ap.parse_args()
    print(describe())
    with tempfile.TemporaryDirectory(prefix="edition-bench-") as d:
        tmp = Path(d)
        sample(tmp)
        generated(tmp, args.texts)


if __name__ == "__main__":
    main()
