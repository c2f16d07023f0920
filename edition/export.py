"""Write the TEI documents (private bookkeeping stripped) and ``links.json``."""

from __future__ import annotations

import json
from pathlib import Path

from .model import Edition, Text
from .tei import serialize


def serialize_text(text: Text) -> bytes:
    """The exported TEI document of one text (private attributes removed)."""
    return serialize(text.tree)


def tei_files(edition: Edition) -> dict[str, bytes]:
    """``tei/<id>.xml`` -> bytes, for every text."""
    return {f"tei/{tid}.xml": serialize_text(text) for tid, text in sorted(edition.texts.items())}


def write_tei(edition: Edition, out: Path) -> list[Path]:
    written = []
    for rel, data in tei_files(edition).items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
