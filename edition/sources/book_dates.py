"""Dates of a volume's works and its biographical chronicle (issue 3).

Dates are printed without a year where the context gives it (``December 13``
under a heading ``November 22-December 16, 1926``); the chronicle prints a
year only when it changes, as spaced digits (``1 9 2 7``), and never the first
one. The chronicle is also the only source of a date for works that carry
none: an entry quoting the work's title dates it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .book_layout import Block, Line
from .book_text import Run
from .book_works import DATE_LINE, MONTHS

_YEAR_LINE = re.compile(r"^(?:\d ){3}\d$|^\d{4}$")
_QUOTED = re.compile(r"[\"“]([^\"”]{8,}?)[,.]?[\"”]")


def iso(year: int | None, month: str, day: str) -> str:
    m = MONTHS.index(month) + 1
    return f"{year:04d}-{m:02d}-{int(day):02d}" if year else f"--{m:02d}-{int(day):02d}"


def date_attrs(text: str, default_year: int | None) -> tuple[dict[str, str], int | None, str] | None:
    """``@when`` or ``@from``/``@to`` for a date line, the year used, and the
    lead-in before the date (``Report Delivered on``)."""
    m = DATE_LINE.match(text.strip())
    if not m:
        return None
    year = int(m.group("y")) if m.group("y") else default_year
    if year is None:
        return None
    start = iso(year, m.group("m1"), m.group("d1"))
    pre = m.group("pre") or ""
    if m.group("d2"):
        end = iso(year, m.group("m2") or m.group("m1"), m.group("d2"))
        return {"from": start, "to": end}, year, pre
    return {"when": start}, year, pre


@dataclass(slots=True)
class ChronicleEntry:
    date_line: Line
    attrs: dict[str, str]
    lines: list[Line] = field(default_factory=list)
    run: Run | None = None

    @property
    def text(self) -> str:
        return " ".join(ln.text for ln in self.lines)


@dataclass(slots=True)
class Chronicle:
    years: list[tuple[int, Line | None, list[ChronicleEntry]]]
    """(year, its printed line or None, entries)."""

    def entries(self) -> list[ChronicleEntry]:
        return [e for _, _, es in self.years for e in es]


def parse_chronicle(blocks: list[Block], fallback_year: int | None) -> Chronicle:
    lines = [ln for b in blocks for ln in b.lines]
    printed = [int(ln.text.replace(" ", "")) for ln in lines if _YEAR_LINE.match(ln.text)]
    year = printed[0] - 1 if printed else fallback_year
    years: list[tuple[int, Line | None, list[ChronicleEntry]]] = [(year or 0, None, [])]
    for ln in lines:
        if _YEAR_LINE.match(ln.text):
            year = int(ln.text.replace(" ", ""))
            years.append((year, ln, []))
            continue
        m = DATE_LINE.match(ln.text)
        if m and not m.group("pre") and len(ln.text) < 30:
            got = date_attrs(ln.text, year)
            if got:
                years[-1][2].append(ChronicleEntry(ln, got[0]))
                continue
        if years[-1][2]:
            years[-1][2][-1].lines.append(ln)
        else:
            years[-1][2].append(ChronicleEntry(ln, {}, [ln]))
    return Chronicle([y for y in years if y[2] or y[1] is not None])


def _norm(s: str) -> str:
    s = s.lower().replace("’", "'").replace("—", "-")
    words = re.findall(r"[a-z0-9']+", s)
    return " ".join(w for w in words if w not in ("the", "a", "an"))


def find_in_chronicle(chron: Chronicle, titles: list[str]) -> tuple[ChronicleEntry, str] | None:
    """The entry that quotes one of ``titles`` (title, or title and subtitle),
    and the quoted title as printed there."""
    best: tuple[float, ChronicleEntry, str] | None = None
    for entry in chron.entries():
        for q in _QUOTED.findall(entry.text):
            for t in titles:
                r = SequenceMatcher(None, _norm(q), _norm(t)).ratio()
                if r >= 0.85 and (best is None or r > best[0]):
                    best = (r, entry, q)
    return (best[1], best[2]) if best else None


def quoted_titles(chron: Chronicle) -> list[str]:
    return [q for e in chron.entries() for q in _QUOTED.findall(e.text)]
