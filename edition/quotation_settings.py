"""The ``quotations`` settings of ``edition.yaml`` and the names of the cross-lingual matchers.

In the core, so that :mod:`edition.config` can check a matcher's name without importing the
quotation stage (which imports the configuration: issue 21 removed that cycle). The matchers
themselves are registered in :mod:`edition.quotations.matcher`, which declares each name here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import Diagnostics, Location, did_you_mean

DEFAULT_MATCHER = "use"


@dataclass(frozen=True, slots=True)
class QuotationSettings:
    enabled: bool = True
    min_words: int = 12
    min_chars: int = 20
    threshold: float = 0.5
    matcher: str = DEFAULT_MATCHER
    """Cross-lingual matcher registered in ``edition.quotations``: ``use`` (multilingual
    sentence embeddings), ``cedict`` or ``cedict-jieba`` (CC-CEDICT glosses)."""
    exact_pairs: float | None = None
    """Sentence pairs of two languages the ``use`` matcher compares exactly
    before it hands them to ``cedict`` (None: its own default, 1.5e8)."""


BUILTIN_MATCHERS = ("cedict", "cedict-jieba", "use")
"""The matchers :mod:`edition.quotations` registers when it is imported (a test keeps this in step)."""

_declared: set[str] = set()


def declare_matcher(name: str) -> None:
    """Make a matcher's name valid in ``edition.yaml`` (:func:`edition.quotations.register_matcher` calls this)."""
    _declared.add(name)


def matcher_names() -> set[str]:
    """The names ``quotations.matcher`` may take."""
    return set(BUILTIN_MATCHERS) | _declared


QUOTATION_KEYS = {
    "enabled": ("switch", "true or false"),
    "min_words": ("count", "a whole number of words, 1 or more"),
    "min_chars": ("count", "a whole number of Chinese characters, 1 or more"),
    "threshold": ("share", "a number between 0 and 1"),
    "matcher": ("name", "the name of a cross-lingual matcher"),
    "exact_pairs": ("amount", "a number of sentence pairs, 0 or more (e.g. 1.5e8)"),
}
"""The keys of ``quotations`` in ``edition.yaml``: the kind of value each takes
(:func:`_quotation_value`), and what to say when it is not one."""


def _quotation_value(key: str, value: Any) -> Any:
    """``value`` as setting ``key`` takes it, or None if it cannot be."""
    kind = QUOTATION_KEYS[key][0]
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "switch":
        return value if isinstance(value, bool) else None
    if kind == "count":
        return value if number and isinstance(value, int) and value >= 1 else None
    if kind == "share":
        return float(value) if number and 0.0 <= value <= 1.0 else None
    if kind == "amount":  # may be written 1.5e8, which YAML 1.1 reads as a string
        try:
            n = float(value) if number or isinstance(value, str) else -1.0
        except ValueError:
            return None
        return n if 0 <= n < float("inf") else None
    return value if isinstance(value, str) and value.strip() else None


def _as_yaml(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else repr(value)


def quotation_settings(q: Any, lines: dict[str, int], rel: Path, diags: Diagnostics) -> QuotationSettings:
    """The ``quotations`` mapping of ``edition.yaml``, checked key by key: an
    unknown key is a warning, a value of the wrong type or range an error (that
    setting keeps its default and the build goes on, failing at its end)."""
    if q is None:
        return QuotationSettings()
    if not isinstance(q, dict):
        diags.error(Location(rel, lines.get("quotations")),
                    f"'quotations' must be a mapping of settings ({', '.join(QUOTATION_KEYS)}), not"
                    f" {type(q).__name__}", "config-type")
        return QuotationSettings()
    defaults = QuotationSettings()
    got: dict[str, Any] = {}
    for key, value in q.items():
        where = Location(rel, lines.get(f"quotations.{key}", lines.get("quotations")))
        if key not in QUOTATION_KEYS:
            diags.warning(where, f"unknown key '{key}' in 'quotations'.{did_you_mean(str(key), QUOTATION_KEYS)}",
                          "config-key")
            continue
        v = _quotation_value(key, value)
        if v is None:
            diags.error(where, f"quotations.{key} must be {QUOTATION_KEYS[key][1]}, not {value!r};"
                               f" using {_as_yaml(getattr(defaults, key))}", "config-value")
            continue
        got[key] = v
    qs = QuotationSettings(**got)
    known = matcher_names()
    if qs.matcher not in known:
        diags.error(
            Location(rel, lines.get("quotations.matcher", lines.get("quotations"))),
            f"unknown cross-lingual matcher '{qs.matcher}' (known: {', '.join(sorted(known))});"
            f" using '{DEFAULT_MATCHER}'.{did_you_mean(qs.matcher, sorted(known))}",
            "config-value",
        )
        qs = QuotationSettings(qs.enabled, qs.min_words, qs.min_chars, qs.threshold, exact_pairs=qs.exact_pairs)
    return qs


__all__ = ["BUILTIN_MATCHERS", "DEFAULT_MATCHER", "QuotationSettings", "declare_matcher", "matcher_names", "quotation_settings"]
