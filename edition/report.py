"""Per-text summary (``edition build -v``): what each source became."""

from __future__ import annotations

from collections import Counter

from .errors import Level
from .model import Edition
from .tei import NS, elements


def summary(edition: Edition) -> list[str]:
    lines = []
    warnings = Counter(str(d.location.path) for d in edition.diagnostics.items if d.level == Level.WARNING)
    linked: Counter[str] = Counter()
    for link in edition.links:
        linked[link.a.text] += 1
        linked[link.b.text] += 1
    for tid, text in sorted(edition.texts.items()):
        root = text.root
        body = root.find("tei:text", NS)
        if body is None:
            continue
        divs = len(elements(body, ".//tei:div"))
        paras = len(elements(body, ".//tei:p[not(ancestor::tei:note)]"))
        notes = elements(body, ".//tei:note")
        placed = [n for n in notes if (up := n.getparent()) is not None and up.tag != f"{{{NS['tei']}}}div"]
        kinds = Counter(n.get("type") or "unattributed" for n in placed)
        corr = len(elements(body, ".//tei:choice"))
        pbs = len(elements(body, ".//tei:pb"))
        kinds_s = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) or "none"
        extra = f", {pbs} page breaks, {corr} corrections" if pbs or corr else ""
        lines.append(
            f"{text.source}: {divs} divisions, {paras} paragraphs, {len(placed)} notes at their markers "
            f"({kinds_s}), {len(notes) - len(placed)} unplaced{extra}; {linked[tid]} quotation links; "
            f"{warnings[str(text.source)]} warnings"
        )
    return lines
