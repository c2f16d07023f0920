"""Sentence vectors kept from build to build (the embedding matcher's cache)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np

from ..caches import caches_on
from .lexicon import cache_dir

MODEL = "use-multilingual-v3"


class VectorCache:
    """Sentence vectors by SHA-1 of (model, text), in one SQLite file under the
    user cache (``$XDG_CACHE_HOME/edition``). Best effort: a cache that cannot
    be opened or written is skipped. ``EDITION_CACHE=0`` turns it off
    (:func:`edition.caches.caches_on`)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_dir() / f"vectors-{MODEL}.sqlite"
        self.db: sqlite3.Connection | None = None
        if not caches_on():
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=5)
            self.db.execute("CREATE TABLE IF NOT EXISTS v (k BLOB PRIMARY KEY, x BLOB)")
        except (OSError, sqlite3.Error):
            self.db = None

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.sha1(f"{MODEL}\0{text}".encode()).digest()

    def get(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        out: dict[bytes, np.ndarray] = {}
        if self.db is None or not keys:
            return out
        try:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                q = f"SELECT k, x FROM v WHERE k IN ({','.join('?' * len(part))})"
                for k, x in self.db.execute(q, part):
                    out[bytes(k)] = np.frombuffer(x, dtype=np.float16).astype(np.float32)
        except sqlite3.Error:
            return {}
        return out

    def put(self, items: dict[bytes, np.ndarray]) -> None:
        if self.db is None or not items:
            return
        try:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO v VALUES (?, ?)",
                                    ((k, v.astype(np.float16).tobytes()) for k, v in items.items()))
        except sqlite3.Error:
            pass
