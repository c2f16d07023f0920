"""Translated quotations: the pluggable cross-lingual matcher and what it returns.

A :class:`CrossLingualMatcher` is given the documents of two languages and
proposes :class:`Aligned` passage pairs (exact character spans on both sides,
a similarity in [0, 1] and how many words it rests on). The detector
(:mod:`.detector`) turns them into scored, directed links; matchers never see
XML. Matchers are registered here by name and chosen in ``edition.yaml``
(``quotations: {matcher: NAME}``).

The default, ``cedict`` (:mod:`.lexical`), aligns CC-CEDICT glosses in order.
An embedding model is one small class::

    class LaBSE:
        name = "labse"
        def supports(self, a, b): return {a, b} == {"zh", "en"}
        def align(self, docs, src, tgt):
            ...  # embed sentences, keep runs of neighbours that advance together,
            ...  # yield Aligned(Span(...), Span(...), similarity, words)
    register_matcher(LaBSE())
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from .corpus import Doc


@dataclass(frozen=True, slots=True)
class Span:
    """A passage: characters ``start:end`` of block ``block`` of doc ``doc``."""

    doc: int
    block: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Aligned:
    """A passage of the source language and its translation in the target."""

    src: Span
    tgt: Span
    similarity: float
    """How much of both passages translates the other, in order (0..1)."""
    evidence: float
    """Content words the alignment rests on (a matcher's own scale; the
    lexical matcher counts aligned word pairs)."""
    features: dict[str, float] = field(default_factory=dict, compare=False)
    """What the similarity was computed from (kept on the link for calibration)."""


@runtime_checkable
class CrossLingualMatcher(Protocol):
    """Proposes passages of two languages that may translate each other."""

    name: str

    def supports(self, lang_a: str, lang_b: str) -> bool: ...

    def align(self, docs: Sequence[Doc], src: Sequence[int], tgt: Sequence[int]) -> Iterable[Aligned]:
        """``src``/``tgt``: indexes into ``docs`` of the two languages' documents."""
        ...


MATCHERS: dict[str, CrossLingualMatcher] = {}


def register_matcher(m: CrossLingualMatcher) -> None:
    MATCHERS[m.name] = m


def get_matcher(name: str = "cedict") -> CrossLingualMatcher:
    if name not in MATCHERS and name.startswith("cedict"):
        from . import lexical  # noqa: F401  (registers the built-in matchers)
    try:
        return MATCHERS[name]
    except KeyError:
        raise KeyError(f"no cross-lingual matcher named '{name}' (known: {', '.join(sorted(MATCHERS))})") from None


# --- passage boundaries ---------------------------------------------------------

_SENTENCE_END = "。？！?!…\n"
_CLAUSE_END = "，、；：,;:"
_OPENERS = "\"'“‘「『«(（【"
_CLOSERS = "\"'”’」』»)）】"
_SPACE = " \t\n\u00a0\u3000"
_PERIOD = re.compile(r"(?<![A-Z])\.(?=\s|$|[\"'”’])")


def _is_end(text: str, k: int, clause: bool, mark: str = "") -> bool:
    """Whether ``text[k]`` ends a sentence (or a clause, if ``clause``), or is
    one of the quotation marks ``mark`` (a quotation begins and ends at its marks)."""
    ch = text[k]
    if ch in _SENTENCE_END or (clause and ch in _CLAUSE_END) or ch in mark:
        return True
    return ch == "." and _PERIOD.match(text, k) is not None


def snap(text: str, start: int, end: int, reach: float = 0.4) -> tuple[int, int]:
    """Widen ``start:end`` (the first to the last aligned word) to the
    sentence it stands in: back to the previous sentence end and on to the next
    one, each only if that adds at most ``reach`` of the passage's length (else
    to the nearest clause end within half that reach, else not at all).
    Opening and closing quotation marks stay outside the passage."""
    n = end - start
    s = start
    for clause, frac in ((False, reach), (True, reach / 2)):
        k = start - 1
        limit = max(0, start - max(8, int(n * frac)))
        while k >= limit and not _is_end(text, k, clause, "“‘「『«"):
            k -= 1
        if k < limit and limit > 0:
            continue
        s = k + 1
        break
    while s < start and (text[s] in _SPACE or text[s] in _OPENERS or text[s] in _CLOSERS):
        s += 1
    e = end
    for clause, frac in ((False, reach), (True, reach / 2)):
        k = end
        limit = min(len(text), end + max(8, int(n * frac)))
        while k < limit and not _is_end(text, k, clause, "”’」』»"):
            k += 1
        if k >= limit and limit < len(text):
            continue
        e = k + 1 if k < len(text) and text[k] not in _SPACE else k
        if text[k : k + 1] in tuple(_CLAUSE_END + _CLOSERS):  # not part of the quotation
            e = k
        break
    e = min(e, len(text))
    while e > end and text[e - 1] in _SPACE:
        e -= 1
    return s, e
