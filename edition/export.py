"""Write the TEI documents (private bookkeeping stripped) and ``links.json``."""

from __future__ import annotations

import json

from .model import Edition, Text
from .tei import serialize


def serialize_text(text: Text) -> bytes:
    """The exported TEI document of one text (private attributes removed)."""
    return serialize(text.tree)


def tei_files(edition: Edition) -> dict[str, bytes]:
    """``tei/<id>.xml`` -> bytes, for every text."""
    return {f"tei/{tid}.xml": serialize_text(text) for tid, text in sorted(edition.texts.items())}


def dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
