"""Fit the ``use`` matcher's translation score (``EmbeddingMatcher.weights``). One command::

    python -m bench.quotations.calibrate                 # fit on seeds 1,2,3 at 2 MB; check on seed 4 and the sample
    python -m bench.quotations.calibrate --seeds 1,2 --check "" --mb 1

Every candidate passage pair the detector scores (after it has grown or shrunk
the ends) is a row: its features (``EmbeddingMatcher.features``) and a label.
On the benchmark a candidate is a translation when both passages overlap a
planted translation (Jaccard >= 0.5, as the benchmark counts); candidates that
overlap one only in part are left out.

Only benchmark seeds are fitted, and only seen ones (1-4,
``bench.quotations.__main__.FITTED_SEEDS``): the held-out seeds (5 on) are
for ``python -m bench.quotations`` to report, and the sample edition
(``content/``) is the acceptance test, not training data (issue 20). Its rows
are scored, never fitted: its candidates are same-subject commentary beside
its sources and one known translation (:data:`SAMPLE_TRANSLATIONS`, read and
judged by the editors), and a refit that keeps a commentary candidate or loses
the translation fails it. Weights up to this change were fitted with the sample
edition's rows weighing ten benchmark rows each; see ``docs/benchmarks.md``.

A logistic regression (Newton's method, a little L2) with the detector's
length terms as a fixed offset prints the weights to paste into
``edition/quotations/embedding.py``, leave-one-seed-out figures (true and
false candidates kept at score >= 0.5 on the seed left out), and the same
counts for the weights as they are, to judge them by.
Weights are fitted on the detector's current passages, which depend on the
current weights (resizing): run it again after pasting until the weights settle.

Then, with the matcher's weights as they are, it fits the one number the
detector adds for a passage in quotation marks (``own_quoted_logodds`` in
``edition/quotations/embedding.py``): that evidence is known only once a
passage's ends are set, so it takes no part in resizing.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edition.quotations.crosslingual import get_matcher, split_sentences
from edition.quotations.detector import Settings, _sentence_span, length_terms, scored_translations
from edition.quotations.embedding import EmbeddingMatcher

from .__main__ import FITTED_SEEDS, _jaccard
from .corpora import cuv, kjv
from .generate import generate

SAMPLE_TRANSLATIONS = [("使我国社会主义建设依赖", "For what is implied by making the building")]
"""(Chinese, English) beginnings of the sample edition's known translated
quotations: seed 001 quoting Stalin's words of seed 002."""


@dataclass(slots=True)
class Row:
    source: str
    features: list[float]
    offset: float
    label: bool | None
    """None: overlaps a planted translation only in part (left out)."""
    quoted: bool = False
    """One of the passages stands in quotation marks (``Translation.quoted``)."""


def rows_for(docs, label_of, source: str) -> list[Row]:
    m = get_matcher("use")
    assert isinstance(m, EmbeddingMatcher)
    settings = Settings()
    src = split_sentences(docs, [i for i, d in enumerate(docs) if d.lang == "zh"])
    tgt = split_sentences(docs, [i for i, d in enumerate(docs) if d.lang == "en"])
    out = []
    for t, units in scored_translations(docs, m, "zh", "en", settings):
        if m._space is None:
            continue  # handed to the lexical matcher: not this matcher's score
        out.append(Row(source, m.features(src, t.src_idx, tgt, t.tgt_idx), length_terms(t, units), label_of(t),
                       t.quoted))
    return out


def bench_rows(seed: int, mb: float) -> list[Row]:
    docs, plants = generate(kjv(), cuv(), int(mb * 1e6), seed=seed)
    tr = [p for p in plants if p.pair == "zh-en"]

    def label(t) -> bool | None:
        a, b = _sentence_span(t.src), _sentence_span(t.tgt)
        best = False
        part = False
        for p in tr:
            for x, y in ((p.original, p.quote), (p.quote, p.original)):
                ja = _jaccard(x, a.doc, a.block, a.start, a.end)
                jb = _jaccard(y, b.doc, b.block, b.start, b.end)
                best |= ja >= 0.5 and jb >= 0.5
                part |= ja > 0 and jb > 0
        return True if best else (None if part else False)

    return rows_for(docs, label, f"seed {seed}")


def sample_rows(content: Path) -> list[Row]:
    from edition.builder import load
    from edition.quotations import docs_from_edition

    ed = load(content)
    docs = docs_from_edition(ed)

    def label(t) -> bool:
        zh = "".join(s.text for s in t.src)
        en = " ".join(s.text for s in t.tgt)
        return any(z in zh and e in en for z, e in SAMPLE_TRANSLATIONS)

    return rows_for(docs, label, "sample")


