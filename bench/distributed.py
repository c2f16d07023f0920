"""Scale-out benchmark (issue 22): ``edition build`` on a Dask LocalCluster.

    python -m bench.distributed                      # 10 and 100 MB; 1 and 2 workers
    python -m bench.distributed --sizes 10 --workers 1,2

For each size, a generated edition (``bench/quotations/generate.py``: King James
and Chinese Union verses with planted quotations, written as plain-text files
with sidecars) is built once to fill the sentence-vector cache (its time
includes embedding the sentences the cache lacks), then once more without a scheduler (the reference), then once per
worker count with ``--scheduler local:N``. Every build runs in a fresh
process (``edition build --no-search``) and its ``links.json`` must be
byte-identical to the reference's. The ratio is the time with 1 worker over
the time with the most workers.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import describe
from edition.quotations.corpus import Doc


def write_edition(docs: list[Doc], root: Path) -> Path:
    """Write ``docs`` as an edition (``root/content``: one plain-text file per
    doc, its blocks as paragraphs, and a sidecar with its title, language
    and date); returns the content directory."""
    content = root / "content"
    content.mkdir(parents=True, exist_ok=True)
    (content / "edition.yaml").write_text("title: Generated edition\nlanguages: [en, zh-Hans]\n", encoding="utf-8")
    for d in docs:
        body = "\n\n".join(" ".join(b.text.split()) for b in d.blocks) + "\n"
        (content / f"{d.id}.txt").write_text(body, encoding="utf-8")
        lang = "zh-Hans" if d.lang == "zh" else d.lang
        meta = f"title: Text {d.id}\nlang: {lang}\n" + (f"date: '{d.date}'\n" if d.date else "")
        (content / f"{d.id}.yaml").write_text(meta, encoding="utf-8")
    return content


def _build(content: Path, out: Path, scheduler: str | None) -> tuple[float, str, str]:
    """Seconds, SHA-256 of links.json, and the last line printed."""
    cmd = [sys.executable, "-m", "edition", "build", str(content), "-o", str(out), "--no-search"]
    if scheduler:
        cmd += ["--scheduler", scheduler]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    last = (r.stderr.strip().splitlines() or ["?"])[-1]
    if r.returncode != 0:
        return secs, "failed", last
    return secs, hashlib.sha256((out / "links.json").read_bytes()).hexdigest()[:12], last


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.distributed", description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,100", help="edition sizes in MB (default 10,100)")
    ap.add_argument("--workers", default="1,2", help="worker counts of the LocalCluster (default 1,2)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    from bench.quotations.corpora import cuv, kjv
    from bench.quotations.generate import generate

    print(describe())
    workers = [int(x) for x in args.workers.split(",") if x.strip()]
    print(f"{'MB':>6} {'scheduler':>10} {'seconds':>9} {'links.json':>13} {'same':>5}")
    for mb in (float(x) for x in args.sizes.split(",") if x.strip()):
        tmp = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
        try:
            docs, _plants = generate(kjv(), cuv(), int(mb * 1e6), seed=args.seed)
            content = write_edition(docs, tmp)
            size = sum(f.stat().st_size for f in content.glob("*.txt")) / 1e6
            secs, first, last = _build(content, tmp / "out-first", None)
            print(f"{size:6.1f} {'none':>10} {secs:9.1f} {first:>13} {'':>5}   first build (fills the vector cache) {last}")
            secs, ref, last = _build(content, tmp / "out-ref", None)
            print(f"{size:6.1f} {'none':>10} {secs:9.1f} {ref:>13} {'ref':>5}   {last}")
            times = {}
            for n in workers:
                secs, digest, last = _build(content, tmp / f"out-{n}", f"local:{n}")
                times[n] = secs
                print(f"{size:6.1f} {'local:' + str(n):>10} {secs:9.1f} {digest:>13} {str(digest == ref):>5}   {last}")
            if len(times) > 1:
                lo, hi = min(times), max(times)
                print(f"{size:6.1f} ratio {lo} worker(s) / {hi} workers: {times[lo] / times[hi]:.2f}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("EDITION_CACHE", "1")
    raise SystemExit(main())
