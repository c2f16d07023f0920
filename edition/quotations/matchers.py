"""The cross-lingual matcher protocol and the registry of matchers by name."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from .sentences import Sentence


@runtime_checkable
class CrossLingualMatcher(Protocol):
    """Proposes sentence pairs that may translate each other."""

    name: str

    def supports(self, lang_a: str, lang_b: str) -> bool: ...

    def pairs(self, src: Sequence[Sentence], src_lang: str, tgt: Sequence[Sentence], tgt_lang: str
              ) -> Iterable[tuple[int, int, float]]:
        """Yield ``(i, j, similarity)`` with similarity in [0, 1]."""
        ...


MATCHERS: dict[str, CrossLingualMatcher] = {}


def register_matcher(m: CrossLingualMatcher) -> None:
    MATCHERS[m.name] = m


def get_matcher(name: str = "cedict") -> CrossLingualMatcher:
    try:
        return MATCHERS[name]
    except KeyError:
        raise KeyError(f"no cross-lingual matcher named '{name}' (known: {', '.join(sorted(MATCHERS))})") from None