def fit(rows: list[Row], l2: float = 1e-2) -> np.ndarray:
    rows = [r for r in rows if r.label is not None]
    assert all(r.source != "sample" for r in rows), "the sample edition is the acceptance test, not training data"
    x = np.array([r.features for r in rows])
    off = np.array([r.offset for r in rows])
    y = np.array([bool(r.label) for r in rows], dtype=float)
    w = np.zeros(x.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-(x @ w + off)))
        grad = x.T @ (p - y) + l2 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def fit_quoted(w: np.ndarray, rows: list[Row]) -> float:
    """The log-odds that quotation marks add, the weights ``w`` fixed (a
    logistic regression on one variable, by Newton's method)."""
    rows = [r for r in rows if r.label is not None]
    assert all(r.source != "sample" for r in rows), "the sample edition is the acceptance test, not training data"
    z0 = np.array([float(np.dot(w, r.features)) + r.offset for r in rows])
    q = np.array([float(r.quoted) for r in rows])
    y = np.array([bool(r.label) for r in rows], dtype=float)
    b = 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-(z0 + b * q)))
        grad, hess = float(np.sum((p - y) * q)), float(np.sum(p * (1 - p) * q)) + 1e-9
        b -= grad / hess
        if abs(grad / hess) < 1e-9:
            break
    return b


def kept(w: np.ndarray, rows: list[Row], quoted: float = 0.0) -> tuple[int, int, int]:
    """(true kept, true, false kept) at score >= 0.5 (``quoted``: log-odds
    added for quotation marks)."""
    rows = [r for r in rows if r.label is not None]
    tp = n = fp = 0
    for r in rows:
        z = float(np.dot(w, r.features)) + r.offset + quoted * r.quoted
        n += bool(r.label)
        if z >= 0:
            tp += bool(r.label)
            fp += not r.label
    return tp, n, fp


def _seeds(v: str) -> list[int]:
    return [int(x) for x in v.split(",") if x.strip()]


def _line(name: str, w: np.ndarray, rows: list[Row], quoted: float = 0.0) -> str:
    tp, n, fp = kept(w, rows, quoted)
    return f"  {name}: {tp}/{n} translations kept, {fp} false"


def _both(name: str, w: np.ndarray, rows: list[Row]) -> str:
    """Kept without the quotation-mark log-odds and with them as they are."""
    tp, n, fp = kept(w, rows, EmbeddingMatcher.own_quoted_logodds)
    return _line(name, w, rows) + f"; with marks: {tp}/{n}, {fp} false"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.quotations.calibrate", description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=_seeds, default=[1, 2, 3], help="benchmark seeds to fit (default 1,2,3)")
    ap.add_argument("--check", type=_seeds, default=[4],
                    help="seen seeds scored but not fitted (default 4; \"\" for none)")
    ap.add_argument("--mb", type=float, default=2.0)
    ap.add_argument("--content", type=Path, default=Path("content"),
                    help="the sample edition: scored as the acceptance test, never fitted")
    args = ap.parse_args(argv)
    unseen = sorted(set(args.seeds + args.check) - FITTED_SEEDS)
    if unseen:  # issue 20: a held-out seed fitted or looked at here is no longer held out
        ap.error(f"seed(s) {', '.join(map(str, unseen))} are held out (FITTED_SEEDS in bench/quotations/__main__.py"
                 " are 1-4): fit and check on seen seeds only")
    os.environ.setdefault("EDITION_CACHE", "1")  # vectors of earlier runs: same result, faster
    fitted: dict[str, list[Row]] = {f"seed {s}": bench_rows(s, args.mb) for s in args.seeds}
    checked: dict[str, list[Row]] = {f"seed {s} (seen, not fitted)": bench_rows(s, args.mb) for s in args.check}
    checked["sample (acceptance test, not fitted)"] = sample_rows(args.content)
    for k, v in {**fitted, **checked}.items():
        print(f"{k}: {len(v)} candidates, {sum(1 for r in v if r.label)} translations")
    marks = f"with marks: the quotation-mark log-odds as they are, {EmbeddingMatcher.own_quoted_logodds:.2f}"
    if len(fitted) > 1:
        print(f"\nleave one seed out (score >= 0.5; {marks})")
        for k in fitted:
            w = fit([r for kk, v in fitted.items() if kk != k for r in v])
            print(f"  without {k}:")
            for c, v in {k: fitted[k], **checked}.items():
                print("  " + _both(c, w, v))
    w = fit([r for v in fitted.values() for r in v])
    now = np.array(EmbeddingMatcher.weights)
    for label, ww in (("fitted on " + ", ".join(fitted), w), ("the weights as they are", now)):
        print(f"\n{label} ({marks}):")
        for k, v in {**fitted, **checked}.items():
            print(_both(k, ww, v))
    print(f"weights = ({', '.join(f'{x:.2f}' for x in w)})")
    print(f"as they are: ({', '.join(f'{x:.2f}' for x in now)})")
    print("\nquotation marks, with the weights as they are:")
    if len(fitted) > 1:
        for k in fitted:
            b = fit_quoted(now, [r for kk, v in fitted.items() if kk != k for r in v])
            tp, n, fp = kept(now, fitted[k], b)
            tp0, _n, fp0 = kept(now, fitted[k])
            print(f"  {k} left out: {b:.2f}; on {k} {tp}/{n} translations kept, {fp} false "
                  f"(without: {tp0}, {fp0} false)")
    b = fit_quoted(now, [r for v in fitted.values() for r in v])
    for k, v in {**fitted, **checked}.items():
        print(_line(k, now, v, b))
    print(f"own_quoted_logodds = {b:.2f} (as it is: {EmbeddingMatcher.own_quoted_logodds:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
