"""Where a run writes the site: a temporary directory swapped into place (every full run:
``edition build``, serve's first build and its template or configuration changes), or memory
(serve's incremental runs: written into the site in place once every page rendered)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path


def replace_dir(new: Path, out: Path) -> None:
    """Swap ``new`` into place of ``out`` with two renames (no half-written site is ever visible at ``out``)."""
    os.chmod(new, 0o755)
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.rmdir(old)
        os.rename(out, old)
        os.rename(new, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(new, out)


class DirectorySink:
    """Files written into a new temporary directory beside ``out``; :meth:`commit` swaps it
    into place, :meth:`discard` removes it (a failed run leaves the previous site as it was).

    ``keep``: top-level names carried over from the previous ``out`` when they are not written
    again (serve's search index, built in the background)."""

    def __init__(self, out: Path, keep: Iterable[str] = ()) -> None:
        self.out = Path(out)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.tmp-", dir=self.out.parent))
        self.keep = tuple(keep)
        self.hashes: dict[str, int] = {}
        """Site path -> hash of the bytes written there."""
        self._dirs: set[str] = set()

    def write(self, rel: str, data: bytes) -> None:
        parent = rel.rpartition("/")[0]
        if parent and parent not in self._dirs:
            os.makedirs(self.path / parent, exist_ok=True)
            self._dirs.add(parent)
        with open(self.path / rel, "wb") as f:
            f.write(data)
        self.hashes[rel] = hash(data)

    def commit(self) -> None:
        for name in self.keep:
            old = self.out / name
            if not old.exists():
                continue
            for f in sorted(old.rglob("*")):
                target = self.path / f.relative_to(self.out)
                if f.is_dir() or target.exists():
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                os.rename(f, target)
        replace_dir(self.path, self.out)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


class MemorySink:
    """Files kept in memory; :meth:`commit` writes into ``out`` (in place) those whose bytes
    changed and removes the stale ones."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.files: dict[str, bytes] = {}

    @property
    def hashes(self) -> dict[str, int]:
        return {rel: hash(data) for rel, data in self.files.items()}

    def write(self, rel: str, data: bytes) -> None:
        self.files[rel] = data

    def commit(self, written: dict[str, int], stale: Iterable[str]) -> set[str]:
        """Write into ``out``; update ``written`` (site path -> hash); the paths that changed."""
        changed: set[str] = set()
        for rel, data in self.files.items():
            h = hash(data)
            if written.get(rel) == h:
                continue  # the same bytes: leave the file (and its mtime) alone
            path = self.out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
            written[rel] = h
            changed.add(rel)
        for rel in stale:
            if rel in self.files:
                continue
            written.pop(rel, None)
            changed.add(rel)
            try:
                (self.out / rel).unlink()
            except FileNotFoundError:
                pass
        return changed

    def discard(self) -> None:
        self.files = {}


Sink = DirectorySink | MemorySink

__all__ = ["DirectorySink", "MemorySink", "Sink", "replace_dir"]
