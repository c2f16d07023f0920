"""The cross-lingual matcher interface and its registry.

A matcher sees sentences of two languages and proposes pairs that may translate each other
(:meth:`CrossLingualMatcher.pairs`); the detector (:mod:`.crosslingual`, :mod:`.detector`) asks
it for more: how to score a whole passage, how to grow or trim one, how its scores are
calibrated. Every one of those capabilities is declared here with its default, so a matcher
states what it offers by overriding it (issue 21: no ``getattr`` probes in the detector).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..quotation_settings import declare_matcher

Sentence = Any
"""A :class:`.crosslingual.Sentence` (named loosely here: that module imports this one)."""


class CrossLingualMatcher:
    """Proposes sentence pairs that may translate each other (subclass it; register an
    instance with :func:`register_matcher`; ``quotations: {matcher: NAME}`` in edition.yaml)."""

    name: str = ""

    def supports(self, lang_a: str, lang_b: str) -> bool:
        raise NotImplementedError

    def pairs(
        self, src: Sequence[Sentence], src_lang: str, tgt: Sequence[Sentence], tgt_lang: str
    ) -> Iterable[tuple[int, int, float]]:
        """Yield ``(i, j, similarity)`` with similarity in [0, 1]."""
        raise NotImplementedError

    # -- whole passages --------------------------------------------------------------------
    scores_passages: bool = False
    """True when :meth:`passage_similarity` scores a whole passage pair (the detector then
    keeps only chainable pairs and resizes passages on it); False: a passage's score is the
    sum of its sentence pairs'."""

    def passage_similarity(
        self, src: Sequence[Sentence], src_idx: list[int], tgt: Sequence[Sentence], tgt_idx: list[int]
    ) -> float:
        """Similarity of two whole passages (called only when :attr:`scores_passages`)."""
        raise NotImplementedError

    def extend(
        self, src: Sequence[Sentence], src_idx: list[int], tgt: Sequence[Sentence], tgt_idx: list[int]
    ) -> tuple[list[int], list[int]]:
        """Grow a scored passage pair at its ends (default: as it is)."""
        return src_idx, tgt_idx

    def trim_leads(self, src: list[Sentence], tgt: list[Sentence]) -> tuple[list[Sentence], list[Sentence]]:
        """Leave out a lead-in that opens either passage (default: nothing left out)."""
        return src, tgt

    # -- the detector's settings for this matcher ------------------------------------------
    @property
    def calibration(self) -> tuple[float, float]:
        """(centre, slope) of the detector's logistic on the passage score."""
        return (0.48, 14.0)

    @property
    def quoted_logodds(self) -> float:
        """What a quotation mark around the passage adds to its log-odds."""
        return 0.0

    @property
    def resize_gains(self) -> tuple[float, float]:
        """How much the passage score must gain for a passage to grow by a sentence, or to shrink by one."""
        return (0.03, 0.05)

    @property
    def resize_floor(self) -> float:
        """Passages scoring below this are not resized."""
        return float("-inf")

    @property
    def single_pair_floor(self) -> float:
        """A chain of one sentence pair below this similarity is dropped unscored."""
        return 0.35

    exact_budget: float | None = None
    """Sentence pairs the matcher compares before it hands a language pair to a cheaper
    matcher (None: no limit; the detector sets it from ``quotations.exact_pairs``)."""
    handed_over: tuple[str, int, str, int] | None = None
    """The last language pair handed over (language, sentences, language, sentences), or None."""
    ann_sentences: int | None = None
    """Sentences per side the matcher searches approximately above :attr:`exact_budget` before it
    hands the language pair over (None: no approximate search)."""
    approximate: tuple[str, int, str, int] | None = None
    """The last language pair searched approximately (as :attr:`handed_over`), or None."""


MATCHERS: dict[str, CrossLingualMatcher] = {}


def register_matcher(m: CrossLingualMatcher) -> None:
    MATCHERS[m.name] = m
    declare_matcher(m.name)  # edition.yaml may name it


def get_matcher(name: str = "cedict") -> CrossLingualMatcher:
    try:
        return MATCHERS[name]
    except KeyError:
        raise KeyError(f"no cross-lingual matcher named '{name}' (known: {', '.join(sorted(MATCHERS))})") from None


__all__ = ["MATCHERS", "CrossLingualMatcher", "get_matcher", "register_matcher"]
